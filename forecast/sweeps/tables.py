"""A sweep's results: the tidy table (one row per fit), its xarray Dataset, the backtest table.

The backtest table pools the held-out scores per cutoff (and over all cutoffs) **only over fits
that passed the diagnostics gate**; a fit that failed is listed apart with its reasons and its
own scores, never pooled. Next to the model it shows each baseline on the points it scored,
with the model's mean CRPS on those same points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.core.definitions import COUNTRIES
from forecast.sweeps.scores import BASELINE_NAMES, MODEL, pooled

INPUT_COLUMNS = ("key", "run_id", "priors", "prior_hash", "cutoff", "structure", "data", "seed")
FIT_COLUMNS = (
    "sampler",
    "draws",
    "chains",
    "status",
    "gate_pass",
    "gate_failures",
    "max_rhat",
    "min_ess_bulk",
    "min_ess_tail",
    "divergences",
)
TIMING_COLUMNS = (
    "compile_seconds",
    "sampling_seconds",
    "scoring_seconds",
    "total_seconds",
    "compiled_cached",
    "worker",
)


def answer_columns() -> tuple[str, ...]:
    out: list[str] = []
    for c in COUNTRIES:
        out += [f"median_arrival_{c.lower()}", f"p_later_{c.lower()}"]
    out += [f"p_{c.lower()}_first" for c in COUNTRIES]
    return tuple(out)


def backtest_columns() -> tuple[str, ...]:
    out = ["bt_points", "bt_crps_model", "bt_log_score_model", "bt_coverage80_model"]
    for name in BASELINE_NAMES:
        out += [f"bt_crps_{name}", f"bt_coverage80_{name}", f"bt_model_crps_vs_{name}"]
    return tuple(out)


VINTAGE_COLUMNS = ("priors_clean", "priors_later_knowledge", "priors_vintage_note")
RECOVERY_COLUMNS = ("truth_in_50", "truth_in_80")


def columns() -> tuple[str, ...]:
    return (
        INPUT_COLUMNS
        + FIT_COLUMNS
        + answer_columns()
        + backtest_columns()
        + VINTAGE_COLUMNS
        + RECOVERY_COLUMNS
        + TIMING_COLUMNS
    )


def result_row(outcome: Mapping[str, Any], quick: bool) -> dict[str, Any]:
    """The tidy row of one fit outcome (inputs, diagnostics, gate, answers, scores, timing)."""
    p, meta, answers = outcome["point"], outcome["meta"], outcome["answers"]
    diag = meta["diagnostics"]
    row: dict[str, Any] = dict.fromkeys(columns())
    row |= {
        "key": outcome["key"],
        "run_id": outcome["run_id"],
        "priors": p.priors,
        "prior_hash": meta["prior_set"]["hash"][:12],
        "cutoff": p.cutoff.isoformat() if p.cutoff else None,
        "structure": p.structure,
        "data": p.data,
        "seed": p.seed,
        "sampler": "quick" if quick else "default",
        "draws": meta["sampler"]["draws"],
        "chains": meta["sampler"]["chains"],
        "status": meta["status"],
        "gate_pass": meta["status"] == "passed",
        "gate_failures": "; ".join(meta["gate_failures"]) or None,
        "max_rhat": diag["max_rhat"],
        "min_ess_bulk": diag["min_ess_bulk"],
        "min_ess_tail": diag["min_ess_tail"],
        "divergences": diag["divergences"],
    }
    for col in answer_columns():
        row[col] = answers.get(col)
    vintage = answers.get("prior_vintage") or {}
    if p.cutoff is not None:
        row["priors_clean"] = bool(vintage.get("clean"))
        row["priors_later_knowledge"] = ", ".join(
            f"{k} ({d})" for k, d in sorted(vintage.get("after_cutoff", {}).items())
        )
        row["priors_vintage_note"] = vintage.get("note")
    rec = answers.get("recovery")
    if rec:
        row["truth_in_50"], row["truth_in_80"] = rec["truth_in_50"], rec["truth_in_80"]
    scores = outcome.get("scores")
    if scores:
        s = scores["summary"]
        row["bt_points"] = s[MODEL]["n"]
        row["bt_crps_model"] = s[MODEL]["crps"]
        row["bt_log_score_model"] = s[MODEL]["log_score"]
        row["bt_coverage80_model"] = s[MODEL]["coverage80"]
        for name in BASELINE_NAMES:
            row[f"bt_crps_{name}"] = s[name]["crps"]
            row[f"bt_coverage80_{name}"] = s[name]["coverage80"]
            row[f"bt_model_crps_vs_{name}"] = s[name]["model_crps"]
    timing = outcome["timing"]
    for col in ("compile_seconds", "sampling_seconds", "scoring_seconds", "total_seconds"):
        row[col] = timing[col]
    row["compiled_cached"] = outcome["compiled_cached"]
    row["worker"] = outcome["worker"]
    return row


def frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The tidy table: one row per fit, every column of :func:`columns` in order."""
    return pd.DataFrame([dict(r) for r in rows], columns=list(columns()))


def dataset(table: pd.DataFrame) -> Any:
    """The table as an xarray Dataset along dimension ``fit`` (netCDF-safe types: numbers as
    float64 with NaN for missing, flags as int8 with -1 for missing, text as str)."""
    import xarray as xr

    data = {}
    for col in table.columns:
        values = table[col]
        non_null = values.dropna()
        if len(non_null) and all(isinstance(v, bool | np.bool_) for v in non_null):
            flags = [-1 if v is None or v != v else int(v) for v in values]
            data[col] = ("fit", np.asarray(flags, dtype="int8"))
        elif len(non_null) and all(
            isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in non_null
        ):
            data[col] = ("fit", pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64"))
        else:
            text = ["" if v is None or v != v else str(v) for v in values]
            data[col] = ("fit", np.asarray(text, dtype=str))
    ds = xr.Dataset(data, coords={"fit": np.arange(len(table))})
    ds.attrs["description"] = "forecast sweep results: one entry per fit"
    return ds


def write(folder: Path, table: pd.DataFrame) -> dict[str, str]:
    """Write results.csv, results.parquet and results.nc into ``folder``; names written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    table.to_csv(folder / "results.csv", index=False)
    out["csv"] = "results.csv"
    try:
        table.to_parquet(folder / "results.parquet", index=False)
        out["parquet"] = "results.parquet"
    except (ImportError, ValueError, TypeError):  # no pyarrow, or a column it cannot type
        pass
    ds = dataset(table)
    tmp = folder / "results.nc.tmp"
    ds.to_netcdf(tmp, engine="h5netcdf")
    tmp.replace(folder / "results.nc")
    out["netcdf"] = "results.nc"
    return out


# -- the honest backtest table ----------------------------------------------------------------
def backtest_table(
    rows: Sequence[Mapping[str, Any]], scores: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Per cutoff (and all cutoffs): the model and each baseline pooled over passed fits only,
    the failed fits apart, and the prior-vintage note of each prior set at each cutoff."""
    with_scores = [r for r in rows if r.get("cutoff") and r["key"] in scores]
    passed = [r for r in with_scores if r.get("gate_pass")]
    failed = [r for r in with_scores if not r.get("gate_pass")]
    table = []
    cutoffs = sorted({r["cutoff"] for r in with_scores})
    for cutoff in [*cutoffs, "all"] if cutoffs else []:
        these = [r for r in passed if cutoff in ("all", r["cutoff"])]
        n_failed = sum(1 for r in failed if cutoff in ("all", r["cutoff"]))
        points = [pt for r in these for pt in scores[r["key"]]["points"]]
        summary = pooled(points)
        for method in (MODEL, *BASELINE_NAMES):
            s = summary[method]
            table.append(
                {
                    "cutoff": cutoff,
                    "method": method,
                    "fits_pooled": len(these),
                    "fits_failed_not_pooled": n_failed,
                    "n": s["n"],
                    "crps": s["crps"],
                    "log_score": s["log_score"],
                    "coverage50": s["coverage50"],
                    "coverage80": s["coverage80"],
                    "coverage95": s["coverage95"],
                    "model_crps_same_points": s.get("model_crps"),
                }
            )
    apart = [
        {
            "cutoff": r["cutoff"],
            "priors": r["priors"],
            "seed": r["seed"],
            "run_id": r["run_id"],
            "gate_failures": r["gate_failures"],
            "max_rhat": r["max_rhat"],
            "divergences": r["divergences"],
            "n": r["bt_points"],
            "crps": r["bt_crps_model"],
            "coverage80": r["bt_coverage80_model"],
        }
        for r in failed
    ]
    notes = {
        f"{r['priors']} @ {r['cutoff']}": r["priors_vintage_note"]
        for r in with_scores
        if r.get("priors_vintage_note")
    }
    later = {
        f"{r['priors']} @ {r['cutoff']}": r["priors_later_knowledge"]
        for r in with_scores
        if r.get("priors_later_knowledge")
    }
    return {
        "pooled_over": "fits that passed the gate only",
        "table": table,
        "failed_fits": apart,
        "prior_vintage": notes,
        "priors_using_later_knowledge": later,
    }


def headline(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts of a sweep's fits: total, passed, failed."""
    rows = list(rows)
    n_pass = sum(1 for r in rows if r.get("gate_pass"))
    return {"fits": len(rows), "passed": n_pass, "failed": len(rows) - n_pass}
