"""A refit job's status carries its progress: stage, fraction done and an ETA."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import service.worker as worker_module
from service.jobs import ServiceDB
from service.worker import JobLog, run_job

pytestmark = pytest.mark.fast


def test_progress_follows_the_job_from_queued_to_finished(tmp_path: Path) -> None:
    db = ServiceDB(tmp_path / "service.sqlite")
    job = db.create_job("default", True, "alice")
    assert job["progress"] == {"stage": "queued", "fraction": 0.0, "eta_seconds": None}
    running = db.claim_job(job["job_id"])
    assert running is not None and running["progress"]["stage"] == "starting"
    db.set_progress(job["job_id"], "sampling", 0.25, 12.5)
    got = db.get_job(job["job_id"])
    assert got is not None
    assert got["progress"] == {"stage": "sampling", "fraction": 0.25, "eta_seconds": 12.5}
    db.finish_job(job["job_id"], "succeeded", "run-1", "passed")
    done = db.get_job(job["job_id"])
    assert done is not None and done["progress"]["stage"] == "succeeded"
    assert done["progress"]["fraction"] == 1.0


def test_a_database_from_before_progress_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "service.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, priors TEXT NOT NULL, "
            "quick INTEGER NOT NULL, key_name TEXT NOT NULL, created TEXT NOT NULL, started TEXT, "
            "finished TEXT, run_id TEXT, run_status TEXT, observations INTEGER, error TEXT, "
            "messages TEXT NOT NULL DEFAULT '[]')"
        )
        conn.execute(
            "INSERT INTO jobs (id, status, priors, quick, key_name, created) "
            "VALUES ('old', 'running', 'default', 1, 'bob', '2026-01-01T00:00:00+00:00')"
        )
    db = ServiceDB(path)
    old = db.get_job("old")
    assert old is not None and old["progress"]["stage"] == "starting"
    db.set_progress("old", "compiling")
    got = db.get_job("old")
    assert got is not None and got["progress"]["stage"] == "compiling"


def test_the_worker_records_the_fit_stages_in_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.fit.sampling import Progress
    from forecast.store.runs import RunStore

    db = ServiceDB(tmp_path / "service.sqlite")
    seen: list[dict[str, Any]] = []

    class Result:
        status = "passed"
        run_id = "20260101T000000-abcdef01"
        meta: dict[str, Any] = {}  # noqa: RUF012

    def fake_fit(priors: str, extra: Any, config: Any, store: Any, say: Any, gate: Any) -> Any:
        say.progress(Progress("compiling"))
        seen.append(db.get_job(job_id)["progress"])
        say.progress(Progress("sampling", 0.5, 3.0, "4000/8000 draws"))
        seen.append(db.get_job(job_id)["progress"])
        say.progress(Progress("sampling", 0.6, 2.0))  # throttled: same stage, too soon
        seen.append(db.get_job(job_id)["progress"])
        say("a log line")
        return Result()

    monkeypatch.setattr(worker_module, "run_fit", fake_fit)
    job_id = db.create_job("default", True, "alice")["job_id"]
    finished = run_job(db, RunStore(tmp_path), job_id)
    assert [p["stage"] for p in seen] == ["compiling", "sampling", "sampling"]
    assert seen[1] == {"stage": "sampling", "fraction": 0.5, "eta_seconds": 3.0}
    assert seen[2]["fraction"] == 0.5
    assert finished is not None and finished["status"] == "succeeded"
    assert finished["progress"]["stage"] == "succeeded"
    assert "a log line" in finished["messages"]


def test_job_log_progress_never_raises(tmp_path: Path) -> None:
    from forecast.fit.sampling import Progress

    class Broken:
        def set_progress(self, *args: Any) -> None:
            raise sqlite3.OperationalError("database is locked")

    JobLog(Broken(), "x").progress(Progress("sampling", 0.1))  # type: ignore[arg-type]
