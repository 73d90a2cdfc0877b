"""Hardening: nested bodies, the request cost model, Retry-After, keys in URLs, worker crashes,
store faults, refit queue cap, /metrics restriction and the report's security headers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.jobs import ServiceDB
from service.limits import REQUEST_COST, CostBudget, json_depth_exceeds
from service.runtime import AnswerCache
from service.worker import WorkerHandle

pytestmark = pytest.mark.anyio

SECRET = "alice-secret-0123456789"
DATES = [f"{2026 + i // 4}-{1 + 3 * (i % 4):02d}-01" for i in range(50)]
QUANTILES = [round(i / 100, 2) for i in range(1, 100)]


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def app_for(home: Path, settings_for: Any, **api: Any) -> Any:
    from service.app import create_app

    return create_app(settings_for(home, **api))


# -- 1. bodies nested too deeply --------------------------------------------------------------
def test_json_depth_scan() -> None:
    assert not json_depth_exceeds(b'{"a": [1, 2, {"b": []}]}', 4)
    assert json_depth_exceeds(b'{"a": [1, 2, {"b": []}]}', 3)
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 5000 + b'"}', 3), "brackets in strings"
    assert not json_depth_exceeds(b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 3)
    assert json_depth_exceeds(deep(1500), 32)
    assert not json_depth_exceeds(b"[]" * 5000, 32), "many shallow arrays"


async def test_deeply_nested_json_is_a_400_on_every_body_route(
    empty_home: Path, settings_for: Any, alice: dict[str, str]
) -> None:
    body = b'{"questions": ' + deep(1500) + b"}"
    async with AsyncTestClient(app=app_for(empty_home, settings_for)) as client:
        for path, headers in (
            ("/v1/questions", {}),
            ("/v1/observations", alice),
            ("/v1/refits", alice),
        ):
            response = await client.post(
                path, content=body, headers={"content-type": "application/json", **headers}
            )
            assert response.status_code == 400, (path, response.text)
            problem = response.json()
            assert "nested too deeply" in problem["detail"]
            assert problem["type"].endswith(":problem:body-too-deep")


# -- 2. cost model ----------------------------------------------------------------------------
def test_cost_budget_refills_and_says_when() -> None:
    now = [0.0]
    budget = CostBudget(600, clock=lambda: now[0])  # 10 units a second
    assert budget.charge("a", 500) is None
    assert budget.charge("a", 200) == 10  # 100 left: 100 more take 10 s
    assert budget.charge("b", 600) is None, "clients have their own budgets"
    now[0] = 10.0
    assert budget.charge("a", 200) is None
    assert budget.charge("a", 1) == 1


def test_answer_cache_is_bounded_in_bytes() -> None:
    cache = AnswerCache(size=1000, max_bytes=8000)
    for i in range(100):
        cache.put(f"e{i}", b"x" * 900)
    assert cache.bytes <= 8000 and len(cache) == 8
    assert cache.get("e99") is not None and cache.get("e0") is None
    cache.put("huge", b"x" * 1001)  # more than an eighth of the bound: served, never kept
    assert cache.get("huge") is None and cache.bytes <= 8000


@pytest.mark.fit
async def test_a_batch_above_the_request_cost_is_refused_before_any_work(
    client: Any, service_logs: Any
) -> None:
    question = {
        "question": "trajectory",
        "quantity": "frontier_horizon_minutes",
        "country": "US",
        "at": DATES,
        "quantiles": QUANTILES,
    }
    response = await client.post("/v1/questions", json={"questions": [question] * 100})
    assert response.status_code == 413, response.text[:300]
    problem = response.json()
    assert problem["type"].endswith(":problem:request-too-costly")
    assert "FORECAST_MAX_REQUEST_COST" in problem["detail"]
    # a small batch is answered
    small = await client.post("/v1/questions", json={"questions": [question | {"at": DATES[:2]}]})
    assert small.status_code == 200


@pytest.mark.fit
async def test_a_client_over_its_budget_gets_429_with_retry_after(
    home: Path, settings_for: Any, alice: dict[str, str], forecaster: Any
) -> None:
    # about four uncached trajectory questions a minute for a client
    draws = int(forecaster.projector.n_draws)
    per_question = draws * 10 * (30 + 7)
    budget = 4 * per_question + 10 * REQUEST_COST
    app = app_for(home, settings_for, client_cost_per_minute=budget, max_request_cost=budget)
    async with AsyncTestClient(app=app) as client:
        statuses = []
        for i in range(8):
            params = {
                "quantity": "frontier_horizon_minutes",
                "country": "US",
                "at": DATES[i : i + 10],
            }
            response = await client.get("/v1/trajectories", params=params)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["type"].endswith(":problem:cost-budget-exceeded")
        assert statuses[:4] == [200] * 4 and 429 in statuses, statuses
        # another client (an API key) has its own budget
        keyed = await client.get("/v1/trajectories", params=params, headers=alice)
        assert keyed.status_code == 200


async def test_every_request_is_charged_so_cheap_reads_are_limited_too(
    empty_home: Path, settings_for: Any
) -> None:
    app = app_for(
        empty_home,
        settings_for,
        client_cost_per_minute=3 * REQUEST_COST,
        max_request_cost=REQUEST_COST,
    )
    async with AsyncTestClient(app=app) as client:
        statuses = [(await client.get("/v1/runs")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await client.get("/v1/runs")
        assert int(limited.headers["retry-after"]) >= 1
        assert (await client.get("/health")).status_code == 200, "health is never charged"


def test_cost_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.config import ApiSettings, SettingsError

    api = ApiSettings()
    assert api.max_request_cost == 100_000_000 and api.client_cost_per_minute == 600_000_000
    assert api.answer_cache_bytes == 64 * 2**20 and api.refit_queue == 3
    monkeypatch.setenv("FORECAST_MAX_REQUEST_COST", "700000000")
    with pytest.raises(SettingsError, match="must not exceed FORECAST_CLIENT_COST"):
        ApiSettings()


def test_compute_threads_setting(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from service.config import ApiSettings, Settings, SettingsError
    from service.runtime import Services

    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    assert ApiSettings().compute_threads == 1
    monkeypatch.setenv("FORECAST_COMPUTE_THREADS", "3")
    assert ApiSettings().compute_threads == 3
    settings = Settings()
    assert Services.build(settings).computing.total_tokens == 3
    for bad in ("0", "two"):
        monkeypatch.setenv("FORECAST_COMPUTE_THREADS", bad)
        with pytest.raises(SettingsError, match="FORECAST_COMPUTE_THREADS"):
            ApiSettings()


class FakeWorker:
    def __init__(self) -> None:
        self.submitted: list[str] = []
        self.alive = True

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def check(self) -> bool:
        return False

    def submit(self, job_id: str) -> None:
        self.submitted.append(job_id)


async def test_the_refit_queue_has_a_cap(
    empty_home: Path, settings_for: Any, alice: dict[str, str]
) -> None:
    app = app_for(empty_home, settings_for, refit_queue=2)
    worker = FakeWorker()
    app.state.services.worker = worker
    async with AsyncTestClient(app=app) as client:
        statuses = []
        for _ in range(4):
            response = await client.post("/v1/refits", json={"quick": True}, headers=alice)
            statuses.append(response.status_code)
        assert statuses == [202, 202, 429, 429]
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["type"].endswith(":problem:refit-queue-full")
        assert len(worker.submitted) == 2
        # once the worker has taken a job, there is room again
        app.state.services.db.claim_job(worker.submitted[0])
        again = await client.post("/v1/refits", json={"quick": True}, headers=alice)
        assert again.status_code == 202


# -- 3. Retry-After on every 429; keys in the URL ----------------------------------------------
async def test_the_write_rate_limit_429_carries_retry_after(
    empty_home: Path, settings_for: Any, alice: dict[str, str]
) -> None:
    app = app_for(empty_home, settings_for, write_rate_limit=("minute", 2))
    async with AsyncTestClient(app=app) as client:
        statuses = []
        for _ in range(3):
            response = await client.post("/v1/refits", json={"quick": True}, headers=alice)
            statuses.append(response.status_code)
        assert statuses == [503, 503, 429]  # no worker in tests: 503 until the limit
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_keys_in_the_query_string_are_refused_and_never_logged(
    empty_home: Path, settings_for: Any, service_logs: Any
) -> None:
    async with AsyncTestClient(app=app_for(empty_home, settings_for)) as client:
        for path, params in (
            ("/v1/runs", {"api_key": SECRET}),
            ("/v1/runs", {"key": SECRET, "limit": "5"}),
            ("/v1/arrival", {"country": "US", "token": SECRET}),
        ):
            response = await client.get(path, params=params)
            assert response.status_code == 400, response.text
            assert "X-API-Key header" in response.json()["detail"]
        # a write with the key in the URL is refused as such, not as a missing key (401)
        response = await client.post(
            "/v1/observations", params={"api_key": SECRET}, json={"table": "models", "rows": []}
        )
        assert response.status_code == 400
        assert response.json()["type"].endswith(":problem:key-in-query")
    assert SECRET not in service_logs.text
    access = [json.loads(line) for line in service_logs.lines if '"request"' in line]
    assert any(line["query"] == "key=[redacted]&limit=5" for line in access), access


# -- 4. worker crashes and store faults ---------------------------------------------------------
class DeadProcess:
    """A worker process that died at once."""

    def __init__(self, code: int) -> None:
        self.exitcode = code
        self.pid = 4242

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: float | None = None) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


def crashing_handle(db: ServiceDB, home: Path, clock: list[float], reason: str) -> WorkerHandle:
    handle = WorkerHandle(home, db, "WARNING", "json", backoff=(1.0, 8.0), clock=lambda: clock[0])

    def spawn(queue: Any, reports: Any) -> DeadProcess:
        reports.put(reason)
        return DeadProcess(1)

    handle._spawn = spawn  # type: ignore[method-assign]
    return handle


def test_a_crashing_worker_is_restarted_with_backoff_and_logged_once_per_crash(
    tmp_path: Path, service_logs: Any
) -> None:
    clock = [0.0]
    handle = crashing_handle(ServiceDB(tmp_path / "service.sqlite"), tmp_path, clock, "boom")
    handle.start()
    restarts_at = []
    checks = 0
    while clock[0] < 40:
        checks += 1
        if handle.check():
            restarts_at.append(clock[0])
        clock[0] = round(clock[0] + 0.25, 2)
    crashes = [json.loads(line) for line in service_logs.lines if "worker process exited" in line]
    # at once, then after 1, 2, 4, 8 (the cap), 8 ... seconds; one log line per crash
    waits = [line["restart_in_seconds"] for line in crashes]
    assert waits[:6] == [0.0, 1.0, 2.0, 4.0, 8.0, 8.0], waits
    assert restarts_at[:4] == [0.0, 1.25, 3.5, 7.75], restarts_at  # death seen 0.25 s later
    assert len(crashes) == len(restarts_at) + (handle.restart_at is not None)
    assert len(crashes) < 10 and checks == 160, "logged per crash, not per check"
    assert crashes[-1]["reason"] == "exit code 1: boom"
    handle.stop()


async def test_a_job_whose_worker_crashed_is_failed_with_the_reason(
    empty_home: Path, settings_for: Any
) -> None:
    app = app_for(empty_home, settings_for)
    db: ServiceDB = app.state.services.db
    clock = [0.0]
    handle = crashing_handle(db, empty_home, clock, "OSError: [Errno 28] No space left on device")
    handle.start()
    job = db.create_job("default", False, "alice")
    db.claim_job(job["job_id"])  # the worker took it, then died
    handle.check()
    async with AsyncTestClient(app=app) as client:
        response = await client.get(f"/v1/refits/{job['job_id']}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "failed"
        assert "exit code 1" in body["error"]
        assert "No space left on device" in body["error"]
    handle.stop()


async def test_store_faults_are_503_with_retry_after_never_500(
    empty_home: Path, settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.store.errors import StoreFullError

    app = app_for(empty_home, settings_for)
    services = app.state.services

    def full(*_: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    def broken(*_: Any) -> Any:
        raise StoreFullError(f"the run store at {empty_home} could not list runs: no space", "x")

    monkeypatch.setattr(services.db, "get_job", full)
    monkeypatch.setattr(services.db, "list_jobs", full)
    monkeypatch.setattr(services.store, "list", broken)
    async with AsyncTestClient(app=app) as client:
        for path in ("/v1/refits/" + "0" * 32, "/v1/refits", "/v1/runs"):
            response = await client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert int(response.headers["retry-after"]) > 0
            problem = response.json()
            assert problem["type"].endswith(":problem:store-unavailable")
            assert "disk is full" in problem["detail"]
            assert str(empty_home) not in response.text


# -- 6. public surfaces -----------------------------------------------------------------------
async def test_metrics_can_be_restricted_or_turned_off(
    empty_home: Path, settings_for: Any, alice: dict[str, str]
) -> None:
    for mode, anonymous, keyed in (("public", 200, 200), ("key", 401, 200), ("off", 404, 404)):
        async with AsyncTestClient(app=app_for(empty_home, settings_for, metrics=mode)) as client:
            assert (await client.get("/metrics")).status_code == anonymous, mode
            assert (await client.get("/metrics", headers=alice)).status_code == keyed, mode


async def test_reports_are_served_with_csp_and_nosniff(empty_home: Path, settings_for: Any) -> None:
    from forecast.report.build import ReportStore

    folder = ReportStore(empty_home).folder("2026-12-01-test")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text("<!DOCTYPE html><title>r</title>", encoding="utf-8")
    (folder / "report.json").write_text("{}", encoding="utf-8")
    async with AsyncTestClient(app=app_for(empty_home, settings_for)) as client:
        html = await client.get("/v1/reports/2026-12-01-test")
        assert html.status_code == 200
        csp = html.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        assert html.headers["x-content-type-options"] == "nosniff"
        as_json = await client.get("/v1/reports/2026-12-01-test", params={"format": "json"})
        assert as_json.headers["x-content-type-options"] == "nosniff"
