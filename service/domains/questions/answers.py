"""Answering questions: the same Forecaster calls as ``forecast ask``, one per endpoint.

Each ``ask_*`` function maps API parameters to one
:class:`~forecast.questions.forecaster.Forecaster` call (or ``compare`` when ``versus`` is
given) and returns the library's dict unchanged. :func:`answer_batch` answers a batch, each item
by its GET endpoint's call under the item's ``threshold``, ``lever`` and ``given``
(:func:`service.domains.options.with_options`) and its ``structure`` and ``by_structure``
(:func:`service.domains.options.with_structure`); a library error or a badly shaped option becomes
that question's problem details (an option's located in the body, such as
``body.questions[2].lever[0]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import ForecastError
from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster
from service.domains import options
from service.domains.questions.schemas import (
    Arrival,
    ArrivalComparison,
    ArrivalQuestion,
    BatchItem,
    Probability,
    ProbabilityComparison,
    ProbabilityQuestion,
    Race,
    RaceComparison,
    RaceQuestion,
    Surprise,
    SurpriseQuestion,
    Trajectory,
    TrajectoryQuestion,
)
from service.problems import build_problem
from service.responses import cheap_on_loop, encode_answer

DEFAULT_WITHIN = (1.0, 2.0, 5.0)


def _quantiles(q: Sequence[float] | None, default: Sequence[float]) -> tuple[float, ...]:
    return tuple(q) if q else tuple(default)


@cheap_on_loop
def ask_arrival(
    f: Forecaster,
    country: str,
    scenario: str | None = None,
    versus: str | None = None,
    quantiles: Sequence[float] | None = None,
    cdf: bool = True,
) -> dict[str, Any]:
    """``forecast ask arrival`` (with ``--versus``: the comparison)."""
    qs = _quantiles(quantiles, DEFAULT_QUANTILES)
    if versus:
        return f.compare(
            "arrival", scenario or BASELINE_SCENARIO, versus, country=country, quantiles=qs, cdf=cdf
        )
    return f.arrival(country, scenario, qs, cdf=cdf)


@cheap_on_loop
def ask_probability(
    f: Forecaster, country: str, by: str, scenario: str | None = None, versus: str | None = None
) -> dict[str, Any]:
    """``forecast ask probability``."""
    if versus:
        return f.compare(
            "probability", scenario or BASELINE_SCENARIO, versus, country=country, by=by
        )
    return f.probability(country, by, scenario)


def ask_race(
    f: Forecaster,
    scenario: str | None = None,
    versus: str | None = None,
    within: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
) -> dict[str, Any]:
    """``forecast ask race``."""
    kwargs = {
        "within_years": tuple(within) if within else DEFAULT_WITHIN,
        "quantiles": _quantiles(quantiles, DEFAULT_QUANTILES),
    }
    if versus:
        return f.compare("race", scenario or BASELINE_SCENARIO, versus, **kwargs)
    return f.race(scenario, **kwargs)


def ask_trajectory(
    f: Forecaster,
    quantity: str,
    country: str,
    at: Sequence[str],
    scenario: str | None = None,
    quantiles: Sequence[float] | None = None,
    latent: bool = False,
    component: str | None = None,
) -> dict[str, Any]:
    """``forecast ask trajectory`` (``latent``: the latent path, as ``--latent``;
    ``component``: a supply channel, as ``--component``)."""
    return f.trajectory(
        quantity,
        country,
        list(at),
        scenario,
        _quantiles(quantiles, DEFAULT_QUANTILES),
        latent=latent,
        component=str(component) if component is not None else None,
    )


def ask_surprise(
    f: Forecaster,
    quantity: str,
    when: str,
    value: float,
    countries: Sequence[str] | None = None,
    label: str | None = None,
    scenario: str | None = None,
) -> dict[str, Any]:
    """``forecast ask surprise`` for one observation."""
    return f.surprise(
        quantity,
        when,
        value,
        countries=tuple(countries or COUNTRIES),
        label=label,
        scenario=scenario,
    )


def _compute(item: Any) -> tuple[partial[dict[str, Any]], str, Any]:
    """The GET endpoint's call for a batch item (keyword arguments only, as ``with_options``
    needs), the library's name of the question and the answer's schema."""
    match item:
        case ArrivalQuestion():
            call = partial(
                ask_arrival,
                country=item.country,
                scenario=item.scenario,
                versus=item.versus,
                quantiles=item.quantiles,
                cdf=item.cdf,
            )
            return call, "arrival", ArrivalComparison if item.versus else Arrival
        case ProbabilityQuestion():
            call = partial(
                ask_probability,
                country=item.country,
                by=item.by,
                scenario=item.scenario,
                versus=item.versus,
            )
            return call, "probability", ProbabilityComparison if item.versus else Probability
        case RaceQuestion():
            call = partial(
                ask_race,
                scenario=item.scenario,
                versus=item.versus,
                within=item.within,
                quantiles=item.quantiles,
            )
            return call, "race", RaceComparison if item.versus else Race
        case TrajectoryQuestion():
            call = partial(
                ask_trajectory,
                quantity=item.quantity,
                country=item.country,
                at=item.at,
                scenario=item.scenario,
                quantiles=item.quantiles,
                latent=item.latent,
                component=item.component,
            )
            return call, "trajectory", Trajectory
        case SurpriseQuestion():
            call = partial(
                ask_surprise,
                quantity=item.quantity,
                when=item.date,
                value=item.value,
                countries=item.countries,
                label=item.label,
                scenario=item.scenario,
            )
            return call, "surprise", Surprise
    raise TypeError(f"unknown question type {type(item).__name__}")


def _option_values(item: Any) -> list[tuple[str, str, int | None]]:
    """(parameter, value, position in its list or None) of each option of a batch item."""
    values: list[tuple[str, str, int | None]] = []
    if item.threshold is not None:
        values.append(("threshold", item.threshold, None))
    for key in ("lever", "given"):
        values.extend((key, value, n) for n, value in enumerate(getattr(item, key) or ()))
    return values


def located_option_errors(index: int, item: Any) -> ValidationException:
    """The 400 of a batch item whose options have a bad shape: the GET endpoint's words, each
    error located in the body (``body.questions[2].lever[0]``)."""
    errors: list[dict[str, str]] = []
    for key, value, n in _option_values(item):
        single = {"threshold": None, "lever": None, "given": None}
        single[key] = value if key == "threshold" else [value]
        try:
            options.parse(**single)
        except ValidationException as exc:
            where = f"questions[{index}].{key}" + ("" if n is None else f"[{n}]")
            errors.extend(
                {"message": e["message"], "key": where, "source": "body"} for e in exc.extra
            )
        except ForecastError:  # the right shape; whether it can be used is answered later
            continue
    return ValidationException(detail=f"Validation failed: {errors[0]['message']}", extra=errors)


def _one(f: Forecaster, index: int, item: Any) -> tuple[dict[str, Any], Any]:
    """A batch item's answer and schema: the GET endpoint's call under the item's options."""
    call, question, schema = _compute(item)
    try:
        compute = options.with_options(call, question, item.threshold, item.lever, item.given)
    except ValidationException:
        raise located_option_errors(index, item) from None
    compute = options.with_structure(compute, item.structure, item.by_structure)
    return compute(f), schema


def answer_batch(
    f: Forecaster, questions: list[Any], request: Request[Any, Any, Any]
) -> list[BatchItem]:
    """Answer each question; library errors and badly shaped options become that item's
    problem details."""
    items: list[BatchItem] = []
    for index, question in enumerate(questions):
        try:
            answer, schema = _one(f, index, question)
            checked = msgspec.json.decode(encode_answer(answer, schema))
            items.append(BatchItem(index=index, status=200, answer=checked))
        except (ForecastError, ValidationException) as exc:
            problem, _ = build_problem(request, exc)
            items.append(BatchItem(index=index, status=problem.status, problem=problem))
    return items
