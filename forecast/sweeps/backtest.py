"""``forecast backtest`` through a sweep: one prior set refitted at each cutoff.

The fits are sweep fits (content-addressed in the sweep store, never refitted once stored, on
any engine), scored by the same code as before. The payload keeps the shape of
``forecast.validation.backtest.run_backtest`` and adds what an honest reading needs: the summary
pools only the cutoffs whose fit passed the gate (a failed fit is listed apart under
``excluded``), ``baselines`` compares the model with the log-linear line, the recent-trend
Student-t line and the random walk with drift, and ``prior_vintage`` says per cutoff which priors
cite sources dated after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from forecast.sweeps.engine import INLINE, backtest_spec, run_sweep
from forecast.sweeps.index import SweepStore
from forecast.sweeps.scores import scored_objects
from forecast.validation.backtest import BacktestConfig, summary
from forecast.validation.checks import published_checks
from forecast.validation.points import SCALES, VINTAGE_END


def structure_summaries(passed: list[dict[str, Any]], scores: dict[str, Any]) -> dict[str, Any]:
    """Coverage and CRPS wins per structure over the cutoffs whose (mixture) fit passed the
    gate: each structure's own draws of the same fits, scored on the same points."""
    names: list[str] = []
    for s in scores.values():
        names += [n for n in s.get("by_structure", {}) if n not in names]
    out = {}
    for name in names:
        entries = []
        for entry in passed:
            own = scores[entry["cutoff"]].get("by_structure", {}).get(name)
            if own is not None:
                entries.append(
                    {"cutoff": entry["cutoff"], **own["evaluate"], "_scored": scored_objects(own)}
                )
        crps = [
            r["model"]["crps"]
            for entry in passed
            for r in scores[entry["cutoff"]].get("by_structure", {}).get(name, {}).get("points", [])
            if r["model"]
        ]
        mean = round(sum(crps) / len(crps), 5) if crps else None
        out[name] = summary(entries) | {"mean_crps": mean}
    return out


def run_backtest_sweep(
    config: BacktestConfig,
    log: Callable[[str], None],
    scheduler: str | None = INLINE,
    store: SweepStore | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Refit at each cutoff as a sweep, score, and summarise honestly (see the module notes)."""
    started = time.perf_counter()
    store = store or SweepStore()
    spec = backtest_spec(str(config.priors), config.cutoffs, config.quick)
    result = run_sweep(spec, store=store, scheduler=scheduler, log=log, progress=progress)
    rows = {r["cutoff"]: r for r in result["rows"]}
    scores = store.scores([r["key"] for r in result["rows"]])
    cutoffs, passed, excluded = [], [], []
    for cutoff in config.cutoffs:
        row = rows.get(cutoff.isoformat())
        if row is None or row["key"] not in scores:
            excluded.append({"cutoff": cutoff.isoformat(), "reason": "fit did not finish"})
            continue
        s = scores[row["key"]]
        entry = {
            "cutoff": cutoff.isoformat(),
            **s["evaluate"],
            "gate_failures": row["gate_failures"],
            "pooled": bool(row["gate_pass"]),
            "wall_seconds": row["total_seconds"],
            "_scored": scored_objects(s),
        }
        cutoffs.append(entry)
        if row["gate_pass"]:
            passed.append(entry)
        else:
            excluded.append(
                {
                    "cutoff": cutoff.isoformat(),
                    "run_id": row["run_id"],
                    "reason": row["gate_failures"],
                }
            )
            log(
                f"warning: the {cutoff} fit failed the gate ({row['gate_failures']}): "
                "reported apart, not pooled"
            )
    own_scores = {c["cutoff"]: scores[rows[c["cutoff"]]["key"]] for c in passed}
    by_structure = structure_summaries(passed, own_scores)
    mixture_crps = [
        r["model"]["crps"] for c in own_scores.values() for r in c["points"] if r["model"]
    ]
    pooled = summary(passed) | {
        "mean_crps": round(sum(mixture_crps) / len(mixture_crps), 5) if mixture_crps else None,
        "pooled_over": "cutoffs whose fit passed the gate",
        "cutoffs_pooled": [e["cutoff"] for e in passed],
        "excluded": excluded,
    }
    bt = result["backtest"]
    payload = {
        "vintage_end": VINTAGE_END.isoformat(),
        "priors": str(config.priors),
        "sampler": "quick" if config.quick else "default",
        "data_files": [],
        "scored": "bundled observations after each cutoff",
        "user_rows": None,
        "scales": SCALES,
        "cutoffs": [{k: v for k, v in e.items() if not k.startswith("_")} for e in cutoffs],
        "summary": pooled,
        "by_structure": by_structure,
        "baselines": bt["table"],
        "failed_fits": bt["failed_fits"],
        "prior_vintage": bt["prior_vintage"],
        "priors_using_later_knowledge": bt["priors_using_later_knowledge"],
        "sweep": {
            "sweep_id": result["sweep_id"],
            "fitted_now": result["fitted_now"],
            "stored_before": result["stored_before"],
            "files": result["files"],
            "engine": result["engine"],
        },
        "published": published_checks(log),
    }
    payload["wall_seconds"] = round(time.perf_counter() - started, 1)
    return payload
