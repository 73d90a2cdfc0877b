"""Parameters of the report views: a report id and a format."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import Parameter

MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}
"""Media type of each report format."""
ReportId = Annotated[
    str,
    Parameter(
        description="A report id from `GET /v1/reports`",
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,99}$",
        max_length=100,
    ),
]
Format = Annotated[
    Literal["html", "pdf", "json"],
    Parameter(description="The report's format"),
]
