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
    """Rows to add to a table: each row maps the table's column names to values.

    ``allow_implausible`` accepts values outside the table's plausible ranges (a deliberate
    outlier); the API key's name is recorded with the rows.
    """

    table: TableName
    rows: Annotated[list[dict[str, Cell]], Meta(min_length=1, max_length=MAX_OBSERVATION_ROWS)]
    allow_implausible: bool = False


class ObservationsAccepted(Struct):
    """Rows that passed validation and were stored."""

    table: TableName
    accepted: int
    ids: list[int]
    submitted_by: str
    created: str
    allowed_implausible: bool = False
    alerts: list[int] = []
    """Ids of the alerts the rows raised (see ``GET /v1/alerts``)."""


class Retraction(Struct):
    """Who retracted a stored observation, when and why."""

    at: str
    by: str
    why: str


class StoredObservation(Struct):
    """One stored row (cells exactly as validated), with its history.

    ``kind`` is ``new`` or ``revision`` (an imported change of an existing row); imports carry
    ``provenance`` (source, file, SHA-256, the row's key in the file, vintage); ``retracted`` is
    set once the row was retracted (it then leaves every later fit).
    """

    id: int
    table: TableName
    row: dict[str, str]
    submitted_by: str
    created: str
    kind: str = "new"
    provenance: dict[str, str] | None = None
    vintage: str | None = None
    allowed_implausible_by: str | None = None
    retracted: Retraction | None = None


class ObservationPage(Struct):
    """A page of stored observations, newest first."""

    items: list[StoredObservation]
    total: int
    limit: int
    offset: int
    next_offset: int | None
