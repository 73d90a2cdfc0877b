"""The service's own SQLite database (``$FORECAST_HOME/service.sqlite``): observations and jobs.

``observations`` keeps every row accepted through ``POST /v1/observations``, exactly as the
validated CSV cells (a JSON object of strings), with the API key's name and the time.
``jobs`` keeps refit jobs: status (queued, running, succeeded, failed), the prior set, the
resulting run id and its status, the error message of a failed job and the fit's log lines.

The web process and the worker process both open the file; every call uses its own short
connection in WAL mode, so neither blocks the other for long.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.data.tables import TABLES

SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row TEXT NOT NULL,
    key_name TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_by_table ON observations (table_name, id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    priors TEXT NOT NULL,
    quick INTEGER NOT NULL,
    key_name TEXT NOT NULL,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    run_id TEXT,
    run_status TEXT,
    observations INTEGER,
    error TEXT,
    messages TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created, id);
"""

JOB_STATUSES = ("queued", "running", "succeeded", "failed")
MAX_MESSAGES = 200


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class ServiceDB:
    """Observations and refit jobs in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with sqlite.connect(self.path, rows=True) as conn:
            yield conn

    # -- observations -------------------------------------------------------------------------
    def add_observations(
        self, table: str, rows: Sequence[dict[str, str]], key_name: str
    ) -> list[int]:
        """Store validated rows of ``table``; returns their ids."""
        created = now_iso()
        ids: list[int] = []
        with self._db() as conn:
            for row in rows:
                cur = conn.execute(
                    "INSERT INTO observations (table_name, row, key_name, created) "
                    "VALUES (?, ?, ?, ?)",
                    (table, json.dumps(row, sort_keys=True), key_name, created),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def observation_rows(self, table: str) -> list[tuple[int, dict[str, str]]]:
        """Every stored row of ``table`` as ``(id, cells)``, oldest first."""
        with self._db() as conn:
            found = conn.execute(
                "SELECT id, row FROM observations WHERE table_name = ? ORDER BY id", (table,)
            ).fetchall()
        return [(int(r["id"]), json.loads(r["row"])) for r in found]

    def list_observations(
        self, table: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of stored observations (newest first) and the total count."""
        where, args = ("WHERE table_name = ?", [table]) if table else ("", [])
        with self._db() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM observations {where}", args).fetchone()[0]  # noqa: S608
            found = conn.execute(
                f"SELECT * FROM observations {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                [*args, limit, offset],
            ).fetchall()
        items = [
            {
                "id": int(r["id"]),
                "table": r["table_name"],
                "row": json.loads(r["row"]),
                "submitted_by": r["key_name"],
                "created": r["created"],
            }
            for r in found
        ]
        return items, int(total)

    def count_observations(self) -> int:
        """Number of stored observations over all tables."""
        with self._db() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0])

    def count_observations_since(self, created: str | None) -> int:
        """Observations stored after ``created`` (ISO time; None counts them all)."""
        if created is None:
            return self.count_observations()
        with self._db() as conn:
            row = conn.execute("SELECT COUNT(*) FROM observations WHERE created > ?", (created,))
            return int(row.fetchone()[0])

    def export_observations(self, folder: Path) -> list[Path]:
        """Write stored observations as one CSV per table (the table's header) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for name, schema in TABLES.items():
            rows = self.observation_rows(name)
            if not rows:
                continue
            path = folder / f"api-observations-{name}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(schema.column_names)
                for _, cells in rows:
                    writer.writerow([cells.get(col, "") for col in schema.column_names])
            paths.append(path)
        return paths

    # -- jobs ---------------------------------------------------------------------------------
    def create_job(self, priors: str, quick: bool, key_name: str) -> dict[str, Any]:
        """A new queued refit job."""
        job_id = uuid.uuid4().hex
        with self._db() as conn:
            conn.execute(
                "INSERT INTO jobs (id, status, priors, quick, key_name, created) "
                "VALUES (?, 'queued', ?, ?, ?, ?)",
                (job_id, priors, int(quick), key_name, now_iso()),
            )
        job = self.get_job(job_id)
        assert job is not None
        return job

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """A job as a dict, or None."""
        with self._db() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row is not None else None

    def list_jobs(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """A page of jobs (newest first) and the total count."""
        with self._db() as conn:
            total = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
            rows = conn.execute(
                "SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_job(r) for r in rows], int(total)

    def claim_job(self, job_id: str) -> dict[str, Any] | None:
        """Move a queued job to running; None if it is not queued (already taken or unknown)."""
        with self._db() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'running', started = ? "
                "WHERE id = ? AND status = 'queued'",
                (now_iso(), job_id),
            )
            if cur.rowcount != 1:
                return None
        return self.get_job(job_id)

    def finish_job(
        self,
        job_id: str,
        status: str,
        run_id: str | None = None,
        run_status: str | None = None,
        error: str | None = None,
        observations: int | None = None,
    ) -> None:
        """Record a job's outcome (``succeeded`` or ``failed``)."""
        if status not in ("succeeded", "failed"):
            raise ValueError(f"a finished job is succeeded or failed, not {status!r}")
        with self._db() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, finished = ?, run_id = ?, run_status = ?, error = ?, "
                "observations = COALESCE(?, observations) WHERE id = ?",
                (status, now_iso(), run_id, run_status, error, observations, job_id),
            )

    def add_message(self, job_id: str, message: str) -> None:
        """Append a log line to a job (the newest ``MAX_MESSAGES`` are kept)."""
        with self._db() as conn:
            row = conn.execute("SELECT messages FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return
            messages = [*json.loads(row["messages"]), message][-MAX_MESSAGES:]
            conn.execute(
                "UPDATE jobs SET messages = ? WHERE id = ?", (json.dumps(messages), job_id)
            )

    def job_ids(self, status: str) -> list[str]:
        """Ids of the jobs with ``status``, oldest first."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id FROM jobs WHERE status = ? ORDER BY created, rowid", (status,)
            ).fetchall()
        return [r["id"] for r in rows]

    def fail_running(self, reason: str) -> list[str]:
        """Mark every running job failed with ``reason`` (after a worker crash or restart)."""
        ids = self.job_ids("running")
        for job_id in ids:
            self.finish_job(job_id, "failed", error=reason)
        return ids


def _job(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "job_id": row["id"],
        "status": row["status"],
        "priors": row["priors"],
        "quick": bool(row["quick"]),
        "submitted_by": row["key_name"],
        "created": row["created"],
        "started": row["started"],
        "finished": row["finished"],
        "run_id": row["run_id"],
        "run_status": row["run_status"],
        "observations": row["observations"],
        "error": row["error"],
        "messages": json.loads(row["messages"]),
    }
