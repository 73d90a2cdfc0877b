"""Parameter pieces several domains share: name and id shapes, paging, list-item documentation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.spec import Schema
from litestar.params import QueryParameter

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

LimitQuery = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
OffsetQuery = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Rows to skip")]


def next_offset(offset: int, limit: int, total: int) -> int | None:
    """The offset of the next page, or None on the last page."""
    return offset + limit if offset + limit < total else None


def list_items(schema: Schema) -> dict[str, Any]:
    """``extra_json_schema`` that documents a list's item constraints in the OpenAPI document.

    Litestar 2 renders the constraints of a list field but not those of its items; msgspec
    still enforces both. (Given as a JSON Schema dict: a nested ``Schema`` object would be
    written with Python attribute names.)
    """
    return {"extra": {"items": schema.to_schema()}}
