"""Proper scores for probabilistic forecasts of one observed value each.

A forecast is either a set of Monte Carlo draws from the predictive distribution (the model) or
a Gaussian (the naive baseline). Every score is computed on the scale the value is given in: the
backtest passes log10 values for FLOP, stock and horizons and raw ECI points, so a CRPS of 0.3
on FLOP means 0.3 orders of magnitude.

Conventions:

- CRPS (continuous ranked probability score), in the value's unit: lower is better, 0 for a
  point mass on the observed value;
- log score: the natural log of the predictive density at the observed value (unit: ln of
  1/value unit); higher is better;
- coverage: whether the observed value lies inside the central interval of a given probability
  (equal-tailed, bounds included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)
"""Central-interval probabilities whose coverage is reported."""

_LOG_FLOOR = -1e3
"""Log scores below this (a density of about e^-1000) are clipped, so one absurd miss cannot
make a mean infinite."""


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval probability must lie strictly between 0 and 1, got {level}")
    return float(level)


def _finite_samples(samples: Sequence[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("need at least one predictive draw")
    if not np.all(np.isfinite(x)):
        raise ValueError("predictive draws must all be finite")
    return x


# -- CRPS ------------------------------------------------------------------------------------------
def crps_samples(samples: Sequence[float] | np.ndarray, observed: float) -> float:
    """CRPS of the empirical distribution of ``samples`` at ``observed`` (unit of the values).

    CRPS = E|X - y| - E|X - X'| / 2 over the draws X, X' (the energy form), computed exactly for
    the empirical distribution in O(n log n) from the sorted draws:
    E|X - X'| = 2 / n^2 * sum_i (2 i - n - 1) x_(i) (i = 1..n).
    """
    x = np.sort(_finite_samples(samples))
    n = x.size
    to_obs = float(np.mean(np.abs(x - float(observed))))
    ranks = 2.0 * np.arange(1, n + 1) - n - 1
    spread = 2.0 * float(np.dot(ranks, x)) / (n * n)
    return to_obs - 0.5 * spread


def crps_normal(mean: float, sd: float, observed: float) -> float:
    """Closed-form CRPS of a normal forecast N(mean, sd^2) at ``observed`` (unit of the values).

    CRPS = sd [z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)], z = (y - mean) / sd
    (Gneiting and Raftery 2007). ``sd`` must be positive.
    """
    if not sd > 0:
        raise ValueError(f"sd must be positive, got {sd}")
    z = (float(observed) - float(mean)) / float(sd)
    return float(
        sd * (z * (2.0 * stats.norm.cdf(z) - 1.0) + 2.0 * stats.norm.pdf(z) - 1.0 / np.sqrt(np.pi))
    )


# -- log score -------------------------------------------------------------------------------------
def log_score_normal(mean: float, sd: float, observed: float) -> float:
    """ln of the N(mean, sd^2) density at ``observed`` (higher is better); clipped at -1000."""
    if not sd > 0:
        raise ValueError(f"sd must be positive, got {sd}")
    return max(float(stats.norm.logpdf(float(observed), float(mean), float(sd))), _LOG_FLOOR)


def log_score_mixture(
    centers: Sequence[float] | np.ndarray, scales: Sequence[float] | np.ndarray, observed: float
) -> float:
    """ln of the density at ``observed`` of an equal-weight mixture of normals (clipped at -1000).

    The model's predictive is exactly such a mixture: one normal per posterior draw, centred on
    the draw's latent value with the draw's observation noise as scale. ``scales`` may be one
    number for every component.
    """
    mu = _finite_samples(centers)
    sd = np.broadcast_to(np.asarray(scales, dtype=float), mu.shape)
    if not np.all(sd > 0):
        raise ValueError("mixture scales must all be positive")
    logs = stats.norm.logpdf(float(observed), mu, sd)
    value = float(special.logsumexp(logs) - np.log(mu.size))
    return max(value, _LOG_FLOOR)


def kde_bandwidth(samples: Sequence[float] | np.ndarray) -> float:
    """Silverman's rule-of-thumb bandwidth of a Gaussian kernel density estimate (value unit).

    h = 0.9 min(sd, IQR / 1.34) n^(-1/5), with a floor of 1e-9 so that a point mass still has
    a (very peaked) density.
    """
    x = _finite_samples(samples)
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    iqr = float(np.subtract(*np.quantile(x, [0.75, 0.25])))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return max(0.9 * spread * x.size ** (-0.2), 1e-9)


def log_score_samples(samples: Sequence[float] | np.ndarray, observed: float) -> float:
    """ln of a Gaussian kernel density estimate of ``samples`` at ``observed`` (Silverman)."""
    x = _finite_samples(samples)
    return log_score_mixture(x, kde_bandwidth(x), observed)


# -- coverage --------------------------------------------------------------------------------------
def central_interval(samples: Sequence[float] | np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed central interval of probability ``level`` from draws (linear quantiles)."""
    tail = (1.0 - _check_level(level)) / 2.0
    lo, hi = np.quantile(_finite_samples(samples), [tail, 1.0 - tail])
    return float(lo), float(hi)


def normal_interval(mean: float, sd: float, level: float) -> tuple[float, float]:
    """Equal-tailed central interval of probability ``level`` of N(mean, sd^2)."""
    half = float(stats.norm.ppf(0.5 + _check_level(level) / 2.0)) * float(sd)
    return float(mean) - half, float(mean) + half


def inside(interval: tuple[float, float], observed: float) -> bool:
    """Whether ``observed`` lies in the closed interval."""
    lo, hi = interval
    return bool(lo <= float(observed) <= hi)


# -- one scored observation, and means over many ---------------------------------------------------
@dataclass(frozen=True)
class PointScore:
    """The scores of one forecast of one observed value."""

    crps: float
    log_score: float
    covered: tuple[bool, ...]  # one flag per entry of LEVELS
    median: float
    interval80: tuple[float, float]


def score_samples(
    samples: Sequence[float] | np.ndarray,
    observed: float,
    log_density: float | None = None,
) -> PointScore:
    """Score predictive draws against one observed value.

    ``log_density`` is the predictive log density at the observed value when the caller can
    compute it exactly (e.g. :func:`log_score_mixture`); otherwise a kernel density estimate of
    the draws is used.
    """
    x = _finite_samples(samples)
    log_score = log_score_samples(x, observed) if log_density is None else float(log_density)
    return PointScore(
        crps=crps_samples(x, observed),
        log_score=log_score,
        covered=tuple(inside(central_interval(x, lv), observed) for lv in LEVELS),
        median=float(np.median(x)),
        interval80=central_interval(x, 0.8),
    )


def score_normal(mean: float, sd: float, observed: float) -> PointScore:
    """Score a normal forecast N(mean, sd^2) against one observed value."""
    return PointScore(
        crps=crps_normal(mean, sd, observed),
        log_score=log_score_normal(mean, sd, observed),
        covered=tuple(inside(normal_interval(mean, sd, lv), observed) for lv in LEVELS),
        median=float(mean),
        interval80=normal_interval(mean, sd, 0.8),
    )


def coverage_key(level: float) -> str:
    """JSON key of a coverage level: 0.8 -> ``coverage80``."""
    return f"coverage{round(100 * level)}"


def summarize(scores: Iterable[PointScore]) -> dict[str, float | int | None]:
    """Means over scored points: n, coverage at each level (share inside), CRPS, log score.

    An empty set gives n = 0 and None for every mean.
    """
    rows = list(scores)
    out: dict[str, float | int | None] = {"n": len(rows)}
    for i, level in enumerate(LEVELS):
        out[coverage_key(level)] = (
            round(float(np.mean([r.covered[i] for r in rows])), 4) if rows else None
        )
    out["crps"] = round(float(np.mean([r.crps for r in rows])), 5) if rows else None
    out["log_score"] = round(float(np.mean([r.log_score for r in rows])), 4) if rows else None
    return out
