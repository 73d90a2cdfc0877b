"""``/v1/external``: curated external forecasts, each with this model's answer beside it."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from msgspec import Struct

from forecast.questions.external import external
from service.domains.options import (
    MIXTURE_STRUCTURE,
    ByStructureQuery,
    StructureQuery,
    structure_points,
    with_structure,
)
from service.domains.questions.controller import QUESTION_ERRORS
from service.domains.questions.params import RunQuery
from service.domains.questions.schemas import Structure, under_structure
from service.responses import DEFAULT_POINTS, respond
from service.runtime import ServicesDep


class ExternalForecasts(Struct, omit_defaults=True):
    """As ``forecast ask external --json``: each row's source, definitions and ours beside it."""

    question: str
    run_id: str | None
    note: str
    horizon_end: str | None
    forecasts: list[dict[str, Any]]
    structure: Structure | None = None
    by_structure: list[ExternalForecastsUnderStructure] | None = None


ExternalForecastsUnderStructure = under_structure(ExternalForecasts)


class ExternalController(Controller):
    """Forecasts by others."""

    path = "/v1"
    tags = ("external",)

    @get(
        "/external",
        operation_id="getExternalForecasts",
        summary="External forecasts of AGI-type events beside ours",
        description="The curated table priors/external_forecasts.toml (AI 2027, the AI Futures "
        "Model, Metaculus community snapshots, Epoch's Direct Approach, Bio Anchors, "
        "Samotsvety, METR-trend extrapolations), each row with its source, dates, definition, "
        "the threshold of ours it maps to and how they differ, and our answer under that "
        "threshold.",
        responses=QUESTION_ERRORS,
    )
    async def get_external(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        source: Annotated[
            str | None, QueryParameter(max_length=64, description="One forecast by id")
        ] = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[ExternalForecasts]:
        """External forecasts and ours."""
        compute = with_structure(partial(external, source=source), structure, by_structure)
        points = structure_points(DEFAULT_POINTS, by_structure)
        return await respond(request, services, run, compute, ExternalForecasts, points=points)
