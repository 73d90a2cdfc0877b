"""The Metaculus-style export: arrival as a 201-point CDF between two dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO
from forecast.core.errors import UsageError
from forecast.data.observations import COUNTRIES, country_index
from forecast.questions.forecaster import Forecaster, iso, parse_date

METACULUS_POINTS = 201


def metaculus_cdf(
    f: Forecaster,
    country: str,
    scenario: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A Metaculus-style 201-point CDF of the arrival date between ``lower`` and ``upper``.

    Defaults: from today to the horizon end. Points are evenly spaced in decimal years; the
    probabilities come from the same arrival draws as ``arrival`` (beyond-horizon draws count as
    above ``upper``).
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
    grid = np.linspace(lo, hi, METACULUS_POINTS)
    table = mcstats.cdf(draws, grid, n_eff)
    below, below_se = mcstats.probability(draws < lo, n_eff)
    above, above_se = mcstats.probability(draws > hi, n_eff)
    return {
        "question": "metaculus_cdf",
        "run_id": f.run.id,
        "scenario": scenario or BASELINE_SCENARIO,
        "country": code,
        "draws": int(f.projector.n_draws),
        "n_eff": round(n_eff, 1),
        "lower": iso(lo),
        "upper": iso(hi),
        "lower_year": round(lo, 6),
        "upper_year": round(hi, 6),
        "points": METACULUS_POINTS,
        "dates": [iso(t) for t in grid],
        "cdf": [round(float(p), 6) for p in table[:, 0]],
        "mcse": [round(float(s), 6) for s in table[:, 1]],
        "p_below_lower": {"p": round(below, 6), "mcse": round(below_se, 6)},
        "p_above_upper": {"p": round(above, 6), "mcse": round(above_se, 6)},
    }
