"""Projection and questions on a stored run: scenarios move arrivals the right way."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.core.definitions import COUNTRIES, QUANTITIES
from forecast.core.errors import UsageError
from forecast.priors.scenarios import Levers, Scenario, UnknownScenarioError


def custom(name: str, **levers: float) -> Scenario:
    return Scenario(
        name=name,
        description="test",
        sources=(),
        start_year=2026.5,
        levers={"CN": Levers(**levers)},
        threshold_horizon_minutes=None,
    )


def test_fewer_chips_never_bring_arrival_forward(forecaster):
    base = forecaster.projector.country("CN")
    tight = forecaster.projector.country(
        "CN", custom("t", additions_multiplier=0.5, growth_multiplier=0.7)
    )
    loose = forecaster.projector.country("CN", custom("l", additions_multiplier=2.0))
    assert np.all(tight.arrival >= base.arrival - 1e-6)
    assert np.all(loose.arrival <= base.arrival + 1e-6)
    assert np.mean(tight.arrival > base.arrival + 1e-6) > 0.5


def test_efficiency_jump_moves_capability_by_beta_times_jump(forecaster):
    p = forecaster.projector
    base = p.country("CN")
    jump = p.country("CN", custom("j", efficiency_jump_oom=0.5))
    k = int(np.searchsorted(p.grid, 2027.0))
    expected = 0.5 * p.draws["capability_per_oom"]
    assert jump.capability[:, k] - base.capability[:, k] == pytest.approx(expected, rel=1e-4)
    assert np.all(jump.arrival <= base.arrival + 1e-6)


def test_us_unchanged_by_china_only_levers(forecaster):
    p = forecaster.projector
    s = custom("cn", additions_multiplier=0.1)
    assert p.country("US", s) is p.country("US")


def test_history_matches_projection_at_the_data_end(forecaster):
    p = forecaster.projector
    t = p.axes.data_end
    hist = p.history("US", t)
    ahead = p.at(p.country("US"), t)
    for q in QUANTITIES:
        assert ahead[q] == pytest.approx(hist[q], rel=1e-4)


def test_arrival_answer_fields(forecaster):
    a = forecaster.arrival("cn")
    assert a["country"] == "CN"
    assert [q["q"] for q in a["quantiles"]] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    years = [q["year"] for q in a["quantiles"] if q["year"] is not None]
    assert years == sorted(years)
    ps = [row["p"] for row in a["cdf"]]
    assert ps == sorted(ps)
    assert ps[-1] == pytest.approx(1 - a["p_later"]["p"], abs=1e-3)
    assert all(q["mcse_years"] is None or q["mcse_years"] >= 0 for q in a["quantiles"])


def test_probability_agrees_with_cdf(forecaster):
    a = forecaster.arrival("US")
    row = a["cdf"][8]
    p = forecaster.probability("US", row["date"])
    assert p["p"] == pytest.approx(row["p"], abs=1e-4)


def test_race_probabilities_sum_to_one(forecaster):
    r = forecaster.race()
    assert [row["country"] for row in r["p_first"]] == list(COUNTRIES)
    total = sum(row["p"] for row in r["p_first"]) + r["p_neither_by_horizon"]["p"]
    ties = 1 - total
    assert -1e-3 <= ties < 0.05  # answers are rounded to 4 decimals
    for pair in r["pairs"]:
        within = [w["p"] for w in pair["p_gap_within"]]
        assert within == sorted(within)


def test_race_has_every_pair_and_keeps_the_two_country_fields(forecaster):
    r = forecaster.race(within_years=(0.5, 3.0), quantiles=(0.1, 0.5, 0.9))
    expected = [(a, b) for i, a in enumerate(COUNTRIES) for b in COUNTRIES[i + 1 :]]
    assert [(p["first"], p["second"]) for p in r["pairs"]] == expected
    ans = forecaster.scenario(None)
    for pair in r["pairs"]:
        a, b = ans.paths[pair["first"]].arrival, ans.paths[pair["second"]].arrival
        assert pair["p_first_before_second"]["p"] == pytest.approx(np.mean(a < b), abs=1e-4)
        assert [w["years"] for w in pair["p_gap_within"]] == [0.5, 3.0]
        assert [g["q"] for g in pair["gap_quantiles"]] == [0.1, 0.5, 0.9]
        finite = [g["years"] for g in pair["gap_quantiles"] if g["years"] is not None]
        assert finite == sorted(finite)
        assert 0 <= pair["p_first_before_second"]["mcse"] < 0.5
    # the two-country fields are the US-CN pair's, for the clients that read them
    if {"US", "CN"} <= set(COUNTRIES):
        us_cn = next(p for p in r["pairs"] if (p["first"], p["second"]) == ("US", "CN"))
        assert r["gap_quantiles"] == us_cn["gap_quantiles"]
        assert r["p_gap_within"] == us_cn["p_gap_within"]
        first = {row["country"]: row for row in r["p_first"]}
        assert r["p_cn_first"] == {"p": first["CN"]["p"], "mcse": first["CN"]["mcse"]}
        assert r["p_us_first"] == {"p": first["US"]["p"], "mcse": first["US"]["mcse"]}


def test_compare_race_gives_every_country_first(forecaster):
    c = forecaster.compare("race", "cn_efficiency_shock")
    deltas = {row["country"]: row for row in c["difference"]["p_first"]}
    assert list(deltas) == list(COUNTRIES)
    assert deltas["CN"]["delta"] >= 0  # a Chinese efficiency jump never makes China later
    assert c["difference"]["p_cn_first"] == {
        "delta": deltas["CN"]["delta"],
        "mcse": deltas["CN"]["mcse"],
    }


def test_trajectory_quantiles_in_natural_units(forecaster):
    t = forecaster.trajectory("compute_stock_h100e", "US", ["2025-12-31", "2030-06-30"])
    assert t["unit"] == "H100e"
    first, later = (p["quantiles"] for p in t["points"])
    assert [r["q"] for r in first] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    assert 5e6 < first[3]["value"] < 1e8  # Epoch: ~16M named US companies + share of Other
    assert later[3]["value"] > first[3]["value"]


def test_compare_reports_difference(forecaster):
    c = forecaster.compare("arrival", "tightened_controls", country="CN")
    assert set(c["answers"]) == {"tightened_controls", "status_quo"}
    median = next(q for q in c["difference"]["quantile_shift"] if q["q"] == 0.5)
    assert median["delta_years"] >= 0
    # relaxed controls raise legal imports x7 but cut smuggling x0.8: in draws where smuggling
    # dominates China's additions they fall, so the paired change of P may be zero within its
    # Monte Carlo error, not below it
    c = forecaster.compare("probability", "relaxed_controls", country="CN", by="2030-01-01")
    p = c["difference"]["p"]
    assert p["delta"] >= -2.0 * p["mcse"] - 1e-9


def test_surprise_percentiles(forecaster):
    s = forecaster.surprise("frontier_eci", "2024-12-26", 133.2, label="DeepSeek-V3")
    rows = {r["country"]: r for r in s["against"]}
    assert 0 <= rows["CN"]["percentile"] <= 100
    assert rows["US"]["percentile"] < rows["CN"]["percentile"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda f: f.arrival("FR"), "unknown country 'FR'; known countries: US, CN"),
        (lambda f: f.arrival("US", "nope"), "unknown scenario 'nope'"),
        (lambda f: f.trajectory("gdp", "US", ["2030-01-01"]), "unknown quantity 'gdp'"),
        (lambda f: f.probability("US", "2030-13-01"), "by: '2030-13-01' is not a date"),
        (lambda f: f.probability("US", "2070-01-01"), "outside the model's range"),
        (lambda f: f.arrival("US", quantiles=[0.5, 1.5]), "strictly between 0 and 1"),
        (lambda f: f.arrival("US", quantiles=[0.5] * 100), "between 1 and 99 levels"),
        (lambda f: f.trajectory("frontier_eci", "US", []), "at least one date"),
    ],
)
def test_bad_questions_give_clear_errors(forecaster, call, message):
    with pytest.raises((UsageError, UnknownScenarioError), match=message):
        call(forecaster)


def _scenarios_with_levers(forecaster):
    """Every bundled scenario with a start date, plus stock cuts starting on and off the grid."""
    out = {n: s for n, s in forecaster.scenarios.items() if s.start_year is not None}
    for start in (2026.5, 2026.6):
        out[f"cut_{start}"] = Scenario(
            name=f"cut_{start}",
            description="test",
            sources=(),
            start_year=start,
            levers={
                "CN": Levers(additions_multiplier=0.9, growth_multiplier=0.8),
                "US": Levers(additions_multiplier=0.9, efficiency_jump_oom=0.3),
            },
            threshold_horizon_minutes=None,
        )
    return out


def test_levers_change_nothing_before_their_start(forecaster):
    # A lever acts from its start date: the day before, every quantity of every country equals
    # the status quo, and an arrival before the start is the status quo's (the old projection
    # cut the stock from the grid point before the start, up to a quarter early).
    p = forecaster.projector
    for name, scenario in _scenarios_with_levers(forecaster).items():
        t = scenario.start_year - 1.0 / 365.25
        for code in COUNTRIES:
            paths = p.country(code, scenario)
            base = p.country(code)
            if t > p.axes.data_end:
                moved, still = p.at(paths, t), p.at(base, t)
                for q in QUANTITIES:
                    assert np.array_equal(moved[q], still[q]), (name, code, q)
            early = base.arrival < scenario.start_year
            assert np.array_equal(paths.arrival[early], base.arrival[early]), (name, code)
            assert np.all(paths.arrival[~early] >= scenario.start_year), (name, code)


def test_additions_cut_starts_at_the_start_date(forecaster):
    # A 10% cut of additions moves the stock by about 10% of one day's additions the day after
    # the start, not by a quarter's worth.
    p = forecaster.projector
    for start in (2026.5, 2026.6):
        s = Scenario(
            name="cut",
            description="test",
            sources=(),
            start_year=start,
            levers={"CN": Levers(additions_multiplier=0.9)},
            threshold_horizon_minutes=None,
        )
        t = start + 1.0 / 365.25
        cut = p.at(p.country("CN", s), t)["compute_stock_h100e"]
        base = p.at(p.country("CN"), t)["compute_stock_h100e"]
        assert np.all(cut <= base * (1 + 1e-6))
        assert np.median(cut / base) > 1 - 1e-3
        # and it keeps acting afterwards, on and off the grid points
        for later in (start + 1.0, start + 1.1):
            cut = p.at(p.country("CN", s), later)["compute_stock_h100e"]
            base = p.at(p.country("CN"), later)["compute_stock_h100e"]
            assert np.median(cut / base) < 0.99


def test_chip_additions_continue_from_the_last_observed_quarter(quick_run, capsys, monkeypatch):
    # The projection starts from the AR(1) state at the data end, not from the trend: the
    # fitted additions at the last observed quarter are the observation, and one quarter on the
    # projected median has moved by at most one quarter of trend growth plus one quarter of
    # AR(1) reversion (the old projection restarted 1.6x (US) and 1.8x (CN) above it).
    import json

    from forecast.cli.main import run
    from forecast.model.projection import _country_params
    from forecast.questions.forecaster import Forecaster

    store, result = quick_run
    forecaster = Forecaster.from_store(store, result.run_id)
    p = forecaster.projector
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    for code in COUNTRIES:
        argv = [
            "ask", "trajectory", "--quantity", "chip_additions_h100e_per_year",
            "--country", code, "--at", "2025-11-15", "--at", "2026-02-15", "--json",
            "--run", result.run_id,
        ]  # fmt: skip
        assert run(argv) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["unit"] == "H100e/yr"
        last_q, next_q = (
            next(q["value"] for q in pt["quantiles"] if q["q"] == 0.5) for pt in answer["points"]
        )
        ts, ys = p.stock_additions[code]
        last = float(np.exp(ys[-1]))
        assert last_q == pytest.approx(last, rel=0.02)
        prm = _country_params(p.draws, code)
        resid = ys[-1] - (prm["ln_a"] + prm["g"] * (ts[-1] - p.axes.reference))
        bound = np.median(np.abs(prm["g"])) / 4 + np.median(
            (1 - p.draws["stock_ar1"]) * np.abs(resid)
        )
        assert abs(np.log(next_q / last)) <= bound, (code, next_q, last, bound)


def test_spend_and_power_follow_additions_and_stock(forecaster):
    p = forecaster.projector
    for code in COUNTRIES:
        for t in (2025.5, 2027.0, 2030.0):
            v = forecaster.values_at(code, t, predictive=False)
            price = p.price_per_h100e(t)
            assert v["chip_spend_usd_per_year"] == pytest.approx(
                v["chip_additions_h100e_per_year"] * price, rel=1e-9
            )
            watts = v["chip_power_gw"] * 1e9 / v["compute_stock_h100e"]
            # the stock's mean TDP per H100e lies between today's chips' and older ones'
            assert np.all(watts >= p.watts_per_h100e(t) * (1 - 1e-6))
            assert np.all(watts <= p.watts_per_h100e(p.axes.origin))
        # spend saturates: additions spend stays below the spend ceiling, lifted by the share of
        # demand unmet at the data end (1 + u0^4)^(1/4) when a ceiling was already near there
        paths = p.baseline(code)
        spend = paths.additions * p.price_per_h100e(p.grid)[None, :]
        ceiling = p.draws[f"chip_spend_ceiling_{code.lower()}"]
        power_ceiling = p.draws[f"chip_power_ceiling_{code.lower()}"] * 1e9
        life = p.draws["chip_useful_life_years"]
        used = np.maximum(
            spend[:, 0] / ceiling,
            paths.additions[:, 0] * p.watts_per_h100e(p.grid[0]) * life / power_ceiling,
        )
        bound = ceiling * (1 + used**4) ** 0.25
        assert np.all(spend.max(axis=1) <= bound * (1 + 1e-6))
        assert np.all(np.isfinite(spend)) and np.all(spend > 0)


@pytest.mark.parametrize("m", [0.0, 0.37, 1.0, 1.8])
def test_additions_lever_fast_path_equals_the_full_recomputation(forecaster, m):
    proj = forecaster.projector
    base = proj.baseline("CN")
    t_s = 2027.3
    k0 = int(np.searchsorted(proj.grid, t_s - 1e-9))
    levers = Levers(additions_multiplier=m)
    fast = proj._stock_change("CN", base, k0, t_s, levers)
    stock, power, s1, p1, _ = proj._changed_levels("CN", base, k0, t_s, levers, raw=True)
    for got, new, old in ((fast[0], stock, s1), (fast[2], power, p1)):
        # where the multiplier 0 leaves almost nothing (history retiring), both lose precision
        alive = new > 1e-4 * old
        want = np.log(new[alive]) - np.log(old[alive])
        assert np.allclose(got[alive], want, rtol=1e-4, atol=1e-5)
        assert np.all(got[~alive] < np.log(1e-3))
