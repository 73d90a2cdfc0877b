"""Question maths on posterior draws: quantiles, probabilities and CDFs with Monte Carlo error.

Draws are arrival times in decimal years, with ``inf`` for "not before the horizon end". Monte
Carlo standard errors use an effective sample size ``n_eff`` (from the draws' chains):

- a probability p: sqrt(p (1 - p) / n_eff);
- a mean of per-draw values v: sd(v) / sqrt(n_eff);
- a quantile q: half the distance between the quantiles at q -/+ sqrt(q (1 - q) / n_eff)
  (the order-statistic interval of one standard error).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def effective_size(values: np.ndarray, chains: int) -> float:
    """Bulk ESS of draws laid out chain after chain (rank-normalised, so ``inf`` is fine)."""
    return sorted_with_ess(values, chains)[1]


def sorted_with_ess(values: np.ndarray, chains: int) -> tuple[np.ndarray, float]:
    """The draws sorted, and their bulk ESS (:func:`effective_size`), from one sort.

    Bulk ESS is the ESS of the rank-normalised draws over split chains (Vehtari et al. 2021,
    arviz_stats' ``ess(method="bulk")``): computed here with numpy and a short loop over the
    lags, the same numbers (tested against arviz_stats), in a third of the time, as an answer
    under a new threshold or lever computes one per country.
    """
    flat = np.asarray(values, dtype=float).reshape(-1)
    n = flat.size
    order = np.argsort(flat)
    ordered = flat[order]
    if chains < 1 or n % chains or n == 0:
        return ordered, float(n)
    finite = np.isfinite(ordered)
    if not finite.any():
        return ordered, float(n)
    # "later than the horizon" (inf) and NaN rank as one value above every finite draw, -inf
    # as one below (argsort put them at the ends, so the ranked values still ascend)
    kept = ordered[finite]
    ranked = np.where(finite, ordered, np.where(ordered < 0, kept[0] - 1.0, kept[-1] + 1.0))
    if ranked[-1] == ranked[0]:
        return ordered, float(n)
    z = np.empty(n)
    z[order] = _normal_scores(ranked)
    per_chain = n // chains
    half = per_chain // 2
    if half < 2:
        return ordered, float(n)
    z = z.reshape(chains, per_chain)
    split = np.vstack((z[:, :half], z[:, -half:]))  # split chains, as bulk ESS does
    ess = _ess(split)
    return ordered, float(np.clip(ess, 1.0, n)) if np.isfinite(ess) else float(n)


def _normal_scores(ascending: np.ndarray) -> np.ndarray:
    """Rank-normal scores of sorted values: the normal quantile of (average rank - 3/8) /
    (n + 1/4), tied values sharing their average rank (1-based)."""
    from scipy.special import ndtri

    n = ascending.size
    starts = np.flatnonzero(np.r_[True, ascending[1:] != ascending[:-1]])
    ends = np.r_[starts[1:], n]
    ranks = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ndtri((ranks - 0.375) / (n + 0.25))


def _ess(chains: np.ndarray) -> float:
    """ESS of (chains, draws) values: autocovariances by FFT, Geyer's initial positive and
    monotone sequences (the steps of arviz_stats' ``_ess``, with the lag loop on Python
    floats: it stops after a few lags for well-mixed draws)."""
    from scipy.fft import next_fast_len

    m, n = chains.shape
    total = m * n
    if chains.max() - chains.min() < np.finfo(float).resolution:
        return float(total)
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = next_fast_len(2 * n, real=True)
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n] / n
    mean_acov = acov.mean(axis=0)
    mean_var = float(mean_acov[0]) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if m > 1:
        var_plus += float(np.var(chains.mean(axis=1), ddof=1))
    r = (1.0 - (mean_var - mean_acov) / var_plus).tolist()
    rho = [0.0] * n
    rho[0] = even = 1.0
    rho[1] = odd = r[1]
    t = 1
    while t < n - 3 and even + odd > 0.0:
        even, odd = r[t + 1], r[t + 2]
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        rho[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * sum(rho[: max_t + 1]) + sum(rho[max_t + 1 : max_t + 2])
    tau = max(tau, 1.0 / np.log10(total))
    if math.isnan(sum(rho)) and any(math.isnan(x) for x in rho):
        return float("nan")
    return total / tau


def probability(indicator: np.ndarray, n_eff: float) -> tuple[float, float]:
    """Mean of a 0/1 indicator and its Monte Carlo standard error."""
    p = float(np.mean(indicator))
    return p, float(np.sqrt(max(p * (1.0 - p), 0.0) / max(n_eff, 1.0)))


def mean_with_mcse(values: np.ndarray, n_eff: float) -> tuple[float, float]:
    """Mean of per-draw values and its Monte Carlo standard error."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(max(n_eff, 1.0)))


def _sorted(draws: np.ndarray, already: bool) -> np.ndarray:
    """The draws as a float array, sorted unless they ``already`` are."""
    values = np.asarray(draws, dtype=float)
    return values if already else np.sort(values)


def quantile(draws: np.ndarray, q: float, ordered: bool = False) -> float:
    """The q-quantile of draws that may contain +/-inf (returned as inf when it falls there).

    Pass ``ordered=True`` when the draws are already sorted.
    """
    ordered = _sorted(draws, ordered)
    n = ordered.size
    pos = q * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    a, b = ordered[lo], ordered[hi]
    if not (np.isfinite(a) and np.isfinite(b)):
        return float(a if pos - lo < 0.5 else b) if a != b else float(a)
    return float(a + (pos - lo) * (b - a))


def quantile_with_mcse(
    draws: np.ndarray, q: float, n_eff: float, ordered: bool = False
) -> tuple[float, float]:
    """The q-quantile and its Monte Carlo standard error (inf where it is not finite)."""
    draws = _sorted(draws, ordered)
    value = quantile(draws, q, ordered=True)
    se_p = np.sqrt(q * (1.0 - q) / max(n_eff, 1.0))
    lo = quantile(draws, max(q - se_p, 0.0), ordered=True)
    hi = quantile(draws, min(q + se_p, 1.0), ordered=True)
    mcse = (hi - lo) / 2.0 if np.isfinite(lo) and np.isfinite(hi) else np.inf
    return value, float(mcse)


def cdf(
    draws: np.ndarray, grid: Sequence[float] | np.ndarray, n_eff: float, ordered: bool = False
) -> np.ndarray:
    """P(draw <= t) at each grid time, with its MCSE: an array of shape (len(grid), 2)."""
    ordered = _sorted(draws, ordered)
    p = np.searchsorted(ordered, np.asarray(grid, dtype=float), side="right") / ordered.size
    se = np.sqrt(p * (1.0 - p) / max(n_eff, 1.0))
    return np.stack([p, se], axis=1)


def quarterly_grid(start: float, end: float) -> np.ndarray:
    """Quarter boundaries (decimal years) from the first at or after ``start`` to ``end``."""
    first = np.ceil(start * 4.0 - 1e-9) / 4.0
    return np.arange(first, end + 1e-9, 0.25)


def gap_years(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """second - first per draw, in years; +inf when only ``second`` never arrives, nan if both."""
    with np.errstate(invalid="ignore"):
        gap = second - first
    both_late = ~np.isfinite(first) & ~np.isfinite(second)
    return np.where(both_late, np.nan, gap)
