"""Pointwise log likelihood and log prior of a run's draws, as DataTree groups.

A run stores its posterior draws; the likelihood side of power-scaling sensitivity
(``forecast.questions.psense``) and PSIS-LOO comparisons of model structures also need, per draw,
the log density of each observation (``log_likelihood``) and of each parameter's prior
(``log_prior``). Both are computed here with PyMC's own functions
(:func:`pymc.stats.compute_log_likelihood`, :func:`pymc.stats.compute_log_prior`) from the
fitted model (``TimelineModel(obs, prior_set).build()``, the same observations the run was
fitted on) and the run's posterior, so they are the model's densities term by term:

- ``log_likelihood``: one variable per observed block (``stock_obs``, ``compute_obs``, ...),
  dims ``(chain, draw, <block>_dim_0)``, one value per observation per draw. The record-gap
  blocks (``compute_gap_obs``, ``eci_gap_obs``) are censored observations: their pointwise value
  is the log CDF at the bound, exactly the term the model adds;
- ``log_prior``: one variable per parameter, dims ``(chain, draw)``, the prior log density on the
  natural scale (no Jacobian: PyMC evaluates the untransformed model).

Values are stored as float32 (:data:`DTYPE`): the pointwise likelihood is the large part
(draws x chains x observations) and float32 keeps about 7 significant digits, far below what a
power-scaling weight or a LOO estimate can resolve. :func:`attach` adds the groups to a run's
tree; the fit pipeline does not call it yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

LOG_LIKELIHOOD = "log_likelihood"
LOG_PRIOR = "log_prior"
GROUPS = (LOG_LIKELIHOOD, LOG_PRIOR)
DTYPE = np.float32
"""Storage type of both groups (see the module notes)."""
BACKEND = "c"
"""PyTensor backend of the pointwise function, which PyMC evaluates once per draw from Python.
Measured on the default run (4 x 1000 draws, 2 cores): C takes about 90 s the first time on a
machine and 3-5 s after (its compiled module is cached on disk); numba 33-47 s in every new
process; the Python linker (``FAST_COMPILE``) about 40 s every time."""


@dataclass(frozen=True)
class LogDensities:
    """The two groups and what computing them took."""

    log_likelihood: xr.Dataset
    log_prior: xr.Dataset
    seconds: float

    @property
    def nbytes(self) -> int:
        """Bytes of the values of both groups (what they add to a run, before file overhead)."""
        return int(self.log_likelihood.nbytes + self.log_prior.nbytes)

    def tree(self) -> xr.DataTree:
        return xr.DataTree.from_dict(
            {LOG_LIKELIHOOD: self.log_likelihood, LOG_PRIOR: self.log_prior}
        )


def _cast(dataset: xr.Dataset, dtype: Any) -> xr.Dataset:
    return dataset.astype(dtype, keep_attrs=True)


def log_densities(
    model: Any,
    tree: xr.DataTree,
    *,
    dtype: Any = DTYPE,
    backend: str | None = BACKEND,
    progressbar: bool = False,
) -> LogDensities:
    """Pointwise log likelihood (per observed variable) and log prior (per parameter) of every
    draw of ``tree``'s posterior under ``model`` (the fitted PyMC model).

    ``model`` must be built from the observations the run was fitted on; the posterior must hold
    every free variable of the model (a run's posterior does).
    """
    from pymc.stats import compute_log_likelihood, compute_log_prior

    if "posterior" not in tree.children:
        raise ValueError("the tree has no posterior group")
    posterior = tree["posterior"].to_dataset()
    missing = [rv.name for rv in model.free_RVs if rv.name not in posterior]
    if missing:
        raise ValueError(f"the posterior lacks model parameters: {', '.join(missing)}")
    source = xr.DataTree.from_dict({"posterior": posterior})
    started = time.perf_counter()
    kwargs = {
        "model": model,
        "extend_inferencedata": False,
        "progressbar": progressbar,
        "backend": backend,
    }
    log_lik = compute_log_likelihood(source, **kwargs)
    log_pri = compute_log_prior(source, **kwargs)
    seconds = time.perf_counter() - started
    return LogDensities(_cast(log_lik, dtype), _cast(log_pri, dtype), seconds)


def attach(tree: xr.DataTree, densities: LogDensities) -> xr.DataTree:
    """A copy of ``tree`` with the ``log_likelihood`` and ``log_prior`` groups (replacing any)."""
    groups = {name: tree[name].to_dataset() for name in tree.children if name not in GROUPS}
    groups[LOG_LIKELIHOOD] = densities.log_likelihood
    groups[LOG_PRIOR] = densities.log_prior
    out = xr.DataTree.from_dict(groups)
    out.attrs = dict(tree.attrs)
    return out


def with_log_densities(model: Any, tree: xr.DataTree, **kwargs: Any) -> xr.DataTree:
    """``tree`` with both groups computed under ``model`` (:func:`log_densities`) and attached."""
    return attach(tree, log_densities(model, tree, **kwargs))


def has_log_likelihood(tree: xr.DataTree | None) -> bool:
    """Whether ``tree`` carries a non-empty pointwise log-likelihood group."""
    return (
        tree is not None
        and LOG_LIKELIHOOD in tree.children
        and bool(tree[LOG_LIKELIHOOD].to_dataset().data_vars)
    )


def stored_tree(store: Any, run_id: str | None = None) -> xr.DataTree:
    """A stored run's full tree (every group, loaded into memory), for callers that need the
    groups ``RunStore.load`` does not return (``log_likelihood``, ``log_prior``)."""
    from forecast.store.runs import POSTERIOR_FILE

    run_id = run_id or store.current_id()
    path = store.runs_dir / run_id / POSTERIOR_FILE
    with xr.open_datatree(path, engine="h5netcdf") as tree:
        return tree.load().copy()


__all__ = [
    "DTYPE",
    "GROUPS",
    "LOG_LIKELIHOOD",
    "LOG_PRIOR",
    "LogDensities",
    "attach",
    "has_log_likelihood",
    "log_densities",
    "stored_tree",
    "with_log_densities",
]
