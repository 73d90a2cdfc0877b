"""The naive baselines of a backtest, each fitted per country and quantity on the series up to
the cutoff (on the scoring scale: log10 for FLOP, stock and horizons, raw ECI).

- ``loglinear`` (:func:`fit_line`): an ordinary least-squares line through every point, with a
  Gaussian predictive whose sd is the OLS prediction sd (residual sd and parameter
  uncertainty). It needs three points.
- ``recent_t`` (:func:`fit_recent_t`): the same line through the last :data:`RECENT_YEARS` years
  only (at least four points), with the Student-t predictive of OLS (n - 2 degrees of freedom):
  a recent trend with heavy tails.
- ``rw_drift`` (:func:`fit_rw_drift`): a random walk with drift from the last observation (same
  dates averaged), drift and variance per year from the increments; Gaussian predictive whose
  variance grows with the lead time (plus the drift's own uncertainty).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from forecast.validation import scoring

MIN_BASELINE_POINTS = 3
"""Fewest points a baseline line is fitted through."""


@dataclass(frozen=True)
class LineFit:
    """Ordinary least squares y = a + b (t - t_mean), with what its prediction sd needs."""

    a: float
    b: float
    t_mean: float
    sxx: float  # sum of squared deviations of t (years^2)
    resid_sd: float  # residual sd, n - 2 degrees of freedom (unit of y)
    n: int

    def predict(self, t: float) -> tuple[float, float]:
        """Mean and sd of the Gaussian predictive at t: s sqrt(1 + 1/n + (t - t_mean)^2 / Sxx)."""
        dt = float(t) - self.t_mean
        sd = self.resid_sd * math.sqrt(1.0 + 1.0 / self.n + dt * dt / self.sxx)
        return self.a + self.b * dt, sd

    def score(self, t: float, observed: float) -> scoring.PointScore:
        return scoring.score_normal(*self.predict(t), observed)


def fit_line(t: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> LineFit | None:
    """OLS line through (t, y); None with fewer than three points or no spread in t.

    A perfect fit (zero residuals) gets a tiny residual sd so its predictive stays proper.
    """
    tt, yy = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(tt) & np.isfinite(yy)
    tt, yy = tt[ok], yy[ok]
    n = tt.size
    if n < MIN_BASELINE_POINTS:
        return None
    t_mean = float(tt.mean())
    sxx = float(np.sum((tt - t_mean) ** 2))
    if sxx <= 0:
        return None
    b = float(np.sum((tt - t_mean) * (yy - yy.mean())) / sxx)
    a = float(yy.mean())
    resid = yy - (a + b * (tt - t_mean))
    resid_sd = max(float(np.sqrt(np.sum(resid**2) / (n - 2))), 1e-6)
    return LineFit(a=a, b=b, t_mean=t_mean, sxx=sxx, resid_sd=resid_sd, n=n)


RECENT_YEARS = 3.0
"""Window of the recent-trend baseline: the last three years of points before the cutoff."""
MIN_T_POINTS = 4
"""Fewest points of the recent-trend line (n - 2 >= 2 degrees of freedom: a finite CRPS)."""


def crps_student_t(loc: float, scale: float, df: float, observed: float) -> float:
    """CRPS of a Student-t forecast (df > 1), closed form (Jordan, Krueger and Lerch 2019)."""
    z = (float(observed) - loc) / scale
    pdf, cdf = stats.t.pdf(z, df), stats.t.cdf(z, df)
    tail = 2.0 * math.sqrt(df) * special.beta(0.5, df - 0.5)
    tail /= (df - 1.0) * special.beta(0.5, df / 2.0) ** 2
    return float(scale * (z * (2 * cdf - 1) + 2 * pdf * (df + z * z) / (df - 1) - tail))


@dataclass(frozen=True)
class StudentTLine:
    """A recent-trend OLS line with its Student-t predictive (n - 2 degrees of freedom)."""

    line: LineFit
    df: float

    def predict(self, t: float) -> tuple[float, float]:
        """Location and scale of the Student-t predictive at t."""
        return self.line.predict(t)

    def score(self, t: float, observed: float) -> scoring.PointScore:
        loc, scale = self.predict(t)
        dist = stats.t(self.df, loc=loc, scale=scale)

        def interval(level: float) -> tuple[float, float]:
            lo, hi = dist.ppf([(1 - level) / 2, (1 + level) / 2])
            return float(lo), float(hi)

        return scoring.PointScore(
            crps=crps_student_t(loc, scale, self.df, observed),
            log_score=float(dist.logpdf(observed)),
            covered=tuple(scoring.inside(interval(lv), observed) for lv in scoring.LEVELS),
            median=float(loc),
            interval80=interval(0.8),
        )


def fit_recent_t(
    t: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, years: float = RECENT_YEARS
) -> StudentTLine | None:
    """The recent-trend baseline: OLS on the last ``years`` (at least :data:`MIN_T_POINTS`
    points, the latest ones if the window holds fewer); None with fewer points in all."""
    tt, yy = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(tt) & np.isfinite(yy)
    tt, yy = tt[ok], yy[ok]
    if tt.size < MIN_T_POINTS:
        return None
    order = np.argsort(tt, kind="stable")
    tt, yy = tt[order], yy[order]
    recent = tt >= tt[-1] - years
    if recent.sum() < MIN_T_POINTS:
        recent = np.arange(tt.size) >= tt.size - MIN_T_POINTS
    line = fit_line(tt[recent], yy[recent])
    if line is None:
        return None
    return StudentTLine(line=line, df=float(line.n - 2))


@dataclass(frozen=True)
class RandomWalkDrift:
    """y(t) = y_last + drift (t - t_last) + a random walk with variance ``var_rate`` per year."""

    t_last: float
    y_last: float
    drift: float
    var_rate: float
    span: float  # years from the first to the last point (the drift's precision)

    def predict(self, t: float) -> tuple[float, float]:
        h = max(float(t) - self.t_last, 0.0)
        var = self.var_rate * h + self.var_rate / self.span * h * h
        return self.y_last + self.drift * h, math.sqrt(max(var, 1e-12))

    def score(self, t: float, observed: float) -> scoring.PointScore:
        return scoring.score_normal(*self.predict(t), observed)


def fit_rw_drift(
    t: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray
) -> RandomWalkDrift | None:
    """The random walk with drift through (t, y); None with fewer than three distinct dates."""
    tt, yy = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(tt) & np.isfinite(yy)
    times, inverse = np.unique(tt[ok], return_inverse=True)
    if times.size < MIN_BASELINE_POINTS:
        return None
    means = np.bincount(inverse, weights=yy[ok]) / np.bincount(inverse)
    dt, dy = np.diff(times), np.diff(means)
    span = float(times[-1] - times[0])
    drift = float((means[-1] - means[0]) / span)
    var_rate = float(np.sum((dy - drift * dt) ** 2 / dt) / (dt.size - 1))
    return RandomWalkDrift(
        t_last=float(times[-1]),
        y_last=float(means[-1]),
        drift=drift,
        var_rate=max(var_rate, 1e-12),
        span=span,
    )


BASELINES = {"loglinear": fit_line, "recent_t": fit_recent_t, "rw_drift": fit_rw_drift}
"""Every baseline by name: a function of (t, y) giving a fit with ``score(t, observed)``."""
