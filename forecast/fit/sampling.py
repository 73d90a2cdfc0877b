"""Fitting: sample the model, check the diagnostics gate, store the run.

The sampler is always named explicitly (``pm.sample`` would pick nutpie silently when it is
installed). A run that fails the gate (any divergence, max R-hat above 1.01, or min bulk ESS
below 400, on any parameter) is stored with status ``failed`` and never becomes current.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast.core.definitions import (
    DEFAULT_STRUCTURE,
    MODEL_TYPE,
    MODEL_VERSION,
    parameter_names,
    structure_info,
)
from forecast.core.timeutil import decimal_year
from forecast.data import tables as data_tables
from forecast.data.observations import (
    Observations,
    build_observations,
    measurement_error,
    stock_additions_meta,
)
from forecast.fit.holdout import (
    Holdout,
    fit_holdout,
    holdout_cutoff,
    holdout_weights,
    holdout_years,
    skipped,
)
from forecast.fit.progress import (
    Progress,
    ProgressFn,
    StderrProgress,
    _no_progress,
    _SamplingProgress,
)
from forecast.fit.provenance import (
    data_end_year,
    environment,
    library_versions,
    observations_digest,
    run_id_for,
)
from forecast.fit.stacking import STACKING_BLOCKS
from forecast.fit.structures import (
    concat_chains,
    plan_structures,
    structure_weights,
    worst_diagnostics,
)
from forecast.model.graph import PRIORS_AS_DATA, TimelineModel, model_data, prior_data
from forecast.priors.priorset import PriorSet, load_prior_set
from forecast.store.runs import PRIORS_FILE, RunStore, estimate_run_bytes

SAMPLERS = ("nutpie", "pymc")


@dataclass(frozen=True)
class SamplerConfig:
    """NUTS settings. Defaults pass the gate on the bundled data (see ``bench/fit.py``)."""

    draws: int = 1000
    tune: int = 2000
    """Warm-up steps per chain. Model 2.0 on the default seed: 1500 steps at target 0.9 left
    compute_driven_progress and deployment_compute at R-hat 1.0105 (the gate is 1.01) and
    diffusion with one divergence; 2000 steps at target 0.95 pass every structure (max R-hat
    1.0075) in about 32 s of sampling for the four."""
    chains: int = 4
    cores: int = 2
    seed: int = 20251231
    sampler: str = "nutpie"
    target_accept: float = 0.95
    log_densities: bool = True
    """Store the pointwise log-likelihood and log-prior groups with the run (for power-scaling
    sensitivity on both sides and leave-one-out checks); 3-5 s per fit once PyTensor's C
    compile of the log densities is cached, about 90 s the first time on a machine."""
    structures: tuple[str, ...] | None = None
    """The structures to sample (None: the prior set's ``[structures]`` plan, by default
    every structure)."""


# 300 draws after 500 tuning steps left a three-country model below bulk ESS 100; quick fits
# (tests, smoke checks) skip the log densities and sample the default structure only (a quick
# fit of every structure takes four times as long; name them with --structure)
QUICK = SamplerConfig(
    draws=500, tune=600, chains=2, log_densities=False, structures=(DEFAULT_STRUCTURE,)
)

SAMPLE_STATS_PER_DRAW = 20
"""Sampler statistics stored per draw beside the parameters (nutpie's; PyMC stores fewer)."""


def run_size_bytes(config: SamplerConfig) -> int:
    """About what a run fitted with ``config`` takes in the store: draws x chains x (parameters
    + sampler statistics) x 8 bytes, plus its small files (the pre-flight space check's need)."""
    values = len(parameter_names()) + SAMPLE_STATS_PER_DRAW
    if config.log_densities:  # float32 pointwise log likelihood and log prior: half a value each
        values += (LOG_DENSITY_VALUES_PER_DRAW + len(parameter_names()) + 1) // 2
    return estimate_run_bytes(config.draws, config.chains, values)


LOG_DENSITY_VALUES_PER_DRAW = 400
"""Pointwise log-likelihood values per draw allowed for in the space check (the bundled data
have about 210 observations)."""


@dataclass(frozen=True)
class Gate:
    """The diagnostics gate a run must pass to become current."""

    max_rhat: float = 1.01
    min_ess_bulk: float = 400.0
    max_divergences: int = 0

    def check(self, diagnostics: dict[str, Any]) -> list[str]:
        """Reasons the diagnostics fail the gate (empty when they pass)."""
        reasons = []
        if diagnostics["divergences"] > self.max_divergences:
            reasons.append(f"{diagnostics['divergences']} divergent transitions")
        if not diagnostics["max_rhat"] <= self.max_rhat:
            reasons.append(f"max R-hat {diagnostics['max_rhat']:.4f} > {self.max_rhat}")
        if not diagnostics["min_ess_bulk"] >= self.min_ess_bulk:
            reasons.append(
                f"min bulk ESS {diagnostics['min_ess_bulk']:.0f} < {self.min_ess_bulk:.0f}"
            )
        return reasons


# ``--quick`` runs are for tests and smoke checks: too few draws for the forecast gate, so they
# are judged by a looser one (recorded in the run's metadata), never by the default gate.
QUICK_GATE = Gate(max_rhat=1.05, min_ess_bulk=100.0)


@dataclass
class FitResult:
    """What a fit produced: the stored run's id and its summary."""

    run_id: str
    status: str
    meta: dict[str, Any]
    tree: xr.DataTree = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The JSON summary printed by ``forecast fit --json``."""
        m = self.meta
        return {
            "run_id": self.run_id,
            "status": self.status,
            "current": m.get("current", False),
            "gate_failures": m["gate_failures"],
            "diagnostics": m["diagnostics"],
            "wall_seconds": m["wall_seconds"],
            "compile_seconds": m["compile_seconds"],
            "sampling_seconds": m["sampling_seconds"],
            "sampler": m["sampler"],
            "prior_set": m["prior_set"],
            "data_hash": m["data_hash"],
            "observations": m["observations"],
            "structures": [
                {
                    "structure": e["name"],
                    "weight": round(float(e.get("weight", 0.0)), 4),
                    "status": e["status"],
                    "gate_failures": e["gate_failures"],
                }
                for e in m.get("structures", [])
            ],
            "structure_weights_method": m.get("structure_weights", {}).get("method"),
        }


def diagnostics(tree: xr.DataTree) -> dict[str, Any]:
    """Max R-hat, min bulk and tail ESS over every parameter, and the divergence count."""
    import arviz_stats as azs

    post = tree["posterior"].to_dataset()
    rhat = azs.rhat(post)
    ess_bulk = azs.ess(post, method="bulk")
    ess_tail = azs.ess(post, method="tail")
    stats = tree["sample_stats"].to_dataset()
    div_name = "diverging" if "diverging" in stats else "divergences"
    per_param = {
        name: {
            "rhat": float(rhat[name].max()),
            "ess_bulk": float(ess_bulk[name].min()),
            "ess_tail": float(ess_tail[name].min()),
        }
        for name in post.data_vars
    }
    return {
        "max_rhat": max(v["rhat"] for v in per_param.values()),
        "min_ess_bulk": min(v["ess_bulk"] for v in per_param.values()),
        "min_ess_tail": min(v["ess_tail"] for v in per_param.values()),
        "divergences": int(np.asarray(stats[div_name].values).sum()),
        "parameters": per_param,
    }


def sample_compiled(
    compiled: Any,
    config: SamplerConfig,
    progress: bool,
    report: ProgressFn | None = None,
) -> xr.DataTree:
    """Sample a compiled nutpie model with the given settings (no warm-up draws kept).

    Progress goes to ``report`` (chain draws and an ETA about once a second); with
    ``progress`` and no ``report``, to stderr.
    """
    import nutpie

    if report is None and progress:
        report = StderrProgress()
    callback = _SamplingProgress(report, config) if report is not None else None
    if report is not None:
        report(Progress("sampling", 0.0, None, f"{config.chains} chains"))
    return nutpie.sample(
        compiled,
        draws=config.draws,
        tune=config.tune,
        chains=config.chains,
        cores=config.cores,
        seed=config.seed,
        save_warmup=False,
        progress_bar=False,
        progress_callback=callback,
        progress_rate=1000,
        target_accept=config.target_accept,
    )


def compile_nutpie(
    model: Any, say: Callable[[str], None] | None = None, report: ProgressFn | None = None
) -> tuple[Any, float, dict[str, Any]]:
    """The compiled nutpie model, from the disk cache when it holds this graph (seconds, info).

    See ``forecast.fit.compile_cache``; ``FORECAST_COMPILE_CACHE=0`` compiles with nutpie only.
    """
    import nutpie  # noqa: F401  (imported for sampling anyway; not compile time)

    from forecast.fit import compile_cache

    (report or _no_progress)(Progress("compiling", None, None, "model"))
    t0 = time.perf_counter()
    compiled, info = compile_cache.compile_model(model, parameter_names(), say=say)
    seconds = time.perf_counter() - t0
    cache = {"key": info.key, "hit": info.hit}
    if say is not None:
        how = "loaded from the compile cache" if info.hit else "compiled"
        say(f"model {how} in {seconds:.1f} s")
    return compiled, seconds, cache


def sample(
    model: Any,
    config: SamplerConfig,
    progress: bool,
    report: ProgressFn | None = None,
    say: Callable[[str], None] | None = None,
) -> tuple[xr.DataTree, float, float]:
    """Sample with the named sampler; returns the tree, compile seconds and sampling seconds."""
    if config.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {config.sampler!r}; choose one of {', '.join(SAMPLERS)}")
    if report is None and progress:
        report = StderrProgress()
    if config.sampler == "nutpie":
        compiled, compile_s, _ = compile_nutpie(model, say, report)
        t1 = time.perf_counter()
        tree = sample_compiled(compiled, config, progress, report)
        return tree, compile_s, time.perf_counter() - t1

    if report is not None:
        report(Progress("sampling", None, None, "PyMC NUTS (compiles first)"))

    import pymc as pm

    t0 = time.perf_counter()
    with model:
        tree = pm.sample(
            draws=config.draws,
            tune=config.tune,
            chains=config.chains,
            cores=config.cores,
            random_seed=config.seed,
            nuts_sampler="pymc",
            progressbar=progress,
            target_accept=config.target_accept,
            compute_convergence_checks=False,
        )
    total = time.perf_counter() - t0
    sampling = float(tree["posterior"].attrs.get("sampling_time", total))
    return tree, max(total - sampling, 0.0), sampling


def with_structure(compiled: Any, name: str) -> Any:
    """The compiled model with a structure's switches swapped in (the graph is shared)."""
    return swap_data(compiled, dict(structure_info(name).switches))


def slim_tree(tree: xr.DataTree) -> xr.DataTree:
    """Only the groups a run needs: posterior and sample stats."""
    return xr.DataTree.from_dict(
        {
            "posterior": tree["posterior"].to_dataset(),
            "sample_stats": tree["sample_stats"].to_dataset(),
        }
    )


def with_fit_data(tree: xr.DataTree, obs: Observations) -> xr.DataTree:
    """``tree`` with the data the fit saw: ``observed_data`` (every observation block's values,
    ``<block>_y``) and ``constant_data`` (the other arrays of the model: times, countries,
    measurement errors, the data end), each array on its own dimension."""
    arrays = model_data(obs)

    def dataset(names: list[str]) -> xr.Dataset:
        return xr.Dataset(
            {
                k: ((f"{k}_dim_0",) if np.ndim(arrays[k]) else (), np.asarray(arrays[k]))
                for k in names
            }
        )

    observed = sorted(k for k in arrays if k.endswith("_y"))
    constant = sorted(k for k in arrays if not k.endswith("_y"))
    out = xr.DataTree.from_dict(
        {name: tree[name].to_dataset() for name in tree.children}
        | {"observed_data": dataset(observed), "constant_data": dataset(constant)}
    )
    out.attrs = dict(tree.attrs)
    return out


def build_model(obs: Observations, prior_set: PriorSet, structure: str = DEFAULT_STRUCTURE) -> Any:
    """The PyMC model of a fit: prior parameters are ``pm.Data`` (``PRIORS_AS_DATA``), so the
    disk-cached compile serves every prior set with the same families and settings; the
    structure's switches are data too, so one compiled model serves every structure."""
    token = PRIORS_AS_DATA.set(True)
    try:
        return TimelineModel(obs, prior_set, structure).build()
    finally:
        PRIORS_AS_DATA.reset(token)


OBSERVATION_TABLES = ("models", "compute_stock", "capability_eci", "capability_metr")


def cut_tables(tables: dict[str, Any], cutoff: date) -> dict[str, Any]:
    """Only the observations dated on or before ``cutoff`` (a data vintage for backtests).

    Model, ECI and METR rows are dated by release; chip-stock rows by quarter end.
    """
    stamp = np.datetime64(cutoff, "s")
    out = dict(tables)
    for name in OBSERVATION_TABLES:
        frame = tables[name]
        out[name] = frame[frame["date"].to_numpy() <= stamp].reset_index(drop=True)
    return out


def prepare(
    priors: str | Path | PriorSet, extra: Sequence[Path] = (), cutoff: date | None = None
) -> tuple[PriorSet, Observations, str]:
    """Load the prior set and the data (bundled plus extra files) into model observations.

    With ``cutoff``, only observations dated on or before it are used, and the projection
    starts the day after it (a backtest vintage).
    """
    prior_set = priors if isinstance(priors, PriorSet) else load_prior_set(priors)
    tables = data_tables.load_all(extra)
    if cutoff is None:
        data_end = data_end_year(tables)
    else:
        tables = cut_tables(tables, cutoff)
        data_end = float(decimal_year(cutoff + timedelta(days=1)))
    obs = build_observations(tables, prior_set.settings, data_end)
    digest = data_tables.data_hash(extra)
    if cutoff is not None:
        digest = hashlib.sha256(f"{digest}|cutoff={cutoff.isoformat()}".encode()).hexdigest()
    return prior_set, obs, digest


def fit(
    priors: str | Path | PriorSet = "default",
    extra: Sequence[Path] = (),
    config: SamplerConfig | None = None,
    store: RunStore | None = None,
    gate: Gate | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    make_current: bool = True,
    cutoff: date | None = None,
    report: ProgressFn | None = None,
    structures: Sequence[str] | None = None,
) -> FitResult:
    """Fit the model under each structure, store the run, and make it current if every
    structure passes the gate.

    ``structures`` overrides the prior set's plan (``[structures]``; default: every structure).
    ``cutoff`` fits on the observations dated on or before it only (backtests); such a run is
    never made current. Progress (stage, fraction, ETA) goes to ``report``, or with
    ``progress`` and no ``report`` to stderr.
    """
    config = config or SamplerConfig()
    store = store or RunStore()
    store.preflight(run_size_bytes(config), "a fit")  # refuse a full or read-only store now
    if report is None and progress:
        report = StderrProgress()
    say = log or (report.log if isinstance(report, StderrProgress) else _stderr)
    tell = report or _no_progress
    started = time.perf_counter()
    make_current = make_current and cutoff is None
    tell(Progress("preparing"))
    prior_set, obs, data_hash = prepare(priors, extra, cutoff)
    names = plan_structures(prior_set, structures or config.structures)
    # the run records what it sampled, so a refit from its stored settings samples the same
    config = replace(config, structures=names)
    _announce(say, prior_set, obs, data_hash, config)
    cache: dict[str, Any] | None = None
    trees: dict[str, xr.DataTree] = {}
    compile_s = sampling_s = 0.0
    gate = gate or Gate()
    if config.sampler == "nutpie":
        compiled, compile_s, cache = compile_nutpie(build_model(obs, prior_set), say, report)
        t1 = time.perf_counter()
        for name in names:
            say(f"structure {name}")
            trees[name] = sample_compiled(with_structure(compiled, name), config, progress, report)
        sampling_s = time.perf_counter() - t1
        on_past = on_other_data(compiled, prior_set, config, progress, report)
    else:
        for name in names:
            model = build_model(obs, prior_set, name)
            trees[name], c_s, s_s = sample(model, config, progress, report, say)
            compile_s, sampling_s = compile_s + c_s, sampling_s + s_s

        def on_past(past: Observations, name: str) -> xr.DataTree:
            return sample(build_model(past, prior_set, name), config, progress, report, say)[0]

    holdout = fit_holdout_for(prior_set, extra, obs, names, config, gate, say, on_past, report)
    return finalize(
        trees,
        Inputs(prior_set, obs, data_hash, tuple(Path(p) for p in extra), cutoff),
        config,
        timing=(started, compile_s, sampling_s),
        store=store,
        gate=gate,
        say=say,
        make_current=make_current,
        report=report,
        compile_cache=cache,
        holdout=holdout,
    )


def on_other_data(
    compiled: Any,
    prior_set: PriorSet,
    config: SamplerConfig,
    progress: bool = False,
    report: ProgressFn | None = None,
) -> Callable[[Observations, str], xr.DataTree]:
    """``(obs, name) -> tree``: a structure of the compiled model sampled on other observations
    (the holdout refits of :func:`fit_holdout_for`), by swapping the data in."""

    def sample_on(obs: Observations, name: str) -> xr.DataTree:
        swapped = swap_data(compiled, {**model_data(obs), **prior_data(prior_set)})
        return sample_compiled(with_structure(swapped, name), config, progress, report)

    return sample_on


def fit_holdout_for(
    prior_set: PriorSet,
    extra: Sequence[Path | str],
    obs: Observations,
    names: Sequence[str],
    config: SamplerConfig,
    gate: Gate,
    say: Callable[[str], None],
    on_past: Callable[[Observations, str], xr.DataTree],
    report: ProgressFn | None = None,
) -> Holdout | None:
    """The holdout refits that weigh the structures (``forecast.fit.holdout``), or None when
    the weights come from elsewhere (one structure, a pin or stated weights, no log densities,
    no ``holdout_years``). ``on_past(obs, name)`` samples a structure on the earlier data."""
    years = holdout_years(prior_set, names, config.log_densities)
    if years <= 0:
        return None
    cutoff = holdout_cutoff(obs.data_end, years)
    extra = tuple(Path(p) for p in extra)
    if cut_tables(data_tables.load_all(extra), cutoff)["compute_stock"].empty:
        note = f"no chip-stock data up to {cutoff.isoformat()} to refit the structures on"
        say(f"holdout: {note}; weights by leave-one-out")
        return Holdout(cutoff, {}, {}, 0.0, note=note)
    (report or _no_progress)(Progress("holdout", None, None, f"refits on data to {cutoff}"))
    _, past, _ = prepare(prior_set, extra, cutoff)
    return fit_holdout(
        cutoff, names, lambda name: on_past(past, name), gate.check, diagnostics, say
    )


@dataclass(frozen=True)
class Inputs:
    """What a fit was given: the prior set, the observations and where they came from."""

    prior_set: PriorSet
    obs: Observations
    data_hash: str
    extra: tuple[Path, ...] = ()
    cutoff: date | None = None


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _announce(
    say: Callable[[str], None],
    prior_set: PriorSet,
    obs: Observations,
    data_hash: str,
    config: SamplerConfig,
) -> None:
    say(f"data: {obs.counts()} (hash {data_hash[:12]})")
    say(f"priors: {prior_set.name} (hash {prior_set.hash[:12]})")
    say(
        f"sampling with {config.sampler}: {config.chains} chains x {config.draws} draws "
        f"({config.tune} tuning), seed {config.seed}"
    )


def finalize(
    trees: xr.DataTree | Mapping[str, xr.DataTree],
    inputs: Inputs,
    config: SamplerConfig,
    timing: tuple[float, float, float],
    store: RunStore,
    gate: Gate,
    say: Callable[[str], None],
    make_current: bool = True,
    report: ProgressFn | None = None,
    compile_cache: dict[str, Any] | None = None,
    holdout: Holdout | None = None,
) -> FitResult:
    """Check the gate per structure, weigh the structures, write the run to the store and (if
    every structure passed) make it current.

    ``holdout`` holds the structures refitted before a holdout period (``fit_holdout_for``):
    the weights then stack their predictive densities of the held-out observations.

    ``trees`` maps each fitted structure to its sampled tree (a single tree is the default
    structure's). The run's posterior holds every structure's chains one after another; its
    metadata says which chains are whose (``structures``), with each one's diagnostics and
    weight (``structure_weights``).
    """
    if isinstance(trees, xr.DataTree):
        trees = {DEFAULT_STRUCTURE: trees}
    started, compile_s, sampling_s = timing
    tell = report or _no_progress
    prior_set, obs = inputs.prior_set, inputs.obs
    tell(Progress("checking", None, None, "diagnostics gate"))
    entries: list[dict[str, Any]] = []
    failures: list[str] = []
    slim: dict[str, xr.DataTree] = {}
    chain0 = 0
    for name, tree in trees.items():
        diag = diagnostics(tree)
        own = gate.check(diag)
        failures += [f"{name}: {reason}" for reason in own] if len(trees) > 1 else own
        chains = int(tree["posterior"].sizes["chain"])
        entries.append(
            {
                "name": name,
                "chains": [chain0, chain0 + chains],
                "status": "passed" if not own else "failed",
                "gate_failures": own,
                "diagnostics": {k: v for k, v in diag.items() if k != "parameters"},
                "parameters": diag["parameters"],
            }
        )
        chain0 += chains
        slim[name] = with_fit_data(slim_tree(tree), obs)
    diag = worst_diagnostics([e.pop("parameters") for e in entries], entries)
    status = "passed" if not failures else "failed"
    created = datetime.now(UTC)
    run_id = run_id_for(created, prior_set, inputs.data_hash, config)
    current = make_current and status == "passed"
    meta = {
        "id": run_id,
        "model_type": MODEL_TYPE,
        "model_version": MODEL_VERSION,
        "created": created.isoformat(timespec="seconds"),
        "status": status,
        "current": current,
        "gate": asdict(gate),
        "gate_failures": failures,
        "prior_set": {"name": prior_set.name, "hash": prior_set.hash, "path": prior_set.path.name},
        "settings": dict(prior_set.settings),
        "data_hash": inputs.data_hash,
        "extra_data": [p.name for p in inputs.extra],
        "data_end": obs.data_end,
        "cutoff": inputs.cutoff.isoformat() if inputs.cutoff else None,
        "observations": obs.counts(),
        "observations_hash": observations_digest(obs),
        "stock_additions": stock_additions_meta(obs),
        "measurement_error": measurement_error(obs),
        "sampler": asdict(config),
        "initial_points": "nutpie default: PyMC support points jittered U(-1, 1) from the seed",
        "libraries": library_versions(),
        "environment": environment(),
        "diagnostics": diag,
        "compile_seconds": round(compile_s, 3),
        "compile_cache": compile_cache,
        "sampling_seconds": round(sampling_s, 3),
    }
    log_liks: dict[str, xr.Dataset] = {}
    holdout_liks: dict[str, xr.Dataset] = {}
    if config.log_densities:
        from forecast.fit.loglik import log_densities

        tell(Progress("log densities", None, None, "pointwise log likelihood and log prior"))
        seconds = 0.0
        for name, tree in slim.items():
            model = build_model(obs, prior_set, name)
            densities = log_densities(model, tree)
            slim[name] = xr.DataTree.from_dict(
                {g: tree[g].to_dataset() for g in tree.children}
                | {"log_likelihood": densities.log_likelihood, "log_prior": densities.log_prior}
            )
            log_liks[name] = densities.log_likelihood
            seconds += densities.seconds
            if holdout is not None and name in holdout.trees:
                held = log_densities(model, holdout.trees[name])
                holdout_liks[name] = held.log_likelihood
                seconds += held.seconds
        meta["log_density_seconds"] = round(seconds, 3)
    lfo = None
    if holdout is not None and holdout.note is not None:
        lfo = skipped(holdout)
    elif holdout is not None and len(holdout_liks) == len(slim):
        data = model_data(obs)
        times = {b: data[b.replace("_obs", "_t")] for b in STACKING_BLOCKS}
        start = float(decimal_year(holdout.cutoff + timedelta(days=1)))
        lfo = holdout_weights(holdout, holdout_liks, times, start)
    meta["structures"] = entries
    meta["structure_weights"] = structure_weights(prior_set, log_liks, list(slim), lfo)
    for entry in entries:
        entry["weight"] = meta["structure_weights"]["weights"].get(entry["name"], 0.0)
    run_tree = concat_chains(slim)
    meta["wall_seconds"] = round(time.perf_counter() - started, 3)
    run_tree.attrs = {"id": run_id, "model_type": MODEL_TYPE, "model_version": MODEL_VERSION}
    priors_file = {PRIORS_FILE: prior_set.to_toml().encode("utf-8")}  # the resolved set
    tell(Progress("storing"))
    store.save(run_tree, meta, make_current=current, files=priors_file)
    tell(Progress("done", 1.0, 0.0, status))
    weights = meta["structure_weights"]["weights"]
    say(
        f"run {run_id}: {status} (max R-hat {diag['max_rhat']:.3f}, min bulk ESS "
        f"{diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences) "
        f"in {meta['wall_seconds']:.1f} s; weights "
        + ", ".join(f"{k} {v:.2f}" for k, v in weights.items())
    )
    for reason in failures:
        say(f"  gate: {reason}")
    return FitResult(run_id=run_id, status=status, meta=meta, tree=run_tree)


def swap_data(compiled: Any, updates: dict[str, Any]) -> Any:
    """``compiled.with_data`` for the arrays it has, and the prior values set in the model too.

    ``with_data`` swaps what the log density reads, not the PyTensor shared values the initial
    point function reads: support points depend on the priors, so without this a prior set
    swapped in would start its chains where the compiled one did (other draws than a fit built
    with the new priors).
    """
    names = {var.name for var in compiled.shared_var_keys}
    swapped = compiled.with_data(**{k: v for k, v in updates.items() if k in names})
    for var in compiled.shared_var_keys:
        if var.name in updates and var.name.startswith("prior__"):
            var.set_value(np.asarray(updates[var.name], dtype=var.type.dtype))
    return swapped


def _graph_shape(prior_set: PriorSet) -> str:
    """What of a prior set the compiled graph depends on: each prior's family and the settings
    (prior parameter values are data, see ``forecast.model.graph.prior_data``)."""
    families = sorted((name, prior_set[name].dist) for name in prior_set)
    return json.dumps([families, dict(prior_set.settings)], sort_keys=True, default=str)


def with_overrides(config: SamplerConfig, **overrides: Any) -> SamplerConfig:
    """A copy of ``config`` with the non-None overrides applied."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
