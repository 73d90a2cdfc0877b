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
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from forecast.core.errors import ForecastError, UsageError

# ------------------------------------------------------------------------------------------------
# Identity
# ------------------------------------------------------------------------------------------------

MODEL_TYPE = "ai-timelines"
MODEL_VERSION = "1.2"

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
    return Path(__file__).resolve().parents[2] / "priors"


# ------------------------------------------------------------------------------------------------
# Countries
# ------------------------------------------------------------------------------------------------

COUNTRY_FILE_NAME = "countries.toml"


class UnknownCountryError(UsageError):
    """A country code that the model does not cover."""


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
        unknown = set(entry) - {"name", "colour", "reference", "stock_holders", "metr_suite"}
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
        out.append(
            Country(
                code=code,
                name=str(entry.get("name", code)),
                colour=str(entry.get("colour", "#000000")),
                reference=bool(entry.get("reference", False)),
                stock_holders=tuple(holders.items()),
                metr_suite=str(suite),
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


def _spec_for(spec: ParameterSpec, country: Country) -> ParameterSpec:
    meaning = spec.meaning.format(name=country.name, code=country.code)
    return ParameterSpec(spec.unit, spec.domain, meaning)


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
    return out


def parameter_names() -> list[str]:
    """Every free parameter of the model, named as its prior, in model order."""
    return list(parameter_specs())
