"""Thresholds, levers, conditions, drivers, external forecasts and the Metaculus export on the
session's quick fit."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.core.errors import UsageError
from forecast.data.observations import COUNTRIES
from forecast.priors.scenarios import CHANNEL_LEVERS
from forecast.questions import custom
from forecast.questions.conditional import TooFewDrawsError
from forecast.questions.drivers import GROUPS, drivers
from forecast.questions.external import external, load_external
from forecast.questions.metaculus import metaculus_forecast, rule_violations
from forecast.questions.thresholds import load_thresholds


def median(f, country: str, threshold: str | None = None, **kw) -> float:  # type: ignore[no-untyped-def]
    options = custom.parse_options(threshold, kw.pop("levers", None), kw.pop("given", None))
    answer = custom.ask(f, "arrival", options, country=country, quantiles=(0.5,), cdf=False, **kw)
    year = answer["quantiles"][0]["year"]
    return float("inf") if year is None else year


@pytest.mark.parametrize("lower_open", [False, True])
@pytest.mark.parametrize("upper_open", [False, True])
def test_metaculus_export_passes_every_rule(forecaster, lower_open, upper_open) -> None:  # type: ignore[no-untyped-def]
    for scenario in forecaster.scenarios:
        for country in COUNTRIES:
            for lower, upper in (("2026-01-01", None), ("2025-06-01", "2035-01-01")):
                a = metaculus_forecast(
                    forecaster, country, scenario, lower, upper, lower_open, upper_open
                )
                assert rule_violations(a["cdf"], lower_open, upper_open) == {}
                assert len(a["cdf"]) == 201 and all(r["passed"] for r in a["rules"])
                # a closed upper bound must hold every draw: the mass the model puts beyond it
                # (draws that never arrive) moves inside
                beyond = 0.0 if upper_open else 1.0 - a["model_cdf"][-1]
                assert np.max(np.abs(np.array(a["cdf"]) - a["model_cdf"])) < 0.2 + beyond


def test_default_threshold_is_unchanged(forecaster) -> None:  # type: ignore[no-untyped-def]
    plain = forecaster.arrival("US", cdf=False)
    same = custom.ask(forecaster, "arrival", custom.parse_options(), country="US", cdf=False)
    assert plain == same


def test_named_thresholds_order(forecaster) -> None:  # type: ignore[no-untyped-def]
    for c in COUNTRIES:
        m = [median(forecaster, c, n) for n in ("work_day", "work_week", "work_month", "work_year")]
        assert m == sorted(m)
        assert median(forecaster, c, "work_week_80") >= median(forecaster, c, "work_week")
        assert median(forecaster, c, "eci_160") <= median(forecaster, c, "eci_175")


def test_custom_equals_named(forecaster) -> None:  # type: ignore[no-untyped-def]
    named = load_thresholds().named["work_month"]
    for c in COUNTRIES:
        assert median(forecaster, c, "work_month") == median(
            forecaster, c, f"horizon50:{named.value}"
        )
        factor = load_thresholds().horizon80_to_horizon50
        assert median(forecaster, c, "horizon80:2400") == median(
            forecaster, c, f"horizon50:{2400 * factor!r}"
        )


def test_horizon_threshold_matches_a_scenario_override(forecaster) -> None:  # type: ignore[no-untyped-def]
    """A fixed 50% horizon threshold equals the projector's own override of the threshold."""
    from dataclasses import replace

    from forecast.priors.scenarios import get_scenario

    base = get_scenario("status_quo", forecaster.scenarios)
    fixed = replace(base, threshold_horizon_minutes=2400.0, start_year=2025.0)
    for c in COUNTRIES:
        want = np.sort(forecaster.projector.country(c, fixed).arrival)
        options = custom.parse_options("horizon50:2400")
        got, _ = custom.projection(forecaster, None, options)
        assert np.allclose(np.sort(got.paths[c].arrival), want, equal_nan=True)


def test_adhoc_levers_equal_the_named_scenario(forecaster) -> None:  # type: ignore[no-untyped-def]
    named = forecaster.scenarios["tightened_controls"]
    texts = [f"start={named.start_date.isoformat()}"]
    for c in COUNTRIES:
        for k, v in vars(named.lever(c)).items():
            texts.append(f"{c}.{k}={v!r}")
        for channel, levers in named.channel_levers(c).items():
            for k in CHANNEL_LEVERS:
                texts.append(f"{c}.{channel}.{k}={getattr(levers, k)!r}")
    assert any(t.startswith("CN.legal.") for t in texts)  # channel levers are laid too
    options = custom.parse_options(levers=texts)
    for c in COUNTRIES:
        a = custom.ask(forecaster, "arrival", options, country=c, cdf=False)
        b = forecaster.arrival(c, "tightened_controls", cdf=False)
        assert a["quantiles"] == b["quantiles"] and a["p_later"] == b["p_later"]


def test_levers_combine_with_a_scenario(forecaster) -> None:  # type: ignore[no-untyped-def]
    stronger = median(
        forecaster, "CN", levers=["CN.additions_multiplier=0.2"], scenario="tightened_controls"
    )
    assert stronger >= median(forecaster, "CN", scenario="tightened_controls")


def test_given_equals_manual_subset(forecaster) -> None:  # type: ignore[no-untyped-def]
    cond = "CN.frontier_eci>=150@2027-06-30"
    options = custom.parse_options(given=[cond])
    a = custom.ask(forecaster, "probability", options, country="US", by="2029-01-01")
    t = 2027.4959  # 2027-06-30
    values = forecaster.projector.at(forecaster.scenario(None).paths["CN"], t)["frontier_eci"]
    keep = values >= 150
    arrival = forecaster.scenario(None).paths["US"].arrival[keep]
    assert a["p"] == pytest.approx(float(np.mean(arrival <= 2029.0)), abs=2e-3)
    assert a["options"]["given"]["kept_draws"] == int(keep.sum())


def test_given_refuses_too_few_draws(forecaster) -> None:  # type: ignore[no-untyped-def]
    options = custom.parse_options(given=["CN.frontier_eci>=400@2026-06-30"])
    with pytest.raises(TooFewDrawsError, match="effective draws"):
        custom.ask(forecaster, "arrival", options, country="US")
    with pytest.raises(UsageError):
        custom.ask(
            forecaster,
            "trajectory",
            options,
            quantity="frontier_eci",
            country="US",
            at=["2027-01-01"],
        )


def test_drivers(forecaster) -> None:  # type: ignore[no-untyped-def]
    for c in COUNTRIES:
        d = drivers(forecaster, c, bootstrap=50)
        shares = {r["group"]: r["share"] for r in d["groups"]}
        assert set(shares) == set(GROUPS) and not d["unassigned_variables"]
        assert all(-0.2 < s < 1.2 for s in shares.values())
        assert all(r["mcse"] > 0 for r in d["groups"])
        assert max(shares, key=shares.get) in ("threshold", "projection_noise")
    p = drivers(forecaster, "CN", "p_by", by="2030-01-01", bootstrap=20)
    assert p["scale"] == "indicator"
    with pytest.raises(UsageError):
        drivers(forecaster, "CN", "p_by")


def test_external(forecaster) -> None:  # type: ignore[no-untyped-def]
    rows = load_external()
    assert len(rows) >= 10 and all(r.maps_to in load_thresholds().named for r in rows)
    e = external(forecaster)
    for row in e["forecasts"]:
        assert len(row["ours"]["quantiles"]) == len(row["quantiles"])
        assert row["mapping"] and row["citation"]


def test_drivers_under_a_fixed_threshold(forecaster) -> None:  # type: ignore[no-untyped-def]
    free = drivers(forecaster, "US", bootstrap=20)
    fixed = drivers(forecaster, "US", bootstrap=20, threshold="work_month")
    share = {r["group"]: r["share"] for r in fixed["groups"]}
    assert share["threshold"] < {r["group"]: r["share"] for r in free["groups"]}["threshold"]
    assert fixed["options"]["threshold"]["name"] == "work_month"
