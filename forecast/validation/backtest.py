"""Vintage backtests: refit on the data published by a cutoff, score the later observations.

For each cutoff (default: the ends of 2022, 2023 and 2024) the model is refitted on only the
observations dated on or before it (``Refitter.refit(cutoff=...)``, into a separate store; such
runs never become current), and its posterior predictive is scored against every later
observation up to the vintage end (2025-12-31), next to a naive baseline. With extra data files,
the observations to score are the rows of the user's files instead (new data arriving after the
vintage), judged by the current run or by the cutoff runs.

This module splits the observations, scores each run, and summarises; the pieces live beside it:
``points`` (what is observed), ``predictive`` (the model's predictive of one observation),
``baselines`` (the naive line), ``checks`` (published METR and DeepSeek checks) and ``scoring``
(the proper scores). Its result is plain data; ``forecast backtest`` prints it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.core.errors import UsageError
from forecast.core.timeutil import date_to_year, year_to_date
from forecast.data import tables as data_tables
from forecast.data.observations import COUNTRIES
from forecast.validation import scoring
from forecast.validation.baselines import MIN_BASELINE_POINTS, LineFit, fit_line
from forecast.validation.checks import published_checks
from forecast.validation.points import (
    QUANTITIES,
    SCALES,
    STOCK_ORIGIN,
    VINTAGE_END,
    Point,
    complete_quarters,
    extra_keys,
    observed_points,
    quarter_labels,
)
from forecast.validation.predictive import record_predictive, stock_predictive

if TYPE_CHECKING:
    from forecast.fit.refitter import Refitter
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

DEFAULT_CUTOFFS: tuple[date, ...] = (date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31))


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
    from forecast.fit.refitter import Refitter
    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, SamplerConfig
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

    say = log or _stderr
    started = time.perf_counter()
    tables = data_tables.load_all(config.extra)
    bundled = data_tables.load_all() if config.extra else tables
    scored_keys = _scored_keys(tables, bundled, say) if config.extra else None
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
        # a run that failed the gate is shown above but never pooled (forecast.sweeps.backtest
        # does the same for the cutoff refits, which run as a sweep)
        "summary": summary([r for r in results if r.get("status") != "failed"])
        | {"not_pooled": [r["cutoff"] for r in results if r.get("status") == "failed"]},
        "published": published_checks(say),
    }
    payload["wall_seconds"] = round(time.perf_counter() - started, 1)
    return payload


def _scored_keys(
    tables: Mapping[str, pd.DataFrame],
    bundled: Mapping[str, pd.DataFrame],
    log: Callable[[str], None] | None = None,
) -> dict[str, set[tuple[str, str]]]:
    keys = extra_keys(tables, bundled)
    complete = complete_quarters(tables["compute_stock"])
    stock = keys["compute_stock_h100e"]
    partial = sorted({q for _, q in stock if q not in complete})
    if partial:
        (log or _stderr)(
            "warning: stock quarters without every holder group are not scored: "
            + ", ".join(partial)
        )
    keys["compute_stock_h100e"] = {(c, q) for c, q in stock if q in complete}
    return keys


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


__all__ = [
    "DEFAULT_CUTOFFS",
    "MIN_BASELINE_POINTS",
    "QUANTITIES",
    "SCALES",
    "VINTAGE_END",
    "BacktestConfig",
    "LineFit",
    "Point",
    "evaluate",
    "fit_line",
    "observed_points",
    "parse_cutoff",
    "quarter_labels",
    "run_backtest",
    "score_points",
    "split",
    "summary",
]
