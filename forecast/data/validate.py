"""Validation of table rows against their declarations: cells, cross-column rules, duplicate keys.

One code path checks every row, whether it was read from a CSV file or given in memory (rows
posted to the service): a row is a mapping of column name to cell text, with a *place* (a file's
physical line, or a row's index in its batch) and an :class:`Origin` that says how to name it.
Nothing is silently dropped or coerced: every problem becomes a :class:`DataIssue` naming the
origin, the place, the column, the value and the rule it breaks; in-memory rows get
:class:`RowIssue` entries, whose ``row`` is the row's index as data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from forecast.core.errors import ForecastError
from forecast.core.timeutil import quarter_end
from forecast.data.schema import VINTAGE, Column, Plausible, TableSchema

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# --------------------------------------------------------------------------------------------
# Issues and errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DataIssue:
    """One problem in one cell (or line, or file). ``line`` is the physical line (header = 1)."""

    file: str
    line: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: column {self.column or '-'}"
        return f"{where}: value {self.value!r} violates rule {self.rule!r}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
        }


@dataclass(frozen=True, order=True)
class RowIssue:
    """One problem in one in-memory row: ``row`` is its 0-based index in the rows given."""

    row: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        where = f"row {self.row}: column {self.column or '-'}"
        return f"{where}: value {self.value!r} violates rule {self.rule!r}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"row": self.row, "column": self.column, "value": self.value, "rule": self.rule}


class DataValidationError(ForecastError):
    """Raised when curated or user data break the schema; lists every issue found."""

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues: list[DataIssue] = list(issues)
        noun = "issue" if len(self.issues) == 1 else "issues"
        lines = [f"data validation failed with {len(self.issues)} {noun}:"]
        lines.extend(str(issue) for issue in self.issues)
        super().__init__("\n".join(lines))


IMPLAUSIBLE = "implausible:"
"""Prefix of every plausibility rule broken (a legal value outside a stated plausible range)."""


def is_implausible(issue: DataIssue | RowIssue) -> bool:
    """True for an issue that only says a value lies outside its plausible range."""
    return issue.rule.startswith(IMPLAUSIBLE)


# --------------------------------------------------------------------------------------------
# Where rows come from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where rows come from, and how a duplicate-key issue names one of them.

    ``here`` names a row from a row of the same origin, ``there`` from a row of another one;
    both are formats with ``{display}`` and ``{place}``. ``bundled`` rows obey the vintage rule.
    """

    display: str
    bundled: bool = False
    revises: bool = False
    here: str = "on line {place}"
    there: str = "on {display}:{place}"

    def name(self, place: int, seen_from: Origin) -> str:
        """How a row at ``place`` is named in an issue about a row of ``seen_from``."""
        template = self.here if seen_from.display == self.display else self.there
        return template.format(display=self.display, place=place)


def file_origin(display: str, bundled: bool, revises: bool = False) -> Origin:
    """A CSV file: its rows are named by physical line (header = line 1). The rows of a
    ``revises`` file replace earlier rows with the same key instead of duplicating them."""
    return Origin(display=display, bundled=bundled, revises=revises)


def rows_origin(noun: str, batch: str = "") -> Origin:
    """In-memory rows: named ``in {noun} {place}`` (plus ``of {batch}`` when given)."""
    suffix = f" of {batch}" if batch else ""
    name = f"in {noun} {{place}}{suffix}"
    return Origin(display=f"{noun}{suffix}", here=name, there=name)


@dataclass
class Row:
    """A row after validation: its origin and place, raw cell texts and parsed values."""

    origin: Origin
    place: int
    raw: dict[str, str]
    values: dict[str, object]


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An in-memory cell (JSON scalar) as the CSV text a file would hold.

    ``None`` is an empty cell, booleans are ``true``/``false``, floats are written so they read
    back exactly (``repr``), everything else as ``str``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_number(value: str, col: Column) -> tuple[float | None, str | None]:
    """Parse a numeric cell; return (value, None) or (None, rule broken)."""
    pattern = _INTEGER if col.kind == "int" else _NUMBER
    if not pattern.match(value):
        return None, "must be an integer" if col.kind == "int" else "must be a number"
    number = float(value)
    if not math.isfinite(number):
        return None, "must be a finite number"
    if col.low is not None and (number <= col.low if col.low_open else number < col.low):
        return None, f"must be {'>' if col.low_open else '>='} {_fmt(col.low)}"
    if col.high is not None and (number >= col.high if col.high_open else number > col.high):
        return None, f"must be {'<' if col.high_open else '<='} {_fmt(col.high)}"
    return number, None


def _check_date(value: str) -> tuple[pd.Timestamp | None, str | None]:
    if not _DATE.match(value):
        return None, "must be a date YYYY-MM-DD"
    try:
        return pd.Timestamp(value), None
    except ValueError:
        return None, "must be a date YYYY-MM-DD"


def check_cell(value: str, col: Column) -> tuple[object, str | None]:
    """Parse one non-empty cell of column ``col``; return (parsed value, rule broken or None)."""
    if value != value.strip():
        return None, "must not have leading or trailing whitespace"
    if col.kind in ("float", "int"):
        return _check_number(value, col)
    if col.kind == "date":
        return _check_date(value)
    if col.kind == "bool":
        if value not in ("true", "false"):
            return None, "must be true or false"
        return value == "true", None
    if col.allowed is not None and value not in col.allowed:
        return None, f"must be one of: {', '.join(col.allowed)}"
    if col.pattern is not None and not re.fullmatch(col.pattern, value):
        return None, col.pattern_text or f"must match {col.pattern}"
    return value, None


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def row_rules(
    schema: TableSchema, values: Mapping[str, object], *, bundled: bool, today: pd.Timestamp
) -> list[tuple[str, str]]:
    """Cross-column and date rules of one row whose cells parsed: (column, rule) pairs broken."""
    out: list[tuple[str, str]] = []
    v = values
    when = v.get(schema.date_column)
    if isinstance(when, pd.Timestamp):
        if schema.observation and bundled and when > VINTAGE:
            rule = f"must be on or before the data vintage {VINTAGE.date().isoformat()}"
            out.append((schema.date_column, rule))
        elif not bundled and when > today:
            out.append((schema.date_column, "must not be in the future"))
    for group in schema.ordered:
        present = [(c, v[c]) for c in group if isinstance(v.get(c), float)]
        for (a, av), (b, bv) in itertools.pairwise(present):
            if av > bv:
                out.append((a, f"must be <= {b}"))
    for col, others in schema.requires:
        if v.get(col) is not None:
            out.extend((o, f"required when {col} is given") for o in others if v.get(o) is None)
    if schema.quarter_dates is not None:
        qcol, dcol = schema.quarter_dates
        q, d = v.get(qcol), v.get(dcol)
        if isinstance(q, str) and isinstance(d, pd.Timestamp):
            end = quarter_end(q)
            if d != end:
                out.append((dcol, f"must be the last day of {q} ({end.date().isoformat()})"))
    for fixed in schema.mappings:
        src, tgt = v.get(fixed.source), v.get(fixed.target)
        expected = fixed.mapping.get(src) if isinstance(src, str) else None
        if expected is not None and tgt is not None and tgt != expected:
            out.append((fixed.target, f"must be {expected} when {fixed.source} is {src}"))
    return out


def plausibility_rules(schema: TableSchema, values: Mapping[str, object]) -> list[tuple[str, str]]:
    """(column, rule) pairs of the parsed cells outside the table's stated plausible ranges."""
    out: list[tuple[str, str]] = []
    for p in schema.plausible:
        value = values.get(p.column)
        if value is None or not _outside(p, value):
            continue
        out.append(
            (
                p.column,
                f"{IMPLAUSIBLE} outside the plausible range {p.describe()} (source: {p.source})",
            )
        )
    return out


def _outside(p: Plausible, value: object) -> bool:
    if isinstance(value, pd.Timestamp):
        low = pd.Timestamp(p.low) if isinstance(p.low, str) else None
        high = pd.Timestamp(p.high) if isinstance(p.high, str) else None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        low = p.low if isinstance(p.low, int | float) else None
        high = p.high if isinstance(p.high, int | float) else None
    else:
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def check_records(
    schema: TableSchema,
    origin: Origin,
    records: Iterable[tuple[int, Mapping[str, str]]],
    today: pd.Timestamp,
    present: Sequence[str] | None = None,
    plausible: bool = True,
) -> tuple[list[Row], list[DataIssue]]:
    """Validate rows of table ``schema``: each a (place, cell texts by column) pair.

    Only the columns in ``present`` are checked (default: every column; a file's header check
    reports the absent ones). Issues name ``origin.display`` and the row's place. With
    ``plausible`` (the default) cells outside the stated plausible ranges are issues too (their
    rule starts with :data:`IMPLAUSIBLE`).
    """
    columns = [c for c in schema.columns if present is None or c.name in present]
    rows: list[Row] = []
    issues: list[DataIssue] = []
    for place, raw in records:
        values: dict[str, object] = {}
        row_ok = True
        for col in columns:
            value = raw.get(col.name, "")
            parsed: object = None
            rule: str | None = None
            if value == "":
                rule = None if col.nullable else "required value is missing"
            else:
                parsed, rule = check_cell(value, col)
            if rule is not None:
                issues.append(DataIssue(origin.display, place, col.name, value, rule))
                row_ok = False
            values[col.name] = parsed
        if row_ok:
            broken = row_rules(schema, values, bundled=origin.bundled, today=today)
            if plausible:
                broken += plausibility_rules(schema, values)
            for col_name, rule in broken:
                issue = DataIssue(origin.display, place, col_name, raw.get(col_name, ""), rule)
                issues.append(issue)
        rows.append(Row(origin, place, dict(raw), values))
    return rows, issues


def apply_revisions(schema: TableSchema, rows: Sequence[Row]) -> list[Row]:
    """Rows with every row of a revising origin put in place of the earlier row with its key.

    A revision whose key no earlier row has is kept as a new row; a later revision of the same
    key replaces an earlier one.
    """
    out: list[Row] = []
    where: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row.raw.get(c, "") for c in schema.key)
        if row.origin.revises and key in where:
            out[where[key]] = row
            continue
        if key not in where:
            where[key] = len(out)
        out.append(row)
    return out


def duplicate_issues(schema: TableSchema, rows: Sequence[Row]) -> list[DataIssue]:
    """A row repeating an earlier row's key (from any origin) names both rows."""
    issues: list[DataIssue] = []
    first: dict[tuple[str, ...], Row] = {}
    for row in rows:
        key = tuple(row.raw.get(c, "") for c in schema.key)
        if any(k == "" for k in key):
            continue
        if key in first:
            seen = first[key]
            where = seen.origin.name(seen.place, row.origin)
            rule = f"duplicate key ({', '.join(schema.key)}); first seen {where}"
            issues.append(
                DataIssue(row.origin.display, row.place, ",".join(schema.key), ",".join(key), rule)
            )
        else:
            first[key] = row
    return issues


def frame(schema: TableSchema, rows: Sequence[Row]) -> pd.DataFrame:
    """Typed frame of validated rows, columns in schema order."""
    data: dict[str, pd.Series] = {}
    for col in schema.columns:
        cells = [row.values[col.name] for row in rows]
        if col.kind == "date":
            stamps = pd.to_datetime(pd.Series([pd.NaT if c is None else c for c in cells]))
            data[col.name] = stamps.astype("datetime64[s]")
        elif col.kind == "float":
            data[col.name] = pd.Series(
                [math.nan if c is None else c for c in cells], dtype="float64"
            )
        else:
            data[col.name] = pd.Series([pd.NA if c is None else c for c in cells], dtype=col.dtype)
    return pd.DataFrame(data, columns=list(schema.column_names))
