"""The projection's own randomness beyond the fitted parameters (a mixin of the projector).

Two sources, each drawn once per run from the run's seed (common random numbers: every scenario
sees the same noise, so scenario differences are clean):

- ``slope``: a random walk in the capability slope (ECI/yr per sqrt(yr)), partly common to all
  countries;
- ``shocks``: each country's race shocks, its realised frontier (the record-setting models) about
  the latent path; arrival is judged on the path plus its shocks (a realised record reaches the
  threshold), while trajectories answer for the latent path, whose predictive adds the fitted
  record scatter instead;
- ``regimes``: a break in the capability trend, common to all countries: at a random onset
  (a Poisson process of ``regime_break_rate_per_year``) the trend's growth from then on is
  scaled by a slowdown or an acceleration factor (``regime_slowdown_share`` of breaks slow it).
  A scenario's change is added on top of the status quo's path; the break does not scale it.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from forecast.core.definitions import COUNTRIES

NOISE_STREAMS = 1 + len(COUNTRIES)  # one common random walk, one per country
NOISE_SOURCES = frozenset({"slope", "shocks", "regimes"})
"""The projection's own randomness beyond the fitted parameters: ``slope`` (the random walk in
the capability slope), ``shocks`` (each country's race shocks) and ``regimes`` (a break in the
capability trend). A projector made without one answers as if it did not exist (the race
decomposition switches them off one at a time)."""


class ProjectionNoise:
    """Noise paths of a projector: needs ``seed``, ``n_draws``, ``grid``, ``settings``,
    ``draws`` and ``sources`` (the noise sources switched on)."""

    seed: int
    n_draws: int
    grid: np.ndarray
    settings: dict[str, float]
    draws: dict[str, np.ndarray]
    sources: frozenset[str]

    @cached_property
    def slope_noise(self) -> dict[str, np.ndarray]:
        """Capability random-walk level per country, (draws, grid), ECI points, zero at start."""
        rng = np.random.default_rng([self.seed, 1])
        z = rng.standard_normal((NOISE_STREAMS, self.n_draws, self.grid.size - 1))
        step = float(self.settings["grid_step_years"])
        vol = self.draws["capability_slope_volatility"][:, None] * np.sqrt(step)
        share = self.draws["capability_slope_common_share"][:, None]
        out = {}
        for i, country in enumerate(COUNTRIES, start=1):
            shocks = vol * (np.sqrt(share) * z[0] + np.sqrt(1.0 - share) * z[i])
            slope = np.cumsum(shocks, axis=1)
            level = np.cumsum(slope, axis=1) * step
            out[country] = np.concatenate([np.zeros((self.n_draws, 1)), level], axis=1)
        return out

    @cached_property
    def race_shocks(self) -> dict[str, np.ndarray]:
        """Each country's race shock, (draws, grid), ECI points: its realised frontier (the
        record-setting models) about the latent path, an AR(1) process per country with the
        fitted stationary sd ``eci_record_noise`` and e-folding time
        ``race_shock_persistence_years``, zero at the data end (its variance reaches the
        stationary one within about that time)."""
        rng = np.random.default_rng([self.seed, 2])
        z = rng.standard_normal((len(COUNTRIES), self.n_draws, self.grid.size))
        step = float(self.settings["grid_step_years"])
        tau = float(self.settings.get("race_shock_persistence_years", 0.5))
        a = float(np.exp(-step / tau))
        x = np.empty_like(z)
        x[:, :, 0] = 0.0  # the data end is fitted: shocks start there, like the slope's walk
        scale = np.sqrt(1.0 - a * a)
        for k in range(1, self.grid.size):
            x[:, :, k] = a * x[:, :, k - 1] + scale * z[:, :, k]
        sd = self.draws["eci_record_noise"][:, None]
        return {c: sd * x[i] for i, c in enumerate(COUNTRIES)}

    @cached_property
    def regime(self) -> tuple[np.ndarray, np.ndarray]:
        """Per draw: the onset (decimal year; inf when no break comes before the horizon end)
        of a break in the capability trend, and the factor on the trend's growth after it."""
        rng = np.random.default_rng([self.seed, 3])
        rate = float(self.settings.get("regime_break_rate_per_year", 0.0))
        wait = rng.exponential(1.0, self.n_draws)
        onset = self.grid[0] + (wait / rate if rate > 0 else np.full(self.n_draws, np.inf))
        slow = rng.random(self.n_draws) < float(self.settings.get("regime_slowdown_share", 0.5))
        factor = np.where(
            slow,
            float(self.settings.get("regime_slowdown_factor", 1.0)),
            float(self.settings.get("regime_acceleration_factor", 1.0)),
        )
        return onset, factor

    def regime_change(self, trend: np.ndarray) -> np.ndarray | float:
        """Change of a capability trend (draws, grid) from its draw's regime: after the onset,
        the growth since the onset times (factor - 1); 0 before it or without regimes."""
        if "regimes" not in self.sources:
            return 0.0
        onset, factor = self.regime
        if not np.any(onset < self.grid[-1]):
            return 0.0
        k = np.clip(np.searchsorted(self.grid, onset) - 1, 0, self.grid.size - 2)
        w = np.clip((onset - self.grid[k]) / (self.grid[k + 1] - self.grid[k]), 0.0, 1.0)
        rows = np.arange(self.n_draws)
        at_onset = (1.0 - w) * trend[rows, k] + w * trend[rows, k + 1]
        after = self.grid[None, :] > onset[:, None]
        return np.where(after, (factor - 1.0)[:, None] * (trend - at_onset[:, None]), 0.0)

    def noise(self, country: str) -> np.ndarray | float:
        """The random walk added to a country's latent capability path (race shocks act on
        arrival only: ``CountryPaths.racing``)."""
        return self.slope_noise[country] if "slope" in self.sources else 0.0
