"""The checks of a prior set: what the model needs of a prior file and how each table is judged.

:data:`PRIOR_SPECS` (the model's parameters, from ``forecast.core.definitions``) and
:data:`SETTING_SPECS` (the fixed numbers and their ranges) say what a complete prior set holds.
:func:`check_prior_data` judges a parsed (and, for a set that ``extends`` another, already
merged) prior set and reports every problem to a :class:`~forecast.core.tomlfile.Reporter`;
:func:`check_prior` judges one ``[priors.KEY]`` table. The checks build plain values; the
``Prior`` and ``PriorSet`` objects are made in :mod:`forecast.priors.priorset`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from forecast.core.definitions import (
    STRUCTURE_NAMES,
    Domain,
    ParameterSpec,
    UnknownStructureError,
    parameter_specs,
    structure_info,
)
from forecast.core.tomlfile import Reporter, as_number, describe_value, unknown_key_reason
from forecast.core.tomlfile import format_number as _fmt
from forecast.priors.distributions import (
    ALL_PARAMS,
    FAMILIES,
    DerivationError,
    derive_params,
    families_for,
)

__all__ = [
    "PRIOR_SPECS",
    "REQUIRED_PRIORS",
    "REQUIRED_SETTINGS",
    "SETTING_SPECS",
    "STRUCTURE_KEYS",
    "CheckedSet",
    "PriorSpec",
    "SettingSpec",
    "check_prior",
    "check_prior_data",
    "is_set_name",
    "normalise_weights",
]

# ------------------------------------------------------------------------------------------------
# What the model needs: prior keys with their units and domains, settings with their ranges.
# ------------------------------------------------------------------------------------------------

PriorSpec = ParameterSpec
PRIOR_SPECS: dict[str, ParameterSpec] = parameter_specs()
"""Every prior a prior set must state: the model's parameter layout, with units and domains."""

REQUIRED_PRIORS: tuple[str, ...] = tuple(PRIOR_SPECS)


@dataclass(frozen=True)
class SettingSpec:
    """Allowed range of a numeric setting; open or closed at each end."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        """The range in interval notation, e.g. ``[0, 1]`` or ``(0, 1]``."""
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def contains(self, value: float) -> bool:
        """True if ``value`` lies in the range."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


SETTING_SPECS: dict[str, SettingSpec] = {
    "us_share_of_other_stock": SettingSpec(0.0, 1.0),
    "cn_smuggled_weight": SettingSpec(0.0, 2.0),
    "eci_record_step": SettingSpec(0.0, 10.0),
    "compute_noise_confident": SettingSpec(0.0, 5.0, low_open=True),
    "compute_noise_likely": SettingSpec(0.0, 5.0, low_open=True),
    "compute_noise_speculative": SettingSpec(0.0, 5.0, low_open=True),
    "reference_year": SettingSpec(2020.0, 2035.0),
    "fit_start_year": SettingSpec(2010.0, 2035.0),
    "horizon_end_year": SettingSpec(2025.0, 2200.0),
    "grid_step_years": SettingSpec(0.0, 1.0, low_open=True),
    "stock_origin_year": SettingSpec(1990.0, 2022.0),
    "record_warmup_years": SettingSpec(0.0, 5.0),
    "horizon_fit_start_year": SettingSpec(2015.0, 2030.0),
    "horizon_link_knot_eci": SettingSpec(50.0, 250.0),
    "race_shock_persistence_years": SettingSpec(0.0, 20.0, low_open=True),
    "regime_break_rate_per_year": SettingSpec(0.0, 1.0),
    "regime_slowdown_share": SettingSpec(0.0, 1.0),
    "regime_slowdown_factor": SettingSpec(0.0, 1.0),
    "regime_acceleration_factor": SettingSpec(1.0, 10.0),
    "chip_price_usd_per_h100e": SettingSpec(0.0, 1e6, low_open=True),
    "chip_watts_per_h100e": SettingSpec(0.0, 1e4, low_open=True),
    "chip_hardware_year": SettingSpec(2015.0, 2035.0),
    "chip_price_performance_growth": SettingSpec(-1.0, 2.0),
    "chip_energy_efficiency_growth": SettingSpec(-1.0, 2.0),
}

REQUIRED_SETTINGS: tuple[str, ...] = tuple(SETTING_SPECS)

# Pairs (smaller, larger): the first setting may not exceed the second (equal allowed when the
# flag is False, strictly smaller required when True).
_SETTING_ORDER: tuple[tuple[str, str, bool], ...] = (
    ("compute_noise_confident", "compute_noise_likely", False),
    ("compute_noise_likely", "compute_noise_speculative", False),
    ("fit_start_year", "reference_year", True),
    ("reference_year", "horizon_end_year", True),
    ("stock_origin_year", "fit_start_year", True),
)

_SECTIONS: tuple[str, ...] = ("meta", "settings", "structures", "priors")
STRUCTURE_KEYS: tuple[str, ...] = ("weights", "pin", "fit", "holdout_years")
HOLDOUT_YEARS = SettingSpec(0.0, 5.0)
"""Range of ``[structures] holdout_years``: the years at the end of the data the structures are
refitted without and scored on (0: PSIS-LOO stacking of all the data instead)."""
"""Keys of the optional ``[structures]`` section, in the order :meth:`PriorSet.to_toml` writes."""
_META_KEYS: tuple[str, ...] = ("name", "description")
RESOLVED_FROM = "resolved_from"
"""``[meta]`` key of a resolved snapshot (``PriorSet.to_toml``): the set's name and its parents.
A snapshot may sit under any file name (a run folder's ``priors.toml``)."""
_PRIOR_FIELDS: tuple[str, ...] = (
    "dist",
    "interval",
    "prob",
    *ALL_PARAMS,
    "unit",
    "description",
    "source",
)
_SET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_set_name(text: str) -> bool:
    """A bare set name (``default``), as opposed to a file path."""
    return bool(_SET_NAME_PATTERN.match(text)) and not text.endswith(".toml")


@dataclass(frozen=True)
class CheckedSet:
    """A prior set that passed the checks, as plain values (``priors``: key -> Prior fields)."""

    name: str
    description: str
    settings: dict[str, float]
    priors: dict[str, dict[str, Any]]
    resolved_from: tuple[str, ...] | None
    structures: dict[str, Any]
    """``[structures]`` as plain values: any of ``weights`` (name -> weight, summing to 1),
    ``pin`` (a name), ``fit`` (names in registry order) and ``holdout_years``; empty when the
    file has none."""


_TEXT_FIELDS: tuple[str, ...] = ("dist", "unit", "source", "description")
_REQUIRED_TEXT_FIELDS: dict[str, str] = {
    "dist": "every prior names its distribution",
    "unit": "every prior states its unit",
    "source": "every prior cites its source",
    "description": "every prior says what it means",
}


def check_prior(key: str, table: Any, report: Reporter) -> dict[str, Any] | None:
    """Validate one ``[priors.KEY]`` table: the fields of its ``Prior``, or None after issues."""
    base = ("priors", key)
    if not isinstance(table, dict):
        report.add(base, f"expected a table ([priors.{key}]), got {describe_value(table)}")
        return None
    before = len(report.issues)
    for name in table:
        if name not in _PRIOR_FIELDS:
            reason = unknown_key_reason("field", name, _PRIOR_FIELDS, list_allowed=True)
            report.add((*base, name), reason)

    texts: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        if name not in table:
            continue
        value = table[name]
        if not isinstance(value, str):
            report.add((*base, name), f"expected a string, got {describe_value(value)}")
        elif not value.strip():
            report.add((*base, name), "must not be empty")
        else:
            texts[name] = value.strip()
    for name, why in _REQUIRED_TEXT_FIELDS.items():
        if name not in table:
            expected = f"; the model expects '{PRIOR_SPECS[key].unit}'" if name == "unit" else ""
            report.add((*base, name), f"missing ({why}{expected})", at=base)

    spec = PRIOR_SPECS.get(key)
    unit = texts.get("unit")
    if spec is not None and unit is not None and unit != spec.unit:
        report.add((*base, "unit"), f"'{unit}' is not the model's unit for {key} ('{spec.unit}')")

    dist = texts.get("dist")
    if dist is not None and dist not in FAMILIES:
        report.add(
            (*base, "dist"),
            f"unknown distribution '{dist}' (allowed: {', '.join(FAMILIES)})",
        )
        dist = None
    if dist is not None and spec is not None:
        _check_family_domain(key, dist, spec.domain, report)

    params = _check_statement(key, table, dist, report)
    if len(report.issues) > before or dist is None or params is None:
        return None
    if spec is not None and not _check_param_domain(key, dist, params, spec.domain, report):
        return None
    interval = table.get("interval")
    return dict(
        key=key,
        dist=dist,
        params=params,
        interval=(float(interval[0]), float(interval[1])) if interval is not None else None,
        prob=float(table["prob"]) if "prob" in table else None,
        unit=texts["unit"],
        source=texts["source"],
        description=texts["description"],
    )


def _check_family_domain(key: str, dist: str, domain: Domain, report: Reporter) -> None:
    """Report a family whose values can fall outside the parameter's domain."""
    path = ("priors", key, "dist")
    allowed = families_for(domain)
    if domain == "positive" and dist not in allowed:
        report.add(
            path,
            f"{dist} allows negative values but {key} must be positive (use {', '.join(allowed)})",
        )
    elif domain == "unit" and dist not in allowed:
        report.add(
            path,
            f"{dist} allows values outside (0, 1) but {key} is a share "
            f"(use {' or '.join(allowed)})",
        )


def _check_param_domain(
    key: str, dist: str, params: Mapping[str, float], domain: Domain, report: Reporter
) -> bool:
    """Uniform bounds must respect the parameter's domain; report and return False if not."""
    if dist != "uniform":
        return True
    lower, upper = params["lower"], params["upper"]
    if domain == "positive" and lower < 0:
        report.add(
            ("priors", key),
            f"uniform lower bound {_fmt(lower)} is below 0 but {key} must be positive",
        )
        return False
    if domain == "unit" and (lower < 0 or upper > 1):
        report.add(
            ("priors", key),
            f"uniform [{_fmt(lower)}, {_fmt(upper)}] leaves [0, 1] but {key} is a share",
        )
        return False
    return True


def _check_statement(
    key: str, table: Mapping[str, Any], dist: str | None, report: Reporter
) -> dict[str, float] | None:
    """Validate the interval or the explicit parameters; return the parameters if all is well."""
    base = ("priors", key)
    given_params = [name for name in ALL_PARAMS if name in table]
    has_interval = "interval" in table
    has_prob = "prob" in table
    ok = True

    interval: tuple[float, float] | None = None
    if has_interval:
        interval = _check_interval_value(table["interval"], (*base, "interval"), report)
        ok &= interval is not None
    prob: float | None = None
    if has_prob:
        prob, problem = as_number(table["prob"])
        if problem:
            report.add((*base, "prob"), problem)
            ok = False
        elif dist == "uniform":
            if prob != 1:
                report.add(
                    (*base, "prob"),
                    "a uniform prior's interval is its whole support: "
                    f"prob must be 1, got {_fmt(prob)}",
                )
                ok = False
        elif prob is not None and not 0 < prob < 1:
            report.add((*base, "prob"), f"{_fmt(prob)} is not in (0, 1)")
            ok = False
    param_values: dict[str, float] = {}
    for name in given_params:
        value, problem = as_number(table[name])
        if problem:
            report.add((*base, name), problem)
            ok = False
        else:
            param_values[name] = value  # type: ignore[assignment]

    if has_interval and given_params:
        report.add(
            base,
            f"states both an interval and parameters ({', '.join(given_params)}); use one",
        )
        return None
    if has_interval != has_prob:
        missing, reason = (
            ("prob", "an interval needs its probability, e.g. prob = 0.9")
            if has_interval
            else ("interval", "prob is given but the interval it belongs to is not")
        )
        report.add((*base, missing), f"missing ({reason})", at=base)
        return None
    if dist is None:
        return None
    if not has_interval and not given_params:
        wanted = " and ".join(FAMILIES[dist].params)
        report.add(
            base,
            f"states neither an interval (interval + prob) nor parameters ({wanted})",
        )
        return None
    if has_interval:
        if not ok or interval is None or prob is None:
            return None
        try:
            return derive_params(dist, interval[0], interval[1], prob)
        except DerivationError as exc:
            report.add((*base, "interval"), str(exc))
            return None
    return _check_explicit_params(key, dist, param_values, given_params, ok, report)


def _check_interval_value(
    value: Any, path: tuple[str, ...], report: Reporter
) -> tuple[float, float] | None:
    """An interval must be [lower, upper]: two finite numbers with lower < upper."""
    if not isinstance(value, list) or len(value) != 2:
        got = f"{len(value)} items" if isinstance(value, list) else describe_value(value)
        report.add(path, f"expected [lower, upper] (two numbers), got {got}")
        return None
    bounds: list[float] = []
    for item in value:
        number, problem = as_number(item)
        if problem:
            report.add(path, f"bound {problem}")
            return None
        bounds.append(number)  # type: ignore[arg-type]
    lo, hi = bounds
    if lo >= hi:
        relation = "above" if lo > hi else "equal to"
        report.add(path, f"lower bound {_fmt(lo)} is {relation} upper bound {_fmt(hi)}")
        return None
    return lo, hi


def _check_explicit_params(
    key: str,
    dist: str,
    values: Mapping[str, float],
    given: Sequence[str],
    ok: bool,
    report: Reporter,
) -> dict[str, float] | None:
    """Explicit parameters: exactly the family's, each possible."""
    base = ("priors", key)
    wanted = FAMILIES[dist].params
    for name in given:
        if name not in wanted:
            report.add(
                (*base, name), f"not a parameter of {dist} (its parameters: {', '.join(wanted)})"
            )
            ok = False
    for name in wanted:
        if name not in given:
            report.add(
                (*base, name),
                f"missing ({dist} with explicit parameters needs {' and '.join(wanted)})",
                at=base,
            )
            ok = False
    if not ok:
        return None
    params = {name: values[name] for name in wanted}
    for name in wanted:
        value = params[name]
        if name in ("sigma", "alpha", "beta") and value <= 0:
            report.add((*base, name), f"must be above 0, got {_fmt(value)}")
            ok = False
    if dist == "uniform" and params["lower"] >= params["upper"]:
        relation = "above" if params["lower"] > params["upper"] else "equal to"
        report.add(
            (*base, "lower"),
            f"lower {_fmt(params['lower'])} is {relation} upper {_fmt(params['upper'])}",
        )
        ok = False
    return params if ok else None


def _check_meta(
    data: Mapping[str, Any], stem: str | None, report: Reporter
) -> tuple[str, str, tuple[str, ...] | None]:
    """Validate ``[meta]``; return (name, description, resolved_from), possibly empty."""
    meta = data.get("meta")
    if meta is None:
        report.add(("meta",), "missing section ([meta] with name and description)")
        return "", "", None
    if not isinstance(meta, dict):
        report.add(("meta",), f"expected a table, got {describe_value(meta)}")
        return "", "", None
    for name in meta:
        if name not in _META_KEYS and name != RESOLVED_FROM:
            extra = (
                ' (extends is a top-level key: write extends = "default" above [meta])'
                if name == "extends"
                else ""
            )
            reason = unknown_key_reason("key", name, _META_KEYS, list_allowed=True)
            report.add(("meta", name), reason + extra)
    values: dict[str, str] = {}
    for name in _META_KEYS:
        if name not in meta:
            report.add(("meta", name), "missing", at=("meta",))
            continue
        value = meta[name]
        if not isinstance(value, str) or not value.strip():
            got = "an empty string" if isinstance(value, str) else describe_value(value)
            report.add(("meta", name), f"expected a non-empty string, got {got}")
            continue
        values[name] = value.strip()
    name = values.get("name", "")
    resolved_from = _check_resolved_from(meta, name, report)
    if name and stem is not None and name != stem and RESOLVED_FROM not in meta:
        report.add(
            ("meta", "name"),
            f"'{name}' does not match the file name '{stem}.toml' "
            "(a prior set is found by its file name)",
        )
    return name, values.get("description", ""), resolved_from


def _check_resolved_from(
    meta: Mapping[str, Any], name: str, report: Reporter
) -> tuple[str, ...] | None:
    """``meta.resolved_from`` of a snapshot: set names, starting with the set's own name."""
    if RESOLVED_FROM not in meta:
        return None
    value = meta[RESOLVED_FROM]
    path = ("meta", RESOLVED_FROM)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and is_set_name(item) for item in value)
    ):
        report.add(path, f"expected a non-empty array of prior set names, got {value!r}")
        return None
    if name and value[0] != name:
        report.add(path, f"must start with the set's own name '{name}', got '{value[0]}'")
        return None
    return tuple(value)


def _check_settings(data: Mapping[str, Any], report: Reporter) -> dict[str, float]:
    """Validate ``[settings]``: every required setting, a number in its range, in order."""
    settings = data.get("settings")
    if settings is None:
        report.add(("settings",), "missing section ([settings])")
        return {}
    if not isinstance(settings, dict):
        report.add(("settings",), f"expected a table, got {describe_value(settings)}")
        return {}
    result: dict[str, float] = {}
    for name, value in settings.items():
        path = ("settings", name)
        if name not in SETTING_SPECS:
            report.add(
                path, unknown_key_reason("setting", name, REQUIRED_SETTINGS, list_allowed=True)
            )
            continue
        number, problem = as_number(value)
        if problem:
            report.add(path, problem)
            continue
        spec = SETTING_SPECS[name]
        if not spec.contains(number):  # type: ignore[arg-type]
            report.add(path, f"{_fmt(number)} is not in {spec.describe()}")
            continue
        result[name] = number  # type: ignore[assignment]
    for name in REQUIRED_SETTINGS:
        if name not in settings:
            report.add(("settings", name), "missing required setting", at=("settings",))
    for small, large, strict in _SETTING_ORDER:
        if small in result and large in result:
            a, b = result[small], result[large]
            if a > b or (strict and a == b):
                word = "below" if strict else "at most"
                report.add(
                    ("settings", small),
                    f"{_fmt(a)} must be {word} {large} ({_fmt(b)})",
                )
    return result


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights scaled to sum 1 (finite, non-negative, at least one positive), keys as given.

    Weights that already sum to 1 within 1e-12 are kept as they are, so normalising twice (a
    resolved set written by ``PriorSet.to_toml`` and loaded again) gives the same numbers.
    """
    values = [float(v) for v in weights.values()]
    if not values or any(not math.isfinite(v) or v < 0 for v in values) or max(values) <= 0:
        raise ValueError(f"weights must be finite, non-negative, one positive: {dict(weights)}")
    top = max(values)
    if top <= 1.0 and abs(math.fsum(values) - 1.0) <= 1e-12:
        return {name: float(v) for name, v in weights.items()}
    # scale by the largest first: a sum of huge weights must not overflow
    scaled = [v / top for v in values]
    total = math.fsum(scaled)
    return {name: v / total for name, v in zip(weights, scaled, strict=True)}


def _structure_name(value: Any, path: tuple[str, ...], report: Reporter) -> str | None:
    """A known structure name, or None after reporting what is wrong with ``value``."""
    if not isinstance(value, str):
        report.add(path, f"expected a structure name (a string), got {describe_value(value)}")
        return None
    try:
        return structure_info(value).name
    except UnknownStructureError as exc:
        report.add(path, str(exc))
        return None


def _check_structures(data: Mapping[str, Any], report: Reporter) -> dict[str, Any]:
    """Validate the optional ``[structures]``: how the model's structures are weighed.

    Returns any of ``weights`` (normalised), ``pin`` and ``fit`` (in registry order); an empty
    dict when the section is absent (fit every structure, weights by stacking) or has errors.
    """
    section = data.get("structures")
    if section is None:
        return {}
    base = ("structures",)
    if not isinstance(section, dict):
        report.add(base, f"expected a table ([structures]), got {describe_value(section)}")
        return {}
    before = len(report.issues)
    for name in section:
        if name not in STRUCTURE_KEYS:
            reason = unknown_key_reason("key", name, STRUCTURE_KEYS, list_allowed=True)
            report.add((*base, name), reason)
    known = ", ".join(STRUCTURE_NAMES)

    fit: list[str] | None = None
    if "fit" in section:
        value, path = section["fit"], (*base, "fit")
        if not isinstance(value, list) or not value:
            got = "an empty array" if isinstance(value, list) else describe_value(value)
            report.add(path, f"expected a non-empty array of structure names ({known}), got {got}")
        else:
            names = [_structure_name(item, path, report) for item in value]
            repeated = sorted({n for n in names if n is not None and names.count(n) > 1})
            if repeated:
                report.add(path, f"names {', '.join(repeated)} more than once")
            if None not in names and not repeated:
                fit = [name for name in STRUCTURE_NAMES if name in names]

    pin: str | None = None
    if "pin" in section:
        pin = _structure_name(section["pin"], (*base, "pin"), report)
        if "weights" in section:
            report.add(
                (*base, "pin"),
                "pin and weights exclude each other: pin one structure or weigh several",
            )
        elif pin is not None and fit is not None and pin not in fit:
            report.add(
                (*base, "pin"),
                f"'{pin}' is not among the structures to fit (fit = {fit!r})",
            )

    weights: dict[str, float] | None = None
    if "weights" in section:
        weights = _check_weights(section["weights"], fit, report)

    holdout: float | None = None
    if "holdout_years" in section:
        value, path = section["holdout_years"], (*base, "holdout_years")
        if isinstance(value, bool) or not isinstance(value, int | float):
            report.add(path, f"expected a number of years, got {describe_value(value)}")
        elif not math.isfinite(value) or not HOLDOUT_YEARS.contains(float(value)):
            report.add(
                path,
                f"{value!r} is outside {HOLDOUT_YEARS.describe()} (years at the end of the data "
                "held out to weigh the structures; 0 weighs them by leave-one-out instead)",
            )
        else:
            holdout = float(value)

    if len(report.issues) > before:
        return {}
    out: dict[str, Any] = {}
    if weights is not None:
        out["weights"] = weights
    if pin is not None:
        out["pin"] = pin
    if fit is not None:
        out["fit"] = fit
    if holdout is not None:
        out["holdout_years"] = holdout
    return out


def _check_weights(
    value: Any, fit: Sequence[str] | None, report: Reporter
) -> dict[str, float] | None:
    """``structures.weights``: a table of known names -> finite non-negative numbers."""
    path = ("structures", "weights")
    known = ", ".join(STRUCTURE_NAMES)
    if not isinstance(value, dict) or not value:
        got = "an empty table" if isinstance(value, dict) else describe_value(value)
        report.add(
            path,
            f"expected a table of structure name = weight, e.g. {{ {STRUCTURE_NAMES[0]} = 1 }}, "
            f"got {got}",
        )
        return None
    ok = True
    numbers: dict[str, float] = {}
    for name, raw in value.items():
        key_path = (*path, name)
        if name not in STRUCTURE_NAMES:
            close = unknown_key_reason("structure", name, STRUCTURE_NAMES, list_allowed=False)
            report.add(key_path, f"{close} (known structures: {known})")
            ok = False
            continue
        number, problem = as_number(raw)
        if problem:
            report.add(key_path, problem)
            ok = False
            continue
        if number < 0:  # type: ignore[operator]
            report.add(key_path, f"a weight cannot be negative, got {_fmt(number)}")
            ok = False
            continue
        if fit is not None and name not in fit:
            report.add(
                key_path,
                f"'{name}' has a weight but is not among the structures to fit (fit = {fit!r})",
            )
            ok = False
            continue
        numbers[name] = number  # type: ignore[assignment]
    if not ok:
        return None
    if max(numbers.values()) <= 0:
        report.add(path, "every weight is 0: at least one structure needs a positive weight")
        return None
    ordered = {name: numbers[name] for name in STRUCTURE_NAMES if name in numbers}
    return normalise_weights(ordered)


def _check_priors(data: Mapping[str, Any], report: Reporter) -> dict[str, dict[str, Any]]:
    """Validate ``[priors.*]``: every required prior present, no unknown ones, each valid."""
    section = data.get("priors")
    if section is None:
        report.add(("priors",), "missing section (one [priors.KEY] table per model parameter)")
        return {}
    if not isinstance(section, dict):
        report.add(("priors",), f"expected a table, got {describe_value(section)}")
        return {}
    priors: dict[str, dict[str, Any]] = {}
    for key, table in section.items():
        if key not in PRIOR_SPECS:
            reason = unknown_key_reason("prior", key, REQUIRED_PRIORS, list_allowed=False)
            report.add(
                ("priors", key), reason + (" (see priors/README.md)" if "?" not in reason else "")
            )
            continue
        prior = check_prior(key, table, report)
        if prior is not None:
            priors[key] = prior
    for key in REQUIRED_PRIORS:
        if key not in section:
            report.add(("priors", key), "missing required prior")
    return {key: priors[key] for key in REQUIRED_PRIORS if key in priors}


def check_prior_data(
    data: Mapping[str, Any], stem: str | None, report: Reporter
) -> CheckedSet | None:
    """Judge a parsed prior set; None after reporting every problem to ``report``.

    ``stem`` is the file's stem, which ``[meta] name`` must equal (None: no file name to match).
    A top-level ``extends`` is the loader's business and is not looked at here.
    """
    before = len(report.issues)
    for section in data:
        if section not in _SECTIONS and section != "extends":
            report.add(
                (section,), unknown_key_reason("section", section, _SECTIONS, list_allowed=True)
            )
    name, description, resolved_from = _check_meta(data, stem, report)
    settings = _check_settings(data, report)
    structures = _check_structures(data, report)
    priors = _check_priors(data, report)
    if len(report.issues) > before:
        return None
    return CheckedSet(
        name=name,
        description=description,
        settings={key: settings[key] for key in REQUIRED_SETTINGS},
        priors=priors,
        resolved_from=resolved_from,
        structures=structures,
    )
