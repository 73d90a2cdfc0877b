"""Posted observations are validated exactly like files and stored with the key's name."""

from __future__ import annotations

from typing import Any

import pytest

from forecast.data.tables import cell_text

pytestmark = [pytest.mark.anyio, pytest.mark.fit]

GOOD = {
    "model": "Test-Model-Obs",
    "date": "2025-10-01",
    "organization": "Test Lab",
    "country": "CN",
    "training_flop": 2.5e25,
    "confidence": "Likely",
    "domain": "Language",
    "notable": True,
    "large_scale": True,
    "frontier": False,
    "source": "test",
    "source_url": "https://example.org/test",
}


async def test_valid_rows_are_stored(client: Any, alice: dict[str, str]) -> None:
    rows = [GOOD, GOOD | {"model": "Test-Model-Obs-2", "domain": None}]
    response = await client.post(
        "/v1/observations", json={"table": "models", "rows": rows}, headers=alice
    )
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 2
    page = (await client.get("/v1/observations", params={"table": "models", "limit": 1})).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_offset"] == 1
    stored = page["items"][0]["row"]
    assert stored["model"] == "Test-Model-Obs-2" and stored["domain"] == ""
    assert stored["notable"] == "true" and stored["training_flop"] == "2.5e+25"
    other = (await client.get("/v1/observations", params={"table": "hardware"})).json()
    assert other["total"] == 0


async def test_every_issue_is_listed(client: Any, alice: dict[str, str]) -> None:
    rows = [
        GOOD | {"country": "FR", "training_flop": -1},
        GOOD | {"model": "Test-Model-Obs-B", "date": "2099-01-01", "colour": "red"},
        GOOD | {"model": "GLM-4.7"},
        GOOD,
        GOOD,
    ]
    response = await client.post(
        "/v1/observations", json={"table": "models", "rows": rows}, headers=alice
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(":problem:invalid-observations")
    issues = {(e["row"], e["column"]) for e in body["errors"]}
    assert {
        (0, "country"),
        (0, "training_flop"),
        (1, "date"),
        (1, "colour"),
        (2, "model"),
    } <= issues
    dup = [e for e in body["errors"] if e["row"] == 4]
    assert dup and "first seen in row 0 of this request" in dup[0]["rule"]
    for e in body["errors"]:
        assert {"row", "column", "value", "rule"} <= set(e)
        assert "service_tmp" not in e["rule"] and "request-models.csv" not in e["rule"]
    assert (await client.get("/v1/observations")).json()["total"] == 0


async def test_duplicates_of_stored_rows_are_refused(client: Any, alice: dict[str, str]) -> None:
    first = await client.post(
        "/v1/observations", json={"table": "models", "rows": [GOOD]}, headers=alice
    )
    assert first.status_code == 201
    stored_id = first.json()["ids"][0]
    again = await client.post(
        "/v1/observations", json={"table": "models", "rows": [GOOD]}, headers=alice
    )
    assert again.status_code == 422
    assert f"stored observation {stored_id}" in again.json()["errors"][0]["rule"]


async def test_body_shape_is_checked(client: Any, alice: dict[str, str]) -> None:
    for body in (
        {"table": "weather", "rows": [GOOD]},
        {"table": "models", "rows": []},
        {"table": "models", "rows": [{"model": {"nested": 1}}]},
        {"table": "models", "rows": [GOOD], "extra": 1},
    ):
        response = await client.post("/v1/observations", json=body, headers=alice)
        assert response.status_code == 400, (body, response.text)


def test_cells_are_written_as_files_hold_them() -> None:
    assert [cell_text(v) for v in (None, True, False, 3, 2.5e25, "x")] == [
        "",
        "true",
        "false",
        "3",
        "2.5e+25",
        "x",
    ]
