"""Published checks: the METR horizon doubling time and DeepSeek-V3's percentiles.

The model's implied METR v1.1 doubling time is set beside METR's published figure (130.8 days,
95% CI 107-161, models from 2023 on) and beside a direct fit of the same records; DeepSeek-V3's
training FLOP and ECI are placed on each country's posterior predictive.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.core.errors import ForecastError
from forecast.core.timeutil import decimal_year, year_to_date
from forecast.data import tables as data_tables
from forecast.data.observations import running_records
from forecast.validation.baselines import fit_line

if TYPE_CHECKING:
    from forecast.questions.forecaster import Forecaster

DEEPSEEK_V3 = {"date": "2024-12-26", "training_flop": 3.3e24, "eci": 133.2}
METR_PUBLISHED_DAYS = (130.8, 107.0, 161.0)  # METR v1.1, models from 2023 on: median, 95% CI


def model_doubling_days(
    forecaster: Forecaster, start: float = 2023.0, end: float | None = None
) -> dict[str, Any]:
    """US frontier METR v1.1 horizon doubling time implied by the fit, in days, per draw.

    doubling time = (end - start) / (log2 H(end) - log2 H(start)) years, with H the v1.1 horizon
    of the fitted US frontier (latent ECI through the horizon link) at ``start`` and ``end``
    (default: the data end); ``eci_per_year_median`` is the frontier's mean ECI slope.
    """
    end = float(forecaster.projector.axes.data_end) if end is None else float(end)
    proj = forecaster.projector
    first, last = proj.history("US", start)["frontier_eci"], proj.history("US", end)["frontier_eci"]
    slope = (last - first) / (end - start)
    doublings = np.log2(proj.horizon_minutes(last) / proj.horizon_minutes(first))
    days = 365.25 * (end - start) / doublings
    lo, med, hi = np.quantile(days, [0.025, 0.5, 0.975])
    return {
        "window": [year_to_date(start).isoformat(), year_to_date(end).isoformat()],
        "median_days": round(float(med), 1),
        "interval95_days": [round(float(lo), 1), round(float(hi), 1)],
        "eci_per_year_median": round(float(np.median(slope)), 3),
    }


def metr_trend_days(metr: pd.DataFrame, since: date = date(2023, 1, 1)) -> dict[str, Any]:
    """Direct fit of log2(p50 minutes) on date for METR v1.1 records released on or after
    ``since`` (records over the full v1.1 history). Two fits, doubling time in days:

    - ``ols``: ordinary least squares (as METR fit its trend), 95% t-interval of the slope;
    - ``wls``: maximum likelihood with each point's sd = sqrt(se^2 + s^2), se from METR's 95%
      interval and s an extra scatter term; 95% interval from the slope's standard error.
    """
    from scipy import optimize, stats

    from forecast.data.observations import horizon_se_log2

    v11 = metr[metr["suite"] == "v1.1"]
    rec = running_records(v11, "p50_minutes", group="suite")
    rec = rec[rec["date"] >= pd.Timestamp(since)]
    t = decimal_year(rec["date"])
    y = np.log2(rec["p50_minutes"].to_numpy(dtype=float))
    se = horizon_se_log2(
        rec["p50_minutes"].to_numpy(dtype=float),
        rec["p50_low"].to_numpy(dtype=float, na_value=np.nan),
        rec["p50_high"].to_numpy(dtype=float, na_value=np.nan),
    )
    line = fit_line(t, y)
    if line is None:
        raise ForecastError("fewer than three METR v1.1 records to fit a trend")
    n = t.size
    b_se = line.resid_sd / math.sqrt(line.sxx)
    tq = float(stats.t.ppf(0.975, n - 2))

    def days(slope: float) -> float:
        return 365.25 / slope if slope > 0 else math.inf

    def nll(theta: np.ndarray) -> float:
        a, b, log_s = theta
        sd = np.sqrt(se**2 + np.exp(2 * log_s))
        return float(-np.sum(stats.norm.logpdf(y, a + b * (t - line.t_mean), sd)))

    opt = optimize.minimize(nll, np.array([line.a, line.b, np.log(0.3)]), method="BFGS")
    cov = opt.hess_inv if isinstance(opt.hess_inv, np.ndarray) else np.eye(3)
    wb, wb_se = float(opt.x[1]), float(np.sqrt(cov[1, 1]))
    return {
        "records": [f"{m} ({d:%Y-%m-%d})" for m, d in zip(rec["model"], rec["date"], strict=True)],
        "ols": {
            "doublings_per_year": round(line.b, 3),
            "median_days": round(days(line.b), 1),
            "interval95_days": [
                round(days(line.b + tq * b_se), 1),
                round(days(line.b - tq * b_se), 1),
            ],
        },
        "wls": {
            "doublings_per_year": round(wb, 3),
            "extra_scatter_log2": round(float(np.exp(opt.x[2])), 3),
            "median_days": round(days(wb), 1),
            "interval95_days": [
                round(days(wb + 1.96 * wb_se), 1),
                round(days(wb - 1.96 * wb_se), 1),
            ],
        },
    }


def horizon_percentiles(
    forecaster: Forecaster,
    tables: dict[str, pd.DataFrame] | None = None,
    country: str = "US",
) -> dict[str, Any]:
    """In-sample predictive percentiles of a country's METR horizon records, per record and as
    the mean per calendar year: each record's percentile on the predictive of an observation at
    its date (latent frontier, horizon link, misfit and its own METR interval), over the
    records the fit saw (from ``horizon_fit_start_year`` on, the country's METR suite)."""
    from forecast.validation.points import observed_points
    from forecast.validation.predictive import record_predictive

    settings = forecaster.projector.settings
    tables = data_tables.load_all() if tables is None else tables
    start = float(settings["horizon_fit_start_year"])
    rows = []
    for point in observed_points(tables, settings):
        if point.quantity != "frontier_horizon_minutes" or point.country != country:
            continue
        if point.t < start or point.t > forecaster.projector.axes.data_end:
            continue
        samples = record_predictive(forecaster, point).samples
        rows.append(
            {
                "record": point.label,
                "date": point.when.isoformat(),
                "suite": point.suite,
                "minutes": round(float(10**point.value), 2),
                "percentile": round(float(100.0 * np.mean(samples < point.value)), 1),
            }
        )
    by_year: dict[str, list[float]] = {}
    for row in rows:
        by_year.setdefault(row["date"][:4], []).append(row["percentile"])
    means = {year: round(float(np.mean(v)), 1) for year, v in sorted(by_year.items())}
    return {"country": country, "records": rows, "mean_percentile_by_year": means}


def deepseek_check(forecaster: Forecaster) -> dict[str, Any]:
    """Posterior-predictive percentiles of DeepSeek-V3 (training FLOP and ECI), US and CN."""
    out = {}
    for quantity, value in (
        ("frontier_training_flop", DEEPSEEK_V3["training_flop"]),
        ("frontier_eci", DEEPSEEK_V3["eci"]),
    ):
        ans = forecaster.surprise(quantity, DEEPSEEK_V3["date"], value, label="DeepSeek-V3")
        out[quantity] = ans["against"]
    return {"date": DEEPSEEK_V3["date"], "run_id": forecaster.run.id, **out}


def published_checks(log: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """METR doubling time and DeepSeek-V3 percentiles from the current run (None if no run)."""
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

    try:
        forecaster = Forecaster.from_store(RunStore())
    except ForecastError as exc:
        (log or _stderr)(f"note: no METR or DeepSeek checks without a current run ({exc})")
        return None
    return {
        "run_id": forecaster.run.id,
        "metr_doubling": {
            "published_days": {
                "median": METR_PUBLISHED_DAYS[0],
                "interval95": list(METR_PUBLISHED_DAYS[1:]),
            },
            "model": model_doubling_days(forecaster),
            "direct_fit": metr_trend_days(data_tables.load_table("capability_metr")),
        },
        "deepseek_v3": deepseek_check(forecaster),
    }


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
