"""Query parameters of the observation listing."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from service.domains.observations.schemas import TableName

TableQuery = Annotated[TableName | None, QueryParameter(description="Only rows of this table")]

IncludeRetractedQuery = Annotated[
    bool, QueryParameter(description="Also list retracted rows (the full history)")
]
ObservationIdPath = Annotated[int, PathParameter(ge=1, description="Stored observation id")]
WhyQuery = Annotated[
    str,
    QueryParameter(min_length=1, max_length=2000, description="Why the row is retracted"),
]
