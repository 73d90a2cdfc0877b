"""Health (liveness and readiness) and Prometheus metrics.

``FORECAST_METRICS`` decides who may read ``/metrics``: ``public`` (the default: anyone),
``key`` (a valid ``X-API-Key``, as for writes; 401 otherwise) or ``off`` (no route and no
collection: 404).
"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.plugins.prometheus import PrometheusController
from litestar.types import Guard

import forecast
from service.auth import require_api_key
from service.domains.system.schemas import Health
from service.problems import NO_CURRENT_RUN
from service.runtime import ServicesDep


class SystemController(Controller):
    """Service health."""

    path = "/"
    tags = ("system",)

    @get(
        "/health",
        operation_id="getHealth",
        summary="Liveness and readiness",
        description="Always 200 while the process serves (liveness). `ready` is true when a "
        "current run exists, so questions can be answered; while it is false, questions answer "
        "503.",
    )
    async def health(self, services: ServicesDep) -> Response[Health]:
        """Whether the service is alive and ready to answer questions."""
        run_id = services.current.peek()
        if run_id is None:
            detail = NO_CURRENT_RUN
        elif services.pool.loaded(run_id):
            detail = "ready: the current run is loaded"
        else:
            detail = "ready: the current run loads on the first question"
        health = Health(
            live=True,
            ready=run_id is not None,
            current_run=run_id,
            detail=detail,
            worker=services.worker_state(),  # type: ignore[arg-type]
            version=forecast.__version__,
        )
        return Response(health, headers={"Cache-Control": "no-store"})


class MetricsController(PrometheusController):
    """Prometheus metrics at ``/metrics`` (paths grouped by route template)."""

    path = "/metrics"
    include_in_schema = False


class KeyedMetricsController(MetricsController):
    """``/metrics`` for API-key holders only (``FORECAST_METRICS=key``)."""

    guards: list[Guard] | None = [require_api_key]  # noqa: RUF012


def metrics_controller(mode: str) -> type[MetricsController] | None:
    """The metrics controller for ``FORECAST_METRICS`` (None when ``off``)."""
    return {"public": MetricsController, "key": KeyedMetricsController}.get(mode)
