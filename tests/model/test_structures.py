"""Model structures: the general equation's limits, the projection's continuity per structure,
pinned parameters, the mixture's make-up and what a structure changes about a lever's effect."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from forecast.core.definitions import (
    MIXTURE,
    STRUCTURE_NAMES,
    STRUCTURES,
    UnknownStructureError,
    structure_info,
)
from forecast.model.equations import efficiency_years, gap_decay
from forecast.priors.scenarios import Levers, Scenario

pytestmark = pytest.mark.fast


def test_registry_names_switches_and_pins():
    assert len(STRUCTURES) >= 4 and STRUCTURE_NAMES[0] == "global_efficiency"
    assert set(STRUCTURE_NAMES) >= {
        "global_efficiency",
        "compute_driven_progress",
        "diffusion",
        "deployment_compute",
    }
    assert structure_info("diffusion").pinned == {"efficiency_compute_exponent": 0.0}
    assert structure_info("compute_driven_progress").switches["structure_compute_driven"] == 1.0
    with pytest.raises(UnknownStructureError, match="known structures"):
        structure_info("nope")


@settings(max_examples=60, deadline=None)
@given(
    t=st.floats(2015.0, 2040.0),
    phi=st.floats(0.01, 1.5),
    ln_rel=st.floats(-4.0, 1.0),
    g=st.floats(-0.5, 1.5),
    lag=st.floats(-1.0, 1.0),
)
def test_efficiency_years_is_the_integral_of_the_clock(t, phi, ln_rel, g, lag):
    exact, _ = integrate.quad(lambda s: np.exp(phi * (ln_rel + g * (s - 2025.0))), 2025.0, t)
    got = efficiency_years(np, t, 2025.0, lag, phi, ln_rel, g)
    assert got == pytest.approx(exact - lag, rel=1e-6, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(t=st.floats(2015.0, 2040.0), lag=st.floats(-1.0, 1.0))
def test_without_switches_the_clock_is_calendar_time(t, lag):
    assert efficiency_years(np, t, 2025.0, lag) == pytest.approx(t - 2025.0 - lag, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(kappa=st.floats(0.0, 3.0))
def test_gap_decay_is_smooth_at_the_reference_year(kappa):
    h = 1e-6
    assert gap_decay(np, 0.0, kappa) == 1.0
    left = (gap_decay(np, 0.0, kappa) - gap_decay(np, -h, kappa)) / h
    right = (gap_decay(np, h, kappa) - gap_decay(np, 0.0, kappa)) / h
    assert left == pytest.approx(-kappa, abs=1e-4) and right == pytest.approx(-kappa, abs=1e-4)
    assert gap_decay(np, 30.0, kappa) <= 1.0


def test_a_run_holds_every_structure_with_pinned_parameters(forecaster):
    run = forecaster.full_run
    assert [e["name"] for e in run.structures] == list(STRUCTURE_NAMES)
    assert sum(run.weights.values()) == pytest.approx(1.0)
    for name in STRUCTURE_NAMES:
        own = forecaster.for_structure(name)
        assert own.structure == name and own.run.chains == 2
        for key, value in structure_info(name).pinned.items():
            assert np.all(own.run.draws[key] == value)
        if structure_info(name).compute_driven:
            assert np.all(own.run.draws["efficiency_compute_exponent"] > 0)


def test_mixture_draws_follow_the_weights(forecaster):
    assert forecaster.structure == MIXTURE
    run = forecaster.run
    counts = np.bincount(run.structure, minlength=len(STRUCTURE_NAMES))
    weights = np.array([forecaster.full_run.weights[n] for n in STRUCTURE_NAMES])
    assert counts.sum() == forecaster.projector.n_draws
    assert np.allclose(counts / counts.sum(), weights, atol=2.0 / counts.sum() * run.chains)
    # each mixture draw is the stored draw it names
    for key in ("efficiency_rate", "compute_elasticity"):
        stored = forecaster.full_run.draws[key]
        assert np.array_equal(run.draws[key], stored[run.source_index])


@pytest.mark.parametrize("name", STRUCTURE_NAMES)
def test_history_meets_the_projection_at_the_data_end(forecaster, name):
    f = forecaster.for_structure(name)
    p = f.projector
    t = p.axes.data_end
    hist = p.history("CN", t)
    ahead = p.at(p.country("CN"), t)
    for q in ("frontier_eci", "effective_compute_flop", "compute_stock_h100e"):
        assert ahead[q] == pytest.approx(hist[q], rel=2e-3), q


def _cut(start: float = 2026.5, m: float = 0.3) -> Scenario:
    return Scenario(
        name="cut",
        description="test",
        sources=(),
        start_year=start,
        levers={"CN": Levers(additions_multiplier=m)},
        threshold_horizon_minutes=None,
    )


def test_compute_driven_progress_makes_chips_slow_algorithms(forecaster):
    f = forecaster.for_structure("compute_driven_progress")
    p = f.projector
    cut = p.country("CN", _cut())
    base = p.country("CN")
    # the same draws with the efficiency clock ignoring chips: only the compute channel acts
    still = dict(p.draws, efficiency_compute_exponent=np.zeros(p.n_draws))
    p0 = type(p)(still, f.run.settings, f.run.data_end, f.run.seed, f.run.meta["stock_additions"])
    k = int(np.searchsorted(p.grid, 2030.0))
    drop = base.capability[:, k] - cut.capability[:, k]
    drop0 = p0.country("CN").capability[:, k] - p0.country("CN", _cut()).capability[:, k]
    assert np.all(drop >= drop0 - 1e-4) and np.mean(drop > drop0 + 1e-3) > 0.9
    # and by exactly the slower clock's years, counted once: capability moves by
    # capability_per_oom x efficiency_rate x (change of clock years)
    t_s = 2026.5
    k0 = int(np.searchsorted(p.grid, t_s - 1e-9))
    base_b = p.baseline("CN")
    scenario = _cut()
    factors = p.channel_factors("CN", scenario, base_b, k0, t_s)
    _, dlog_add, _ = p._stock_change("CN", base_b, k0, t_s, scenario.lever("CN"), factors)
    rows, years = p._effort_change(
        base_b, k0, t_s, dlog_add, p.draws["efficiency_compute_exponent"]
    )
    slower = np.zeros(p.n_draws)
    rate = p.draws["capability_per_oom"] * p.draws["efficiency_rate"]
    slower[rows] = -(rate[rows] * years[:, k - k0])
    np.testing.assert_allclose(drop - drop0, slower, rtol=1e-3, atol=5e-4)
    assert np.all(
        cut.capability[:, : int(np.searchsorted(p.grid, 2026.5))]
        == base.capability[:, : int(np.searchsorted(p.grid, 2026.5))]
    )


def test_clock_change_matches_a_full_recomputation(forecaster):
    """The lever's efficiency change (fast path) equals the clock integrated over the changed
    additions."""
    f = forecaster.for_structure("compute_driven_progress")
    p = f.projector
    base = p.baseline("CN")
    t_s = 2026.5
    k0 = int(np.searchsorted(p.grid, t_s - 1e-9))
    m = 0.4
    phi = p.draws["efficiency_compute_exponent"]
    rows, change = p._effort_change(
        base, k0, t_s, np.full((p.n_draws, p.grid.size - k0), np.log(m)), phi
    )
    assert np.array_equal(rows, np.arange(p.n_draws))  # every draw of this structure has phi > 0
    flow = base.effort_flow.copy()
    flow[:, k0:] *= m ** phi[:, None]
    # exact at the grid points after the start's own interval
    full = p._cumulative(flow)[:, k0:] - p._cumulative(base.effort_flow)[:, k0:]
    lead = (p.grid[k0] - t_s) * base.effort_flow[:, k0] * (m**phi - 1.0)
    assert np.allclose(change, full + lead[:, None] - full[:, :1], rtol=1e-6, atol=1e-9)
    assert np.all(change[:, -1] < 0)


def test_race_shocks_start_at_zero_and_have_the_fitted_size(forecaster):
    p = forecaster.projector
    shocks = p.race_shocks["CN"]
    assert np.all(shocks[:, 0] == 0.0)
    late = shocks[:, -1] / p.draws["eci_record_noise"]
    assert np.std(late) == pytest.approx(1.0, abs=0.1)
    assert abs(np.corrcoef(p.race_shocks["US"][:, -1], p.race_shocks["CN"][:, -1])[0, 1]) < 0.1


def test_regime_breaks_follow_their_settings(forecaster):
    p = forecaster.projector
    onset, factor = p.regime
    rate = p.settings["regime_break_rate_per_year"]
    years = 10.0
    share = np.mean(onset < p.grid[0] + years)
    assert share == pytest.approx(1 - np.exp(-rate * years), abs=0.05)
    assert set(np.unique(factor)) <= {
        p.settings["regime_slowdown_factor"],
        p.settings["regime_acceleration_factor"],
    }
    trend = np.tile(10.0 * (p.grid - p.grid[0]), (p.n_draws, 1))
    change = p.regime_change(trend)
    late = p.grid[-1]
    hit = onset < late
    # after the onset the slope is scaled by the factor; before it nothing changes
    assert np.allclose(change[~hit], 0.0)
    i = np.flatnonzero(hit)[0]
    expected = (factor[i] - 1.0) * 10.0 * (late - onset[i])
    assert change[i, -1] == pytest.approx(expected, rel=1e-6)


def test_shapley_shares_add_up_to_the_total():
    from itertools import combinations

    from forecast.questions.structures import shapley

    names = ("a", "b", "c")
    rng = np.random.default_rng(4)
    value = {frozenset(c): float(rng.random()) for k in range(4) for c in combinations(names, k)}
    total = sum(shapley(n, value) for n in names)
    assert total == pytest.approx(value[frozenset(names)] - value[frozenset()])
