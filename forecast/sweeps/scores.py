"""Backtest scores of one sweep fit: the model and every baseline on the held-out observations.

The model and the log-linear baseline are scored by ``forecast.validation.backtest.evaluate``
(the same code as ``forecast backtest``); the recent-trend Student-t line and the random walk with
drift (``forecast.validation.baselines``) are fitted on the same training points and scored on the
same held-out points. Each point keeps every score, so pooled tables can compare the model and a
baseline on exactly the points both scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from forecast.data import tables as data_tables
from forecast.validation import backtest, scoring
from forecast.validation.baselines import BASELINES
from forecast.validation.points import QUANTITIES, VINTAGE_END, Point, observed_points

MODEL = "model"
BASELINE_NAMES: tuple[str, ...] = tuple(BASELINES)
"""Baselines in table order: ``loglinear`` (the naive line), ``recent_t``, ``rw_drift``."""


def score_dict(s: scoring.PointScore | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "crps": s.crps,
        "log_score": s.log_score,
        "covered": list(s.covered),
        "median": s.median,
        "interval80": list(s.interval80),
    }


def score_from(d: Mapping[str, Any] | None) -> scoring.PointScore | None:
    if d is None:
        return None
    return scoring.PointScore(
        crps=float(d["crps"]),
        log_score=float(d["log_score"]),
        covered=tuple(bool(c) for c in d["covered"]),
        median=float(d["median"]),
        interval80=(float(d["interval80"][0]), float(d["interval80"][1])),
    )


def point_dict(p: Point) -> dict[str, Any]:
    return asdict(p) | {"when": p.when.isoformat()}


def point_from(d: Mapping[str, Any]) -> Point:
    return Point(**(dict(d) | {"when": date.fromisoformat(d["when"])}))


def backtest_scores(forecaster: Any, cutoff: date, extra: Sequence[Path] = ()) -> dict[str, Any]:
    """Scores of a cutoff fit on the bundled observations after the cutoff (to the vintage end)."""
    tables = data_tables.load_all(extra)
    points = observed_points(tables, forecaster.run.settings)
    res = backtest.evaluate(forecaster, points, cutoff, VINTAGE_END)
    train, _ = backtest.split(points, cutoff, VINTAGE_END)
    fitted: dict[tuple[str, str, str], Any] = {}
    for quantity in QUANTITIES:
        for country in {p.country for p in points}:
            past = [p for p in train if (p.quantity, p.country) == (quantity, country)]
            for name, fit in BASELINES.items():
                fitted[(name, quantity, country)] = fit(
                    [p.t for p in past], [p.value for p in past]
                )
    rows = []
    for s in res["_scored"]:
        p = s.point
        row = {"point": point_dict(p), MODEL: score_dict(s.model)}
        for name in BASELINE_NAMES:
            base = fitted[(name, p.quantity, p.country)]
            row[name] = score_dict(base.score(p.t, p.value)) if base is not None else None
        rows.append(row)
    public = {k: v for k, v in res.items() if not k.startswith("_")}
    return {"evaluate": public, "points": rows, "summary": pooled(rows)}


def pooled(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over points: the model on all its points, each baseline on the points it scored
    with the model on those same points beside it (``model_crps``, ``model_coverage80``)."""
    rows = list(rows)
    out: dict[str, Any] = {MODEL: scoring.summarize(score_from(r[MODEL]) for r in rows)}
    for name in BASELINE_NAMES:
        both = [r for r in rows if r.get(name) is not None]
        summary = scoring.summarize(score_from(r[name]) for r in both)
        model_same = scoring.summarize(score_from(r[MODEL]) for r in both)
        out[name] = summary | {
            "model_crps": model_same["crps"],
            "model_coverage80": model_same["coverage80"],
        }
    return out


def scored_objects(scores: Mapping[str, Any]) -> list[backtest.Scored]:
    """The ``Scored`` records of a stored fit's scores (model and log-linear baseline)."""
    return [
        backtest.Scored(
            point=point_from(r["point"]),
            model=score_from(r[MODEL]),  # type: ignore[arg-type]
            baseline=score_from(r.get("loglinear")),
        )
        for r in scores["points"]
    ]
