"""Request and response schemas of the timeline questions (msgspec Structs), and their types.

The response Structs mirror the dicts that :class:`forecast.questions.forecaster.Forecaster`
returns (the same fields ``forecast ask --json`` prints), so an API answer is the library's
answer, checked against a declared schema. Floats that may be infinite or undefined (a quantile
beyond the horizon, a Monte Carlo error that cannot be estimated) are declared nullable: JSON has
no infinity, and msgspec writes it as ``null``.

Constraints live in the types where they are fixed, so they appear in the OpenAPI document and
bad input is refused before any computation: countries and quantities are enums; at most 99
quantiles, each strictly between 0 and 1; at most 100 questions per batch. What comes from the
forecasters' files is checked live (:mod:`service.live`): dates must lie in the API's date range
(checked when a question is decoded) and scenario names must be in the scenario file (checked
when it is answered).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Meta, Struct

from forecast.core.definitions import (
    COUNTRIES,
    MAX_QUANTILES,
    MIXTURE,
    QUANTITIES,
    REGISTRY,
    STRUCTURE_NAMES,
)
from service.live import DATE_TITLE, SCENARIO_TITLE, date_error, scenario_error
from service.params import RUN_ID_PATTERN, list_items
from service.problems import Problem

MAX_BATCH = 100
MAX_DATES = 50

Country = StrEnum("Country", {c: c for c in COUNTRIES})  # type: ignore[misc]
Country.__doc__ = "Country code of a modelled country."
Channel = StrEnum(  # type: ignore[misc]
    "Channel", {k.name: k.name for c in REGISTRY for k in c.components}
)
Channel.__doc__ = "A supply channel of a country's chip additions (priors/countries.toml)."
Quantity = StrEnum("Quantity", {q: q for q in QUANTITIES})  # type: ignore[misc]
Quantity.__doc__ = "An observable quantity with a trajectory (natural unit in the answer)."
Structure = StrEnum(  # type: ignore[misc]
    "Structure", {n: n for n in (*STRUCTURE_NAMES, MIXTURE)}
)
Structure.__doc__ = (
    "Which draws answer: a model structure (how chips become capability, "
    "forecast.core.definitions.STRUCTURES) or `mixture`, the structures' weighted mixture."
)

QUANTILE_ITEMS = Schema(type=OpenAPIType.NUMBER, exclusive_minimum=0.0, exclusive_maximum=1.0)
DATE_ITEMS = Schema(type=OpenAPIType.STRING, title=DATE_TITLE)
"""A date list's items; :mod:`service.openapi` adds the live pattern and description."""
YEARS_ITEMS = Schema(type=OpenAPIType.NUMBER, minimum=0.0, maximum=100.0)
LEVER_ITEMS = Schema(type=OpenAPIType.STRING, max_length=84)
GIVEN_ITEMS = Schema(type=OpenAPIType.STRING, max_length=120)

Quantile = Annotated[float, Meta(gt=0.0, lt=1.0, description="probability level in (0, 1)")]
Quantiles = Annotated[
    list[Quantile],
    Meta(min_length=1, max_length=MAX_QUANTILES, extra_json_schema=list_items(QUANTILE_ITEMS)),
]
DateText = Annotated[
    str,
    Meta(
        max_length=40,
        extra_json_schema={
            "title": DATE_TITLE,
            "description": "{dates}",
            "examples": ["2030-01-01"],
        },
    ),
]
"""A question's date; its range is checked when the question is decoded (``__post_init__``)."""
ScenarioName = Annotated[
    str,
    Meta(
        max_length=64,
        extra_json_schema={"title": SCENARIO_TITLE, "examples": ["tightened_controls"]},
    ),
]
"""A question's scenario; its shape is checked when the question is decoded (``__post_init__``),
its presence in the scenario file when it is answered."""
RunId = Annotated[str, Meta(pattern=RUN_ID_PATTERN)]
NullableFloat = float | None


# -- shared pieces ----------------------------------------------------------------------------
class Estimate(Struct):
    """A probability and its Monte Carlo standard error."""

    p: float
    mcse: float


class DateQuantile(Struct):
    """A quantile of an arrival date (``later``: beyond the horizon end, date and year null)."""

    q: float
    date: str | None
    year: NullableFloat
    later: bool
    mcse_years: NullableFloat


class CdfPoint(Struct):
    """P(arrival on or before ``date``)."""

    date: str | None
    p: float
    mcse: float


# -- answers ----------------------------------------------------------------------------------
class Arrival(Struct, omit_defaults=True):
    """When a country reaches breakthrough capability: quantiles, quarterly CDF, P(later)."""

    question: Literal["arrival"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    country: Country
    n_eff: float
    quantiles: list[DateQuantile]
    p_later: Estimate
    cdf: list[CdfPoint] | None = None
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[ArrivalUnderStructure] | None = None


class Probability(Struct, omit_defaults=True):
    """P(the country reaches breakthrough capability on or before ``by``)."""

    question: Literal["probability"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    country: Country
    by: str | None
    p: float
    mcse: float
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[ProbabilityUnderStructure] | None = None


class GapWithin(Struct):
    """P(|CN arrival - US arrival| <= ``years``)."""

    years: float
    p: float
    mcse: float


class GapQuantile(Struct):
    """A quantile of the gap (CN minus US, years); ``side`` names who never arrives if infinite."""

    q: float
    years: NullableFloat
    side: Literal["cn_never", "us_never"] | None
    mcse_years: NullableFloat


class CountryEstimate(Struct):
    """A probability about one country and its Monte Carlo standard error."""

    country: Country
    p: float
    mcse: float


class PairGapQuantile(Struct):
    """A quantile of a pair's gap (second minus first, years); ``side`` is ``<code>_never``
    for the country that never arrives when the quantile is infinite."""

    q: float
    years: NullableFloat
    side: str | None
    mcse_years: NullableFloat


class RacePair(Struct):
    """The race between two countries: P(first strictly before second), P(|gap| <= k), gaps."""

    first: Country
    second: Country
    p_first_before_second: Estimate
    p_gap_within: list[GapWithin]
    gap_quantiles: list[PairGapQuantile]


class Race(Struct, omit_defaults=True):
    """Who reaches breakthrough capability first, and by how much.

    ``p_first`` (per country, P(strictly before every other country)) and ``pairs`` (every
    pair of countries) cover the whole registry; the two-country fields (``p_cn_first``,
    ``p_us_first``, ``p_gap_within``, ``gap_quantiles``, ``gap_definition``) are there while the
    registry holds both US and CN.
    """

    question: Literal["race"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    n_eff: float
    p_neither_by_horizon: Estimate
    p_first: list[CountryEstimate]
    pairs: list[RacePair]
    p_cn_first: Estimate | None = None
    p_us_first: Estimate | None = None
    p_gap_within: list[GapWithin] | None = None
    gap_quantiles: list[GapQuantile] | None = None
    gap_definition: str | None = None
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[RaceUnderStructure] | None = None


class TrajectoryValue(Struct):
    """A predictive quantile of the quantity (null if it overflows)."""

    q: float
    value: NullableFloat
    mcse: NullableFloat


class TrajectoryPoint(Struct, omit_defaults=True):
    """Predictive quantiles at one date (``n_eff``: the quantity's effective sample size there)."""

    date: str | None
    quantiles: list[TrajectoryValue]
    n_eff: float | None = None


class Trajectory(Struct, omit_defaults=True):
    """Predictive quantiles of an observable quantity at dates, in its natural unit.

    ``kind`` says what the draws are: the predictive of an observation, or the latent path."""

    question: Literal["trajectory"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    quantity: Quantity
    unit: str
    country: Country
    n_eff: float
    points: list[TrajectoryPoint]
    kind: str | None = None
    component: Channel | None = None
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[TrajectoryUnderStructure] | None = None


class SurpriseObservation(Struct):
    """The observation that was judged."""

    label: str | None
    quantity: Quantity
    unit: str
    date: str | None
    value: float


class SurpriseRow(Struct):
    """The observation's posterior-predictive percentile against one country's trend."""

    country: Country
    percentile: float
    mcse: float
    trend_median: NullableFloat
    log10_ratio_to_trend: NullableFloat


class Surprise(Struct, omit_defaults=True):
    """How surprising a new observation is (percentile near 50: on trend).

    ``kind`` says what the observation is judged against (the predictive of an observation)."""

    question: Literal["surprise"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    observation: SurpriseObservation
    against: list[SurpriseRow]
    kind: str | None = None
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[SurpriseUnderStructure] | None = None


class Delta(Struct):
    """A difference (scenario minus versus) and its Monte Carlo standard error."""

    delta: float
    mcse: float


class QuantileShift(Struct):
    """Shift of an arrival quantile, in years (null when either is beyond the horizon)."""

    q: float
    delta_years: NullableFloat
    mcse_years: NullableFloat


class ArrivalDifference(Struct, omit_defaults=True):
    """Arrival under the scenario minus arrival under ``versus`` (``p_first``: the change in
    P(the country reaches it before every other country))."""

    quantile_shift: list[QuantileShift]
    mean_paired_shift_years: NullableFloat
    mean_paired_shift_mcse: NullableFloat
    p_first: Delta | None = None


class ProbabilityDifference(Struct):
    """P under the scenario minus P under ``versus``."""

    p: Delta


class CountryDelta(Struct):
    """A difference about one country (scenario minus versus) and its MCSE."""

    country: Country
    delta: float
    mcse: float


class RaceDifference(Struct, omit_defaults=True):
    """P(each country first) under the scenario minus under ``versus`` (``p_cn_first``: CN's,
    while the registry holds both US and CN)."""

    p_first: list[CountryDelta]
    p_cn_first: Delta | None = None


class ArrivalComparison(Struct, omit_defaults=True):
    """Arrival under two scenarios (keyed by name) and their difference."""

    question: Literal["arrival"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Arrival]
    difference: ArrivalDifference
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[ArrivalComparisonUnderStructure] | None = None


class ProbabilityComparison(Struct, omit_defaults=True):
    """Probability under two scenarios (keyed by name) and their difference."""

    question: Literal["probability"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Probability]
    difference: ProbabilityDifference
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[ProbabilityComparisonUnderStructure] | None = None


class RaceComparison(Struct, omit_defaults=True):
    """The race under two scenarios (keyed by name) and their difference."""

    question: Literal["race"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Race]
    difference: RaceDifference
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[RaceComparisonUnderStructure] | None = None


def under_structure(answer: type[Struct]) -> type[Struct]:
    """The Struct of one entry of an answer's ``by_structure``: the same question answered
    from one structure's draws (``structure``, its ``weight`` in the mixture, ``answer``)."""
    entry = msgspec.defstruct(
        f"{answer.__name__}UnderStructure",
        [("structure", Structure), ("weight", float), ("answer", answer)],
        module=answer.__module__,
    )
    entry.__doc__ = (
        f"The {answer.__name__} question answered from one structure's draws, with the "
        "structure's weight in the mixture."
    )
    return entry


ArrivalUnderStructure = under_structure(Arrival)
ProbabilityUnderStructure = under_structure(Probability)
RaceUnderStructure = under_structure(Race)
TrajectoryUnderStructure = under_structure(Trajectory)
SurpriseUnderStructure = under_structure(Surprise)
ArrivalComparisonUnderStructure = under_structure(ArrivalComparison)
ProbabilityComparisonUnderStructure = under_structure(ProbabilityComparison)
RaceComparisonUnderStructure = under_structure(RaceComparison)


# -- batch questions --------------------------------------------------------------------------
ThresholdText = Annotated[
    str,
    Meta(
        max_length=80,
        description="Capability threshold: a name from /v1/thresholds or KIND:VALUE with KIND "
        "horizon50 or horizon80 (minutes) or eci (ECI points); default: the prior set's. A value "
        "of another shape makes this question's problem (400), the others are still answered",
        examples=["work_week", "horizon50:10080"],
    ),
]
LeverText = Annotated[
    str,
    Meta(
        max_length=84,
        description="COUNTRY.LEVER=NUMBER, COUNTRY.CHANNEL.LEVER=NUMBER (a supply channel's "
        "additions_multiplier or growth_multiplier) or start=YYYY-MM-DD",
        examples=["CN.additions_multiplier=0.6", "CN.smuggled.additions_multiplier=0.5"],
    ),
]
GivenText = Annotated[
    str,
    Meta(
        max_length=120,
        description="COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD with OP one of >=, <=, >, <",
        examples=["CN.frontier_eci>=160@2027-06-30"],
    ),
]
Levers = Annotated[
    list[LeverText],
    Meta(
        max_length=32,
        extra_json_schema=list_items(LEVER_ITEMS),
        description="Ad-hoc levers laid over `scenario` and checked like a scenario file, as "
        "`lever` of the GET endpoint; a lever of another shape makes this question's problem "
        "(400), the others are still answered",
        examples=[["CN.additions_multiplier=0.6", "start=2027-01-01"]],
    ),
]
Conditions = Annotated[
    list[GivenText],
    Meta(
        max_length=8,
        extra_json_schema=list_items(GIVEN_ITEMS),
        description="Conditions on the trajectories, as `given` of the GET endpoint: the answer "
        "from the draws where all hold (trajectory and surprise questions cannot be conditioned: "
        "422); a condition of another shape makes this question's problem (400)",
        examples=[["CN.frontier_eci>=160@2027-06-30"]],
    ),
]


class _Question(Struct, tag_field="question", forbid_unknown_fields=True, kw_only=True):
    """Base of the batch questions (tagged by ``question``).

    Decoding checks what depends on the forecasters' files, in words (a ValueError becomes the
    400's message): each scenario name's shape and each date's range (:mod:`service.live`).
    The options (``threshold``, ``lever``, ``given``) are every kind's, as on the GET endpoints;
    their shapes are checked when the batch is answered, so a bad one is that question's problem.
    ``structure`` answers from one model structure's draws (default: the mixture) and
    ``by_structure`` adds the answer under each fitted structure, as on the GET endpoints.
    """

    date_fields: ClassVar[tuple[str, ...]] = ()

    threshold: ThresholdText | None = None
    lever: Levers | None = None
    given: Conditions | None = None
    structure: Structure | None = None
    by_structure: bool = False

    def __post_init__(self) -> None:
        for name in ("scenario", "versus"):
            value = getattr(self, name, None)
            why = None if value is None else scenario_error(value)
            if why is not None:
                raise ValueError(f"{name}: {why}")
        for name in self.date_fields:
            value = getattr(self, name)
            for text in [value] if isinstance(value, str) else value:
                why = date_error(text)
                if why is not None:
                    raise ValueError(f"{name}: {why}")


class ArrivalQuestion(_Question, tag="arrival"):
    """``GET /v1/arrival`` as a batch item."""

    country: Country
    scenario: ScenarioName | None = None
    versus: ScenarioName | None = None
    quantiles: Quantiles | None = None
    cdf: bool = False


class ProbabilityQuestion(_Question, tag="probability"):
    """``GET /v1/probability`` as a batch item."""

    date_fields: ClassVar[tuple[str, ...]] = ("by",)

    country: Country
    by: DateText
    scenario: ScenarioName | None = None
    versus: ScenarioName | None = None


class RaceQuestion(_Question, tag="race"):
    """``GET /v1/race`` as a batch item."""

    scenario: ScenarioName | None = None
    versus: ScenarioName | None = None
    within: (
        Annotated[
            list[Annotated[float, Meta(ge=0, le=100)]],
            Meta(min_length=1, max_length=20, extra_json_schema=list_items(YEARS_ITEMS)),
        ]
        | None
    ) = None
    quantiles: Quantiles | None = None


class TrajectoryQuestion(_Question, tag="trajectory"):
    """``GET /v1/trajectories`` as a batch item."""

    date_fields: ClassVar[tuple[str, ...]] = ("at",)

    quantity: Quantity
    country: Country
    at: Annotated[
        list[DateText],
        Meta(min_length=1, max_length=MAX_DATES, extra_json_schema=list_items(DATE_ITEMS)),
    ]
    scenario: ScenarioName | None = None
    quantiles: Quantiles | None = None
    latent: bool = False
    component: Channel | None = None


class SurpriseQuestion(_Question, tag="surprise"):
    """``GET /v1/surprise`` as a batch item."""

    date_fields: ClassVar[tuple[str, ...]] = ("date",)

    quantity: Quantity
    date: DateText
    value: Annotated[float, Meta(gt=-1e300, lt=1e300)]
    countries: Annotated[list[Country], Meta(min_length=1, max_length=len(COUNTRIES))] | None = None
    label: Annotated[str, Meta(max_length=200)] | None = None
    scenario: ScenarioName | None = None


Question = (
    ArrivalQuestion | ProbabilityQuestion | RaceQuestion | TrajectoryQuestion | SurpriseQuestion
)


class QuestionBatch(Struct, forbid_unknown_fields=True):
    """Up to 100 questions answered from one run (default: the current run)."""

    questions: Annotated[list[Question], Meta(min_length=1, max_length=MAX_BATCH)]
    run: RunId | None = None


class BatchItem(Struct, omit_defaults=True):
    """One batch answer: the answer (status 200) or a problem (4xx) for that question."""

    index: int
    status: int
    answer: dict[str, Any] | None = None
    problem: Problem | None = None


class BatchAnswer(Struct):
    """Answers in question order."""

    run_id: str
    answers: list[BatchItem]
