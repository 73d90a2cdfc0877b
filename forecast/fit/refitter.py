"""A long-lived fitter for the service's worker and the backtests: compile once, refit by
swapping data (:class:`Refitter`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from forecast.data.observations import Observations
from forecast.fit.progress import Progress, ProgressFn, _no_progress
from forecast.fit.sampling import (
    FitResult,
    Gate,
    Inputs,
    SamplerConfig,
    _announce,
    _graph_shape,
    _stderr,
    build_model,
    compile_nutpie,
    finalize,
    fit_holdout_for,
    on_other_data,
    prepare,
    run_size_bytes,
    sample_compiled,
    swap_data,
    with_structure,
)
from forecast.fit.structures import plan_structures
from forecast.model.graph import model_data, prior_data
from forecast.priors.priorset import PriorSet
from forecast.store.runs import RunStore


class Refitter:
    """A long-lived fitter that compiles once and refits on new observations by swapping data.

    Compilation dominates a fit, so the service's worker process keeps one ``Refitter``: the
    first ``refit`` gets the compiled model (from the disk compile cache when it holds the
    model's graph, see ``forecast.fit.compile_cache``; else by compiling into it), later ones
    only replace the ``pm.Data`` arrays (``CompiledModel.with_data``) and sample. Prior
    parameters are data too, so another prior set with the same families and settings swaps
    its values in; one with other families or settings gets its own compiled model (again
    from the disk cache when it was compiled before).
    """

    def __init__(
        self,
        config: SamplerConfig | None = None,
        store: RunStore | None = None,
        gate: Gate | None = None,
        log: Callable[[str], None] | None = None,
        report: ProgressFn | None = None,
    ) -> None:
        self.config = config or SamplerConfig()
        if self.config.sampler != "nutpie":
            raise ValueError("Refitter swaps data in a compiled nutpie model: use sampler nutpie")
        self.store = store or RunStore()
        self.gate = gate or Gate()
        self.say = log or _stderr
        self.report = report
        self._compiled: Any = None
        self._shape: str | None = None
        self._cache: dict[str, Any] | None = None

    def _compiled_for(self, prior_set: PriorSet, obs: Observations) -> tuple[Any, float]:
        """The compiled model with ``obs`` and the priors swapped in, compiling first if needed
        (seconds). Prior parameters are data: a prior set with the same families and settings
        reuses the compiled model."""
        shape = _graph_shape(prior_set)
        if self._compiled is not None and self._shape == shape:
            names = {var.name for var in self._compiled.shared_var_keys}
            updates = {**model_data(obs), **prior_data(prior_set)}  # default switches
            if names <= updates.keys():  # every data array of the compiled model is replaced
                return swap_data(self._compiled, updates), 0.0
        model = build_model(obs, prior_set)
        self._compiled, seconds, self._cache = compile_nutpie(model, self.say, self.report)
        self._shape = shape
        return self._compiled, seconds

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
        tell = self.report or _no_progress
        started = time.perf_counter()
        make_current = make_current and cutoff is None
        tell(Progress("preparing"))
        prior_set, obs, data_hash = prepare(priors, extra, cutoff)
        _announce(self.say, prior_set, obs, data_hash, config)
        compiled, compile_s = self._compiled_for(prior_set, obs)
        t1 = time.perf_counter()
        config = replace(config, structures=plan_structures(prior_set, config.structures))
        names = config.structures or ()
        trees = {
            name: sample_compiled(
                with_structure(compiled, name), config, progress=False, report=self.report
            )
            for name in names
        }

        on_past = on_other_data(compiled, prior_set, config, report=self.report)
        holdout = fit_holdout_for(
            prior_set, extra, obs, names, config, self.gate, self.say, on_past, self.report
        )
        return finalize(
            trees,
            Inputs(prior_set, obs, data_hash, tuple(Path(p) for p in extra), cutoff),
            config,
            timing=(started, compile_s, time.perf_counter() - t1),
            store=self.store,
            gate=self.gate,
            say=self.say,
            make_current=make_current,
            report=self.report,
            compile_cache=self._cache,
            holdout=holdout,
        )
