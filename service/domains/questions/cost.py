"""What a question costs: draws x points, known before it is answered.

A question's *points* approximate the work per posterior draw: the numbers its answer holds,
plus an overhead per evaluated date or country (each one projects every draw and estimates an
effective sample size, about as much work as 30 quantiles). Measured on this code, one cost unit
(one point for one draw) is about 50 ns of CPU, and the encoded answer is about 40 bytes per
point, so the cost bounds both the CPU and the size of an answer:

- probability: 1;
- arrival: the quantiles, plus a tenth of the quarterly CDF's points when ``cdf`` is on;
- race: 100, plus 4 x (gap bounds + quantiles) per pair of countries (and the legacy pair);
- trajectory: dates x (30 + quantiles);
- surprise: 30 per country judged;
- ``versus`` (a comparison of two scenarios): 4 x the question.

The options ``threshold``, ``lever`` and ``given`` add no points, on the GET endpoints and in a
batch alike (:func:`question_points` reads the same fields as the GET handlers); ``by_structure``
multiplies a question's points by the fitted structures + 1 (it is answered under the mixture and
under each structure).

:func:`batch_points` sums a batch; the service charges ``draws x points`` per request
(:func:`service.limits.charge`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from forecast.core.definitions import COUNTRIES, DEFAULT_QUANTILES
from service.domains.questions.schemas import (
    ArrivalQuestion,
    ProbabilityQuestion,
    RaceQuestion,
    SurpriseQuestion,
    TrajectoryQuestion,
)

PER_EVALUATION = 30
"""Points of one projection at a date (or for one country): about 30 quantiles' work."""
RACE_BASE = 100
VERSUS_FACTOR = 4
DEFAULT_WITHIN_COUNT = 3


def _n(values: Sequence[Any] | None, default: int) -> int:
    return len(values) if values else default


def _versus(points: int, versus: str | None) -> int:
    return points * VERSUS_FACTOR if versus else points


def arrival_points(
    quantiles: Sequence[float] | None, cdf: bool, cdf_points: int, versus: str | None = None
) -> int:
    """Points of an arrival question."""
    points = _n(quantiles, len(DEFAULT_QUANTILES)) + (cdf_points // 10 if cdf else 0)
    return _versus(max(points, 1), versus)


def probability_points(versus: str | None = None) -> int:
    """Points of a probability question."""
    return _versus(1, versus)


def race_points(
    within: Sequence[float] | None, quantiles: Sequence[float] | None, versus: str | None = None
) -> int:
    """Points of a race question."""
    pairs = len(COUNTRIES) * (len(COUNTRIES) - 1) // 2 + 1
    per_pair = _n(within, DEFAULT_WITHIN_COUNT) + _n(quantiles, len(DEFAULT_QUANTILES))
    return _versus(RACE_BASE + 4 * pairs * per_pair, versus)


def trajectory_points(at: Sequence[str], quantiles: Sequence[float] | None) -> int:
    """Points of a trajectory question."""
    return max(len(at), 1) * (PER_EVALUATION + _n(quantiles, len(DEFAULT_QUANTILES)))


def surprise_points(countries: Sequence[str] | None) -> int:
    """Points of a surprise question."""
    return PER_EVALUATION * _n(countries, len(COUNTRIES))


def question_points(question: Any, cdf_points: int, structures: int = 1) -> int:
    """Points of one batch question (``structures``: how many the run fitted)."""
    factor = structures + 1 if getattr(question, "by_structure", False) else 1
    return _question_points(question, cdf_points) * factor


def _question_points(question: Any, cdf_points: int) -> int:
    match question:
        case ArrivalQuestion():
            return arrival_points(question.quantiles, question.cdf, cdf_points, question.versus)
        case ProbabilityQuestion():
            return probability_points(question.versus)
        case RaceQuestion():
            return race_points(question.within, question.quantiles, question.versus)
        case TrajectoryQuestion():
            return trajectory_points(question.at, question.quantiles)
        case SurpriseQuestion():
            return surprise_points(question.countries)
    raise TypeError(f"unknown question type {type(question).__name__}")


def batch_points(questions: Iterable[Any], cdf_points: int, structures: int = 1) -> int:
    """Points of a batch: the sum over its questions."""
    return sum(question_points(q, cdf_points, structures) for q in questions)
