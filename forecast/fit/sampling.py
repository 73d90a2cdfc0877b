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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast.core.definitions import MODEL_TYPE, MODEL_VERSION, parameter_names
from forecast.core.timeutil import decimal_year
from forecast.data import tables as data_tables
from forecast.data.observations import (
    Observations,
    build_observations,
    measurement_error,
    stock_additions_meta,
)
from forecast.model.graph import TimelineModel, model_data
from forecast.priors.priorset import PriorSet, load_prior_set
from forecast.store.runs import PRIORS_FILE, RunStore, estimate_run_bytes

SAMPLERS = ("nutpie", "pymc")
LIBRARIES = (
    "pymc",
    "pytensor",
    "nutpie",
    "numba",
    "arviz",
    "arviz-stats",
    "xarray",
    "numpy",
    "scipy",
    "pandas",
)


@dataclass(frozen=True)
class SamplerConfig:
    """NUTS settings. Defaults pass the gate on the bundled data (see ``bench/fit.py``)."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    cores: int = 2
    seed: int = 20251231
    sampler: str = "nutpie"
    target_accept: float = 0.9


# 300 draws after 500 tuning steps left a three-country model below bulk ESS 100
QUICK = SamplerConfig(draws=500, tune=600, chains=2)

SAMPLE_STATS_PER_DRAW = 20
"""Sampler statistics stored per draw beside the parameters (nutpie's; PyMC stores fewer)."""


def run_size_bytes(config: SamplerConfig) -> int:
    """About what a run fitted with ``config`` takes in the store: draws x chains x (parameters
    + sampler statistics) x 8 bytes, plus its small files (the pre-flight space check's need)."""
    values = len(parameter_names()) + SAMPLE_STATS_PER_DRAW
    return estimate_run_bytes(config.draws, config.chains, values)


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
        }


def data_end_year(tables: dict[str, Any]) -> float:
    """Decimal year at the end of the data: the vintage end, or later if users added data."""
    ends = [data_tables.VINTAGE + np.timedelta64(1, "D")]
    for name in ("models", "capability_eci", "capability_metr"):
        ends.append(tables[name]["date"].max())
    return float(decimal_year(max(ends)))


def library_versions() -> dict[str, str]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def observations_digest(obs: Observations) -> str:
    """SHA-256 of every array the model is given (the ``pm.Data`` values), in model order.

    Equal data hashes give equal digests (rows are in canonical order); a refit that samples
    different arrays than its metadata says shows up here.
    """
    digest = hashlib.sha256()
    for name, value in model_data(obs).items():
        array = np.ascontiguousarray(value)
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def environment() -> dict[str, Any]:
    """What else decides the draws bit for bit: interpreter, platform and compile flags.

    Same inputs, seed, settings and libraries give bit-identical draws on one machine type;
    another CPU (a different instruction set for numba's code) may change the last bits of the
    logp and so the draws.
    """
    import os
    import platform

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        # compile flags without folders (cache locations do not change results)
        "pytensor_flags": ",".join(
            f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f and "dir" not in f
        )
        or None,
        "numba_num_threads": os.environ.get("NUMBA_NUM_THREADS"),
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


def sample_compiled(compiled: Any, config: SamplerConfig, progress: bool) -> xr.DataTree:
    """Sample a compiled nutpie model with the given settings (no warm-up draws kept)."""
    import nutpie

    return nutpie.sample(
        compiled,
        draws=config.draws,
        tune=config.tune,
        chains=config.chains,
        cores=config.cores,
        seed=config.seed,
        save_warmup=False,
        progress_bar=progress,
        target_accept=config.target_accept,
    )


def sample(model: Any, config: SamplerConfig, progress: bool) -> tuple[xr.DataTree, float, float]:
    """Sample with the named sampler; returns the tree, compile seconds and sampling seconds."""
    if config.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {config.sampler!r}; choose one of {', '.join(SAMPLERS)}")
    if config.sampler == "nutpie":
        import nutpie

        t0 = time.perf_counter()
        compiled = nutpie.compile_pymc_model(model, var_names=parameter_names())
        t1 = time.perf_counter()
        tree = sample_compiled(compiled, config, progress)
        return tree, t1 - t0, time.perf_counter() - t1

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


def slim_tree(tree: xr.DataTree) -> xr.DataTree:
    """Only the groups a run needs: posterior and sample stats."""
    return xr.DataTree.from_dict(
        {
            "posterior": tree["posterior"].to_dataset(),
            "sample_stats": tree["sample_stats"].to_dataset(),
        }
    )


def run_id_for(
    created: datetime, prior_set: PriorSet, data_hash: str, config: SamplerConfig
) -> str:
    """A readable, unique run id: creation time plus a hash of what went into the fit."""
    digest = hashlib.sha256(
        json.dumps(
            [created.isoformat(), prior_set.hash, data_hash, asdict(config)], sort_keys=True
        ).encode()
    ).hexdigest()
    return f"{created:%Y%m%dT%H%M%S}-{digest[:8]}"


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
) -> FitResult:
    """Fit the model, store the run, and make it current if it passes the gate.

    ``cutoff`` fits on the observations dated on or before it only (backtests); such a run is
    never made current.
    """
    config = config or SamplerConfig()
    store = store or RunStore()
    store.preflight(run_size_bytes(config), "a fit")  # refuse a full or read-only store now
    say = log or _stderr
    started = time.perf_counter()
    make_current = make_current and cutoff is None
    prior_set, obs, data_hash = prepare(priors, extra, cutoff)
    _announce(say, prior_set, obs, data_hash, config)
    model = TimelineModel(obs, prior_set).build()
    tree, compile_s, sampling_s = sample(model, config, progress)
    return finalize(
        tree,
        Inputs(prior_set, obs, data_hash, tuple(Path(p) for p in extra), cutoff),
        config,
        timing=(started, compile_s, sampling_s),
        store=store,
        gate=gate or Gate(),
        say=say,
        make_current=make_current,
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
    tree: xr.DataTree,
    inputs: Inputs,
    config: SamplerConfig,
    timing: tuple[float, float, float],
    store: RunStore,
    gate: Gate,
    say: Callable[[str], None],
    make_current: bool = True,
) -> FitResult:
    """Check the gate, write the run to the store and (if it passed) make it current."""
    started, compile_s, sampling_s = timing
    prior_set, obs = inputs.prior_set, inputs.obs
    diag = diagnostics(tree)
    failures = gate.check(diag)
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
        "sampling_seconds": round(sampling_s, 3),
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    run_tree = slim_tree(tree)
    run_tree.attrs = {"id": run_id, "model_type": MODEL_TYPE, "model_version": MODEL_VERSION}
    priors_file = {PRIORS_FILE: prior_set.to_toml().encode("utf-8")}  # the resolved set
    store.save(run_tree, meta, make_current=current, files=priors_file)
    say(
        f"run {run_id}: {status} (max R-hat {diag['max_rhat']:.3f}, min bulk ESS "
        f"{diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences) "
        f"in {meta['wall_seconds']:.1f} s"
    )
    for reason in failures:
        say(f"  gate: {reason}")
    return FitResult(run_id=run_id, status=status, meta=meta, tree=run_tree)


class Refitter:
    """A long-lived fitter that compiles once and refits on new observations by swapping data.

    Compilation dominates a fit (tens of seconds against a few of sampling), so the service's
    worker process keeps one ``Refitter``: the first ``refit`` compiles the model with nutpie,
    later ones only replace the ``pm.Data`` arrays (``CompiledModel.with_data``) and sample.
    A different prior set recompiles (priors are constants of the compiled graph).
    """

    def __init__(
        self,
        config: SamplerConfig | None = None,
        store: RunStore | None = None,
        gate: Gate | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or SamplerConfig()
        if self.config.sampler != "nutpie":
            raise ValueError("Refitter swaps data in a compiled nutpie model: use sampler nutpie")
        self.store = store or RunStore()
        self.gate = gate or Gate()
        self.say = log or _stderr
        self._compiled: Any = None
        self._prior_hash: str | None = None

    def _compiled_for(self, prior_set: PriorSet, obs: Observations) -> tuple[Any, float]:
        """The compiled model with ``obs`` swapped in, compiling first if needed (seconds)."""
        import nutpie

        if self._compiled is None or self._prior_hash != prior_set.hash:
            t0 = time.perf_counter()
            model = TimelineModel(obs, prior_set).build()
            self._compiled = nutpie.compile_pymc_model(model, var_names=parameter_names())
            self._prior_hash = prior_set.hash
            return self._compiled, time.perf_counter() - t0
        return self._compiled.with_data(**model_data(obs)), 0.0

    def warm(self, priors: str | Path | PriorSet = "default") -> float:
        """Compile the model for a prior set ahead of the first refit; returns seconds taken."""
        prior_set, obs, _ = prepare(priors)
        return self._compiled_for(prior_set, obs)[1]

    def refit(
        self,
        priors: str | Path | PriorSet = "default",
        extra: Sequence[Path] = (),
        config: SamplerConfig | None = None,
        make_current: bool = True,
        cutoff: date | None = None,
    ) -> FitResult:
        """Fit on the bundled data plus ``extra`` files, reusing the compiled model if any.

        ``cutoff`` keeps only observations dated on or before it (never made current).
        """
        config = config or self.config
        self.store.preflight(run_size_bytes(config), "a refit")  # refuse a full or read-only store
        started = time.perf_counter()
        make_current = make_current and cutoff is None
        prior_set, obs, data_hash = prepare(priors, extra, cutoff)
        _announce(self.say, prior_set, obs, data_hash, config)
        compiled, compile_s = self._compiled_for(prior_set, obs)
        t1 = time.perf_counter()
        tree = sample_compiled(compiled, config, progress=False)
        return finalize(
            tree,
            Inputs(prior_set, obs, data_hash, tuple(Path(p) for p in extra), cutoff),
            config,
            timing=(started, compile_s, time.perf_counter() - t1),
            store=self.store,
            gate=self.gate,
            say=self.say,
            make_current=make_current,
        )


def with_overrides(config: SamplerConfig, **overrides: Any) -> SamplerConfig:
    """A copy of ``config`` with the non-None overrides applied."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
