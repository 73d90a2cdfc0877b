"""Start-up on a store with no current run: 503 for questions, ready false, then switch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

NO_RUN = "no current run; a fit is in progress or has not been run: `forecast fit`"


async def test_questions_are_503_until_a_run_exists(empty_client: Any) -> None:
    response = await empty_client.get("/v1/arrival", params={"country": "US"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"] == NO_RUN and body["status"] == 503
    assert int(response.headers["retry-after"]) > 0
    assert (await empty_client.get("/v1/runs/current")).status_code == 503
    batch = await empty_client.post("/v1/questions", json={"questions": [{"question": "race"}]})
    assert batch.status_code == 503
    health = await empty_client.get("/health")
    assert health.status_code == 200
    assert health.json() | {"version": None} == {
        "live": True,
        "ready": False,
        "current_run": None,
        "detail": NO_RUN,
        "worker": "disabled",
        "version": None,
    }
    runs = await empty_client.get("/v1/runs")
    assert runs.json() == {"current": None, "runs": []}


@pytest.mark.fit
async def test_the_app_switches_when_a_run_becomes_current(
    empty_client: Any, empty_home: Path, fitted_home: Path, run_id: str
) -> None:
    from forecast.store.runs import RunStore

    assert (await empty_client.get("/v1/race")).status_code == 503
    store = RunStore(empty_home)
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(fitted_home / "runs" / run_id, store.runs_dir / run_id)
    store.reconcile()
    store.set_current(run_id)
    response = await empty_client.get("/v1/race")
    assert response.status_code == 200, response.text
    assert response.json()["run_id"] == run_id
    health = (await empty_client.get("/health")).json()
    assert health["ready"] is True and health["current_run"] == run_id
