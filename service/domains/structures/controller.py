"""``/v1/structures``: the run's model structures and their weights; ``/v1/structures/effects``:
each scenario's effect under every structure; ``/v1/race/sources``: where the race's uncertainty
comes from.

Each answer is the library's (:mod:`forecast.questions.structures`, as ``forecast ask
structures``, ``forecast ask effects`` and ``forecast ask sources``), checked against a typed
schema, with the questions' ETag, cache and cost accounting (:func:`service.responses.respond`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.spec import Example, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter

from forecast.core.definitions import BASELINE_SCENARIO, COUNTRIES
from forecast.questions.forecaster import Forecaster
from forecast.questions.structures import race_sources, scenario_effects, structures
from service.domains.options import (
    MIXTURE_STRUCTURE,
    StructureQuery,
    structure_forecaster,
)
from service.domains.questions.controller import QUESTION_ERRORS
from service.domains.questions.cost import PER_EVALUATION, race_points
from service.domains.questions.params import RunQuery, ScenarioQuery
from service.domains.structures.schemas import RaceSources, ScenarioEffects, Structures
from service.live import SCENARIO_TITLE, check_query
from service.responses import respond
from service.runtime import ServicesDep

MAX_SCENARIOS = 16
ScenarioListQuery = Annotated[
    list[str] | None,
    QueryParameter(
        min_items=1,
        max_items=MAX_SCENARIOS,
        schema_extra={
            "items": Schema(type=OpenAPIType.STRING, title=SCENARIO_TITLE, max_length=64)
        },
        description="Scenario names (repeatable; default: every scenario but the status quo); "
        "the names are listed at /v1/scenarios",
        examples=[Example(summary="tighter export controls", value=["tightened_controls"])],
    ),
]


def draw_sets(f: Forecaster) -> int:
    """How many draw sets an answer over every structure evaluates: the mixture and each
    fitted structure (one when the run fitted a single structure)."""
    n = len(f.full_run.structures)
    return n + 1 if n > 1 else 1


def effects_points(scenarios: list[str] | None) -> Any:
    """Points of the scenario effects: per draw set, the status quo's race and, per scenario,
    a projection of every country and its median shift (a comparison)."""

    def points(f: Forecaster) -> int:
        n = len(scenarios) if scenarios else max(len(f.scenarios) - 1, 1)
        per_scenario = len(COUNTRIES) * (PER_EVALUATION + 4)
        return draw_sets(f) * (race_points(None, None) + n * per_scenario)

    return points


def sources_points(f: Forecaster) -> int:
    """Points of the race's sources: the race re-projected with each subset of the two sources
    of projection randomness switched off (four), then the race under each structure."""
    return (4 + len(f.full_run.structures)) * (race_points(None, None) + PER_EVALUATION)


def _structures(f: Forecaster) -> dict[str, Any]:
    return structures(f)


def _race_sources(
    f: Forecaster, scenario: str | None, structure: str | None = None
) -> dict[str, Any]:
    return race_sources(structure_forecaster(f, structure), scenario)


class StructureController(Controller):
    """The run's model structures, side by side."""

    path = "/v1"
    tags = ("structures",)

    @get(
        "/structures",
        operation_id="listStructures",
        summary="The run's model structures and their weights",
        description="Each structure of the chips-to-capability channel the run fitted: what it "
        "says, its equation, its weight in the mixture that answers by default, its fit's gate "
        "status and diagnostics, and the stacking diagnostics: the held-out (leave-future-out) "
        "elpd of each structure refitted before the holdout, with `holdout` saying its cutoff, "
        "and PSIS-LOO (elpd, its standard error, the difference from the best structure, Pareto "
        "k, and the weight LOO stacking would give). As `forecast structures`.",
        responses=QUESTION_ERRORS,
    )
    async def list_structures(
        self, request: Request[Any, Any, Any], services: ServicesDep, run: RunQuery = None
    ) -> Response[Structures]:
        """The run's structures."""
        return await respond(request, services, run, _structures, Structures, points=lambda _: 1)

    @get(
        "/structures/effects",
        operation_id="getScenarioEffects",
        summary="Each scenario's effect under every structure",
        description="For each scenario (default: every scenario but the status quo) and each "
        "draw set (the mixture, weight 1, and each fitted structure with its weight): the shift "
        f"of each country's median arrival (years) and of P(it is first), against "
        f"{BASELINE_SCENARIO}, with MC errors. When the structures disagree about a scenario's "
        "effect, the headline is a modelling assumption rather than a finding.",
        responses=QUESTION_ERRORS,
    )
    async def effects(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioListQuery = None,
        run: RunQuery = None,
    ) -> Response[ScenarioEffects]:
        """Scenario effects per structure."""
        for name in scenario or ():
            check_query({"scenario": name})
        compute = partial(
            scenario_effects, scenarios=list(dict.fromkeys(scenario)) if scenario else None
        )
        return await respond(
            request, services, run, compute, ScenarioEffects, points=effects_points(scenario)
        )

    @get(
        "/race/sources",
        operation_id="getRaceSources",
        summary="Where the race's uncertainty comes from",
        description="P(each country first) with the projection's own randomness (the random "
        "walk in the capability slope, the race shocks) switched off source by source, each "
        "source's Shapley share of P(first) minus P(first | fitted parameters only), and "
        "P(first) under each fitted structure. `structure` answers from one structure's draws "
        "(default the weighted mixture).",
        responses=QUESTION_ERRORS,
    )
    async def sources(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        run: RunQuery = None,
    ) -> Response[RaceSources]:
        """The race's sources of uncertainty."""
        check_query({"scenario": scenario})
        compute = partial(_race_sources, scenario=scenario, structure=structure)
        return await respond(request, services, run, compute, RaceSources, points=sources_points)
