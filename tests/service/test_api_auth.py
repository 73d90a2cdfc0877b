"""Write endpoints need X-API-Key (hashed, constant-time); reads are public; keys never logged."""

from __future__ import annotations

from typing import Any

import pytest

from service.auth import KeyConfigError, Keyring, load_keys, parse_pairs

pytestmark = pytest.mark.anyio

SECRET = "alice-secret-0123456789"
ROW = {
    "model": "Test-Model-Auth",
    "date": "2025-11-01",
    "organization": "Test Lab",
    "country": "US",
    "training_flop": 3e25,
    "confidence": "Likely",
    "domain": "Language",
    "notable": True,
    "large_scale": True,
    "frontier": False,
    "source": "test",
    "source_url": "https://example.org/test",
}


@pytest.mark.fit
async def test_missing_and_wrong_keys_are_401(client: Any) -> None:
    body = {"table": "models", "rows": [ROW]}
    for headers in ({}, {"X-API-Key": "wrong-secret-000000"}, {"X-API-Key": ""}):
        response = await client.post("/v1/observations", json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("ApiKey")
        assert response.json()["type"].endswith(":problem:unauthorized")
    response = await client.post("/v1/refits", json={"quick": True})
    assert response.status_code == 401
    assert (await client.get("/v1/observations")).json()["total"] == 0


@pytest.mark.fit
async def test_right_key_writes_and_is_never_logged(
    client: Any, alice: dict[str, str], service_logs: Any
) -> None:
    response = await client.post(
        "/v1/observations", json={"table": "models", "rows": [ROW]}, headers=alice
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["accepted"] == 1 and body["submitted_by"] == "alice"
    page = (await client.get("/v1/observations")).json()
    assert page["total"] == 1 and page["items"][0]["submitted_by"] == "alice"
    await client.post(
        "/v1/observations",
        json={"table": "models", "rows": [ROW]},
        headers={"X-API-Key": "wrong-" + SECRET},
    )
    assert service_logs.lines, "the request log should have lines"
    assert SECRET not in service_logs.text
    assert '"api_key_name": "alice"' in service_logs.text


async def test_writes_without_configured_keys_are_refused(
    empty_home: Any, settings_for: Any
) -> None:
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from service.app import create_app
    from service.config import AuthSettings

    settings = replace(settings_for(empty_home), auth=AuthSettings(keyring=Keyring()))
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.post("/v1/refits", json={}, headers={"X-API-Key": SECRET})
        assert response.status_code == 401
        assert "no API keys are configured" in response.json()["detail"]


@pytest.mark.fit
async def test_writes_are_rate_limited_per_key(
    home: Any, alice: dict[str, str], settings_for: Any
) -> None:
    from litestar.testing import AsyncTestClient

    from service.app import create_app

    app = create_app(settings_for(home, write_rate_limit=("minute", 2)))
    async with AsyncTestClient(app=app) as client:
        bad = {"table": "models", "rows": [{"model": "x"}]}
        statuses = [
            (await client.post("/v1/observations", json=bad, headers=alice)).status_code
            for _ in range(3)
        ]
        assert statuses == [422, 422, 429]
        other = {"X-API-Key": "ci-bot-secret-9876543210"}
        assert (await client.post("/v1/observations", json=bad, headers=other)).status_code == 422
        response = await client.post("/v1/observations", json=bad, headers=alice)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/v1/observations")).status_code == 200


def test_keyring_hashes_and_identifies() -> None:
    ring = Keyring.from_secrets({"alice": SECRET, "bob": "bob-secret-123456"})
    assert ring.identify(SECRET) == "alice"
    assert ring.identify("bob-secret-123456") == "bob"
    assert ring.identify("nope-nope-nope") is None
    assert ring.identify(None) is None and ring.identify("") is None
    assert SECRET not in repr(ring)
    assert all(len(d) == 32 for _, d in ring.digests)


def test_key_configuration(tmp_path: Any) -> None:
    keys = load_keys({"FORECAST_API_KEYS": f"alice:{SECRET}, bob:bob-secret-123456"})
    assert set(keys) == {"alice", "bob"}
    file = tmp_path / "keys"
    file.write_text("# comment\ncarol:carol-secret-12345\n")
    keys = load_keys({"FORECAST_API_KEYS_FILE": str(file)})
    assert set(keys) == {"carol"}
    for bad in ("alice", "alice:short", "a b:long-enough-secret", f"alice:{SECRET},alice:{SECRET}"):
        with pytest.raises(KeyConfigError) as info:
            parse_pairs(bad.split(","), "FORECAST_API_KEYS")
        assert SECRET not in str(info.value)
