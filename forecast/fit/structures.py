"""A fit's structures: which it samples, how their chains make one run, how they are weighed.

``forecast fit`` samples every structure of the chips-to-capability channel
(``forecast.core.definitions.STRUCTURES``) on the same data, unless the prior set's
``[structures]`` plan or the caller names fewer. The run keeps each structure's chains one after
another; its diagnostics are each structure's own (R-hat across structures would compare
different models); the weights come from the prior set (pinned or stated) or from stacking of
held-out predictive densities after a holdout refit (``forecast.fit.holdout``), with
leave-one-out stacking (``forecast.fit.stacking``) reported beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from forecast.core.definitions import STRUCTURE_NAMES, structure_info
from forecast.priors.priorset import PriorSet


def plan_structures(prior_set: PriorSet, override: Sequence[str] | None = None) -> tuple[str, ...]:
    """The structures a fit samples: ``override`` if given (each checked), else the prior
    set's ``[structures]`` plan (default: every structure), in registry order."""
    if override:
        for name in override:
            structure_info(name)
        return tuple(n for n in STRUCTURE_NAMES if n in set(override))
    plan = getattr(prior_set, "structure_plan", None)
    return tuple(plan()[0]) if plan is not None else STRUCTURE_NAMES


def worst_diagnostics(
    per_param: Sequence[Mapping[str, Mapping[str, float]]], entries: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The run's diagnostics: per parameter and overall, the worst over its structures (R-hat
    across structures would compare different models, so each structure is judged alone)."""
    params: dict[str, dict[str, float]] = {}
    for table in per_param:
        for name, v in table.items():
            old = params.get(name)
            params[name] = (
                dict(v)
                if old is None
                else {
                    "rhat": max(old["rhat"], v["rhat"]),
                    "ess_bulk": min(old["ess_bulk"], v["ess_bulk"]),
                    "ess_tail": min(old["ess_tail"], v["ess_tail"]),
                }
            )
    return {
        "max_rhat": max(e["diagnostics"]["max_rhat"] for e in entries),
        "min_ess_bulk": min(e["diagnostics"]["min_ess_bulk"] for e in entries),
        "min_ess_tail": min(e["diagnostics"]["min_ess_tail"] for e in entries),
        "divergences": sum(int(e["diagnostics"]["divergences"]) for e in entries),
        "parameters": params,
    }


def structure_weights(
    prior_set: PriorSet,
    log_liks: Mapping[str, xr.Dataset],
    fitted: Sequence[str],
    holdout: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """How the run's structures are weighed: the prior set's pin or stated weights; else
    stacking of the held-out predictive densities of the holdout refits (``holdout``, from
    ``forecast.fit.holdout.holdout_weights``), with PSIS-LOO stacking reported beside them
    (``loo_weights``); else PSIS-LOO stacking alone when there is no holdout; else equal weights
    (quick fits), said plainly."""
    plan = getattr(prior_set, "structure_plan", None)
    _, fixed, pinned = plan() if plan is not None else ((), None, None)
    if len(fitted) == 1:
        return {"method": "single structure", "weights": {fitted[0]: 1.0}}
    if pinned is not None:
        return {"method": f"pinned by the prior set: {pinned}", "weights": {pinned: 1.0}}
    if fixed is not None:
        total = sum(fixed.get(n, 0.0) for n in fitted)
        weights = {n: fixed.get(n, 0.0) / total for n in fitted}
        return {"method": "forecaster weights from the prior set", "weights": weights}
    if log_liks:
        from forecast.fit.stacking import stacking

        out = stacking(log_liks).to_dict()
        if holdout is None:
            return out
        out["leave_future_out"] = {
            k: v for k, v in holdout.items() if k not in ("weights", "point_weights")
        }
        if holdout.get("weights") is None:
            out["method"] += f" (leave-future-out not used: {holdout.get('note')})"
            return out
        out["loo_weights"] = out["weights"]
        out["loo_point_weights"] = out["point_weights"]
        out["method"] = holdout["method"]
        out["weights"] = dict(holdout["weights"])
        out["point_weights"] = dict(holdout["point_weights"])
        return out
    return {
        "method": "equal (no log likelihood stored: a quick fit cannot be stacked)",
        "weights": {n: 1.0 / len(fitted) for n in fitted},
    }


def concat_chains(trees: Mapping[str, xr.DataTree]) -> xr.DataTree:
    """One tree with every structure's chains one after another (chain renumbered from 0);
    groups without a chain dimension (the fit data) are taken from the first tree."""
    first = next(iter(trees.values()))
    if len(trees) == 1:
        return first
    groups: dict[str, xr.Dataset] = {}
    for group in first.children:
        parts = [t[group].to_dataset() for t in trees.values()]
        if "chain" not in parts[0].dims:
            groups[group] = parts[0]
            continue
        joined = xr.concat(parts, dim="chain", data_vars="all", coords="minimal", join="exact")
        groups[group] = joined.assign_coords(chain=np.arange(joined.sizes["chain"]))
    return xr.DataTree.from_dict(groups)
