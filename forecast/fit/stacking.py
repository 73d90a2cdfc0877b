"""Weights for combining model structures, from how well each predicts held-out capability data.

A fit samples several structures (``forecast.core.definitions.STRUCTURE_NAMES``) on the same
observations. This module turns their pointwise log likelihoods (the ``log_likelihood`` group of
each structure's run, see ``forecast.fit.loglik``) into one weight per structure:

1. the chosen observation blocks (:data:`STACKING_BLOCKS`) are joined, in order, into one
   pointwise array per structure; empty blocks are skipped, and every structure must have the
   same blocks with the same number of observations;
2. each structure gets a PSIS-LOO estimate of its leave-one-out predictive density per
   observation (``arviz_stats.loo``);
3. the weights are the Bayesian stacking weights of Yao, Vehtari, Simpson and Gelman (2018,
   "Using stacking to average Bayesian predictive distributions"): the point on the simplex that
   maximises ``sum_i log sum_k w_k exp(elpd_loo_ik)`` (:func:`weights_from_loo`), averaged over
   Bayesian-bootstrap resamples of the observations (see :data:`METHOD`).

Stacking, unlike weights from total elpd alone, rewards a structure for what it predicts that
the others do not, and splits weight between structures that predict alike.

The optimisation is done here rather than by ``arviz_stats.compare(method="stacking")``: that
function exponentiates the pointwise elpd without shifting it first, so when every structure's
elpd at some observation is below about -745 the densities underflow to zero and it returns
uniform weights without saying so. Shifting each observation by its largest elpd leaves the
optimum unchanged and avoids this.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import arviz_stats
import numpy as np
import xarray as xr
from scipy.optimize import minimize

STACKING_BLOCKS: tuple[str, ...] = (
    "eci_record_obs",
    "horizon_obs",
    "eci_cross_obs",
    "compute_obs",
    "eci_gap_obs",
    "compute_gap_obs",
)
"""Observation blocks the stacking weights are computed from.

The structures differ in how compute and algorithmic efficiency become capability, so the blocks
that weigh them are the capability and frontier-compute ones: ECI records, METR horizons, the ECI
cross-section, frontier training compute, and the two record-gap (censored) blocks.

Left out:

- ``stock_obs``: an AR(1) series, each quarter conditioned on the previous one, so leaving one
  term out does not remove its information from its neighbour; LOO is not a valid estimate of
  predictive skill there (leave-future-out would be needed);
- ``supply_share_obs``: the same likelihood in every structure, so it cannot separate them and
  would only add noise to the comparison.

The record series kept here are conditionally independent given the parameters in the model,
which is what PSIS-LOO assumes; but they are time series (a record follows the earlier ones), so
LOO on them measures interpolation within the series and is an approximation to the out-of-sample
skill that matters for a forecast.
"""

BOOTSTRAP = 200
BOOTSTRAP_SEED = 20_180_101
METHOD = (
    "stacking of PSIS-LOO predictive densities, averaged over 200 Bayesian-bootstrap "
    "resamples of the observations"
)
"""Plain stacking picks a corner of the simplex whenever one structure is ahead, however little:
on the bundled data the structures' elpd differ by 1-3 points with standard errors of 1.5-2, and
plain stacking gave one structure all the weight at the 2023 cutoff, the structure that then
backtested worst. Averaging the weights over Bayesian-bootstrap resamples of the observations
(as Yao et al. 2018 do for pseudo-BMA+) carries that uncertainty into the weights; the plain
optimum is kept as ``point_weights``."""
PARETO_K_THRESHOLD = 0.7
"""Pareto k above which a PSIS-LOO term is unreliable (Vehtari et al. 2024)."""

SAMPLE_DIMS = ("chain", "draw")
_OBS_DIM = "observation"
_TINY = 1e-300
"""Floor of a mixture density in the stacking objective, so log never sees zero."""


@dataclass(frozen=True)
class StackingResult:
    """Stacking weights and the PSIS-LOO summary of each structure.

    ``per_structure[name]`` holds ``elpd_loo``, ``se``, ``p_loo``, ``pareto_k_max``,
    ``n_pareto_k_above_0_7``, ``n_observations``, and ``elpd_diff`` / ``dse``: the paired
    difference from the structure with the largest ``elpd_loo`` (0 for that one) and its standard
    error. ``blocks`` are the blocks that entered (the non-empty ones, in order).
    """

    weights: dict[str, float]
    per_structure: dict[str, dict[str, Any]]
    blocks: tuple[str, ...]
    point_weights: dict[str, float] = field(default_factory=dict)
    """The plain stacking optimum on all observations (no bootstrap)."""
    method: str = METHOD
    pointwise: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    """Pointwise elpd_loo per structure (observations in block order), for diagnostics."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain floats, ints, strings and lists (no pointwise arrays)."""
        return {
            "method": self.method,
            "blocks": list(self.blocks),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "point_weights": {k: float(v) for k, v in self.point_weights.items()},
            "per_structure": {
                name: {key: _plain(value) for key, value in summary.items()}
                for name, summary in self.per_structure.items()
            },
        }


def stacking(
    log_liks: Mapping[str, xr.Dataset], blocks: tuple[str, ...] = STACKING_BLOCKS
) -> StackingResult:
    """Stacking weights of the structures in ``log_liks`` (name -> pointwise log-likelihood group).

    Each dataset has one variable per observed block with dims ``(chain, draw, <obs dims>)``.
    Blocks of ``blocks`` that are empty (or absent) in every structure are skipped; a block that
    is non-empty in one structure must be there with the same size in all, else ValueError.
    """
    if not log_liks:
        raise ValueError("stacking needs at least one structure")
    blocks = tuple(blocks)
    sizes = {name: _block_sizes(name, ds, blocks) for name, ds in log_liks.items()}
    used = _check_same_observations(sizes, blocks)

    pointwise: dict[str, np.ndarray] = {}
    per_structure: dict[str, dict[str, Any]] = {}
    for name, ds in log_liks.items():
        ll = _joined(name, ds, used)
        elpd_i, summary = _psis_loo(ll)
        pointwise[name] = elpd_i
        per_structure[name] = summary

    best = max(per_structure, key=lambda n: per_structure[n]["elpd_loo"])
    for name, summary in per_structure.items():
        diff = pointwise[name] - pointwise[best]
        summary["elpd_diff"] = float(diff.sum())
        # the paired standard error arviz_stats.compare reports: sqrt(n var(diff))
        summary["dse"] = float(math.sqrt(diff.size * diff.var()))

    return StackingResult(
        weights=weights_from_loo(pointwise, bootstrap=BOOTSTRAP),
        point_weights=weights_from_loo(pointwise),
        per_structure=per_structure,
        blocks=used,
        pointwise=pointwise,
    )


def weights_from_loo(
    pointwise: Mapping[str, np.ndarray], bootstrap: int = 0, seed: int = BOOTSTRAP_SEED
) -> dict[str, float]:
    """Stacking weights from pointwise elpd values (name -> one value per observation).

    Maximises ``sum_i log sum_k w_k exp(elpd_ik)`` over the simplex (SLSQP, with an EM
    fixed-point iteration as fallback). Weights are >= 0 and sum to 1; one structure gets 1.
    With ``bootstrap`` > 0, the weights are averaged over that many Bayesian-bootstrap
    resamples of the observations (Dirichlet(1, ..., 1) observation weights, from ``seed``).
    """
    names = list(pointwise)
    if not names:
        raise ValueError("weights_from_loo needs at least one structure")
    cols = [np.asarray(pointwise[n], dtype=np.float64).reshape(-1) for n in names]
    lengths = {n: c.size for n, c in zip(names, cols, strict=True)}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"structures have different numbers of observations: {lengths}")
    if cols[0].size == 0:
        raise ValueError("weights_from_loo needs at least one observation")
    for n, c in zip(names, cols, strict=True):
        if not np.all(np.isfinite(c)):
            raise ValueError(f"pointwise elpd of structure {n!r} is not finite")
    if len(names) == 1:
        return {names[0]: 1.0}
    lpd = np.column_stack(cols)
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        draws = rng.dirichlet(np.ones(lpd.shape[0]), size=bootstrap)
        w = np.mean([_stacking_weights(lpd, o) for o in draws], axis=0)
        w = w / w.sum()
    else:
        w = _stacking_weights(lpd)
    return {n: float(v) for n, v in zip(names, w, strict=True)}


# ------------------------------------------------------------------------------------------------
# Observations
# ------------------------------------------------------------------------------------------------


def _block_sizes(name: str, ds: xr.Dataset, blocks: tuple[str, ...]) -> dict[str, int]:
    """Number of observations of each chosen block present in ``ds`` (0 when empty)."""
    out = {}
    for block in blocks:
        if block not in ds.data_vars:
            continue
        da = ds[block]
        missing = [d for d in SAMPLE_DIMS if d not in da.dims]
        if missing:
            raise ValueError(f"structure {name!r}: block {block!r} has no dims {missing}")
        obs_dims = [d for d in da.dims if d not in SAMPLE_DIMS]
        out[block] = int(np.prod([da.sizes[d] for d in obs_dims], dtype=np.int64))
    return out


def _check_same_observations(
    sizes: Mapping[str, Mapping[str, int]], blocks: tuple[str, ...]
) -> tuple[str, ...]:
    """The non-empty blocks, in ``blocks`` order, after checking all structures agree on them."""
    used = []
    for block in blocks:
        per = {name: s.get(block, 0) for name, s in sizes.items()}
        if len(set(per.values())) != 1:
            detail = ", ".join(
                f"{name}: {'absent' if block not in sizes[name] else n}" for name, n in per.items()
            )
            raise ValueError(
                f"structures do not share the same observations: block {block!r} has "
                f"different sizes ({detail})"
            )
        if next(iter(per.values())) > 0:
            used.append(block)
    if not used:
        raise ValueError(f"no non-empty observation block among {list(blocks)}")
    return tuple(used)


def _joined(name: str, ds: xr.Dataset, blocks: tuple[str, ...]) -> xr.DataArray:
    """The blocks' pointwise log likelihood as one (chain, draw, observation) float64 array."""
    parts = []
    for block in blocks:
        da = ds[block]
        obs_dims = [d for d in da.dims if d not in SAMPLE_DIMS]
        values = np.asarray(da.transpose(*SAMPLE_DIMS, *obs_dims).values, dtype=np.float64)
        values = values.reshape(values.shape[0], values.shape[1], -1)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"structure {name!r}: block {block!r} has non-finite log likelihood")
        parts.append(values)
    shapes = {p.shape[:2] for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"structure {name!r}: blocks have different (chain, draw) sizes {shapes}")
    return xr.DataArray(np.concatenate(parts, axis=2), dims=(*SAMPLE_DIMS, _OBS_DIM))


# ------------------------------------------------------------------------------------------------
# PSIS-LOO
# ------------------------------------------------------------------------------------------------


def _relative_efficiency(ll: xr.DataArray) -> float:
    """Relative MCMC efficiency of the pointwise likelihood, averaged over observations.

    ``arviz_stats.loo`` takes it from a posterior group, which a log-likelihood group alone does
    not have; as R's ``loo::relative_eff`` does, it is taken here from ``exp(log_lik)`` itself.
    """
    n_samples = ll.sizes["chain"] * ll.sizes["draw"]
    if ll.sizes["chain"] < 2 or ll.sizes["draw"] < 4:
        return 1.0
    lik = np.exp(ll - ll.max(dim=list(SAMPLE_DIMS)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant columns: ess is nan
        ess = lik.azstats.ess(sample_dims=list(SAMPLE_DIMS), method="mean")
    reff = float(np.nanmean(ess.values)) / n_samples if np.any(np.isfinite(ess.values)) else 1.0
    return reff if np.isfinite(reff) and reff > 0 else 1.0


def _psis_loo(ll: xr.DataArray) -> tuple[np.ndarray, dict[str, Any]]:
    """Pointwise elpd_loo and the summary of one structure."""
    tree = xr.DataTree.from_dict({"log_likelihood": xr.Dataset({"loglik": ll})})
    with warnings.catch_warnings():
        # high Pareto k is reported in the summary (pareto_k_max, n_pareto_k_above_0_7)
        warnings.filterwarnings("ignore", message=".*[Pp]areto.*")
        reff = _relative_efficiency(ll)
        res = arviz_stats.loo(tree, pointwise=True, var_name="loglik", reff=reff)
    elpd_i = np.asarray(res.elpd_i.values, dtype=np.float64).reshape(-1)
    k = np.asarray(res.pareto_k.values, dtype=np.float64).reshape(-1)
    return elpd_i, {
        "elpd_loo": float(res.elpd),
        "se": float(res.se),
        "p_loo": float(res.p),
        "pareto_k_max": float(np.max(k)),
        "n_pareto_k_above_0_7": int(np.sum(k > PARETO_K_THRESHOLD)),
        "n_observations": int(elpd_i.size),
    }


# ------------------------------------------------------------------------------------------------
# Stacking optimisation
# ------------------------------------------------------------------------------------------------


def _objective(dens: np.ndarray, w: np.ndarray, obs: np.ndarray | None = None) -> float:
    """Minus the (observation-weighted) mean log score of the mixture with weights ``w``
    (densities shifted per row)."""
    logs = np.log(np.maximum(dens @ w, _TINY))
    return float(-(np.mean(logs) if obs is None else obs @ logs))


def _stacking_weights(lpd: np.ndarray, obs: np.ndarray | None = None) -> np.ndarray:
    """Stacking weights for an (observations, structures) matrix of finite pointwise elpd, with
    optional observation weights ``obs`` (summing to 1; a Bayesian-bootstrap resample)."""
    k = lpd.shape[1]
    # per observation, shift so the best structure has density 1: the optimum is unchanged
    dens = np.exp(lpd - lpd.max(axis=1, keepdims=True))
    uniform = np.full(k, 1.0 / k)
    o = np.full(lpd.shape[0], 1.0 / lpd.shape[0]) if obs is None else obs

    def gradient(w: np.ndarray) -> np.ndarray:
        mix = np.maximum(dens @ w, _TINY)
        return -(o @ (dens / mix[:, None]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = minimize(
            lambda w: _objective(dens, w, o),
            uniform,
            jac=gradient,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * k,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0, "jac": np.ones_like}],
            options={"ftol": 1e-12, "maxiter": 1000},
        )
    w = _on_simplex(res.x)
    base = _objective(dens, uniform, o)
    score = _objective(dens, w, o) if w is not None else np.inf
    if w is None or not np.isfinite(score) or score > base + 1e-12:
        w = _em_weights(dens, uniform, o)
    return w


def _on_simplex(x: np.ndarray) -> np.ndarray | None:
    """``x`` clipped to >= 0 and normalised; None when that is not possible."""
    x = np.where(np.isfinite(x), x, 0.0)
    x = np.clip(x, 0.0, None)
    total = x.sum()
    if not total > 0:
        return None
    return x / total


def _em_weights(
    dens: np.ndarray,
    w: np.ndarray,
    obs: np.ndarray | None = None,
    iters: int = 5000,
    tol: float = 1e-12,
):
    """Fixed-point (EM) iteration for mixture weights: monotone and always on the simplex."""
    w = w.copy()
    o = np.full(dens.shape[0], 1.0 / dens.shape[0]) if obs is None else obs
    for _ in range(iters):
        mix = np.maximum(dens @ w, _TINY)
        new = w * (o @ (dens / mix[:, None]))
        new /= new.sum()
        if np.max(np.abs(new - w)) < tol:
            return new
        w = new
    return w


def _plain(value: Any) -> Any:
    """numpy scalars as Python floats and ints (JSON-ready)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value
