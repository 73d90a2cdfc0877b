"""Shared pieces of the publishers' formats: reading their CSV text, cleaning names, exact cells.

The per-source mappings (:mod:`forecast.data.source_epoch`, :mod:`forecast.data.source_metr`)
turn the publishers' rows into curated rows; ``tools/build_data.py`` writes them as the bundled
tables and :mod:`forecast.data.importers` compares them with the current tables. Both write a
cell with :func:`fmt_cell`, so a value read back from a bundled table compares as equal text.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from forecast.core.errors import ForecastError

Row = dict[str, object]
"""A curated row before it is written: column -> value (text, number, flag or None)."""

FIRST_YEAR = 2018
"""First year of the model tables (models, ECI)."""

EPOCH_MODELS = ("Epoch AI, Data on AI Models", "https://epoch.ai/data/ai-models")
EPOCH_OWNERS = ("Epoch AI, Data on AI Chip Owners", "https://epoch.ai/data/ai-chip-owners")
EPOCH_ECI = ("Epoch AI, Epoch Capabilities Index", "https://epoch.ai/eci")
EPOCH_HARDWARE = (
    "Epoch AI, Data on Machine Learning Hardware",
    "https://epoch.ai/data/machine-learning-hardware",
)
METR_URL = "https://metr.org/time-horizons/"
CONFIDENCES = ("Confident", "Likely", "Speculative", "Unknown")


class SourceFormatError(ForecastError):
    """A publisher's file does not look as the mapping expects; the message says what differs."""


def fmt_number(x: float) -> str:
    """Shortest exact text of a number: integers below 1e16 without a decimal point."""
    if not math.isfinite(x):
        raise SourceFormatError(f"non-finite number {x!r}")
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def fmt_cell(value: object) -> str:
    """CSV text of one cell: empty for None, true/false for flags, exact numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return fmt_number(float(value))
    text = str(value)
    if text != text.strip() or "\n" in text:
        raise SourceFormatError(f"cell {text!r} has stray whitespace")
    return text


def read_csv_text(
    text: str, header_prefix: str | None = None, name: str = "file"
) -> list[dict[str, str]]:
    """Rows of CSV text; with ``header_prefix``, lines before the header are skipped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if header_prefix is not None:
        lines = text.split("\n")
        start = next((i for i, line in enumerate(lines) if line.startswith(header_prefix)), None)
        if start is None:
            raise SourceFormatError(f"{name}: no header line starting with {header_prefix!r}")
        text = "\n".join(lines[start:])
    return list(csv.DictReader(io.StringIO(text, newline="")))


def header_of(text: str) -> list[str]:
    """The first CSV record of ``text`` (its header), or [] for an empty text."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for record in csv.reader(io.StringIO(text, newline="")):
        return record
    return []


def number(text: str) -> float | None:
    """A float from a source cell, or None when the cell is empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SourceFormatError(f"{text!r} is not a number") from None


def clean(text: str) -> str:
    """Collapse the whitespace of a source name (the sources carry stray tabs and newlines; a
    line break after a hyphen, as in "Cosmos-1.0-<newline>Diffusion-14B", is removed)."""
    return re.sub(r"\s+", " ", re.sub(r"-[ \t]*\n\s*", "-", text)).strip()


def need(record: dict[str, str], column: str, name: str) -> str:
    """A cell the format requires; a missing column is a :class:`SourceFormatError`."""
    if column not in record:
        raise SourceFormatError(f"{name}: column {column!r} is missing")
    value = record[column]
    return "" if value is None else value


@dataclass
class Mapped:
    """Curated rows mapped from one publisher's file.

    ``keys`` holds each row's key in the publisher's file (e.g. METR's model key), ``skipped``
    counts the source rows not kept, by reason, and ``covers`` says which curated rows (cell
    texts) this file speaks for: a current row it covers but did not produce counts as removed.
    """

    table: str
    rows: list[Row] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    covers: Callable[[Mapping[str, str]], bool] = lambda _: False
    fmt: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row, key: str) -> None:
        """Keep one mapped row and its key in the source."""
        self.rows.append(row)
        self.keys.append(key)

    def sort(self, order: Callable[[Row], tuple[object, ...]]) -> Mapped:
        """Rows (and their keys) in the tables' written order."""
        pairs = sorted(zip(self.rows, self.keys, strict=True), key=lambda p: order(p[0]))
        self.rows = [r for r, _ in pairs]
        self.keys = [k for _, k in pairs]
        return self


def from_source(name: str) -> Callable[[Mapping[str, str]], bool]:
    """``covers`` for a file that speaks for every row whose ``source`` is ``name``."""
    return lambda cells: cells.get("source") == name
