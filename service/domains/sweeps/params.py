"""Path parameters of the sweep views."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import PathParameter

SWEEP_ID_PATTERN = r"^sw-[0-9a-f]{16}$"

SweepIdPath = Annotated[str, PathParameter(pattern=SWEEP_ID_PATTERN, description="Sweep id")]
ResultFormat = Annotated[
    Literal["csv", "parquet", "netcdf"],
    PathParameter(description="Results file: csv, parquet (the tidy table) or netcdf (Dataset)"),
]
