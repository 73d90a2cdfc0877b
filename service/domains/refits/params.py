"""Path parameters of the refit views."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

JOB_ID_PATTERN = r"^[0-9a-f]{32}$"

JobIdPath = Annotated[str, PathParameter(pattern=JOB_ID_PATTERN, description="Refit job id")]
