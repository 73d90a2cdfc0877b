"""Supply channels in the forward projection: a country's additions split into channels.

A country with channels in the registry (China: domestic, legal, smuggled) has its projected
additions split by the channels' fitted shares (the softmax of each channel's log-ratio line to
the reference channel, with its policy step). A capacity-bound channel saturates against its
production ceiling. Scenario levers may act on one channel; its factor weights the country's
additions by the channel's share. :class:`ChannelProjection` is a mixin of
:class:`forecast.model.projection.Projector`, which supplies the draws, the grid and the
country's baseline paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.core.definitions import (
    CAPACITY_REFERENCE_YEAR,
    component_key,
    country_info,
    country_key,
)
from forecast.core.errors import UsageError
from forecast.core.timeutil import date_to_year
from forecast.data.observations import QUARTER_YEARS
from forecast.priors.scenarios import Levers, Scenario

SATURATION_SHARPNESS = 4.0
"""Sharpness n of the smooth minimum of demand and a ceiling (n = 1: harmonic; large: kinked)."""


def saturation(u: np.ndarray) -> np.ndarray:
    """Share of demand met at demand/ceiling ratio u: (1 + u^n)^(-1/n)."""
    n = SATURATION_SHARPNESS
    return np.exp(-np.log1p(np.power(np.maximum(u, 0.0), n)) / n)


class ChannelProjection:
    """Channel shares, production ceilings and channel paths (mixin of ``Projector``)."""

    draws: dict[str, np.ndarray]
    grid: np.ndarray
    n_draws: int
    axes: Any

    def channel_shares(self, country: str, t: np.ndarray) -> dict[str, np.ndarray]:
        """Fitted share of each supply channel in the country's additions at times t, per draw
        (draws, len(t)): the softmax of the channels' log-ratio lines (reference channel 0),
        with each channel's policy step from its event on; after the data end the lines' trends
        fade with ``stock_slowdown_years`` (eight fitted quarters say little about 2040). No
        process noise."""
        info = country_info(country)
        t = np.atleast_1d(np.asarray(t, dtype=float))
        d = self.draws
        # after the data end each line's trend fades with the additions' slowdown time tau:
        # elapsed years (t - t_ref) become (t_end - t_ref) + tau (1 - exp(-(t - t_end) / tau))
        t_end, tau = self.axes.data_end, d["stock_slowdown_years"][:, None]
        ahead = np.maximum(t[None, :] - t_end, 0.0)
        elapsed = np.minimum(t[None, :], t_end) - self.axes.reference - tau * np.expm1(-ahead / tau)
        logits = {info.components[0].name: np.zeros((self.n_draws, t.size))}
        for comp in info.components[1:]:
            ratio = (
                d[component_key("supply_logratio_2025", country, comp.name)][:, None]
                + d[component_key("supply_logratio_trend", country, comp.name)][:, None] * elapsed
            )
            if comp.regime_start is not None:
                step = d[component_key("supply_regime_effect", country, comp.name)]
                after = t >= date_to_year(comp.regime_start)
                ratio = ratio + step[:, None] * after[None, :]
            logits[comp.name] = ratio
        top = np.maximum.reduce(list(logits.values()))
        weights = {k: np.exp(v - top) for k, v in logits.items()}
        total = sum(weights.values())
        return {k: w / total for k, w in weights.items()}

    def capacity(self, country: str, component: str, t: np.ndarray) -> np.ndarray:
        """Production ceiling of a capacity-bound channel at times t, H100e/yr (draws, len(t))."""
        d = self.draws
        level = d[component_key("chip_capacity_ceiling", country, component)]
        growth = d[component_key("chip_capacity_growth", country, component)]
        years = np.atleast_1d(np.asarray(t, dtype=float)) - CAPACITY_REFERENCE_YEAR
        return level[:, None] * np.exp(growth[:, None] * years[None, :])

    def _channel_supply(
        self, country: str, demand: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Split projected demand into supply channels by their fitted shares; a capacity-bound
        channel saturates against its ceiling (the same smooth minimum as the spend and power
        ceilings, continuous at the data end). Returns the total supplied and each channel's
        share of it."""
        shares = self.channel_shares(country, self.grid)
        supplied = {}
        for comp in country_info(country).components:
            flow = demand * shares[comp.name]
            if comp.capacity_bound:
                inv = 1.0 / self.capacity(country, comp.name, self.grid)
                flow = flow * saturation(flow * inv) / saturation(flow[:, :1] * inv[:, :1])
            supplied[comp.name] = flow
        total = sum(supplied.values())
        return total, {k: (v / total).astype(np.float32) for k, v in supplied.items()}

    def _history_quadrature(self, country: str, upto: float) -> tuple[np.ndarray, dict]:
        """Fitted additions per channel on a fine grid from the origin to ``upto`` and their
        cumulative sums (H100e), for the living stock of a channel: (times, {channel: cum}).
        The one up to the data end (every projected channel and date reads it) is cached per
        country."""
        if upto != self.axes.data_end:
            return self._quadrature(country, upto)
        cache = self.__dict__.setdefault("_quadratures", {})
        if country not in cache:
            cache[country] = self._quadrature(country, upto)
        return cache[country]

    def _quadrature(self, country: str, upto: float) -> tuple[np.ndarray, dict]:
        n = max(int(np.ceil((upto - self.axes.origin) / (QUARTER_YEARS / 4))), 1)
        step = (upto - self.axes.origin) / n  # the last edge is exactly ``upto``
        s = self.axes.origin + step * (np.arange(n) + 0.5)
        ln_a = np.log(self.draws[country_key("stock_additions_2025", country)])[:, None]
        g = self.draws[country_key("stock_growth", country)][:, None]
        total = np.exp(ln_a + g * (s[None, :] - self.axes.reference))
        cum = {}
        for name, share in self.channel_shares(country, s).items():
            flow = total * share * step
            cum[name] = np.concatenate([np.zeros((self.n_draws, 1)), np.cumsum(flow, 1)], axis=1)
        edges = self.axes.origin + step * np.arange(n + 1)
        return edges, cum

    @staticmethod
    def _read_cum(edges: np.ndarray, cum: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A cumulative sum on uniform ``edges`` read at per-draw times x (draws, m)."""
        step = edges[1] - edges[0]
        u = np.clip((x - edges[0]) / step, 0.0, edges.size - 1.0)
        k = np.minimum(np.floor(u).astype(int), edges.size - 2)
        w = u - k
        return (1.0 - w) * np.take_along_axis(cum, k, 1) + w * np.take_along_axis(cum, k + 1, 1)

    def channel_factors(
        self, country: str, scenario: Scenario | None, base: Any, k0: int, t_s: float
    ) -> dict[str, np.ndarray] | None:
        """Each channel's additions factor from grid column k0 on under the scenario's channel
        levers (None if it has none): m_k (A_k(t) / A_k(t_s))^(g_k - 1), with A_k the channel's
        status-quo additions; multiplied by the country's own lever factor elsewhere."""
        if scenario is None or base.shares is None:
            return None
        levers = scenario.channel_levers(country)
        if not levers or all(lv.is_neutral for lv in levers.values()):
            return None
        out = {}
        for comp in country_info(country).components:
            lv = levers.get(comp.name, Levers())
            factor = np.full((self.n_draws, self.grid.size - k0), float(lv.additions_multiplier))
            if lv.growth_multiplier != 1.0:
                flow = base.additions[:, k0:] * base.shares[comp.name][:, k0:]
                factor = factor * (flow / flow[:, :1]) ** (lv.growth_multiplier - 1.0)
            out[comp.name] = factor
        return out

    def channel_values(
        self, country: str, component: str, t: float, scenario: Scenario | None = None
    ) -> dict[str, np.ndarray]:
        """A supply channel's additions (H100e/yr) and living stock (H100e) at time t, per draw:
        fitted before the data end (trend shares, the country's AR(1) state on the additions),
        projected after (under the scenario's country and channel levers from its start)."""
        info = country_info(country)
        info.component(component)
        if not info.components:
            raise UsageError(f"{country} has no supply components")
        life = self.draws["chip_useful_life_years"]
        t_end = self.axes.data_end
        if t <= t_end:
            edges, cum = self._history_quadrature(country, t)
            c = cum[component]
            x = np.column_stack([np.maximum(t - life, self.axes.origin), np.full(life.size, t)])
            window = self._read_cum(edges, c, x)
            share = self.channel_shares(country, np.array([t]))[component][:, 0]
            total = self.history(country, t)["chip_additions_h100e_per_year"]
            return {
                "chip_additions_h100e_per_year": total * share,
                "compute_stock_h100e": window[:, 1] - window[:, 0],
            }
        base = self.baseline(country)
        flow = base.additions * base.shares[component]
        t_s = self._start(scenario)
        # nothing changes before the start date
        if scenario is not None and np.isfinite(t_s) and t_s <= min(t, self.grid[-1]):
            k0 = int(np.searchsorted(self.grid, t_s - 1e-9))
            country_levers = scenario.lever(country)
            factor = self._country_factor(country, base, k0, t_s, country_levers)
            channels = self.channel_factors(country, scenario, base, k0, t_s)
            if channels is not None:
                factor = factor * channels[component]
            flow = flow.copy()
            flow[:, k0:] = flow[:, k0:] * factor
        # before the data end: the channel's fitted additions over the living window
        edges, cum = self._history_quadrature(country, t_end)
        c = cum[component]
        lo = np.maximum(self.grid[None, :] - life[:, None], self.axes.origin)
        hist = c[:, -1:] - self._read_cum(edges, c, np.minimum(lo, t_end))
        stock = self._living(hist, self._cumulative(flow), life)
        grid = self.grid
        k = int(np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2))
        w = float(np.clip((t - grid[k]) / (grid[k + 1] - grid[k]), 0.0, 1.0))

        def between(path: np.ndarray) -> np.ndarray:
            """Log-linear between grid points, as the country's paths (0 stays 0)."""
            lo, hi = path[:, k], path[:, k + 1]
            both = (lo > 0) & (hi > 0)
            safe_lo, safe_hi = np.where(both, lo, 1.0), np.where(both, hi, 1.0)
            geometric = np.exp((1 - w) * np.log(safe_lo) + w * np.log(safe_hi))
            return np.where(both, geometric, (1 - w) * lo + w * hi)

        return {
            "chip_additions_h100e_per_year": between(flow),
            "compute_stock_h100e": between(np.maximum(stock, 0.0)),
        }
