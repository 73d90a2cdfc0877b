"""Answering questions: the same Forecaster calls as ``forecast ask``, one per endpoint.

Each ``ask_*`` function maps API parameters to one
:class:`~forecast.questions.forecaster.Forecaster` call (or ``compare`` when ``versus`` is
given) and returns the library's dict unchanged; :func:`answer_batch` answers a batch, each
library error becoming that question's problem details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request

from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster
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
from service.responses import encode_answer

DEFAULT_WITHIN = (1.0, 2.0, 5.0)


def _quantiles(q: Sequence[float] | None, default: Sequence[float]) -> tuple[float, ...]:
    return tuple(q) if q else tuple(default)


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
) -> dict[str, Any]:
    """``forecast ask trajectory`` (``latent``: the latent path, as ``--latent``)."""
    return f.trajectory(
        quantity,
        country,
        list(at),
        scenario,
        _quantiles(quantiles, DEFAULT_QUANTILES),
        latent=latent,
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


def _one(f: Forecaster, item: Any) -> tuple[dict[str, Any], Any]:
    match item:
        case ArrivalQuestion():
            answer = ask_arrival(
                f, item.country, item.scenario, item.versus, item.quantiles, item.cdf
            )
            return answer, ArrivalComparison if item.versus else Arrival
        case ProbabilityQuestion():
            answer = ask_probability(f, item.country, item.by, item.scenario, item.versus)
            return answer, ProbabilityComparison if item.versus else Probability
        case RaceQuestion():
            answer = ask_race(f, item.scenario, item.versus, item.within, item.quantiles)
            return answer, RaceComparison if item.versus else Race
        case TrajectoryQuestion():
            answer = ask_trajectory(
                f, item.quantity, item.country, item.at, item.scenario, item.quantiles, item.latent
            )
            return answer, Trajectory
        case SurpriseQuestion():
            answer = ask_surprise(
                f, item.quantity, item.date, item.value, item.countries, item.label, item.scenario
            )
            return answer, Surprise
    raise TypeError(f"unknown question type {type(item).__name__}")


def answer_batch(
    f: Forecaster, questions: list[Any], request: Request[Any, Any, Any]
) -> list[BatchItem]:
    """Answer each question; library errors become that item's problem details."""
    from forecast.core.errors import ForecastError

    items: list[BatchItem] = []
    for index, question in enumerate(questions):
        try:
            answer, schema = _one(f, question)
            checked = msgspec.json.decode(encode_answer(answer, schema))
            items.append(BatchItem(index=index, status=200, answer=checked))
        except ForecastError as exc:
            problem, _ = build_problem(request, exc)
            items.append(BatchItem(index=index, status=problem.status, problem=problem))
    return items
