"""The fast path: cheap requests never enter the thread pool; access log sampled, errors kept.

Thread offloads are counted by wrapping the two ways work reaches a thread: ``anyio``'s
``to_thread.run_sync`` (the service's own offloads) and Litestar's ``sync_to_thread`` (which
runs sync guards, dependencies, hooks and the rate limiter's check in the executor).
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.testing import AsyncTestClient

from service.logs import AccessLogPolicy

pytestmark = pytest.mark.anyio


class Offloads:
    """Counts calls that hand work to a thread (names of the functions offloaded)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def reset(self) -> None:
        self.calls.clear()

    def record(self, fn: Any) -> None:
        self.calls.append(getattr(fn, "__qualname__", repr(fn)))


@pytest.fixture
def offloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Offloads]:
    import anyio.to_thread
    import litestar.concurrency

    seen = Offloads()
    run_sync = anyio.to_thread.run_sync
    litestar_run = litestar.concurrency._run_sync_asyncio

    async def counted_run_sync(fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.record(fn)
        return await run_sync(fn, *args, **kwargs)

    async def counted_litestar(fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.record(fn)
        return await litestar_run(fn, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted_run_sync)
    monkeypatch.setattr(litestar.concurrency, "_run_sync_asyncio", counted_litestar)
    yield seen


def access_lines(logs: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.lines if '"event": "request"' in line]


async def warmed(app: Any, client: Any) -> Any:
    """The app's current forecaster once the start-up watcher has projected every scenario."""
    services = app.state.services
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        health = (await client.get("/health")).json()
        run_id = health["current_run"]
        if run_id and services.pool.loaded(run_id):
            forecaster = await services.pool.get(run_id)
            if set(forecaster.scenarios) <= set(forecaster._cache):
                await anyio.sleep(0.05)  # the watcher's thread call has returned
                return forecaster
        await anyio.sleep(0.05)
    raise AssertionError("the current run was not warmed in time")


# -- no thread hop for cheap work -----------------------------------------------------------------
@pytest.mark.fast
def test_the_rate_limiters_write_check_is_a_coroutine() -> None:
    from service.app import is_write

    # a plain function would be wrapped by Litestar's ensure_async_callable: a thread per request
    assert inspect.iscoroutinefunction(is_write)


@pytest.mark.fast
async def test_health_and_problems_stay_on_the_event_loop(
    empty_home: Path, settings_for: Any, offloads: Offloads
) -> None:
    from service.app import create_app

    app = create_app(settings_for(empty_home), AccessLogPolicy(sample=1.0))
    async with AsyncTestClient(app=app) as client:
        await client.get("/health")
        offloads.reset()
        for _ in range(5):
            health = await client.get("/health")
            assert health.status_code == 200 and health.json()["ready"] is False
        missing = await client.get("/v1/arrival", params={"country": "US"})
        assert missing.status_code == 503
        assert missing.headers["content-type"].startswith("application/problem+json")
        unknown = await client.get("/v1/arrival", params={"country": "US", "scenaro": "x"})
        assert unknown.status_code == 400
        assert "scenaro" in unknown.json()["detail"]
        assert (await client.get("/v1/nowhere")).status_code == 404
        # the request checks (a raw ASGI middleware now) still answer with problem details
        secret = await client.get("/v1/runs", params={"api_key": "x" * 20})
        assert secret.status_code == 400
        assert secret.headers["content-type"].startswith("application/problem+json")
        assert secret.json()["type"].endswith(":problem:key-in-query")
        deep = await client.post("/v1/observations", content=b"[" * 40 + b"]" * 40)
        assert deep.status_code == 400
        assert deep.json()["type"].endswith(":problem:body-too-deep")
        assert offloads.calls == []


@pytest.mark.fit
async def test_cached_and_projected_answers_stay_on_the_event_loop(
    app: Any, offloads: Offloads, forecaster: Any
) -> None:
    async with AsyncTestClient(app=app) as client:
        mine = await warmed(app, client)
        offloads.reset()
        # precomputed answer: computed on the loop from the held projection, then cached
        first = await client.get("/v1/arrival", params={"country": "US"})
        again = await client.get("/v1/arrival", params={"country": "US"})
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        # a scenario answer over a projected scenario, a new quantile list each time
        for q in ("0.2", "0.3"):
            params = [("country", "CN"), ("scenario", "tightened_controls"), ("q", q)]
            answer = await client.get("/v1/arrival", params=params)
            assert answer.status_code == 200
            assert answer.json()["quantiles"][0]["q"] == float(q)
        probability = await client.get(
            "/v1/probability", params={"country": "CN", "by": "2032-01-01"}
        )
        assert probability.status_code in (200, 422), probability.text
        assert offloads.calls == [], offloads.calls
        # the answer computed on the loop is the library's
        expected = forecaster.arrival("CN", "tightened_controls", (0.3,))
        got = answer.json()
        assert got["quantiles"][0]["year"] == pytest.approx(expected["quantiles"][0]["year"])
        # genuinely expensive work still goes to a thread: a first projection, an ad-hoc lever
        mine._cache.pop("tightened_controls")
        fresh = await client.get(
            "/v1/arrival", params={"country": "US", "scenario": "tightened_controls"}
        )
        assert fresh.status_code == 200
        assert len(offloads.calls) == 1, offloads.calls
        lever = await client.get(
            "/v1/arrival",
            params=[
                ("country", "CN"),
                ("cdf", "false"),
                ("lever", "CN.additions_multiplier=0.5"),
                ("lever", "start=2027-01-01"),
            ],
        )
        assert lever.status_code == 200, lever.text
        assert len(offloads.calls) == 2, offloads.calls
        # ... and once answered, the same question is a cache lookup on the loop
        await client.get(
            "/v1/arrival",
            params=[
                ("country", "CN"),
                ("cdf", "false"),
                ("lever", "CN.additions_multiplier=0.5"),
                ("lever", "start=2027-01-01"),
            ],
        )
        assert len(offloads.calls) == 2, offloads.calls


# -- access log -----------------------------------------------------------------------------------
@pytest.mark.fast
def test_access_log_setting_parses_and_refuses_nonsense() -> None:
    from service.config import SettingsError
    from service.logs import DEFAULT_ACCESS_SAMPLE

    assert AccessLogPolicy.from_env({}).sample == DEFAULT_ACCESS_SAMPLE
    assert AccessLogPolicy.parse("all").sample == 1.0
    assert AccessLogPolicy.parse("errors").sample == 0.0
    assert AccessLogPolicy.parse("0.25").sample == 0.25
    assert AccessLogPolicy.parse("0.25").describe() == "0.25"
    for bad in ("2", "-0.1", "some", "nan"):
        with pytest.raises(SettingsError, match="FORECAST_ACCESS_LOG"):
            AccessLogPolicy.parse(bad)


@pytest.mark.fast
async def test_sampled_access_log_keeps_every_error_write_and_traced_request(
    empty_home: Path, settings_for: Any, service_logs: Any
) -> None:
    from service.app import create_app

    app = create_app(settings_for(empty_home), AccessLogPolicy(sample=0.0))
    async with AsyncTestClient(app=app) as client:
        for _ in range(10):
            assert (await client.get("/health")).status_code == 200
        assert access_lines(service_logs) == []
        await client.get("/v1/nowhere")  # 404 from routing
        await client.get("/v1/arrival", params={"country": "US"})  # 503: no run
        await client.get("/v1/arrival", params={"country": "US", "bogus": "1"})  # 400
        await client.post("/v1/observations", json={"table": "models", "rows": []})  # 401
        await client.get("/health", headers={"X-Request-ID": "trace-7"})  # traced
    lines = access_lines(service_logs)
    assert [line["status"] for line in lines] == [404, 503, 400, 401, 200]
    assert lines[-1]["request_id"] == "trace-7"
    assert lines[3]["method"] == "POST"
    assert all("sample" not in line for line in lines)


@pytest.mark.fast
async def test_access_log_sample_is_even_and_marked(
    empty_home: Path, settings_for: Any, service_logs: Any
) -> None:
    from service.app import create_app

    app = create_app(settings_for(empty_home), AccessLogPolicy(sample=0.25))
    async with AsyncTestClient(app=app) as client:
        for _ in range(12):
            assert (await client.get("/health")).status_code == 200
    lines = access_lines(service_logs)
    assert len(lines) == 3  # one in four, the first one included
    assert all(line["sample"] == 0.25 and line["path"] == "/health" for line in lines)


@pytest.mark.fast
async def test_access_log_all_logs_every_request(
    empty_home: Path, settings_for: Any, service_logs: Any
) -> None:
    from service.app import create_app

    app = create_app(settings_for(empty_home), AccessLogPolicy.parse("all"))
    async with AsyncTestClient(app=app) as client:
        for _ in range(5):
            await client.get("/health")
    lines = access_lines(service_logs)
    assert len(lines) == 5 and all("sample" not in line for line in lines)


@pytest.mark.fast
async def test_metrics_count_requests_by_route_template(
    empty_home: Path, settings_for: Any
) -> None:
    from service.app import create_app

    async with AsyncTestClient(app=create_app(settings_for(empty_home))) as client:
        await client.get("/health")
        await client.get("/v1/runs/some-run")
        text = (await client.get("/metrics")).text
    assert (
        'forecast_api_requests_total{app_name="forecast",method="GET",path="/health",'
        'status_code="200"}' in text
    )
    assert 'path="/v1/runs/{run_id:str}"' in text or 'path="/v1/runs/{run_id}"' in text
    assert "some-run" not in text
    assert "forecast_api_request_duration_seconds_bucket" in text
    assert 'path="/metrics"' not in text


# -- repeated questions answered in front of the handler ------------------------------------------
@pytest.mark.fit
async def test_a_repeated_question_is_answered_in_front_like_the_handler(
    app: Any, offloads: Offloads
) -> None:
    from service.limits import REQUEST_COST, CostBudget

    services = app.state.services
    async with AsyncTestClient(app=app) as client:
        await warmed(app, client)
        offloads.reset()
        url, params = "/v1/arrival", {"country": "US", "cdf": "false"}
        first = await client.get(url, params=params)
        assert first.status_code == 200
        assert services.front.get(("/v1/arrival", b"country=US&cdf=false")) is not None
        hits = services.answers.hits
        again = await client.get(url, params=params)
        assert services.answers.hits == hits + 1
        assert again.content == first.content
        for name in ("etag", "cache-control", "content-type", "content-length"):
            assert again.headers[name] == first.headers[name], name
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        etag = first.headers["etag"]
        cached = await client.get(url, params=params, headers={"If-None-Match": f'"x", W/{etag}'})
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == etag
        # the same question with anything else in the URL is checked by the handler as before
        typo = await client.get(url, params=params | {"scenaro": "x"})
        assert typo.status_code == 400 and "scenaro" in typo.json()["detail"]
        secret = await client.get(url, params=params | {"token": "x" * 20})
        assert secret.status_code == 400
        assert offloads.calls == []
        # the request checks still run first: the flat charge of each request is taken
        services.budget = CostBudget(REQUEST_COST * 2)
        assert (await client.get(url, params=params)).status_code == 200
        assert (await client.get(url, params=params)).status_code == 200
        spent = await client.get(url, params=params)
        assert spent.status_code == 429 and "Retry-After" in spent.headers
        assert spent.json()["type"].endswith(":problem:cost-budget-exceeded")


@pytest.mark.fit
async def test_the_front_never_answers_for_another_current_run(app: Any) -> None:
    services = app.state.services
    async with AsyncTestClient(app=app) as client:
        await warmed(app, client)
        first = await client.get("/v1/arrival", params={"country": "CN"})
        assert first.status_code == 200
        key = ("/v1/arrival", b"country=CN")
        run, stamp, etag, control = services.front.get(key)
        services.front.put(key, ("another-run", stamp, etag, control))
        hits = services.answers.hits
        again = await client.get("/v1/arrival", params={"country": "CN"})
        assert again.status_code == 200 and again.content == first.content
        # answered by the handler (its own cache lookup), which re-registers the current run
        assert services.answers.hits == hits + 1
        assert services.front.get(key)[0] == run
