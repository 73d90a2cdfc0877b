"""Exports of answers in other formats: the Metaculus-style 201-point CDF."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from service.domains.exports.answers import metaculus_cdf
from service.domains.exports.schemas import MetaculusCdf
from service.domains.options import (
    MIXTURE_STRUCTURE,
    ByStructureQuery,
    GivenQuery,
    LeverQuery,
    PriorQuery,
    StructureQuery,
    ThresholdQuery,
    check_prior,
    structure_points,
    with_options,
    with_prior,
    with_structure,
)
from service.domains.questions.controller import QUESTION_ERRORS
from service.domains.questions.params import (
    CountryQuery,
    OptionalDateQuery,
    RunQuery,
    ScenarioQuery,
)
from service.live import check_query
from service.responses import DEFAULT_POINTS, respond
from service.runtime import ServicesDep


class ExportController(Controller):
    """Answers shaped for forecasting platforms."""

    path = "/v1/exports"
    tags = ("exports",)

    @get(
        "/metaculus",
        operation_id="exportMetaculusCdf",
        summary="Arrival as a CDF Metaculus accepts for a date question",
        description="A 201-point CDF over the question's range, from `lower` (default today) to "
        "`upper` (default the horizon end), that passes Metaculus's submission rules for "
        "continuous forecasts (Metaculus API documentation, docs/openapi.yml of "
        "github.com/Metaculus/metaculus): strictly increasing by at least 0.00005 per step, no "
        "step above 0.2, at least 0.1% beyond an open bound (`lower_open`, `upper_open`; "
        "default lower closed, upper open) and none beyond a closed one. `model_cdf` holds the "
        "model's own CDF and `adjustment` how much probability the rules moved.",
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
        lower_open: Annotated[
            bool, QueryParameter(description="Whether the question's lower bound is open")
        ] = False,
        upper_open: Annotated[
            bool, QueryParameter(description="Whether the question's upper bound is open")
        ] = True,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[MetaculusCdf]:
        """The 201-point CDF."""
        check_query({"scenario": scenario}, {"lower": lower, "upper": upper})
        compute = partial(
            metaculus_cdf,
            country=country,
            scenario=scenario,
            lower=lower,
            upper=upper,
            lower_open=lower_open,
            upper_open=upper_open,
        )
        today = date.today()
        compute = partial(compute, today=today)
        check_prior(prior)
        compute = with_options(compute, "arrival", threshold, lever, given)
        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        points = structure_points(DEFAULT_POINTS, by_structure)
        vary = today.isoformat() if lower is None else ""
        return await respond(
            request, services, run, compute, MetaculusCdf, vary=vary, points=points
        )
