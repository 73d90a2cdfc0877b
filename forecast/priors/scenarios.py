"""Scenarios: named changes to the forward projection (after the fit, no refit).

Scenarios live in ``priors/scenarios.toml``. Each ``[scenario.NAME]`` table has a description,
sources, and optionally a start date, a threshold override and per-country lever tables::

    [scenario.tightened_controls]
    description = "..."
    sources = ["..."]
    start = 2026-06-01                 # TOML date: when the levers take effect
    threshold_horizon_minutes = 20000  # optional override of the breakthrough threshold
    [scenario.tightened_controls.CN]
    additions_multiplier = 0.6         # x the country's accelerator additions from start
    growth_multiplier = 0.8            # x the growth rate (ln/yr) of its additions from start
    efficiency_rate_multiplier = 1.0   # x efficiency_rate (OOM/yr) from start
    efficiency_jump_oom = 0.0          # one-off efficiency gain at start, OOM of effective compute
    [scenario.tightened_controls.CN.smuggled]
    additions_multiplier = 0.5         # a supply channel (priors/countries.toml): its additions
                                       # (and growth_multiplier) only, times the country's lever

Validation mirrors the prior files: every problem is reported at once with file, line, key and
reason. What a scenario means is the projection's business; this module only states it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from forecast.core.definitions import BASELINE_SCENARIO, COUNTRIES, country_info
from forecast.core.errors import UsageError
from forecast.core.timeutil import date_to_year
from forecast.core.tomlfile import (
    Locator,
    Reporter,
    as_number,
    describe_value,
    display_path,
    parse_toml_bytes,
    read_toml,
    sorted_issues,
    unknown_key_reason,
)
from forecast.core.tomlfile import format_number as _fmt
from forecast.priors.priorset import SCENARIO_FILE_NAME, PriorError, PriorIssue, priors_dir

__all__ = [
    "BASELINE_SCENARIO",
    "COUNTRIES",
    "LEVER_RANGES",
    "START_RANGE",
    "Levers",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "check_scenario_file",
    "get_scenario",
    "load_scenarios",
    "parse_scenarios",
    "scenarios_path",
]

START_RANGE: tuple[date, date] = (date(2025, 1, 1), date(2060, 1, 1))
"""Earliest and latest allowed start dates (the projection runs from 2025 to the horizon end)."""

CHANNEL_LEVERS: tuple[str, ...] = ("additions_multiplier", "growth_multiplier")
"""Levers a supply channel's table may set (``[scenario.NAME.CN.smuggled]``)."""

LEVER_RANGES: dict[str, tuple[float, float]] = {
    "additions_multiplier": (0.0, math.inf),
    "growth_multiplier": (0.0, math.inf),
    "efficiency_rate_multiplier": (0.0, math.inf),
    "efficiency_jump_oom": (-3.0, 3.0),
}
"""Closed range of each per-country lever (multipliers are unitless, the jump is in OOM)."""

_SCENARIO_KEYS: tuple[str, ...] = ("description", "sources", "start", "threshold_horizon_minutes")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class ScenarioError(PriorError):
    """A scenario file that cannot be used; ``issues`` lists every problem found."""


class UnknownScenarioError(UsageError):
    """A scenario name that the scenario file does not define; the message lists known names."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(
            f"unknown scenario '{name}' (known scenarios: {', '.join(known) or 'none'})"
        )


@dataclass(frozen=True)
class Levers:
    """Changes to one country's projection from the scenario's start (neutral by default).

    ``additions_multiplier`` multiplies the rate of accelerator additions (H100e/yr);
    ``growth_multiplier`` multiplies the growth rate of those additions (ln/yr);
    ``efficiency_rate_multiplier`` multiplies efficiency_rate (OOM/yr);
    ``efficiency_jump_oom`` is a one-off gain in effective compute at the start (OOM).
    """

    additions_multiplier: float = 1.0
    growth_multiplier: float = 1.0
    efficiency_rate_multiplier: float = 1.0
    efficiency_jump_oom: float = 0.0

    @property
    def is_neutral(self) -> bool:
        """True if these levers change nothing."""
        return self == Levers()


@dataclass(frozen=True)
class Scenario:
    """A named scenario. ``start_year`` is a decimal year (2026-04-01 -> 2026.2466)."""

    name: str
    description: str
    sources: tuple[str, ...]
    start_year: float | None
    levers: dict[str, Levers] = field(default_factory=dict)
    threshold_horizon_minutes: float | None = None
    start_date: date | None = None
    channels: dict[str, dict[str, Levers]] = field(default_factory=dict)
    """Supply-channel levers per country: {"CN": {"smuggled": Levers(...)}} (supply levers only;
    a channel's factor multiplies the country's own)."""

    def lever(self, country: str) -> Levers:
        """The levers for ``country`` (neutral Levers() for a country without a table)."""
        return self.levers.get(country, Levers())

    def channel_levers(self, country: str) -> dict[str, Levers]:
        """The supply-channel levers of ``country`` by channel name (empty: none)."""
        return self.channels.get(country, {})

    @property
    def is_baseline(self) -> bool:
        """True if the scenario changes nothing (no levers, no threshold override)."""
        return (
            self.threshold_horizon_minutes is None
            and all(levers.is_neutral for levers in self.levers.values())
            and all(lv.is_neutral for ch in self.channels.values() for lv in ch.values())
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the scenario."""
        return {
            "name": self.name,
            "description": self.description,
            "sources": list(self.sources),
            "start": self.start_date.isoformat() if self.start_date else None,
            "start_year": self.start_year,
            "threshold_horizon_minutes": self.threshold_horizon_minutes,
            "levers": {country: asdict(self.lever(country)) for country in COUNTRIES},
            "channel_levers": {
                country: {name: asdict(lv) for name, lv in chans.items()}
                for country, chans in self.channels.items()
                if chans
            },
            "neutral_levers": asdict(Levers()),
        }


def scenarios_path() -> Path:
    """The scenario file: ``priors_dir() / "scenarios.toml"``."""
    return priors_dir() / SCENARIO_FILE_NAME


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------


def _check_channels(
    base: tuple[str, ...], country: str, table: dict, report: Reporter
) -> dict[str, Levers]:
    """The channel sub-tables of one country table (removed from ``table``), validated."""
    known = tuple(c.name for c in country_info(country).components)
    out: dict[str, Levers] = {}
    for name in [k for k, v in table.items() if isinstance(v, dict)]:
        sub = table.pop(name)
        path = (*base, name)
        if name not in known:
            where = f"{country}'s supply channels: {', '.join(known)}" if known else "none"
            report.add(path, f"unknown supply channel {name!r} ({where})")
            continue
        checked = _check_levers(path, sub, report, allowed=CHANNEL_LEVERS)
        if checked is not None:
            out[name] = checked
    return out


def _check_levers(
    base: tuple[str, ...],
    table: Any,
    report: Reporter,
    allowed: tuple[str, ...] = tuple(LEVER_RANGES),
) -> Levers | None:
    """Validate one country (or supply-channel) table of levers."""
    if not isinstance(table, dict):
        report.add(base, f"expected a table of levers, got {describe_value(table)}")
        return None
    before = len(report.issues)
    values: dict[str, float] = {}
    for name, value in table.items():
        path = (*base, name)
        if name not in allowed and name in LEVER_RANGES:
            report.add(path, f"a supply channel takes only {', '.join(allowed)}")
            continue
        if name not in LEVER_RANGES:
            reason = unknown_key_reason("lever", name, tuple(LEVER_RANGES), list_allowed=True)
            report.add(path, reason)
            continue
        number, problem = as_number(value)
        if problem:
            report.add(path, problem)
            continue
        low, high = LEVER_RANGES[name]
        if low <= number <= high:  # type: ignore[operator]
            values[name] = number  # type: ignore[assignment]
        elif math.isinf(high):
            report.add(path, f"must be at least {_fmt(low)}, got {_fmt(number)}")
        else:
            report.add(path, f"must be between {_fmt(low)} and {_fmt(high)}, got {_fmt(number)}")
    if len(report.issues) > before:
        return None
    return Levers(**values)


def _check_start(base: tuple[str, ...], value: Any, report: Reporter) -> date | None:
    path = (*base, "start")
    if isinstance(value, datetime) or not isinstance(value, date):
        report.add(path, f"expected a TOML date like 2026-04-01, got {describe_value(value)}")
        return None
    low, high = START_RANGE
    if not low <= value <= high:
        report.add(path, f"{value.isoformat()} is outside [{low.isoformat()}, {high.isoformat()}]")
        return None
    return value


def _check_sources(base: tuple[str, ...], value: Any, report: Reporter) -> tuple[str, ...] | None:
    path = (*base, "sources")
    if not isinstance(value, list) or not value:
        got = "an empty array" if value == [] else describe_value(value)
        report.add(path, f"expected a non-empty array of strings, got {got}")
        return None
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            report.add(path, f"item {index + 1} must be a non-empty string")
            return None
    return tuple(item.strip() for item in value)


def _check_scenario(name: str, table: Any, report: Reporter) -> Scenario | None:
    """Validate one ``[scenario.NAME]`` table."""
    base = ("scenario", name)
    if not isinstance(table, dict):
        report.add(base, f"expected a table ([scenario.{name}]), got {describe_value(table)}")
        return None
    before = len(report.issues)
    if not name or not set(name) <= _NAME_CHARS:
        report.add(base, "scenario names use letters, digits, '_' and '-' only")

    description: str | None = None
    sources: tuple[str, ...] | None = None
    start: date | None = None
    threshold: float | None = None
    levers: dict[str, Levers] = {}
    channels: dict[str, dict[str, Levers]] = {}
    for key, value in table.items():
        path = (*base, key)
        if key in COUNTRIES:
            if isinstance(value, dict):
                value = dict(value)
                channels[key] = _check_channels(path, key, value, report)
            checked = _check_levers(path, value, report)
            if checked is not None:
                levers[key] = checked
        elif isinstance(value, dict):
            report.add(
                path,
                unknown_key_reason("country", key, COUNTRIES, list_allowed=False)
                + f" (known countries: {', '.join(COUNTRIES)})",
            )
        elif key == "description":
            if not isinstance(value, str) or not value.strip():
                got = "an empty string" if isinstance(value, str) else describe_value(value)
                report.add(path, f"expected a non-empty string, got {got}")
            else:
                description = value.strip()
        elif key == "sources":
            sources = _check_sources(base, value, report)
        elif key == "start":
            start = _check_start(base, value, report)
        elif key == "threshold_horizon_minutes":
            number, problem = as_number(value)
            if problem:
                report.add(path, problem)
            elif number <= 0:  # type: ignore[operator]
                report.add(path, f"must be above 0 minutes, got {_fmt(number)}")
            else:
                threshold = number
        else:
            allowed = (*_SCENARIO_KEYS, *COUNTRIES)
            report.add(path, unknown_key_reason("key", key, allowed, list_allowed=True))

    for key in ("description", "sources"):
        if key not in table:
            report.add((*base, key), "missing", at=base)
    has_changes = "threshold_horizon_minutes" in table or any(
        isinstance(table.get(country), dict) and table[country] for country in COUNTRIES
    )
    if has_changes and "start" not in table:
        report.add(
            (*base, "start"),
            "missing (required when a scenario has levers or a threshold override)",
            at=base,
        )
    if len(report.issues) > before or description is None or sources is None:
        return None
    return Scenario(
        name=name,
        description=description,
        sources=sources,
        start_year=date_to_year(start) if start is not None else None,
        levers={country: levers.get(country, Levers()) for country in COUNTRIES},
        threshold_horizon_minutes=threshold,
        start_date=start,
        channels={country: chans for country, chans in channels.items() if chans},
    )


def _check_scenario_data(data: Mapping[str, Any], report: Reporter) -> dict[str, Scenario]:
    for key in data:
        if key != "scenario":
            report.add((key,), unknown_key_reason("section", key, ("scenario",), list_allowed=True))
    section = data.get("scenario")
    if section is None:
        report.add(("scenario",), "missing section (one [scenario.NAME] table per scenario)")
        return {}
    if not isinstance(section, dict):
        report.add(("scenario",), f"expected a table, got {describe_value(section)}")
        return {}
    scenarios: dict[str, Scenario] = {}
    for name, table in section.items():
        checked = _check_scenario(name, table, report)
        if checked is not None:
            scenarios[name] = checked
    if BASELINE_SCENARIO not in section:
        report.add(
            ("scenario", BASELINE_SCENARIO),
            f"missing (every scenario file defines the baseline '{BASELINE_SCENARIO}')",
        )
    return scenarios


def _check_scenario_bytes(
    raw: bytes, label: str
) -> tuple[dict[str, Scenario] | None, list[PriorIssue]]:
    text, data, issues = parse_toml_bytes(raw, label)
    if data is None or text is None:
        return None, issues
    report = Reporter(label, Locator(text))
    scenarios = _check_scenario_data(data, report)
    if report.issues:
        return None, sorted_issues(report.issues)
    return scenarios, []


def check_scenario_file(path: Path) -> tuple[dict[str, Scenario] | None, list[PriorIssue]]:
    """Validate a scenario file: (scenarios, []) or (None, every issue found)."""
    raw, _text, _data, issues = read_toml(path, "scenario")
    if raw is None:
        return None, issues
    return _check_scenario_bytes(raw, display_path(path))


def scenario_file_hash(path: Path | None = None) -> str:
    """sha256 hex digest of the scenario file's bytes (to record which scenarios a run used)."""
    return hashlib.sha256((path or scenarios_path()).read_bytes()).hexdigest()


def parse_scenarios(text: str, file: str = "<string>") -> dict[str, Scenario]:
    """Validate scenarios given as TOML text; ``file`` names it in messages."""
    scenarios, issues = _check_scenario_bytes(text.encode("utf-8"), file)
    if scenarios is None:
        raise ScenarioError(issues)
    return scenarios


def load_scenarios(path: Path | None = None) -> dict[str, Scenario]:
    """Load and validate the scenario file (default :func:`scenarios_path`), in file order.

    Raises :class:`ScenarioError` listing every problem found.
    """
    scenarios, issues = check_scenario_file(path or scenarios_path())
    if scenarios is None:
        raise ScenarioError(issues)
    return scenarios


def get_scenario(name: str, scenarios: dict[str, Scenario] | None = None) -> Scenario:
    """The scenario called ``name`` (from ``scenarios``, else the scenario file).

    Raises :class:`UnknownScenarioError` (a :class:`~forecast.core.errors.UsageError`) listing the
    known names when there is none.
    """
    known = scenarios if scenarios is not None else load_scenarios()
    try:
        return known[name]
    except KeyError:
        raise UnknownScenarioError(name, list(known)) from None
