"""Exports of answers in other formats: the Metaculus-style 201-point CDF."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get

from service.domains.exports.answers import metaculus_cdf
from service.domains.exports.schemas import MetaculusCdf
from service.domains.questions.controller import QUESTION_ERRORS
from service.domains.questions.params import (
    CountryQuery,
    OptionalDateQuery,
    RunQuery,
    ScenarioQuery,
)
from service.live import check_query
from service.responses import respond
from service.runtime import ServicesDep


class ExportController(Controller):
    """Answers shaped for forecasting platforms."""

    path = "/v1/exports"
    tags = ("exports",)

    @get(
        "/metaculus",
        operation_id="exportMetaculusCdf",
        summary="Arrival as a Metaculus-style 201-point CDF",
        description="P(arrival <= t) at 201 evenly spaced dates from `lower` (default today) to "
        "`upper` (default the horizon end), with P(below lower) and P(above upper); arrivals "
        "beyond the horizon end count as above.",
        responses=QUESTION_ERRORS,
    )
    async def metaculus(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        country: CountryQuery,
        scenario: ScenarioQuery = None,
        lower: OptionalDateQuery = None,
        upper: OptionalDateQuery = None,
        run: RunQuery = None,
    ) -> Response[MetaculusCdf]:
        """The 201-point CDF."""
        check_query({"scenario": scenario}, {"lower": lower, "upper": upper})
        compute = partial(
            metaculus_cdf, country=country, scenario=scenario, lower=lower, upper=upper
        )
        today = date.today()
        compute = partial(compute, today=today)
        vary = today.isoformat() if lower is None else ""
        return await respond(request, services, run, compute, MetaculusCdf, vary=vary)
