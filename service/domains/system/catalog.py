"""Scenarios and prior sets, as the forecasters' files state them."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get

from forecast.priors.priorset import PriorError, available_prior_sets, load_prior_set
from forecast.priors.scenarios import BASELINE_SCENARIO, load_scenarios
from service.domains.system.params import NamePath
from service.domains.system.schemas import (
    PriorSetInfo,
    PriorSetList,
    PriorSetSummary,
    ScenarioInfo,
    ScenarioList,
)
from service.problems import ProblemException, problem_responses
from service.responses import NOT_MODIFIED, cached_json
from service.runtime import ServicesDep


def scenario_list() -> ScenarioList:
    """Every scenario of the scenario file."""
    scenarios = [s.to_dict() for s in load_scenarios().values()]
    return msgspec.convert({"baseline": BASELINE_SCENARIO, "scenarios": scenarios}, ScenarioList)


def prior_set_list() -> PriorSetList:
    """Every prior set; a set whose file is invalid is listed with its error."""
    items = []
    for name in available_prior_sets():
        try:
            ps = load_prior_set(name)
        except PriorError as exc:
            items.append(PriorSetSummary(name=name, valid=False, error=str(exc)))
            continue
        items.append(
            PriorSetSummary(
                name=ps.name,
                valid=True,
                description=ps.description,
                hash=ps.hash,
                parameters=len(ps.priors),
            )
        )
    return PriorSetList(prior_sets=items)


def prior_set_info(name: str) -> PriorSetInfo:
    """One prior set by name (404 for an unknown name)."""
    if name not in available_prior_sets():
        known = ", ".join(available_prior_sets()) or "none"
        raise ProblemException(
            404, "unknown-prior-set", "Unknown prior set", f"no prior set {name!r} (known: {known})"
        )
    return msgspec.convert(load_prior_set(name).to_dict(), PriorSetInfo)


class CatalogController(Controller):
    """The scenario file and the prior sets."""

    path = "/v1"
    tags = ("catalog",)

    @get(
        "/scenarios",
        operation_id="listScenarios",
        summary="Every scenario, in file order",
        responses=problem_responses(422) | NOT_MODIFIED,
    )
    async def scenarios(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[ScenarioList]:
        """The scenarios from ``priors/scenarios.toml``."""
        found = await anyio.to_thread.run_sync(scenario_list)
        return cached_json(request, msgspec.json.encode(found), services.settings.api.max_age)

    @get(
        "/scenarios/{name:str}",
        operation_id="getScenario",
        summary="One scenario",
        responses=problem_responses(400, 404, 422) | NOT_MODIFIED,
    )
    async def scenario(
        self, request: Request[Any, Any, Any], services: ServicesDep, name: NamePath
    ) -> Response[ScenarioInfo]:
        """A scenario by name."""
        found = await anyio.to_thread.run_sync(scenario_list)
        for item in found.scenarios:
            if item.name == name:
                return cached_json(
                    request, msgspec.json.encode(item), services.settings.api.max_age
                )
        known = ", ".join(s.name for s in found.scenarios)
        raise ProblemException(
            404, "unknown-scenario", "Unknown scenario", f"no scenario {name!r} (known: {known})"
        )

    @get(
        "/priors",
        operation_id="listPriorSets",
        summary="Every prior set",
        responses=NOT_MODIFIED,
    )
    async def priors(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[PriorSetList]:
        """The prior sets in the priors folder."""
        found = await anyio.to_thread.run_sync(prior_set_list)
        return cached_json(request, msgspec.json.encode(found), services.settings.api.max_age)

    @get(
        "/priors/{name:str}",
        operation_id="getPriorSet",
        summary="One prior set: settings and every prior",
        responses=problem_responses(400, 404, 422) | NOT_MODIFIED,
    )
    async def prior_set(
        self, request: Request[Any, Any, Any], services: ServicesDep, name: NamePath
    ) -> Response[PriorSetInfo]:
        """A prior set by name."""
        found = await anyio.to_thread.run_sync(prior_set_info, name)
        return cached_json(request, msgspec.json.encode(found), services.settings.api.max_age)
