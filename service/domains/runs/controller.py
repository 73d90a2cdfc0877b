"""Stored runs: the list, the current run, any run's full metadata and its posterior file."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import File

from forecast.store.runs import POSTERIOR_FILE
from service.domains.runs.params import RunIdPath
from service.domains.runs.schemas import RunDetail, RunList
from service.etag import QUESTION_CACHE_CONTROL, make_etag, matches, not_modified
from service.problems import problem_responses
from service.responses import JSON, NOT_MODIFIED, cached_json
from service.runtime import ServicesDep


def run_detail(services: ServicesDep, run_id: str) -> RunDetail:
    """A run's metadata with the live ``current`` flag (raises RunNotFoundError)."""
    meta = services.store.meta(run_id)
    meta = {**meta, "current": services.current.peek() == run_id}
    return msgspec.convert(meta, RunDetail)


class RunController(Controller):
    """Read-only views of the run store."""

    path = "/v1/runs"
    tags = ("runs",)

    @get(
        "/",
        operation_id="listRuns",
        summary="Every stored run, newest first",
        description="Passed and failed runs with their diagnostics; `current` marks the run "
        "that answers questions.",
        responses=NOT_MODIFIED,
    )
    async def list_runs(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[RunList]:
        """The run catalog."""
        rows = await anyio.to_thread.run_sync(services.store.list)
        current = next((r["id"] for r in rows if r["current"]), None)
        body = msgspec.json.encode(msgspec.convert({"current": current, "runs": rows}, RunList))
        return cached_json(request, body, services.settings.api.max_age)

    @get(
        "/current",
        operation_id="getCurrentRun",
        summary="The current run's metadata",
        description="503 problem details while there is no current run.",
        responses=problem_responses(409, 503) | NOT_MODIFIED,
    )
    async def current_run(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[RunDetail]:
        """The run that answers questions."""
        return await self._detail(request, services, services.current.require())

    @get(
        "/{run_id:str}",
        operation_id="getRun",
        summary="A run's metadata",
        description="Prior set and hash, data hash, sampler settings, diagnostics, gate result "
        "and library versions.",
        responses=problem_responses(400, 404, 409) | NOT_MODIFIED,
    )
    async def get_run(
        self, request: Request[Any, Any, Any], services: ServicesDep, run_id: RunIdPath
    ) -> Response[RunDetail]:
        """One run."""
        return await self._detail(request, services, run_id)

    @get(
        "/{run_id:str}/posterior",
        operation_id="getRunPosterior",
        summary="A run's posterior draws as netCDF",
        description="The run's DataTree (group `posterior`: every parameter by chain and draw; "
        "attributes: run id, model type and version) as a netCDF-4 file, as stored; read it "
        "with `xarray.open_datatree`. The run's metadata, fit data hashes and prior set are at "
        "`/v1/runs/{run_id}`.",
        responses=problem_responses(400, 404, 409)
        | {
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/x-netcdf",
                description="The posterior file (netCDF-4)",
            )
        },
    )
    async def get_posterior(self, services: ServicesDep, run_id: RunIdPath) -> File:
        """One run's posterior file."""
        await anyio.to_thread.run_sync(services.store.meta, run_id)  # 404 for an unknown run
        return File(
            path=services.store.runs_dir / run_id / POSTERIOR_FILE,
            filename=f"{run_id}-posterior.nc",
            media_type="application/x-netcdf",
        )

    async def _detail(
        self, request: Request[Any, Any, Any], services: ServicesDep, run_id: str
    ) -> Response[Any]:
        current = services.current.peek() == run_id
        etag = make_etag("run", run_id, str(current), request.url.query or "")
        cache_control = QUESTION_CACHE_CONTROL.format(max_age=services.settings.api.max_age)
        if matches(request.headers.get("if-none-match"), etag):
            return not_modified(etag, cache_control)
        detail = await anyio.to_thread.run_sync(run_detail, services, run_id)
        return Response(
            content=msgspec.json.encode(detail),
            media_type=JSON,
            headers={"ETag": etag, "Cache-Control": cache_control},
        )
