"""Arrival as a CDF that Metaculus accepts for a continuous (date) question.

Metaculus's rules for a submitted continuous forecast (its API documentation, ``docs/openapi.yml``
of github.com/Metaculus/metaculus, section on continuous forecasts, as revised in its pull
request 3738; the same rules in the "continuous-forecasts" help page):

1. **Length**: ``inbound_outcome_count + 1`` values (201 for the usual 200), the CDF at evenly
   spaced points from the lower to the upper bound.
2. **Minimum step**: strictly increasing by at least ``0.01 / inbound_outcome_count`` per step
   (0.00005 at 200): scores come from the differences of consecutive values.
3. **Maximum step**: no step above ``0.2 * 200 / inbound_outcome_count`` (0.2 at 200).
4. **Bounds**: beyond an open bound at least 0.1% of the mass (``cdf[0] >= 0.001`` when the lower
   bound is open, ``cdf[-1] <= 0.999`` when the upper one is); beyond a closed bound none
   (``cdf[0] == 0``, ``cdf[-1] == 1``).

How the posterior's arrival draws become such a CDF (:func:`metaculus_forecast`):

- the empirical CDF of the draws at the 201 points (an arrival beyond the model's horizon counts
  as above the upper bound);
- a closed bound cannot hold mass beyond it: the mass there is dropped and the rest rescaled (the
  forecast is conditional on the question resolving inside its range) and reported as
  ``dropped_below``/``dropped_above``; an open bound keeps the model's mass, raised to 0.1% if
  lower (lowered to 99.9% at the upper end);
- a small share ``uniform_weight`` of a uniform spread over the range is mixed in so every step
  is at least 1.2 times the minimum step (rounding to 6 decimals cannot break rule 2);
- a step above the maximum is cut to it and the excess spread over the other steps in
  proportion to their size, until none is above it;
- ``adjustment`` is the total variation distance between the submitted distribution (202 bins:
  below, 200 steps, above) and the model's own, i.e. how much probability the rules moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO
from forecast.core.errors import UsageError
from forecast.data.observations import COUNTRIES, country_index
from forecast.questions.forecaster import Forecaster, iso, parse_date

INBOUND_OUTCOMES = 200
"""Metaculus's usual ``inbound_outcome_count``: 200 steps, 201 CDF values."""
POINTS = INBOUND_OUTCOMES + 1
MIN_STEP = 0.01 / INBOUND_OUTCOMES
"""Rule 2: the smallest allowed rise between consecutive CDF values (0.00005)."""
MAX_STEP = 0.2 * 200 / INBOUND_OUTCOMES
"""Rule 3: the largest allowed rise between consecutive CDF values (0.2)."""
OPEN_BOUND_MASS = 0.001
"""Rule 4: the least probability beyond an open bound (0.1%)."""
STEP_MARGIN = 1.2
"""Every step is made at least this many times MIN_STEP, so rounding cannot break rule 2."""
DECIMALS = 6

RULES: dict[str, str] = {
    "points": f"exactly {POINTS} values (inbound_outcome_count {INBOUND_OUTCOMES} + 1)",
    "range": "every value between 0 and 1",
    "min_step": f"strictly increasing by at least {MIN_STEP:g} per step",
    "max_step": f"no step above {MAX_STEP:g}",
    "lower_bound": f"open lower bound: cdf[0] >= {OPEN_BOUND_MASS}; closed: cdf[0] == 0",
    "upper_bound": f"open upper bound: cdf[-1] <= {1 - OPEN_BOUND_MASS}; closed: cdf[-1] == 1",
}
"""Metaculus's submission rules as checked by :func:`rule_violations` (keys name them)."""


def rule_violations(cdf: Sequence[float], lower_open: bool, upper_open: bool) -> dict[str, str]:
    """Each Metaculus rule the CDF breaks, with what was found (empty when it passes all)."""
    values = np.asarray(cdf, dtype=float)
    out: dict[str, str] = {}
    if values.size != POINTS:
        return {"points": f"{values.size} values, not {POINTS}"}
    if not np.all((values >= 0) & (values <= 1)):
        out["range"] = "a value outside [0, 1]"
    steps = np.diff(values)
    low = int(np.sum(steps < MIN_STEP - 1e-12))
    if low:
        out["min_step"] = f"{low} of {INBOUND_OUTCOMES} steps rise by less than {MIN_STEP:g}"
    high = int(np.sum(steps > MAX_STEP + 1e-12))
    if high:
        out["max_step"] = f"{high} steps rise by more than {MAX_STEP:g}"
    if lower_open and values[0] < OPEN_BOUND_MASS - 1e-12:
        out["lower_bound"] = f"cdf[0] = {values[0]:g} < {OPEN_BOUND_MASS} with an open lower bound"
    if not lower_open and values[0] != 0.0:
        out["lower_bound"] = f"cdf[0] = {values[0]:g}, not 0, with a closed lower bound"
    if upper_open and values[-1] > 1 - OPEN_BOUND_MASS + 1e-12:
        out["upper_bound"] = f"cdf[-1] = {values[-1]:g} > {1 - OPEN_BOUND_MASS} (open upper bound)"
    if not upper_open and values[-1] != 1.0:
        out["upper_bound"] = f"cdf[-1] = {values[-1]:g}, not 1, with a closed upper bound"
    return out


def _cap_steps(steps: np.ndarray, cap: float) -> np.ndarray:
    """Steps with none above ``cap``: the excess goes to the others in proportion to their size."""
    steps = steps.copy()
    for _ in range(100):
        over = steps > cap
        if not over.any():
            break
        excess = float(np.sum(steps[over] - cap))
        steps[over] = cap
        room = ~over & (steps < cap)
        steps[room] += excess * steps[room] / steps[room].sum()
    return steps


def conform(
    raw: np.ndarray, lower_open: bool, upper_open: bool
) -> tuple[np.ndarray, dict[str, float]]:
    """The model's CDF at the 201 points made to follow Metaculus's rules, and what it cost.

    ``raw`` is P(arrival <= point) at the points (non-decreasing; the mass above the last point
    is ``1 - raw[-1]``). Returns the CDF (rounded to 6 decimals) and ``dropped_below``,
    ``dropped_above``, ``uniform_weight`` and ``adjustment`` (see the module docstring).
    """
    raw = np.clip(np.maximum.accumulate(np.asarray(raw, dtype=float)), 0.0, 1.0)
    below, above = float(raw[0]), float(1.0 - raw[-1])
    inside = max(float(raw[-1] - raw[0]), 0.0)
    # mass beyond a closed bound is dropped and the rest rescaled
    kept = inside + (below if lower_open else 0.0) + (above if upper_open else 0.0)
    scale = 1.0 / kept if kept > 0 else 0.0
    a = max(below * scale, OPEN_BOUND_MASS) if lower_open else 0.0
    b = min(1.0 - above * scale, 1.0 - OPEN_BOUND_MASS) if upper_open else 1.0
    # leave room for 200 steps of at least STEP_MARGIN * MIN_STEP
    room = INBOUND_OUTCOMES * STEP_MARGIN * MIN_STEP * 1.01
    if b - a < room:
        if lower_open and upper_open:
            mid = min(max((a + b) / 2, OPEN_BOUND_MASS + room / 2), 1 - OPEN_BOUND_MASS - room / 2)
            a, b = mid - room / 2, mid + room / 2
        elif lower_open:
            a = 1.0 - room
        elif upper_open:
            b = room
    shape = (raw - raw[0]) / inside if inside > 0 else np.linspace(0.0, 1.0, raw.size)
    weight = min(1.0, STEP_MARGIN * MIN_STEP * INBOUND_OUTCOMES / (b - a))
    uniform = np.linspace(0.0, 1.0, raw.size)
    mixed = (1.0 - weight) * shape + weight * uniform
    steps = _cap_steps(np.diff(mixed) * (b - a), MAX_STEP * 0.999)
    cdf = a + np.concatenate([[0.0], np.cumsum(steps)])
    cdf[-1] = b
    cdf = np.round(cdf, DECIMALS)
    if lower_open:
        cdf[0] = max(cdf[0], OPEN_BOUND_MASS)
    if upper_open:
        cdf[-1] = min(cdf[-1], 1.0 - OPEN_BOUND_MASS)
    model = np.concatenate([[below], np.diff(raw), [above]])
    exported = np.concatenate([[cdf[0]], np.diff(cdf), [1.0 - cdf[-1]]])
    return cdf, {
        "dropped_below": 0.0 if lower_open else round(below, 6),
        "dropped_above": 0.0 if upper_open else round(above, 6),
        "uniform_weight": round(weight, 6),
        "adjustment": round(0.5 * float(np.abs(model - exported).sum()), 6),
    }


def metaculus_forecast(
    f: Forecaster,
    country: str,
    scenario: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    lower_open: bool = False,
    upper_open: bool = True,
    today: date | None = None,
) -> dict[str, Any]:
    """The arrival date of ``country`` as a CDF Metaculus accepts, for a question whose range
    runs from ``lower`` (default today) to ``upper`` (default the model's horizon end).

    ``lower_open``/``upper_open`` say whether the question's bounds are open (default: lower
    closed, upper open, the usual shape of a "when will X happen" question). ``cdf`` passes
    every rule of :data:`RULES` (checked here; a failure is a bug and raises); ``model_cdf``
    and ``mcse`` are the model's own CDF at the same points and its MC error.
    """
    code = COUNTRIES[country_index(country)]
    answer = f.scenario(scenario)
    draws, n_eff = answer.paths[code].arrival, answer.n_eff[code]
    start = float(f.run.settings["fit_start_year"])
    end = float(f.projector.grid[-1])
    lo = parse_date(lower or (today or date.today()).isoformat(), "lower")
    hi = parse_date(upper, "upper") if upper else end
    for name, t in (("lower", lo), ("upper", hi)):
        if not start <= t <= end:
            raise UsageError(
                f"{name}: date {iso(t)} is outside the model's range {iso(start)} to {iso(end)}"
            )
    if not hi > lo:
        raise UsageError(f"upper ({iso(hi)}) must be after lower ({iso(lo)})")
    grid = np.linspace(lo, hi, POINTS)
    table = mcstats.cdf(draws, grid, n_eff)
    cdf, costs = conform(table[:, 0], lower_open, upper_open)
    broken = rule_violations(cdf, lower_open, upper_open)
    if broken:  # pragma: no cover - conform guarantees the rules
        raise AssertionError(f"Metaculus export breaks its rules: {broken}")
    below, below_se = mcstats.probability(draws < lo, n_eff)
    above, above_se = mcstats.probability(draws > hi, n_eff)
    return {
        "question": "metaculus_cdf",
        "run_id": f.run.id,
        "structure": f.structure,
        "scenario": scenario or BASELINE_SCENARIO,
        "country": code,
        "draws": int(f.projector.n_draws),
        "n_eff": round(n_eff, 1),
        "lower": iso(lo),
        "upper": iso(hi),
        "lower_year": round(lo, 6),
        "upper_year": round(hi, 6),
        "lower_open": bool(lower_open),
        "upper_open": bool(upper_open),
        "points": POINTS,
        "inbound_outcome_count": INBOUND_OUTCOMES,
        "dates": [iso(t) for t in grid],
        "cdf": [float(p) for p in cdf],
        "model_cdf": [round(float(p), 6) for p in table[:, 0]],
        "mcse": [round(float(s), 6) for s in table[:, 1]],
        "p_below_lower": {"p": round(below, 6), "mcse": round(below_se, 6)},
        "p_above_upper": {"p": round(above, 6), "mcse": round(above_se, 6)},
        "rules": [{"rule": k, "text": v, "passed": True} for k, v in RULES.items()],
        **costs,
    }
