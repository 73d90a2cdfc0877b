"""The service's own SQLite database (``$FORECAST_HOME/service.sqlite``): observations and jobs.

``observations`` keeps every row accepted through ``POST /v1/observations``, exactly as the
validated CSV cells (a JSON object of strings), with the API key's name and the time.
``jobs`` keeps refit jobs: status (queued, running, succeeded, failed), the prior set, the
resulting run id and its status, the error message of a failed job, the fit's log lines and its
progress (stage, fraction of the stage done, ETA in seconds) while it runs.

The web process and the worker process both open the file; every call uses its own short
connection in WAL mode, so neither blocks the other for long.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.store.observations import ObservationStore

SCHEMA = """
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
    messages TEXT NOT NULL DEFAULT '[]',
    progress TEXT
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
            columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)").fetchall()}
            if "progress" not in columns:  # a database from before progress was recorded
                conn.execute("ALTER TABLE jobs ADD COLUMN progress TEXT")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with sqlite.connect(self.path, rows=True) as conn:
            yield conn

    # -- observations -------------------------------------------------------------------------
    # Kept in the library's observation store (same file, same table), so that the command line
    # reads and writes them without the service.
    @cached_property
    def observation_store(self) -> ObservationStore:
        """The library's store of observations in this database file."""
        return ObservationStore(self.path)

    def add_observations(
        self,
        table: str,
        rows: Sequence[dict[str, str]],
        key_name: str,
        allowed_implausible_by: str | None = None,
    ) -> list[int]:
        """Store validated rows of ``table``; returns their ids."""
        return self.observation_store.add(
            table, rows, key_name, allowed_implausible_by=allowed_implausible_by
        )

    def observation_rows(self, table: str) -> list[tuple[int, dict[str, str]]]:
        """Every active stored row of ``table`` as ``(id, cells)``, oldest first."""
        return self.observation_store.rows(table)

    def list_observations(
        self, table: str | None, limit: int, offset: int, include_retracted: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of stored observations (newest first) and the total count."""
        return self.observation_store.page(table, limit, offset, include_retracted)

    def count_observations(self) -> int:
        """Number of active stored observations over all tables."""
        return self.observation_store.count()

    def count_observations_since(self, created: str | None) -> int:
        """Active observations stored after ``created`` (ISO time; None counts them all)."""
        return self.observation_store.count_since(created)

    def export_observations(self, folder: Path) -> list[Path]:
        """Write the active observations as CSV files (one per table and kind) into ``folder``."""
        return self.observation_store.export(folder)

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

    def set_progress(
        self,
        job_id: str,
        stage: str,
        fraction: float | None = None,
        eta_seconds: float | None = None,
    ) -> None:
        """Record where a running job's fit is: its stage, the fraction done and an ETA."""
        progress = {"stage": stage, "fraction": fraction, "eta_seconds": eta_seconds}
        with self._db() as conn:
            conn.execute(
                "UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job_id)
            )

    def job_ids(self, status: str) -> list[str]:
        """Ids of the jobs with ``status``, oldest first."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id FROM jobs WHERE status = ? ORDER BY created, rowid", (status,)
            ).fetchall()
        return [r["id"] for r in rows]

    def count_jobs(self, *statuses: str) -> int:
        """Number of jobs in any of ``statuses``."""
        marks = ", ".join("?" * len(statuses))
        with self._db() as conn:
            row = conn.execute(
                f"SELECT COUNT(*) FROM jobs WHERE status IN ({marks})",  # noqa: S608
                statuses,
            ).fetchone()
        return int(row[0])

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
        "progress": _progress(row),
    }


def _progress(row: sqlite3.Row) -> dict[str, Any]:
    """The job's progress: the fit's last report while it runs; else from the status."""
    status = row["status"]
    if status == "queued":
        return {"stage": "queued", "fraction": 0.0, "eta_seconds": None}
    if status in ("succeeded", "failed"):
        return {"stage": status, "fraction": 1.0, "eta_seconds": 0.0}
    stored = row["progress"]
    if stored:
        return dict(json.loads(stored))
    return {"stage": "starting", "fraction": None, "eta_seconds": None}
