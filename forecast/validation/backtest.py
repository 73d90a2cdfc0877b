"""Vintage backtests: refit on the data published by a cutoff, score the later observations.

For each cutoff (default: the ends of 2022, 2023 and 2024) the model is refitted on only the
observations dated on or before it (``Refitter.refit(cutoff=...)``, into a separate store; such
runs never become current), and its posterior predictive is scored against every later
observation up to the vintage end (2025-12-31), next to a naive baseline. With ``--data``, the
observations to score are the rows of the user's files instead (new data arriving after the
vintage), judged by the current run or by the cutoff runs.

What is scored, per country (each record is defined on the full history, as in the fit: a model
is a record if it beat everything before it, ``forecast.data.observations.running_records``):

=========================  =====================================================  ==============
quantity                   observations                                           scale
=========================  =====================================================  ==============
frontier_training_flop     record-setting training runs (FLOP)                    log10 FLOP
frontier_eci               ECI records                                            ECI points
frontier_horizon_minutes   METR 50% horizon records: v1.1 for US, v1.0 for CN     log10 minutes
compute_stock_h100e        cumulative H100e per quarter (``country_stock``)       log10 H100e
=========================  =====================================================  ==============

The model's predictive for an observation is the one its likelihood states: the predictive draws
of ``Forecaster.values_at(..., predictive=True)`` plus the observation's own measurement noise
(Epoch's confidence-label noise for FLOP, METR's interval-based standard error for horizons).
Chinese horizons are on METR v1.0, so they use the v1.0 mapping and the CN offset. The observed
stock series is cumulative from 2022Q1 (the model's stock integrates from 2012): its predictive is
the last observed level plus the projected quarterly additions with the model's AR(1) errors,
started from the last observed residual.

The baseline is a per-country least-squares line through the same series up to the cutoff (on
the scoring scale: log10 for FLOP, stock and horizons, raw ECI), with a Gaussian predictive whose
sd is the OLS prediction sd (residual sd and parameter uncertainty). It needs three points.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.core.definitions import REGISTRY
from forecast.core.errors import ForecastError, UsageError
from forecast.core.timeutil import date_to_year, decimal_year, year_to_date
from forecast.data import tables as data_tables
from forecast.data.observations import (
    COUNTRIES,
    QUARTER_YEARS,
    SUITES,
    compute_records,
    country_index,
    country_stock,
    eci_records,
    horizon_records,
    running_records,
)
from forecast.model.equations import LN10, horizon_log2, horizon_offset
from forecast.validation import scoring

if TYPE_CHECKING:
    from forecast.fit.sampling import Refitter
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

VINTAGE_END: date = data_tables.VINTAGE.date()
DEFAULT_CUTOFFS: tuple[date, ...] = (date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31))
QUANTITIES: tuple[str, ...] = (
    "frontier_training_flop",
    "frontier_eci",
    "frontier_horizon_minutes",
    "compute_stock_h100e",
)
SCALES: dict[str, str] = {
    "frontier_training_flop": "log10 FLOP",
    "frontier_eci": "ECI points",
    "frontier_horizon_minutes": "log10 minutes",
    "compute_stock_h100e": "log10 H100e",
}
MIN_BASELINE_POINTS = 3
LOG10_2 = float(np.log10(2.0))
STOCK_ORIGIN = "2022Q1"  # Epoch's chip-owner series counts from zero at the start of 2022Q1


# -- observations --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One observation of a scored quantity, on the scoring scale.

    ``value`` is log10 for FLOP, stock and horizons and raw ECI points; ``meas_sd`` is the
    observation's own measurement sd on the same scale (0 where the model has none); ``key``
    identifies the source row (model, "model (suite)" or quarter).
    """

    quantity: str
    country: str
    when: date
    t: float  # decimal year
    value: float
    meas_sd: float
    label: str
    key: str
    suite: str | None = None
    quarter: str | None = None
    h100e: float | None = None  # cumulative stock (compute_stock_h100e only)


def _series_points(
    quantity: str,
    t: np.ndarray,
    values: np.ndarray,
    countries: np.ndarray,
    labels: Sequence[str],
    meas: np.ndarray,
    suites: Sequence[str | None] | None = None,
) -> list[Point]:
    out = []
    for i in range(t.size):
        suite = None if suites is None else suites[i]
        out.append(
            Point(
                quantity=quantity,
                country=COUNTRIES[int(countries[i])],
                when=year_to_date(float(t[i])),
                t=float(t[i]),
                value=float(values[i]),
                meas_sd=float(meas[i]),
                label=str(labels[i]),
                key=str(labels[i]),
                suite=suite,
            )
        )
    return out


def stock_points(levels: pd.DataFrame) -> list[Point]:
    """Cumulative stock per country and quarter (``country_stock`` output) as points."""
    out = []
    for row in levels.sort_values(["country", "date"]).itertuples(index=False):
        when = pd.Timestamp(row.date).date()
        out.append(
            Point(
                quantity="compute_stock_h100e",
                country=str(row.country),
                when=when,
                t=date_to_year(when),
                value=float(np.log10(row.h100e)) if row.h100e > 0 else -math.inf,
                meas_sd=0.0,
                label=str(row.quarter),
                key=str(row.quarter),
                quarter=str(row.quarter),
                h100e=float(row.h100e),
            )
        )
    return out


def observed_points(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, float]
) -> list[Point]:
    """Every scored observation of the full history, with the fit's record definitions."""
    points: list[Point] = []
    f = compute_records(tables["models"], settings)
    points += _series_points(
        "frontier_training_flop", f.t, f.value / LN10, f.country, f.label, f.extra["sd"] / LN10
    )
    r = eci_records(tables["capability_eci"], settings)
    points += _series_points("frontier_eci", r.t, r.value, r.country, r.label, np.zeros(r.n))
    # Every horizon record, also those before ``horizon_fit_start_year`` (the fit leaves them
    # out; the baseline may use them, and no held-out record is that early).
    h = horizon_records(tables["capability_metr"], {**settings, "horizon_fit_start_year": 0.0})
    suites = [SUITES[int(s)] for s in h.extra["suite"]]
    keep = [REGISTRY[int(c)].metr_suite == s for c, s in zip(h.country, suites, strict=True)]
    idx = np.flatnonzero(keep)
    points += _series_points(
        "frontier_horizon_minutes",
        h.t[idx],
        h.value[idx] * LOG10_2,
        h.country[idx],
        [h.label[i] for i in idx],
        h.extra["se"][idx] * LOG10_2,
        [suites[i] for i in idx],
    )
    points += stock_points(country_stock(tables["compute_stock"], settings))
    return points


def extra_keys(
    full: Mapping[str, pd.DataFrame], bundled: Mapping[str, pd.DataFrame]
) -> dict[str, set[tuple[str, str]]]:
    """(country, key) of the rows that the user's files added, per scored quantity.

    Keys match :class:`Point` keys: model names for FLOP and ECI, "model (suite)" for METR and
    the quarter label for stock (a quarter with any new holder row counts for every country).
    """

    def rows(name: str, cols: Sequence[str]) -> set[tuple[str, ...]]:
        return set(full[name][list(cols)].astype(str).itertuples(index=False, name=None)) - set(
            bundled[name][list(cols)].astype(str).itertuples(index=False, name=None)
        )

    metr = rows("capability_metr", ("country", "model", "suite"))
    return {
        "frontier_training_flop": {(c, m) for c, m in rows("models", ("country", "model"))},
        "frontier_eci": {(c, m) for c, m in rows("capability_eci", ("country", "model"))},
        "frontier_horizon_minutes": {(c, f"{m} ({s})") for c, m, s in metr},
        "compute_stock_h100e": {
            (c, q)
            for _, q, _ in rows("compute_stock", ("country", "quarter", "holder"))
            for c in COUNTRIES
        },
    }


def complete_quarters(stock: pd.DataFrame) -> set[str]:
    """Quarters that list every holder group of the table (a country's stock needs them all:
    US counts a share of "other")."""
    holders = set(stock["holder"])
    return {str(q) for q, rows in stock.groupby("quarter") if set(rows["holder"]) == holders}


# -- the naive baseline --------------------------------------------------------------------------
@dataclass(frozen=True)
class LineFit:
    """Ordinary least squares y = a + b (t - t_mean), with what its prediction sd needs."""

    a: float
    b: float
    t_mean: float
    sxx: float  # sum of squared deviations of t (years^2)
    resid_sd: float  # residual sd, n - 2 degrees of freedom (unit of y)
    n: int

    def predict(self, t: float) -> tuple[float, float]:
        """Mean and sd of the Gaussian predictive at t: s sqrt(1 + 1/n + (t - t_mean)^2 / Sxx)."""
        dt = float(t) - self.t_mean
        sd = self.resid_sd * math.sqrt(1.0 + 1.0 / self.n + dt * dt / self.sxx)
        return self.a + self.b * dt, sd


def fit_line(t: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> LineFit | None:
    """OLS line through (t, y); None with fewer than three points or no spread in t.

    A perfect fit (zero residuals) gets a tiny residual sd so its predictive stays proper.
    """
    tt, yy = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(tt) & np.isfinite(yy)
    tt, yy = tt[ok], yy[ok]
    n = tt.size
    if n < MIN_BASELINE_POINTS:
        return None
    t_mean = float(tt.mean())
    sxx = float(np.sum((tt - t_mean) ** 2))
    if sxx <= 0:
        return None
    b = float(np.sum((tt - t_mean) * (yy - yy.mean())) / sxx)
    a = float(yy.mean())
    resid = yy - (a + b * (tt - t_mean))
    resid_sd = max(float(np.sqrt(np.sum(resid**2) / (n - 2))), 1e-6)
    return LineFit(a=a, b=b, t_mean=t_mean, sxx=sxx, resid_sd=resid_sd, n=n)


# -- the model's predictive ----------------------------------------------------------------------
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
    if point.quantity == "frontier_training_flop":
        pred = forecaster.values_at(point.country, point.t, predictive=True)[point.quantity]
        centers = np.log10(latent[point.quantity])
        scales = np.hypot(d["frontier_noise"] / LN10, meas)
        samples = np.log10(pred) + meas * rng.standard_normal(pred.size)
    elif point.quantity == "frontier_eci":
        pred = forecaster.values_at(point.country, point.t, predictive=True)[point.quantity]
        centers, scales, samples = latent[point.quantity], d["eci_record_noise"], pred
    elif point.quantity == "frontier_horizon_minutes":
        suite = SUITES.index(point.suite or "v1.1")
        offset = horizon_offset(country_index(point.country), d, np)
        log2_h = horizon_log2(latent["frontier_eci"], suite, d, np) + offset
        centers = log2_h * LOG10_2
        scales = np.hypot(d["horizon_noise"] * LOG10_2, meas)
        if suite == 0 and point.country == "US":
            pred = forecaster.values_at(point.country, point.t, predictive=True)[point.quantity]
            samples = np.log10(pred) + meas * rng.standard_normal(pred.size)
        else:
            samples = centers + scales * rng.standard_normal(centers.size)
    else:
        raise ValueError(f"{point.quantity} is not a record quantity")
    density = scoring.log_score_mixture(centers, scales, point.value)
    return Predictive(samples=np.asarray(samples, dtype=float), log_density=density)


def quarter_labels(after: str, last: str) -> list[str]:
    """Quarter labels strictly after ``after`` up to and including ``last`` (e.g. 2023Q1)."""
    start, stop = pd.Period(after, freq="Q") + 1, pd.Period(last, freq="Q")
    return [f"{p.year}Q{p.quarter}" for p in pd.period_range(start, stop, freq="Q")]


def _quarter_end_year(quarter: str) -> float:
    return date_to_year(pd.Period(quarter, freq="Q").end_time.date())


def stock_predictive(
    forecaster: Forecaster, country: str, history: Sequence[Point], quarters: Sequence[str]
) -> dict[str, np.ndarray]:
    """Predictive draws of log10 cumulative stock (H100e since 2022Q1) at each future quarter.

    ``history`` is the country's observed quarterly stock up to the reference date, in order
    (it may be empty for a reference date before 2022Q1); ``quarters`` the consecutive quarters
    after its last one. Per posterior draw: additions in a quarter = the model's stock gain over
    it (``values_at``, with the projection's slowdown after the data end) times exp(AR(1)
    residual), the residual starting from the last observed one (or from its stationary
    distribution when nothing was observed yet).
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
        cum, t_last = np.full(rho.size, float(last.h100e or 0.0)), last.t
    else:
        resid = rng.standard_normal(rho.size) * sd / np.sqrt(1.0 - rho**2)
        cum = np.zeros(rho.size)
        t_last = _quarter_end_year(str(pd.Period(STOCK_ORIGIN, freq="Q") - 1))
    before = forecaster.values_at(country, t_last, predictive=False)["compute_stock_h100e"]
    out = {}
    for quarter in quarters:
        after = forecaster.values_at(country, _quarter_end_year(quarter), predictive=False)
        gain = np.maximum(after["compute_stock_h100e"] - before, 1e-9)
        resid = rho * resid + sd * rng.standard_normal(rho.size)
        cum = cum + gain * np.exp(resid)
        out[quarter] = np.log10(cum)
        before = after["compute_stock_h100e"]
    return out


# -- scoring one run ---------------------------------------------------------------------------
@dataclass
class Scored:
    """One scored observation: the point, the model's and the baseline's scores."""

    point: Point
    model: scoring.PointScore
    baseline: scoring.PointScore | None

    def to_dict(self) -> dict[str, Any]:
        p = self.point

        def side(s: scoring.PointScore | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "median": round(s.median, 4),
                "interval80": [round(v, 4) for v in s.interval80],
                "crps": round(s.crps, 5),
                "log_score": round(s.log_score, 4),
            }

        return {
            "quantity": p.quantity,
            "country": p.country,
            "label": p.label,
            "date": p.when.isoformat(),
            "observed": round(p.value, 4),
            "model": side(self.model),
            "baseline": side(self.baseline),
        }


def split(
    points: Sequence[Point],
    reference: date,
    end: date | None,
    scored_keys: Mapping[str, set[tuple[str, str]]] | None = None,
    unseen_extra: bool = False,
) -> tuple[list[Point], list[Point]]:
    """Training points (on or before ``reference``) and held-out points.

    Without ``scored_keys``: held out = dated after ``reference`` and on or before ``end``.
    With it (``--data``): held out = the user's rows dated after ``reference``; with
    ``unseen_extra`` (the run was not fitted on the user's rows) every user record, whatever its
    date, is held out and kept out of the baseline's training points. Stock quarters are held
    out only after ``reference`` (the observed series is cumulative).
    """
    train, test = [], []
    for p in points:
        extra = scored_keys is not None and (p.country, p.key) in scored_keys[p.quantity]
        after = p.when > reference
        if scored_keys is None:
            held = after and (end is None or p.when <= end)
        elif unseen_extra and p.quantity != "compute_stock_h100e":
            held = extra
        else:
            held = extra and after
        if held:
            test.append(p)
        elif not after and not (extra and unseen_extra):
            train.append(p)
    return train, test


def score_points(
    forecaster: Forecaster, train: Sequence[Point], test: Sequence[Point], noise: bool = True
) -> list[Scored]:
    """Score every held-out point with the model and the baseline (fitted on ``train``)."""
    out: list[Scored] = []
    for quantity in QUANTITIES:
        for country in COUNTRIES:
            past = [p for p in train if p.quantity == quantity and p.country == country]
            future = sorted(
                (p for p in test if p.quantity == quantity and p.country == country),
                key=lambda p: p.t,
            )
            if not future:
                continue
            line = fit_line([p.t for p in past], [p.value for p in past])
            model = _model_scores(forecaster, quantity, country, past, future, noise)
            for p, m in zip(future, model, strict=True):
                base = None
                if line is not None:
                    base = scoring.score_normal(*line.predict(p.t), p.value)
                out.append(Scored(point=p, model=m, baseline=base))
    return out


def _model_scores(
    forecaster: Forecaster,
    quantity: str,
    country: str,
    past: Sequence[Point],
    future: Sequence[Point],
    noise: bool,
) -> list[scoring.PointScore]:
    if quantity != "compute_stock_h100e":
        scores = []
        for p in future:
            pred = record_predictive(forecaster, p, noise)
            scores.append(scoring.score_samples(pred.samples, p.value, pred.log_density))
        return scores
    history = sorted(past, key=lambda p: p.t)
    after = history[-1].label if history else str(pd.Period(STOCK_ORIGIN, freq="Q") - 1)
    paths = stock_predictive(forecaster, country, history, quarter_labels(after, future[-1].label))
    return [scoring.score_samples(paths[p.label], p.value) for p in future]


def pair_table(scored: Sequence[Scored], train: Sequence[Point]) -> list[dict[str, Any]]:
    """Per quantity and country: n, coverage, CRPS and log score for model and baseline."""
    rows = []
    for quantity in QUANTITIES:
        for country in COUNTRIES:
            these = [
                s for s in scored if (s.point.quantity, s.point.country) == (quantity, country)
            ]
            n_train = sum(1 for p in train if (p.quantity, p.country) == (quantity, country))
            base = [s.baseline for s in these if s.baseline is not None]
            row: dict[str, Any] = {
                "quantity": quantity,
                "country": country,
                "scale": SCALES[quantity],
                "n": len(these),
                "n_train": n_train,
                "model": scoring.summarize(s.model for s in these),
                "baseline": scoring.summarize(base) if these and len(base) == len(these) else None,
            }
            if these and row["baseline"] is None:
                row["baseline_note"] = (
                    f"no baseline: {n_train} observation(s) up to the cutoff "
                    f"(a line needs {MIN_BASELINE_POINTS})"
                )
            rows.append(row)
    return rows


def crps_winner(row: Mapping[str, Any]) -> str | None:
    """ "model", "baseline" or "tie" on mean CRPS for a pair (None when not comparable)."""
    if not row["n"] or row["baseline"] is None:
        return None
    m, b = row["model"]["crps"], row["baseline"]["crps"]
    return "model" if m < b else "baseline" if b < m else "tie"


# -- runs ------------------------------------------------------------------------------------------
def parse_cutoff(text: str, settings: Mapping[str, float] | None = None) -> date:
    """A cutoff date: ISO, before the vintage end, after the first year of training data."""
    try:
        day = date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise UsageError(f"--cutoff: {text!r} is not a date (use YYYY-MM-DD)") from exc
    if day >= VINTAGE_END:
        raise UsageError(
            f"--cutoff: {day.isoformat()} is not before the vintage end "
            f"{VINTAGE_END.isoformat()}: nothing would be left to score"
        )
    first = 2019.0
    if settings is not None:
        first = float(settings["fit_start_year"]) + float(settings["record_warmup_years"])
    if date_to_year(day) < first:
        raise UsageError(
            f"--cutoff: {day.isoformat()} is before {year_to_date(first).isoformat()}: "
            "the first year of training-compute data only sets the record bar"
        )
    return day


def _short_diagnostics(meta: Mapping[str, Any]) -> dict[str, Any]:
    d = meta["diagnostics"]
    return {
        "max_rhat": round(float(d["max_rhat"]), 4),
        "min_ess_bulk": round(float(d["min_ess_bulk"]), 1),
        "min_ess_tail": round(float(d["min_ess_tail"]), 1),
        "divergences": int(d["divergences"]),
    }


def evaluate(
    forecaster: Forecaster,
    points: Sequence[Point],
    reference: date,
    end: date | None,
    scored_keys: Mapping[str, set[tuple[str, str]]] | None = None,
    unseen_extra: bool = False,
) -> dict[str, Any]:
    """Scores of one run: per pair (model and baseline) and per point, for one reference date."""
    train, test = split(points, reference, end, scored_keys, unseen_extra)
    scored = score_points(forecaster, train, test)
    pairs = pair_table(scored, train)
    return {
        "run_id": forecaster.run.id,
        "status": forecaster.run.meta.get("status"),
        "diagnostics": _short_diagnostics(forecaster.run.meta),
        "observations": forecaster.run.meta.get("observations"),
        "scores": pairs,
        "points": [s.to_dict() for s in scored],
        "_scored": scored,
    }


def summary(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """CRPS wins over comparable pairs, and coverage pooled over every scored point."""
    wins = {"model": [], "baseline": [], "tie": []}
    no_baseline = []
    for res in results:
        for row in res["scores"]:
            if not row["n"]:
                continue
            name = f"{res.get('cutoff') or 'current'} {row['quantity']} {row['country']}"
            winner = crps_winner(row)
            if winner is None:
                no_baseline.append(name)
            else:
                wins[winner].append(name)
    scored = [s for res in results for s in res["_scored"]]
    pooled = scoring.summarize(s.model for s in scored)
    base = [s.baseline for s in scored if s.baseline is not None]
    compared = len(wins["model"]) + len(wins["baseline"]) + len(wins["tie"])
    return {
        "pairs_compared": compared,
        "model_better_crps": len(wins["model"]),
        "baseline_better_crps": len(wins["baseline"]),
        "ties": len(wins["tie"]),
        "baseline_better_pairs": wins["baseline"],
        "pairs_without_baseline": no_baseline,
        "points": pooled["n"],
        "coverage50": pooled["coverage50"],
        "coverage80": pooled["coverage80"],
        "coverage95": pooled["coverage95"],
        "coverage80_by_cutoff": {
            str(res.get("cutoff") or "current"): scoring.summarize(s.model for s in res["_scored"])[
                "coverage80"
            ]
            for res in results
        },
        "baseline_points": len(base),
        "baseline_coverage80": scoring.summarize(base)["coverage80"],
    }


def _public(res: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in res.items() if not k.startswith("_")}


@dataclass(frozen=True)
class BacktestConfig:
    """What a backtest runs: cutoffs, extra data files, prior set and sampler settings."""

    cutoffs: tuple[date, ...] = DEFAULT_CUTOFFS
    extra: tuple[Path, ...] = ()
    priors: str | Path = "default"
    quick: bool = False
    use_current: bool = False  # --data without --cutoff: score the current run


def backtest_store() -> RunStore:
    """The store of cutoff runs: ``<FORECAST_HOME or ./var>/backtest`` (never current)."""
    from forecast.store.runs import RunStore, default_home

    return RunStore(default_home() / "backtest")


def run_backtest(
    config: BacktestConfig,
    log: Callable[[str], None] | None = None,
    refitter: Refitter | None = None,
) -> dict[str, Any]:
    """Refit at each cutoff (or load the current run) and score; returns the JSON payload."""
    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, Refitter, SamplerConfig
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

    say = log or _stderr
    started = time.perf_counter()
    tables = data_tables.load_all(config.extra)
    bundled = data_tables.load_all() if config.extra else tables
    scored_keys = _scored_keys(tables, bundled) if config.extra else None
    sampler = QUICK if config.quick else SamplerConfig()
    results = []
    if config.use_current:
        forecaster = Forecaster.from_store(RunStore())
        settings = forecaster.run.settings
        if forecaster.run.meta.get("extra_data"):
            say(
                "warning: the current run was fitted with extra files "
                f"{forecaster.run.meta['extra_data']}; rows from them are not held out"
            )
        reference = year_to_date(forecaster.run.data_end) - timedelta(days=1)
        points = observed_points(tables, settings)
        res = evaluate(forecaster, points, reference, None, scored_keys, unseen_extra=True)
        results.append({"cutoff": None, "reference": reference.isoformat(), **res})
    else:
        refitter = refitter or Refitter(
            config=sampler,
            store=backtest_store(),
            gate=QUICK_GATE if config.quick else Gate(),
            log=say,
        )
        for cutoff in config.cutoffs:
            say(f"backtest: refitting on data up to {cutoff.isoformat()}")
            fit = refitter.refit(
                config.priors, config.extra, config=sampler, make_current=False, cutoff=cutoff
            )
            forecaster = Forecaster.from_store(refitter.store, fit.run_id)
            settings = forecaster.run.settings
            end = None if config.extra else VINTAGE_END
            res = evaluate(forecaster, observed_points(tables, settings), cutoff, end, scored_keys)
            res["wall_seconds"] = fit.meta["wall_seconds"]
            results.append({"cutoff": cutoff.isoformat(), **res})
            if fit.status != "passed":
                say(f"warning: the {cutoff} run failed the gate: {fit.meta['gate_failures']}")
    payload = {
        "vintage_end": VINTAGE_END.isoformat(),
        "priors": str(config.priors),
        "sampler": "quick" if config.quick else "default",
        "data_files": [p.name for p in config.extra],
        "scored": "user files" if config.extra else "bundled observations after each cutoff",
        "user_rows": None
        if scored_keys is None
        else {q: len(keys) for q, keys in scored_keys.items()},
        "scales": SCALES,
        "cutoffs": [_public(r) for r in results],
        "summary": summary(results),
        "published": published_checks(say),
    }
    payload["wall_seconds"] = round(time.perf_counter() - started, 1)
    return payload


def _scored_keys(
    tables: Mapping[str, pd.DataFrame], bundled: Mapping[str, pd.DataFrame]
) -> dict[str, set[tuple[str, str]]]:
    keys = extra_keys(tables, bundled)
    complete = complete_quarters(tables["compute_stock"])
    stock = keys["compute_stock_h100e"]
    partial = sorted({q for _, q in stock if q not in complete})
    if partial:
        _stderr(
            "warning: stock quarters without every holder group are not scored: "
            + ", ".join(partial)
        )
    keys["compute_stock_h100e"] = {(c, q) for c, q in stock if q in complete}
    return keys


# -- published results -------------------------------------------------------------------------
DEEPSEEK_V3 = {"date": "2024-12-26", "training_flop": 3.3e24, "eci": 133.2}
METR_PUBLISHED_DAYS = (130.8, 107.0, 161.0)  # METR v1.1, models from 2023 on: median, 95% CI


def model_doubling_days(
    forecaster: Forecaster, start: float = 2023.0, end: float | None = None
) -> dict[str, Any]:
    """US frontier METR v1.1 horizon doubling time implied by the fit, in days, per draw.

    doubling time = 1 / (m_v1.1 x dC_US/dt) years, with dC/dt the mean slope of the fitted US
    frontier ECI between ``start`` and ``end`` (default: the data end), in ECI points per year.
    """
    end = float(forecaster.projector.axes.data_end) if end is None else float(end)
    hist = forecaster.projector.history
    slope = (hist("US", end)["frontier_eci"] - hist("US", start)["frontier_eci"]) / (end - start)
    m = forecaster.projector.draws["horizon_doublings_per_eci_v11"]
    days = 365.25 / (m * slope)
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


# -- command line ----------------------------------------------------------------------------------
def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def config_from_args(args: argparse.Namespace) -> BacktestConfig:
    """Validated settings from ``forecast backtest`` arguments (UsageError on bad input)."""
    files = tuple(Path(f) for f in (args.data or []))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"--data: file not found: {missing[0]}")
    priors = str(args.priors or "default")
    if args.cutoff:
        cutoffs = tuple(sorted({parse_cutoff(c) for c in args.cutoff}))
    else:
        cutoffs = DEFAULT_CUTOFFS
    return BacktestConfig(
        cutoffs=cutoffs,
        extra=files,
        priors=Path(priors) if priors.endswith(".toml") else priors,
        quick=bool(args.quick),
        use_current=bool(files) and not args.cutoff,
    )


def format_text(payload: Mapping[str, Any]) -> str:
    """Readable tables: one per cutoff (or for the current run), then the summary."""
    head = (
        f"{'quantity':26}{'cc':3}{'n':>4}{'cov50':>7}{'cov80':>7}{'cov95':>7}"
        f"{'CRPS':>9}{'base':>9}{'logS':>8}{'base':>8}"
    )
    lines = []
    for res in payload["cutoffs"]:
        d = res["diagnostics"]
        when = f"cutoff {res['cutoff']}" if res["cutoff"] else f"current run ({res['reference']})"
        lines.append(
            f"{when}: run {res['run_id']} {res['status']} (R-hat {d['max_rhat']:.3f}, "
            f"bulk ESS {d['min_ess_bulk']:.0f}, {d['divergences']} divergences)"
        )
        lines.append(head)
        for row in res["scores"]:
            if not row["n"]:
                continue
            m, b = row["model"], row["baseline"] or {}

            def num(v: Any, w: int, f: str) -> str:
                return f"{v:>{w}{f}}" if v is not None else f"{'-':>{w}}"

            lines.append(
                f"{row['quantity']:26}{row['country']:3}{row['n']:>4}"
                f"{m['coverage50']:>7.2f}{m['coverage80']:>7.2f}{m['coverage95']:>7.2f}"
                f"{num(m['crps'], 9, '.3f')}{num(b.get('crps'), 9, '.3f')}"
                f"{num(m['log_score'], 8, '.2f')}{num(b.get('log_score'), 8, '.2f')}"
            )
        lines.append("")
    s = payload["summary"]
    lines.append(
        f"model beats the baseline on CRPS in {s['model_better_crps']} of "
        f"{s['pairs_compared']} pairs ({len(s['pairs_without_baseline'])} without a baseline); "
        f"80% coverage {s['coverage80']} over {s['points']} points "
        f"(50%: {s['coverage50']}, 95%: {s['coverage95']})"
    )
    if s["baseline_better_pairs"]:
        lines.append("baseline better: " + "; ".join(s["baseline_better_pairs"]))
    pub = payload.get("published")
    if pub:
        md = pub["metr_doubling"]
        lines.append(
            f"METR v1.1 horizon doubling (days): model {md['model']['median_days']} "
            f"{md['model']['interval95_days']}, direct fit {md['direct_fit']['ols']['median_days']}"
            f" {md['direct_fit']['ols']['interval95_days']}, METR 130.8 [107, 161]"
        )
        for quantity in ("frontier_training_flop", "frontier_eci"):
            pct = ", ".join(
                f"{r['country']} {r['percentile']}" for r in pub["deepseek_v3"][quantity]
            )
            lines.append(f"DeepSeek-V3 {quantity} percentile: {pct}")
    lines.append(f"wall time {payload['wall_seconds']} s")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    """``forecast backtest``: prints the scores; returns 0 once every cutoff is scored.

    A cutoff run that fails the diagnostics gate is still scored (its status and diagnostics
    are in the output, and a warning goes to stderr).
    """
    import json

    config = config_from_args(args)
    payload = run_backtest(config)
    if args.json:
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(format_text(payload))
    return 0


__all__ = [
    "DEFAULT_CUTOFFS",
    "QUANTITIES",
    "BacktestConfig",
    "LineFit",
    "Point",
    "evaluate",
    "fit_line",
    "observed_points",
    "run_backtest",
    "run_cli",
    "score_points",
    "split",
]
