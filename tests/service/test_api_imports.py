"""Imports, plausibility and retraction over HTTP (no fit needed: an app over an empty store).

``POST /v1/imports`` answers the same summary as ``forecast data import``; posted rows outside
the plausible ranges are refused with 422 (row, column, value, range) unless
``allow_implausible`` (recorded); ``DELETE /v1/observations/{id}`` retracts (kept in the
history, listed with ``include_retracted=true``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MODEL = {
    "model": "Test-Model-Imp",
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
ECI = {
    "model": "Test-ECI-Imp",
    "date": "2025-10-01",
    "organization": "Test Lab",
    "country": "CN",
    "eci": 140.0,
    "training_flop": None,
    "confidence": "Unknown",
    "source": "test",
    "source_url": "https://example.org/test",
}


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared source data not next to repo")
async def test_import_bundled_file_is_unchanged(empty_client: Any, alice: dict[str, str]) -> None:
    data = (SHARED / "epoch_ml_hardware_2025-12.csv").read_bytes()
    form = {"source": "epoch-hardware"}
    files = {"file": ("epoch_ml_hardware_2025-12.csv", data)}
    response = await empty_client.post("/v1/imports", files=files, data=form, headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == {"new": 0, "changed": 0, "unchanged": 97, "removed": 0}
    assert body["table"] == "hardware" and body["stored_ids"] == []
    unauthorised = await empty_client.post("/v1/imports", files=files, data=form)
    assert unauthorised.status_code == 401


async def test_import_stores_new_rows_and_refuses_bad_ones(
    empty_client: Any, alice: dict[str, str]
) -> None:
    header = (
        "source_file,task_suite,model_key,release_date,p50_minutes,p50_ci_low,p50_ci_high,"
        "p80_minutes,p80_ci_low,p80_ci_high,is_sota\n"
    )
    good = header + "x.yaml,METR-Horizon-v1.1,deepseek_r1,2025-01-20,20,8,45,,,,True\n"
    files = {"file": ("flat.csv", good.encode())}
    dry = await empty_client.post(
        "/v1/imports", files=files, data={"source": "metr", "dry_run": "true"}, headers=alice
    )
    assert dry.status_code == 200 and dry.json()["counts"]["new"] == 1
    assert dry.json()["counts"]["removed"] == 17  # the flat file speaks for suite v1.1
    done = await empty_client.post(
        "/v1/imports",
        files=files,
        data={"source": "metr", "vintage": "2026-01-31"},
        headers=alice,
    )
    assert done.status_code == 201, done.text
    assert len(done.json()["stored_ids"]) == 1 and done.json()["submitted_by"] == "alice"
    page = (await empty_client.get("/v1/observations")).json()
    assert page["items"][0]["provenance"]["row_key"] == "v1.1:deepseek_r1"
    assert page["items"][0]["vintage"] == "2026-01-31"
    bad = header + "x.yaml,METR-Horizon-v1.1,deepseek_v3,2025-01-20,5000000,8,9000000,,,,True\n"
    refused = await empty_client.post(
        "/v1/imports",
        files={"file": ("flat.csv", bad.encode())},
        data={"source": "metr"},
        headers=alice,
    )
    assert refused.status_code == 422
    assert {e["column"] for e in refused.json()["errors"]} == {"p50_minutes", "p50_high"}
    unknown = await empty_client.post(
        "/v1/imports", files=files, data={"source": "nope"}, headers=alice
    )
    assert unknown.status_code == 400
    garbage = await empty_client.post(
        "/v1/imports",
        files={"file": ("x.csv", b"a,b\n1,2\n")},
        data={"source": "epoch-chip-owners"},
        headers=alice,
    )
    assert garbage.status_code == 422


@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        ("capability_eci", ECI | {"eci": 1e9}, "eci", "1000000000.0"),
        ("models", MODEL | {"training_flop": 1e300}, "training_flop", "1e+300"),
        ("models", MODEL | {"date": "1900-01-01"}, "date", "1900-01-01"),
    ],
)
async def test_implausible_posts_are_refused_unless_allowed(
    empty_client: Any, alice: dict[str, str], table: str, row: dict, column: str, value: str
) -> None:
    body = {"table": table, "rows": [row]}
    response = await empty_client.post("/v1/observations", json=body, headers=alice)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"], error["value"]) == (0, column, value)
    assert "plausible range [" in error["rule"]
    allowed = await empty_client.post(
        "/v1/observations", json=body | {"allow_implausible": True}, headers=alice
    )
    assert allowed.status_code == 201 and allowed.json()["allowed_implausible"]
    page = (await empty_client.get("/v1/observations")).json()
    assert page["items"][0]["allowed_implausible_by"] == "alice"


async def test_retraction_over_http(empty_client: Any, alice: dict[str, str]) -> None:
    posted = await empty_client.post(
        "/v1/observations", json={"table": "models", "rows": [MODEL]}, headers=alice
    )
    (obs_id,) = posted.json()["ids"]
    no_key = await empty_client.delete(f"/v1/observations/{obs_id}", params={"why": "x"})
    assert no_key.status_code == 401
    done = await empty_client.delete(
        f"/v1/observations/{obs_id}", params={"why": "wrong model name"}, headers=alice
    )
    assert done.status_code == 200, done.text
    assert done.json()["retracted"]["why"] == "wrong model name"
    assert done.json()["retracted"]["by"] == "alice"
    assert (await empty_client.get("/v1/observations")).json()["total"] == 0
    history = await empty_client.get("/v1/observations", params={"include_retracted": "true"})
    assert history.json()["total"] == 1 and history.json()["items"][0]["retracted"]
    again = await empty_client.delete(
        f"/v1/observations/{obs_id}", params={"why": "again"}, headers=alice
    )
    assert again.status_code == 409
    missing = await empty_client.delete("/v1/observations/9999", params={"why": "x"}, headers=alice)
    assert missing.status_code == 404
    # The same key may be posted again once the old row is retracted.
    repost = await empty_client.post(
        "/v1/observations", json={"table": "models", "rows": [MODEL]}, headers=alice
    )
    assert repost.status_code == 201


async def test_alerts_list_is_empty_without_a_run(empty_client: Any) -> None:
    response = await empty_client.get("/v1/alerts")
    assert response.status_code == 200 and response.json()["total"] == 0
