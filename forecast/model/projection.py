"""Forward projection per posterior draw: chips -> compute -> capability -> arrival.

Scenarios act here, after the fit, so answering under a scenario costs milliseconds. Beyond the
fitted parameters, two sources of trend uncertainty enter only the projection:

- slowdown of chip growth: the growth rate of additions moves from its fitted value g_c to a
  long-run rate g_inf with e-folding time tau (both priors);
- process noise in the capability slope: a random walk in the slope (ECI/yr per sqrt(yr)),
  partly common to all countries, drawn once per run from the run's seed (common random
  numbers: every scenario sees the same noise, so scenario differences are clean).

All arrays are (draws, grid) with the grid in decimal years, ``grid_step_years`` apart, from the
end of the data to ``horizon_end_year``. Draws that never reach the threshold have arrival
``inf`` ("later than the horizon end").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from forecast.core.definitions import COUNTRIES
from forecast.model.equations import (
    LN10,
    REFERENCE_ECI,
    REFERENCE_LOG10_FLOP,
    Axes,
    country_key,
    frontier_capability,
    log_frontier_flop,
    log_stock,
)
from forecast.priors.scenarios import Levers, Scenario

NOISE_STREAMS = 1 + len(COUNTRIES)  # one common random walk, one per country


@dataclass(frozen=True)
class CountryPaths:
    """Projected paths for one country under one scenario, each (draws, grid), float32.

    ``log_stock``, ``log10_flop`` and ``log10_effective`` are the status-quo paths; a scenario
    adds ``dlog_stock`` (change of ln stock) and ``dalgorithms`` (change of effective compute
    from efficiency levers, OOM) from grid column ``start`` on. ``column`` applies them.
    """

    capability: np.ndarray  # frontier ECI (scenario applied)
    arrival: np.ndarray  # (draws,) decimal year, inf = later than the horizon end
    log_stock: np.ndarray  # ln H100e (status quo)
    log10_flop: np.ndarray  # log10 FLOP of the largest run (status quo)
    log10_effective: np.ndarray  # log10 effective FLOP (status quo)
    start: int = 0
    dlog_stock: np.ndarray | None = None
    dalgorithms: np.ndarray | float = 0.0

    def column(self, name: str, k: int) -> np.ndarray:
        """One grid column of ``log_stock``, ``log10_flop`` or ``log10_effective``, per draw."""
        value = getattr(self, name)[:, k].astype(np.float64)
        if k < self.start:
            return value
        j = k - self.start
        dlog = 0.0 if self.dlog_stock is None else self.dlog_stock[:, j]
        if name == "log_stock":
            return value + dlog
        value = value + dlog / LN10
        if name == "log10_effective":
            extra = self.dalgorithms
            value = value + (extra[:, j] if isinstance(extra, np.ndarray) else extra)
        return value


@dataclass(frozen=True)
class Baseline:
    """A country's status-quo projection plus the pieces scenarios perturb."""

    paths: CountryPaths
    integral: np.ndarray  # growth integral of additions since the data end, ln units
    additions: np.ndarray  # H100e/yr
    stock: np.ndarray  # H100e


def _country_params(draws: Mapping[str, np.ndarray], country: str) -> dict[str, np.ndarray]:
    ci = COUNTRIES.index(country)
    lag = (
        draws[country_key("efficiency_lag", country)]
        if ci
        else np.zeros_like(draws["efficiency_rate"])
    )
    return {
        "ln_a": np.log(draws[country_key("stock_additions_2025", country)]),
        "g": draws[country_key("stock_growth", country)],
        "ln_k": np.log(draws[country_key("frontier_flop_per_h100e", country)]),
        "drift": draws[country_key("frontier_share_drift", country)],
        "lag": lag,
    }


def growth_integral(
    delta: np.ndarray, g0: np.ndarray, g_inf: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """Integral over [0, delta] years of a growth rate moving from g0 to g_inf (ln units).

    g(s) = g_inf + (g0 - g_inf) exp(-s / tau), so the integral is
    g_inf delta + (g0 - g_inf) tau (1 - exp(-delta / tau)).
    """
    return g_inf * delta + (g0 - g_inf) * tau * -np.expm1(-delta / tau)


def first_crossing(grid: np.ndarray, path: np.ndarray, level: np.ndarray) -> np.ndarray:
    """First time each row of ``path`` reaches ``level`` (per row), linearly interpolated.

    Rows already at or above the level at the first grid point return ``grid[0]``; rows that
    never reach it return ``inf``.
    """
    above = path >= level[:, None]
    hit = above.any(axis=1)
    k = np.argmax(above, axis=1)
    out = np.full(path.shape[0], np.inf)
    at_start = hit & (k == 0)
    out[at_start] = grid[0]
    inner = hit & (k > 0)
    rows = np.nonzero(inner)[0]
    kk = k[rows]
    before, after = path[rows, kk - 1], path[rows, kk]
    frac = (level[rows] - before) / np.where(after > before, after - before, 1.0)
    out[rows] = grid[kk - 1] + frac * (grid[kk] - grid[kk - 1])
    return out


class Projector:
    """Projects posterior draws forward under scenarios; caches the baseline noise paths."""

    def __init__(
        self,
        draws: Mapping[str, np.ndarray],
        settings: Mapping[str, float],
        data_end: float,
        seed: int,
    ) -> None:
        self.draws = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        self.settings = dict(settings)
        self.axes = Axes.from_settings(settings, data_end)
        self.seed = int(seed)
        step = float(settings["grid_step_years"])
        n = int(np.floor((float(settings["horizon_end_year"]) - data_end) / step + 1e-9)) + 1
        self.grid = data_end + step * np.arange(n)
        self.n_draws = int(self.draws["efficiency_rate"].size)
        self._baselines: dict[str, Baseline] = {}

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
    def threshold_capability(self) -> np.ndarray:
        """The breakthrough threshold on the ECI scale, per draw, from the horizon prior."""
        return self.capability_for_horizon(self.draws["threshold_horizon_minutes"])

    def capability_for_horizon(self, minutes: np.ndarray | float) -> np.ndarray:
        """ECI at which the frontier's METR v1.1 50% horizon equals ``minutes``, per draw."""
        h0 = np.log2(self.draws["horizon_at_eci150_v11"])
        slope = self.draws["horizon_doublings_per_eci_v11"]
        return REFERENCE_ECI + (np.log2(minutes) - h0) / slope

    def horizon_minutes(self, capability: np.ndarray) -> np.ndarray:
        """METR v1.1 50% horizon (minutes) of a frontier at the given ECI, per draw."""
        h0 = np.log2(self.draws["horizon_at_eci150_v11"])
        slope = self.draws["horizon_doublings_per_eci_v11"]
        shape = (-1,) + (1,) * (np.ndim(capability) - 1)
        return np.exp2(h0.reshape(shape) + slope.reshape(shape) * (capability - REFERENCE_ECI))

    def _start(self, scenario: Scenario | None) -> float:
        if scenario is None or scenario.start_year is None:
            return np.inf
        return max(float(scenario.start_year), float(self.grid[0]))

    def baseline(self, country: str) -> Baseline:
        """Status-quo paths of one country (cached): scenarios are deltas from these."""
        if country not in self._baselines:
            self._baselines[country] = self._project_baseline(country)
        return self._baselines[country]

    def _project_baseline(self, country: str) -> Baseline:
        p = _country_params(self.draws, country)
        d = self.draws
        grid, t_end = self.grid, self.axes.data_end
        g0 = p["g"][:, None]
        g_inf = d["stock_growth_longrun"][:, None]
        tau = d["stock_slowdown_years"][:, None]
        integral = growth_integral((grid - t_end)[None, :], g0, g_inf, tau)
        ln_add0 = p["ln_a"] + p["g"] * (t_end - self.axes.reference)
        additions = np.exp(ln_add0[:, None] + integral)
        stock0 = np.exp(log_stock(np, t_end, p["ln_a"], p["g"], self.axes))
        stock = stock0[:, None] + self._accumulate(additions)
        log10_flop = (p["ln_k"][:, None] + np.log(stock)) / LN10 + (
            p["drift"] * (t_end - self.axes.reference) / LN10
        )[:, None]
        algorithms = d["efficiency_rate"][:, None] * (
            grid[None, :] - self.axes.reference - p["lag"][:, None]
        )
        beta = d["capability_per_oom"][:, None]
        capability = (
            d["frontier_eci_2025"][:, None]
            + beta
            * (d["compute_elasticity"][:, None] * (log10_flop - REFERENCE_LOG10_FLOP) + algorithms)
            + self.slope_noise[country]
        )
        f32 = np.float32
        capability = capability.astype(f32)
        paths = CountryPaths(
            capability=capability,
            arrival=first_crossing(grid, capability, self.threshold_capability),
            log_stock=np.log(stock).astype(f32),
            log10_flop=log10_flop.astype(f32),
            log10_effective=(log10_flop + algorithms).astype(f32),
        )
        return Baseline(
            paths=paths,
            integral=integral.astype(f32),
            additions=additions.astype(f32),
            stock=stock.astype(f32),
        )

    def _accumulate(self, additions: np.ndarray, start: int = 0) -> np.ndarray:
        """Stock added since grid[start] (H100e): trapezoid integral of additions (H100e/yr)."""
        step = np.diff(self.grid[start:])
        added = np.cumsum(0.5 * (additions[:, 1:] + additions[:, :-1]) * step, axis=1)
        zero = np.zeros((additions.shape[0], 1), dtype=additions.dtype)
        return np.concatenate([zero, added.astype(additions.dtype, copy=False)], axis=1)

    def country(self, country: str, scenario: Scenario | None = None) -> CountryPaths:
        """Projected paths and arrival for one country under a scenario (None = status quo).

        A scenario's levers act from its start date on: the additions rate is multiplied by
        ``additions_multiplier`` and its growth rate by ``growth_multiplier``; the efficiency
        rate by ``efficiency_rate_multiplier``, plus a one-off ``efficiency_jump_oom``; and the
        threshold may be overridden. Columns before the start are the baseline's.
        """
        base = self.baseline(country)
        levers = scenario.lever(country) if scenario is not None else Levers()
        level = self.threshold_capability
        if scenario is not None and scenario.threshold_horizon_minutes is not None:
            level = self.capability_for_horizon(float(scenario.threshold_horizon_minutes))
        t_s = self._start(scenario)
        if levers == Levers() or not np.isfinite(t_s) or t_s > self.grid[-1]:
            if level is self.threshold_capability:
                return base.paths
            return replace(
                base.paths, arrival=first_crossing(self.grid, base.paths.capability, level)
            )
        d = self.draws
        k0 = int(np.searchsorted(self.grid, t_s - 1e-9))
        after = slice(k0, None)
        paths = base.paths
        beta = d["capability_per_oom"].astype(np.float32)[:, None]
        change = np.zeros((self.n_draws, self.grid.size - k0), dtype=np.float32)
        dlog = None
        if levers.growth_multiplier != 1.0 or levers.additions_multiplier != 1.0:
            dlog = self._stock_change(country, base, k0, t_s, levers)
            coef = (d["capability_per_oom"] * d["compute_elasticity"] / LN10).astype(np.float32)
            change += coef[:, None] * dlog
        extra: np.ndarray | float = float(levers.efficiency_jump_oom)
        if levers.efficiency_rate_multiplier != 1.0:
            extra = (levers.efficiency_rate_multiplier - 1.0) * np.outer(
                d["efficiency_rate"], self.grid[after] - t_s
            ).astype(np.float32) + np.float32(levers.efficiency_jump_oom)
        change += beta * extra
        capability = paths.capability.copy()
        capability[:, after] += change
        return replace(
            paths,
            capability=capability,
            arrival=first_crossing(self.grid, capability, level),
            start=k0,
            dlog_stock=dlog,
            dalgorithms=extra,
        )

    def _stock_change(
        self, country: str, base: Baseline, k0: int, t_s: float, levers: Levers
    ) -> np.ndarray:
        """Change of ln stock from grid column k0 on under stock levers, (draws, grid - k0)."""
        after = slice(k0, None)
        if levers.growth_multiplier == 1.0:
            # Additions scaled by m from t_s: stock_s = S(t_s) + m (S - S(t_s)).
            m = np.float32(levers.additions_multiplier)
            anchor = base.stock[:, max(k0 - 1, 0) : max(k0 - 1, 0) + 1]
            stock = anchor + m * (base.stock[:, after] - anchor)
            return np.log(stock) - base.paths.log_stock[:, after]
        d = self.draws
        p = _country_params(d, country)
        at_start = growth_integral(
            np.array(t_s - self.axes.data_end),
            p["g"],
            d["stock_growth_longrun"],
            d["stock_slowdown_years"],
        ).astype(np.float32)
        factor = np.exp(
            np.float32(levers.growth_multiplier - 1.0)
            * (base.integral[:, after] - at_start[:, None])
        )
        factor *= np.float32(max(levers.additions_multiplier, 1e-12))
        lead = max(k0 - 1, 0)
        additions = np.concatenate(
            [base.additions[:, lead:k0], base.additions[:, after] * factor], axis=1
        )
        stock = base.stock[:, lead : lead + 1] + self._accumulate(additions, lead)
        return np.log(stock[:, k0 - lead :]) - base.paths.log_stock[:, after]

    def history(self, country: str, t: float) -> dict[str, np.ndarray]:
        """Fitted (no process noise) values of every quantity at a past time t, per draw."""
        p = _country_params(self.draws, country)
        ln_flop = log_frontier_flop(np, t, p["ln_a"], p["g"], p["ln_k"], p["drift"], self.axes)
        log10_flop = ln_flop / LN10
        capability = frontier_capability(log10_flop, t, p["lag"], self.draws, self.axes.reference)
        algorithms = self.draws["efficiency_rate"] * (t - self.axes.reference - p["lag"])
        return {
            "compute_stock_h100e": np.exp(log_stock(np, t, p["ln_a"], p["g"], self.axes)),
            "frontier_training_flop": np.exp(ln_flop),
            "effective_compute_flop": 10.0 ** (log10_flop + algorithms),
            "frontier_eci": capability,
            "frontier_horizon_minutes": self.horizon_minutes(capability),
        }

    def at(self, paths: CountryPaths, t: float) -> dict[str, np.ndarray]:
        """Every quantity at a future time t (on or after the data end), interpolated per draw."""
        grid = self.grid
        k = int(np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2))
        w = float(np.clip((t - grid[k]) / (grid[k + 1] - grid[k]), 0.0, 1.0))

        def lerp(a: np.ndarray) -> np.ndarray:
            return (1 - w) * a[:, k].astype(np.float64) + w * a[:, k + 1]

        capability = lerp(paths.capability.astype(np.float64, copy=False))

        def column(name: str) -> np.ndarray:
            return (1 - w) * paths.column(name, k) + w * paths.column(name, k + 1)

        return {
            "compute_stock_h100e": np.exp(column("log_stock")),
            "frontier_training_flop": 10.0 ** column("log10_flop"),
            "effective_compute_flop": 10.0 ** column("log10_effective"),
            "frontier_eci": capability,
            "frontier_horizon_minutes": self.horizon_minutes(capability),
        }
