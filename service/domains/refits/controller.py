"""Refit jobs: start one (API key), follow its status.

``POST /v1/refits`` answers 202 at once with the job id and a ``Location``; the fit runs in the
worker process (one job at a time). When the new run passes the diagnostics gate it becomes
current and the service switches to it without a restart; a run that fails the gate is stored
but not served, and the job reports ``failed`` with the gate's reasons.

At most ``FORECAST_REFIT_QUEUE`` jobs (default 3) may wait in the queue: another ``POST`` answers
429 ``refit-queue-full`` with ``Retry-After`` until the worker has taken one. A job whose worker
died is reported ``failed`` with the reason (exit code or signal, and the worker's last error).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from forecast.priors.priorset import available_prior_sets
from service.auth import KEY_NAME_STATE, require_api_key
from service.domains.refits.params import JobIdPath
from service.domains.refits.schemas import RefitAccepted, RefitJob, RefitJobList, RefitRequest
from service.etag import NO_STORE
from service.params import LimitQuery, OffsetQuery, next_offset
from service.problems import ProblemException, problem_responses
from service.runtime import ServicesDep

NO_STORE_HEADERS = {"Cache-Control": NO_STORE}
QUEUE_RETRY_SECONDS = 60
"""``Retry-After`` of a refused refit: a quick refit takes about a minute."""


class RefitController(Controller):
    """Refit jobs."""

    path = "/v1/refits"
    tags = ("refits",)

    @post(
        "/",
        operation_id="startRefit",
        summary="Start a refit with the stored observations",
        description="Needs `X-API-Key`. Returns 202 with the job id; poll "
        "`GET /v1/refits/{job_id}`. `quick` uses small sampler settings (for tests).",
        status_code=202,
        guards=[require_api_key],
        security=[{"ApiKey": []}],
        opt={"write": True},
        responses=problem_responses(400, 401, 413, 422, 429, 503),
    )
    async def start_refit(
        self, request: Request[Any, Any, Any], services: ServicesDep, data: JSONBody[RefitRequest]
    ) -> Response[RefitAccepted]:
        """Queue a refit job."""
        if services.worker is None:
            raise ProblemException(
                503,
                "refits-disabled",
                "Refits are disabled",
                "this server runs without a refit worker (FORECAST_WORKER=0)",
            )
        known = await anyio.to_thread.run_sync(available_prior_sets)
        if data.priors not in known:
            raise ProblemException(
                422,
                "unknown-prior-set",
                "Unknown prior set",
                f"no prior set {data.priors!r} (known: {', '.join(known) or 'none'})",
            )
        key_name = request.scope["state"][KEY_NAME_STATE]
        cap = services.settings.api.refit_queue
        async with services.refit_lock:
            waiting = await anyio.to_thread.run_sync(services.db.count_jobs, "queued")
            if waiting >= cap:
                raise ProblemException(
                    429,
                    "refit-queue-full",
                    "The refit queue is full",
                    f"{waiting} refit job(s) are already waiting (at most {cap}, "
                    "FORECAST_REFIT_QUEUE); retry once the worker has taken one",
                    headers={"Retry-After": str(QUEUE_RETRY_SECONDS)},
                )
            job = await anyio.to_thread.run_sync(
                services.db.create_job, data.priors, data.quick, key_name
            )
        services.worker.submit(job["job_id"])
        location = f"/v1/refits/{job['job_id']}"
        return Response(
            RefitAccepted(job_id=job["job_id"], status="queued"),
            status_code=202,
            headers={"Location": location, **NO_STORE_HEADERS},
        )

    @get(
        "/",
        operation_id="listRefits",
        summary="Refit jobs, newest first (paginated)",
        responses=problem_responses(400),
    )
    async def list_refits(
        self, services: ServicesDep, limit: LimitQuery = 20, offset: OffsetQuery = 0
    ) -> Response[RefitJobList]:
        """Refit jobs."""
        items, total = await anyio.to_thread.run_sync(services.db.list_jobs, limit, offset)
        page = RefitJobList(
            items=[msgspec.convert(i, RefitJob) for i in items],
            total=total,
            limit=limit,
            offset=offset,
            next_offset=next_offset(offset, limit, total),
        )
        return Response(page, headers=NO_STORE_HEADERS)

    @get(
        "/{job_id:str}",
        operation_id="getRefit",
        summary="A refit job's status",
        description="queued, running, succeeded (with the new run id) or failed (with the "
        "error message).",
        responses=problem_responses(400, 404, 503),
    )
    async def get_refit(self, services: ServicesDep, job_id: JobIdPath) -> Response[RefitJob]:
        """One refit job."""
        job = await anyio.to_thread.run_sync(services.db.get_job, job_id)
        if job is None:
            raise ProblemException(404, "unknown-job", "Unknown job", f"no refit job {job_id!r}")
        return Response(msgspec.convert(job, RefitJob), headers=NO_STORE_HEADERS)
