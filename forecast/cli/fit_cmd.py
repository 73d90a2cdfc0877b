"""``forecast fit``: fit the model with the chosen priors, data and sampler settings.

The run is stored and becomes current if it passes the diagnostics gate; the exit status is 1
when it does not. A store that cannot take the run (read-only, or short of the headroom of free
space) is refused with one line before the fitting stack is even imported (a second or so),
and again with the run's size estimate before sampling (see ``forecast.store.settings``).
``--structure NAME`` (repeatable) fits only the named model structures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forecast.cli.output import emit
from forecast.cli.text import format_fit
from forecast.core.errors import UsageError


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit, store, print the summary; 0 if the run passed the gate, else 1."""
    from forecast.store.runs import RunStore

    missing = [f for f in args.data if not Path(f).is_file()]
    if missing:
        raise UsageError(f"--data: file not found: {missing[0]}")
    RunStore().preflight(0, "a fit")  # fast refusal; fit() checks again with the run's size

    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, SamplerConfig, fit, with_overrides

    base = QUICK if args.quick else SamplerConfig()
    config = with_overrides(
        base,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        seed=args.seed,
        sampler=args.sampler,
    )
    priors = args.priors
    result = fit(
        priors=Path(priors) if priors.endswith(".toml") else priors,
        extra=[Path(f) for f in args.data],
        config=config,
        gate=QUICK_GATE if args.quick else Gate(),
        progress=args.progress and sys.stderr.isatty(),
        structures=_unique(getattr(args, "structure", None)),
    )
    emit(result.summary(), args.json, format_fit)
    return 0 if result.status == "passed" else 1


def _unique(names: list[str] | None) -> list[str] | None:
    """``--structure`` names in the order given, each once (None: the prior set's plan)."""
    return list(dict.fromkeys(names)) if names else None


def cmd_compile(args: argparse.Namespace) -> int:
    """``forecast compile``: compile the model into the disk compile cache (and PyTensor's
    compile of the log densities), so the first fit after an install is already warm."""
    import json
    import time

    import numpy as np
    import xarray as xr

    from forecast.fit.loglik import log_densities
    from forecast.fit.sampling import build_model, compile_nutpie, prepare

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    priors = args.priors
    prior_set, obs, _ = prepare(Path(priors) if priors.endswith(".toml") else priors)
    model = build_model(obs, prior_set)
    _, seconds, cache = compile_nutpie(model, say=say)
    out = {"compile_seconds": round(seconds, 3), "compile_cache": cache}
    if args.log_densities:
        # two draws at the model's initial point: enough for PyTensor to compile (and cache)
        # the pointwise log likelihood and log prior every stored run computes
        t0 = time.perf_counter()
        point = model.initial_point()
        free = {rv.name: model.rvs_to_values[rv].name for rv in model.free_RVs}
        to_constrained = model.compile_fn(
            model.replace_rvs_by_values(model.free_RVs), inputs=model.value_vars
        )
        values = to_constrained(point)
        posterior = xr.Dataset(
            {
                name: (("chain", "draw"), np.full((1, 2), float(v)))
                for name, v in zip(free, values, strict=True)
            }
        )
        log_densities(model, xr.DataTree.from_dict({"posterior": posterior}))
        out["log_density_seconds"] = round(time.perf_counter() - t0, 3)
        say(f"log densities compiled in {out['log_density_seconds']:.1f} s")
    if args.json:
        print(json.dumps(out))
    return 0
