"""Scoring functions against hand-computed cases, plus properties (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.validation import scoring

pytestmark = pytest.mark.fast  # pure functions: no fit

SQRT_PI = math.sqrt(math.pi)


# -- CRPS ------------------------------------------------------------------------------------------
def test_crps_of_a_point_mass_is_the_absolute_error():
    assert scoring.crps_samples([3.0] * 50, 5.0) == pytest.approx(2.0)
    assert scoring.crps_samples([3.0], 1.5) == pytest.approx(1.5)
    assert scoring.crps_samples([3.0] * 7, 3.0) == pytest.approx(0.0)


def test_crps_of_two_equal_atoms_by_hand():
    # F = 1/2 on [0, 1): integral of (F - 1{x >= 0})^2 = 1/4 over [0, 1).
    assert scoring.crps_samples([0.0, 1.0], 0.0) == pytest.approx(0.25)
    # Observation in the middle: (1/2)^2 over [0, 1/2) and over [1/2, 1) -> 1/4.
    assert scoring.crps_samples([0.0, 1.0], 0.5) == pytest.approx(0.25)


def test_crps_of_a_gaussian_at_its_mean_matches_the_closed_form():
    # CRPS(N(0, s^2), 0) = s (2 phi(0) - 1/sqrt(pi)) = s (sqrt(2) - 1) / sqrt(pi).
    expected = (math.sqrt(2.0) - 1.0) / SQRT_PI
    assert scoring.crps_normal(0.0, 1.0, 0.0) == pytest.approx(expected, rel=1e-12)
    assert scoring.crps_normal(10.0, 3.0, 10.0) == pytest.approx(3.0 * expected, rel=1e-12)


def test_crps_of_gaussian_draws_approaches_the_closed_form():
    rng = np.random.default_rng(3)
    draws = rng.normal(1.0, 2.0, 200_000)
    for y in (-3.0, 1.0, 2.5, 9.0):
        assert scoring.crps_samples(draws, y) == pytest.approx(
            scoring.crps_normal(1.0, 2.0, y), rel=0.01, abs=0.005
        )


def test_crps_normal_far_from_the_mean_is_the_distance_minus_a_constant():
    # For |z| large, CRPS -> |y - mu| - s / sqrt(pi).
    assert scoring.crps_normal(0.0, 1.0, 40.0) == pytest.approx(40.0 - 1.0 / SQRT_PI)


def test_scores_reject_bad_input():
    with pytest.raises(ValueError, match="positive"):
        scoring.crps_normal(0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        scoring.crps_samples([0.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="at least one"):
        scoring.crps_samples([], 1.0)


# -- log score -------------------------------------------------------------------------------------
def test_log_score_of_a_gaussian_by_hand():
    assert scoring.log_score_normal(0.0, 1.0, 0.0) == pytest.approx(-0.5 * math.log(2 * math.pi))
    # ln N(3; 1, 2^2) = -ln 2 - ln(2 pi)/2 - (2/2)^2 / 2
    expected = -math.log(2.0) - 0.5 * math.log(2 * math.pi) - 0.5
    assert scoring.log_score_normal(1.0, 2.0, 3.0) == pytest.approx(expected)


def test_log_score_is_clipped_for_absurd_misses():
    assert scoring.log_score_normal(0.0, 1e-3, 1e3) == -1e3


def test_log_score_of_a_mixture_by_hand():
    # One component: the normal itself; two identical components: the same density.
    assert scoring.log_score_mixture([1.0], 2.0, 3.0) == pytest.approx(
        scoring.log_score_normal(1.0, 2.0, 3.0)
    )
    assert scoring.log_score_mixture([1.0, 1.0], [2.0, 2.0], 3.0) == pytest.approx(
        scoring.log_score_normal(1.0, 2.0, 3.0)
    )
    # Two unit normals at -1 and +1, observed at 0: density = phi(1).
    expected = math.log(math.exp(-0.5) / math.sqrt(2 * math.pi))
    assert scoring.log_score_mixture([-1.0, 1.0], 1.0, 0.0) == pytest.approx(expected)


def test_kernel_log_score_of_many_gaussian_draws_is_close_to_the_density():
    draws = np.random.default_rng(5).normal(0.0, 1.0, 50_000)
    assert scoring.log_score_samples(draws, 0.5) == pytest.approx(
        scoring.log_score_normal(0.0, 1.0, 0.5), abs=0.02
    )


# -- coverage --------------------------------------------------------------------------------------
def test_coverage_counts_by_hand():
    draws = np.arange(101.0)  # quantiles are exact: the q-quantile is 100 q
    assert scoring.central_interval(draws, 0.8) == pytest.approx((10.0, 90.0))
    observed = [5.0, 10.0, 50.0, 90.0, 95.0]
    flags = [scoring.inside(scoring.central_interval(draws, 0.8), y) for y in observed]
    assert flags == [False, True, True, True, False]
    scores = [scoring.score_samples(draws, y) for y in observed]
    table = scoring.summarize(scores)
    assert table["n"] == 5
    assert table["coverage80"] == pytest.approx(3 / 5)
    assert table["coverage50"] == pytest.approx(1 / 5)  # [25, 75] holds only 50
    assert table["coverage95"] == pytest.approx(5 / 5)  # [2.5, 97.5]


def test_normal_interval_and_score_normal():
    lo, hi = scoring.normal_interval(0.0, 1.0, 0.95)
    assert (lo, hi) == pytest.approx((-1.959964, 1.959964), abs=1e-6)
    s = scoring.score_normal(0.0, 1.0, 1.5)
    assert s.covered == (False, False, True)  # 50%: +-0.674, 80%: +-1.2816, 95%: +-1.96
    assert s.median == 0.0


def test_summarize_of_nothing_is_empty():
    assert scoring.summarize([]) == {
        "n": 0,
        "coverage50": None,
        "coverage80": None,
        "coverage95": None,
        "crps": None,
        "log_score": None,
    }


# -- properties ------------------------------------------------------------------------------------
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
draw_lists = st.lists(finite, min_size=1, max_size=40)


@given(draws=draw_lists, y=finite, shift=finite)
@settings(max_examples=200, deadline=None)
def test_crps_is_non_negative_bounded_and_translation_invariant(draws, y, shift):
    crps = scoring.crps_samples(draws, y)
    mae = float(np.mean(np.abs(np.asarray(draws) - y)))
    assert -1e-9 <= crps <= mae + 1e-9
    moved = scoring.crps_samples(np.asarray(draws) + shift, y + shift)
    assert moved == pytest.approx(crps, abs=1e-6 * (1.0 + abs(shift) + abs(y)))


@given(
    mu=finite,
    sd=st.floats(min_value=1e-2, max_value=1e2),
    y=finite,
    scale=st.floats(min_value=1e-2, max_value=1e2),
)
@settings(max_examples=200, deadline=None)
def test_crps_normal_scales_with_the_unit_and_is_minimised_at_the_mean(mu, sd, y, scale):
    crps = scoring.crps_normal(mu, sd, y)
    assert crps >= scoring.crps_normal(y, sd, y) - 1e-9
    assert scoring.crps_normal(scale * mu, scale * sd, scale * y) == pytest.approx(
        scale * crps, rel=1e-6, abs=1e-9
    )
