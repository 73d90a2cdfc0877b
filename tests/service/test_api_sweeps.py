"""``GET /v1/sweeps``, ``/v1/sweeps/{id}`` and its result files, over a sweep store made with
mocked fits (no sampling)."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sweeps"))
from sweep_fakes import FakeFits

pytestmark = pytest.mark.anyio


@pytest.fixture
def sweep_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    from forecast.sweeps.engine import run_sweep
    from forecast.sweeps.grid import SweepSpec
    from forecast.sweeps.index import SweepStore

    monkeypatch.setattr("forecast.sweeps.engine.run_fit", FakeFits())
    spec = SweepSpec(cutoffs=(date(2022, 12, 31), date(2023, 12, 31)), quick=True)
    home = tmp_path / "store"
    res = run_sweep(spec, SweepStore(home / "sweeps"), "inline", log=lambda _: None, progress=False)
    return home, res["sweep_id"]


@pytest.fixture
async def sweep_client(
    sweep_home: tuple[Path, str], settings_for: Any
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from service.app import create_app

    async with AsyncTestClient(app=create_app(settings_for(sweep_home[0]))) as client:
        yield client


async def test_list_and_detail(sweep_client, sweep_home):
    _, sweep_id = sweep_home
    r = await sweep_client.get("/v1/sweeps")
    assert r.status_code == 200
    [entry] = r.json()["sweeps"]
    assert entry["id"] == sweep_id and entry["fits"] == 2 and entry["stored"] == 2
    assert entry["passed"] == 1 and entry["state"] == "complete"
    r = await sweep_client.get(f"/v1/sweeps/{sweep_id}")
    assert r.status_code == 200
    body = r.json()
    assert [row["cutoff"] for row in body["rows"]] == ["2022-12-31", "2023-12-31"]
    assert [row["gate_pass"] for row in body["rows"]] == [True, False]
    assert body["summary"]["backtest"]["failed_fits"][0]["cutoff"] == "2023-12-31"


async def test_result_files(sweep_client, sweep_home):
    _, sweep_id = sweep_home
    r = await sweep_client.get(f"/v1/sweeps/{sweep_id}/results/csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(pd.read_csv(io.StringIO(r.text))) == 2
    r = await sweep_client.get(f"/v1/sweeps/{sweep_id}/results/parquet")
    assert r.status_code == 200 and len(pd.read_parquet(io.BytesIO(r.content))) == 2
    r = await sweep_client.get(f"/v1/sweeps/{sweep_id}/results/netcdf")
    assert r.status_code == 200 and r.content[:4] == b"\x89HDF"


async def test_unknown_and_malformed_ids(sweep_client):
    r = await sweep_client.get("/v1/sweeps/sw-0123456789abcdef")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await sweep_client.get("/v1/sweeps/not-a-sweep")).status_code == 400
    assert (await sweep_client.get("/v1/sweeps/sw-0123456789abcdef/results/csv")).status_code == 404
    r = await sweep_client.get("/v1/sweeps/sw-0123456789abcdef/results/xlsx")
    assert r.status_code == 400


async def test_an_empty_store_lists_no_sweeps(tmp_path, settings_for):
    from service.app import create_app

    async with AsyncTestClient(app=create_app(settings_for(tmp_path / "empty"))) as client:
        r = await client.get("/v1/sweeps")
        assert r.status_code == 200 and r.json() == {"sweeps": []}
