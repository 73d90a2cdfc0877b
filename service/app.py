"""The Litestar app: ``create_app(settings)`` builds it; ``serve(host, port)`` runs it (uvicorn).

Start-up on an empty store: the service starts anyway and answers every question with 503
problem details ("no current run; a fit is in progress or has not been run: `forecast fit`")
until a run becomes current; ``/health`` stays 200 (live) with ``ready: false``. The service never
fits on its own: a run comes from ``forecast fit`` or from ``POST /v1/refits``, and the app picks
up a new current run on the next request (it stats the store's ``CURRENT`` file each time).

Run one uvicorn process per store: the refit worker, the rate limiter and the caches belong to
the process (``docs/service-performance.md`` says when more processes help and what they share).
Reads are public; writes need ``X-API-Key`` and are rate-limited per key name.
Every request passes :func:`service.limits.check_request` first (no secrets in the query
string, no deeply nested JSON, the client's cost budget), from the raw ASGI middleware
:class:`service.limits.RequestChecks` (after the rate limiter, before any guard).

Cheap work stays on the event loop: the per-request checks (rate limiter's write test, request
checks, strict query) are coroutines, and an answer already in the answer cache, or computed
from a projection the forecaster already holds, never enters the thread pool
(:func:`service.responses.respond`); a repeated question is answered from the answer cache by
:class:`service.responses.AnswerFront` before Litestar parses its parameters. Only genuinely
expensive work (loading a run, the first projection of a scenario, options that re-project,
batches, reports, fits) runs in a worker thread or the worker process. Access log and metrics
are cheap per request (:mod:`service.logs`: a sampled access log, ``FORECAST_ACCESS_LOG``; a raw
ASGI metrics middleware).

Each HTTP area is a domain under ``service/domains`` (controller, schemas, parameters); the
OpenAPI document is finished per app build by :mod:`service.openapi`, so it shows the scenario
names and date range of the forecasters' files as they are when the app is built.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Scope
from litestar.utils import normalize_path

from forecast.store.errors import StoreError
from service.auth import API_KEY_HEADER, key_name_for_rate_limit
from service.config import Settings
from service.dashboard import DashboardController, static_files_router
from service.domains.alerts.controller import AlertController
from service.domains.drivers.controller import DriversController
from service.domains.exports.controller import ExportController
from service.domains.external.controller import ExternalController
from service.domains.imports.controller import ImportController
from service.domains.observations.controller import ObservationController
from service.domains.questions.controller import QuestionController
from service.domains.refits.controller import RefitController
from service.domains.reports.controller import ReportController
from service.domains.runs.controller import RunController
from service.domains.structures.controller import StructureController
from service.domains.sweeps.controller import SweepController
from service.domains.system.catalog import CatalogController
from service.domains.system.controller import SystemController, metrics_controller
from service.limits import RequestChecks
from service.logs import AccessLogPolicy, RequestContextMiddleware, RequestMetrics, setup_logging
from service.openapi import finish_document, openapi_config
from service.problems import EXCEPTION_HANDLERS
from service.responses import AnswerFront
from service.runtime import ForecasterPool, Services
from service.scheduler import Cron, ReportScheduler
from service.strict import strict_query

log = logging.getLogger("service.app")


class ForecastApp(Litestar):
    """Litestar with the request-id / access-log middleware around routing itself.

    Litestar's own middleware runs after routing, so it would miss unknown paths and other
    errors raised while routing; wrapping the ASGI handler covers every HTTP request.
    ``access_log`` is the access-log policy (default: ``FORECAST_ACCESS_LOG``).
    """

    def __init__(self, *args: Any, access_log: AccessLogPolicy | None = None, **kwargs: Any):
        self.access_log = access_log if access_log is not None else AccessLogPolicy.from_env()
        super().__init__(*args, **kwargs)

    def _create_asgi_handler(self) -> ASGIApp:
        return RequestContextMiddleware(super()._create_asgi_handler(), self.access_log)


def _route_template(app: Litestar, path: str) -> str | None:
    """The route template serving ``path`` (every HTTP route answers OPTIONS)."""
    try:
        return str(app.asgi_router.handle_routing(path=normalize_path(path), method="OPTIONS")[4])
    except Exception:  # no route at all: nothing to announce
        return None


async def fix_allow_header(message: Message, scope: Scope) -> None:
    """``before_send`` hook: a true ``Allow`` header on OPTIONS answers and on 405s.

    Litestar 2.x answers OPTIONS on a path served by several handlers (GET and POST on
    ``/v1/observations``) with only the first handler's methods (litestar#4169, fixed in 3.0),
    and sends 405 without the ``Allow`` header RFC 9110 requires (litestar#4277).
    """
    if message["type"] != "http.response.start":
        return
    status = message["status"]
    app: Litestar = scope["litestar_app"]
    if status == 405:
        template = _route_template(app, scope["path"])
    elif scope.get("method") == "OPTIONS" and status < 300:
        template = scope.get("path_template")
    else:
        return
    for route in app.routes:
        if route.path_format == template and isinstance(route, HTTPRoute):
            allow = ", ".join(sorted(route.methods))
            headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
            message["headers"] = [*headers, (b"allow", allow.encode())]  # type: ignore[typeddict-unknown-key]
            return


def provide_services(state: State) -> Services:
    """Dependency: the shared services."""
    return state.services  # type: ignore[no-any-return]


async def is_write(request: Request[Any, Any, Any]) -> bool:
    """Rate-limit the handlers marked as writes, for requests that present a key.

    A request without ``X-API-Key`` is refused with 401 by the guard at once (and is not
    counted); a wrong key counts against the client address, a right one against its name.
    A coroutine on purpose: Litestar runs a plain function given as ``check_throttle_handler``
    in the thread pool (``ensure_async_callable``), which cost every request a thread hop.
    """
    return bool(request.route_handler.opt.get("write")) and API_KEY_HEADER in request.headers


async def watch_current_run(services: Services) -> None:
    """Preload and warm each new current run; restart the worker if it died (runs forever)."""
    warmed: str | None = None
    while True:
        try:
            run_id = services.current.peek()
            if run_id is not None and run_id != warmed:
                warmed = run_id
                forecaster = await services.pool.get(run_id)
                await anyio.to_thread.run_sync(ForecasterPool.warm, forecaster)
                log.info("serving run", extra={"run_id": run_id})
            if services.worker is not None:
                await anyio.to_thread.run_sync(services.worker.check)
        except Exception as exc:  # the watcher must survive a bad run or a broken file
            log.error("current-run watcher error", exc_info=exc)
        await anyio.sleep(services.settings.api.watch_seconds)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the refit worker and the current-run watcher; stop them on shutdown."""
    services: Services = app.state.services
    access = getattr(app, "access_log", None)
    extra = dict(services.settings.describe())
    if isinstance(access, AccessLogPolicy):
        extra["access_log"] = access.describe()
    log.info("service starting", extra=extra)
    if services.worker is not None:
        await anyio.to_thread.run_sync(services.worker.start)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(watch_current_run, services)
            if services.settings.reports.cron:
                tasks.start_soon(report_scheduler(services).run)
            if services.settings.imports.cron:
                from service.imports_schedule import import_schedule

                tasks.start_soon(import_schedule(services, app.state).run)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
    finally:
        if services.worker is not None:
            await anyio.to_thread.run_sync(services.worker.stop)
        log.info("service stopped")


def report_scheduler(services: Services) -> ReportScheduler:
    """The periodic refit-and-report scheduler over this service's store and worker."""
    from datetime import datetime

    from forecast.report.build import ReportStore, render_report, report_due
    from forecast.store.runs import RunNotFoundError

    home = services.settings.store.home

    def current_created() -> datetime | None:
        try:
            return datetime.fromisoformat(
                services.store.meta(services.store.current_id())["created"]
            )
        except RunNotFoundError:
            return None

    def observations_after(created: datetime | None) -> int:
        return services.db.count_observations_since(created.isoformat() if created else None)

    def start_refit() -> str:
        job = services.db.create_job("default", False, "scheduler")
        assert services.worker is not None
        services.worker.submit(job["job_id"])
        return job["job_id"]

    def job_status(job_id: str) -> str | None:
        job = services.db.get_job(job_id)
        return job["status"] if job else None

    def render() -> dict[str, Any]:
        reports = ReportStore(home)
        due = report_due(home, store=services.store, reports=reports)
        if not due.due:
            return {"rendered": False, "reason": due.reason}
        result = render_report(store=services.store, reports=reports, refit="cached")
        return {"rendered": True, "reason": due.reason, **result.summary()}

    return ReportScheduler(
        cron=Cron.parse(services.settings.reports.cron),
        current_created=current_created,
        observations_after=observations_after,
        start_refit=start_refit if services.worker is not None else None,
        job_status=job_status,
        render=render,
    )


def create_app(
    settings: Settings | None = None, access_log: AccessLogPolicy | None = None
) -> Litestar:
    """The app for ``settings`` (default: from the environment) and the access-log policy
    (default: ``FORECAST_ACCESS_LOG``, see :class:`service.logs.AccessLogPolicy`)."""
    settings = settings or Settings()
    access_log = access_log if access_log is not None else AccessLogPolicy.from_env()
    setup_logging(settings.log.level, settings.log.format)
    services = Services.build(settings)
    rate_limit = RateLimitConfig(
        rate_limit=settings.api.write_rate_limit,
        identifier_for_request=key_name_for_rate_limit,
        check_throttle_handler=is_write,
    )
    request_metrics = DefineMiddleware(
        RequestMetrics, prefix="forecast_api", app_name="forecast", exclude="/metrics"
    )
    metrics = metrics_controller(settings.api.metrics)
    cors = (
        CORSConfig(allow_origins=list(settings.api.cors_origins))
        if settings.api.cors_origins
        else None
    )
    app = ForecastApp(
        route_handlers=[
            SystemController,
            *([metrics] if metrics is not None else []),
            RunController,
            QuestionController,
            CatalogController,
            ObservationController,
            ImportController,
            AlertController,
            RefitController,
            ExportController,
            DriversController,
            ExternalController,
            StructureController,
            ReportController,
            SweepController,
            DashboardController,
            static_files_router(),
        ],
        dependencies={"services": Provide(provide_services, sync_to_thread=False)},
        state=State({"services": services, "keyring": settings.auth.keyring}),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            *([request_metrics] if metrics is not None else []),
            rate_limit.middleware,
            RequestChecks,
            AnswerFront,
        ],
        cors_config=cors,
        openapi_config=openapi_config(),
        request_max_body_size=settings.api.max_body_bytes,
        lifespan=[lifespan],
        before_send=[fix_allow_header],
        before_request=strict_query,
        logging_config=None,
        signature_namespace={"Services": Services},
        access_log=access_log,
    )
    finish_document(app)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Run the service under uvicorn until interrupted; returns the exit status."""
    import sys

    import uvicorn

    from service.auth import KeyConfigError
    from service.config import SettingsError
    from service.logs import logging_config

    try:
        settings = Settings()
        access_log = AccessLogPolicy.from_env()
    except (SettingsError, KeyConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(settings, access_log)
    except (sqlite3.Error, OSError, StoreError) as exc:
        # the service keeps observations and refit jobs in the store: it must be writable
        cause = exc.args[0] if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
        print(
            f"error: the service cannot open its database in the run store at "
            f"{settings.store.home}: {cause}; give the service a writable FORECAST_HOME",
            file=sys.stderr,
        )
        return 1
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=logging_config(settings.log.level, settings.log.format),
        access_log=False,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
