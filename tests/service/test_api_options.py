"""threshold=, lever= and given= on the questions: the API equals the library."""

from __future__ import annotations

from typing import Any

import pytest

from forecast.questions import custom

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


async def get_json(client: Any, url: str, params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def subset(body: dict[str, Any], library: dict[str, Any]) -> None:
    """Every field the API returns equals the library's (the schema may leave ``options`` out)."""
    import json

    plain = json.loads(json.dumps(library, allow_nan=False, default=float))
    for key, value in body.items():
        assert value == plain[key], key


CASES = [
    ("arrival", {"country": "US", "threshold": "work_week"}, {"country": "US"}),
    ("arrival", {"country": "CN", "threshold": "horizon80:600"}, {"country": "CN"}),
    (
        "arrival",
        {
            "country": "CN",
            "scenario": "tightened_controls",
            "lever": ["CN.additions_multiplier=0.3", "start=2027-01-01"],
        },
        {"country": "CN"},
    ),
    (
        "probability",
        {"country": "US", "by": "2029-01-01", "given": ["CN.frontier_eci>=150@2027-06-30"]},
        {"country": "US", "by": "2029-01-01"},
    ),
    ("race", {"threshold": "eci:175"}, {}),
]


@pytest.mark.parametrize(("question", "params", "kwargs"), CASES)
async def test_options_equal_library(
    client: Any, forecaster: Any, question, params, kwargs
) -> None:  # type: ignore[no-untyped-def]
    url = {"arrival": "/v1/arrival", "probability": "/v1/probability", "race": "/v1/race"}[question]
    body = await get_json(client, url, params)
    options = custom.parse_options(
        params.get("threshold"), params.get("lever"), params.get("given")
    )
    expected = custom.ask(forecaster, question, options, scenario=params.get("scenario"), **kwargs)
    subset(body, expected)
    assert "|" in body["scenario"]


async def test_options_with_versus(client: Any, forecaster: Any) -> None:
    params = {"country": "US", "threshold": "work_day", "versus": "tightened_controls"}
    body = await get_json(client, "/v1/arrival", params)
    options = custom.parse_options("work_day")
    expected = custom.ask(
        forecaster,
        "arrival",
        options,
        scenario="status_quo",
        versus="tightened_controls",
        country="US",
    )
    subset(body, expected)


async def test_bad_options_are_400_in_words(client: Any) -> None:
    for params, key in [
        ({"country": "US", "threshold": "work week"}, "threshold"),
        ({"country": "US", "lever": "CN.speed"}, "lever"),
        ({"country": "US", "given": "CN.frontier_eci=>1@2027-01-01"}, "given"),
    ]:
        response = await client.get("/v1/arrival", params=params)
        assert response.status_code == 400, response.text
        assert key in response.json()["detail"]


async def test_unusable_options_are_422_in_words(client: Any) -> None:
    for params, words in [
        ({"country": "US", "threshold": "work_wek"}, "unknown threshold"),
        ({"country": "US", "lever": "CN.speed=2"}, "unknown lever"),
        ({"country": "US", "threshold": "eci:9999"}, "between"),
    ]:
        response = await client.get("/v1/arrival", params=params)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]
    params = {"quantity": "frontier_eci", "country": "CN", "at": "2028-01-01"}
    params["given"] = "CN.frontier_eci>=150@2027-06-30"
    response = await client.get("/v1/trajectories", params=params)
    assert response.status_code == 422


async def test_semantic_lever_problems_are_422(client: Any) -> None:
    response = await client.get(
        "/v1/arrival", params={"country": "US", "lever": "CN.additions_multiplier=0.5"}
    )
    assert response.status_code == 422
    assert "start" in response.json()["detail"]
    response = await client.get(
        "/v1/arrival", params={"country": "US", "given": "CN.frontier_eci>=400@2026-06-30"}
    )
    assert response.status_code == 422
    assert "effective draws" in response.json()["detail"]
