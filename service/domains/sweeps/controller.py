"""Stored sweeps (``forecast sweep`` into ``<store home>/sweeps``): the list, one sweep's
results rows and summary, and its result files (CSV, Parquet, netCDF)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException

from forecast.sweeps.index import SweepNotFoundError, SweepStore
from service.domains.sweeps.params import ResultFormat, SweepIdPath
from service.domains.sweeps.schemas import SweepDetail, SweepList
from service.problems import problem_responses
from service.responses import JSON
from service.runtime import ServicesDep

FILES = {
    "csv": ("results.csv", "text/csv; charset=utf-8"),
    "parquet": ("results.parquet", "application/vnd.apache.parquet"),
    "netcdf": ("results.nc", "application/x-netcdf"),
}


def sweep_store(services: ServicesDep) -> SweepStore:
    return SweepStore(services.settings.store.home / "sweeps")


def _detail(services: ServicesDep, sweep_id: str) -> dict[str, Any]:
    try:
        return sweep_store(services).get(sweep_id)
    except SweepNotFoundError as exc:
        raise NotFoundException(detail=f"no sweep {sweep_id}") from exc


def _file(services: ServicesDep, sweep_id: str, fmt: str) -> bytes:
    store = sweep_store(services)
    try:
        store.keys_of(sweep_id)
    except SweepNotFoundError as exc:
        raise NotFoundException(detail=f"no sweep {sweep_id}") from exc
    path = store.folder(sweep_id) / FILES[fmt][0]
    if not path.is_file():
        raise NotFoundException(detail=f"sweep {sweep_id} has no {fmt} results file")
    return path.read_bytes()


class SweepController(Controller):
    """Read-only views of the sweep store."""

    path = "/v1/sweeps"
    tags = ("sweeps",)

    @get(
        "/",
        operation_id="listSweeps",
        summary="Every stored sweep",
        description="Grid, state and counts (fits, stored, passed the gate) of each sweep.",
    )
    async def list_sweeps(self, services: ServicesDep) -> Response[SweepList]:
        rows = await anyio.to_thread.run_sync(lambda: sweep_store(services).list())
        body = msgspec.json.encode(msgspec.convert({"sweeps": rows}, SweepList))
        return Response(content=body, media_type=JSON)

    @get(
        "/{sweep_id:str}",
        operation_id="getSweep",
        summary="A sweep's results",
        description="One row per fit (inputs, diagnostics, gate, median arrivals, P(first), "
        "backtest scores) and the summary with the backtest table pooled over passed fits.",
        responses=problem_responses(400, 404),
    )
    async def get_sweep(
        self, services: ServicesDep, sweep_id: SweepIdPath
    ) -> Response[SweepDetail]:
        detail = await anyio.to_thread.run_sync(_detail, services, sweep_id)
        body = msgspec.json.encode(msgspec.convert(detail, SweepDetail))
        return Response(content=body, media_type=JSON)

    @get(
        "/{sweep_id:str}/results/{fmt:str}",
        operation_id="getSweepResults",
        summary="A sweep's results file",
        description="The tidy results table as CSV or Parquet, or the xarray Dataset as netCDF.",
        responses=problem_responses(400, 404),
        media_type="application/octet-stream",
    )
    async def get_results(
        self, services: ServicesDep, sweep_id: SweepIdPath, fmt: ResultFormat
    ) -> Response[bytes]:
        data = await anyio.to_thread.run_sync(_file, services, sweep_id, fmt)
        name, media = FILES[fmt]
        return Response(
            content=data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{sweep_id}-{name}"'},
        )
