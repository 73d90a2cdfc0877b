"""The model's equations as plain functions, shared by the PyMC graph and the projection.

Each function takes an array namespace ``xp`` (numpy or pytensor.tensor) where it needs one, so
the same equation runs inside the sampler and in the numpy forward projection; this module does
not import PyMC, so answering questions from a stored run stays light. Units: t in decimal
years, stock in H100e, compute in FLOP, capability in ECI points, horizons in minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from forecast.core.definitions import COUNTRIES, FOLLOWERS, country_key

REFERENCE_LOG10_FLOP = 26.0  # centre of the compute axis: priors state levels at 1e26 FLOP
REFERENCE_ECI = 150.0  # centre of the ECI axis: horizon priors are stated at ECI 150
LN10 = float(np.log(10.0))


@dataclass(frozen=True)
class Axes:
    """The fixed settings of a model's axes: times in decimal years, the horizon link's knot in
    ECI points (minus infinity: a straight link, as runs made before the knot existed)."""

    reference: float
    origin: float
    data_end: float
    horizon_knot: float = -np.inf

    @classmethod
    def from_settings(cls, settings: Mapping[str, float], data_end: float) -> Axes:
        return cls(
            reference=float(settings["reference_year"]),
            origin=float(settings["stock_origin_year"]),
            data_end=float(data_end),
            horizon_knot=float(settings.get("horizon_link_knot_eci", -np.inf)),
        )


def log_stock(xp: ModuleType, t: Any, ln_a: Any, g: Any, axes: Axes, life: Any = None) -> Any:
    """ln of the accelerator stock (H100e) at t: additions of the last ``life`` years.

    Additions grow exponentially, A(s) = A exp(g (s - t_ref)) (A in H100e/yr at t_ref, g in
    ln/yr), from the origin year on; each accelerator retires ``life`` years after it was added
    (a fixed useful life; ``None`` keeps every accelerator forever). The stock is the integral of
    additions over the window [max(t0, t - life), t]:

    S(t) = A exp(g (t - t_ref)) (1 - exp(-g w)) / g,  w = min(t - t0, life),

    with g near 0 handled smoothly.
    """
    g_safe = xp.where(abs(g) < 1e-6, 1e-6, g)
    span = xp.maximum(t - axes.origin, 1e-6)
    if life is not None:
        span = xp.minimum(span, life)
    return ln_a + g_safe * (t - axes.reference) + xp.log(-xp.expm1(-g_safe * span) / g_safe)


def log_frontier_flop(
    xp: ModuleType,
    t: Any,
    ln_a: Any,
    g: Any,
    ln_k: Any,
    drift: Any,
    axes: Axes,
    life: Any = None,
) -> Any:
    """ln of the frontier training run (FLOP) at t; the share drift stops at the data end."""
    held = xp.minimum(t, axes.data_end) - axes.reference
    return ln_k + log_stock(xp, t, ln_a, g, axes, life) + drift * held


def efficiency_years(
    xp: ModuleType,
    t: Any,
    reference: float,
    lag: Any,
    phi: Any = 0.0,
    ln_rel: Any = 0.0,
    g: Any = 0.0,
    kappa: Any = 0.0,
) -> Any:
    """Years of the efficiency trend a country's algorithms stand at, relative to t_ref.

    The general form every structure shares (``forecast.core.definitions.STRUCTURES``):

    Y_c(t) = J_c(t) - lag_c D(t),  D = exp(-kappa d) for d >= 0, 1 - kappa d before t_ref,
    J_c(t) = integral from t_ref to t of (A_c(s) / A_ref)^phi ds
           = exp(phi ln_rel) (exp(phi g d) - 1) / (phi g),  d = t - t_ref,

    with the fitted additions A_c(s) = A_c exp(g (s - t_ref)), ``ln_rel`` = ln(A_c / A_ref) at
    t_ref (A_ref: the reference country's additions at t_ref). phi = 0 gives J = d (global
    efficiency), kappa = 0 a constant lag. Before t_ref the gap widens along the exponential's
    tangent (linearly) rather than exponentially: fitted back to 2018, exp(kappa |d|) would let a
    small lag blow up and make a funnel the sampler cannot cross. The projection integrates the
    projected additions instead (``forecast.model.projection``).
    """
    d = t - reference
    x = phi * g
    small = abs(x) < 1e-6
    x_safe = xp.where(small, 1e-6, x)
    ramp = xp.where(small, d + 0.5 * x * d * d, xp.expm1(x_safe * d) / x_safe)
    return xp.exp(phi * ln_rel) * ramp - lag * gap_decay(xp, d, kappa)


def gap_decay(xp: ModuleType, d: Any, kappa: Any) -> Any:
    """Share of a follower's 2025 efficiency gap left d years after t_ref (see
    :func:`efficiency_years`): exp(-kappa d) from t_ref on, 1 - kappa d before it."""
    return xp.where(d >= 0, xp.exp(-kappa * xp.maximum(d, 0.0)), 1.0 - kappa * xp.minimum(d, 0.0))


def frontier_capability(log10_compute: Any, years: Any, p: Mapping[str, Any]) -> Any:
    """Frontier ECI of a country whose capability-relevant compute is ``10**log10_compute``
    FLOP and whose algorithms stand ``years`` along the efficiency trend (see
    :func:`efficiency_years`)."""
    compute = p["compute_elasticity"] * (log10_compute - REFERENCE_LOG10_FLOP)
    algorithms = p["efficiency_rate"] * years
    return p["frontier_eci_2025"] + p["capability_per_oom"] * (compute + algorithms)


def horizon_log2(
    capability: Any,
    suite: int | Any,
    p: Mapping[str, Any],
    xp: ModuleType,
    knot: float = -np.inf,
) -> Any:
    """log2 of the METR 50% horizon (minutes) of a model with the given ECI, per suite.

    A line in ECI with one kink: slope m_s above the knot, r m_s below it (r =
    ``horizon_slope_ratio_below_knot``, shared by the suites):

    log2 H = log2 h_s + m_s (C - 150) + (1 - r) m_s max(knot - C, 0).

    ``suite`` is 0 for METR-Horizon-v1.1 and 1 for v1.0 (``forecast.data.observations.SUITES``);
    a knot at minus infinity (or no ratio in ``p``) gives the straight line.
    """
    v11 = xp.eq(suite, 0) if xp is not np else np.equal(suite, 0)
    h0 = xp.where(v11, xp.log2(p["horizon_at_eci150_v11"]), xp.log2(p["horizon_at_eci150_v10"]))
    h1 = xp.where(v11, p["horizon_doublings_per_eci_v11"], p["horizon_doublings_per_eci_v10"])
    line = h0 + h1 * (capability - REFERENCE_ECI)
    ratio = p.get("horizon_slope_ratio_below_knot")
    if ratio is None or not np.isfinite(knot):
        return line
    return line + (1.0 - ratio) * h1 * xp.maximum(knot - capability, 0.0)


def capability_for_log2_horizon(
    log2_minutes: Any, p: Mapping[str, np.ndarray], knot: float = -np.inf
) -> np.ndarray:
    """ECI at which the METR v1.1 50% horizon is ``2**log2_minutes`` (the inverse of
    :func:`horizon_log2` for suite v1.1, numpy only; every slope is positive, so it is unique)."""
    h0 = np.log2(p["horizon_at_eci150_v11"])
    m = p["horizon_doublings_per_eci_v11"]
    above = REFERENCE_ECI + (log2_minutes - h0) / m
    ratio = p.get("horizon_slope_ratio_below_knot")
    if ratio is None or not np.isfinite(knot):
        return above
    at_knot = h0 + m * (knot - REFERENCE_ECI)
    below = knot + (log2_minutes - at_knot) / (ratio * m)
    return np.where(log2_minutes >= at_knot, above, below)


def horizon_offset(country: Any, p: Mapping[str, Any], xp: ModuleType) -> Any:
    """log2 horizon offset of a country's models at equal ECI (0 for the reference country).

    ``country`` holds model-order country indices; ``p`` the parameters by prior key (one
    ``horizon_offset_<code>`` per non-reference country).
    """
    out: Any = 0.0
    for code in FOLLOWERS:
        i = COUNTRIES.index(code)
        hit = np.equal(country, i) if xp is np else xp.eq(country, i)
        out = out + xp.where(hit, p[country_key("horizon_offset", code)], 0.0)
    return out
