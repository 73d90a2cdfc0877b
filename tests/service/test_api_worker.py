"""The refit worker: job outcomes recorded in SQLite, a crashed worker restarted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from service import worker as worker_module
from service.jobs import ServiceDB
from service.worker import WORK_DIR, WorkerHandle, run_job

TEST_STOP_GRACE = 1.0
"""Seconds the test worker may take to stop (it is still compiling, so it is terminated)."""


class FakeResult:
    def __init__(self, status: str) -> None:
        self.run_id = "20260101T000000-abcdef01"
        self.status = status
        self.meta = {"gate_failures": ["min bulk ESS 65 < 400"]}


@pytest.fixture
def db(tmp_path: Path) -> ServiceDB:
    return ServiceDB(tmp_path / "service.sqlite")


def store_at(tmp_path: Path) -> Any:
    from forecast.store.runs import RunStore

    return RunStore(tmp_path)


def test_a_failing_fit_fails_the_job_with_its_message(
    db: ServiceDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.core.errors import UsageError

    seen: dict[str, Any] = {}

    def broken_fit(priors: str, extra: Any, config: Any, store: Any, say: Any, gate: Any) -> Any:
        seen["extra"] = [Path(p) for p in extra]
        seen["quick"] = config.draws
        raise UsageError("the data do not validate: something")

    monkeypatch.setattr(worker_module, "run_fit", broken_fit)
    db.add_observations("models", [{"model": "x"}], "alice")
    job = db.create_job("default", True, "alice")
    finished = run_job(db, store_at(tmp_path), job["job_id"])
    assert finished is not None
    assert finished["status"] == "failed"
    assert finished["error"] == "the data do not validate: something"
    assert [p.name for p in seen["extra"]] == ["api-observations-models.csv"]
    assert not any(p.exists() for p in seen["extra"]), "the exported files are removed"
    assert list((tmp_path / WORK_DIR).iterdir()) == []
    assert run_job(db, store_at(tmp_path), job["job_id"]) is None, "a finished job is not rerun"


def test_gate_failures_and_successes_are_recorded(
    db: ServiceDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = {"status": "failed"}
    monkeypatch.setattr(worker_module, "run_fit", lambda *a, **k: FakeResult(outcome["status"]))
    failed = run_job(db, store_at(tmp_path), db.create_job("default", True, "ci-bot")["job_id"])
    assert failed is not None and failed["status"] == "failed"
    assert failed["run_id"] == "20260101T000000-abcdef01" and failed["run_status"] == "failed"
    assert "min bulk ESS 65 < 400" in failed["error"]
    outcome["status"] = "passed"
    done = run_job(db, store_at(tmp_path), db.create_job("default", False, "ci-bot")["job_id"])
    assert done is not None and done["status"] == "succeeded" and done["error"] is None
    assert done["started"] and done["finished"]


def test_a_dead_worker_is_restarted_and_its_job_failed(db: ServiceDB, tmp_path: Path) -> None:
    handle = WorkerHandle(tmp_path, db, "WARNING", "json", stop_grace=TEST_STOP_GRACE)
    handle.start()
    restarted = None
    try:
        assert handle.alive
        job = db.create_job("default", True, "alice")
        db.claim_job(job["job_id"])  # as if the worker had started it
        handle._process.kill()  # type: ignore[union-attr]
        handle._process.join(10)  # type: ignore[union-attr]
        assert handle.check() is True
        assert handle.alive and handle.restarts == 1
        restarted = handle._process
        failed = db.get_job(job["job_id"])
        assert failed is not None and failed["status"] == "failed"
        assert "worker stopped" in failed["error"]
        assert handle.check() is False
    finally:
        started = time.monotonic()
        handle.stop()  # the worker is still compiling: it is terminated after the grace
    assert time.monotonic() - started < TEST_STOP_GRACE + 5
    assert not handle.alive
    assert restarted is not None and not restarted.is_alive() and restarted.exitcode is not None
