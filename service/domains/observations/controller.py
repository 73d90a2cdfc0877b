"""Observations: rows added to the curated tables through the API (write needs an API key).

A posted batch is validated in memory by the same checks as a file
(:func:`forecast.data.tables.validate_rows`): JSON ``true``/``false`` read as ``true``/``false``,
``null`` or a missing column as an empty cell, numbers as written; cell rules, cross-column rules
and duplicate keys (against the bundled table, the rows stored before and the batch itself) all
apply. Any issue rejects the whole batch with a 422 problem listing every issue by row (0-based
index into ``rows``, carried by the validator as data), column, value and rule. Accepted rows are
stored in SQLite with the API key's name; ``POST /v1/refits`` fits with them.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from forecast.data.tables import validate_rows
from service.auth import KEY_NAME_STATE, require_api_key
from service.domains.observations.params import TableQuery
from service.domains.observations.schemas import (
    Cell,
    ObservationBatch,
    ObservationPage,
    ObservationsAccepted,
    StoredObservation,
)
from service.jobs import ServiceDB, now_iso
from service.params import LimitQuery, OffsetQuery, next_offset
from service.problems import ProblemException, ProblemItem, problem_responses
from service.runtime import ServicesDep

log = logging.getLogger("service.observations")


def check_rows(
    db: ServiceDB, table: str, rows: list[dict[str, Cell]]
) -> tuple[list[dict[str, str]], list[ProblemItem]]:
    """The rows as validated cell texts, and every issue (empty when the batch is valid)."""
    report = validate_rows(
        table,
        rows,
        batch="this request",
        earlier=db.observation_rows(table),
        earlier_noun="stored observation",
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
    ) -> Response[ObservationPage]:
        """A page of stored observations."""
        name = table.value if table is not None else None
        items, total = await anyio.to_thread.run_sync(
            services.db.list_observations, name, limit, offset
        )
        page = ObservationPage(
            items=[StoredObservation(**item) for item in items],
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
        "rule; the problem lists every issue by row, column, value and rule.",
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
        async with services.observation_lock:
            cells, problems = await anyio.to_thread.run_sync(
                check_rows, services.db, table, data.rows
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
                services.db.add_observations, table, cells, key_name
            )
        log.info("observations stored", extra={"table": table, "rows": len(ids), "key": key_name})
        accepted = ObservationsAccepted(
            table=data.table, accepted=len(ids), ids=ids, submitted_by=key_name, created=now_iso()
        )
        return Response(accepted, status_code=201, headers={"Cache-Control": "no-store"})
