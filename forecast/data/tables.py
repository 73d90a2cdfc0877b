"""The project's curated tables: declarative schemas, validating loaders, data hash and checks.

Seven tables ship as CSV files in ``forecast/data`` (built by ``tools/build_data.py`` from the
shared source data, vintage 2025-12-31; see ``forecast/data/README.md``). Users add
observations as extra CSV files whose header equals one table's columns (in any order).

Nothing is silently dropped or coerced: every problem becomes a :class:`DataIssue` naming the
file, the physical line (the header is line 1), the column, the value and the rule it breaks,
and loading raises :class:`DataValidationError` listing every issue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd

from forecast.core.definitions import COUNTRIES
from forecast.core.errors import ForecastError
from forecast.core.timeutil import quarter_end

__all__ = [
    "COUNTRIES",
    "TABLES",
    "VINTAGE",
    "CheckReport",
    "Column",
    "DataIssue",
    "DataValidationError",
    "FixedMapping",
    "TableSchema",
    "bundled_path",
    "check",
    "cli_check",
    "data_hash",
    "load_all",
    "load_table",
    "validate_file",
]

VINTAGE = pd.Timestamp("2025-12-31")
"""Data vintage: every bundled observation is dated on or before this day."""

Kind = Literal["string", "float", "int", "bool", "date"]

DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "float": "float64",
    "int": "Int64",
    "bool": pd.BooleanDtype(),
    "date": "datetime64[s]",
}
"""pandas dtype of each column kind (dates at second resolution, explicit for pandas 3)."""

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^https?://\S+$")
_PACKAGE_DISPLAY = "forecast/data"


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind, unit and the rules its cells must satisfy.

    ``low``/``high`` are bounds on numeric values (exclusive when ``low_open``/``high_open``);
    ``allowed`` lists the only permitted values; ``pattern`` is a regular expression a string
    cell must match fully, described to users as ``pattern_text``.
    """

    name: str
    kind: Kind
    unit: str = ""
    description: str = ""
    nullable: bool = False
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    pattern_text: str = ""

    @property
    def dtype(self) -> object:
        """The pandas dtype of this column in a loaded frame."""
        return DTYPES[self.kind]


@dataclass(frozen=True)
class FixedMapping:
    """A cross-column rule: the value of ``source`` decides the value of ``target``."""

    source: str
    target: str
    mapping: Mapping[str, str]


@dataclass(frozen=True)
class TableSchema:
    """A table: its ordered columns and the table-level rules.

    - ``key``: columns whose values must be unique across all files of the table;
    - ``observation``: dates in ``date_column`` are observations, so bundled rows must be dated
      on or before :data:`VINTAGE` (user-added rows may be newer, but not in the future);
    - ``ordered``: groups of numeric columns that must be non-decreasing where present
      (e.g. interval low <= estimate <= high);
    - ``requires``: (column, others) pairs; when ``column`` has a value, ``others`` must too;
    - ``quarter_dates``: (quarter column, date column): the date is the quarter's last day;
    - ``mappings``: columns whose value is fixed by another column's value.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    observation: bool
    date_column: str
    ordered: tuple[tuple[str, ...], ...] = ()
    requires: tuple[tuple[str, tuple[str, ...]], ...] = ()
    quarter_dates: tuple[str, str] | None = None
    mappings: tuple[FixedMapping, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in file order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _source_columns() -> tuple[Column, Column]:
    return (
        Column("source", "string", description="data set or publication the row comes from"),
        Column(
            "source_url",
            "string",
            description="address of the source",
            pattern=_URL.pattern,
            pattern_text="must be an http(s) URL",
        ),
    )


_COUNTRY = Column("country", "string", description="ISO-like country code", allowed=COUNTRIES)
_CONFIDENCE = ("Confident", "Likely", "Speculative", "Unknown")
_HOLDER_COUNTRY = {
    "google": "US",
    "microsoft": "US",
    "meta": "US",
    "amazon": "US",
    "oracle": "US",
    "coreweave": "US",
    "xai": "US",
    "other": "OTHER",
    "china_nvidia": "CN",
    "china_huawei": "CN",
    "china_cambricon": "CN",
    "china_amd": "CN",
    "china_smuggled": "CN",
}

MODELS = TableSchema(
    name="models",
    description="US and Chinese AI models 2018-2025 with a training-compute estimate (Epoch AI).",
    columns=(
        Column("model", "string", description="model name as Epoch lists it"),
        Column("date", "date", description="publication date"),
        Column("organization", "string", description="developer(s), comma-separated"),
        _COUNTRY,
        Column("training_flop", "float", unit="FLOP", low=0.0, low_open=True),
        Column(
            "confidence",
            "string",
            description="Epoch's confidence label for the compute estimate",
            allowed=_CONFIDENCE,
        ),
        Column("domain", "string", description="Epoch domain, e.g. Language", nullable=True),
        Column("notable", "bool", description="in Epoch's notable-models set"),
        Column("large_scale", "bool", description="in Epoch's large-scale set (>= 1e23 FLOP)"),
        Column("frontier", "bool", description="in Epoch's frontier set"),
        *_source_columns(),
    ),
    key=("model",),
    observation=True,
    date_column="date",
)

COMPUTE_STOCK = TableSchema(
    name="compute_stock",
    description="Cumulative AI accelerators (H100e) per holder group and quarter (Epoch AI).",
    columns=(
        Column(
            "quarter",
            "string",
            description="calendar quarter",
            pattern=r"\d{4}Q[1-4]",
            pattern_text="must look like 2022Q1",
        ),
        Column("date", "date", description="last day of the quarter"),
        Column("holder", "string", description="holder group", allowed=tuple(_HOLDER_COUNTRY)),
        Column("country", "string", allowed=("US", "CN", "OTHER")),
        Column("h100e", "float", unit="H100-equivalents (cumulative since 2022Q1)", low=0.0),
        Column("uncertainty", "string", description="what the value is and how uncertain"),
        *_source_columns(),
    ),
    key=("quarter", "holder"),
    observation=True,
    date_column="date",
    quarter_dates=("quarter", "date"),
    mappings=(FixedMapping("holder", "country", _HOLDER_COUNTRY),),
)

CAPABILITY_ECI = TableSchema(
    name="capability_eci",
    description="Epoch Capabilities Index, one row per model (Epoch AI).",
    columns=(
        Column("model", "string", description="Epoch's model name (versions merged)"),
        Column("date", "date", description="release date"),
        Column("organization", "string"),
        _COUNTRY,
        Column("eci", "float", unit="ECI points", low=0.0, low_open=True),
        Column("training_flop", "float", unit="FLOP", nullable=True, low=0.0, low_open=True),
        Column("confidence", "string", allowed=_CONFIDENCE),
        *_source_columns(),
    ),
    key=("model",),
    observation=True,
    date_column="date",
)

_MINUTES = "minutes of human-expert task length"
CAPABILITY_METR = TableSchema(
    name="capability_metr",
    description="METR task-completion time horizons with 95% intervals.",
    columns=(
        Column("model", "string"),
        Column("date", "date", description="model release date"),
        _COUNTRY,
        Column("suite", "string", description="METR task suite", allowed=("v1.0", "v1.1")),
        Column("p50_minutes", "float", unit=_MINUTES, low=0.0, low_open=True),
        Column("p50_low", "float", unit=_MINUTES, low=0.0),
        Column("p50_high", "float", unit=_MINUTES, low=0.0, low_open=True),
        Column("p80_minutes", "float", unit=_MINUTES, nullable=True, low=0.0, low_open=True),
        Column("p80_low", "float", unit=_MINUTES, nullable=True, low=0.0),
        Column("p80_high", "float", unit=_MINUTES, nullable=True, low=0.0, low_open=True),
        *_source_columns(),
    ),
    key=("model", "suite"),
    observation=True,
    date_column="date",
    ordered=(("p50_low", "p50_minutes", "p50_high"), ("p80_low", "p80_minutes", "p80_high")),
    requires=(("p80_minutes", ("p80_low", "p80_high")),),
)

_FLOPS = "operations per second (dense)"
HARDWARE = TableSchema(
    name="hardware",
    description="AI accelerators with dense peak throughput and price (Epoch AI).",
    columns=(
        Column("accelerator", "string"),
        Column("designer", "string"),
        Column("release_date", "date"),
        Column("bf16_flops", "float", unit="FLOP/s, 16-bit tensor", nullable=True, low=0.0),
        Column("fp8_flops", "float", unit="FLOP/s, 8-bit float", nullable=True, low=0.0),
        Column("int8_ops", "float", unit="OP/s, 8-bit integer", nullable=True, low=0.0),
        Column("price_usd", "float", unit="USD at release (nominal)", nullable=True, low=0.0),
        *_source_columns(),
    ),
    key=("accelerator",),
    observation=True,
    date_column="release_date",
)

ESTIMATES = TableSchema(
    name="estimates",
    description="Published trend estimates used to set priors.",
    columns=(
        Column(
            "key",
            "string",
            description="unique snake_case id",
            pattern=r"[a-z][a-z0-9_]*",
            pattern_text="must be snake_case",
        ),
        Column("quantity", "string", description="what is estimated"),
        Column("central", "float", description="central estimate, in `unit`"),
        Column("low", "float", nullable=True, description="lower end of the stated range"),
        Column("high", "float", nullable=True, description="upper end of the stated range"),
        Column(
            "interval_prob",
            "float",
            nullable=True,
            low=0.0,
            low_open=True,
            high=1.0,
            high_open=True,
            description="probability of [low, high]; empty if the range is not an interval",
        ),
        Column("unit", "string"),
        Column("published", "date"),
        *_source_columns(),
    ),
    key=("key",),
    observation=False,
    date_column="published",
    ordered=(("low", "central", "high"),),
    requires=(("interval_prob", ("low", "high")),),
)

EXPORT_CONTROLS = TableSchema(
    name="export_controls",
    description="Dated US export-control events and related policy moves.",
    columns=(
        Column("date", "date"),
        Column("event", "string", description="one-line summary"),
        Column("direction", "string", allowed=("tighten", "relax", "other")),
        *_source_columns(),
    ),
    key=("date", "event"),
    observation=False,
    date_column="date",
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        MODELS,
        COMPUTE_STOCK,
        CAPABILITY_ECI,
        CAPABILITY_METR,
        HARDWARE,
        ESTIMATES,
        EXPORT_CONTROLS,
    )
}
"""Every curated table by name, in a stable order."""


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


class DataValidationError(ForecastError):
    """Raised when curated or user data break the schema; lists every issue found."""

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues: list[DataIssue] = list(issues)
        noun = "issue" if len(self.issues) == 1 else "issues"
        lines = [f"data validation failed with {len(self.issues)} {noun}:"]
        lines.extend(str(issue) for issue in self.issues)
        super().__init__("\n".join(lines))


@dataclass
class CheckReport:
    """Outcome of :func:`check`: rows per table (bundled + extra), files read, every issue."""

    row_counts: dict[str, int]
    issues: list[DataIssue]
    files: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no issue was found."""
        return not self.issues


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


@dataclass
class _File:
    """A CSV file read into header and raw rows, before cell validation."""

    display: str
    bundled: bool
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)
    table: str | None = None


def bundled_path(name: str) -> Path:
    """Filesystem path of a bundled table's CSV file."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    return Path(str(resources.files("forecast").joinpath("data", f"{name}.csv")))


def _read_bytes(path: Path, display: str) -> tuple[bytes | None, list[DataIssue]]:
    try:
        return path.read_bytes(), []
    except FileNotFoundError:
        return None, [DataIssue(display, 0, "", str(path), "file not found")]
    except IsADirectoryError:
        return None, [DataIssue(display, 0, "", str(path), "is a directory, not a CSV file")]
    except OSError as exc:
        return None, [DataIssue(display, 0, "", str(path), f"cannot read file: {exc.strerror}")]


def _parse_csv(data: bytes, display: str, bundled: bool) -> _File:
    """Split CSV bytes into header and rows, keeping each record's first physical line."""
    out = _File(display=display, bundled=bundled)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.issues.append(DataIssue(display, 0, "", "", f"file is not UTF-8 text ({exc.reason})"))
        return out
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not record or record == [""]:
                continue
            if not out.header:
                out.header, out.header_line = record, start
            else:
                out.rows.append((start, record))
    except csv.Error as exc:
        out.issues.append(DataIssue(display, reader.line_num, "", "", f"malformed CSV: {exc}"))
    if not out.header:
        out.issues.append(DataIssue(display, 1, "", "", "file has no header line"))
    return out


def _header_issues(file: _File, schema: TableSchema) -> list[DataIssue]:
    """Unknown, missing and repeated columns of a file read as table ``schema``."""
    issues: list[DataIssue] = []
    seen: set[str] = set()
    for name in file.header:
        if name in seen:
            issues.append(DataIssue(file.display, file.header_line, name, name, "duplicate column"))
        elif name not in schema.column_names:
            rule = f"unknown column for table {schema.name}"
            issues.append(DataIssue(file.display, file.header_line, name, name, rule))
        seen.add(name)
    for name in schema.column_names:
        if name not in seen:
            rule = f"missing column for table {schema.name}"
            issues.append(DataIssue(file.display, file.header_line, name, "", rule))
    return issues


def _route(file: _File) -> None:
    """Assign an extra file to the table whose column set equals its header, or record why not."""
    header = set(file.header)
    for schema in TABLES.values():
        if header == set(schema.column_names) and len(file.header) == len(schema.columns):
            file.table = schema.name
            return
    names = ", ".join(TABLES)
    rule = f"header matches no table; expected the columns of one of: {names}"
    file.issues.append(DataIssue(file.display, file.header_line, "", ",".join(file.header), rule))
    best = max(TABLES.values(), key=lambda s: len(header & set(s.column_names)))
    if len(header & set(best.column_names)) * 2 >= len(best.columns):
        file.issues.extend(_header_issues(file, best))


# --------------------------------------------------------------------------------------------
# Cell and row validation
# --------------------------------------------------------------------------------------------


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


def _check_cell(value: str, col: Column) -> tuple[object, str | None]:
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


@dataclass
class _Row:
    display: str
    line: int
    raw: dict[str, str]
    values: dict[str, object]


def _row_rules(
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


def _validate_rows(
    file: _File, schema: TableSchema, today: pd.Timestamp
) -> tuple[list[_Row], list[DataIssue]]:
    """Validate every row of a file read as table ``schema`` (columns absent from it are skipped;
    the header check reports them)."""
    rows: list[_Row] = []
    issues: list[DataIssue] = []
    width = len(file.header)
    present = [c for c in schema.columns if c.name in file.header]
    for line, record in file.rows:
        if len(record) != width:
            rule = f"row has {len(record)} fields; the header has {width}"
            issues.append(DataIssue(file.display, line, "", ",".join(record), rule))
            continue
        raw = dict(zip(file.header, record, strict=True))
        values: dict[str, object] = {}
        row_ok = True
        for col in present:
            value = raw[col.name]
            parsed: object = None
            rule: str | None = None
            if value == "":
                rule = None if col.nullable else "required value is missing"
            else:
                parsed, rule = _check_cell(value, col)
            if rule is not None:
                issues.append(DataIssue(file.display, line, col.name, value, rule))
                row_ok = False
            values[col.name] = parsed
        if row_ok:
            for col_name, rule in _row_rules(schema, values, bundled=file.bundled, today=today):
                issues.append(DataIssue(file.display, line, col_name, raw[col_name], rule))
        rows.append(_Row(file.display, line, raw, values))
    return rows, issues


def _duplicate_issues(schema: TableSchema, rows: Sequence[_Row]) -> list[DataIssue]:
    """A row repeating an earlier row's key (in any file of the table) names both lines."""
    issues: list[DataIssue] = []
    first: dict[tuple[str, ...], _Row] = {}
    for row in rows:
        key = tuple(row.raw.get(c, "") for c in schema.key)
        if any(k == "" for k in key):
            continue
        if key in first:
            seen = first[key]
            where = (
                f"line {seen.line}"
                if seen.display == row.display
                else f"{seen.display}:{seen.line}"
            )
            rule = f"duplicate key ({', '.join(schema.key)}); first seen on {where}"
            issues.append(
                DataIssue(row.display, row.line, ",".join(schema.key), ",".join(key), rule)
            )
        else:
            first[key] = row
    return issues


def _frame(schema: TableSchema, rows: Sequence[_Row]) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# Collecting files
# --------------------------------------------------------------------------------------------


def _today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def _load_bundled(name: str) -> _File:
    display = f"{_PACKAGE_DISPLAY}/{name}.csv"
    data, issues = _read_bytes(bundled_path(name), display)
    file = _File(display=display, bundled=True) if data is None else _parse_csv(data, display, True)
    file.issues.extend(issues)
    file.table = name
    if file.header:
        file.issues.extend(_header_issues(file, TABLES[name]))
    return file


def _load_extra(path: Path) -> _File:
    display = str(path)
    data, issues = _read_bytes(path, display)
    if data is None:
        return _File(display=display, bundled=False, issues=issues)
    file = _parse_csv(data, display, False)
    if file.header:
        _route(file)
    return file


@dataclass
class _Table:
    rows: list[_Row] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def _collect(names: Sequence[str], extra: Sequence[Path]) -> tuple[dict[str, _Table], list[_File]]:
    """Read and validate the bundled files of ``names`` plus every extra file."""
    today = _today()
    files = [_load_bundled(n) for n in names] + [_load_extra(Path(p)) for p in extra]
    tables = {n: _Table() for n in names}
    for file in files:
        if file.table is None or file.table not in tables:
            continue
        table = tables[file.table]
        table.issues.extend(file.issues)
        if not file.header or len(set(file.header)) != len(file.header):
            continue
        rows, issues = _validate_rows(file, TABLES[file.table], today)
        table.rows.extend(rows)
        table.issues.extend(issues)
    for name, table in tables.items():
        table.issues.extend(_duplicate_issues(TABLES[name], table.rows))
    return tables, files


def validate_file(path: Path, table: str, *, bundled: bool = True) -> list[DataIssue]:
    """Every issue of one CSV file read as ``table`` (bundled files obey the vintage rule)."""
    schema = TABLES[table]
    display = str(path)
    data, issues = _read_bytes(Path(path), display)
    if data is None:
        return issues
    file = _parse_csv(data, display, bundled)
    issues = list(file.issues)
    if not file.header:
        return issues
    issues.extend(_header_issues(file, schema))
    if len(set(file.header)) != len(file.header):
        return issues
    rows, row_issues = _validate_rows(file, schema, _today())
    return issues + row_issues + _duplicate_issues(schema, rows)


# --------------------------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------------------------


def load_table(name: str, extra: Sequence[Path] = ()) -> pd.DataFrame:
    """The bundled table ``name`` plus the rows of every extra file whose header is this table's.

    Extra files whose header matches another table are ignored here; a file whose header matches
    no table, or that is missing, is an error. Raises :class:`DataValidationError` listing every
    issue of this table's files. Dates are ``datetime64[s]``, numbers float64, text ``string``,
    flags ``boolean``.
    """
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    tables, files = _collect([name], extra)
    issues = list(tables[name].issues)
    for file in files:
        if file.table is None and not file.bundled:
            issues.extend(i for i in file.issues if i not in issues)
    if issues:
        raise DataValidationError(issues)
    return _frame(TABLES[name], tables[name].rows)


def load_all(extra: Sequence[Path] = ()) -> dict[str, pd.DataFrame]:
    """Every table (bundled plus matching extra files), validated together."""
    tables, files = _collect(list(TABLES), extra)
    issues = _all_issues(tables, files)
    if issues:
        raise DataValidationError(issues)
    return {name: _frame(TABLES[name], t.rows) for name, t in tables.items()}


def _all_issues(tables: Mapping[str, _Table], files: Sequence[_File]) -> list[DataIssue]:
    issues: list[DataIssue] = []
    for table in tables.values():
        issues.extend(table.issues)
    for file in files:
        if file.table is None:
            issues.extend(i for i in file.issues if i not in issues)
    return issues


def data_hash(extra: Sequence[Path] = ()) -> str:
    """SHA-256 (hex) of the bundled CSV bytes (table order) plus the extra files' bytes.

    Extra files enter sorted by their own SHA-256, so the hash does not depend on the order or
    location in which they are given. A missing file raises :class:`DataValidationError`.
    """
    digest = hashlib.sha256()
    for name in TABLES:
        data = bundled_path(name).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    blobs: list[bytes] = []
    issues: list[DataIssue] = []
    for path in extra:
        data, problems = _read_bytes(Path(path), str(path))
        issues.extend(problems)
        if data is not None:
            blobs.append(data)
    if issues:
        raise DataValidationError(issues)
    for data in sorted(blobs, key=lambda b: hashlib.sha256(b).hexdigest()):
        digest.update(f"extra\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def check(paths: Sequence[Path] = ()) -> CheckReport:
    """Validate the bundled tables plus ``paths``, collecting every issue across all files."""
    tables, files = _collect(list(TABLES), [Path(p) for p in paths])
    counts = {name: len(t.rows) for name, t in tables.items()}
    listing = [
        {
            "file": f.display,
            "table": f.table,
            "rows": len(f.rows),
            "bundled": f.bundled,
        }
        for f in files
    ]
    return CheckReport(row_counts=counts, issues=_all_issues(tables, files), files=listing)


def cli_check(paths: Sequence[str], as_json: bool) -> int:
    """Print a check of the bundled data plus ``paths``; return 0 if all is well, else 1."""
    report = check([Path(p) for p in paths])
    if as_json:
        payload = {
            "ok": report.ok,
            "row_counts": report.row_counts,
            "files": report.files,
            "issues": [i.to_dict() for i in report.issues],
        }
        print(json.dumps(payload, indent=2))
    else:
        print("rows per table (bundled + added):")
        width = max(len(n) for n in report.row_counts)
        for name, count in report.row_counts.items():
            print(f"  {name:<{width}}  {count:>5}")
        for f in report.files:
            if not f["bundled"]:
                table = f["table"] or "no table"
                print(f"added file {f['file']}: {f['rows']} rows -> {table}")
        if report.ok:
            print("ok: no issues")
        else:
            noun = "issue" if len(report.issues) == 1 else "issues"
            print(f"{len(report.issues)} {noun}:")
            for issue in report.issues:
                print(f"  {issue}")
    return 0 if report.ok else 1
