"""The projection's own randomness beyond the fitted parameters (a mixin of the projector).

Two sources, each drawn once per run from the run's seed (common random numbers: every scenario
sees the same noise, so scenario differences are clean):

- ``slope``: a random walk in the capability slope (ECI/yr per sqrt(yr)), partly common to all
  countries;
- ``shocks``: each country's race shocks, its realised frontier (the record-setting models) about
  the latent path.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from forecast.core.definitions import COUNTRIES

NOISE_STREAMS = 1 + len(COUNTRIES)  # one common random walk, one per country
NOISE_SOURCES = frozenset({"slope", "shocks"})
"""The projection's own randomness beyond the fitted parameters: ``slope`` (the random walk in
the capability slope) and ``shocks`` (each country's race shocks). A projector made without one
answers as if it did not exist (the race decomposition switches them off one at a time)."""


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

    def noise(self, country: str) -> np.ndarray | float:
        """The projection's own randomness added to a country's capability path."""
        out: np.ndarray | float = 0.0
        if "slope" in self.sources:
            out = out + self.slope_noise[country]
        if "shocks" in self.sources:
            out = out + self.race_shocks[country]
        return out
