"""A stand-in for a worker's fit: a small valid run and its row, without sampling."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import xarray as xr

from forecast.core.definitions import MODEL_TYPE, MODEL_VERSION
from forecast.store.runs import PRIORS_FILE
from forecast.sweeps.grid import run_id_for_key
from forecast.sweeps.scores import BASELINE_NAMES, MODEL, point_dict, pooled, score_dict
from forecast.validation import scoring
from forecast.validation.points import Point

FAILING_CUTOFF = date(2023, 12, 31)
"""Fits at this cutoff fail the gate in the fake (as the real 2023 quick fit tends to)."""


def fake_scores(cutoff: date, status: str) -> dict[str, Any]:
    point = Point("frontier_eci", "US", date(2025, 6, 1), 2025.41, 150.0, 0.0, "M", "M")
    bad = status != "passed"
    model = scoring.score_normal(140.0 if bad else 149.0, 2.0, 150.0)
    row = {"point": point_dict(point), MODEL: score_dict(model)}
    for name in BASELINE_NAMES:
        row[name] = score_dict(scoring.score_normal(146.0, 3.0, 150.0))
    summary = scoring.summarize([model])
    pair = {
        "quantity": "frontier_eci",
        "country": "US",
        "scale": "ECI",
        "n": 1,
        "n_train": 5,
        "model": summary,
        "baseline": scoring.summarize([scoring.score_normal(146.0, 3.0, 150.0)]),
    }
    evaluate = {
        "run_id": "x",
        "status": status,
        "diagnostics": {
            "max_rhat": 1.0,
            "min_ess_bulk": 500.0,
            "min_ess_tail": 400.0,
            "divergences": 0,
        },
        "observations": {},
        "scores": [pair],
        "points": [],
    }
    return {"evaluate": evaluate, "points": [row], "summary": pooled([row])}


class FakeFits:
    """Records every fit asked for; ``stop_after`` raises KeyboardInterrupt on that call."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[str] = []
        self.stop_after = stop_after

    def __call__(self, task: Any) -> dict[str, Any]:
        if self.stop_after is not None and len(self.calls) == self.stop_after:
            raise KeyboardInterrupt
        self.calls.append(task.key)
        p = task.point
        run_id = run_id_for_key(task.key)
        status = "failed" if p.cutoff == FAILING_CUTOFF else "passed"
        tree = xr.DataTree.from_dict(
            {"posterior": xr.Dataset({"a": (("chain", "draw"), np.zeros((2, 5)))})}
        )
        tree.attrs = {"id": run_id, "model_type": MODEL_TYPE, "model_version": MODEL_VERSION}
        meta = {
            "id": run_id,
            "model_type": MODEL_TYPE,
            "model_version": MODEL_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": status,
            "gate_failures": [] if status == "passed" else ["12 divergent transitions"],
            "prior_set": {"name": p.priors, "hash": "ab" * 32, "path": f"{p.priors}.toml"},
            "data_hash": "cd" * 32,
            "sampler": {"sampler": "nutpie", "draws": 5, "chains": 2, "seed": p.seed},
            "diagnostics": {
                "max_rhat": 1.001 if status == "passed" else 1.4,
                "min_ess_bulk": 500.0,
                "min_ess_tail": 400.0,
                "divergences": 0 if status == "passed" else 12,
            },
            "wall_seconds": 0.1,
        }
        answers = {
            "median_arrival_us": 2030.5,
            "median_arrival_cn": 2032.0,
            "p_cn_first": 0.3,
            "p_us_first": 0.6,
            "p_later_us": 0.1,
            "p_later_cn": 0.2,
            "prior_vintage": {
                "clean": False,
                "after_cutoff": {"efficiency_rate": "2024-01-01"},
                "undated": [],
                "note": "1 of 36 priors cite later sources",
            },
        }
        return {
            "key": task.key,
            "run_id": run_id,
            "point": p,
            "meta": meta,
            "tree": tree,
            "files": {PRIORS_FILE: b"# fake\n"},
            "answers": answers,
            "scores": fake_scores(p.cutoff, status) if p.cutoff else None,
            "timing": {
                "compile_seconds": 0.0,
                "sampling_seconds": 0.01,
                "scoring_seconds": 0.01,
                "total_seconds": 0.02,
            },
            "compiled_cached": len(self.calls) > 1,
            "worker": "test:1",
        }
