"""``GET /v1/alerts``: new observations beyond the 5th/95th percentile of the current run.

Alerts are made when observations arrive (posts, imports, scheduled imports); see
``forecast.questions.alerts`` for how rows are scored and ``service.domains.alerts.notify`` for
the webhook.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Response, get
from msgspec import Struct

from forecast.store.alerts import AlertStore
from service.params import LimitQuery, OffsetQuery, next_offset
from service.problems import problem_responses
from service.runtime import ServicesDep


class Alert(Struct):
    """One surprising observation: where it falls in the current run's predictive."""

    id: int
    created: str
    run_id: str
    observation_id: int | None
    table: str
    label: str | None
    quantity: str
    date: str
    value: float
    country: str
    percentile: float
    tail: str
    strains: str | None
    message: str
    detail: dict[str, Any]
    delivered: str | None
    attempts: int
    last_error: str | None


class AlertPage(Struct):
    """A page of alerts, newest first."""

    items: list[Alert]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class AlertController(Controller):
    """Surprise alerts (public read)."""

    path = "/v1/alerts"
    tags = ("alerts",)

    @get(
        "/",
        operation_id="listAlerts",
        summary="Observations far outside the current run's predictive (newest first)",
        responses=problem_responses(400),
    )
    async def list_alerts(
        self, services: ServicesDep, limit: LimitQuery = 100, offset: OffsetQuery = 0
    ) -> Response[AlertPage]:
        """A page of alerts."""
        store = AlertStore(services.settings.store.database)
        items, total = await anyio.to_thread.run_sync(store.page, limit, offset)
        page = AlertPage(
            items=[Alert(**item) for item in items],
            total=total,
            limit=limit,
            offset=offset,
            next_offset=next_offset(offset, limit, total),
        )
        return Response(page, headers={"Cache-Control": "no-cache"})
