"""Observations: rows added to the curated tables through the API (write needs an API key).

A posted batch is validated exactly like a file: its rows are written to a temporary CSV with
the table's header (JSON ``true``/``false`` as ``true``/``false``, ``null`` or a missing column
as an empty cell, numbers as written) and checked by ``forecast.data.tables.check`` with the
bundled tables and the rows stored before, so cell rules, cross-column rules and duplicate keys
all apply. Any issue rejects the whole batch with a 422 problem listing every issue by row
(0-based index into ``rows``), column, value and rule. Accepted rows are stored in SQLite with the
API key's name; ``POST /v1/refits`` fits with them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from forecast.data import tables
from service.auth import KEY_NAME_STATE, require_api_key
from service.controllers.params import LimitQuery, OffsetQuery, TableQuery
from service.jobs import ServiceDB, now_iso
from service.problems import ProblemException, ProblemItem, problem_responses
from service.runtime import ServicesDep
from service.schemas import (
    Cell,
    ObservationBatch,
    ObservationPage,
    ObservationsAccepted,
    StoredObservation,
)
from service.worker import WORK_DIR

log = logging.getLogger("service.observations")
_SEEN_LINE = re.compile(r"first seen on line (\d+)")


def cell_text(value: Cell) -> str:
    """A JSON cell as the CSV text a file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> list[int]:
    """Write a CSV file; returns the physical line on which each row starts (header = 1)."""
    starts: list[int] = []
    line = 2
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        starts.append(line)
        before = buffer.tell()
        writer.writerow(row)
        line += buffer.getvalue()[before:].count("\n")
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return starts


def validate_rows(
    db: ServiceDB, work_root: Path, table: str, rows: list[dict[str, Cell]]
) -> tuple[list[dict[str, str]], list[ProblemItem]]:
    """The rows as validated CSV cells, and every issue (empty when the batch is valid)."""
    schema = tables.TABLES[table]
    columns = schema.column_names
    problems: list[ProblemItem] = []
    cells: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        for key in row:
            if key not in columns:
                rule = f"unknown column for table {table}"
                problems.append(
                    ProblemItem(message=rule, row=index, column=key, value=key, rule=rule)
                )
        cells.append({c: cell_text(row.get(c)) for c in columns})
    stored = db.observation_rows(table)
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="observations-", dir=work_root) as tmp:
        folder = Path(tmp)
        paths = []
        stored_path = folder / f"stored-{table}.csv"
        stored_lines: dict[int, int] = {}
        if stored:
            starts = _write_csv(
                stored_path, columns, [[r.get(c, "") for c in columns] for _, r in stored]
            )
            stored_lines = {line: oid for line, (oid, _) in zip(starts, stored, strict=True)}
            paths.append(stored_path)
        new_path = folder / f"request-{table}.csv"
        starts = _write_csv(new_path, columns, [[r[c] for c in columns] for r in cells])
        row_of_line = {line: index for index, line in enumerate(starts)}
        paths.append(new_path)
        report = tables.check(paths)
    for issue in report.issues:
        if issue.file == str(stored_path):
            log.warning("a stored observation no longer validates", extra={"rule": issue.rule})
            continue
        if issue.file != str(new_path):
            continue
        rule = _public_rule(issue.rule, str(stored_path), stored_lines, row_of_line)
        problems.append(
            ProblemItem(
                message=rule,
                row=row_of_line.get(issue.line),
                column=issue.column or None,
                value=issue.value,
                rule=rule,
            )
        )
    problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.column or ""))
    return cells, problems


def _public_rule(
    rule: str, stored_path: str, stored_lines: dict[int, int], row_of_line: dict[int, int]
) -> str:
    """A rule text with temporary file names replaced by rows and stored observation ids."""
    stored = re.search(re.escape(f"{stored_path}:") + r"(\d+)", rule)
    if stored is not None:
        oid = stored_lines.get(int(stored.group(1)), "?")
        return f"{rule[: stored.start()]}stored observation {oid}{rule[stored.end() :]}"

    def as_row(match: re.Match[str]) -> str:
        index = row_of_line.get(int(match.group(1)))
        return f"first seen in row {index} of this request" if index is not None else match.group(0)

    return _SEEN_LINE.sub(as_row, rule)


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
            next_offset=offset + limit if offset + limit < total else None,
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
        work_root = services.settings.store.home / WORK_DIR
        async with services.observation_lock:
            cells, problems = await anyio.to_thread.run_sync(
                validate_rows, services.db, work_root, table, data.rows
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
