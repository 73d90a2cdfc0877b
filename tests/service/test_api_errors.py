"""Every error is an RFC 9457 problem (application/problem+json); bad input is never a 500."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.fit]

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    if slug is not None:
        assert body["type"].endswith(f":problem:{slug}"), body["type"]
    return body


@pytest.mark.parametrize(
    ("url", "params", "location"),
    [
        ("/v1/arrival", {"country": "FR"}, "query.country"),
        ("/v1/arrival", {}, "query.country"),
        ("/v1/probability", {"country": "US", "by": "2030/01/01"}, "query.by"),
        ("/v1/probability", {"country": "US", "by": "2099-01-01"}, "query.by"),
        (
            "/v1/trajectories",
            {"quantity": "gdp", "country": "US", "at": "2030-01-01"},
            "query.quantity",
        ),
        ("/v1/arrival", {"country": "US", "q": "1.5"}, "query.q"),
        ("/v1/arrival", {"country": "US", "q": "0"}, "query.q"),
        ("/v1/arrival", [("country", "US")] + [("q", "0.5")] * 100, "query.q"),
        ("/v1/arrival", {"country": "US", "scenario": "../etc"}, "query.scenario"),
    ],
)
async def test_schema_violations_are_400(client: Any, url: str, params: Any, location: str) -> None:
    body = assert_problem(await client.get(url, params=params), 400, "invalid-parameters")
    assert location in [e.get("location") for e in body["errors"]]


async def test_unknown_scenario_is_422(client: Any) -> None:
    response = await client.get("/v1/arrival", params={"country": "CN", "scenario": "no_such"})
    body = assert_problem(response, 422, "unknown-scenario")
    assert "no_such" in body["detail"] and "tightened_controls" in body["detail"]
    response = await client.get("/v1/race", params={"versus": "nope"})
    assert_problem(response, 422, "unknown-scenario")


async def test_impossible_date_is_422(client: Any) -> None:
    response = await client.get("/v1/probability", params={"country": "US", "by": "2030-02-30"})
    body = assert_problem(response, 422, "invalid-question")
    assert "2030-02-30" in body["detail"]


async def test_date_outside_the_run_is_422(client: Any) -> None:
    params = {"quantity": "frontier_eci", "country": "US", "at": "2060-06-30"}
    response = await client.get("/v1/trajectories", params=params)
    body = assert_problem(response, 422, "invalid-question")
    assert "outside the model's range" in body["detail"]


async def test_unknown_run_is_404(client: Any) -> None:
    response = await client.get(
        "/v1/arrival", params={"country": "US", "run": "19990101T000000-deadbeef"}
    )
    assert_problem(response, 404, "unknown-run")
    assert_problem(await client.get("/v1/runs/19990101T000000-deadbeef"), 404, "unknown-run")


async def test_unknown_names_are_404(client: Any) -> None:
    assert_problem(await client.get("/v1/scenarios/nope"), 404, "unknown-scenario")
    assert_problem(await client.get("/v1/priors/nope"), 404, "unknown-prior-set")
    assert_problem(await client.get("/v1/refits/" + "0" * 32), 404, "unknown-job")
    body = assert_problem(await client.get("/v1/nowhere"), 404)
    assert body["type"] == "about:blank"


async def test_wrong_method_is_405_with_allow(client: Any) -> None:
    response = await client.delete("/v1/arrival")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, OPTIONS"
    response = await client.put("/v1/observations", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, OPTIONS, POST"


async def test_options_lists_every_method(client: Any) -> None:
    for url in ("/v1/observations", "/v1/refits"):
        response = await client.options(url)
        assert response.status_code == 204
        assert response.headers["allow"] == "GET, OPTIONS, POST"


async def test_body_too_large_is_413(client: Any, alice: dict[str, str]) -> None:
    row = {"model": "x" * 1000}
    body = {"table": "models", "rows": [row] * 1000}  # about 1 MB of JSON
    response = await client.post("/v1/observations", json=body, headers=alice)
    assert_problem(response, 413, "body-too-large")


async def test_batch_limits(client: Any) -> None:
    questions = [{"question": "race"}] * 101
    response = await client.post("/v1/questions", json={"questions": questions})
    assert_problem(response, 400, "invalid-parameters")
    response = await client.post("/v1/questions", json={"questions": [{"question": "weather"}]})
    assert_problem(response, 400)
    response = await client.post(
        "/v1/questions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)
