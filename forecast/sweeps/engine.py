"""Run a sweep: plan its fits, skip those already stored, fit the rest, write its results.

Engines: ``inline`` (one after another in this process: the sequential reference and the
default of ``forecast backtest``), a new local Dask cluster (``scheduler=None``) or an existing
Dask scheduler (``scheduler="tcp://host:8786"`` or a scheduler file). One task per fit, keyed by
the fit's content address; each worker compiles each model once (``forecast.sweeps.worker``), and
fits are placed so that a model is compiled on one worker unless splitting it pays
(:func:`affinity`).
Results come back to this process, which stores each fit once as it arrives, so an interrupted
sweep resumes where it stopped: run the same command again.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from forecast.sweeps import tables
from forecast.sweeps.grid import FitPoint, SweepSpec, expand, fit_key, sweep_id
from forecast.sweeps.index import SweepStore
from forecast.sweeps.worker import FitTask, prepared, run_fit, with_seed

INLINE = "inline"

COMPILE_SECONDS = 450.0
"""Estimate of compiling one model on a worker, seconds, when the sweep store has no measured
compile yet: a backtest sweep on the 2-core machine took 420-470 s per worker."""
FIT_SECONDS = 26.0
"""Estimate of one fit of an already compiled model (sampling, diagnostics and scoring),
seconds, when the store has no measured fit yet (the same sweep)."""


@dataclass(frozen=True)
class Costs:
    """Estimated seconds of compiling a model and of one fit once it is compiled, and where the
    figures come from (fits stored with the same sampler settings, or the defaults above)."""

    compile_seconds: float = COMPILE_SECONDS
    fit_seconds: float = FIT_SECONDS
    source: str = "defaults"


@dataclass
class Plan:
    """A sweep's fits with their keys, and which are still to fit."""

    sweep_id: str
    spec: SweepSpec
    tasks: list[FitTask]
    stored: set[str] = field(default_factory=set)

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tasks]

    @property
    def todo(self) -> list[FitTask]:
        return [t for t in self.tasks if t.key not in self.stored]


def sampler_for(quick: bool) -> tuple[Any, Any]:
    """The sampler settings and gate of a quick or a default sweep."""
    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, SamplerConfig

    return (QUICK, QUICK_GATE) if quick else (SamplerConfig(), Gate())


def measured_costs(rows: Sequence[Mapping[str, Any]], draws: int, chains: int) -> Costs:
    """Compile and fit seconds measured in stored fits with these sampler settings: the median
    compile time of the fits that compiled their model, and the median of the rest of a fit's
    time (total minus compile) over all of them. Each figure not measured yet is the default."""
    same = [
        r
        for r in rows
        if r.get("draws") == draws
        and r.get("chains") == chains
        and r.get("total_seconds") is not None
    ]
    compiles = [
        float(r["compile_seconds"])
        for r in same
        if not r.get("compiled_cached") and (r.get("compile_seconds") or 0.0) > 0.0
    ]
    fits = [float(r["total_seconds"]) - float(r.get("compile_seconds") or 0.0) for r in same]
    if not compiles and not fits:
        return Costs()
    return Costs(
        compile_seconds=statistics.median(compiles) if compiles else COMPILE_SECONDS,
        fit_seconds=statistics.median(fits) if fits else FIT_SECONDS,
        source=f"measured ({len(compiles)} compiles, {len(fits)} fits stored)",
    )


def sweep_costs(store: SweepStore, config: Any) -> Costs:
    """:func:`measured_costs` over every fit in ``store`` with ``config``'s draws and chains."""
    keys = sorted(store.stored_keys())
    return measured_costs(store.rows(keys), config.draws, config.chains)


def plan(spec: SweepSpec, store: SweepStore, cores_per_fit: int | None = None) -> Plan:
    """Expand the grid, address each fit by content and look up what is stored."""
    config, gate = sampler_for(spec.quick)
    tasks = []
    for point in expand(spec, config.seed):
        prior_set, _, data_hash = prepared(point.priors, point.cutoff, spec.extra)
        key = fit_key(point, prior_set.hash, data_hash, config, gate)
        tasks.append(
            FitTask(key, point, with_seed(config, point.seed, cores_per_fit), gate, spec.extra)
        )
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):  # two grid points that are the same fit
        seen: set[str] = set()
        tasks = [t for t in tasks if not (t.key in seen or seen.add(t.key))]  # type: ignore[func-returns-value]
        keys = [t.key for t in tasks]
    return Plan(sweep_id(keys), spec, tasks, store.stored_keys(keys))


class Progress:
    """A progress bar on stderr (one line redrawn on a terminal; a line per fit otherwise)."""

    def __init__(self, total: int, done: int, stream: TextIO | None = None, width: int = 30):
        self.total, self.done, self.width = total, done, width
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.new = 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, note: str = "") -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * self.width)
        elapsed = time.perf_counter() - self.started
        eta = ""
        if self.new and self.done < self.total:
            eta = f", eta {elapsed / self.new * (self.total - self.done):.0f} s"
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {self.done}/{self.total} fits, {elapsed:.0f} s{eta}{note}"

    def update(self, note: str = "") -> None:
        self.done += 1
        self.new += 1
        self.draw(note)

    def draw(self, note: str = "") -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self.line(note))
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(self.line(note) + "\n")
        self.stream.flush()


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_sweep(
    spec: SweepSpec,
    store: SweepStore | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    cores_per_fit: int | None = None,
    log: Callable[[str], None] | None = None,
    progress: bool = True,
    on_outcome: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a sweep; returns its summary with the results rows.

    ``scheduler``: ``"inline"`` (this process), None (a new local cluster) or an address.
    """
    say = log or _stderr
    store = store or SweepStore()
    started = time.perf_counter()
    the_plan = plan(spec, store, cores_per_fit)
    labels = [t.point.label() for t in the_plan.tasks]
    store.register(the_plan.sweep_id, spec.to_dict(), the_plan.keys, labels)
    todo = the_plan.todo
    say(
        f"sweep {the_plan.sweep_id}: {len(the_plan.tasks)} fits, "
        f"{len(the_plan.stored)} stored already, {len(todo)} to fit (store {store.home})"
    )
    bar = Progress(len(the_plan.tasks), len(the_plan.stored)) if progress else None
    if bar is not None and not todo:
        bar.draw(" (every fit stored already)")
    errors: list[dict[str, str]] = []
    info: dict[str, Any] = {"engine": INLINE if scheduler == INLINE else "dask"}
    fitted = 0

    def keep(outcome: dict[str, Any]) -> None:
        nonlocal fitted
        row = tables.result_row(outcome, spec.quick)
        store.record(outcome, row)
        fitted += 1
        if on_outcome is not None:
            on_outcome(outcome)
        if bar is not None:
            bar.update(f" (last: {outcome['point'].label()} {outcome['meta']['status']})")

    if todo and scheduler == INLINE:
        for task in todo:
            keep(run_fit(task))
    elif todo:
        costs = sweep_costs(store, todo[0].config)
        info |= _run_dask(todo, scheduler, workers, keep, errors, say, costs)
    elapsed = time.perf_counter() - started
    rows = store.rows(the_plan.keys)
    result = finish(store, the_plan, rows, errors)
    result |= info | {
        "fitted_now": fitted,
        "stored_before": len(the_plan.stored),
        "wall_seconds": round(elapsed, 1),
        "fits_per_minute": round(fitted / elapsed * 60, 2) if fitted else None,
    }
    store.finish(the_plan.sweep_id, result["state"], finite(_summary_only(result)))
    return result


def _run_dask(
    todo: Sequence[FitTask],
    scheduler: str | None,
    workers: int | None,
    keep: Callable[[dict[str, Any]], None],
    errors: list[dict[str, str]],
    say: Callable[[str], None],
    costs: Costs | None = None,
) -> dict[str, Any]:
    from distributed import as_completed

    from forecast.sweeps.cluster import connect, dashboard, worker_count

    client, cluster = connect(scheduler, workers)
    try:
        link = dashboard(client)
        n = worker_count(client)
        say(f"dask scheduler {client.scheduler.address}: {n} workers; dashboard {link}")
        costs = costs or Costs()
        placement = affinity(todo, sorted(client.scheduler_info(n_workers=-1)["workers"]), costs)
        say(placement_note(todo, placement, costs))
        futures = [
            client.submit(
                run_fit,
                task,
                key=f"fit-{task.key[:40]}",
                retries=1,
                workers=placement.get(task.key),
                allow_other_workers=True,
            )
            for task in todo
        ]
        by_key = {f.key: t for f, t in zip(futures, todo, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            task = by_key[future.key]
            try:
                outcome = future.result()
            except Exception as exc:  # a fit that errors is reported, and refitted on resume
                errors.append({"fit": task.point.label(), "error": f"{type(exc).__name__}: {exc}"})
                say(f"error: {task.point.label()}: {type(exc).__name__}: {exc}")
                continue
            finally:
                future.release()
            keep(outcome)
        return {"scheduler": client.scheduler.address, "workers": n, "dashboard": link}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def workers_for(fits: int, costs: Costs, fair_share: int) -> int:
    """How many workers one model's ``fits`` are spread over (each of them compiles it).

    The rule: a model stays on one worker unless fitting all its fits there would take longer
    than compiling it (``fits x fit_seconds > compile_seconds``); then it takes one worker per
    compile time of fitting, ``ceil(fits x fit_seconds / compile_seconds)``, so each extra
    compile is paid for by at least its own time of fits moved off the first worker. Never more
    workers than fits, nor than the model's ``fair_share`` of the workers (see
    :func:`affinity`), and always at least one.
    """
    if fits <= 0:
        return 0
    if costs.compile_seconds <= 0:
        wanted = fits
    else:
        wanted = math.ceil(fits * costs.fit_seconds / costs.compile_seconds)
    return max(1, min(wanted, fits, fair_share))


def affinity(
    todo: Sequence[FitTask], workers: Sequence[str], costs: Costs | None = None
) -> dict[str, list[str]]:
    """Preferred worker per fit, so that each model (prior set x structure, one compiled model)
    is compiled on as few workers as pays.

    Each model's fits go to :func:`workers_for` workers: one unless its fits on one worker
    would take longer than compiling it (``costs``: measured in the sweep store, else
    :data:`COMPILE_SECONDS` and :data:`FIT_SECONDS`), and never more than its fair share of
    the workers, ``floor(workers x its work / all work)`` with work = compile + fits x fit time
    (a model is not split onto workers that other models keep busy). Models are placed largest
    first on the least-loaded workers (estimated seconds), their fits dealt round-robin over
    the chosen workers. Restrictions are loose: a fit whose worker is gone runs on any other.
    """
    if not workers:
        return {}
    costs = costs or Costs()
    groups: dict[tuple[str, str], list[FitTask]] = {}
    for task in todo:
        groups.setdefault((task.point.priors, task.point.structure), []).append(task)

    def work(n: int) -> float:
        return costs.compile_seconds + n * costs.fit_seconds

    total = sum(work(len(tasks)) for tasks in groups.values())
    load = dict.fromkeys(workers, 0.0)
    order = {w: i for i, w in enumerate(workers)}
    out: dict[str, list[str]] = {}
    for tasks in sorted(groups.values(), key=len, reverse=True):  # stable: ties in grid order
        share = math.floor(len(workers) * work(len(tasks)) / total) if total > 0 else 1
        k = workers_for(len(tasks), costs, min(len(workers), share))
        chosen = sorted(workers, key=lambda w: (load[w], order[w]))[:k]
        for j, task in enumerate(tasks):
            out[task.key] = [chosen[j % k]]
        for i, w in enumerate(chosen):
            load[w] += work(len(tasks[i::k]))
    return out


def placement_note(
    todo: Sequence[FitTask], placement: Mapping[str, list[str]], costs: Costs
) -> str:
    """One line saying how many workers each model's fits were placed on, and why."""
    spread: dict[tuple[str, str], set[str]] = {}
    for task in todo:
        model = (task.point.priors, task.point.structure)
        spread.setdefault(model, set()).update(placement.get(task.key, []))
    counts = {m: sum(1 for t in todo if (t.point.priors, t.point.structure) == m) for m in spread}
    parts = [f"{p}/{s}: {counts[(p, s)]} fits on {len(w)}" for (p, s), w in spread.items()]
    return (
        f"placement ({costs.source}: compile {costs.compile_seconds:.0f} s, fit "
        f"{costs.fit_seconds:.0f} s): " + "; ".join(parts)
    )


def finish(
    store: SweepStore, the_plan: Plan, rows: list[dict[str, Any]], errors: list[dict[str, str]]
) -> dict[str, Any]:
    """Write the sweep's result files and build its summary."""
    import json

    folder = store.folder(the_plan.sweep_id)
    table = tables.frame(rows)
    files = tables.write(folder, table)
    scores = store.scores([r["key"] for r in rows])
    result: dict[str, Any] = {
        "sweep_id": the_plan.sweep_id,
        "state": "complete" if len(rows) == len(the_plan.tasks) else "incomplete",
        "spec": the_plan.spec.to_dict(),
        "counts": tables.headline(rows),
        "errors": errors,
        "files": {k: f"{the_plan.sweep_id}/{v}" for k, v in files.items()},
        "backtest": tables.backtest_table(rows, scores),
        "rows": rows,
    }
    text = json.dumps(finite(_summary_only(result)), indent=1, default=str, allow_nan=False)
    (folder / "sweep.json").write_text(text)
    return result


def _summary_only(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "rows"}


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (in lists and dicts too) as None (strict JSON)."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def backtest_spec(priors: str, cutoffs: Sequence[date], quick: bool, seeds: int = 1) -> SweepSpec:
    """The sweep behind ``forecast backtest``: one prior set at the given cutoffs, each fit
    sampling every structure (``mixture``), scored for the mixture and per structure."""
    from forecast.core.definitions import MIXTURE

    return SweepSpec(
        priors=(priors,), cutoffs=tuple(cutoffs), structures=(MIXTURE,), seeds=seeds, quick=quick
    )


__all__ = [
    "COMPILE_SECONDS",
    "FIT_SECONDS",
    "INLINE",
    "Costs",
    "FitPoint",
    "Plan",
    "Progress",
    "affinity",
    "backtest_spec",
    "measured_costs",
    "plan",
    "run_sweep",
    "workers_for",
]
