"""The naive baseline of a backtest: a least-squares line with a Gaussian predictive.

Per country and quantity, an ordinary least-squares line through the series up to the cutoff (on
the scoring scale: log10 for FLOP, stock and horizons, raw ECI), with a Gaussian predictive whose
sd is the OLS prediction sd (residual sd and parameter uncertainty). It needs three points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
