"""Leave-future-out weights for the model structures: refit before a holdout period, score it.

The structures are judged on what the run is for, forecasting: each is refitted on the
observations dated before a holdout period at the end of the data (the prior set's
``[structures] holdout_years``, 1 by default), and scored on the capability observations of that
period under its own likelihood. This is exact leave-future-out (Bürkner, Gabry and Vehtari
2020, "Approximate leave-future-out cross-validation for Bayesian time series models", with the
refit their method falls back to): the holdout removes a year of records, which moves the
posterior too far for importance sampling (Pareto k of 1-2 on the bundled data).

The weights stack those held-out predictive densities (``forecast.fit.stacking``), averaged
over Bayesian-bootstrap resamples of the held-out points. PSIS-LOO stacking of the whole data
is still computed and reported beside them: LOO treats the record series as exchangeable and so
measures how well a structure interpolates, which at the 2023 cutoff favoured the structure that
then forecast worst.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import xarray as xr

from forecast.fit.stacking import BOOTSTRAP, STACKING_BLOCKS, weights_from_loo

METHOD = (
    "stacking of exact leave-future-out predictive densities (each structure refitted on the "
    "data before the holdout and scored on the holdout's capability observations), averaged "
    f"over {BOOTSTRAP} Bayesian-bootstrap resamples of the held-out points"
)
MIN_POINTS = 5
"""Fewest held-out observations the weights are computed from; with fewer the run falls back to
PSIS-LOO stacking and says so."""


@dataclass(frozen=True)
class Holdout:
    """The structures refitted on the data before ``cutoff``: one tree per structure, each
    with its diagnostics (and gate failures) from the refit."""

    cutoff: date
    trees: Mapping[str, xr.DataTree]
    diagnostics: Mapping[str, dict[str, Any]]
    sampling_seconds: float
    note: str | None = None
    """Why there are no refits (the data before the cutoff cannot be fitted), else None."""


def holdout_cutoff(data_end: float, years: float) -> date:
    """The last day before the holdout: ``years`` before the data's end (a decimal year, the
    day after the last observation day), rounded to whole days."""
    year = math.floor(data_end)
    start = date(year, 1, 1)
    end = start + timedelta(days=round((data_end - year) * (date(year + 1, 1, 1) - start).days))
    if float(years).is_integer():
        day = min(end.day, 28) if (end.month, end.day) == (2, 29) else end.day
        back = date(end.year - int(years), end.month, day)  # 29 February: the 28th
    else:
        back = end - timedelta(days=round(years * 365.25))
    return back - timedelta(days=1)


def holdout_years(prior_set: Any, names: Sequence[str], log_densities: bool) -> float:
    """Years of holdout for the weights: 0 (no holdout fit) for a single structure, a pinned or
    weighted prior set, a fit without log densities, or a set without ``holdout_years``."""
    if len(names) < 2 or not log_densities:
        return 0.0
    plan = getattr(prior_set, "structure_plan", None)
    if plan is not None:
        _, fixed, pinned = plan()
        if fixed is not None or pinned is not None:
            return 0.0
    return float(getattr(prior_set, "structures", {}).get("holdout_years", 0.0) or 0.0)


def fit_holdout(
    cutoff: date,
    names: Sequence[str],
    sample: Callable[[str], xr.DataTree],
    check: Callable[[dict[str, Any]], list[str]],
    diagnose: Callable[[xr.DataTree], dict[str, Any]],
    say: Callable[[str], None],
) -> Holdout:
    """Refit every structure with ``sample(name)`` (already on the data up to ``cutoff``)."""
    import time

    started = time.perf_counter()
    trees: dict[str, xr.DataTree] = {}
    diag: dict[str, dict[str, Any]] = {}
    for name in names:
        say(f"holdout refit {name} (data up to {cutoff.isoformat()})")
        tree = sample(name)
        d = diagnose(tree)
        d.pop("parameters", None)
        diag[name] = d | {"gate_failures": check(d)}
        trees[name] = tree
    return Holdout(cutoff, trees, diag, time.perf_counter() - started)


def skipped(holdout: Holdout) -> dict[str, Any]:
    """The record of a holdout that was not refitted (``holdout.note`` says why)."""
    return {
        "method": METHOD,
        "cutoff": holdout.cutoff.isoformat(),
        "n_observations": 0,
        "sampling_seconds": 0.0,
        "per_structure": {},
        "weights": None,
        "point_weights": None,
        "note": holdout.note,
    }


def pointwise(
    log_lik: xr.Dataset,
    times: Mapping[str, np.ndarray],
    start: float,
    blocks: Sequence[str] = STACKING_BLOCKS,
) -> np.ndarray:
    """Held-out log predictive density per observation: ``log mean_s p(y_i | theta_s)`` over
    the holdout fit's draws, for every observation of ``blocks`` dated at or after ``start``
    (blocks in order, observations in their order)."""
    out: list[np.ndarray] = []
    for block in blocks:
        if block not in log_lik.data_vars or log_lik[block].size == 0:
            continue
        da = log_lik[block]
        obs_dims = [d for d in da.dims if d not in ("chain", "draw")]
        values = np.asarray(da.transpose("chain", "draw", *obs_dims).values, dtype=np.float64)
        values = values.reshape(-1, values.shape[-1] if obs_dims else 1)
        t = np.asarray(times[block], dtype=float).reshape(-1)
        if t.size != values.shape[1]:
            raise ValueError(f"block {block!r}: {t.size} dates for {values.shape[1]} observations")
        held = values[:, t >= start]
        if held.size == 0:
            continue
        lse = np.logaddexp.reduce(held, axis=0) - math.log(held.shape[0])
        out.append(lse)
    return np.concatenate(out) if out else np.zeros(0)


def holdout_weights(
    holdout: Holdout,
    log_liks: Mapping[str, xr.Dataset],
    times: Mapping[str, np.ndarray],
    start: float,
) -> dict[str, Any]:
    """Weights from the held-out points (``log_liks``: each structure's log likelihood of the
    run's observations at its holdout draws). A dict with ``weights``, ``point_weights``,
    ``cutoff``, ``n_observations`` and ``per_structure`` (``elpd_lfo``, ``se``, ``elpd_diff``,
    ``dse``, ``n_observations``, ``holdout_fit`` diagnostics); ``weights`` is None with a
    ``note`` when there are fewer than :data:`MIN_POINTS` held-out points."""
    points = {name: pointwise(ll, times, start) for name, ll in log_liks.items()}
    n = len(next(iter(points.values()))) if points else 0
    per: dict[str, dict[str, Any]] = {}
    best = max(points, key=lambda k: float(points[k].sum())) if n else None
    for name, p in points.items():
        diff = p - points[best] if best is not None else p
        per[name] = {
            "elpd_lfo": float(p.sum()),
            "se": float(math.sqrt(p.size * p.var())) if p.size else 0.0,
            "elpd_diff": float(diff.sum()),
            "dse": float(math.sqrt(diff.size * diff.var())) if diff.size else 0.0,
            "n_observations": int(p.size),
            "holdout_fit": dict(holdout.diagnostics.get(name, {})),
        }
    out: dict[str, Any] = {
        "method": METHOD,
        "cutoff": holdout.cutoff.isoformat(),
        "n_observations": n,
        "sampling_seconds": round(holdout.sampling_seconds, 3),
        "per_structure": per,
    }
    bad = [nm for nm in points if not np.all(np.isfinite(points[nm]))]
    if n < MIN_POINTS or bad:
        why = (
            f"non-finite held-out densities ({', '.join(bad)})"
            if bad
            else f"{n} held-out observations (fewer than {MIN_POINTS})"
        )
        return out | {"weights": None, "point_weights": None, "note": why}
    return out | {
        "weights": weights_from_loo(points, bootstrap=BOOTSTRAP),
        "point_weights": weights_from_loo(points),
    }
