"""Importing the publishers' files: map rows, compare with the current tables, say what changes.

``forecast data import --source NAME FILE`` (and ``POST /v1/imports``) read one file in the
format its publisher uses (:data:`SOURCES`), map its rows to curated rows through the same code
that builds the bundled tables (:mod:`forecast.data.source_epoch`,
:mod:`forecast.data.source_metr`), and compare them, by the table's key, with the current
table: the bundled rows overlaid with the stored observations (a stored revision replaces the
row with its key). Each mapped row is

- ``new``: no current row has its key;
- ``changed``: a current row has its key but other cells (the revision is kept);
- ``unchanged``: the current row is the same;

and each current row the file speaks for (same source, same scope: e.g. the suites of a METR
file) but did not produce is ``removed`` (reported, never deleted). New and changed rows pass the
same cell, row and plausibility checks as posted rows; any issue refuses the import.

Provenance goes with every row: the source name, the file's name and SHA-256, the row's key in
the publisher's file and the data vintage. Writing is the store's part
(:func:`forecast.store.observations.ObservationStore.import_file`); this module never writes.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import yaml

from forecast.core.errors import UsageError
from forecast.data import source_epoch as epoch
from forecast.data import source_metr as metr
from forecast.data.schema import TABLES, TableSchema
from forecast.data.source_common import (
    Mapped,
    SourceFormatError,
    fmt_cell,
    header_of,
    read_csv_text,
)
from forecast.data.tables import bundled_path
from forecast.data.validate import RowIssue, check_records, rows_origin

STATUSES = ("new", "changed", "unchanged", "removed")


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{name}: not UTF-8 text ({exc.reason})") from None


def _models(data: bytes, name: str, until: str) -> Mapped:
    text = _text(data, name)
    if "publication_date" in header_of(text):
        return epoch.models_derived(read_csv_text(text, name=name), until)
    return epoch.models_raw(read_csv_text(text, header_prefix="Model,", name=name), until)


def _owners(data: bytes, name: str, until: str) -> Mapped:
    text = _text(data, name)
    header = header_of(text)
    if not {"quarter", "owner", "h100e"} <= set(header):
        raise SourceFormatError(
            f"{name}: not an Epoch chip-owner file by owner or by manufacturer "
            "(columns quarter, owner[, manufacturer], h100e)"
        )
    return epoch.chip_owners(read_csv_text(text, name=name), header, until)


def _eci(data: bytes, name: str, until: str) -> Mapped:
    return epoch.eci_rows(read_csv_text(_text(data, name), name=name), until)


def _hardware(data: bytes, name: str, until: str) -> Mapped:
    return epoch.hardware_rows(read_csv_text(_text(data, name), name=name), until)


def _metr(data: bytes, name: str, until: str) -> Mapped:
    text = _text(data, name)
    if "model_key" in header_of(text) and "task_suite" in header_of(text):
        return metr.flat_rows(read_csv_text(text, name=name), until)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceFormatError(f"{name}: neither METR's flat CSV nor YAML ({exc})") from None
    if not isinstance(doc, Mapping):
        raise SourceFormatError(f"{name}: neither METR's flat CSV nor a METR YAML file")
    return metr.yaml_rows(doc, until)


@dataclass(frozen=True)
class Source:
    """An importable source: its table, the files it reads and its mapping."""

    name: str
    table: str
    files: str
    read: Callable[[bytes, str, str], Mapped]


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "epoch-models",
            "models",
            "Epoch's AI models CSVs (notable, large-scale, all models) or the US/China file",
            _models,
        ),
        Source(
            "epoch-chip-owners",
            "compute_stock",
            "Epoch's AI chip owners by owner, or by manufacturer (China by designer)",
            _owners,
        ),
        Source("epoch-eci", "capability_eci", "Epoch Capabilities Index CSV", _eci),
        Source("epoch-hardware", "hardware", "Epoch ML hardware CSV", _hardware),
        Source("metr", "capability_metr", "METR time-horizon YAML or flat CSV", _metr),
    )
}
"""Import sources by name."""


@dataclass
class ImportRow:
    """One row of an import: its key, status, cells (new) and the current cells it replaces."""

    key: str
    status: str
    cells: dict[str, str]
    previous: dict[str, str] | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    stored_id: int | None = None
    """Id of the stored observation holding the current row (None: bundled)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a changed row lists only the cells that differ as ``changes``)."""
        out: dict[str, Any] = {"key": self.key, "status": self.status, "row": self.cells}
        if self.status == "changed" and self.previous is not None:
            out["changes"] = {
                c: {"from": self.previous.get(c, ""), "to": v}
                for c, v in self.cells.items()
                if self.previous.get(c, "") != v
            }
        if self.provenance:
            out["provenance"] = self.provenance
        if self.stored_id is not None:
            out["stored_id"] = self.stored_id
        return out


@dataclass
class ImportPlan:
    """What importing a file would do (or did, once ``stored`` ids are filled)."""

    source: str
    table: str
    file: str
    sha256: str
    format: str
    vintage: str
    rows: list[ImportRow]
    skipped: dict[str, int]
    issues: list[RowIssue]
    allow_implausible: bool = False
    stored: list[int] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        """True when the new and changed rows have no issue."""
        return not self.issues

    def by_status(self, status: str) -> list[ImportRow]:
        """The rows with ``status``."""
        return [r for r in self.rows if r.status == status]

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status."""
        return {s: len(self.by_status(s)) for s in STATUSES}

    def to_dict(self, rows: bool = True) -> dict[str, Any]:
        """The summary (counts) and, with ``rows``, the rows behind new/changed/removed."""
        out: dict[str, Any] = {
            "source": self.source,
            "table": self.table,
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "vintage": self.vintage,
            "counts": self.counts,
            "skipped": self.skipped,
            "ok": self.ok,
            "issues": [i.to_dict() for i in self.issues],
            "allow_implausible": self.allow_implausible,
            "written": self.written,
            "stored_ids": self.stored,
        }
        if rows:
            out["rows"] = {
                s: [r.to_dict() for r in self.by_status(s)] for s in ("new", "changed", "removed")
            }
        return out


def parse_vintage(text: str | None, today: date | None = None) -> str:
    """The data vintage (ISO date) of an import: the given day, or today; never in the future."""
    today = today or date.today()
    if not text:
        return today.isoformat()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--vintage: {text!r} is not a date YYYY-MM-DD") from None
    if day > today:
        raise UsageError(f"--vintage: {text} is in the future")
    return day.isoformat()


def source_named(name: str) -> Source:
    """The source called ``name``, or a usage error listing the sources."""
    if name not in SOURCES:
        raise UsageError(f"unknown import source {name!r}; sources: {', '.join(SOURCES)}")
    return SOURCES[name]


def key_of(schema: TableSchema, cells: Mapping[str, str]) -> str:
    """The table key of a row as one text (``|``-joined)."""
    return "|".join(cells.get(c, "") for c in schema.key)


def bundled_cells(table: str) -> list[dict[str, str]]:
    """The bundled rows of ``table`` as cell texts."""
    text = bundled_path(table).read_text(encoding="utf-8")
    return [dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))]


def current_rows(
    table: str, stored: Sequence[tuple[int, Mapping[str, str]]]
) -> dict[str, tuple[dict[str, str], int | None]]:
    """The current table by key: bundled rows overlaid with stored rows (stored id or None)."""
    schema = TABLES[table]
    current: dict[str, tuple[dict[str, str], int | None]] = {}
    for cells in bundled_cells(table):
        current[key_of(schema, cells)] = (cells, None)
    for sid, cells in stored:
        full = {c: str(cells.get(c, "")) for c in schema.column_names}
        current[key_of(schema, full)] = (full, sid)
    return current


def _same(schema: TableSchema, a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Equal rows; numbers compare as numbers (``2.5e+25`` equals ``2.5e25``)."""
    for col in schema.columns:
        x, y = a.get(col.name, ""), b.get(col.name, "")
        if x == y:
            continue
        if col.kind in ("float", "int") and x and y:
            try:
                if float(x) == float(y):
                    continue
            except ValueError:
                pass
        return False
    return True


def plan_import(
    source: str,
    data: bytes,
    filename: str,
    stored: Sequence[tuple[int, Mapping[str, str]]] = (),
    *,
    vintage: str | None = None,
    allow_implausible: bool = False,
    today: pd.Timestamp | None = None,
) -> ImportPlan:
    """Map ``data`` (a file of ``source``) and compare it with the current table.

    ``stored`` are the active stored observations of the source's table as ``(id, cells)``.
    Rows dated after ``vintage`` (default today) are left out. Raises
    :class:`~forecast.data.source_common.SourceFormatError` when the file is not in the
    source's format.
    """
    src = source_named(source)
    schema = TABLES[src.table]
    vintage = parse_vintage(vintage)
    digest = hashlib.sha256(data).hexdigest()
    mapped = src.read(data, filename, vintage)
    if mapped.table != src.table:  # a mapping bug, not a user error
        raise SourceFormatError(f"{source}: mapped to {mapped.table}, expected {src.table}")
    current = current_rows(src.table, stored)
    rows: list[ImportRow] = []
    issues: list[RowIssue] = []
    seen: dict[str, int] = {}
    for index, (row, source_key) in enumerate(zip(mapped.rows, mapped.keys, strict=True)):
        cells = {c: fmt_cell(row[c]) for c in schema.column_names}
        key = key_of(schema, cells)
        provenance = {
            "source": source,
            "file": filename,
            "sha256": digest,
            "row_key": source_key,
            "vintage": vintage,
        }
        if key in seen:
            rule = (
                f"duplicate key ({', '.join(schema.key)}) in the file; first from row {seen[key]}"
            )
            issues.append(RowIssue(index, ",".join(schema.key), key, rule))
            continue
        seen[key] = index
        before = current.get(key)
        if before is None:
            status, previous, sid = "new", None, None
        else:
            previous, sid = before
            status = "unchanged" if _same(schema, previous, cells) else "changed"
        rows.append(ImportRow(key, status, cells, previous, provenance, sid))
    for key, (cells, sid) in current.items():
        if key not in seen and mapped.covers(cells):
            rows.append(ImportRow(key, "removed", cells, cells, {}, sid))
    issues.extend(_check(schema, rows, allow_implausible, today))
    issues.sort(key=lambda i: (i.row, i.column))
    return ImportPlan(
        source=source,
        table=src.table,
        file=filename,
        sha256=digest,
        format=mapped.fmt,
        vintage=vintage,
        rows=rows,
        skipped={k: v for k, v in sorted(mapped.skipped.items()) if v},
        issues=issues,
        allow_implausible=allow_implausible,
    )


def _check(
    schema: TableSchema,
    rows: Sequence[ImportRow],
    allow_implausible: bool,
    today: pd.Timestamp | None,
) -> list[RowIssue]:
    """Cell, row and plausibility issues of the new and changed rows, by their row index."""
    today = pd.Timestamp.today().normalize() if today is None else today
    todo = [(i, r.cells) for i, r in enumerate(rows) if r.status in ("new", "changed")]
    origin = rows_origin("imported row")
    _, found = check_records(schema, origin, todo, today, plausible=not allow_implausible)
    out = []
    for issue in found:
        where = rows[issue.line]
        rule = f"{issue.rule} (row {where.key}, {where.provenance.get('row_key', '')})"
        out.append(RowIssue(issue.line, issue.column, issue.value, rule))
    return out
