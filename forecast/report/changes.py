"""What changed since the previous report, split into the part from new data and the part from
changed priors, with the counterfactual refits that split needs.

The previous report's run P was fitted with priors p0 on data d0, the current run C with p1 on
d1. When only one of them changed, the whole change is that part. When both changed, a
counterfactual run K = (p0, d1) is refitted (or taken from the cache) with C's sampler settings
and gate: the data part is K - P and the prior part C - K, which add up to C - P. When the old
prior file is not available with its recorded hash, K = (p1, d0) is used instead if the old data
can be rebuilt (prior part K - P, data part C - K); when neither can be rebuilt, the report says
why and gives the total change only. Prior files and extra data are found by their recorded
hashes, in ``priors/``, among the given data files, or in the report store's snapshots.

Every result of :func:`changes_section` has the same keys (``counterfactual`` is None unless a
counterfactual run split the change), so the template can read each of them in every case.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.errors import ForecastError
from forecast.questions.forecaster import Forecaster
from forecast.report.index import ReportStore
from forecast.report.sections import headline_metrics, headline_section, race_section
from forecast.store.runs import RunStore

REFIT_MODES: tuple[str, ...] = ("auto", "cached", "off")

Log = Callable[[str], None]


# -- resolving a run's inputs (for counterfactual refits) ------------------------------------------
@dataclass(frozen=True)
class ResolvedPriors:
    prior_set: Any | None  # PriorSet
    path: Path | None
    note: str


@dataclass(frozen=True)
class ResolvedData:
    extra: tuple[Path, ...] | None
    cutoff: date | None
    note: str


def _prior_set_with_hash(path: Path, digest: str) -> Any | None:
    """The prior set in ``path`` if it loads and its hash is ``digest``, else None."""
    from forecast.priors.priorset import load_prior_set

    try:
        prior_set = load_prior_set(path)
    except ForecastError:
        return None
    return prior_set if prior_set.hash == digest else None


def resolve_priors(meta: Mapping[str, Any], reports: ReportStore) -> ResolvedPriors:
    """The run's prior set, found by its recorded hash: in ``priors/`` or a report snapshot.

    A candidate file matches when the set it loads has the recorded hash (the hash is the prior
    library's, whatever it covers: a file's bytes, or a set resolved with its parents).
    """
    from forecast.core.definitions import priors_dir

    info = meta["prior_set"]
    digest, name = info["hash"], info["name"]
    folder = priors_dir()
    candidates = [folder / info.get("path", f"{name}.toml")]
    if folder.is_dir():
        candidates += sorted(folder.glob("*.toml"))
    snap = reports.priors_dir / digest
    if snap.is_dir():
        candidates += sorted(snap.glob("*.toml"))
    seen: set[Path] = set()
    for path in candidates:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        prior_set = _prior_set_with_hash(path, digest)
        if prior_set is not None:
            where = "a report snapshot" if path.is_relative_to(reports.root) else "priors/"
            return ResolvedPriors(prior_set, path, f"prior set '{name}' from {where}")
    return ResolvedPriors(
        None,
        None,
        f"the prior file of set '{name}' with hash {digest[:12]} is no longer available "
        "(priors/ holds a different version and no report kept a snapshot)",
    )


def _data_hash(extra: Sequence[Path], cutoff: date | None) -> str:
    """The data hash ``forecast.fit.sampling.prepare`` records for these inputs."""
    from forecast.data import tables

    digest = tables.data_hash(extra)
    if cutoff is not None:
        digest = hashlib.sha256(f"{digest}|cutoff={cutoff.isoformat()}".encode()).hexdigest()
    return digest


def resolve_data(
    meta: Mapping[str, Any], reports: ReportStore, data_files: Sequence[Path] = ()
) -> ResolvedData:
    """The run's observations (bundled tables plus its extra files), if they can be rebuilt
    with the recorded data hash: extra files are looked up by name in the report snapshots and
    among ``data_files``."""
    expected = meta["data_hash"]
    cutoff = date.fromisoformat(meta["cutoff"]) if meta.get("cutoff") else None
    names = list(meta.get("extra_data") or [])
    pool: dict[str, Path] = {}
    snap = reports.data_dir / expected
    for path in [*(snap.iterdir() if snap.is_dir() else []), *map(Path, data_files)]:
        if path.is_file():
            pool.setdefault(path.name, path)
    missing = [n for n in names if n not in pool]
    if missing:
        return ResolvedData(
            None, cutoff, f"the run's extra data files ({', '.join(missing)}) are not available"
        )
    extra = tuple(pool[n] for n in names)
    if _data_hash(extra, cutoff) != expected:
        what = "the bundled tables" + (" or the extra files" if extra else "")
        return ResolvedData(
            None, cutoff, f"{what} changed since that run (data hash {expected[:12]})"
        )
    label = "bundled tables" + (f" plus {', '.join(names)}" if names else "")
    return ResolvedData(extra, cutoff, label + (f", cut at {cutoff}" if cutoff else ""))


# -- counterfactual refits -------------------------------------------------------------------------
@dataclass
class Counterfactual:
    run_id: str
    store: RunStore
    how: str  # "cached" or "refitted"
    seconds: float


def _find_run(
    store: RunStore, prior_hash: str, data_hash: str, sampler: Mapping[str, Any]
) -> str | None:
    if not store.runs_dir.is_dir():
        return None
    for row in store.list():
        if row["prior_hash"] != prior_hash or row["data_hash"] != data_hash:
            continue
        try:
            meta = store.meta(row["id"])
        except ForecastError:
            continue
        if meta.get("sampler") == dict(sampler):
            return row["id"]
    return None


def counterfactual_run(
    prior_set: Any,
    data: ResolvedData,
    data_hash: str,
    sampler: Mapping[str, Any],
    gate: Mapping[str, Any],
    reports: ReportStore,
    store: RunStore,
    refit: str,
    log: Log,
) -> Counterfactual | None:
    """A run with these priors and data and the given sampler settings: from the cache (the
    counterfactual store, or any stored run with the same inputs), or refitted when ``refit``
    is ``auto``. None when it is not cached and refits are not allowed."""
    from forecast.fit.sampling import Gate, SamplerConfig, fit

    cf_store = RunStore(reports.counterfactual_home)
    for where in (cf_store, store):
        found = _find_run(where, prior_set.hash, data_hash, sampler)
        if found:
            return Counterfactual(found, where, "cached", 0.0)
    if refit != "auto":
        return None
    log(
        f"refitting a counterfactual run: priors {prior_set.name} ({prior_set.hash[:12]}), "
        f"data {data_hash[:12]} (about a minute)"
    )
    started = time.perf_counter()
    kwargs: dict[str, Any] = {"cutoff": data.cutoff} if data.cutoff is not None else {}
    result = fit(
        priors=prior_set,
        extra=data.extra or (),
        config=SamplerConfig(**sampler_config(sampler)),
        store=cf_store,
        gate=Gate(**gate),
        progress=False,
        log=log,
        make_current=False,
        **kwargs,
    )
    return Counterfactual(result.run_id, cf_store, "refitted", time.perf_counter() - started)


# -- what changed ----------------------------------------------------------------------------------
def _diff(a: dict[str, Any], b: dict[str, Any]) -> tuple[float | None, float | None]:
    """b - a with its MC error (independent runs: errors add in quadrature)."""
    if a["value"] is None or b["value"] is None:
        return None, None
    se = None
    if a["mcse"] is not None and b["mcse"] is not None:
        se = round(float(np.hypot(a["mcse"], b["mcse"])), 4)
    return round(b["value"] - a["value"], 4), se


def split_rows(
    then: Mapping[str, dict[str, Any]],
    now: Mapping[str, dict[str, Any]],
    middle: Mapping[str, dict[str, Any]] | None,
    method: str,
) -> list[dict[str, Any]]:
    """Rows of 'what changed': then, now, total change, and its data and prior parts.

    ``method``: ``priors_only``/``data_only`` put the whole change in one part; ``p0_d1``
    (middle = (p0, d1)) gives data = middle - then, priors = now - middle; ``p1_d0`` (middle =
    (p1, d0)) gives priors = middle - then, data = now - middle; ``sampling`` (same priors and
    data) and ``total_only`` give no split.
    """
    rows = []
    for key, cur in now.items():
        prev = then.get(key)
        if prev is None:
            continue
        total, total_se = _diff(prev, cur)
        data_part = prior_part = data_se = prior_se = None
        if method == "priors_only":
            data_part, data_se, prior_part, prior_se = 0.0, 0.0, total, total_se
        elif method == "data_only":
            data_part, data_se, prior_part, prior_se = total, total_se, 0.0, 0.0
        elif method in ("p0_d1", "p1_d0") and middle is not None and key in middle:
            first, first_se = _diff(prev, middle[key])
            second, second_se = _diff(middle[key], cur)
            if method == "p0_d1":
                data_part, data_se, prior_part, prior_se = first, first_se, second, second_se
            else:
                prior_part, prior_se, data_part, data_se = first, first_se, second, second_se
        elif method == "sampling":
            data_part, data_se, prior_part, prior_se = 0.0, 0.0, 0.0, 0.0
        rows.append(
            {
                "key": key,
                "country": cur["country"],
                "scenario": cur["scenario"],
                "figure": cur["figure"],
                "unit": cur["unit"],
                "then": prev["value"],
                "then_mcse": prev["mcse"],
                "now": cur["value"],
                "now_mcse": cur["mcse"],
                "change": total,
                "change_mcse": total_se,
                "from_data": data_part,
                "from_data_mcse": data_se,
                "from_priors": prior_part,
                "from_priors_mcse": prior_se,
                "middle": None if middle is None or key not in middle else middle[key]["value"],
            }
        )
    return rows


def _run_inputs(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": meta["id"],
        "created": meta["created"],
        "prior_set": meta["prior_set"]["name"],
        "prior_hash": meta["prior_set"]["hash"],
        "data_hash": meta["data_hash"],
        "extra_data": list(meta.get("extra_data") or []),
        "sampler": meta["sampler"],
    }


def _printed_run_inputs(payload: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """A run's inputs as a stored report printed them (its run may be gone): the same keys as
    ``_run_inputs``, None where the report does not say."""
    run = payload.get("run") or {}
    prior_set = run.get("prior_set") or {}
    return {
        "run_id": run.get("id", run_id),
        "created": run.get("created"),
        "prior_set": prior_set.get("name"),
        "prior_hash": prior_set.get("hash"),
        "data_hash": run.get("data_hash"),
        "extra_data": list(run.get("extra_data") or []),
        "sampler": (payload.get("diagnostics") or {}).get("sampler"),
    }


def changes_section(
    current: Forecaster,
    now_metrics: Mapping[str, dict[str, Any]],
    scenarios: Sequence[str],
    previous: Mapping[str, Any] | None,
    store: RunStore,
    reports: ReportStore,
    refit: str,
    data_files: Sequence[Path],
    log: Log,
) -> dict[str, Any]:
    """What changed since the previous report, split into the data part and the prior part."""
    cur_meta = current.run.meta
    out: dict[str, Any] = {
        "previous_report": None,
        "previous_run": None,
        "current_run": _run_inputs(cur_meta),
        "counterfactual": None,
        "method": "first_report",
        "summary": "This is the first report in this store: there is nothing to compare with.",
        "notes": [],
        "rows": [],
    }
    if previous is None:
        return out
    out["previous_report"] = previous["id"]
    out["previous_report_created"] = previous["created"]
    prev_id = previous["run_id"]
    if prev_id == current.run.id:
        out["method"] = "same_run"
        out["previous_run"] = _run_inputs(cur_meta)
        out["summary"] = (
            f"The previous report ({previous['id']}) showed the same run, {prev_id}: "
            "nothing changed."
        )
        out["rows"] = split_rows(now_metrics, now_metrics, None, "sampling")
        return out
    try:
        prev = Forecaster.from_store(store, prev_id)
    except ForecastError as exc:
        return out | _from_previous_payload(previous, reports, now_metrics, str(exc))
    prev_meta = prev.run.meta
    out["previous_run"] = _run_inputs(prev_meta)
    then = headline_metrics(headline_section(prev, scenarios), race_section(prev, scenarios))
    out["notes"] += _compare_with_printed(previous, reports, then)
    prior_changed = prev_meta["prior_set"]["hash"] != cur_meta["prior_set"]["hash"]
    data_changed = prev_meta["data_hash"] != cur_meta["data_hash"]
    if prev_meta["sampler"] != cur_meta["sampler"]:
        out["notes"].append(
            "The two runs used different sampler settings "
            f"({_sampler_text(prev_meta['sampler'])} then, {_sampler_text(cur_meta['sampler'])} "
            "now); part of any change is Monte Carlo noise from that."
        )
    out["notes"].append(
        "MC errors of changes add the two runs' errors in quadrature (a conservative bound: "
        "both runs share the projection's random numbers through the seed)."
    )
    if not prior_changed and not data_changed:
        out["method"] = "sampling"
        out["summary"] = (
            "Priors and data are the same as in the previous run; the change is sampling noise "
            "(different sampler settings or seed), so no part comes from data or priors."
        )
        out["rows"] = split_rows(then, now_metrics, None, "sampling")
        return out
    if prior_changed != data_changed:
        method = "priors_only" if prior_changed else "data_only"
        what = (
            f"the prior set changed ({prev_meta['prior_set']['name']} "
            f"{prev_meta['prior_set']['hash'][:12]} -> {cur_meta['prior_set']['name']} "
            f"{cur_meta['prior_set']['hash'][:12]}) on the same data"
            if prior_changed
            else f"the data changed ({prev_meta['data_hash'][:12]} -> "
            f"{cur_meta['data_hash'][:12]}) under the same priors"
        )
        out["method"] = method
        out["summary"] = (
            f"Only one input changed: {what}. The whole change is attributed to "
            f"{'priors' if prior_changed else 'data'}; no refit was needed."
        )
        out["rows"] = split_rows(then, now_metrics, None, method)
        return out
    # Both changed: a counterfactual run is needed.
    out |= _split_both(
        prev, current, then, now_metrics, scenarios, store, reports, refit, data_files, log
    )
    return out


def _split_both(
    prev: Forecaster,
    current: Forecaster,
    then: Mapping[str, dict[str, Any]],
    now_metrics: Mapping[str, dict[str, Any]],
    scenarios: Sequence[str],
    store: RunStore,
    reports: ReportStore,
    refit: str,
    data_files: Sequence[Path],
    log: Log,
) -> dict[str, Any]:
    prev_meta, cur_meta = prev.run.meta, current.run.meta
    old_priors = resolve_priors(prev_meta, reports)
    new_data = resolve_data(cur_meta, reports, data_files)
    ways = []
    if old_priors.prior_set is not None and new_data.extra is not None:
        ways.append(("p0_d1", old_priors, new_data, cur_meta["data_hash"]))
    new_priors = resolve_priors(cur_meta, reports)
    old_data = resolve_data(prev_meta, reports, data_files)
    if new_priors.prior_set is not None and old_data.extra is not None:
        ways.append(("p1_d0", new_priors, old_data, prev_meta["data_hash"]))
    notes = []
    if old_priors.prior_set is None:
        notes.append(f"Previous priors: {old_priors.note}.")
    if new_data.extra is None:
        notes.append(f"Current data: {new_data.note}.")
    if not ways:
        notes.append(f"Previous data: {old_data.note}.")
        return {
            "method": "total_only",
            "summary": "Both the priors and the data changed, and no counterfactual run can be "
            "fitted (see the notes), so only the total change is given.",
            "notes": notes,
            "rows": split_rows(then, now_metrics, None, "total_only"),
        }
    for method, priors, data, data_hash in ways:
        cf = counterfactual_run(
            priors.prior_set,
            data,
            data_hash,
            cur_meta["sampler"],
            cur_meta["gate"],
            reports,
            store,
            refit,
            log,
        )
        if cf is None:
            continue
        middle_f = Forecaster.from_store(cf.store, cf.run_id)
        middle = headline_metrics(
            headline_section(middle_f, scenarios), race_section(middle_f, scenarios)
        )
        cf_meta = middle_f.run.meta
        if method == "p0_d1":
            way = (
                f"with the previous priors ({priors.prior_set.name}, hash "
                f"{priors.prior_set.hash[:12]}, {priors.note}) on the current data ({data.note})"
            )
            formula = "data part = counterfactual - previous; prior part = current - counterfactual"
        else:
            way = (
                f"with the current priors ({priors.prior_set.name}, hash "
                f"{priors.prior_set.hash[:12]}) on the previous data ({data.note})"
            )
            formula = "prior part = counterfactual - previous; data part = current - counterfactual"
        how = (
            f"refitted now ({cf.seconds:.0f} s)"
            if cf.how == "refitted"
            else "taken from the cache of counterfactual runs"
        )
        if cf_meta.get("status") != "passed":
            notes.append(
                f"The counterfactual run {cf.run_id} failed its diagnostics gate "
                f"({'; '.join(cf_meta.get('gate_failures', []))}): read its parts with care."
            )
        return {
            "method": method,
            "counterfactual": {
                "run_id": cf.run_id,
                "how": cf.how,
                "seconds": round(cf.seconds, 1),
                "priors": priors.prior_set.name,
                "prior_hash": priors.prior_set.hash,
                "data_hash": data_hash,
                "sampler": cur_meta["sampler"],
                "status": cf_meta.get("status"),
            },
            "summary": (
                f"Both the priors and the data changed. Counterfactual run {cf.run_id} was fitted "
                f"{way}, with the current run's sampler settings; it was {how}. Split: "
                f"{formula}; the two parts add up to the total change."
            ),
            "notes": notes,
            "rows": split_rows(then, now_metrics, middle, method),
        }
    notes.append(
        "Counterfactual refits are switched off for this report (refit mode "
        f"'{refit}') and none is cached."
    )
    return {
        "method": "total_only",
        "summary": "Both the priors and the data changed; no counterfactual run was available, "
        "so only the total change is given (render with refit 'auto' to split it).",
        "notes": notes,
        "rows": split_rows(then, now_metrics, None, "total_only"),
    }


def _sampler_text(s: Mapping[str, Any]) -> str:
    return (
        f"{s.get('sampler')} {s.get('chains')} chains x {s.get('draws')} draws, "
        f"{s.get('tune')} tuning, seed {s.get('seed')}"
    )


def _compare_with_printed(
    previous: Mapping[str, Any], reports: ReportStore, then: Mapping[str, dict[str, Any]]
) -> list[str]:
    """A note when the previous report printed other numbers than the recomputed ones."""
    try:
        payload = reports.payload(previous["id"])
    except ForecastError:
        return []
    printed = headline_metrics(payload["headline"], payload["race"])
    differ = [
        k for k, v in printed.items() if k in then and not _same(v["value"], then[k]["value"])
    ]
    if not differ:
        return []
    return [
        f"{len(differ)} figures recomputed from the previous run differ from those printed in "
        "the previous report (the scenario file or the projection code changed since); the "
        "table uses the recomputed values so that the parts add up."
    ]


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9


def _from_previous_payload(
    previous: Mapping[str, Any],
    reports: ReportStore,
    now_metrics: Mapping[str, dict[str, Any]],
    reason: str,
) -> dict[str, Any]:
    """'What changed' from the previous report's printed numbers (its run cannot be loaded)."""
    try:
        payload = reports.payload(previous["id"])
    except ForecastError as exc:
        return {
            "method": "unavailable",
            "summary": f"The previous run cannot be loaded ({reason}) and the previous report "
            f"has no JSON ({exc}): nothing to compare.",
        }
    then = headline_metrics(payload["headline"], payload["race"])
    return {
        "method": "total_only",
        "previous_run": _printed_run_inputs(payload, previous["run_id"]),
        "summary": f"The previous run cannot be loaded ({reason}); the change is computed from "
        "the numbers printed in the previous report, without a split.",
        "rows": split_rows(then, now_metrics, None, "total_only"),
    }


def sampler_config(stored: dict[str, Any]) -> dict[str, Any]:
    """A run's stored sampler settings as ``SamplerConfig`` keywords (lists back to tuples)."""
    out = dict(stored)
    if isinstance(out.get("structures"), list):
        out["structures"] = tuple(out["structures"])
    return out
