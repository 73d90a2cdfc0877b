"""``POST /v1/imports``: import a publisher's file (multipart upload; needs an API key).

The same import as ``forecast data import`` (``forecast.data.importers`` maps and compares,
``forecast.store.observations`` stores): the answer is the summary with the ``new``, ``changed``,
``unchanged`` and ``removed`` counts and the rows behind them. New and changed rows are stored
(with provenance and the given vintage) unless ``dry_run``; any row that breaks a rule, or lies
outside the plausible ranges without ``allow_implausible``, refuses the import with a 422 that
lists row, column, value and rule. Stored rows are scored against the current run (alerts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from forecast.core.errors import UsageError
from forecast.data.importers import SOURCES, ImportPlan
from forecast.data.source_common import SourceFormatError
from service.auth import KEY_NAME_STATE, require_api_key
from service.domains.alerts.notify import score_arrivals
from service.problems import ProblemException, ProblemItem, problem_responses
from service.runtime import ServicesDep

log = logging.getLogger("service.imports")


@dataclass
class ImportForm:
    """The multipart form: ``file`` (the publisher's file) and ``source`` (one of
    epoch-models, epoch-chip-owners, epoch-eci, epoch-hardware, metr); optional ``vintage``
    (YYYY-MM-DD, default today), ``dry_run`` and ``allow_implausible`` (``true``/``false``)."""

    file: UploadFile
    source: str
    vintage: str | None = None
    dry_run: str | None = None
    allow_implausible: str | None = None


def _flag(value: str | None, name: str) -> bool:
    text = (value or "false").strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ProblemException(
        400,
        "invalid-form",
        "Invalid form field",
        f"{name} must be true or false, not {value!r}",
        errors=[ProblemItem(message="must be true or false", location=name, value=value)],
    )


async def run_import(
    services: Any,
    state: Any,
    *,
    source: str,
    data: bytes,
    filename: str,
    key_name: str,
    vintage: str | None,
    dry_run: bool,
    allow_implausible: bool,
) -> tuple[ImportPlan, list[dict[str, Any]]]:
    """Plan (and unless ``dry_run`` store) an import; score the stored rows. Shared with the
    scheduled import."""
    store = services.db.observation_store
    async with services.observation_lock:
        plan = await anyio.to_thread.run_sync(
            lambda: store.import_file(
                source,
                data,
                filename,
                key_name,
                vintage=vintage,
                allow_implausible=allow_implausible,
                write=not dry_run,
            )
        )
    alerts: list[dict[str, Any]] = []
    if plan.stored:
        todo = [r for r in plan.rows if r.status in ("new", "changed")]
        rows = [(i, r.cells) for i, r in zip(plan.stored, todo, strict=True)]
        alerts = await score_arrivals(services, state, plan.table, rows)
    return plan, alerts


class ImportController(Controller):
    """Imports of publishers' files."""

    path = "/v1/imports"
    tags = ("imports",)

    @post(
        "/",
        operation_id="importFile",
        summary="Import a publisher's file (Epoch AI, METR) into the stored observations",
        description="Needs `X-API-Key`. Multipart form with `file` and `source` ("
        + ", ".join(SOURCES)
        + "); optional `vintage`, `dry_run`, `allow_implausible`. Answers the summary "
        "(counts of new, changed, unchanged, removed rows and the rows behind them); 201 when "
        "rows were stored, 200 otherwise; 422 when rows break the rules or the file is not in "
        "the source's format (nothing stored).",
        guards=[require_api_key],
        security=[{"ApiKey": []}],
        opt={"write": True},
        status_code=200,
        responses=problem_responses(400, 401, 413, 422, 429),
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[dict[str, Any]]:
        """Import one file."""
        key_name = request.scope["state"][KEY_NAME_STATE]
        if data.source not in SOURCES:
            raise ProblemException(
                400,
                "unknown-source",
                "Unknown import source",
                f"source must be one of {', '.join(SOURCES)}, not {data.source!r}",
                errors=[
                    ProblemItem(message="unknown source", location="source", value=data.source)
                ],
            )
        dry_run = _flag(data.dry_run, "dry_run")
        allow = _flag(data.allow_implausible, "allow_implausible")
        content = await data.file.read()
        filename = data.file.filename or "upload"
        try:
            plan, alerts = await run_import(
                services,
                request.app.state,
                source=data.source,
                data=content,
                filename=filename,
                key_name=key_name,
                vintage=data.vintage or None,
                dry_run=dry_run,
                allow_implausible=allow,
            )
        except UsageError as exc:
            raise ProblemException(400, "invalid-form", "Invalid form field", str(exc)) from None
        except SourceFormatError as exc:
            raise ProblemException(
                422, "unreadable-import", "The file is not in the source's format", str(exc)
            ) from None
        if not plan.ok:
            raise ProblemException(
                422,
                "invalid-observations",
                "The imported rows are not valid",
                f"{len(plan.issues)} issue(s) in {filename} for table {plan.table}; "
                "nothing was stored",
                errors=[
                    ProblemItem(
                        message=i.rule,
                        row=i.row,
                        column=i.column or None,
                        value=i.value,
                        rule=i.rule,
                    )
                    for i in plan.issues
                ],
            )
        summary = plan.to_dict() | {"alerts": [a["id"] for a in alerts], "submitted_by": key_name}
        log.info(
            "import done",
            extra={"source": data.source, "counts": plan.counts, "stored": len(plan.stored)},
        )
        status = 201 if plan.stored else 200
        return Response(summary, status_code=status, headers={"Cache-Control": "no-store"})
