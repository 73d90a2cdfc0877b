"""Stored observations: rows added to the curated tables by posts and imports, with their history.

One SQLite table, ``observations``, in the service's database (``$FORECAST_HOME/service.sqlite``):
the service (``service.jobs.ServiceDB``) and the command line (``forecast data import``,
``forecast data retract``) read and write it through this module, so neither needs the other.
Each row keeps the validated CSV cells (a JSON object of strings), who added it and when, and:

- ``kind``: ``new`` (a row with a new key) or ``revision`` (an imported change of an existing
  row; it replaces the row with its key, bundled or stored, when the tables are loaded);
- ``provenance``: for imports, the source, file name, file SHA-256, the row's key in the
  publisher's file and the data vintage (JSON);
- ``vintage``: the data vintage date given with the import (empty for posts);
- ``allowed_implausible_by``: who accepted a value outside the plausible ranges deliberately;
- ``retracted`` / ``retracted_by`` / ``retract_reason``: a retraction. Nothing is ever deleted:
  a retracted row stays in the history but leaves every fit (:meth:`ObservationStore.export`
  and the counts skip it).

This module belongs to floor 1 with ``forecast.data``, whose table declarations and importers
it uses; it never imports ``service``.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.core.errors import ForecastError
from forecast.data.importers import ImportPlan, plan_import
from forecast.data.schema import TABLES
from forecast.data.tables import REVISION_SUFFIX
from forecast.store.settings import default_home

DATABASE = "service.sqlite"
"""The database file under the store folder (shared with the service's refit jobs)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row TEXT NOT NULL,
    key_name TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_by_table ON observations (table_name, id);
"""
ADDED_COLUMNS = {
    "kind": "TEXT NOT NULL DEFAULT 'new'",
    "provenance": "TEXT",
    "vintage": "TEXT",
    "allowed_implausible_by": "TEXT",
    "retracted": "TEXT",
    "retracted_by": "TEXT",
    "retract_reason": "TEXT",
}
"""Columns added after the first schema (added in place to an older database)."""

KINDS = ("new", "revision")
EXPORT_PREFIX = "api-observations-"


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class ObservationNotFoundError(ForecastError):
    """No stored observation has this id."""


class AlreadyRetractedError(ForecastError):
    """The observation was retracted before."""


@dataclass(frozen=True)
class Retraction:
    """Who retracted an observation, when and why."""

    id: int
    by: str
    at: str
    why: str


class ObservationStore:
    """Stored observations in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as conn:
            conn.executescript(SCHEMA)
            have = {r["name"] for r in conn.execute("PRAGMA table_info(observations)")}
            for name, decl in ADDED_COLUMNS.items():
                if name not in have:
                    try:
                        conn.execute(f"ALTER TABLE observations ADD COLUMN {name} {decl}")
                    except sqlite3.OperationalError as exc:
                        # another process or thread opening the same file added it first
                        if "duplicate column" not in str(exc):
                            raise

    @classmethod
    def at_home(cls, home: Path | None = None) -> ObservationStore:
        """The store of ``home`` (default ``$FORECAST_HOME``, else ``./var``)."""
        return cls(Path(home if home is not None else default_home()) / DATABASE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with sqlite.connect(self.path, rows=True) as conn:
            yield conn

    # -- writing -------------------------------------------------------------------------------
    def add(
        self,
        table: str,
        rows: Sequence[Mapping[str, str]],
        key_name: str,
        *,
        kinds: Sequence[str] | None = None,
        provenance: Sequence[Mapping[str, str] | None] | None = None,
        vintage: str | None = None,
        allowed_implausible_by: str | None = None,
    ) -> list[int]:
        """Store validated rows of ``table`` (one transaction); returns their ids."""
        if table not in TABLES:
            raise KeyError(f"unknown table {table!r}")
        created = now_iso()
        ids: list[int] = []
        with self._db() as conn:
            for i, row in enumerate(rows):
                kind = kinds[i] if kinds is not None else "new"
                if kind not in KINDS:
                    raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
                prov = provenance[i] if provenance is not None else None
                cur = conn.execute(
                    "INSERT INTO observations (table_name, row, key_name, created, kind, "
                    "provenance, vintage, allowed_implausible_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        table,
                        json.dumps(dict(row), sort_keys=True),
                        key_name,
                        created,
                        kind,
                        json.dumps(dict(prov), sort_keys=True) if prov else None,
                        vintage,
                        allowed_implausible_by,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def retract(self, obs_id: int, by: str, why: str) -> Retraction:
        """Mark observation ``obs_id`` retracted by ``by`` because ``why`` (nothing is deleted)."""
        why = " ".join(why.split())
        if not why:
            raise ForecastError("a retraction needs a reason (--why)")
        at = now_iso()
        with self._db() as conn:
            found = conn.execute(
                "SELECT retracted FROM observations WHERE id = ?", (obs_id,)
            ).fetchone()
            if found is None:
                raise ObservationNotFoundError(f"no stored observation has id {obs_id}")
            if found["retracted"] is not None:
                raise AlreadyRetractedError(
                    f"observation {obs_id} was already retracted at {found['retracted']}"
                )
            conn.execute(
                "UPDATE observations SET retracted = ?, retracted_by = ?, retract_reason = ? "
                "WHERE id = ?",
                (at, by, why, obs_id),
            )
        return Retraction(obs_id, by, at, why)

    # -- reading -------------------------------------------------------------------------------
    def rows(self, table: str, include_retracted: bool = False) -> list[tuple[int, dict[str, str]]]:
        """Stored rows of ``table`` as ``(id, cells)``, oldest first (active ones by default)."""
        active = "" if include_retracted else " AND retracted IS NULL"
        with self._db() as conn:
            found = conn.execute(
                f"SELECT id, row FROM observations WHERE table_name = ?{active} ORDER BY id",  # noqa: S608
                (table,),
            ).fetchall()
        return [(int(r["id"]), json.loads(r["row"])) for r in found]

    def new_rows(self, table: str) -> list[tuple[int, dict[str, str]]]:
        """Active rows of kind ``new`` (the ones whose keys must not repeat a current row)."""
        with self._db() as conn:
            found = conn.execute(
                "SELECT id, row FROM observations WHERE table_name = ? AND kind = 'new' "
                "AND retracted IS NULL ORDER BY id",
                (table,),
            ).fetchall()
        return [(int(r["id"]), json.loads(r["row"])) for r in found]

    def get(self, obs_id: int) -> dict[str, Any] | None:
        """One stored observation as a dict (see :meth:`page`), or None."""
        with self._db() as conn:
            row = conn.execute("SELECT * FROM observations WHERE id = ?", (obs_id,)).fetchone()
        return _item(row) if row is not None else None

    def page(
        self, table: str | None, limit: int, offset: int, include_retracted: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of stored observations (newest first) and the total count."""
        clauses, args = [], []
        if table:
            clauses.append("table_name = ?")
            args.append(table)
        if not include_retracted:
            clauses.append("retracted IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._db() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM observations {where}", args).fetchone()[0]  # noqa: S608
            found = conn.execute(
                f"SELECT * FROM observations {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                [*args, limit, offset],
            ).fetchall()
        return [_item(r) for r in found], int(total)

    def count(self) -> int:
        """Active (not retracted) observations over all tables."""
        with self._db() as conn:
            found = conn.execute("SELECT COUNT(*) FROM observations WHERE retracted IS NULL")
            return int(found.fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Active observations per table (tables with none left out)."""
        with self._db() as conn:
            found = conn.execute(
                "SELECT table_name, COUNT(*) AS n FROM observations WHERE retracted IS NULL "
                "GROUP BY table_name ORDER BY table_name"
            ).fetchall()
        return {r["table_name"]: int(r["n"]) for r in found}

    def count_since(self, created: str | None) -> int:
        """Active observations stored after ``created`` (ISO time; None counts them all)."""
        if created is None:
            return self.count()
        with self._db() as conn:
            found = conn.execute(
                "SELECT COUNT(*) FROM observations WHERE created > ? AND retracted IS NULL",
                (created,),
            )
            return int(found.fetchone()[0])

    def export(self, folder: Path) -> list[Path]:
        """Write the active observations as CSV files a fit reads as extra data.

        New rows go to ``api-observations-{table}.csv``; revisions (the latest per key) to
        ``api-observations-{table}.revisions.csv``, which replace the rows with their keys.
        Retracted rows are left out, so they leave the fit and its data hash.
        """
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for name, schema in TABLES.items():
            with self._db() as conn:
                found = conn.execute(
                    "SELECT row, kind FROM observations WHERE table_name = ? "
                    "AND retracted IS NULL ORDER BY id",
                    (name,),
                ).fetchall()
            new = [json.loads(r["row"]) for r in found if r["kind"] != "revision"]
            latest: dict[tuple[str, ...], dict[str, str]] = {}
            for r in found:
                if r["kind"] == "revision":
                    cells = json.loads(r["row"])
                    latest[tuple(cells.get(c, "") for c in schema.key)] = cells
            for rows, suffix in ((new, ".csv"), (list(latest.values()), REVISION_SUFFIX)):
                if not rows:
                    continue
                path = folder / f"{EXPORT_PREFIX}{name}{suffix}"
                with path.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.writer(fh, lineterminator="\n")
                    writer.writerow(schema.column_names)
                    for cells in rows:
                        writer.writerow([cells.get(col, "") for col in schema.column_names])
                paths.append(path)
        return paths

    # -- imports -------------------------------------------------------------------------------
    def plan(
        self,
        source: str,
        data: bytes,
        filename: str,
        vintage: str | None = None,
        allow_implausible: bool = False,
    ) -> ImportPlan:
        """What importing ``data`` would change, against the bundled rows plus this store."""
        from forecast.data.importers import source_named

        table = source_named(source).table
        return plan_import(
            source,
            data,
            filename,
            self.rows(table),
            vintage=vintage,
            allow_implausible=allow_implausible,
        )

    def import_file(
        self,
        source: str,
        data: bytes,
        filename: str,
        key_name: str,
        *,
        vintage: str | None = None,
        allow_implausible: bool = False,
        write: bool = True,
    ) -> ImportPlan:
        """Plan an import and, when ``write`` and the plan has no issue, store its new and
        changed rows (with provenance and vintage); returns the plan with the stored ids."""
        plan = self.plan(source, data, filename, vintage, allow_implausible)
        todo = [r for r in plan.rows if r.status in ("new", "changed")]
        if write and plan.ok and todo:
            plan.stored = self.add(
                plan.table,
                [r.cells for r in todo],
                key_name,
                kinds=["new" if r.status == "new" else "revision" for r in todo],
                provenance=[r.provenance for r in todo],
                vintage=plan.vintage,
                allowed_implausible_by=key_name if allow_implausible else None,
            )
        plan.written = bool(write and plan.ok)
        return plan


def _item(r: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": int(r["id"]),
        "table": r["table_name"],
        "row": json.loads(r["row"]),
        "submitted_by": r["key_name"],
        "created": r["created"],
        "kind": r["kind"],
        "provenance": json.loads(r["provenance"]) if r["provenance"] else None,
        "vintage": r["vintage"],
        "allowed_implausible_by": r["allowed_implausible_by"],
        "retracted": None,
    }
    if r["retracted"] is not None:
        out["retracted"] = {
            "at": r["retracted"],
            "by": r["retracted_by"],
            "why": r["retract_reason"],
        }
    return out
