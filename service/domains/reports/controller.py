"""Rendered reports: the list, and one report as HTML, PDF or JSON.

A report file is served with ``X-Content-Type-Options: nosniff``; the HTML one also with a strict
``Content-Security-Policy`` (:data:`REPORT_CSP`): no scripts, no frames, no requests to any
origin; only its inline stylesheet and its ``data:`` figures load, and it is sandboxed.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException

from service.domains.reports.params import MEDIA, Format, ReportId
from service.problems import problem_responses
from service.responses import NOT_MODIFIED, cached_json
from service.runtime import ServicesDep

REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)
"""The report HTML holds one inline ``<style>`` and ``data:`` images, and nothing else to load."""


def _reports(services: ServicesDep) -> Any:
    from forecast.report.build import ReportStore

    return ReportStore(services.settings.store.home)


class ReportController(Controller):
    """Dated reports rendered by `forecast report` or by the scheduler."""

    path = "/v1/reports"
    tags = ("reports",)

    @get(
        "/",
        operation_id="listReports",
        summary="Every stored report, newest first",
        description="Each with its run id, creation time and formats.",
        responses=NOT_MODIFIED,
    )
    async def list_reports(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response:
        """The report index."""
        import msgspec

        rows = await anyio.to_thread.run_sync(_reports(services).list)
        return cached_json(request, msgspec.json.encode({"reports": rows}), 60)

    @get(
        "/{report_id:str}",
        operation_id="getReport",
        summary="One report as HTML, PDF or JSON",
        description="`format=html` (default), `pdf` or `json`; 404 when the report or the "
        "format does not exist.",
        responses=problem_responses(400, 404),
    )
    async def get_report(
        self, services: ServicesDep, report_id: ReportId, format: Format = "html"
    ) -> Response:
        """A stored report file."""
        folder = _reports(services).folder(report_id)
        path = folder / f"report.{format}"
        if not path.is_file():
            raise NotFoundException(f"no report {report_id!r} in format {format}")
        body = await anyio.to_thread.run_sync(path.read_bytes)
        headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
        if format == "html":
            headers["Content-Security-Policy"] = REPORT_CSP
        return Response(content=body, media_type=MEDIA[format], headers=headers)
