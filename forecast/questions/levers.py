"""Ad-hoc levers per request: ``--lever CN.additions_multiplier=0.6 --lever CN.start=2027-01-01``.

Each lever is ``COUNTRY.LEVER=NUMBER`` (a lever of the scenario file: additions_multiplier,
growth_multiplier, efficiency_rate_multiplier, efficiency_jump_oom),
``COUNTRY.CHANNEL.LEVER=NUMBER`` (a supply channel's additions_multiplier or growth_multiplier,
e.g. ``CN.smuggled.additions_multiplier=0.5``) or ``start=YYYY-MM-DD`` (also
written ``COUNTRY.start=``; a scenario has one start date for every country). They are laid over
the named scenario (default status quo): a lever given here replaces that scenario's value, the
others stay. The result is checked by the scenario file's own validator
(:func:`forecast.priors.scenarios._check_scenario`), so the ranges and messages are the same as
for a scenario written in ``scenarios.toml``; a scenario with levers needs a start date, from the
named scenario or from ``start=``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from forecast.core.definitions import COUNTRIES, country_info
from forecast.core.errors import UsageError
from forecast.core.tomlfile import Reporter
from forecast.priors.scenarios import (
    CHANNEL_LEVERS,
    LEVER_RANGES,
    Levers,
    Scenario,
    _check_scenario,
)

_LEVER = re.compile(r"^(?:([A-Za-z]{2,3})\.)?(?:([a-z_]+)\.)?([a-z_]+)=(.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_LEVERS = 32


@dataclass(frozen=True)
class LeverSetting:
    """One parsed ``--lever``: country (None for ``start``), supply channel (None: the whole
    country), lever name, value."""

    country: str | None
    name: str
    value: float | date
    channel: str | None = None

    @property
    def text(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, date) else f"{self.value:g}"
        channel = f"{self.channel}." if self.channel else ""
        return f"{self.country + '.' if self.country else ''}{channel}{self.name}={value}"


def parse_lever(text: str) -> LeverSetting:
    """One ``COUNTRY.LEVER=NUMBER`` or ``[COUNTRY.]start=YYYY-MM-DD``; UsageError in words."""
    found = _LEVER.match(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise UsageError(
            f"lever: {str(text)[:80]!r} is not COUNTRY.LEVER=NUMBER, "
            "COUNTRY.CHANNEL.LEVER=NUMBER or start=YYYY-MM-DD "
            "(e.g. CN.additions_multiplier=0.6, CN.smuggled.additions_multiplier=0.5)"
        )
    country, channel, name, raw = found.groups()
    raw = raw.strip()
    if country is not None:
        country = country.upper()
        if country not in COUNTRIES:
            raise UsageError(
                f"lever {text!r}: unknown country {country!r} (known: {', '.join(COUNTRIES)})"
            )
    if channel is not None:
        if country is None:
            raise UsageError(f"lever {text!r}: name the country, e.g. CN.{channel}.{name}={raw}")
        known = [c.name for c in country_info(country).components]
        if channel not in known:
            raise UsageError(
                f"lever {text!r}: {country} has no supply channel {channel!r} "
                f"(known: {', '.join(known) or 'none'})"
            )
        if name not in CHANNEL_LEVERS:
            raise UsageError(
                f"lever {text!r}: a supply channel takes only {', '.join(CHANNEL_LEVERS)}"
            )
    if name == "start":
        if channel is not None:
            raise UsageError(f"lever {text!r}: start is one date for the whole scenario")
        if not _DATE.match(raw):
            raise UsageError(f"lever {text!r}: start must be a date YYYY-MM-DD, got {raw!r}")
        try:
            return LeverSetting(country, "start", date.fromisoformat(raw))
        except ValueError:
            raise UsageError(f"lever {text!r}: {raw!r} is not a real date") from None
    if name not in LEVER_RANGES:
        raise UsageError(
            f"lever {text!r}: unknown lever {name!r} (known: start, {', '.join(LEVER_RANGES)})"
        )
    if country is None:
        raise UsageError(f"lever {text!r}: name the country, e.g. CN.{name}={raw}")
    try:
        number = float(raw)
    except ValueError:
        raise UsageError(f"lever {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(number):
        raise UsageError(f"lever {text!r}: {raw!r} must be a finite number")
    return LeverSetting(country, name, number, channel)


def parse_levers(texts: Sequence[str] | None) -> list[LeverSetting]:
    """Every ``--lever``; a lever given twice is an error (not last-wins)."""
    settings = [parse_lever(t) for t in texts or ()]
    if len(settings) > MAX_LEVERS:
        raise UsageError(f"lever: at most {MAX_LEVERS} levers, got {len(settings)}")
    seen: dict[tuple[str | None, ...], str] = {}
    starts = [s for s in settings if s.name == "start"]
    if len({s.value for s in starts}) > 1:
        raise UsageError("lever: start is given twice with different dates (one start per request)")
    for s in settings:
        key = (None, "start") if s.name == "start" else (s.country, s.channel, s.name)
        if key in seen and s.name != "start":
            raise UsageError(f"lever: {s.text.split('=')[0]} is given twice")
        seen[key] = s.text
    return settings


class _NoLines:
    """A locator for a table that has no file: every key is on line 0."""

    def line(self, *path: str) -> int:
        return 0


def with_levers(base: Scenario, settings: Sequence[LeverSetting], name: str) -> Scenario:
    """``base`` with the ad-hoc levers laid over it, validated as a scenario file's table."""
    table: dict[str, Any] = {
        "description": f"{base.name} with ad-hoc levers",
        "sources": ["request"],
    }
    start = base.start_date
    for s in settings:
        if s.name == "start":
            start = s.value  # type: ignore[assignment]
    if start is not None:
        table["start"] = start
    if base.threshold_horizon_minutes is not None:
        table["threshold_horizon_minutes"] = base.threshold_horizon_minutes
    for country in COUNTRIES:
        levers = {k: v for k, v in asdict(base.lever(country)).items() if v != getattr(Levers(), k)}
        levers |= {
            s.name: s.value
            for s in settings
            if s.country == country and s.channel is None and s.name != "start"
        }
        for channel, lv in base.channel_levers(country).items():
            levers[channel] = {k: v for k, v in asdict(lv).items() if v != getattr(Levers(), k)}
        for s in settings:
            if s.country == country and s.channel is not None:
                levers.setdefault(s.channel, {})[s.name] = s.value
        levers = {k: v for k, v in levers.items() if v != {}}
        if levers:
            table[country] = levers
    report = Reporter("lever", _NoLines())  # type: ignore[arg-type]
    checked = _check_scenario(name, table, report)
    if report.issues or checked is None:
        reasons = []
        for issue in report.issues:
            key = issue.key.removeprefix(f"scenario.{name}.")
            if key == "start" and "missing" in issue.reason:
                reasons.append("levers need a start date: add start=YYYY-MM-DD")
            else:
                reasons.append(f"{key}: {issue.reason}")
        raise UsageError("lever: " + "; ".join(reasons))
    return checked
