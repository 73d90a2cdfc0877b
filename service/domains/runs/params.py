"""Path parameters of the run views."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

from service.params import RUN_ID_PATTERN

RunIdPath = Annotated[
    str, PathParameter(pattern=RUN_ID_PATTERN, max_length=128, description="Run id")
]
