"""The model's predictive for one held-out observation of a backtest, on the scoring scale.

The predictive is the one the likelihood states: the predictive draws of
``Forecaster.values_at(..., predictive=True)`` plus the observation's own measurement noise
(Epoch's confidence-label noise for FLOP, METR's interval-based standard error for horizons).
Horizons use the mapping of the suite they were measured on and the country's offset
(``forecast.model.equations.horizon_offset``). The observed stock series is cumulative from
2022Q1 (the model's stock integrates from 2012): its predictive is the last observed level plus
the projected quarterly additions with the model's AR(1) errors, started from the last observed
residual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.core.timeutil import date_to_year
from forecast.data.observations import QUARTER_YEARS, SUITES, country_index
from forecast.model.equations import LN10, horizon_log2, horizon_offset
from forecast.validation import scoring
from forecast.validation.points import LOG10_2, QUANTITIES, Point

if TYPE_CHECKING:
    from forecast.questions.forecaster import Forecaster


def _rng(seed: int, *parts: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 7, *[int(p) for p in parts]])


@dataclass(frozen=True)
class Predictive:
    """Predictive draws of one observation, and its exact log density where known."""

    samples: np.ndarray
    log_density: float | None


def record_predictive(forecaster: Forecaster, point: Point, noise: bool = True) -> Predictive:
    """The model's predictive for a FLOP, ECI or horizon record (scoring scale).

    ``noise=False`` leaves out the observation's own measurement noise (a sensitivity check).
    """
    d = forecaster.projector.draws
    seed = forecaster.run.seed
    ci = country_index(point.country)
    rng = _rng(seed, QUANTITIES.index(point.quantity), round(point.t * 1e4), ci)
    meas = point.meas_sd if noise else 0.0
    latent = forecaster.values_at(point.country, point.t, predictive=False)
    # the latent frontier plus the record's misfit and its own measurement noise (the forecaster's
    # predictive uses a typical measurement error instead of this observation's)
    if point.quantity == "frontier_training_flop":
        centers = np.log10(latent[point.quantity])
        scales = np.hypot(d["frontier_noise"] / LN10, meas)
        samples = centers + scales * rng.standard_normal(centers.size)
    elif point.quantity == "frontier_eci":
        pred = forecaster.values_at(point.country, point.t, predictive=True)[point.quantity]
        centers, scales, samples = latent[point.quantity], d["eci_record_noise"], pred
    elif point.quantity == "frontier_horizon_minutes":
        suite = SUITES.index(point.suite or "v1.1")
        offset = horizon_offset(country_index(point.country), d, np)
        knot = forecaster.projector.axes.horizon_knot
        log2_h = horizon_log2(latent["frontier_eci"], suite, d, np, knot) + offset
        centers = log2_h * LOG10_2
        scales = np.hypot(d["horizon_noise"] * LOG10_2, meas)
        samples = centers + scales * rng.standard_normal(centers.size)
    else:
        raise ValueError(f"{point.quantity} is not a record quantity")
    density = scoring.log_score_mixture(centers, scales, point.value)
    return Predictive(samples=np.asarray(samples, dtype=float), log_density=density)


def _quarter_end_year(quarter: str) -> float:
    return date_to_year(pd.Period(quarter, freq="Q").end_time.date())


def stock_predictive(
    forecaster: Forecaster, country: str, history: Sequence[Point], quarters: Sequence[str]
) -> dict[str, np.ndarray]:
    """Predictive draws of log10 cumulative stock (H100e since 2022Q1) at each future quarter.

    ``history`` is the country's observed quarterly stock up to the reference date, in order
    (it may be empty for a reference date before 2022Q1); ``quarters`` the consecutive quarters
    after its last one. Per posterior draw: additions in a quarter = the model's stock gain over
    it: the fitted additions trend at mid-quarter (``values_at`` without the AR(1) state, with
    the projection's slowdown and saturation after the data end) times exp(AR(1) residual), the
    residual starting from the last observed one (or from its stationary distribution when
    nothing was observed yet). The chip-owner series counts additions, not retirements.
    """
    d = forecaster.projector.draws
    suffix = country.lower()
    rho, sd = d["stock_ar1"], d[f"stock_noise_{suffix}"]
    rng = _rng(forecaster.run.seed, QUANTITIES.index("compute_stock_h100e"), country_index(country))
    if history:
        last = history[-1]
        prev = (history[-2].h100e or 0.0) if len(history) > 1 else 0.0
        added = max((last.h100e or 0.0) - prev, 1e-9)
        t_mid = last.t - QUARTER_YEARS / 2
        mu0 = np.log(d[f"stock_additions_2025_{suffix}"]) + d[f"stock_growth_{suffix}"] * (
            t_mid - forecaster.projector.axes.reference
        )
        resid = np.log(added / QUARTER_YEARS) - mu0
        cum = np.full(rho.size, float(last.h100e or 0.0))
    else:
        resid = rng.standard_normal(rho.size) * sd / np.sqrt(1.0 - rho**2)
        cum = np.zeros(rho.size)
    out = {}
    for quarter in quarters:
        t_mid = _quarter_end_year(quarter) - QUARTER_YEARS / 2
        fitted = forecaster.values_at(country, t_mid, predictive=False)
        trend = fitted["chip_additions_h100e_per_year"] / np.exp(
            forecaster.projector.ar1_state(country, t_mid)
        )
        resid = rho * resid + sd * rng.standard_normal(rho.size)
        cum = cum + trend * QUARTER_YEARS * np.exp(resid)
        out[quarter] = np.log10(cum)
    return out
