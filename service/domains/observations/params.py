"""Query parameters of the observation listing."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from service.domains.observations.schemas import TableName

TableQuery = Annotated[TableName | None, QueryParameter(description="Only rows of this table")]
