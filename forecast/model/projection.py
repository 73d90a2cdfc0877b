"""Forward projection per posterior draw: chips -> compute -> capability -> arrival.

Scenarios act here, after the fit, so answering under a scenario costs milliseconds. Beyond the
fitted parameters, trend uncertainty enters only the projection:

- slowdown of chip growth: the growth rate of additions moves from its fitted value g_c to a
  long-run rate g_inf with e-folding time tau (both priors);
- the projection's own randomness (``forecast.model.noise``): a random walk in the capability
  slope, partly common to all countries, and each country's race shocks.

Each draw is projected under its own structure (``forecast.core.definitions.STRUCTURES``): the
efficiency clock (``forecast.model.clock``) and the compute that capability follows depend on it.

All arrays are (draws, grid) with the grid in decimal years, ``grid_step_years`` apart, from the
end of the data to ``horizon_end_year``. Draws that never reach the threshold have arrival
``inf`` ("later than the horizon end").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from forecast.core.definitions import (
    COUNTRIES,
    STRUCTURES,
    country_info,
)
from forecast.data.observations import QUARTER_YEARS
from forecast.model.channels import ChannelProjection, saturation
from forecast.model.clock import EfficiencyClock
from forecast.model.equations import (
    LN10,
    Axes,
    capability_for_log2_horizon,
    country_key,
    efficiency_years,
    frontier_capability,
    gap_decay,
    horizon_log2,
    log_frontier_flop,
    log_stock,
)
from forecast.model.noise import NOISE_SOURCES, ProjectionNoise
from forecast.model.paths import CountryPaths, Deferred, first_crossing
from forecast.priors.scenarios import Levers, Scenario


@dataclass(frozen=True)
class Baseline:
    """A country's status-quo projection plus the pieces scenarios perturb."""

    paths: CountryPaths
    integral: np.ndarray  # growth integral of additions since the data end, ln units
    additions: np.ndarray  # H100e/yr
    stock: np.ndarray  # H100e
    watts: np.ndarray  # chip TDP per H100e added at each grid time, W
    shares: Mapping[str, np.ndarray] | None = None  # supply channel -> share of additions
    effort: np.ndarray | None = None  # integral of (A / A_ref)^phi since the data end, yr
    effort_flow: np.ndarray | None = None  # (A / A_ref)^phi on the grid (None: phi = 0)


def _country_params(draws: Mapping[str, np.ndarray], country: str) -> dict[str, np.ndarray]:
    ci = COUNTRIES.index(country)
    zeros = np.zeros_like(draws["efficiency_rate"])
    lag = draws[country_key("efficiency_lag", country)] if ci else zeros
    ln_a = np.log(draws[country_key("stock_additions_2025", country)])
    ln_a_ref = np.log(draws[country_key("stock_additions_2025", COUNTRIES[0])])
    return {
        "ln_a": ln_a,
        "ln_a_ref": ln_a_ref,
        "ln_rel": ln_a - ln_a_ref,
        "g": draws[country_key("stock_growth", country)],
        "ln_k": np.log(draws[country_key("frontier_flop_per_h100e", country)]),
        "drift": draws[country_key("frontier_share_drift", country)],
        "lag": lag,
        # a structure's unused parameters are pinned to 0 in a run's draws (STRUCTURES)
        "phi": draws.get("efficiency_compute_exponent", zeros),
        "kappa": draws.get("efficiency_catchup_rate", zeros),
        "life": draws["chip_useful_life_years"],
        "spend_ceiling": draws[country_key("chip_spend_ceiling", country)],
        "power_ceiling_w": draws[country_key("chip_power_ceiling", country)] * 1e9,
    }


def _columns(draws: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The capability equation's shared parameters as column vectors (draws, 1)."""
    keys = ("compute_elasticity", "efficiency_rate", "frontier_eci_2025", "capability_per_oom")
    return {k: draws[k][:, None] for k in keys}


RETIRED_TOLERANCE = 1e-7
"""Relative change of a stock within this of -1 is a fully retired stock (rounding residue of
the cumulative sums, which would otherwise leave a tiny stock and a finite log)."""


def retired(change: np.ndarray) -> np.ndarray:
    """A relative change of a stock, with -1 (all gone) exact: ln(1 + change) is then -inf."""
    return np.where(change <= -1.0 + RETIRED_TOLERANCE, -1.0, change)


def ar1_decay(rho: np.ndarray, years: np.ndarray | float) -> np.ndarray:
    """rho ** (years / quarter): the AR(1) coefficient is per quarter of the additions series."""
    return np.exp(np.log(np.clip(rho, 1e-12, 1.0)) * np.asarray(years) / QUARTER_YEARS)


def growth_integral(
    delta: np.ndarray, g0: np.ndarray, g_inf: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """Integral over [0, delta] years of a growth rate moving from g0 to g_inf (ln units).

    g(s) = g_inf + (g0 - g_inf) exp(-s / tau), so the integral is
    g_inf delta + (g0 - g_inf) tau (1 - exp(-delta / tau)).
    """
    return g_inf * delta + (g0 - g_inf) * tau * -np.expm1(-delta / tau)


class Projector(ChannelProjection, ProjectionNoise, EfficiencyClock):
    """Projects posterior draws forward under scenarios; caches the baseline noise paths.

    ``stock_additions`` holds the fitted additions series per country (run metadata
    ``stock_additions``: mid-quarter years and ln H100e/yr): the projection starts from the
    AR(1) state at the last observed quarter, and the fitted additions before the data end
    include it.
    """

    def __init__(
        self,
        draws: Mapping[str, np.ndarray],
        settings: Mapping[str, float],
        data_end: float,
        seed: int,
        stock_additions: Mapping[str, Mapping[str, list[float]]] | None = None,
        structure: np.ndarray | None = None,
        sources: frozenset[str] = NOISE_SOURCES,
    ) -> None:
        self.draws = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        self.settings = dict(settings)
        self.axes = Axes.from_settings(settings, data_end)
        self.seed = int(seed)
        step = float(settings["grid_step_years"])
        n = int(np.floor((float(settings["horizon_end_year"]) - data_end) / step + 1e-9)) + 1
        self.grid = data_end + step * np.arange(n)
        self.n_draws = int(self.draws["efficiency_rate"].size)
        index = np.zeros(self.n_draws, dtype=int) if structure is None else np.asarray(structure)
        self.structure = index
        unknown = set(sources) - NOISE_SOURCES
        if unknown:
            raise ValueError(f"unknown noise sources {sorted(unknown)}; known: {NOISE_SOURCES}")
        self.sources = frozenset(sources)
        # 1 where a draw's structure ties capability to the stock (deployment_compute)
        self.deployment = np.array([float(s.deployment) for s in STRUCTURES])[index]
        self.stock_additions = {
            code: (np.asarray(v["t"], dtype=float), np.asarray(v["ln_h100e_per_year"], dtype=float))
            for code, v in (stock_additions or {}).items()
        }
        self._baselines: dict[str, Baseline] = {}
        self._unit_responses: dict[tuple[str, int, float], tuple[np.ndarray, ...]] = {}

    # -- hardware: price and power per H100e ------------------------------------------------
    def price_per_h100e(self, t: np.ndarray | float) -> np.ndarray:
        """USD per H100e bought at t (falls with price-performance)."""
        s = self.settings
        years = np.asarray(t, dtype=float) - s["chip_hardware_year"]
        return s["chip_price_usd_per_h100e"] * np.exp(-s["chip_price_performance_growth"] * years)

    def watts_per_h100e(self, t: np.ndarray | float) -> np.ndarray:
        """Chip TDP (W) per H100e of a chip added at t (falls with energy efficiency)."""
        s = self.settings
        years = np.asarray(t, dtype=float) - s["chip_hardware_year"]
        return s["chip_watts_per_h100e"] * np.exp(-s["chip_energy_efficiency_growth"] * years)

    def ar1_state(self, country: str, t: float) -> np.ndarray:
        """AR(1) part of ln additions at t, per draw: the residual of the observed quarter that
        holds t (or the last one before it), decayed with ``stock_ar1`` from that quarter's
        middle on (0 before the series starts)."""
        series = self.stock_additions.get(country)
        if series is None or series[0].size == 0:
            return np.zeros(self.n_draws)
        ts, ys = series
        k = int(np.searchsorted(ts - QUARTER_YEARS / 2, t + 1e-9, side="right")) - 1
        if k < 0:
            return np.zeros(self.n_draws)
        p = _country_params(self.draws, country)
        resid = ys[k] - (p["ln_a"] + p["g"] * (ts[k] - self.axes.reference))
        return resid * ar1_decay(self.draws["stock_ar1"], max(t - ts[k], 0.0))

    @cached_property
    def threshold_capability(self) -> np.ndarray:
        """The breakthrough threshold on the ECI scale, per draw, from the horizon prior."""
        return self.capability_for_horizon(self.draws["threshold_horizon_minutes"])

    def capability_for_horizon(self, minutes: np.ndarray | float) -> np.ndarray:
        """ECI at which the frontier's METR v1.1 50% horizon equals ``minutes``, per draw."""
        return capability_for_log2_horizon(np.log2(minutes), self.draws, self.axes.horizon_knot)

    def horizon_minutes(self, capability: np.ndarray) -> np.ndarray:
        """METR v1.1 50% horizon (minutes) of a frontier at the given ECI, per draw."""
        shape = (-1,) + (1,) * (np.ndim(capability) - 1)
        per_draw = {k: v.reshape(shape) for k, v in self.draws.items() if k.startswith("horizon_")}
        return np.exp2(horizon_log2(capability, 0, per_draw, np, self.axes.horizon_knot))

    def _start(self, scenario: Scenario | None) -> float:
        if scenario is None or scenario.start_year is None:
            return np.inf
        return max(float(scenario.start_year), float(self.grid[0]))

    def baseline(self, country: str) -> Baseline:
        """Status-quo paths of one country (cached): scenarios are deltas from these."""
        if country not in self._baselines:
            self._baselines[country] = self._project_baseline(country)
        return self._baselines[country]

    def _history_window(
        self, t: np.ndarray, ln_rate_end: np.ndarray, g: np.ndarray, life: np.ndarray
    ) -> np.ndarray:
        """Part of the living stock at grid times t added before the data end, (draws, grid).

        Fitted additions (exponential, rate exp(ln_rate_end) at the data end, growth g) over
        [max(origin, t - life), data end]; zero once t - life passes the data end.
        """
        t_end = self.axes.data_end
        lo = np.maximum(self.axes.origin, t[None, :] - life[:, None])
        width = np.maximum(t_end - lo, 0.0)
        g_safe = np.where(np.abs(g) < 1e-6, 1e-6, g)[:, None]
        return np.exp(ln_rate_end)[:, None] * -np.expm1(-g_safe * width) / g_safe

    def _cumulative(self, flow: np.ndarray) -> np.ndarray:
        """Integral of a flow from the data end to each grid time (trapezoid), (draws, grid)."""
        step = np.diff(self.grid)
        added = np.cumsum(0.5 * (flow[:, 1:] + flow[:, :-1]) * step, axis=1)
        zero = np.zeros((flow.shape[0], 1))
        return np.concatenate([zero, added], axis=1)

    def _at_times(self, cum: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A cumulative path (draws, grid) read at times x (draws, grid); 0 before the data end."""
        step = float(self.settings["grid_step_years"])
        u = np.clip((x - self.grid[0]) / step, 0.0, self.grid.size - 1.0)
        k = np.minimum(np.floor(u).astype(int), self.grid.size - 2)
        w = u - k
        lo = np.take_along_axis(cum, k, axis=1)
        hi = np.take_along_axis(cum, k + 1, axis=1)
        return (1.0 - w) * lo + w * hi

    def _living(self, hist: np.ndarray, cum: np.ndarray, life: np.ndarray) -> np.ndarray:
        """Stock of what was added in the last ``life`` years: history part plus the projected
        additions since max(data end, t - life)."""
        x = self.grid[None, :] - life[:, None]
        return hist + cum - self._at_times(cum, x)

    def _project_baseline(self, country: str) -> Baseline:
        p = _country_params(self.draws, country)
        d = self.draws
        grid, t_end, t_ref = self.grid, self.axes.data_end, self.axes.reference
        life = p["life"]
        g0 = p["g"][:, None]
        g_inf = d["stock_growth_longrun"][:, None]
        tau = d["stock_slowdown_years"][:, None]
        integral = growth_integral((grid - t_end)[None, :], g0, g_inf, tau)
        ln_add0 = p["ln_a"] + p["g"] * (t_end - t_ref)
        # demand: the trend with its slowdown, plus the AR(1) state of the last observed quarter
        state = self.ar1_state(country, t_end)
        series = self.stock_additions.get(country)
        t_last = series[0][-1] if series is not None and series[0].size else t_end
        decay = ar1_decay(d["stock_ar1"][:, None], (grid - t_last)[None, :])
        state_path = state[:, None] * decay / ar1_decay(d["stock_ar1"][:, None], t_end - t_last)
        demand = np.exp(ln_add0[:, None] + integral + state_path)
        shares = None
        if country_info(country).components:
            demand, shares = self._channel_supply(country, demand)
        # supply saturates against the tighter of the spend and power ceilings. In H100e/yr the
        # spend ceiling is C_s / price; the power ceiling is the rate at which the living stock
        # (additions x useful life) would draw C_p of chip TDP. With u = demand / ceiling,
        # additions = demand x s(u) / s(u0), s(u) = (1 + u^n)^(-1/n) (a smooth minimum of demand
        # and ceiling, sharpness n): nearly the demand while far below the ceiling, the ceiling
        # once demand passes it; dividing by s(u0) at the data end keeps the path continuous
        # there (and lifts the level approached by that factor when a ceiling was already near).
        price, watts = self.price_per_h100e(grid), self.watts_per_h100e(grid)
        inv_cap = np.maximum(
            price[None, :] / p["spend_ceiling"][:, None],
            watts[None, :] * life[:, None] / p["power_ceiling_w"][:, None],
        )
        at_end = saturation(demand[:, :1] * inv_cap[:, :1])
        additions = demand * saturation(demand * inv_cap) / at_end
        hist = self._history_window(grid, ln_add0, p["g"], life)
        stock = self._living(hist, self._cumulative(additions), life)
        ee = float(self.settings["chip_energy_efficiency_growth"])
        ln_w_end = ln_add0 + np.log(self.watts_per_h100e(t_end))
        hist_w = self._history_window(grid, ln_w_end, p["g"] - ee, life)
        power = self._living(hist_w, self._cumulative(additions * watts[None, :]), life)
        log10_flop = (p["ln_k"][:, None] + np.log(stock)) / LN10 + (
            p["drift"] * (t_end - t_ref) / LN10
        )[:, None]
        effort, effort_flow = self._effort(p, additions)
        years_end = efficiency_years(np, t_end, t_ref, 0.0, p["phi"], p["ln_rel"], p["g"])
        years = (
            years_end[:, None]
            + effort
            - p["lag"][:, None] * gap_decay(np, (grid - t_ref)[None, :], p["kappa"][:, None])
        )
        algorithms = d["efficiency_rate"][:, None] * years
        held = self.deployment * p["drift"] * (t_end - t_ref) / LN10
        trend = frontier_capability(log10_flop - held[:, None], years, _columns(d))
        capability = trend + self.regime_change(trend) + self.noise(country)
        f32 = np.float32
        capability = capability.astype(f32)
        shocks = self.race_shocks[country].astype(f32) if "shocks" in self.sources else None
        paths = CountryPaths(
            capability=capability,
            arrival=first_crossing(grid, capability + shocks, self.threshold_capability)
            if shocks is not None
            else first_crossing(grid, capability, self.threshold_capability),
            log_stock=np.log(stock).astype(f32),
            log10_flop=log10_flop.astype(f32),
            log10_effective=(log10_flop + algorithms).astype(f32),
            ln_additions=np.log(additions).astype(f32),
            ln_power=np.log(power).astype(f32),
            shocks=shocks,
        )
        return Baseline(
            paths=paths,
            integral=integral.astype(f32),
            additions=additions,
            stock=stock,
            watts=np.broadcast_to(watts, additions.shape),
            shares=shares,
            effort=effort,
            effort_flow=effort_flow,
        )

    def _country_factor(
        self, country: str, base: Baseline, k0: int, t_s: float, levers: Levers
    ) -> np.ndarray:
        """The country-level lever's additions factor from grid column k0 on."""
        d = self.draws
        p = _country_params(d, country)
        factor = np.full((self.n_draws, self.grid.size - k0), float(levers.additions_multiplier))
        if levers.growth_multiplier != 1.0:
            at_start = growth_integral(
                np.array(t_s - self.axes.data_end),
                p["g"],
                d["stock_growth_longrun"],
                d["stock_slowdown_years"],
            )
            factor = factor * np.exp(
                (levers.growth_multiplier - 1.0) * (base.integral[:, k0:] - at_start[:, None])
            )
        return factor

    def country(self, country: str, scenario: Scenario | None = None) -> CountryPaths:
        """Projected paths and arrival for one country under a scenario (None = status quo).

        A scenario's levers act from its start date on, and change nothing before it: the
        additions rate is multiplied by ``additions_multiplier`` and its growth rate by
        ``growth_multiplier`` (the stock integrates the changed additions from the start date
        exactly); the efficiency rate by ``efficiency_rate_multiplier``, plus a one-off
        ``efficiency_jump_oom``; and the threshold may be overridden. Grid columns before the
        start are the baseline's; an arrival before the start is the baseline's.
        """
        base = self.baseline(country)
        levers = scenario.lever(country) if scenario is not None else Levers()
        level = self.threshold_capability
        if scenario is not None and scenario.threshold_horizon_minutes is not None:
            level = self.capability_for_horizon(float(scenario.threshold_horizon_minutes))
        t_s = self._start(scenario)
        channel_levers = scenario.channel_levers(country) if scenario is not None else {}
        no_channels = all(lv.is_neutral for lv in channel_levers.values())
        if (levers == Levers() and no_channels) or not np.isfinite(t_s) or t_s > self.grid[-1]:
            if level is self.threshold_capability:
                return base.paths
            return replace(base.paths, arrival=base.paths.crossing(self.grid, level))
        d = self.draws
        k0 = int(np.searchsorted(self.grid, t_s - 1e-9))
        after = slice(k0, None)
        paths = base.paths
        beta = d["capability_per_oom"].astype(np.float32)[:, None]
        change: np.ndarray | float = np.float32(0.0)
        dlog = dlog_add = dlog_pow = None
        efficiency_change: np.ndarray | None = None
        supply_levers = levers.growth_multiplier != 1.0 or levers.additions_multiplier != 1.0
        if supply_levers or not no_channels:
            dlog, dlog_add, dlog_pow = self._stock_change(
                country,
                base,
                k0,
                t_s,
                levers,
                self.channel_factors(country, scenario, base, k0, t_s),
            )
            coef = (d["capability_per_oom"] * d["compute_elasticity"] / LN10).astype(np.float32)
            change = coef[:, None] * dlog
            phi = _country_params(d, country)["phi"]
            clock = self._effort_change(base, k0, t_s, dlog_add, phi)
            if clock is not None:  # compute_driven_progress: fewer chips, slower algorithms
                rows, years = clock
                efficiency_change = np.zeros((self.n_draws, self.grid.size - k0), dtype=np.float32)
                efficiency_change[rows] = (d["efficiency_rate"][rows, None] * years).astype(
                    np.float32
                )
                if np.shape(change) != efficiency_change.shape:  # else a fresh array already
                    change = np.array(
                        np.broadcast_to(change, efficiency_change.shape), dtype=np.float32
                    )
                rate = (d["capability_per_oom"] * d["efficiency_rate"])[rows, None]
                change[rows] += (rate * years).astype(np.float32)
        # efficiency levers: OOM of effective compute beyond the clock's own change (which is
        # in ``change`` already, on its rows only)
        extra: np.ndarray | float = float(levers.efficiency_jump_oom)
        if levers.efficiency_rate_multiplier != 1.0:
            extra = (levers.efficiency_rate_multiplier - 1.0) * (
                d["efficiency_rate"][:, None] * self._effort_since(base, k0, t_s)
            ).astype(np.float32) + extra
        no_extra = isinstance(extra, float) and extra == 0.0
        if not no_extra:
            change = change + beta * extra
        if efficiency_change is not None:  # the change of algorithms, clock included
            extra = efficiency_change if no_extra else efficiency_change + extra
        capability = np.empty_like(paths.capability)
        capability[:, :k0] = paths.capability[:, :k0]
        np.add(paths.capability[:, after], change, out=capability[:, after])
        # columns before k0 - 1 hold the status quo's path: a row that crossed there has
        # ``before`` < t_s and keeps it, so the search starts one column before the change
        lo = max(k0 - 1, 0)
        racing = capability[:, lo:]
        if paths.shocks is not None:
            racing = racing + paths.shocks[:, lo:]
        crossing = np.maximum(first_crossing(self.grid[lo:], racing, level), t_s)
        if level is self.threshold_capability:
            before = paths.arrival  # the status quo's own crossing of the same level
        else:
            before = paths.crossing(self.grid, level)
        arrival = np.where(before < t_s, before, crossing)
        return replace(
            paths,
            capability=capability,
            base_capability=paths.capability,
            arrival=arrival,
            start=k0,
            start_year=t_s,
            dlog_stock=dlog,
            dlog_additions=dlog_add,
            dlog_power=dlog_pow,
            dalgorithms=extra,
        )

    def _stock_change(
        self,
        country: str,
        base: Baseline,
        k0: int,
        t_s: float,
        levers: Levers,
        channels: Mapping[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Changes of ln stock, ln additions and ln power from grid column k0 on, each
        (draws, grid - k0), when additions are multiplied from exactly t_s on.

        With the growth rate unchanged, stock and power are linear in the additions multiplier
        m (the changed additions enter the living stock through sums only): stock(m) =
        stock(1) + (m - 1) (stock(2) - stock(1)). The unit response is computed once per
        country and start and reused, so an ad-hoc multiplier costs a few array operations.
        Channel levers (``channels``: each supply channel's factor) weight the country's factor
        by the channels' status-quo shares: sum_k share_k(t) factor_k(t).
        """
        if levers.growth_multiplier == 1.0 and channels is None:
            key = (country, k0, float(t_s))
            unit = self._unit_responses.get(key)
            if unit is None:
                doubled = replace(levers, additions_multiplier=2.0)
                d_stock, d_power, stock_base, power_base = self._changed_levels(
                    country, base, k0, t_s, doubled
                )
                # the share of the stock (and power) bought from the start date on; a share
                # within rounding of 1 is exactly 1, so a zero multiplier leaves exactly nothing
                unit = tuple(
                    (-retired(-(d / b))).astype(np.float32)
                    for d, b in ((d_stock, stock_base), (d_power, power_base))
                )
                self._unit_responses[key] = unit
            m = np.float32(levers.additions_multiplier)
            with np.errstate(divide="ignore"):
                dlog = np.log1p((m - np.float32(1.0)) * unit[0])
                dlog_add = np.broadcast_to(np.log(m).astype(np.float32), dlog.shape)
            # only power answers read the power change: made on first use
            return dlog, dlog_add, Deferred(lambda: np.log1p((m - np.float32(1.0)) * unit[1]))
        factor = self._country_factor(country, base, k0, t_s, levers)
        if channels is not None and base.shares is not None:
            factor = factor * sum(
                base.shares[name][:, k0:].astype(np.float64) * f for name, f in channels.items()
            )
        stock, power, stock_base, power_base, factor = self._changed_levels(
            country, base, k0, t_s, levers, raw=True, factor=factor
        )
        f32 = np.float32
        # a stock that has fully retired is 0 (ln 0 = -inf), not the rounding error's sign
        with np.errstate(divide="ignore"):
            dlog = np.log1p(retired(stock / stock_base - 1.0)).astype(f32)
            dlog_add = np.log(factor).astype(f32)
            dlog_pow = np.log1p(retired(power / power_base - 1.0)).astype(f32)
        return dlog, dlog_add, dlog_pow

    def _changed_levels(
        self,
        country: str,
        base: Baseline,
        k0: int,
        t_s: float,
        levers: Levers,
        raw: bool = False,
        factor: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Stock and power from column k0 on under the levers, beside the baseline's. With
        ``raw`` (stock, power, base stock, base power, additions factor); else the unit
        response of a doubling (stock - base stock, power - base power, base stock, base
        power)."""
        p = _country_params(self.draws, country)
        after = slice(k0, None)
        if factor is None:
            factor = self._country_factor(country, base, k0, t_s, levers)
        # the factor at exactly t_s (the grid column k0 lies at or after it)
        m0 = factor[:, 0]

        def changed_cumulative(flow: np.ndarray) -> np.ndarray:
            """Cumulative of ``flow`` with the factor applied from exactly t_s."""
            new = flow.copy()
            new[:, after] = flow[:, after] * factor
            cum = self._cumulative(flow)
            if k0 == 0:
                return self._cumulative(new)
            g0, g1 = self.grid[k0 - 1], self.grid[k0]
            w = (t_s - g0) / (g1 - g0)
            at_ts = (1.0 - w) * flow[:, k0 - 1] + w * flow[:, k0]
            cum_ts = cum[:, k0 - 1] + 0.5 * (flow[:, k0 - 1] + at_ts) * (t_s - g0)
            out = cum.copy()
            out[:, k0] = cum_ts + 0.5 * (at_ts * m0 + new[:, k0]) * (g1 - t_s)
            step = np.diff(self.grid[k0:])
            tail = np.cumsum(0.5 * (new[:, k0 + 1 :] + new[:, k0:-1]) * step, axis=1)
            out[:, k0 + 1 :] = out[:, k0 : k0 + 1] + tail
            return out

        life = p["life"]
        grid = self.grid
        stock_hist = base.stock - self._living(
            np.zeros_like(base.stock), self._cumulative(base.additions), life
        )
        stock = self._living(stock_hist, changed_cumulative(base.additions), life)
        flow_w = base.additions * base.watts
        power_base = np.exp(base.paths.ln_power.astype(np.float64))
        power_hist = power_base - self._living(
            np.zeros_like(power_base), self._cumulative(flow_w), life
        )
        power = self._living(power_hist, changed_cumulative(flow_w), life)
        del grid
        s1, p1 = base.stock[:, after], power_base[:, after]
        if raw:
            return stock[:, after], power[:, after], s1, p1, factor
        return stock[:, after] - s1, power[:, after] - p1, s1, p1

    def history(self, country: str, t: float) -> dict[str, np.ndarray]:
        """Fitted (no process noise) values of every quantity at a past time t, per draw.

        Chip additions include the AR(1) state of the last observed quarter at or before t.
        """
        p = _country_params(self.draws, country)
        life = p["life"]
        ln_flop = log_frontier_flop(
            np, t, p["ln_a"], p["g"], p["ln_k"], p["drift"], self.axes, life
        )
        log10_flop = ln_flop / LN10
        years = efficiency_years(
            np, t, self.axes.reference, p["lag"], p["phi"], p["ln_rel"], p["g"], p["kappa"]
        )
        held = min(t, self.axes.data_end) - self.axes.reference
        capability = frontier_capability(
            log10_flop - self.deployment * p["drift"] * held / LN10, years, self.draws
        )
        algorithms = self.draws["efficiency_rate"] * years
        additions = np.exp(
            p["ln_a"] + p["g"] * (t - self.axes.reference) + self.ar1_state(country, t)
        )
        ee = float(self.settings["chip_energy_efficiency_growth"])
        ln_w_ref = float(np.log(self.watts_per_h100e(self.axes.reference)))
        power = np.exp(log_stock(np, t, p["ln_a"] + ln_w_ref, p["g"] - ee, self.axes, life))
        return {
            "compute_stock_h100e": np.exp(log_stock(np, t, p["ln_a"], p["g"], self.axes, life)),
            "chip_additions_h100e_per_year": additions,
            "chip_spend_usd_per_year": additions * self.price_per_h100e(t),
            "chip_power_gw": power / 1e9,
            "frontier_training_flop": np.exp(ln_flop),
            "effective_compute_flop": 10.0 ** (log10_flop + algorithms),
            "frontier_eci": capability,
            "frontier_horizon_minutes": self.horizon_minutes(capability),
        }

    def at(self, paths: CountryPaths, t: float) -> dict[str, np.ndarray]:
        """Every quantity at a future time t (on or after the data end), interpolated per draw.

        Before the scenario's start date every value is the status quo's.
        """
        grid = self.grid
        k = int(np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2))
        w = float(np.clip((t - grid[k]) / (grid[k + 1] - grid[k]), 0.0, 1.0))
        t_s = paths.start_year
        started = t >= t_s
        if k + 1 == paths.start and grid[k + 1] > t_s:
            # between the start date and the first grid point after it: 0 at the start date
            ramp = float(np.clip((t - t_s) / (grid[k + 1] - t_s), 0.0, 1.0))
        else:
            ramp = w

        def value(name: str) -> np.ndarray:
            sq = (1 - w) * paths.status_quo(name, k) + w * paths.status_quo(name, k + 1)
            if not started:
                return sq
            return sq + (1 - ramp) * paths.delta(name, k) + ramp * paths.delta(name, k + 1)

        capability = value("capability")
        additions = np.exp(value("ln_additions"))
        with np.errstate(over="ignore"):  # a far tail beyond float range reads as infinite
            return self._quantities(t, value, capability, additions)

    def _quantities(
        self,
        t: float,
        value: Callable[[str], np.ndarray],
        capability: np.ndarray,
        additions: np.ndarray,
    ) -> dict[str, np.ndarray]:
        return {
            "compute_stock_h100e": np.exp(value("log_stock")),
            "chip_additions_h100e_per_year": additions,
            "chip_spend_usd_per_year": additions * self.price_per_h100e(t),
            "chip_power_gw": np.exp(value("ln_power")) / 1e9,
            "frontier_training_flop": 10.0 ** value("log10_flop"),
            "effective_compute_flop": 10.0 ** value("log10_effective"),
            "frontier_eci": capability,
            "frontier_horizon_minutes": self.horizon_minutes(capability),
        }
