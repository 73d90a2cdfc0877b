"""Query and path parameters shared by the controllers, with their constraints and examples."""

from __future__ import annotations

from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter
from msgspec import Meta

from forecast.core.definitions import BASELINE_SCENARIO, MAX_QUANTILES
from service.schemas import (
    DATE_ITEMS,
    DATE_PATTERN,
    JOB_ID_PATTERN,
    MAX_DATES,
    MODEL_END,
    MODEL_START,
    NAME_PATTERN,
    QUANTILE_ITEMS,
    RUN_ID_PATTERN,
    SCENARIO_ENUM,
    YEARS_ITEMS,
    Country,
    Quantile,
    Quantity,
    TableName,
)

_DATE_HELP = f"YYYY-MM-DD between {MODEL_START} and {MODEL_END} (and within the run's range)"

CountryQuery = Annotated[
    Country,
    QueryParameter(description="Country code", examples=[Example(summary="China", value="CN")]),
]
CountryListQuery = Annotated[
    list[Country] | None,
    QueryParameter(
        name="country",
        min_items=1,
        max_items=len(Country),
        description="Countries to judge against (repeatable; default: every country)",
    ),
]
ScenarioQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=NAME_PATTERN,
        max_length=64,
        description="Scenario name (default status_quo); the names are listed at /v1/scenarios",
        schema_extra=SCENARIO_ENUM,
        examples=[Example(summary="tighter export controls", value="tightened_controls")],
    ),
]
VersusQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=NAME_PATTERN,
        max_length=64,
        description="Compare with this scenario: the answer holds both and their difference",
        schema_extra=SCENARIO_ENUM,
        examples=[Example(summary="the baseline", value=BASELINE_SCENARIO)],
    ),
]
QuantilesQuery = Annotated[
    list[Quantile] | None,
    QueryParameter(
        name="q",
        min_items=1,
        max_items=MAX_QUANTILES,
        description="Quantile levels, each in (0, 1) (repeatable; default 0.05 ... 0.95)",
        schema_extra={"items": QUANTILE_ITEMS},
        examples=[Example(summary="median", value=[0.5])],
    ),
]
RunQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=RUN_ID_PATTERN,
        max_length=128,
        description="Run id (default: the current run); ids are listed at /v1/runs",
    ),
]
DateQuery = Annotated[
    str,
    QueryParameter(
        pattern=DATE_PATTERN,
        description=f"Date {_DATE_HELP}",
        examples=[Example(summary="end of 2030", value="2030-12-31")],
    ),
]
OptionalDateQuery = Annotated[
    str | None,
    QueryParameter(pattern=DATE_PATTERN, description=f"Date {_DATE_HELP}"),
]
DatesQuery = Annotated[
    list[str],
    QueryParameter(
        min_items=1,
        max_items=MAX_DATES,
        description=f"Dates {_DATE_HELP} (repeatable)",
        schema_extra={"items": DATE_ITEMS},
        examples=[Example(summary="two dates", value=["2027-01-01", "2030-01-01"])],
    ),
]
QuantityQuery = Annotated[
    Quantity,
    QueryParameter(
        description="Observable quantity",
        examples=[Example(summary="METR horizon", value="frontier_horizon_minutes")],
    ),
]
WithinQuery = Annotated[
    list[Annotated[float, Meta(ge=0, le=100)]] | None,
    QueryParameter(
        min_items=1,
        max_items=20,
        description="Gap bounds in years for P(|gap| <= k) (repeatable; default 1, 2, 5)",
        schema_extra={"items": YEARS_ITEMS},
    ),
]
TableQuery = Annotated[TableName | None, QueryParameter(description="Only rows of this table")]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
OffsetQuery = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Rows to skip")]
RunIdPath = Annotated[
    str, PathParameter(pattern=RUN_ID_PATTERN, max_length=128, description="Run id")
]
NamePath = Annotated[str, PathParameter(pattern=NAME_PATTERN, max_length=64, description="Name")]
JobIdPath = Annotated[str, PathParameter(pattern=JOB_ID_PATTERN, description="Refit job id")]
