"""Strict query parameters: unknown, repeated and non-ISO dates are a 400 naming them."""

from __future__ import annotations

from typing import Any

import pytest

from service.strict import problems

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


@pytest.mark.parametrize(
    ("url", "word"),
    [
        ("/v1/arrival?country=CN&scenaro=tightened_controls", "scenaro"),
        ("/v1/arrival?country=CN&scenario=status_quo&scenario=tightened_controls", "scenario"),
        ("/v1/trajectories?quantity=frontier_eci&country=CN&at=20270101", "YYYY-MM-DD"),
        ("/v1/probability?country=CN&by=2030-1-1", "YYYY-MM-DD"),
        ("/v1/exports/metaculus?country=US&lower=2026/01/01", "YYYY-MM-DD"),
        ("/v1/drivers?country=US&bogus=1", "bogus"),
        ("/v1/scenarios?x=1", "'x'"),
    ],
)
async def test_refused(client: Any, url: str, word: str) -> None:
    response = await client.get(url)
    assert response.status_code == 400, response.text
    body = response.json()
    assert word in body["detail"]
    assert body["title"]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/trajectories?quantity=frontier_eci&country=CN&at=2027-01-01&at=2028-01-01&q=0.5&q=0.9",
        "/v1/race?within=1&within=3",
        "/v1/surprise?quantity=frontier_eci&date=2025-01-20&value=140&country=US&country=CN",
        "/v1/arrival?country=US&lever=CN.additions_multiplier%3D0.5&lever=start%3D2027-01-01",
    ],
)
async def test_repeatable_accepted(client: Any, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 200, response.text


def test_problems_unit() -> None:
    names = frozenset({"country", "q", "by"})
    lists = frozenset({"q"})
    dates = frozenset({"by"})
    assert problems([("country", "US"), ("q", "0.1"), ("q", "0.5")], names, lists, dates) == []
    found = problems(
        [("countri", "US"), ("by", "2030"), ("country", "US"), ("country", "CN")],
        names,
        lists,
        dates,
    )
    assert [e["key"] for e in found] == ["countri", "country", "by"]
