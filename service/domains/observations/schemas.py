"""Request and response schemas of the observations: a posted batch, what was stored, a page."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from msgspec import Meta, Struct

from forecast.data.tables import TABLES

MAX_OBSERVATION_ROWS = 1000

TableName = StrEnum("TableName", {t: t for t in TABLES})  # type: ignore[misc]
TableName.__doc__ = "A curated data table; posted rows use its columns."
Cell = str | int | float | bool | None


class ObservationBatch(Struct, forbid_unknown_fields=True):
    """Rows to add to a table: each row maps the table's column names to values."""

    table: TableName
    rows: Annotated[list[dict[str, Cell]], Meta(min_length=1, max_length=MAX_OBSERVATION_ROWS)]


class ObservationsAccepted(Struct):
    """Rows that passed validation and were stored."""

    table: TableName
    accepted: int
    ids: list[int]
    submitted_by: str
    created: str


class StoredObservation(Struct):
    """One stored row (cells exactly as validated)."""

    id: int
    table: TableName
    row: dict[str, str]
    submitted_by: str
    created: str


class ObservationPage(Struct):
    """A page of stored observations, newest first."""

    items: list[StoredObservation]
    total: int
    limit: int
    offset: int
    next_offset: int | None
