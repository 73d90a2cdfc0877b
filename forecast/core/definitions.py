"""Each fact the whole library shares, defined once: identity, countries, parameters, names, ranges.

- model identity and version (stored with every run and checked on load);
- the country registry, read from ``countries.toml`` in the prior folder (code, name, colour,
  reference country, the chip-holder groups that make up its stock);
- the parameter layout: which parameters exist per country, per non-reference country and once,
  with unit, domain and meaning (the prior files must state exactly these);
- names and defaults used across stages: the scenario baseline, the default quantile levels, the
  earliest date a question may ask about, the METR suites, the trajectory quantities.

Numbers a forecaster would want to change live in the prior files, not here.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Literal

from forecast.core.errors import ForecastError, UsageError

# ------------------------------------------------------------------------------------------------
# Identity
# ------------------------------------------------------------------------------------------------

MODEL_TYPE = "ai-timelines"
MODEL_VERSION = "2.0"

# ------------------------------------------------------------------------------------------------
# Names and defaults shared by questions, CLI, service and report
# ------------------------------------------------------------------------------------------------

BASELINE_SCENARIO = "status_quo"
"""The scenario every comparison is measured against: the fitted projection, unchanged."""

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Quantile levels of arrival and trajectory answers when the caller names none."""

MAX_QUANTILES = 99
"""Most quantile levels one question may ask for."""

EARLIEST_DATE = date(2018, 1, 1)
"""The earliest date a question may name: the start of the fitted data era."""

SUITES: tuple[str, ...] = ("v1.1", "v1.0")
"""METR time-horizon suites, in model order (index 0 is the suite the threshold is stated on)."""

QUANTITIES: dict[str, str] = {
    "compute_stock_h100e": "H100e",
    "chip_additions_h100e_per_year": "H100e/yr",
    "chip_spend_usd_per_year": "USD/yr",
    "chip_power_gw": "GW (chip TDP)",
    "frontier_training_flop": "FLOP",
    "effective_compute_flop": "FLOP (2025 algorithms)",
    "frontier_eci": "ECI",
    "frontier_horizon_minutes": "minutes (METR v1.1 50% horizon)",
}
"""Trajectory quantities (stable names) and their units."""


def priors_dir() -> Path:
    """The forecaster files: ``$FORECAST_PRIORS_DIR`` if set, else the repository's ``priors/``."""
    override = os.environ.get("FORECAST_PRIORS_DIR")
    if override:
        return Path(override)
    return _REPOSITORY_PRIORS


_REPOSITORY_PRIORS = Path(__file__).resolve().parents[2] / "priors"
"""The repository's ``priors/`` (resolved once: asked on every question with options)."""


# ------------------------------------------------------------------------------------------------
# Countries
# ------------------------------------------------------------------------------------------------

COUNTRY_FILE_NAME = "countries.toml"


class UnknownCountryError(UsageError):
    """A country code that the model does not cover."""


@dataclass(frozen=True)
class Component:
    """One supply channel of a country's accelerator additions (e.g. China's legal imports)."""

    name: str
    description: str
    holders: tuple[str, ...]
    """Holder groups of the chip-owner table whose additions make up this channel."""
    regime_start: date | None = None
    """A policy event from which the channel's log-ratio steps by a fitted effect (None: none)."""
    capacity_bound: bool = False
    """True if the channel's output saturates against a production ceiling in the projection."""


@dataclass(frozen=True)
class Country:
    """One registry entry: what every stage needs to know about a country."""

    code: str
    name: str
    colour: str
    reference: bool
    stock_holders: tuple[tuple[str, float | str], ...]
    """Holder groups of the chip-owner table summed into its stock: (holder, weight or setting)."""
    metr_suite: str
    """The METR suite its models were measured on, scored in backtests."""
    components: tuple[Component, ...] = ()
    """Supply channels of its additions, reference channel first (empty: one undivided supply)."""

    def component(self, name: str) -> Component:
        """The named supply channel; a clear error naming the known ones."""
        for comp in self.components:
            if comp.name == name:
                return comp
        known = ", ".join(c.name for c in self.components) or "none"
        raise UsageError(f"{self.code} has no supply component {name!r} (known: {known})")


def _registry_error(path: Path, where: str, why: str) -> ForecastError:
    return ForecastError(f"{path}: {where}: {why}")


@cache
def _registry_file(path: Path) -> dict:
    """The registry file's tables, read once per process and path."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ForecastError(f"{path}: the country registry is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ForecastError(f"{path}: not valid TOML ({exc})") from exc


_COMPONENT_KEYS = {"description", "holders", "regime_start", "capacity_bound"}


def _load_components(path: Path, where: str, table: object, holders: dict) -> tuple[Component, ...]:
    """A country's supply channels: valid names and keys, holders partitioning its stock."""
    if not isinstance(table, dict):
        raise _registry_error(path, f"{where} components", "must be a table of channels")
    if not table:
        return ()
    if len(table) < 2:
        raise _registry_error(path, f"{where} components", "list at least two channels or none")
    out, seen = [], []
    for name, entry in table.items():
        at = f"{where} components.{name}"
        if not (name.isascii() and name.replace("_", "").isalpha() and name.islower()):
            raise _registry_error(path, at, "a channel name is lower-case letters and '_'")
        if not isinstance(entry, dict):
            raise _registry_error(path, at, "must be a table")
        unknown = set(entry) - _COMPONENT_KEYS
        if unknown:
            raise _registry_error(path, at, f"unknown keys {sorted(unknown)}")
        members = entry.get("holders")
        if not isinstance(members, list) or not members:
            raise _registry_error(path, f"{at}.holders", "name at least one holder group")
        for holder in members:
            if holder not in holders:
                raise _registry_error(
                    path, f"{at}.holders", f"{holder!r} is not one of the country's stock_holders"
                )
        seen.extend(members)
        start = entry.get("regime_start")
        if start is not None and (isinstance(start, datetime) or not isinstance(start, date)):
            raise _registry_error(path, f"{at}.regime_start", "a TOML date like 2025-04-09")
        bound = entry.get("capacity_bound", False)
        if not isinstance(bound, bool):
            raise _registry_error(path, f"{at}.capacity_bound", "true or false")
        out.append(
            Component(
                name=name,
                description=str(entry.get("description", name)),
                holders=tuple(str(h) for h in members),
                regime_start=start,
                capacity_bound=bound,
            )
        )
    if sorted(seen) != sorted(holders):
        raise _registry_error(
            path, f"{where} components", "the channels' holders must partition stock_holders"
        )
    return tuple(out)


@cache
def _load_registry(path: Path) -> tuple[Country, ...]:
    data = _registry_file(path)
    unknown = set(data) - {"country", "shared_holders"}
    if unknown:
        raise _registry_error(path, "top level", f"unknown keys {sorted(unknown)}")
    table = data.get("country")
    if not isinstance(table, dict) or not table:
        raise _registry_error(path, "[country]", "list at least one [country.CODE] table")
    out: list[Country] = []
    for code, entry in table.items():
        where = f"[country.{code}]"
        if not (code.isascii() and code.isalpha() and code.isupper() and 2 <= len(code) <= 3):
            raise _registry_error(path, where, "a country code is 2-3 upper-case letters")
        if not isinstance(entry, dict):
            raise _registry_error(path, where, "must be a table")
        unknown = set(entry) - {
            "name",
            "colour",
            "reference",
            "stock_holders",
            "metr_suite",
            "components",
        }
        if unknown:
            raise _registry_error(path, where, f"unknown keys {sorted(unknown)}")
        holders = entry.get("stock_holders", {})
        if not isinstance(holders, dict) or not holders:
            raise _registry_error(path, where, "stock_holders must name at least one holder")
        for holder, weight in holders.items():
            ok = isinstance(weight, str) or (
                isinstance(weight, int | float) and not isinstance(weight, bool) and weight >= 0
            )
            if not ok:
                raise _registry_error(
                    path, f"{where} stock_holders.{holder}", "weight is a number >= 0 or a setting"
                )
        suite = entry.get("metr_suite", SUITES[0])
        if suite not in SUITES:
            raise _registry_error(path, f"{where} metr_suite", f"one of {', '.join(SUITES)}")
        components = _load_components(path, where, entry.get("components", {}), holders)
        out.append(
            Country(
                code=code,
                name=str(entry.get("name", code)),
                colour=str(entry.get("colour", "#000000")),
                reference=bool(entry.get("reference", False)),
                stock_holders=tuple(holders.items()),
                metr_suite=str(suite),
                components=components,
            )
        )
    refs = [c for c in out if c.reference]
    if len(refs) != 1:
        raise _registry_error(path, "[country]", "exactly one country has reference = true")
    # the reference country comes first: every per-follower parameter is relative to it
    return tuple(refs + [c for c in out if not c.reference])


def country_registry() -> tuple[Country, ...]:
    """The registry in model order (reference first), read once per process and folder."""
    return _load_registry(priors_dir() / COUNTRY_FILE_NAME)


SHARED_HOLDER_COUNTRY = "OTHER"
"""The ``country`` of chip-holder rows that belong to no single country."""


def holder_countries() -> dict[str, str]:
    """Chip-holder group -> the country its rows in ``compute_stock.csv`` carry.

    A group belongs to the one registry country that lists it, or to ``OTHER`` when the
    registry's ``shared_holders`` names it (countries may still count a share of it).
    """
    path = priors_dir() / COUNTRY_FILE_NAME
    shared = _registry_file(path).get("shared_holders", [])
    out = {str(h): SHARED_HOLDER_COUNTRY for h in shared}
    for country in country_registry():
        for holder, _ in country.stock_holders:
            if holder in out and out[holder] != country.code:
                if out[holder] == SHARED_HOLDER_COUNTRY:
                    continue
                raise _registry_error(path, holder, "a holder group belongs to one country")
            out[holder] = country.code
    return out


REGISTRY: tuple[Country, ...] = country_registry()
COUNTRIES: tuple[str, ...] = tuple(c.code for c in REGISTRY)
"""Country codes in model order; ``COUNTRIES[0]`` is the reference country."""
REFERENCE_COUNTRY: str = COUNTRIES[0]
FOLLOWERS: tuple[str, ...] = COUNTRIES[1:]
"""Countries with an efficiency lag and a horizon offset relative to the reference."""


def country_index(country: str) -> int:
    """Index of a country code in :data:`COUNTRIES`; a clear error for unknown codes."""
    code = str(country).strip().upper()
    if code not in COUNTRIES:
        raise UnknownCountryError(
            f"unknown country {country!r}; known countries: {', '.join(COUNTRIES)}"
        )
    return COUNTRIES.index(code)


def country_info(country: str) -> Country:
    """The registry entry of a country code."""
    return REGISTRY[country_index(country)]


# ------------------------------------------------------------------------------------------------
# Parameter layout
# ------------------------------------------------------------------------------------------------

Domain = Literal["real", "positive", "unit"]
"""Values a parameter may take: any real number, strictly positive, or a share in (0, 1)."""


@dataclass(frozen=True)
class ParameterSpec:
    """What the model expects of one parameter: its unit (exact string), domain and meaning."""

    unit: str
    domain: Domain
    meaning: str


def country_key(base: str, country: str) -> str:
    """Prior key of a per-country parameter, e.g. ``stock_growth_us``."""
    return f"{base}_{country.lower()}"


PER_COUNTRY: dict[str, ParameterSpec] = {
    "stock_additions_2025": ParameterSpec(
        "H100e/yr", "positive", "rate of {name} AI-accelerator additions at the reference year"
    ),
    "stock_growth": ParameterSpec("ln/yr", "real", "growth rate of {name} additions, fitted years"),
    "stock_noise": ParameterSpec(
        "ln", "positive", "sd of quarterly log-addition innovations, {code}"
    ),
    "frontier_flop_per_h100e": ParameterSpec(
        "FLOP/H100e", "positive", "largest {name} training run per H100e held"
    ),
    "frontier_share_drift": ParameterSpec("ln/yr", "real", "drift of the {name} run/stock ratio"),
    "chip_spend_ceiling": ParameterSpec(
        "USD/yr", "positive", "level {name}'s annual AI-accelerator spend saturates at"
    ),
    "chip_power_ceiling": ParameterSpec(
        "GW", "positive", "level {name}'s AI-accelerator power (chip TDP) saturates at"
    ),
}
"""Parameters every country has its own value of (prior key ``base_code``)."""

PER_FOLLOWER: dict[str, ParameterSpec] = {
    "efficiency_lag": ParameterSpec("yr", "real", "{name}'s efficiency lag given its compute"),
    "horizon_offset": ParameterSpec(
        "log2(min)", "real", "{name}'s models' log2 horizon offset at equal ECI"
    ),
}
"""Parameters of every non-reference country, relative to the reference (0 there)."""

SHARED: dict[str, ParameterSpec] = {
    "stock_ar1": ParameterSpec(
        "1", "unit", "lag-1 autocorrelation of quarterly log-addition residuals"
    ),
    "chip_useful_life_years": ParameterSpec(
        "yr", "positive", "years an AI accelerator stays in the stock before it retires"
    ),
    "stock_growth_longrun": ParameterSpec(
        "ln/yr", "real", "long-run growth rate of additions after the slowdown"
    ),
    "stock_slowdown_years": ParameterSpec(
        "yr", "positive", "e-folding time from the fitted to the long-run growth rate"
    ),
    "frontier_noise": ParameterSpec("ln", "positive", "misfit sd of record training runs"),
    "efficiency_rate": ParameterSpec(
        "OOM/yr", "positive", "capability-relevant algorithmic efficiency growth at fixed compute"
    ),
    "efficiency_compute_exponent": ParameterSpec(
        "1",
        "positive",
        "elasticity of a country's efficiency growth to its own chip additions "
        "(compute_driven_progress only)",
    ),
    "efficiency_catchup_rate": ParameterSpec(
        "1/yr", "positive", "rate at which a follower's efficiency gap closes (diffusion only)"
    ),
    "capability_per_oom": ParameterSpec(
        "ECI/OOM", "positive", "ECI points per order of magnitude of effective compute"
    ),
    "compute_elasticity": ParameterSpec(
        "1", "positive", "elasticity of frontier capability growth to compute growth"
    ),
    "frontier_eci_2025": ParameterSpec(
        "ECI", "real", "frontier ECI of a country with a 1e26 FLOP largest run"
    ),
    "cross_section_eci_2025": ParameterSpec(
        "ECI", "real", "ECI of a typical model trained with 1e26 FLOP of effective compute"
    ),
    "eci_record_noise": ParameterSpec("ECI", "positive", "sd of record models around the frontier"),
    "eci_model_noise": ParameterSpec("ECI", "positive", "sd of models around the compute line"),
    "horizon_at_eci150_v11": ParameterSpec(
        "minutes", "positive", "METR v1.1 50% horizon of a model with ECI 150"
    ),
    "horizon_at_eci150_v10": ParameterSpec(
        "minutes", "positive", "METR v1.0 50% horizon of a model with ECI 150"
    ),
    "horizon_doublings_per_eci_v11": ParameterSpec(
        "log2(min)/ECI", "positive", "slope of log2 horizon per ECI point, v1.1"
    ),
    "horizon_doublings_per_eci_v10": ParameterSpec(
        "log2(min)/ECI", "positive", "slope of log2 horizon per ECI point, v1.0"
    ),
    "horizon_slope_ratio_below_knot": ParameterSpec(
        "1", "positive", "horizon slope below the link's knot over the slope above it"
    ),
    "horizon_noise": ParameterSpec(
        "log2(min)", "positive", "misfit sd of log2 horizon beyond METR CI"
    ),
    "threshold_horizon_minutes": ParameterSpec(
        "minutes", "positive", "breakthrough threshold as a METR v1.1 50% horizon"
    ),
    "capability_slope_volatility": ParameterSpec(
        "ECI/yr per sqrt(yr)", "positive", "sd of the random walk in the capability growth rate"
    ),
    "capability_slope_common_share": ParameterSpec(
        "1", "unit", "share of the slope variance common to all countries"
    ),
}
"""Parameters the countries share."""


PER_SPLIT_COUNTRY: dict[str, ParameterSpec] = {
    "supply_share_noise": ParameterSpec(
        "ln", "positive", "sd of quarterly log-ratios of {name}'s supply channels about their trend"
    ),
}
"""Parameters of every country whose additions are split into supply channels."""

PER_COMPONENT: dict[str, ParameterSpec] = {
    "supply_logratio_2025": ParameterSpec(
        "ln", "real", "ln of {name}'s {component} additions over its {reference} additions, 2025.0"
    ),
    "supply_logratio_trend": ParameterSpec(
        "ln/yr", "real", "trend of that log-ratio ({name}, {component} over {reference})"
    ),
}
"""Parameters of every non-reference supply channel (relative to the country's first channel)."""

PER_REGIME_COMPONENT: dict[str, ParameterSpec] = {
    "supply_regime_effect": ParameterSpec(
        "ln", "real", "step in {name}'s {component} log-ratio from its policy event on"
    ),
}
"""Parameters of every non-reference channel with a ``regime_start``."""

PER_CAPACITY_COMPONENT: dict[str, ParameterSpec] = {
    "chip_capacity_ceiling": ParameterSpec(
        "H100e/yr", "positive", "production ceiling of {name}'s {component} channel at 2026.0"
    ),
    "chip_capacity_growth": ParameterSpec(
        "ln/yr", "real", "growth rate of that production ceiling ({name}, {component})"
    ),
}
"""Parameters of every channel with ``capacity_bound = true``."""

CAPACITY_REFERENCE_YEAR = 2026.0
"""Year at which production-ceiling priors are stated (the first projected year)."""


def supply_splits() -> tuple[tuple[str, Component], ...]:
    """Every non-reference supply channel as (country code, channel), in model order: the
    log-ratio observations and their parameters are indexed by position in this list."""
    return tuple((c.code, comp) for c in REGISTRY for comp in c.components[1:])


def component_key(base: str, country: str, component: str) -> str:
    """Prior key of a per-channel parameter, e.g. ``supply_logratio_2025_cn_legal``."""
    return f"{base}_{country.lower()}_{component}"


def _spec_for(
    spec: ParameterSpec, country: Country, component: Component | None = None
) -> ParameterSpec:
    names = {"name": country.name, "code": country.code}
    if component is not None:
        names |= {"component": component.name, "reference": country.components[0].name}
    return ParameterSpec(spec.unit, spec.domain, spec.meaning.format(**names))


def parameter_specs() -> dict[str, ParameterSpec]:
    """Every free parameter of the model by prior key, in model order, with unit and domain."""
    out: dict[str, ParameterSpec] = {}
    for base, spec in PER_COUNTRY.items():
        for c in REGISTRY:
            out[country_key(base, c.code)] = _spec_for(spec, c)
    for base, spec in PER_FOLLOWER.items():
        for c in REGISTRY[1:]:
            out[country_key(base, c.code)] = _spec_for(spec, c)
    out.update(SHARED)
    for c in REGISTRY:
        if not c.components:
            continue
        for base, spec in PER_SPLIT_COUNTRY.items():
            out[country_key(base, c.code)] = _spec_for(spec, c)
        for comp in c.components:
            groups = [PER_COMPONENT] if comp is not c.components[0] else []
            if comp.regime_start is not None and comp is not c.components[0]:
                groups.append(PER_REGIME_COMPONENT)
            if comp.capacity_bound:
                groups.append(PER_CAPACITY_COMPONENT)
            for group in groups:
                for base, spec in group.items():
                    out[component_key(base, c.code, comp.name)] = _spec_for(spec, c, comp)
    return out


# ------------------------------------------------------------------------------------------------
# Model structures: how chips become capability
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Structure:
    """One structure of the chips-to-capability channel: a full model, fitted to the same data.

    Every structure is the general model with switches set (``forecast.model.equations``):
    ``compute_driven`` lets each country's efficiency growth scale with its own chip additions,
    ``diffusion`` lets a follower's efficiency gap close over time, ``deployment`` ties
    capability to the whole accelerator stock instead of the largest training run. A parameter
    a structure does not use is pinned (``pinned``) and its draws are set to that value.
    """

    name: str
    description: str
    equation: str
    compute_driven: bool = False
    diffusion: bool = False
    deployment: bool = False

    @property
    def switches(self) -> dict[str, float]:
        """The model's structure switches (``pm.Data`` values), by switch name."""
        return {
            "structure_compute_driven": float(self.compute_driven),
            "structure_diffusion": float(self.diffusion),
            "structure_deployment": float(self.deployment),
        }

    @property
    def pinned(self) -> dict[str, float]:
        """Parameters this structure does not use, with the value that switches them off."""
        out = {}
        if not self.compute_driven:
            out["efficiency_compute_exponent"] = 0.0
        if not self.diffusion:
            out["efficiency_catchup_rate"] = 0.0
        return out


STRUCTURES: tuple[Structure, ...] = (
    Structure(
        "global_efficiency",
        "Algorithmic efficiency is global and free: every country's efficiency grows at one "
        "rate, whatever its compute; chips act through the largest training run only.",
        "C_c(t) = c_f + beta [eps (log10 F_c(t) - 26) + lambda (t - t_ref - lag_c)]",
    ),
    Structure(
        "compute_driven_progress",
        "Algorithmic progress needs experiments: a country's efficiency grows faster the more "
        "chips it adds, lambda_c(t) = lambda (A_c(t) / A_ref)^phi.",
        "C_c(t) = c_f + beta [eps (log10 F_c(t) - 26) + lambda (integral from t_ref to t of "
        "(A_c(s) / A_ref)^phi ds - lag_c)]",
        compute_driven=True,
    ),
    Structure(
        "diffusion",
        "A follower's efficiency gap closes toward the leader (distillation, open weights, "
        "publication): lag_c(t) = lag_c exp(-kappa (t - t_ref)) from 2025 on (widening "
        "linearly before); its chips matter for scale.",
        "C_c(t) = c_f + beta [eps (log10 F_c(t) - 26) + lambda (t - t_ref - lag_c "
        "exp(-kappa (t - t_ref)))]",
        diffusion=True,
    ),
    Structure(
        "deployment_compute",
        "Capability follows the whole accelerator stock (training, reinforcement learning and "
        "inference), not the largest pre-training run: the run's share drift is left out.",
        "C_c(t) = c_f + beta [eps (log10 (k_c S_c(t)) - 26) + lambda (t - t_ref - lag_c)]",
        deployment=True,
    ),
)
"""Every structure, in run order; the first is the default of a pinned fit."""

STRUCTURE_NAMES: tuple[str, ...] = tuple(s.name for s in STRUCTURES)
DEFAULT_STRUCTURE = STRUCTURES[0].name
STRUCTURE_SWITCHES: tuple[str, ...] = tuple(STRUCTURES[0].switches)
MIXTURE = "mixture"
"""The name of the structures' weighted mixture, which answers by default."""


class UnknownStructureError(UsageError):
    """A structure name the model does not define."""


def structure_info(name: str) -> Structure:
    """The registry entry of a structure name; a clear error naming the known ones."""
    for s in STRUCTURES:
        if s.name == name:
            return s
    raise UnknownStructureError(
        f"unknown structure {name!r}; known structures: {', '.join(STRUCTURE_NAMES)}"
    )


def parameter_names() -> list[str]:
    """Every free parameter of the model, named as its prior, in model order."""
    return list(parameter_specs())
