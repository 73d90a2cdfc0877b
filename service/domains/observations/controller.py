"""Observations: rows added to the curated tables through the API (write needs an API key).

A posted batch is validated in memory by the same checks as a file
(:func:`forecast.data.tables.validate_rows`): JSON ``true``/``false`` read as ``true``/``false``,
``null`` or a missing column as an empty cell, numbers as written; cell rules, cross-column rules
and duplicate keys (against the bundled table, the rows stored before and the batch itself) all
apply. Any issue rejects the whole batch with a 422 problem listing every issue by row (0-based
index into ``rows``, carried by the validator as data), column, value and rule. Values outside
the table's plausible ranges are refused the same way unless ``allow_implausible`` is true (the
key's name is then recorded as having allowed them). Accepted rows are stored in SQLite with the
API key's name; ``POST /v1/refits`` fits with them, and each is scored against the current run
(an alert when beyond the 5th/95th percentile, see ``GET /v1/alerts``).

``DELETE /v1/observations/{id}?why=...`` retracts a row: it stays in the history (listed with
``include_retracted=true``) with who, when and why, and leaves every later fit.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody

from forecast.core.errors import ForecastError
from forecast.data.tables import validate_rows
from forecast.store.observations import AlreadyRetractedError, ObservationNotFoundError
from service.auth import KEY_NAME_STATE, require_api_key
from service.domains.alerts.notify import score_arrivals
from service.domains.observations.params import (
    IncludeRetractedQuery,
    ObservationIdPath,
    TableQuery,
    WhyQuery,
)
from service.domains.observations.schemas import (
    Cell,
    ObservationBatch,
    ObservationPage,
    ObservationsAccepted,
    Retraction,
    StoredObservation,
)
from service.jobs import ServiceDB, now_iso
from service.params import LimitQuery, OffsetQuery, next_offset
from service.problems import ProblemException, ProblemItem, problem_responses
from service.runtime import ServicesDep

log = logging.getLogger("service.observations")


def check_rows(
    db: ServiceDB, table: str, rows: list[dict[str, Cell]], allow_implausible: bool = False
) -> tuple[list[dict[str, str]], list[ProblemItem]]:
    """The rows as validated cell texts, and every issue (empty when the batch is valid)."""
    report = validate_rows(
        table,
        rows,
        batch="this request",
        earlier=db.observation_rows(table),
        earlier_noun="stored observation",
        allow_implausible=allow_implausible,
    )
    for issue in report.earlier_issues:
        log.warning("a stored observation no longer validates", extra={"rule": issue.rule})
    problems = [
        ProblemItem(
            message=issue.rule,
            row=issue.row,
            column=issue.column or None,
            value=issue.value,
            rule=issue.rule,
        )
        for issue in report.issues
    ]
    return report.cells, problems


def stored(item: dict[str, Any]) -> StoredObservation:
    """A stored row as its response schema."""
    retracted = item.get("retracted")
    fields = {k: v for k, v in item.items() if k != "retracted"}
    return StoredObservation(**fields, retracted=Retraction(**retracted) if retracted else None)


class ObservationController(Controller):
    """Stored observations: list (public) and add (API key)."""

    path = "/v1/observations"
    tags = ("observations",)

    @get(
        "/",
        operation_id="listObservations",
        summary="Stored observations, newest first (paginated)",
        responses=problem_responses(400),
    )
    async def list_observations(
        self,
        services: ServicesDep,
        table: TableQuery = None,
        limit: LimitQuery = 100,
        offset: OffsetQuery = 0,
        include_retracted: IncludeRetractedQuery = False,
    ) -> Response[ObservationPage]:
        """A page of stored observations (retracted ones only with ``include_retracted``)."""
        name = table.value if table is not None else None
        items, total = await anyio.to_thread.run_sync(
            services.db.list_observations, name, limit, offset, include_retracted
        )
        page = ObservationPage(
            items=[stored(item) for item in items],
            total=total,
            limit=limit,
            offset=offset,
            next_offset=next_offset(offset, limit, total),
        )
        return Response(page, headers={"Cache-Control": "no-cache"})

    @post(
        "/",
        operation_id="addObservations",
        summary="Add rows to a table (validated like a file)",
        description="Needs `X-API-Key`. The whole batch is rejected (422) if any row breaks a "
        "rule or lies outside the table's plausible ranges (unless `allow_implausible`); the "
        "problem lists every issue by row, column, value and rule (with the range).",
        guards=[require_api_key],
        security=[{"ApiKey": []}],
        opt={"write": True},
        responses=problem_responses(400, 401, 413, 422, 429),
    )
    async def add_observations(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        data: JSONBody[ObservationBatch],
    ) -> Response[ObservationsAccepted]:
        """Validate and store observations."""
        key_name = request.scope["state"][KEY_NAME_STATE]
        table = data.table.value
        allow = data.allow_implausible
        async with services.observation_lock:
            cells, problems = await anyio.to_thread.run_sync(
                check_rows, services.db, table, data.rows, allow
            )
            if problems:
                raise ProblemException(
                    422,
                    "invalid-observations",
                    "The observations are not valid",
                    f"{len(problems)} issue(s) in {len(data.rows)} row(s) for table {table}; "
                    "nothing was stored",
                    errors=problems,
                )
            ids = await anyio.to_thread.run_sync(
                services.db.add_observations, table, cells, key_name, key_name if allow else None
            )
        log.info("observations stored", extra={"table": table, "rows": len(ids), "key": key_name})
        alerts = await score_arrivals(
            services, request.app.state, table, list(zip(ids, cells, strict=True))
        )
        accepted = ObservationsAccepted(
            table=data.table,
            accepted=len(ids),
            ids=ids,
            submitted_by=key_name,
            created=now_iso(),
            allowed_implausible=allow,
            alerts=[a["id"] for a in alerts],
        )
        return Response(accepted, status_code=201, headers={"Cache-Control": "no-store"})

    @delete(
        "/{obs_id:int}",
        operation_id="retractObservation",
        summary="Retract a stored observation (kept in the history, left out of fits)",
        description="Needs `X-API-Key` and `why`. Nothing is deleted: the row is marked "
        "retracted with the key's name, the time and the reason, and leaves every later fit.",
        guards=[require_api_key],
        security=[{"ApiKey": []}],
        opt={"write": True},
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 429),
    )
    async def retract_observation(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        obs_id: ObservationIdPath,
        why: WhyQuery,
    ) -> Response[StoredObservation]:
        """Retract one stored observation."""
        key_name = request.scope["state"][KEY_NAME_STATE]
        store = services.db.observation_store
        async with services.observation_lock:
            try:
                await anyio.to_thread.run_sync(store.retract, obs_id, key_name, why)
            except ObservationNotFoundError as exc:
                raise ProblemException(
                    404, "observation-not-found", "No such observation", str(exc)
                ) from None
            except AlreadyRetractedError as exc:
                raise ProblemException(
                    409, "observation-retracted", "Already retracted", str(exc)
                ) from None
            except ForecastError as exc:  # e.g. a reason of white space only
                raise ProblemException(
                    400, "invalid-retraction", "Invalid retraction", str(exc)
                ) from None
        item = await anyio.to_thread.run_sync(store.get, obs_id)
        log.info("observation retracted", extra={"id": obs_id, "key": key_name})
        return Response(stored(item), headers={"Cache-Control": "no-store"})
