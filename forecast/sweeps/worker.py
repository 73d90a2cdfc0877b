"""One fit of a sweep, run inside a worker process (a Dask worker, or the caller's process).

Each process keeps a cache of compiled models, one per graph shape (prior families and settings)
and structure: the first fit of a model compiles it (or loads it from the disk compile cache),
every later fit in that process swaps its data and prior values in and samples. Prepared inputs
(prior set and observations per prior set, cutoff and extra files) are cached the same way.
The worker writes nothing: it returns the run (posterior tree, metadata, resolved priors) and
its results row to the caller, which stores them once (so workers need no shared disk and a
task run twice stores nothing twice).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from forecast.sweeps.grid import SIMULATION_SEED, FitPoint, run_id_for_key

MAX_SIMULATION_ATTEMPTS = 20
"""Prior draws tried per simulated data set before giving up (non-finite simulated values)."""

_LOCK = threading.Lock()
_COMPILED: dict[tuple[str, str], Any] = {}
_PREPARED: dict[tuple[str, str | None, tuple[str, ...]], tuple[Any, Any, str]] = {}
STATS = {"compiles": 0, "fits": 0}
"""What this process did: models compiled and fits run (read by tests and the benchmark)."""


@dataclass(frozen=True)
class FitTask:
    """Everything a worker needs for one fit (small and picklable)."""

    key: str
    point: FitPoint
    config: Any  # forecast.fit.sampling.SamplerConfig, seed already the point's
    gate: Any  # forecast.fit.sampling.Gate
    extra: tuple[Path, ...] = ()


class _Capture:
    """Stands in for a RunStore in ``finalize``: keeps the run instead of writing it."""

    def __init__(self) -> None:
        self.tree: Any = None
        self.meta: dict[str, Any] = {}
        self.files: dict[str, bytes] = {}

    def save(self, tree: Any, meta: dict[str, Any], make_current: bool, files: Any = None) -> None:
        self.tree, self.meta, self.files = tree, meta, dict(files or {})


def reset_cache() -> None:
    """Forget compiled models and prepared inputs (tests)."""
    with _LOCK:
        _COMPILED.clear()
        _PREPARED.clear()
        STATS.update(compiles=0, fits=0)


def prepared(priors: str, cutoff: date | None, extra: tuple[Path, ...]) -> tuple[Any, Any, str]:
    """The prior set, observations and data hash for a prior set, cutoff and extra files."""
    from forecast.fit.sampling import prepare

    key = (priors, cutoff.isoformat() if cutoff else None, tuple(str(p) for p in extra))
    with _LOCK:
        if key not in _PREPARED:
            source: Any = Path(priors) if priors.endswith(".toml") else priors
            _PREPARED[key] = prepare(source, extra, cutoff)
        return _PREPARED[key]


def compiled_for(prior_set: Any, structure: str, obs: Any) -> tuple[Any, float, bool]:
    """The compiled model with ``obs`` and the prior values swapped in; seconds spent
    compiling (or loading from the disk compile cache); whether this process had it already.

    Prior parameters are data of the compiled graph, so one compile serves every prior set with
    the same families and settings, and the disk cache (``forecast.fit.compile_cache``) lets a
    new worker load what another process compiled.
    """
    from forecast.fit.sampling import _graph_shape, build_model, compile_nutpie, swap_data
    from forecast.model.graph import model_data, prior_data

    # one compiled graph serves every structure: its switches are data (model_data)
    key = (_graph_shape(prior_set),)
    updates = {**model_data(obs, structure), **prior_data(prior_set)}
    with _LOCK:
        cached = _COMPILED.get(key)
        if cached is None:
            compiled, seconds, _ = compile_nutpie(build_model(obs, prior_set))
            _COMPILED[key] = compiled
            STATS["compiles"] += 1
            return swap_data(compiled, updates), seconds, False
        return swap_data(cached, updates), 0.0, True


def simulated(
    prior_set: Any, obs: Any, index: int, structure: str | None = None
) -> tuple[Any, dict[str, float]]:
    """Data set ``sim{index}``: true parameters drawn from the prior set, observations simulated
    at them under ``structure`` (default: the first) with the observed design (deterministic in
    the index)."""
    from forecast.core.definitions import DEFAULT_STRUCTURE, parameter_names
    from forecast.model.equations import Axes
    from forecast.model.simulate import simulate

    rng = np.random.default_rng([SIMULATION_SEED, index])
    axes = Axes.from_settings(prior_set.settings, obs.data_end)
    for _ in range(MAX_SIMULATION_ATTEMPTS):
        truth = {n: float(prior_set[n].sample(rng, None)) for n in parameter_names()}
        with np.errstate(all="ignore"):
            sim = simulate(obs, truth, axes, rng, structure or DEFAULT_STRUCTURE)
        blocks = (sim.stock, sim.compute, sim.eci_records, sim.eci_cross, sim.horizon)
        if all(bool(np.all(np.isfinite(b.value))) for b in blocks):
            return sim, truth
    raise RuntimeError(f"sim{index}: no finite simulated data in {MAX_SIMULATION_ATTEMPTS} draws")


def loaded_run(run_id: str, meta: dict[str, Any], tree: Any) -> Any:
    """The run as ``RunStore.load`` would give it back, from the tree in memory."""
    from forecast.store.runs import LoadedRun, pin_unused, structure_of_draws

    post = tree["posterior"].to_dataset()
    draws = {
        name: np.asarray(var.values, dtype=float).reshape(-1)
        for name, var in post.data_vars.items()
    }
    chains = int(post.sizes["chain"])
    structure = structure_of_draws(meta, chains, int(post.sizes["draw"]))
    pin_unused(draws, structure)
    return LoadedRun(id=run_id, meta=meta, draws=draws, chains=chains, structure=structure)


def structures_of(structure: str) -> tuple[str, ...]:
    """The structures a sweep fit samples: every one for ``mixture``, else the one named."""
    from forecast.core.definitions import MIXTURE, STRUCTURE_NAMES

    return STRUCTURE_NAMES if structure == MIXTURE else (structure,)


def run_fit(task: FitTask) -> dict[str, Any]:
    """Fit one grid point, check the gate, answer the headline questions and (with a cutoff,
    on observed data) score the backtest. Returns the run and its row; stores nothing."""
    from forecast.fit.sampling import (
        Inputs,
        finalize,
        fit_holdout_for,
        on_other_data,
        sample_compiled,
        with_structure,
    )

    started = time.perf_counter()
    point = task.point
    prior_set, obs, data_hash = prepared(point.priors, point.cutoff, task.extra)
    truth = None
    if point.sim_index is not None:
        obs, truth = simulated(prior_set, obs, point.sim_index, point.structure)
    t_prep = time.perf_counter()
    first = structures_of(point.structure)[0]
    compiled, compile_s, cached = compiled_for(prior_set, first, obs)
    t1 = time.perf_counter()
    trees = {
        name: sample_compiled(with_structure(compiled, name), task.config, progress=False)
        for name in structures_of(point.structure)
    }
    holdout = None
    if point.sim_index is None:  # simulated data sets are not weighed (recovery is per structure)
        on_past = on_other_data(compiled, prior_set, task.config)
        holdout = fit_holdout_for(
            prior_set, task.extra, obs, list(trees), task.config, task.gate, lambda _: None, on_past
        )
    sampling_s = time.perf_counter() - t1
    capture = _Capture()
    result = finalize(
        trees,
        Inputs(prior_set, obs, data_hash, task.extra, point.cutoff),
        task.config,
        timing=(started, compile_s, sampling_s),
        store=capture,  # type: ignore[arg-type]
        gate=task.gate,
        say=lambda _: None,
        make_current=False,
        holdout=holdout,
    )
    t_scoring = time.perf_counter()
    run_id = run_id_for_key(task.key)
    meta = dict(result.meta)
    meta["id"] = run_id
    meta["sweep"] = {
        "key": task.key,
        "structure": point.structure,
        "data": point.data,
        "label": point.label(),
    }
    if truth is not None:
        meta["simulated"] = {"index": point.sim_index, "seed": SIMULATION_SEED, "truth": truth}
    run_tree = capture.tree
    run_tree.attrs = {**run_tree.attrs, "id": run_id}
    answers, scores = score_fit(run_id, meta, run_tree, point, prior_set, task.extra, truth)
    scoring_s = time.perf_counter() - t_scoring
    with _LOCK:
        STATS["fits"] += 1
    timing = {
        "prepare_seconds": round(t_prep - started, 3),
        "compile_seconds": round(compile_s, 3),
        "sampling_seconds": round(sampling_s, 3),
        "diagnostics_seconds": round(t_scoring - t1 - sampling_s, 3),
        "scoring_seconds": round(scoring_s, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    return {
        "key": task.key,
        "run_id": run_id,
        "point": point,
        "meta": meta,
        "tree": run_tree,
        "files": capture.files,
        "answers": answers,
        "scores": scores,
        "timing": timing,
        "compiled_cached": cached,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


def score_fit(
    run_id: str,
    meta: dict[str, Any],
    tree: Any,
    point: FitPoint,
    prior_set: Any,
    extra: tuple[Path, ...],
    truth: Mapping[str, float] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Headline answers (median arrival per country, P(first)), the prior-vintage flag, and the
    backtest scores of a fit with a cutoff on observed data (or, on simulated data, recovery)."""
    from forecast.core.definitions import COUNTRIES
    from forecast.questions.forecaster import Forecaster
    from forecast.sweeps.vintage import later_knowledge

    forecaster = Forecaster(loaded_run(run_id, meta, tree))
    answers: dict[str, Any] = {}
    for country in COUNTRIES:
        arrival = forecaster.arrival(country, quantiles=(0.5,), cdf=False)
        q = arrival["quantiles"][0]
        answers[f"median_arrival_{country.lower()}"] = q["year"]
        answers[f"p_later_{country.lower()}"] = arrival["p_later"]["p"]
    race = forecaster.race(within_years=(1.0,))
    for row in race["p_first"]:
        answers[f"p_{row['country'].lower()}_first"] = row["p"]
    answers["prior_vintage"] = later_knowledge(prior_set, point.cutoff)
    if truth is not None:
        answers["recovery"] = recovery(tree, truth, point.structure)
    scores = None
    if point.cutoff is not None and point.sim_index is None:
        from forecast.sweeps.scores import backtest_scores

        scores = backtest_scores(forecaster, point.cutoff, extra)
        if len(forecaster.full_run.structures) > 1:  # a mixture fit: each structure too
            scores["by_structure"] = {
                e["name"]: backtest_scores(forecaster.for_structure(e["name"]), point.cutoff, extra)
                for e in forecaster.full_run.structures
            }
    return answers, scores


def recovery(tree: Any, truth: Mapping[str, float], structure: str | None = None) -> dict[str, Any]:
    """Share of the data-informed parameters whose true value lies in the central 80% and 50%
    posterior intervals (a simulated data set's check that the fit recovers what made it)."""
    from forecast.model.simulate import prior_only

    post = tree["posterior"].to_dataset()
    uninformed = prior_only(structure) if structure else prior_only()
    names = [n for n in truth if n in post and n not in uninformed]
    inside = {0.5: 0, 0.8: 0}
    for name in names:
        draws = np.asarray(post[name].values, dtype=float).reshape(-1)
        for level in inside:
            lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
            inside[level] += int(lo <= truth[name] <= hi)
    n = max(len(names), 1)
    return {
        "parameters": len(names),
        "truth_in_50": round(inside[0.5] / n, 4),
        "truth_in_80": round(inside[0.8] / n, 4),
    }


def with_seed(config: Any, seed: int, cores: int | None) -> Any:
    """``config`` with the point's seed (and ``cores`` threads per fit, if given)."""
    return replace(config, seed=seed, **({"cores": cores} if cores else {}))
