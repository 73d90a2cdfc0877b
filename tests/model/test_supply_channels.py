"""China's supply channels: registry, observations, likelihood, projection and levers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from point_helpers import initial_parameters
from scipy import stats

from forecast.core.definitions import (
    _load_components,
    component_key,
    country_info,
    parameter_names,
    supply_splits,
)
from forecast.core.errors import ForecastError, UsageError
from forecast.model.projection import saturation
from forecast.priors.scenarios import get_scenario, load_scenarios, parse_scenarios
from forecast.questions.levers import parse_lever, parse_levers, with_levers

DATA = Path(__file__).resolve().parents[2] / "forecast" / "data" / "compute_stock.csv"


# -- registry and parameters (fast) ---------------------------------------------------------


@pytest.mark.fast
def test_china_channels_partition_its_holders():
    cn = country_info("CN")
    assert [c.name for c in cn.components] == ["domestic", "legal", "smuggled"]
    held = sorted(h for c in cn.components for h in c.holders)
    assert held == sorted(h for h, _ in cn.stock_holders)
    assert [(code, c.name) for code, c in supply_splits()] == [("CN", "legal"), ("CN", "smuggled")]
    assert country_info("US").components == ()
    names = parameter_names()
    for key in (
        "supply_logratio_2025_cn_legal",
        "supply_logratio_trend_cn_smuggled",
        "supply_regime_effect_cn_legal",
        "supply_share_noise_cn",
        "chip_capacity_ceiling_cn_domestic",
        "chip_capacity_growth_cn_domestic",
    ):
        assert key in names
    # the reference channel has no log-ratio of its own; only legal has a policy event
    assert "supply_logratio_2025_cn_domestic" not in names
    assert "supply_regime_effect_cn_smuggled" not in names


@pytest.mark.fast
@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"a": {"holders": ["x"]}}, "at least two channels"),
        ({"a": {"holders": ["x"]}, "b": {"holders": ["zz"]}}, "not one of the country's"),
        ({"a": {"holders": ["x"]}, "b": {"holders": ["x"]}}, "partition"),
        ({"a": {"holders": ["x"]}, "B": {"holders": ["y"]}}, "lower-case"),
        ({"a": {"holders": ["x"]}, "b": {"holders": ["y"], "cap": 1}}, "unknown keys"),
        ({"a": {"holders": ["x"]}, "b": {"holders": ["y"], "regime_start": "x"}}, "TOML date"),
    ],
)
def test_bad_channel_tables_say_where_and_why(table, message):
    with pytest.raises(ForecastError, match=message):
        _load_components(Path("countries.toml"), "[country.CN]", table, {"x": 1.0, "y": 1.0})


# -- observations (fast) ----------------------------------------------------------------------


@pytest.mark.fast
def test_channel_log_ratios_come_from_the_chip_owner_table():
    from forecast.fit.sampling import prepare

    _, obs, _ = prepare("default")
    s = obs.supply_shares
    raw = pd.read_csv(DATA)
    wide = raw.pivot_table(index="quarter", columns="holder", values="h100e").fillna(0.0)
    added = wide.diff().fillna(wide.iloc[:1])
    legal = added["china_nvidia"] + added["china_amd"]
    domestic = added["china_huawei"] + added["china_cambricon"]
    # 2025Q3: Nvidia's legal sales had all but stopped (2,543 H100e against ~140k domestic)
    t_q3 = 2025.625
    i = int(np.argmin(np.abs(s.t - t_q3) + 10 * (s.extra["split"] != 0)))
    assert s.value[i] == pytest.approx(np.log(legal["2025Q3"] / domestic["2025Q3"]))
    # both channels exist from 2024Q1: eight quarters each; legal's policy step from 2025Q2
    assert s.n == 16
    legal_rows = s.extra["split"] == 0
    assert s.extra["regime"][legal_rows].tolist() == [0] * 5 + [1] * 3
    assert not s.extra["regime"][~legal_rows].any()


@pytest.mark.fast
def test_channel_likelihood_is_the_normal_density_of_the_log_ratios():
    from forecast.fit.sampling import prepare
    from forecast.model.graph import TimelineModel

    prior_set, obs, _ = prepare("default")
    model = TimelineModel(obs, prior_set).build()
    point, params = initial_parameters(model)
    logp = float(model.compile_logp(vars=[model["supply_share_obs"]], sum=True)(point))
    s = obs.supply_shares
    expected = 0.0
    for i in range(s.n):
        code, comp = supply_splits()[int(s.extra["split"][i])]
        mu = params[component_key("supply_logratio_2025", code, comp.name)] + params[
            component_key("supply_logratio_trend", code, comp.name)
        ] * (s.t[i] - prior_set.settings["reference_year"])
        if comp.regime_start is not None:
            mu += (
                params[component_key("supply_regime_effect", code, comp.name)]
                * s.extra["regime"][i]
            )
        expected += stats.norm.logpdf(s.value[i], mu, params["supply_share_noise_cn"])
    assert logp == pytest.approx(expected, rel=1e-6)


# -- scenarios and levers (fast) --------------------------------------------------------------

_HEAD = """
[scenario.status_quo]
description = "x"
sources = ["x"]
[scenario.cut]
description = "x"
sources = ["x"]
start = 2026-07-01
"""


@pytest.mark.fast
def test_channel_tables_in_a_scenario_file():
    parsed = parse_scenarios(
        _HEAD + "[scenario.cut.CN]\nadditions_multiplier = 0.9\n"
        "[scenario.cut.CN.smuggled]\nadditions_multiplier = 0.5\ngrowth_multiplier = 0.8\n"
    )
    cut = parsed["cut"]
    assert cut.lever("CN").additions_multiplier == 0.9
    smuggled = cut.channel_levers("CN")["smuggled"]
    assert (smuggled.additions_multiplier, smuggled.growth_multiplier) == (0.5, 0.8)
    assert not cut.is_baseline
    assert cut.to_dict()["channel_levers"]["CN"]["smuggled"]["additions_multiplier"] == 0.5


@pytest.mark.fast
@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[scenario.cut.CN.imports]\nadditions_multiplier = 0.5\n", "unknown supply channel"),
        ("[scenario.cut.US.legal]\nadditions_multiplier = 0.5\n", "unknown supply channel"),
        ("[scenario.cut.CN.legal]\nefficiency_jump_oom = 0.5\n", "takes only"),
        ("[scenario.cut.CN.legal]\nadditions_multiplier = -1\n", "at least 0"),
    ],
)
def test_bad_channel_tables_are_rejected_with_their_key(table, message):
    from forecast.priors.scenarios import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        parse_scenarios(_HEAD + table)


@pytest.mark.fast
def test_bundled_control_scenarios_act_per_channel():
    scenarios = load_scenarios()
    tight = scenarios["tightened_controls"].channel_levers("CN")
    assert tight["legal"].additions_multiplier == 0.0
    assert 0 < tight["smuggled"].additions_multiplier < 1
    assert scenarios["relaxed_controls"].channel_levers("CN")["legal"].additions_multiplier > 1
    embargo = scenarios["full_embargo"]
    assert embargo.lever("CN").additions_multiplier == 0.0
    assert embargo.start_date.isoformat() == "2026-07-01"


@pytest.mark.fast
def test_channel_levers_per_request():
    lever = parse_lever("CN.smuggled.additions_multiplier=0.5")
    assert (lever.country, lever.channel, lever.name, lever.value) == (
        "CN",
        "smuggled",
        "additions_multiplier",
        0.5,
    )
    assert lever.text == "CN.smuggled.additions_multiplier=0.5"
    base = get_scenario("tightened_controls")
    laid = with_levers(base, parse_levers(["CN.smuggled.additions_multiplier=0.2"]), "x")
    assert laid.channel_levers("CN")["smuggled"].additions_multiplier == 0.2
    # the scenario's other channel levers stay
    assert laid.channel_levers("CN")["legal"].additions_multiplier == 0.0
    for bad, message in [
        ("US.legal.additions_multiplier=0.5", "no supply channel"),
        ("CN.imports.additions_multiplier=0.5", "no supply channel"),
        ("CN.legal.efficiency_jump_oom=0.5", "takes only"),
        ("legal.additions_multiplier=0.5", "name the country"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_lever(bad)
    with pytest.raises(UsageError, match="given twice"):
        parse_levers(["CN.legal.additions_multiplier=1", "CN.legal.additions_multiplier=2"])


# -- projection (one quick fit) ---------------------------------------------------------------

PAST, FUTURE = (2024.6, 2025.9), (2026.25, 2027.5, 2032.0)  # future dates on the grid


def _channels(forecaster, t, scenario=None):
    proj = forecaster.projector
    return {
        c.name: proj.channel_values("CN", c.name, t, scenario)
        for c in country_info("CN").components
    }


def test_channels_add_up_to_the_country(forecaster):
    proj = forecaster.projector
    for t in PAST:
        parts = _channels(forecaster, t)
        whole = proj.history("CN", t)
        for q in ("chip_additions_h100e_per_year", "compute_stock_h100e"):
            total = sum(p[q] for p in parts.values())
            # past stock: channel windows by quadrature against the closed form
            np.testing.assert_allclose(total, whole[q], rtol=2e-3)
    for t in FUTURE:
        parts = _channels(forecaster, t)
        whole = proj.at(proj.country("CN"), t)
        for q in ("chip_additions_h100e_per_year", "compute_stock_h100e"):
            total = sum(p[q] for p in parts.values())
            np.testing.assert_allclose(total, whole[q], rtol=2e-3)
    # between grid points each path is interpolated on its own: close, not exact
    parts = _channels(forecaster, 2026.1)
    whole = proj.at(proj.country("CN"), 2026.1)
    for q in ("chip_additions_h100e_per_year", "compute_stock_h100e"):
        gap = sum(p[q] for p in parts.values()) / whole[q] - 1.0
        assert abs(np.median(gap)) < 2e-3 and np.max(np.abs(gap)) < 0.05


def test_domestic_output_saturates_against_its_ceiling(forecaster):
    proj = forecaster.projector
    cap = proj.capacity("CN", "domestic", proj.grid)
    # demand growing 1 ln/yr from today's level: far above any ceiling within decades
    demand = 1.2e6 * np.exp(1.0 * (proj.grid - proj.grid[0]))[None, :] * np.ones((cap.shape[0], 1))
    _, shares = proj._channel_supply("CN", demand)
    total, _ = proj._channel_supply("CN", demand)
    domestic = total * shares["domestic"]
    wanted = demand * proj.channel_shares("CN", proj.grid)["domestic"]
    lift = 1.0 / saturation(wanted[:, :1] / cap[:, :1])  # continuity at the data end
    assert np.all(domestic <= cap * lift * (1 + 1e-6))  # shares are stored as float32
    np.testing.assert_allclose(domestic[:, 0], wanted[:, 0], rtol=1e-6)
    # decades on, output sits at the (lifted) ceiling, not at demand
    far = wanted[:, -1] > 100 * cap[:, -1]  # demand far above the ceiling (nearly every draw)
    assert far.mean() > 0.95
    np.testing.assert_allclose(domestic[far, -1], (cap * lift)[far, -1], rtol=1e-3)
    # the other channels are not capped
    for name in ("legal", "smuggled"):
        wanted = demand * proj.channel_shares("CN", proj.grid)[name]
        normal = shares[name] > 1e-30  # float32 shares lose precision below its normal range
        np.testing.assert_allclose((total * shares[name])[normal], wanted[normal], rtol=1e-5)


def test_channel_levers_change_nothing_before_the_start(forecaster):
    tight = get_scenario("tightened_controls", forecaster.scenarios)
    proj = forecaster.projector
    before = tight.start_year - 1.0 / 365
    for name, values in _channels(forecaster, before, tight).items():
        same = _channels(forecaster, before)[name]
        for q, v in values.items():
            np.testing.assert_allclose(v, same[q], err_msg=f"{name} {q}")
    base = proj.country("CN")
    paths = proj.country("CN", tight)
    for q, v in proj.at(paths, before).items():
        np.testing.assert_allclose(v, proj.at(base, before)[q], rtol=1e-6, err_msg=q)


def test_a_channel_lever_moves_its_channel_only(forecaster):
    proj = forecaster.projector
    cut = with_levers(
        get_scenario("status_quo", forecaster.scenarios),
        parse_levers(["CN.smuggled.additions_multiplier=0.5", "start=2026-07-01"]),
        "smuggling_halved",
    )
    t = 2028.0
    changed, same = _channels(forecaster, t, cut), _channels(forecaster, t)
    q = "chip_additions_h100e_per_year"
    np.testing.assert_allclose(changed["smuggled"][q], 0.5 * same["smuggled"][q], rtol=1e-6)
    for name in ("legal", "domestic"):
        np.testing.assert_allclose(changed[name][q], same[name][q], rtol=1e-6)
    # the country's additions fall by exactly the smuggled channel's loss
    whole = proj.at(proj.country("CN", cut), t)[q]
    base = proj.at(proj.country("CN"), t)[q]
    np.testing.assert_allclose(base - whole, 0.5 * same["smuggled"][q], rtol=1e-3)
    # and China is never earlier with fewer chips
    assert np.all(proj.country("CN", cut).arrival >= proj.country("CN").arrival - 1e-9)


def test_every_channel_at_zero_is_the_full_embargo(forecaster):
    proj = forecaster.projector
    zero = with_levers(
        get_scenario("status_quo", forecaster.scenarios),
        parse_levers(
            [
                "CN.legal.additions_multiplier=0",
                "CN.smuggled.additions_multiplier=0",
                "CN.domestic.additions_multiplier=0",
                "start=2026-07-01",
            ]
        ),
        "zero",
    )
    embargo = get_scenario("full_embargo", forecaster.scenarios)
    a = proj.country("CN", zero).arrival
    b = proj.country("CN", embargo).arrival
    np.testing.assert_allclose(a, b, rtol=1e-5)
    # once the last chip bought before the embargo retires, China has no compute and never
    # arrives later (no crossing from the rounding residue of a retired stock)
    assert np.all(np.isinf(b) | (b < 2026.5 + 8.0))


def test_component_trajectory_answers(forecaster):
    answer = forecaster.trajectory(
        "chip_additions_h100e_per_year",
        "CN",
        ["2025-11-15", "2027-01-01"],
        "tightened_controls",
        (0.05, 0.5, 0.95),
        component="legal",
    )
    assert answer["component"] == "legal"
    legal_2027 = answer["points"][1]["quantiles"][1]["value"]
    assert legal_2027 == 0.0  # no licensed sales under tightened controls
    with pytest.raises(UsageError, match="only"):
        forecaster.trajectory("frontier_eci", "CN", ["2027-01-01"], component="legal")
    with pytest.raises(UsageError, match="no supply channels"):
        forecaster.trajectory("compute_stock_h100e", "US", ["2027-01-01"], component="legal")
    with pytest.raises(UsageError, match="no supply component"):
        forecaster.trajectory("compute_stock_h100e", "CN", ["2027-01-01"], component="imports")
