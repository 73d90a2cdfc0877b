"""Question maths against closed-form cases (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from forecast.core import mcstats
from forecast.model.paths import first_crossing, running_max
from forecast.model.projection import growth_integral

pytestmark = pytest.mark.fast  # closed-form cases: no fit

finite_years = st.floats(min_value=2020.0, max_value=2060.0, allow_nan=False)


@given(st.lists(finite_years, min_size=2, max_size=200), st.floats(0.01, 0.99))
def test_quantile_matches_numpy_on_finite_draws(values, q):
    draws = np.array(values)
    assert mcstats.quantile(draws, q) == pytest.approx(np.quantile(draws, q), abs=1e-9)


@given(st.integers(2, 300), st.integers(0, 300), st.floats(0.01, 0.99))
def test_quantile_with_inf_mass(n_finite, n_late, q):
    draws = np.concatenate([np.linspace(2030, 2040, n_finite), np.full(n_late, np.inf)])
    value = mcstats.quantile(draws, q)
    position = q * (draws.size - 1)
    if position >= n_finite:  # both neighbouring order statistics are "later"
        assert value == np.inf
    elif position <= n_finite - 2:  # both neighbours are finite arrivals
        assert 2030 <= value <= 2040


@given(st.lists(st.booleans(), min_size=1, max_size=500), st.floats(1.0, 5000.0))
def test_probability_and_mcse_closed_form(flags, n_eff):
    p, se = mcstats.probability(np.array(flags), n_eff)
    expected = sum(flags) / len(flags)
    assert p == pytest.approx(expected)
    assert se == pytest.approx(np.sqrt(expected * (1 - expected) / n_eff))


def test_quantile_mcse_uniform_closed_form():
    # For a uniform on [0, 10] with n draws, the quantile's sd is 10 sqrt(q(1-q)/n).
    draws = np.linspace(0.0, 10.0, 100_001)
    value, mcse = mcstats.quantile_with_mcse(draws, 0.5, 400.0)
    assert value == pytest.approx(5.0)
    assert mcse == pytest.approx(10 * np.sqrt(0.25 / 400.0), rel=1e-3)


@given(
    st.lists(st.one_of(finite_years, st.just(np.inf)), min_size=1, max_size=200),
    st.lists(finite_years, min_size=1, max_size=20),
)
def test_cdf_counts_and_is_monotone(values, grid_values):
    draws = np.array(values)
    grid = np.sort(np.array(grid_values))
    table = mcstats.cdf(draws, grid, n_eff=100.0)
    expected = [(draws <= t).mean() for t in grid]
    assert table[:, 0] == pytest.approx(expected)
    assert np.all(np.diff(table[:, 0]) >= 0)
    assert np.all(table[:, 1] >= 0)


def test_quarterly_grid_boundaries():
    grid = mcstats.quarterly_grid(2026.1, 2027.0)
    assert grid.tolist() == [2026.25, 2026.5, 2026.75, 2027.0]


def test_gap_years_infinities():
    us = np.array([2030.0, np.inf, 2031.0, np.inf])
    cn = np.array([2032.0, 2035.0, np.inf, np.inf])
    gap = mcstats.gap_years(us, cn)
    assert gap[0] == 2.0
    assert gap[1] == -np.inf
    assert gap[2] == np.inf
    assert np.isnan(gap[3])


@given(
    a=st.floats(100.0, 160.0),
    b=st.floats(0.5, 20.0),
    level=st.floats(100.0, 400.0),
)
@settings(max_examples=200)
def test_first_crossing_linear_path_closed_form(a, b, level):
    grid = np.arange(2026.0, 2060.0 + 1e-9, 0.25)
    path = (a + b * (grid - 2026.0))[None, :]
    t = first_crossing(grid, path, np.array([level]))[0]
    exact = 2026.0 + (level - a) / b
    if level <= a:
        assert t == 2026.0
    elif exact > 2060.0:
        assert t == np.inf
    else:
        assert t == pytest.approx(exact, abs=1e-9)


path_points = st.one_of(
    st.floats(-50.0, 50.0, width=32),
    st.sampled_from([np.nan, -np.inf, np.inf]),
)


@given(
    rows=st.lists(st.lists(path_points, min_size=1, max_size=40), min_size=1, max_size=6),
    levels=st.lists(st.one_of(st.floats(-60.0, 60.0), st.just(np.nan)), min_size=6, max_size=6),
)
@settings(max_examples=300)
def test_first_crossing_binary_search_equals_the_scan(rows, levels):
    # the running-maximum search gives the scan's answer on any path: wiggling, with NaN and
    # infinite points, levels anywhere (NaN too), rows of one point
    width = min(len(r) for r in rows)
    path = np.array([r[:width] for r in rows], dtype=np.float32)
    level = np.array(levels[: path.shape[0]])
    grid = 2026.0 + 0.25 * np.arange(width)
    scan = first_crossing(grid, path, level)
    search = first_crossing(grid, path, level, peak=running_max(path))
    np.testing.assert_array_equal(search, scan)


def test_first_crossing_search_compares_float32_paths_exactly():
    # levels a hair above, at and below a float32 point of the path: the search rounds the
    # level to float32 upwards, so it decides each as the float64 comparison does
    point = np.float32(0.1)  # 0.10000000149...
    path = np.tile(np.array([0.0, point, point], dtype=np.float32), (4, 1))
    level = np.array([0.1, float(point), np.nextafter(float(point), 1.0), 0.3])
    grid = np.array([2026.0, 2026.25, 2026.5])
    scan = first_crossing(grid, path, level)
    np.testing.assert_array_equal(first_crossing(grid, path, level, running_max(path)), scan)
    assert np.isfinite(scan[:2]).all() and np.isinf(scan[2:]).all()


@given(
    delta=st.floats(0.0, 40.0),
    g0=st.floats(-1.0, 3.0),
    g_inf=st.floats(-0.5, 1.0),
    tau=st.floats(0.5, 50.0),
)
def test_growth_integral_matches_quadrature(delta, g0, g_inf, tau):
    # adaptive quadrature, not a fixed grid: the two terms may nearly cancel (g0 < 0 < g_inf),
    # so the error is judged against the size of the terms, not of their sum
    numeric, _ = integrate.quad(
        lambda s: g_inf + (g0 - g_inf) * np.exp(-s / tau), 0.0, delta, epsabs=1e-12, epsrel=1e-12
    )
    closed = growth_integral(np.array(delta), np.array(g0), np.array(g_inf), np.array(tau))
    scale = abs(g_inf) * delta + abs(g0 - g_inf) * tau
    assert float(closed) == pytest.approx(numeric, rel=1e-9, abs=1e-9 * (1.0 + scale))


def test_effective_size_iid_draws_near_n():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=4000)
    ess = mcstats.effective_size(draws, chains=4)
    assert 3000 < ess <= 4000


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    chains=st.sampled_from([1, 2, 4]),
    stickiness=st.floats(0.0, 0.99),
    tie_share=st.floats(0.0, 0.5),
    low_share=st.floats(0.0, 0.2),
)
def test_effective_size_is_arviz_bulk_ess(seed, chains, stickiness, tie_share, low_share):
    """Our bulk ESS is arviz_stats' bulk ESS, ties and infinities included (+inf ranked as one
    value above the finite draws, -inf as one below), and the draws come back sorted."""
    from arviz_stats.base import array_stats

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(chains, 400))
    for k in range(1, x.shape[1]):  # AR(1) chains
        x[:, k] = stickiness * x[:, k - 1] + x[:, k]
    x[rng.random(x.shape) < tie_share] = np.inf  # "later than the horizon": one tied value
    x[rng.random(x.shape) < low_share] = -np.inf
    flat = x.reshape(-1)
    ordered, ours = mcstats.sorted_with_ess(flat, chains=chains)
    assert ours == mcstats.effective_size(flat, chains=chains)
    np.testing.assert_array_equal(ordered, np.sort(flat))
    ok = np.isfinite(flat)
    if not ok.any():
        return
    finite = np.where(flat == np.inf, flat[ok].max() + 1.0, flat)
    finite = np.where(finite == -np.inf, flat[ok].min() - 1.0, finite)
    theirs = float(
        array_stats.ess(finite.reshape(chains, -1), chain_axis=0, draw_axis=1, method="bulk")
    )
    assert ours == pytest.approx(float(np.clip(theirs, 1.0, flat.size)), rel=1e-9)


def test_effective_size_sticky_chains_is_small():
    draws = np.repeat(np.arange(40.0), 100)  # 4 chains, each made of long constant runs
    ess = mcstats.effective_size(draws, chains=4)
    assert ess < 400
