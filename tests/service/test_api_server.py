"""The app under a real uvicorn server on a loopback port: request ids, logs, metrics."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.fit


def test_real_server_answers_and_echoes_request_ids(server: Any, service_logs: Any) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["ready"] is True
        generated = health.headers["x-request-id"]
        assert len(generated) == 32
        answer = http.get(
            "/v1/arrival", params={"country": "CN"}, headers={"X-Request-ID": "trace-42"}
        )
        assert answer.status_code == 200
        assert answer.headers["x-request-id"] == "trace-42"
        insane = http.get("/health", headers={"X-Request-ID": "bad id with spaces"})
        assert insane.headers["x-request-id"] != "bad id with spaces"
        problem = http.get(
            "/v1/arrival", params={"country": "XX"}, headers={"X-Request-ID": "trace-43"}
        )
        assert problem.status_code == 400 and problem.json()["request_id"] == "trace-43"
        schema = http.get("/schema/openapi.json")
        assert schema.status_code == 200
        assert {"/v1/arrival", "/v1/refits", "/v1/exports/metaculus"} <= set(schema.json()["paths"])
        assert http.get("/schema").status_code == 200
        run_id = health.json()["current_run"]
        http.get(f"/v1/runs/{run_id}")
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        text = metrics.text
        assert 'path="/v1/runs/{run_id:str}"' in text or 'path="/v1/runs/{run_id}"' in text
        assert f"/v1/runs/{run_id}" not in text
        assert "forecast_api_requests_total" in text
    access = [line for line in service_logs.lines if '"event": "request"' in line]
    assert any('"request_id": "trace-42"' in line and '"status": 200' in line for line in access)


def test_cors_is_off_by_default(server: Any) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.get("/health", headers={"Origin": "https://example.org"})
        assert "access-control-allow-origin" not in response.headers


def test_cors_can_be_enabled(home: Any, settings_for: Any, server_thread: Any) -> None:
    from service.app import create_app

    app = create_app(settings_for(home, cors_origins=("https://dash.example.org",)))
    with server_thread(app) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        ok = http.get("/health", headers={"Origin": "https://dash.example.org"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example.org"
        other = http.get("/health", headers={"Origin": "https://evil.example.org"})
        assert other.headers.get("access-control-allow-origin") != "https://evil.example.org"
