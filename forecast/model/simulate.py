"""Simulate observations from the model at known parameters (for recovery and calibration).

The simulated blocks keep the real data's design (dates, countries, suites, label noise) and
replace only the observed values, so a compiled model can be refitted on them by swapping data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from forecast.core.definitions import (
    COUNTRIES,
    DEFAULT_STRUCTURE,
    FOLLOWERS,
    component_key,
    country_info,
    country_key,
    structure_info,
    supply_splits,
)
from forecast.data.observations import GAP_PERIOD_YEARS, Observations, Series
from forecast.model.equations import (
    LN10,
    REFERENCE_LOG10_FLOP,
    Axes,
    efficiency_years,
    frontier_capability,
    horizon_log2,
    horizon_offset,
    log_frontier_flop,
)

# Parameters that no observation informs: they act only in the forward projection.
PROJECTION_ONLY = (
    "stock_growth_longrun",
    "stock_slowdown_years",
    *(country_key("chip_spend_ceiling", c) for c in COUNTRIES),
    *(country_key("chip_power_ceiling", c) for c in COUNTRIES),
    "threshold_horizon_minutes",
    "capability_slope_volatility",
    "capability_slope_common_share",
    *(
        component_key(base, c, comp.name)
        for c in COUNTRIES
        for comp in country_info(c).components
        if comp.capacity_bound
        for base in ("chip_capacity_ceiling", "chip_capacity_growth")
    ),
)


def prior_only(structure: str = DEFAULT_STRUCTURE) -> tuple[str, ...]:
    """Parameters no observation informs under a structure: the projection-only ones and the
    parameters the structure switches off."""
    return PROJECTION_ONLY + tuple(structure_info(structure).pinned)


def _per_country(params: Mapping[str, float], base: str) -> np.ndarray:
    return np.array([params[country_key(base, c)] for c in COUNTRIES], dtype=float)


def _lags(params: Mapping[str, float]) -> np.ndarray:
    rest = [params[country_key("efficiency_lag", c)] for c in FOLLOWERS]
    return np.array([0.0, *rest])


def years(
    params: Mapping[str, float],
    axes: Axes,
    t: np.ndarray,
    c: np.ndarray,
    structure: str = DEFAULT_STRUCTURE,
) -> np.ndarray:
    """Efficiency years of countries c at times t under a structure, at fixed parameters."""
    info = structure_info(structure)
    ln_a_all = np.log(_per_country(params, "stock_additions_2025"))
    phi = params["efficiency_compute_exponent"] if info.compute_driven else 0.0
    kappa = params["efficiency_catchup_rate"] if info.diffusion else 0.0
    g = _per_country(params, "stock_growth")[c]
    return efficiency_years(
        np, t, axes.reference, _lags(params)[c], phi, ln_a_all[c] - ln_a_all[0], g, kappa
    )


def frontier(
    params: Mapping[str, float],
    axes: Axes,
    t: np.ndarray,
    c: np.ndarray,
    structure: str = DEFAULT_STRUCTURE,
):
    """ln frontier FLOP and frontier ECI at times t for countries c, at fixed parameters."""
    ln_a = np.log(_per_country(params, "stock_additions_2025"))[c]
    g = _per_country(params, "stock_growth")[c]
    ln_k = np.log(_per_country(params, "frontier_flop_per_h100e"))[c]
    drift = _per_country(params, "frontier_share_drift")[c]
    life = params.get("chip_useful_life_years")
    ln_f = log_frontier_flop(np, t, ln_a, g, ln_k, drift, axes, life)
    held = np.minimum(t, axes.data_end) - axes.reference
    log10_compute = (ln_f - structure_info(structure).deployment * drift * held) / LN10
    capability = frontier_capability(log10_compute, years(params, axes, t, c, structure), params)
    return ln_f, capability


def simulate(
    obs: Observations,
    params: Mapping[str, float],
    axes: Axes,
    rng: np.random.Generator,
    structure: str = DEFAULT_STRUCTURE,
) -> Observations:
    """Observations drawn from the model's likelihood at ``params`` (one value per parameter)
    under a structure (``forecast.core.definitions.STRUCTURES``)."""
    s = obs.stock
    mu = np.log(_per_country(params, "stock_additions_2025"))[s.country] + _per_country(
        params, "stock_growth"
    )[s.country] * (s.t - axes.reference)
    sd = _per_country(params, "stock_noise")[s.country]
    rho = float(params["stock_ar1"])
    resid = np.zeros_like(mu)
    for i, prev in enumerate(s.extra["prev"]):
        if prev < 0:
            resid[i] = rng.normal(0.0, sd[i] / np.sqrt(1 - rho**2))
        else:
            resid[i] = rho * resid[prev] + rng.normal(0.0, sd[i])
    stock = replace(s, value=mu + resid)

    f = obs.compute
    ln_f, _ = frontier(params, axes, f.t, f.country, structure)
    sd_f = np.sqrt(f.extra["sd"] ** 2 + params["frontier_noise"] ** 2)
    compute = replace(f, value=ln_f + rng.normal(0.0, 1.0, f.n) * sd_f)

    r = obs.eci_records
    _, cap = frontier(params, axes, r.t, r.country, structure)
    records = replace(r, value=cap + rng.normal(0.0, params["eci_record_noise"], r.n))

    h = obs.horizon
    _, cap_h = frontier(params, axes, h.t, h.country, structure)
    offset = horizon_offset(h.country, params, np)
    mu_h = horizon_log2(cap_h, h.extra["suite"], params, np, axes.horizon_knot) + offset
    sd_h = np.sqrt(h.extra["se"] ** 2 + params["horizon_noise"] ** 2)
    horizon = replace(h, value=mu_h + rng.normal(0.0, 1.0, h.n) * sd_h)

    x = obs.eci_cross
    effective = (x.extra["log10_flop"] - REFERENCE_LOG10_FLOP) + params["efficiency_rate"] * years(
        params, axes, x.t, x.country, structure
    )
    mu_x = params["cross_section_eci_2025"] + params["capability_per_oom"] * effective
    cross = replace(x, value=mu_x + rng.normal(0.0, params["eci_model_noise"], x.n))
    shares = obs.supply_shares
    if shares is not None and shares.n:
        splits = supply_splits()
        mu_s = np.zeros(shares.n)
        sd_s = np.zeros(shares.n)
        for i, k in enumerate(shares.extra["split"]):
            code, comp = splits[int(k)]
            mu_s[i] = (
                params[component_key("supply_logratio_2025", code, comp.name)]
                + params[component_key("supply_logratio_trend", code, comp.name)]
                * (shares.t[i] - axes.reference)
                + params.get(component_key("supply_regime_effect", code, comp.name), 0.0)
                * shares.extra["regime"][i]
            )
            sd_s[i] = params[country_key("supply_share_noise", code)]
        shares = replace(shares, value=mu_s + rng.normal(0.0, 1.0, shares.n) * sd_s)
    return replace(
        obs,
        supply_shares=shares,
        stock=stock,
        compute=compute,
        eci_records=records,
        horizon=horizon,
        eci_cross=cross,
        compute_gaps=rebound(obs.compute_gaps, f, compute),
        eci_gaps=rebound(obs.eci_gaps, r, records),
    )


def rebound(gaps: Series | None, old: Series, new: Series) -> Series | None:
    """Record gaps with their bounds moved to simulated records: the same half-years, each bound
    the best simulated record before the gap plus the original bound's margin over the best
    original one (the record step), with that record's sd."""
    if gaps is None or gaps.n == 0:
        return gaps
    bounds, sds = gaps.value.copy(), dict(gaps.extra).get("sd")
    sds = None if sds is None else sds.copy()
    for i, (t, c) in enumerate(zip(gaps.t, gaps.country, strict=True)):
        before = (old.country == c) & (old.t < t - GAP_PERIOD_YEARS / 2)
        k_old = np.flatnonzero(before)[np.argmax(old.value[before])]
        k_new = np.flatnonzero(before)[np.argmax(new.value[before])]
        bounds[i] = new.value[k_new] + (gaps.value[i] - old.value[k_old])
        if sds is not None:
            sds[i] = new.extra["sd"][k_new]
    return replace(gaps, value=bounds, extra={} if sds is None else {"sd": sds})
