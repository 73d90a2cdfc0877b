"""Timeline questions: arrival, probability, race, trajectories, surprise, and the batch.

Every GET mirrors a ``forecast ask`` command and returns the library's numbers; ``versus``
turns arrival, probability and race into a scenario comparison. Answers carry an ETag (run +
query), honour ``If-None-Match`` and are cacheable for ``FORECAST_MAX_AGE`` seconds.

Each computed answer is charged draws x points (:mod:`service.domains.questions.cost`) against
the client's budget: a batch above ``FORECAST_MAX_REQUEST_COST`` is refused with 413 before any
work, and a client past ``FORECAST_CLIENT_COST`` for the minute gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

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
from service.domains.questions.answers import (
    answer_batch,
    ask_arrival,
    ask_probability,
    ask_race,
    ask_surprise,
    ask_trajectory,
)
from service.domains.questions.cost import (
    arrival_points,
    batch_points,
    probability_points,
    race_points,
    surprise_points,
    trajectory_points,
)
from service.domains.questions.params import (
    ComponentQuery,
    CountryListQuery,
    CountryQuery,
    DateQuery,
    DatesQuery,
    LabelQuery,
    LatentQuery,
    QuantilesQuery,
    QuantityQuery,
    RunQuery,
    ScenarioQuery,
    ValueQuery,
    VersusQuery,
    WithinQuery,
)
from service.domains.questions.schemas import (
    Arrival,
    ArrivalComparison,
    BatchAnswer,
    Probability,
    ProbabilityComparison,
    QuestionBatch,
    Race,
    RaceComparison,
    Surprise,
    Trajectory,
)
from service.limits import charge
from service.live import check_query
from service.problems import problem_responses
from service.responses import NOT_MODIFIED, respond
from service.runtime import ServicesDep

QUESTION_ERRORS = problem_responses(400, 404, 409, 413, 422, 429, 503) | NOT_MODIFIED


def cdf_points(forecaster: Any) -> int:
    """Points of the forecaster's quarterly CDF grid."""
    return len(forecaster.cdf_grid[0])


class QuestionController(Controller):
    """Questions answered from the current run (or ``run``)."""

    path = "/v1"
    tags = ("questions",)

    @get(
        "/arrival",
        operation_id="getArrival",
        summary="When a country reaches breakthrough capability",
        description="Arrival quantiles, quarterly CDF and P(later than the horizon end), as "
        "`forecast ask arrival`. With `versus`: the answer under `scenario` and under `versus`, "
        "and their difference. `structure` answers from one model structure's draws (default the "
        "weighted mixture); `by_structure=true` adds the answer under each fitted structure, "
        "as on every question.",
        responses=QUESTION_ERRORS,
    )
    async def arrival(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        country: CountryQuery,
        scenario: ScenarioQuery = None,
        versus: VersusQuery = None,
        q: QuantilesQuery = None,
        cdf: Annotated[bool, QueryParameter(description="Include the quarterly CDF")] = True,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[Arrival | ArrivalComparison]:
        """Arrival of the breakthrough threshold."""
        check_query({"scenario": scenario, "versus": versus})
        compute = partial(
            ask_arrival, country=country, scenario=scenario, versus=versus, quantiles=q, cdf=cdf
        )
        schema = ArrivalComparison if versus else Arrival

        def points(forecaster: Any) -> int:
            return arrival_points(q, cdf, cdf_points(forecaster), versus)

        check_prior(prior)

        compute = with_options(compute, "arrival", threshold, lever, given)

        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        return await respond(
            request, services, run, compute, schema, points=structure_points(points, by_structure)
        )

    @get(
        "/probability",
        operation_id="getProbability",
        summary="P(a country reaches breakthrough capability by a date)",
        description="As `forecast ask probability`; with `versus`, the comparison.",
        responses=QUESTION_ERRORS,
    )
    async def probability(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        country: CountryQuery,
        by: DateQuery,
        scenario: ScenarioQuery = None,
        versus: VersusQuery = None,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[Probability | ProbabilityComparison]:
        """Probability of arrival on or before a date."""
        check_query({"scenario": scenario, "versus": versus}, {"by": by})
        compute = partial(ask_probability, country=country, by=by, scenario=scenario, versus=versus)
        schema = ProbabilityComparison if versus else Probability
        points = probability_points(versus)
        check_prior(prior)
        compute = with_options(compute, "probability", threshold, lever, given)
        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        return await respond(
            request, services, run, compute, schema, points=structure_points(points, by_structure)
        )

    @get(
        "/race",
        operation_id="getRace",
        summary="Who reaches breakthrough capability first, and by how much",
        description="P(CN first), P(US first), P(|gap| <= k years) and gap quantiles, as "
        "`forecast ask race`; with `versus`, the comparison.",
        responses=QUESTION_ERRORS,
    )
    async def race(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioQuery = None,
        versus: VersusQuery = None,
        within: WithinQuery = None,
        q: QuantilesQuery = None,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[Race | RaceComparison]:
        """The race between the countries."""
        check_query({"scenario": scenario, "versus": versus})
        compute = partial(ask_race, scenario=scenario, versus=versus, within=within, quantiles=q)
        schema = RaceComparison if versus else Race
        points = race_points(within, q, versus)
        check_prior(prior)
        compute = with_options(compute, "race", threshold, lever, given)
        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        return await respond(
            request, services, run, compute, schema, points=structure_points(points, by_structure)
        )

    @get(
        "/trajectories",
        operation_id="getTrajectory",
        summary="Predictive quantiles of an observable quantity at dates",
        description="As `forecast ask trajectory`: per date, quantiles (default 0.05, 0.1, "
        "0.25, 0.5, 0.75, 0.9, 0.95) in the quantity's natural unit; METR horizons, training "
        "FLOP and ECI are the predictive of an observation (misfit and measurement error) "
        "unless `latent=true` asks for the latent frontier path.",
        responses=QUESTION_ERRORS,
    )
    async def trajectories(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        quantity: QuantityQuery,
        country: CountryQuery,
        at: DatesQuery,
        scenario: ScenarioQuery = None,
        q: QuantilesQuery = None,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
        latent: LatentQuery = False,
        component: ComponentQuery = None,
    ) -> Response[Trajectory]:
        """A quantity's trajectory."""
        check_query({"scenario": scenario}, {"at": at})
        compute = partial(
            ask_trajectory,
            quantity=quantity,
            country=country,
            at=at,
            scenario=scenario,
            quantiles=q,
            latent=latent,
            component=component,
        )
        points = trajectory_points(at, q)
        check_prior(prior)
        compute = with_options(compute, "trajectory", threshold, lever, given)
        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        return await respond(
            request,
            services,
            run,
            compute,
            Trajectory,
            points=structure_points(points, by_structure),
        )

    @get(
        "/surprise",
        operation_id="getSurprise",
        summary="How surprising a new observation is",
        description="Posterior-predictive percentile of an observation against each country's "
        "trend, as `forecast ask surprise` (near 50: on trend).",
        responses=QUESTION_ERRORS,
    )
    async def surprise(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        quantity: QuantityQuery,
        date: DateQuery,
        value: ValueQuery,
        country: CountryListQuery = None,
        label: LabelQuery = None,
        scenario: ScenarioQuery = None,
        threshold: ThresholdQuery = None,
        lever: LeverQuery = None,
        given: GivenQuery = None,
        prior: PriorQuery = None,
        structure: StructureQuery = MIXTURE_STRUCTURE,
        by_structure: ByStructureQuery = False,
        run: RunQuery = None,
    ) -> Response[Surprise]:
        """An observation's percentile."""
        check_query({"scenario": scenario}, {"date": date})
        compute = partial(
            ask_surprise,
            quantity=quantity,
            when=date,
            value=value,
            countries=country,
            label=label,
            scenario=scenario,
        )
        points = surprise_points(country)
        check_prior(prior)
        compute = with_options(compute, "surprise", threshold, lever, given)
        compute = with_prior(compute, prior)
        compute = with_structure(compute, structure, by_structure)
        return await respond(
            request,
            services,
            run,
            compute,
            Surprise,
            points=structure_points(points, by_structure),
        )

    @post(
        "/questions",
        operation_id="askQuestions",
        summary="Answer up to 100 questions in one request",
        description="Each item is answered as its GET endpoint would answer it; an item the "
        "model cannot answer gets its own problem details, the others are still answered. "
        "The batch's cost (draws x points summed over its questions) must stay within "
        "`FORECAST_MAX_REQUEST_COST` (413) and the client's budget for the minute (429).",
        status_code=200,
        responses=problem_responses(400, 404, 409, 413, 429, 503),
    )
    async def questions(
        self, request: Request[Any, Any, Any], services: ServicesDep, data: JSONBody[QuestionBatch]
    ) -> BatchAnswer:
        """A batch of questions answered from one run."""
        run_id = data.run or services.current.require()
        forecaster = await services.pool.get(run_id)
        points = batch_points(
            data.questions, cdf_points(forecaster), len(forecaster.full_run.structures)
        )
        charge(request, int(forecaster.projector.n_draws) * points)
        items = await anyio.to_thread.run_sync(
            answer_batch, forecaster, data.questions, request, limiter=services.computing
        )
        return BatchAnswer(run_id=run_id, answers=items)
