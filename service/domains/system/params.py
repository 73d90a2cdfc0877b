"""Path parameters of the catalog views."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

from service.params import NAME_PATTERN

NamePath = Annotated[str, PathParameter(pattern=NAME_PATTERN, max_length=64, description="Name")]
