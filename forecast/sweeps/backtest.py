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
from datetime import date
from typing import Any

import numpy as np

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


def leave_future_out(passed: list[dict[str, Any]], scores: dict[str, Any]) -> dict[str, Any] | None:
    """Structure weights from exact leave-future-out: stacking of each structure's log
    predictive density of the points held out after each cutoff (refits at the cutoffs, not an
    importance-sampling approximation), and how a mixture with such weights predicts.

    ``weights`` use every held-out point (the weights a forecaster could state now, in a prior
    set's ``[structures] weights``). Per cutoff, ``honest_weights`` use only points of earlier
    cutoffs dated on or before it, and the table compares the mean log score at that cutoff of
    each structure, of the mixture with the fit's own weights (its holdout refits, or PSIS-LOO
    where it had none) and of the mixture with the honest weights: log sum_k w_k p_k(y) per
    point, from the structures' log scores.
    """
    from forecast.fit.stacking import BOOTSTRAP, weights_from_loo

    rows: list[dict[str, Any]] = []
    for entry in passed:
        own = scores[entry["cutoff"]]
        by = own.get("by_structure") or {}
        if not by:
            return None
        names = list(by)
        for i, point in enumerate(own["points"]):
            logs = {n: (by[n]["points"][i]["model"] or {}).get("log_score") for n in names}
            mix = (point["model"] or {}).get("log_score")
            if any(v is None or not np.isfinite(v) for v in logs.values()):
                continue
            when = date.fromisoformat(point["point"]["when"])
            rows.append({"cutoff": entry["cutoff"], "when": when, "logs": logs, "loo_mix": mix})
    if not rows:
        return None
    names = list(rows[0]["logs"])

    def weights(subset: list[dict[str, Any]]) -> dict[str, float] | None:
        if len(subset) < 2:
            return None
        return weights_from_loo(
            {n: np.array([r["logs"][n] for r in subset]) for n in names}, bootstrap=BOOTSTRAP
        )

    def mixed(r: dict[str, Any], w: dict[str, float]) -> float:
        logs = np.array([r["logs"][n] for n in names])
        top = logs.max()
        shares = np.array([w[n] for n in names])
        return float(top + np.log(np.sum(shares * np.exp(logs - top))))

    table = []
    for entry in passed:
        cutoff = date.fromisoformat(entry["cutoff"])
        here = [r for r in rows if r["cutoff"] == entry["cutoff"]]
        earlier = [
            r for r in rows if date.fromisoformat(r["cutoff"]) < cutoff and r["when"] <= cutoff
        ]
        honest = weights(earlier)
        line: dict[str, Any] = {"cutoff": entry["cutoff"], "points": len(here)}
        line |= {n: round(float(np.mean([r["logs"][n] for r in here])), 4) for n in names}
        loo = [r["loo_mix"] for r in here if r["loo_mix"] is not None]
        line["mixture_own_weights"] = round(float(np.mean(loo)), 4) if loo else None
        line["honest_weights"] = (
            None if honest is None else {n: round(v, 4) for n, v in honest.items()}
        )
        line["mixture_lfo_weights"] = (
            None if honest is None else round(float(np.mean([mixed(r, honest) for r in here])), 4)
        )
        table.append(line)
    overall = weights(rows)
    return {
        "method": "stacking of held-out log predictive densities after each cutoff (exact "
        "leave-future-out by refitting), averaged over Bayesian-bootstrap resamples",
        "points": len(rows),
        "weights": None if overall is None else {n: round(v, 4) for n, v in overall.items()},
        "mean_log_score_by_cutoff": table,
    }


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
        "leave_future_out": leave_future_out(passed, own_scores),
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
