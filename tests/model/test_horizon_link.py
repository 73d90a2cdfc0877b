"""The kinked horizon-per-ECI link: continuous, increasing, and inverted exactly.

The link is log2 H = log2 h + m (C - 150) + (1 - r) m max(knot - C, 0); the projection maps a
threshold stated in minutes to ECI through its inverse, so the two must agree on every draw.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.model.equations import capability_for_log2_horizon, horizon_log2

pytestmark = pytest.mark.fast

positive = st.floats(0.05, 5.0, allow_nan=False)


def params(h0: float, m: float, r: float) -> dict[str, np.ndarray]:
    return {
        "horizon_at_eci150_v11": np.array([h0]),
        "horizon_at_eci150_v10": np.array([h0]),
        "horizon_doublings_per_eci_v11": np.array([m]),
        "horizon_doublings_per_eci_v10": np.array([m]),
        "horizon_slope_ratio_below_knot": np.array([r]),
    }


@given(
    h0=st.floats(1.0, 1000.0),
    m=positive,
    r=positive,
    knot=st.floats(100.0, 160.0),
    c=st.floats(60.0, 250.0),
)
def test_inverse_recovers_the_capability(h0, m, r, knot, c):
    p = params(h0, m, r)
    log2_h = horizon_log2(np.array([c]), 0, p, np, knot)
    back = capability_for_log2_horizon(log2_h, p, knot)
    assert back[0] == pytest.approx(c, rel=1e-9, abs=1e-7)


@given(h0=st.floats(1.0, 1000.0), m=positive, r=positive, knot=st.floats(100.0, 160.0))
def test_link_is_continuous_and_increasing_with_the_stated_slopes(h0, m, r, knot):
    p = params(h0, m, r)
    grid = np.linspace(knot - 20.0, knot + 20.0, 401)
    y = horizon_log2(grid, 0, p, np, knot)
    assert np.all(np.diff(y) > 0)
    eps = 1e-6
    below = (
        horizon_log2(knot - eps, 0, p, np, knot) - horizon_log2(knot - 2 * eps, 0, p, np, knot)
    ) / eps
    above = (
        horizon_log2(knot + 2 * eps, 0, p, np, knot) - horizon_log2(knot + eps, 0, p, np, knot)
    ) / eps
    assert below[0] == pytest.approx(r * m, rel=1e-4)
    assert above[0] == pytest.approx(m, rel=1e-4)


def test_without_a_knot_or_a_ratio_the_link_is_the_straight_line():
    p = params(150.0, 0.25, 0.5)
    c = np.array([120.0, 150.0, 180.0])
    straight = np.log2(150.0) + 0.25 * (c - 150.0)
    assert np.allclose(horizon_log2(c, 0, p, np), straight)
    p.pop("horizon_slope_ratio_below_knot")
    assert np.allclose(horizon_log2(c, 0, p, np, 140.0), straight)
