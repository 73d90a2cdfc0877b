"""Query parameters of the questions (and of the exports and dashboard that answer them).

Fixed constraints (countries, quantities, quantile levels, list lengths, name shapes) are
declared here and checked by Litestar. Values that depend on the forecasters' files are
declared as plain strings and checked live by :func:`service.live.check_query` in the handler
(dates out of range and strings that cannot be scenario names: 400, in words) and by the library
when the question is answered (a scenario missing from the file: 422 listing the known names);
the OpenAPI document gets their ranges and names when an app is
built (titles :data:`~service.live.DATE_TITLE` and :data:`~service.live.SCENARIO_TITLE`, and a
``{dates}`` placeholder in descriptions).
"""

from __future__ import annotations

from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import QueryParameter
from msgspec import Meta

from forecast.core.definitions import BASELINE_SCENARIO, MAX_QUANTILES
from service.domains.questions.schemas import (
    DATE_ITEMS,
    MAX_DATES,
    QUANTILE_ITEMS,
    YEARS_ITEMS,
    Channel,
    Country,
    Quantile,
    Quantity,
)
from service.live import DATE_TITLE, SCENARIO_TITLE
from service.params import RUN_ID_PATTERN

DATE_HELP = "{dates} (and within the run's range)"
"""Filled in with the live date range in words when the OpenAPI document is built."""

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
        title=SCENARIO_TITLE,
        max_length=64,
        description="Scenario name (default status_quo); the names are listed at /v1/scenarios",
        examples=[Example(summary="tighter export controls", value="tightened_controls")],
    ),
]
VersusQuery = Annotated[
    str | None,
    QueryParameter(
        title=SCENARIO_TITLE,
        max_length=64,
        description="Compare with this scenario: the answer holds both and their difference",
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
        title=DATE_TITLE,
        description=f"Date: {DATE_HELP}",
        examples=[Example(summary="end of 2030", value="2030-12-31")],
    ),
]
OptionalDateQuery = Annotated[
    str | None,
    QueryParameter(title=DATE_TITLE, description=f"Date: {DATE_HELP}"),
]
DatesQuery = Annotated[
    list[str],
    QueryParameter(
        min_items=1,
        max_items=MAX_DATES,
        description=f"Dates, each {DATE_HELP} (repeatable)",
        schema_extra={"items": DATE_ITEMS},
        examples=[Example(summary="two dates", value=["2027-01-01", "2030-01-01"])],
    ),
]
ComponentQuery = Annotated[
    Channel | None,
    QueryParameter(
        description="A supply channel of the country (CN: domestic, legal, smuggled): its "
        "additions or stock only; default the whole country",
        examples=[Example(summary="smuggled chips", value="smuggled")],
    ),
]
LatentQuery = Annotated[
    bool,
    QueryParameter(
        description="The latent frontier path instead of the predictive of an observation "
        "(METR horizons and training FLOP with misfit and measurement error); default false",
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
ValueQuery = Annotated[
    float, QueryParameter(gt=-1e300, lt=1e300, description="Observed value in the quantity's unit")
]
LabelQuery = Annotated[str | None, QueryParameter(max_length=200, description="A name for it")]
