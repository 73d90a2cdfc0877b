"""The Bayesian timeline model: chips -> frontier compute -> effective compute -> capability.

Notation (t in decimal years, c a country, t_ref = ``reference_year``):

- additions of AI accelerators, H100e/yr: ln A_c(t) = ln A_c + g_c (t - t_ref), observed per
  quarter with AR(1) errors;
- stock, H100e: S_c(t) = integral of A_c over the last L years (``chip_useful_life_years``;
  from ``stock_origin_year`` while t - L is earlier): accelerators retire after L years;
- frontier training compute, FLOP: ln F_c(t) = ln k_c + ln S_c(t) + d_c (min(t, t_end) - t_ref);
- efficiency years (the structure's algorithmic progress, ``efficiency_years``):
  Y_c(t) = integral_{t_ref}^{t} (A_c(s) / A_ref)^phi ds - lag_c D_kappa(t - t_ref), D the gap's
  decay (``gap_decay``),
  which is t - t_ref - lag_c for the default structure (phi = kappa = 0);
- effective compute, log10 FLOP: log10 E_c(t) = log10 F_c(t) + lambda Y_c(t);
- frontier capability, ECI: C_c(t) = c_f + beta [eps (log10 X_c(t) - 26) + lambda Y_c(t)], with
  X_c = F_c, or the stock k_c S_c(t) without the share drift for ``deployment_compute``;
- cross-section of models: ECI_i = c_x + beta [(log10 FLOP_i - 26) + lambda Y_c(t_i)];
- structures (``forecast.core.definitions.STRUCTURES``) switch phi, kappa and the deployment
  form on through ``pm.Data`` switches, so one compiled graph serves them all;
- METR 50% horizon, log2 minutes: log2 H = log2 h_s + m_s (C - 150) + (1 - r) m_s max(K - C, 0)
  (+ offset for Chinese models);
- supply channels (countries with components, e.g. China's domestic, legal and smuggled chips):
  each non-reference channel k's quarterly additions over the reference channel's,
  ln(A_k / A_0) = l_k + b_k (t - t_ref) + delta_k 1[t >= event_k] + e, e ~ N(0, s_c); the shares
  of the country's additions are their softmax (the projection splits additions by them);
- record gaps: a half-year without a compute (ECI) record is a censored observation of the
  frontier, P(ln F_c(t) + e < bound), with the best record so far as the bound.

Every prior comes from the prior set (``forecast.priors``); this module holds only the structure.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from forecast.core.definitions import (
    COUNTRIES,
    DEFAULT_STRUCTURE,
    FOLLOWERS,
    MODEL_TYPE,
    MODEL_VERSION,
    PER_CAPACITY_COMPONENT,
    PER_COUNTRY,
    SHARED,
    SUITES,
    component_key,
    country_info,
    country_key,
    parameter_names,
    structure_info,
    supply_splits,
)
from forecast.data.observations import Observations, Series
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
from forecast.priors.distributions import FAMILIES
from forecast.priors.priorset import Prior, PriorSet

__all__ = [
    "MODEL_TYPE",
    "MODEL_VERSION",
    "TimelineModel",
    "model_data",
    "parameter_names",
    "prior_data",
]


PRIOR_DATA_PREFIX = "prior__"

PRIORS_AS_DATA: ContextVar[bool] = ContextVar("PRIORS_AS_DATA", default=False)
"""Whether models built now take prior parameters as ``pm.Data`` (see ``random_variable``).

Off by default: nutpie's own wrapper (``nutpie.compile_pymc_model``) compiles about ten times
slower with the ~70 extra data arrays. ``forecast.fit.sampling`` builds with it on, since its
disk-cached compile (``forecast.fit.compile_cache``) does not pay that cost.
"""


def prior_data_name(name: str, param: str) -> str:
    """The ``pm.Data`` name of one prior parameter: ``prior__<name>__<param>``."""
    return f"{PRIOR_DATA_PREFIX}{name}__{param}"


def random_variable(prior: Prior, name: str) -> pt.TensorVariable:
    """A PyMC random variable from a validated prior, built from the distribution registry.

    With ``PRIORS_AS_DATA`` set, each prior parameter is a scalar ``pm.Data``
    (``prior__<name>__<param>``), not a constant: the compiled graph then depends only on each
    prior's family, so a compiled model serves every prior set of the same families (swap the
    values in with :func:`prior_data`).
    """
    family = FAMILIES.get(prior.dist)
    if family is None:
        raise ValueError(f"prior {name}: unsupported distribution {prior.dist!r}")
    params: dict[str, Any] = family.pymc_kwargs(prior.params)
    if PRIORS_AS_DATA.get():
        params = {kw: pm.Data(prior_data_name(name, kw), np.float64(v)) for kw, v in params.items()}
    return getattr(pm, family.pymc)(name, **params)


def prior_data(prior_set: PriorSet) -> dict[str, np.ndarray]:
    """The prior-parameter ``pm.Data`` arrays of every prior in the set, by name (see
    ``random_variable``); a model holds those of the priors it uses.

    For ``CompiledModel.with_data``: the compiled model must have been built with
    ``PRIORS_AS_DATA`` set, from a prior set with the same family for every parameter.
    """
    out: dict[str, np.ndarray] = {}
    for name in prior_set:
        prior = prior_set[name]
        family = FAMILIES.get(prior.dist)
        if family is None:
            raise ValueError(f"prior {name}: unsupported distribution {prior.dist!r}")
        for kw, value in family.pymc_kwargs(prior.params).items():
            out[prior_data_name(name, kw)] = np.float64(value)
    return out


def one_hot(index: Any) -> Any:
    """(n, countries) 0/1 matrix of country indices (symbolic)."""
    return pt.eq(index[:, None], pt.arange(len(COUNTRIES))[None, :])


def pick(values: Any, onehot: Any) -> Any:
    """Per-observation value of a per-country vector, as an elementwise product and sum.

    Equivalent to ``values[index]`` but compiles to fused elementwise loops instead of an
    indexing op and its gradient, which keeps numba compilation of the model short.
    """
    return pt.sum(onehot * values[None, :], axis=1)


def empty_gaps(with_sd: bool) -> Series:
    """No record gaps (observations built before gaps existed)."""
    extra = {"sd": np.zeros(0)} if with_sd else {}
    return Series(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), extra)


def empty_shares() -> Series:
    """No supply-channel observations (observations built before channels existed)."""
    extra = {"split": np.zeros(0, dtype=np.int64), "regime": np.zeros(0)}
    return Series(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), extra)


def model_data(obs: Observations, structure: str = DEFAULT_STRUCTURE) -> dict[str, np.ndarray]:
    """Every ``pm.Data`` array of the model, by name, for swapping data into a compiled model
    (the structure's switches included)."""
    blocks = {
        "stock": obs.stock,
        "compute": obs.compute,
        "eci_record": obs.eci_records,
        "horizon": obs.horizon,
        "eci_cross": obs.eci_cross,
    }
    out: dict[str, np.ndarray] = {
        name: np.float64(value) for name, value in structure_info(structure).switches.items()
    }
    for name, block in blocks.items():
        out[f"{name}_t"] = block.t
        out[f"{name}_y"] = block.value
        out[f"{name}_country"] = block.country
    out["stock_prev"] = obs.stock.extra["prev"]
    out["compute_sd"] = obs.compute.extra["sd"]
    out["horizon_suite"] = obs.horizon.extra["suite"]
    out["horizon_se"] = obs.horizon.extra["se"]
    out["eci_cross_log10_flop"] = obs.eci_cross.extra["log10_flop"]
    for name, gaps in (("compute_gap", obs.compute_gaps), ("eci_gap", obs.eci_gaps)):
        gaps = gaps if gaps is not None else empty_gaps(name == "compute_gap")
        out[f"{name}_t"] = gaps.t
        out[f"{name}_y"] = gaps.value
        out[f"{name}_country"] = gaps.country
    gaps = obs.compute_gaps if obs.compute_gaps is not None else empty_gaps(True)
    out["compute_gap_sd"] = gaps.extra["sd"]
    shares = obs.supply_shares if obs.supply_shares is not None else empty_shares()
    if not supply_splits():
        out["data_end"] = np.float64(obs.data_end)
        return out
    out["supply_share_t"] = shares.t
    out["supply_share_y"] = shares.value
    out["supply_share_country"] = shares.country
    out["supply_share_split"] = shares.extra["split"]
    out["supply_share_regime"] = shares.extra["regime"]
    out["data_end"] = np.float64(obs.data_end)
    return out


class TimelineModel:
    """Builds the PyMC model from observations and a prior set (one model per fit)."""

    model_type = MODEL_TYPE
    version = MODEL_VERSION

    def __init__(
        self,
        observations: Observations,
        prior_set: PriorSet,
        structure: str = DEFAULT_STRUCTURE,
    ) -> None:
        self.obs = observations
        self.priors = prior_set
        self.structure = structure_info(structure)
        self.axes = Axes.from_settings(prior_set.settings, observations.data_end)

    def _rv(self, key: str) -> pt.TensorVariable:
        return random_variable(self.priors[key], key)

    def _country_vector(self, base: str) -> pt.TensorVariable:
        return pt.stack([self._rv(country_key(base, c)) for c in COUNTRIES])

    def build(self) -> pm.Model:
        """The PyMC model, with every observation block as ``pm.Data`` (refits swap data)."""
        with pm.Model(coords={"country": list(COUNTRIES), "suite": list(SUITES)}) as model:
            p: dict[str, Any] = {}
            for base in PER_COUNTRY:
                p[base] = self._country_vector(base)
            lags = [pt.constant(0.0)]
            for code in FOLLOWERS:
                lags.append(self._rv(country_key("efficiency_lag", code)))
                key = country_key("horizon_offset", code)
                p[key] = self._rv(key)
            p["efficiency_lag"] = pt.stack(lags)
            for key in SHARED:
                p[key] = self._rv(key)
            p["ln_a"] = pt.log(p["stock_additions_2025"])
            p["ln_k"] = pt.log(p["frontier_flop_per_h100e"])
            switch = {
                name: pm.Data(name, np.float64(value))
                for name, value in self.structure.switches.items()
            }
            # a structure's unused parameter keeps its prior but has no effect (switch 0)
            p["phi"] = switch["structure_compute_driven"] * p["efficiency_compute_exponent"]
            p["kappa"] = switch["structure_diffusion"] * p["efficiency_catchup_rate"]
            p["deployment"] = switch["structure_deployment"]
            p["ln_rel"] = p["ln_a"] - p["ln_a"][0]
            self._stock_likelihood(p)
            self._frontier_likelihoods(p)
            self._cross_section_likelihood(p)
            self._supply_share_likelihood(p)
        return model

    def _stock_likelihood(self, p: dict[str, Any]) -> None:
        s = self.obs.stock
        t = pm.Data("stock_t", s.t)
        y = pm.Data("stock_y", s.value)
        c = pm.Data("stock_country", s.country)
        prev = pm.Data("stock_prev", s.extra["prev"])
        has_prev = pt.ge(prev, 0)
        prev_i = pt.maximum(prev, 0)
        onehot, onehot_prev = one_hot(c), one_hot(c[prev_i])

        def trend(oh: Any, times: Any) -> Any:
            return pick(p["ln_a"], oh) + pick(p["stock_growth"], oh) * (times - self.axes.reference)

        mu = trend(onehot, t)
        rho = p["stock_ar1"]
        resid_prev = y[prev_i] - trend(onehot_prev, t[prev_i])
        cond_mu = mu + rho * pt.switch(has_prev, resid_prev, 0.0)
        sd = pt.switch(has_prev, 1.0, 1.0 / pt.sqrt(1.0 - rho**2)) * pick(p["stock_noise"], onehot)
        pm.Normal("stock_obs", mu=cond_mu, sigma=sd, observed=y)

    def _years(self, p: dict[str, Any], t: Any, oh: Any) -> Any:
        """Efficiency years of each observation's country at its time (the structure's form)."""
        return efficiency_years(
            pt,
            t,
            self.axes.reference,
            pick(p["efficiency_lag"], oh),
            p["phi"],
            pick(p["ln_rel"], oh),
            pick(p["stock_growth"], oh),
            p["kappa"],
        )

    def _frontier_likelihoods(self, p: dict[str, Any]) -> None:
        """Compute, ECI and METR records: one frontier evaluation over all their dates."""
        f, r, h = self.obs.compute, self.obs.eci_records, self.obs.horizon
        fg = self.obs.compute_gaps if self.obs.compute_gaps is not None else empty_gaps(True)
        rg = self.obs.eci_gaps if self.obs.eci_gaps is not None else empty_gaps(False)
        blocks = {"compute": f, "eci_record": r, "horizon": h, "compute_gap": fg, "eci_gap": rg}
        times = [pm.Data(f"{name}_t", b.t) for name, b in blocks.items()]
        countries = [pm.Data(f"{name}_country", b.country) for name, b in blocks.items()]
        t, c = pt.concatenate(times), pt.concatenate(countries)
        oh = one_hot(c)
        # the data end is data too: a refit that swaps in data with a later end must sample
        # the model a fresh build would give, not one frozen at the first fit's end
        axes = replace(self.axes, data_end=pm.Data("data_end", np.float64(self.obs.data_end)))
        ln_f = log_frontier_flop(
            pt,
            t,
            pick(p["ln_a"], oh),
            pick(p["stock_growth"], oh),
            pick(p["ln_k"], oh),
            pick(p["frontier_share_drift"], oh),
            axes,
            life=p["chip_useful_life_years"],
        )
        # deployment_compute: capability follows k S (the stock), not the run's drifting share
        held = pt.minimum(t, axes.data_end) - self.axes.reference
        log10_compute = (ln_f - p["deployment"] * pick(p["frontier_share_drift"], oh) * held) / LN10
        capability = frontier_capability(log10_compute, self._years(p, t, oh), p)
        n_f, n_r, n_h, n_fg = (times[i].shape[0] for i in range(4))
        gap_f = slice(n_f + n_r + n_h, n_f + n_r + n_h + n_fg)
        gap_r = slice(n_f + n_r + n_h + n_fg, None)

        sd_label = pm.Data("compute_sd", f.extra["sd"])
        pm.Normal(
            "compute_obs",
            mu=ln_f[:n_f],
            sigma=pt.sqrt(sd_label**2 + p["frontier_noise"] ** 2),
            observed=pm.Data("compute_y", f.value),
        )
        pm.Normal(
            "eci_record_obs",
            mu=capability[n_f : n_f + n_r],
            sigma=p["eci_record_noise"],
            observed=pm.Data("eci_record_y", r.value),
        )
        suite = pm.Data("horizon_suite", h.extra["suite"])
        se = pm.Data("horizon_se", h.extra["se"])
        offset = horizon_offset(countries[2], p, pt)
        knot = self.axes.horizon_knot
        pm.Normal(
            "horizon_obs",
            mu=horizon_log2(capability[n_f + n_r : n_f + n_r + n_h], suite, p, pt, knot) + offset,
            sigma=pt.sqrt(se**2 + p["horizon_noise"] ** 2),
            observed=pm.Data("horizon_y", h.value),
        )
        # half-years without a record: the period's best stayed below the bound. PyMC's Censored
        # reads a value observed at its lower limit as "at or below the limit": log P(X <= bound)
        bound_f = pm.Data("compute_gap_y", fg.value)
        sd_gap = pm.Data("compute_gap_sd", fg.extra["sd"])
        pm.Censored(
            "compute_gap_obs",
            pm.Normal.dist(ln_f[gap_f], pt.sqrt(sd_gap**2 + p["frontier_noise"] ** 2)),
            lower=bound_f,
            upper=None,
            observed=bound_f,
        )
        bound_r = pm.Data("eci_gap_y", rg.value)
        pm.Censored(
            "eci_gap_obs",
            pm.Normal.dist(capability[gap_r], p["eci_record_noise"]),
            lower=bound_r,
            upper=None,
            observed=bound_r,
        )

    def _supply_share_likelihood(self, p: dict[str, Any]) -> None:
        """Supply channels: each non-reference channel's quarterly log-ratio to the reference
        channel is a line in time, plus a fitted step from its policy event on."""
        # production ceilings act in the projection only: their posterior is their prior
        for code in COUNTRIES:
            for comp in country_info(code).components:
                if comp.capacity_bound:
                    for base in PER_CAPACITY_COMPONENT:
                        self._rv(component_key(base, code, comp.name))
        splits = supply_splits()
        if not splits:
            return
        s = self.obs.supply_shares if self.obs.supply_shares is not None else empty_shares()
        level = pt.stack(
            [self._rv(component_key("supply_logratio_2025", c, k.name)) for c, k in splits]
        )
        trend = pt.stack(
            [self._rv(component_key("supply_logratio_trend", c, k.name)) for c, k in splits]
        )
        steps = []
        for c, k in splits:
            key = component_key("supply_regime_effect", c, k.name)
            steps.append(self._rv(key) if k.regime_start is not None else pt.constant(0.0))
        noise = []
        for code in COUNTRIES:
            key = country_key("supply_share_noise", code)
            noise.append(self._rv(key) if key in self.priors else pt.constant(1.0))
        t = pm.Data("supply_share_t", s.t)
        k_i = pm.Data("supply_share_split", s.extra["split"])
        c_i = pm.Data("supply_share_country", s.country)
        regime = pm.Data("supply_share_regime", s.extra["regime"])
        oh = pt.eq(k_i[:, None], pt.arange(len(splits))[None, :])
        mu = (
            pick(level, oh)
            + pick(trend, oh) * (t - self.axes.reference)
            + pick(pt.stack(steps), oh) * regime
        )
        pm.Normal(
            "supply_share_obs",
            mu=mu,
            sigma=pick(pt.stack(noise), one_hot(c_i)),
            observed=pm.Data("supply_share_y", s.value),
        )

    def _cross_section_likelihood(self, p: dict[str, Any]) -> None:
        x = self.obs.eci_cross
        xt, xc = pm.Data("eci_cross_t", x.t), pm.Data("eci_cross_country", x.country)
        log10_flop = pm.Data("eci_cross_log10_flop", x.extra["log10_flop"])
        effective = (log10_flop - REFERENCE_LOG10_FLOP) + p["efficiency_rate"] * self._years(
            p, xt, one_hot(xc)
        )
        pm.Normal(
            "eci_cross_obs",
            mu=p["cross_section_eci_2025"] + p["capability_per_oom"] * effective,
            sigma=p["eci_model_noise"],
            observed=pm.Data("eci_cross_y", x.value),
        )
