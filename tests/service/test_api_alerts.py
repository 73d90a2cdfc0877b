"""Alerts: an observation far outside the predictive is found in /v1/alerts, in the next
report and at a webhook receiver (a local server on 127.0.0.1 that fails once, to see the retry).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.config import AlertSettings

pytestmark = [pytest.mark.anyio, pytest.mark.fit]

SURPRISE = {
    "model": "Test-Surprise-ECI",
    "date": "2025-11-01",
    "organization": "Test Lab",
    "country": "CN",
    "eci": 195.0,
    "training_flop": None,
    "confidence": "Unknown",
    "source": "test",
    "source_url": "https://example.org/test",
}


class Receiver:
    """A webhook receiver on a free loopback port; answers 500 to the first request."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.calls += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = receiver.calls > 1
                if ok:
                    receiver.bodies.append(json.loads(body))
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


async def test_surprising_observation_raises_an_alert_everywhere(
    home: Path, settings_for: Any, alice: dict[str, str], receiver: Receiver, tmp_path: Path
) -> None:
    from forecast.report.build import render_report
    from forecast.store.runs import RunStore
    from service.app import create_app

    settings = replace(settings_for(home), alerts=AlertSettings(webhook=receiver.url))
    async with AsyncTestClient(app=create_app(settings)) as client:
        calm = SURPRISE | {"model": "Test-Calm-ECI", "eci": 60.0}
        response = await client.post(
            "/v1/observations",
            json={"table": "capability_eci", "rows": [SURPRISE, calm]},
            headers=alice,
        )
        assert response.status_code == 201, response.text
        alert_ids = response.json()["alerts"]
        assert len(alert_ids) == 1  # the calm row is below the record trend: no alert
        page = (await client.get("/v1/alerts")).json()
        assert page["total"] == 1
        alert = page["items"][0]
        assert alert["id"] == alert_ids[0] and alert["label"] == "Test-Surprise-ECI"
        assert alert["percentile"] > 95 and alert["tail"] == "high"
        assert alert["quantity"] == "frontier_eci" and alert["country"] == "CN"
        assert "frontier_eci_2025" in alert["strains"]
        print(f"ALERT: {alert['message']}")
        deadline = time.monotonic() + 15
        while not receiver.bodies and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.bodies, "the webhook received nothing"
        assert receiver.bodies[0]["alert"]["id"] == alert["id"] and receiver.calls == 2
        delivered = (await client.get("/v1/alerts")).json()["items"][0]
        assert delivered["attempts"] == 2 and delivered["delivered"]
    result = render_report(
        store=RunStore(home),
        out=tmp_path / "report",
        formats=["html", "json"],
        previous=None,
        refit="off",
        log=lambda _: None,
    )
    items = result.payload["alerts"]["items"]
    assert [a["id"] for a in items] == [alert["id"]]
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Surprising new observations" in html and "Test-Surprise-ECI" in html
