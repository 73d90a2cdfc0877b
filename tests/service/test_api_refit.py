"""A refit runs in the worker process while the server keeps answering, then the app switches."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.fit, pytest.mark.timeout(600)]

OBSERVATION = {
    "model": "Test-Model-Refit",
    "date": "2025-11-15",
    "organization": "Test Lab",
    "country": "CN",
    "training_flop": 3.0e25,  # above every bundled CN run (2.5e25): a new compute record
    "confidence": "Likely",
    "domain": "Language",
    "notable": True,
    "large_scale": True,
    "frontier": False,
    "source": "test",
    "source_url": "https://example.org/test",
}
QUESTIONS = [
    ("/v1/arrival", {"country": "CN"}),
    ("/v1/probability", {"country": "US", "by": "2032-01-01"}),
    ("/v1/race", {"scenario": "tightened_controls"}),
]
DEADLINE_SECONDS = 300


@pytest.mark.slow  # a real refit in the worker while the API answers
def test_refit_while_serving(
    home: Any, settings_for: Any, server_thread: Any, run_id: str, alice: dict[str, str]
) -> None:
    from service.app import create_app

    app = create_app(settings_for(home, worker=True))
    with server_thread(app) as running, httpx.Client(base_url=running.url, timeout=60) as http:
        assert http.get("/health").json()["worker"] == "running"
        added = http.post(
            "/v1/observations", json={"table": "models", "rows": [OBSERVATION]}, headers=alice
        )
        assert added.status_code == 201, added.text
        started = http.post("/v1/refits", json={"quick": True}, headers=alice)
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "queued"
        location = started.headers["location"]
        assert location == f"/v1/refits/{started.json()['job_id']}"
        assert started.headers["cache-control"] == "no-store"

        failures: list[str] = []
        served: list[str] = []
        stages: list[str] = []
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            for url, params in QUESTIONS:
                response = http.get(url, params=params)
                if response.status_code != 200:
                    failures.append(f"{url}: {response.status_code} {response.text[:200]}")
                else:
                    served.append(response.json()["run_id"])
            job = http.get(location).json()
            if job.get("progress"):
                stages.append(job["progress"]["stage"])
            if job["status"] in ("succeeded", "failed"):
                break
            assert time.monotonic() < deadline, f"the refit did not finish: {job}"
            time.sleep(0.1)

        assert job["status"] == "succeeded", job
        assert failures == []
        # the job's status carries its progress over the API from the queue to the end (the
        # fit's own stages are recorded at most every 2 s: tests/service/test_jobs_progress.py)
        assert stages and stages[0] == "queued" and stages[-1] == "succeeded", stages
        assert job["progress"]["fraction"] == 1.0
        new_run = job["run_id"]
        assert new_run and new_run != run_id
        assert job["observations"] == 1 and job["submitted_by"] == "alice"
        assert served[0] == run_id
        for url, params in QUESTIONS:
            response = http.get(url, params=params)
            assert response.status_code == 200
            assert response.json()["run_id"] == new_run
        current = http.get("/v1/runs/current").json()
        assert current["id"] == new_run
        assert current["extra_data"] == ["api-observations-models.csv"]
        # the posted row entered the fit: new data, one more CN compute record, and China's
        # 2025H2 is no longer a half-year without a record
        before = http.get(f"/v1/runs/{run_id}").json()
        assert current["data_hash"] != before["data_hash"]
        counts, old_counts = current["observations"], before["observations"]
        assert counts["compute_records"] == old_counts["compute_records"] + 1
        assert counts["compute_record_gaps"] == old_counts["compute_record_gaps"] - 1
        changed = ("compute_records", "compute_record_gaps")
        assert {k: v for k, v in counts.items() if k not in changed} == {
            k: v for k, v in old_counts.items() if k not in changed
        }
