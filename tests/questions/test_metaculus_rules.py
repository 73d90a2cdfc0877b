"""The Metaculus export follows Metaculus's submission rules for any model CDF (no fit needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.questions.metaculus import (
    MAX_STEP,
    MIN_STEP,
    OPEN_BOUND_MASS,
    POINTS,
    conform,
    rule_violations,
)


def raw_cdf(draws: np.ndarray, lo: float, hi: float) -> np.ndarray:
    grid = np.linspace(lo, hi, POINTS)
    return np.searchsorted(np.sort(draws), grid, side="right") / draws.size


draw_sets = st.lists(
    st.one_of(st.floats(2020, 2070, allow_nan=False), st.just(float("inf"))),
    min_size=1,
    max_size=400,
).map(np.array)


@settings(max_examples=300, deadline=None)
@given(draw_sets, st.booleans(), st.booleans(), st.floats(2024, 2040), st.floats(0.5, 30))
def test_any_model_cdf_passes_every_rule(
    draws: np.ndarray, lower_open: bool, upper_open: bool, lo: float, width: float
) -> None:
    cdf, costs = conform(raw_cdf(draws, lo, lo + width), lower_open, upper_open)
    assert rule_violations(cdf, lower_open, upper_open) == {}
    assert 0.0 <= costs["adjustment"] <= 1.0


@pytest.mark.parametrize("value", [2030.0, 2050.0, 2010.0, float("inf")])
@pytest.mark.parametrize("lower_open", [False, True])
@pytest.mark.parametrize("upper_open", [False, True])
def test_point_masses_inside_and_outside(value: float, lower_open: bool, upper_open: bool) -> None:
    cdf, _ = conform(raw_cdf(np.full(100, value), 2026.0, 2046.0), lower_open, upper_open)
    assert rule_violations(cdf, lower_open, upper_open) == {}


def test_each_rule_is_detected() -> None:
    good, _ = conform(raw_cdf(np.linspace(2027, 2035, 500), 2026.0, 2046.0), False, True)
    assert rule_violations(good, False, True) == {}
    assert "points" in rule_violations(good[:-1], False, True)
    flat = good.copy()
    flat[10] = flat[9]
    assert "min_step" in rule_violations(flat, False, True)
    jump = np.linspace(0.0, 0.7, POINTS)
    jump[100:] += 1.2 * MAX_STEP
    assert "max_step" in rule_violations(jump, False, True)
    assert "lower_bound" in rule_violations(good, True, True)  # cdf[0] == 0 with an open bound
    assert "upper_bound" in rule_violations(good, False, False)  # cdf[-1] < 1 with a closed one
    assert good[0] == 0.0 and good[-1] <= 1 - OPEN_BOUND_MASS
    assert np.diff(good).min() >= MIN_STEP


def test_model_mass_is_kept_where_the_rules_allow() -> None:
    draws = np.concatenate([np.full(30, 2025.0), np.linspace(2027, 2040, 600), np.full(70, np.inf)])
    cdf, costs = conform(raw_cdf(draws, 2026.0, 2046.0), True, True)
    assert cdf[0] == pytest.approx(30 / 700, abs=2e-3)
    assert 1 - cdf[-1] == pytest.approx(70 / 700, abs=2e-3)
    assert costs["adjustment"] < 0.02
    closed, costs = conform(raw_cdf(draws, 2026.0, 2046.0), False, False)
    assert closed[0] == 0.0 and closed[-1] == 1.0
    assert costs["dropped_below"] == pytest.approx(30 / 700, abs=1e-6)
    assert costs["dropped_above"] == pytest.approx(70 / 700, abs=1e-6)
