"""The project's curated tables: validating loaders for files and in-memory rows, data hash, checks.

Seven tables ship as CSV files in ``forecast/data`` (declared in :mod:`forecast.data.schema`,
built by ``tools/build_data.py`` from the shared source data, vintage 2025-12-31; see
``forecast/data/README.md``). Users add observations as extra CSV files whose header equals one
table's columns (in any order), or as in-memory rows (:func:`validate_rows`, used by the
service): both go through the same checks in :mod:`forecast.data.validate`.

Nothing is silently dropped or coerced: every problem becomes a :class:`DataIssue` naming the
file, the physical line (the header is line 1), the column, the value and the rule it breaks (a
:class:`RowIssue` with the row's index for in-memory rows), and loading raises
:class:`DataValidationError` listing every issue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from forecast.core.definitions import COUNTRIES
from forecast.data.schema import TABLES, VINTAGE, Column, FixedMapping, Plausible, TableSchema
from forecast.data.validate import (
    DataIssue,
    DataValidationError,
    Row,
    RowIssue,
    apply_revisions,
    cell_text,
    check_records,
    duplicate_issues,
    file_origin,
    frame,
    is_implausible,
    rows_origin,
)

__all__ = [
    "COUNTRIES",
    "REVISION_SUFFIX",
    "TABLES",
    "VINTAGE",
    "CheckReport",
    "Column",
    "DataIssue",
    "DataValidationError",
    "FixedMapping",
    "Plausible",
    "RowIssue",
    "RowsReport",
    "TableSchema",
    "bundled_path",
    "cell_text",
    "check",
    "cli_check",
    "data_hash",
    "load_all",
    "load_table",
    "validate_file",
    "validate_rows",
]

_PACKAGE_DISPLAY = "forecast/data"
REVISION_SUFFIX = ".revisions.csv"
"""An extra file whose name ends so holds revised rows: each replaces the row with its key
(bundled or from an earlier file) instead of being a duplicate (the observation store writes
imported revisions so)."""


@dataclass
class CheckReport:
    """Outcome of :func:`check`: rows per table (bundled + extra), files read, every issue."""

    row_counts: dict[str, int]
    issues: list[DataIssue]
    files: list[dict[str, object]] = field(default_factory=list)
    allowed: list[DataIssue] = field(default_factory=list)
    """Implausible values accepted because the caller allowed them deliberately."""

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

    @property
    def revises(self) -> bool:
        """True for a file of revised rows (its name ends with :data:`REVISION_SUFFIX`)."""
        return not self.bundled and self.display.endswith(REVISION_SUFFIX)


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
# Rows of a file, through the shared row checks
# --------------------------------------------------------------------------------------------


def _file_rows(
    file: _File, schema: TableSchema, today: pd.Timestamp, plausible: bool = True
) -> tuple[list[Row], list[DataIssue]]:
    """Validate every row of a file read as table ``schema`` (columns absent from it are skipped;
    the header check reports them)."""
    width = len(file.header)
    issues: list[DataIssue] = []
    records: list[tuple[int, dict[str, str]]] = []
    for line, record in file.rows:
        if len(record) != width:
            rule = f"row has {len(record)} fields; the header has {width}"
            issues.append(DataIssue(file.display, line, "", ",".join(record), rule))
            continue
        records.append((line, dict(zip(file.header, record, strict=True))))
    origin = file_origin(file.display, file.bundled, file.revises)
    rows, row_issues = check_records(
        schema, origin, records, today, present=file.header, plausible=plausible
    )
    return rows, issues + row_issues


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
    rows: list[Row] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def _collect(
    names: Sequence[str], extra: Sequence[Path], plausible: bool = False
) -> tuple[dict[str, _Table], list[_File]]:
    """Read and validate the bundled files of ``names`` plus every extra file.

    Plausible ranges are checked only with ``plausible`` (data checks): rows that reach a fit
    were admitted by a check, an import or a post, possibly with implausible values allowed.
    """
    today = _today()
    added = [_load_extra(Path(p)) for p in extra]
    added.sort(key=lambda f: f.revises)  # revisions apply after every file of new rows
    files = [_load_bundled(n) for n in names] + added
    tables = {n: _Table() for n in names}
    for file in files:
        if file.table is None or file.table not in tables:
            continue
        table = tables[file.table]
        table.issues.extend(file.issues)
        if not file.header or len(set(file.header)) != len(file.header):
            continue
        rows, issues = _file_rows(file, TABLES[file.table], today, plausible)
        table.rows.extend(rows)
        table.issues.extend(issues)
    for name, table in tables.items():
        table.rows = apply_revisions(TABLES[name], table.rows)
        table.issues.extend(duplicate_issues(TABLES[name], table.rows))
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
    rows, row_issues = _file_rows(file, schema, _today())
    return issues + row_issues + duplicate_issues(schema, rows)


# --------------------------------------------------------------------------------------------
# In-memory rows
# --------------------------------------------------------------------------------------------


@dataclass
class RowsReport:
    """Outcome of :func:`validate_rows`: the rows as cell texts and every issue, by row index.

    ``earlier_issues`` are issues of the ``earlier`` rows themselves (rows accepted before that
    no longer validate); they do not concern the new rows.
    """

    cells: list[dict[str, str]]
    issues: list[RowIssue]
    earlier_issues: list[DataIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the new rows have no issue."""
        return not self.issues


def validate_rows(
    table: str,
    rows: Sequence[Mapping[str, object]],
    *,
    batch: str = "these rows",
    earlier: Sequence[tuple[int, Mapping[str, object]]] = (),
    earlier_noun: str = "earlier row",
    today: pd.Timestamp | None = None,
    allow_implausible: bool = False,
) -> RowsReport:
    """Validate in-memory rows of ``table`` exactly as the rows of an extra file would be.

    Each row maps column names to cells (text, numbers, booleans or ``None``; see
    :func:`~forecast.data.validate.cell_text`); a missing column is an empty cell and an unknown
    one is an issue. The same cell rules, cross-column rules and duplicate-key checks apply as to
    files: keys must be unique across the bundled table, the ``earlier`` rows (``(id, row)``
    pairs, e.g. rows accepted before, named ``{earlier_noun} {id}`` in messages) and these rows
    (named ``row {index} of {batch}``). Every issue carries the row's 0-based index as ``row``.
    Values outside the table's plausible ranges are issues unless ``allow_implausible``.
    """
    schema = TABLES[table]
    today = _today() if today is None else today
    columns = schema.column_names
    issues: list[RowIssue] = []
    cells: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        for key in row:
            if key not in columns:
                issues.append(RowIssue(index, key, key, f"unknown column for table {table}"))
        cells.append({c: cell_text(row.get(c)) for c in columns})
    bundled = _load_bundled(table)
    known: list[Row] = []
    if bundled.header and len(set(bundled.header)) == len(bundled.header):
        known, _ = _file_rows(bundled, schema, today)
    before = [(place, {c: cell_text(r.get(c)) for c in columns}) for place, r in earlier]
    before_rows, earlier_issues = check_records(
        schema, rows_origin(earlier_noun), before, today, plausible=False
    )
    origin = rows_origin("row", batch)
    new_rows, new_issues = check_records(
        schema, origin, enumerate(cells), today, plausible=not allow_implausible
    )
    found = new_issues + duplicate_issues(schema, [*known, *before_rows, *new_rows])
    issues.extend(
        RowIssue(i.line, i.column, i.value, i.rule) for i in found if i.file == origin.display
    )
    issues.sort(key=lambda i: (i.row, i.column))
    return RowsReport(cells=cells, issues=issues, earlier_issues=earlier_issues)


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
    return frame(TABLES[name], tables[name].rows)


def load_all(extra: Sequence[Path] = ()) -> dict[str, pd.DataFrame]:
    """Every table (bundled plus matching extra files), validated together."""
    tables, files = _collect(list(TABLES), extra)
    issues = _all_issues(tables, files)
    if issues:
        raise DataValidationError(issues)
    return {name: frame(TABLES[name], t.rows) for name, t in tables.items()}


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


def check(paths: Sequence[Path] = (), allow_implausible: bool = False) -> CheckReport:
    """Validate the bundled tables plus ``paths``, collecting every issue across all files.

    Values outside the plausible ranges are issues; with ``allow_implausible`` they are listed
    in ``allowed`` instead (a deliberate outlier).
    """
    tables, files = _collect(list(TABLES), [Path(p) for p in paths], plausible=True)
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
    issues = _all_issues(tables, files)
    allowed = [i for i in issues if is_implausible(i)] if allow_implausible else []
    issues = [i for i in issues if i not in allowed]
    return CheckReport(row_counts=counts, issues=issues, files=listing, allowed=allowed)


def cli_check(paths: Sequence[str], as_json: bool, allow_implausible: bool = False) -> int:
    """Print a check of the bundled data plus ``paths``; return 0 if all is well, else 1."""
    report = check([Path(p) for p in paths], allow_implausible=allow_implausible)
    if as_json:
        payload = {
            "ok": report.ok,
            "row_counts": report.row_counts,
            "files": report.files,
            "issues": [i.to_dict() for i in report.issues],
        }
        if allow_implausible:
            payload["allowed_implausible"] = [i.to_dict() for i in report.allowed]
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
        for issue in report.allowed:
            print(f"allowed (--allow-implausible): {issue}")
        if report.ok:
            print("ok: no issues")
        else:
            noun = "issue" if len(report.issues) == 1 else "issues"
            print(f"{len(report.issues)} {noun}:")
            for issue in report.issues:
                print(f"  {issue}")
    return 0 if report.ok else 1
