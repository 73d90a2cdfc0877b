"""Named and custom capability thresholds: which level of the frontier counts as "arrival".

Without a threshold the answer uses the prior set's breakthrough threshold (an uncertain METR
50% horizon, one value per draw). ``--threshold`` / ``threshold=`` replace it by:

- a name from ``priors/thresholds.toml`` (each with its justification and sources), or
- a custom value ``KIND:VALUE``: ``horizon50:MINUTES`` (METR v1.1 50% horizon),
  ``horizon80:MINUTES`` (METR 80% horizon, converted to a 50% horizon by the file's
  ``horizon80_to_horizon50`` factor)
  or ``eci:POINTS`` (Epoch Capabilities Index level).

A horizon becomes an ECI level per draw through the fitted ECI-to-horizon link
(:meth:`~forecast.model.projection.Projector.capability_for_horizon`); an ECI level is used as is.
Nothing is refitted: the projected capability paths stay, only the level they must cross moves.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.definitions import priors_dir
from forecast.core.errors import UsageError
from forecast.model.projection import Projector
from forecast.priors.priorset import THRESHOLD_FILE_NAME

KINDS: dict[str, str] = {
    "horizon50": "minutes",
    "horizon80": "minutes",
    "eci": "ECI points",
}
"""Threshold kinds and the unit of their value."""
RANGES: dict[str, tuple[float, float]] = {
    "horizon50": (0.01, 1e8),
    "horizon80": (0.01, 1e8),
    "eci": (50.0, 400.0),
}
"""Closed range of a custom value per kind (minutes: 0.6 s to 190 years; ECI points)."""
DEFAULT_HORIZON80_TO_50 = 5.4
_CUSTOM = re.compile(r"^(horizon50|horizon80|eci):(.+)$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ThresholdFileError(UsageError):
    """The threshold file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Threshold:
    """A capability threshold: its kind and value, and for a named one its documentation."""

    kind: str
    value: float
    name: str | None = None
    description: str = ""
    justification: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        """How answers name it: the name, else ``kind:value``."""
        return self.name or f"{self.kind}:{self.value:g}"

    def to_dict(self, factor: float = DEFAULT_HORIZON80_TO_50) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "unit": KINDS[self.kind],
            "label": self.label,
        }
        if self.kind == "horizon80":
            out["horizon50_minutes"] = round(self.value * factor, 3)
            out["conversion"] = f"50% horizon = {factor:g} x 80% horizon"
        if self.name:
            out |= {
                "description": self.description,
                "justification": self.justification,
                "sources": list(self.sources),
            }
        return out


@dataclass(frozen=True)
class ThresholdTable:
    """The named thresholds and the 80%-to-50% horizon conversion."""

    named: dict[str, Threshold]
    horizon80_to_horizon50: float = DEFAULT_HORIZON80_TO_50
    conversion_justification: str = ""
    conversion_sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "default": "the prior set's threshold_horizon_minutes (uncertain; one value per draw)",
            "conversion": {
                "horizon80_to_horizon50": self.horizon80_to_horizon50,
                "justification": self.conversion_justification,
                "sources": list(self.conversion_sources),
            },
            "thresholds": [t.to_dict(self.horizon80_to_horizon50) for t in self.named.values()],
        }


def thresholds_path() -> Path:
    return priors_dir() / THRESHOLD_FILE_NAME


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ThresholdFileError(f"{where}.{key}: expected a non-empty string")
    return value.strip()


def _sources(table: dict[str, Any], where: str) -> tuple[str, ...]:
    value = table.get("sources")
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise ThresholdFileError(f"{where}.sources: expected a non-empty array of strings")
    return tuple(value)


def check_value(kind: str, value: Any, where: str) -> float:
    """A threshold value in its kind's range, as a float; UsageError in words otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    low, high = RANGES[kind]
    if not math.isfinite(number) or not low <= number <= high:
        raise UsageError(
            f"{where}: {kind} value must be between {low:g} and {high:g} {KINDS[kind]}, "
            f"got {value!r}"
        )
    return number


def parse_table(data: dict[str, Any], file: str = THRESHOLD_FILE_NAME) -> ThresholdTable:
    """Validate the parsed threshold file."""
    unknown = set(data) - {"threshold", "conversion"}
    if unknown:
        raise ThresholdFileError(f"{file}: unknown section {sorted(unknown)[0]!r}")
    conv = data.get("conversion", {})
    factor = conv.get("horizon80_to_horizon50", DEFAULT_HORIZON80_TO_50)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor >= 1:
        raise ThresholdFileError(f"{file}: conversion.horizon80_to_horizon50 must be >= 1")
    named = {}
    for name, table in (data.get("threshold") or {}).items():
        where = f"{file}: threshold.{name}"
        if not _NAME.match(name) or not isinstance(table, dict):
            raise ThresholdFileError(f"{where}: expected a table named with letters, digits, _ -")
        extra = set(table) - {"kind", "value", "description", "justification", "sources"}
        if extra:
            raise ThresholdFileError(f"{where}: unknown key {sorted(extra)[0]!r}")
        kind = table.get("kind")
        if kind not in KINDS:
            raise ThresholdFileError(f"{where}.kind: expected one of {', '.join(KINDS)}")
        try:
            value = check_value(kind, table.get("value"), f"{where}.value")
        except UsageError as exc:
            raise ThresholdFileError(str(exc)) from None
        named[name] = Threshold(
            kind=kind,
            value=value,
            name=name,
            description=_text(table, "description", where),
            justification=_text(table, "justification", where),
            sources=_sources(table, where),
        )
    return ThresholdTable(
        named=named,
        horizon80_to_horizon50=float(factor),
        conversion_justification=str(conv.get("justification", "")),
        conversion_sources=tuple(conv.get("sources", ())),
    )


def load_thresholds(path: Path | None = None) -> ThresholdTable:
    """The named thresholds of ``priors/thresholds.toml`` (empty when the file is absent)."""
    path = path or thresholds_path()
    if not path.is_file():
        return ThresholdTable(named={})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdFileError(f"{path.name}: not valid TOML ({exc})") from None
    return parse_table(data, path.name)


def parse_threshold(text: str, table: ThresholdTable | None = None) -> Threshold:
    """``NAME`` from the threshold file, or ``KIND:VALUE``; UsageError naming what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("threshold: give a name or KIND:VALUE (e.g. horizon50:10080)")
    text = text.strip()
    custom = _CUSTOM.match(text)
    if custom:
        kind, raw = custom.groups()
        try:
            number = float(raw)
        except ValueError:
            raise UsageError(f"threshold: {raw!r} is not a number (in {text!r})") from None
        return Threshold(kind=kind, value=check_value(kind, number, "threshold"))
    table = table if table is not None else load_thresholds()
    if text in table.named:
        return table.named[text]
    known = ", ".join(table.named) or "none"
    raise UsageError(
        f"threshold: unknown threshold {text[:64]!r}; give a name (known: {known}) or "
        f"KIND:VALUE with KIND one of {', '.join(KINDS)} (e.g. horizon50:10080, eci:175)"
    )


def level(
    projector: Projector, threshold: Threshold, factor: float = DEFAULT_HORIZON80_TO_50
) -> np.ndarray:
    """The threshold as an ECI level per draw."""
    if threshold.kind == "eci":
        return np.full(projector.n_draws, float(threshold.value))
    minutes = threshold.value * (factor if threshold.kind == "horizon80" else 1.0)
    return np.asarray(projector.capability_for_horizon(minutes), dtype=float)
