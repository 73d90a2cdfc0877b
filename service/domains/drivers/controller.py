"""``/v1/drivers``: share of an answer's variance per input group; ``/v1/psense``: how much
each prior moves each arrival; ``/v1/thresholds``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from forecast.questions.drivers import drivers
from forecast.questions.psense import prior_sensitivity
from forecast.questions.thresholds import load_thresholds
from service.domains.drivers.schemas import Drivers, Psense, Thresholds
from service.domains.options import (
    MIXTURE_STRUCTURE,
    ByStructureQuery,
    LeverQuery,
    StructureQuery,
    ThresholdQuery,
    parse,
    structure_points,
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
from service.responses import DEFAULT_POINTS, cached_json, respond
from service.runtime import ServicesDep


class DriversController(Controller):
    """What drives the answers."""

    path = "/v1"
    tags = ("drivers",)

    @get(
        "/drivers",
        operation_id="getDrivers",
        summary="Share of an answer's variance per input group",
        description="First-order Sobol indices of the input groups (threshold, efficiency, chip "
        "supply, capability link, projection noise) for a country's arrival date (rank scale "
        "by default) or P(arrival by `by`), estimated by pick-freeze re-projection of the "
        "posterior draws, with bootstrap MC errors; as `forecast ask drivers`.",
        responses=QUESTION_ERRORS,
    )
    async def get_drivers(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        country: CountryQuery,
        quantity: Annotated[
            Literal["arrival", "p_by"], QueryParameter(description="arrival or p_by")
        ] = "arrival",
        by: OptionalDateQuery = None,
        scale: Annotated[
            Literal["rank", "years"],
            QueryParameter(description="Scale of the arrival date: rank (default) or years"),
        ] = "rank",
        scenario: ScenarioQuery = None,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[Drivers]:
        """Drivers of one answer."""
        check_query({"scenario": scenario}, {"by": by})
        parse(threshold, lever, None)  # a 400 naming a malformed option
        compute = partial(
            drivers,
            country=country,
            quantity=quantity,
            by=by,
            scenario=scenario,
            scale=scale,
            threshold=threshold,
            levers=lever,
        )
        compute = with_structure(compute, structure, by_structure)
        points = structure_points(DEFAULT_POINTS, by_structure)
        return await respond(request, services, run, compute, Drivers, points=points)

    @get(
        "/psense",
        operation_id="getPriorSensitivity",
        summary="How much each prior moves each country's arrival",
        description="Power-scaling prior sensitivity (Kallioinen et al. 2024; ArviZ psense) of "
        "each country's arrival date and of the prior's own parameter, one prior at a time, "
        "from the stored draws by Pareto-smoothed importance sampling (no refit); MC errors "
        "across chains; above `threshold` (0.05) the prior shapes the answer. As `forecast ask "
        "psense`.",
        responses=QUESTION_ERRORS,
    )
    async def get_psense(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        run: RunQuery = None,
    ) -> Response[Psense]:
        """Prior sensitivity of the arrivals, of the mixture or of one structure (the stored
        posterior groups are read at that draw set's draws)."""
        check_query({"scenario": scenario})
        compute = partial(prior_sensitivity, scenario=scenario)
        compute = with_structure(compute, structure, False)
        return await respond(request, services, run, compute, Psense)

    @get(
        "/thresholds",
        operation_id="listThresholds",
        summary="The named capability thresholds",
        description="Names usable as `threshold=` on every question, with kind, value, "
        "justification and sources, and the 80%-to-50% horizon conversion.",
        responses=QUESTION_ERRORS,
    )
    async def thresholds(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[Any]:
        """The named thresholds."""
        body = msgspec.json.encode(msgspec.convert(load_thresholds().to_dict(), Thresholds))
        return cached_json(request, body, services.settings.api.max_age)
