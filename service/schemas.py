"""Request and response schemas (msgspec Structs) and the constrained types of parameters.

The response Structs mirror the dicts that :class:`forecast.questions.Forecaster` returns (the
same fields ``forecast ask --json`` prints), so an API answer is the library's answer, checked
against a declared schema. Floats that may be infinite or undefined (a quantile beyond the
horizon, a Monte Carlo error that cannot be estimated) are declared nullable: JSON has no
infinity, and msgspec writes it as ``null``.

Constraints live in the types, so they appear in the OpenAPI document and bad input is refused
before any computation: countries, quantities and tables are enums; dates are ``YYYY-MM-DD``
within 2018-01-01..2060-12-31 (the model's range; a run may cover less, which is a 422); at most
99 quantiles, each strictly between 0 and 1; at most 100 questions per batch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Meta, Struct

from forecast.core.definitions import MAX_QUANTILES, QUANTITIES
from forecast.data.observations import COUNTRIES
from forecast.data.tables import TABLES
from service.problems import Problem

MODEL_START = "2018-01-01"
MODEL_END = "2060-12-31"
DATE_PATTERN = r"^(20(1[89]|[2-5][0-9])|2060)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
"""A calendar date YYYY-MM-DD from 2018 to 2060 (the day is checked again when parsed)."""
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
JOB_ID_PATTERN = r"^[0-9a-f]{32}$"
MAX_BATCH = 100
MAX_DATES = 50
MAX_OBSERVATION_ROWS = 1000

Country = StrEnum("Country", {c: c for c in COUNTRIES})  # type: ignore[misc]
Country.__doc__ = "Country code of a modelled country."
Quantity = StrEnum("Quantity", {q: q for q in QUANTITIES})  # type: ignore[misc]
Quantity.__doc__ = "An observable quantity with a trajectory (natural unit in the answer)."
TableName = StrEnum("TableName", {t: t for t in TABLES})  # type: ignore[misc]
TableName.__doc__ = "A curated data table; posted rows use its columns."


def _items(schema: Schema) -> dict[str, Any]:
    """``extra_json_schema`` that documents a list's item constraints in the OpenAPI document.

    Litestar 2 renders the constraints of a list field but not those of its items; msgspec
    still enforces both. (Given as a JSON Schema dict: a nested ``Schema`` object would be
    written with Python attribute names.)
    """
    return {"extra": {"items": schema.to_schema()}}


def scenario_names() -> list[str] | None:
    """The scenario names known at start-up, for the OpenAPI document (None if unreadable).

    The document lists them as an enum so clients and fuzzers see the valid names; requests are
    still checked against the scenario file at answer time (422 for an unknown name), so a
    scenario added to the file later works before the document is rebuilt on restart.
    """
    try:
        from forecast.priors.scenarios import load_scenarios

        return list(load_scenarios())
    except Exception:  # a broken scenario file must not stop the app from starting
        return None


SCENARIOS = scenario_names()
SCENARIO_ENUM: dict[str, Any] | None = {"enum": SCENARIOS} if SCENARIOS else None
QUANTILE_ITEMS = Schema(type=OpenAPIType.NUMBER, exclusive_minimum=0.0, exclusive_maximum=1.0)
DATE_ITEMS = Schema(type=OpenAPIType.STRING, pattern=DATE_PATTERN)
YEARS_ITEMS = Schema(type=OpenAPIType.NUMBER, minimum=0.0, maximum=100.0)

Quantile = Annotated[float, Meta(gt=0.0, lt=1.0, description="probability level in (0, 1)")]
Quantiles = Annotated[
    list[Quantile],
    Meta(min_length=1, max_length=MAX_QUANTILES, extra_json_schema=_items(QUANTILE_ITEMS)),
]
DateText = Annotated[
    str,
    Meta(
        pattern=DATE_PATTERN,
        description=f"date YYYY-MM-DD between {MODEL_START} and {MODEL_END}",
        examples=["2030-01-01"],
    ),
]
ScenarioName = Annotated[
    str,
    Meta(
        pattern=NAME_PATTERN,
        examples=["tightened_controls"],
        extra_json_schema={"extra": SCENARIO_ENUM} if SCENARIO_ENUM else None,
    ),
]
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


class Probability(Struct):
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


class Race(Struct):
    """Who reaches breakthrough capability first, and by how much."""

    question: Literal["race"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    n_eff: float
    p_cn_first: Estimate
    p_us_first: Estimate
    p_neither_by_horizon: Estimate
    p_gap_within: list[GapWithin]
    gap_quantiles: list[GapQuantile]
    gap_definition: str


class TrajectoryValue(Struct):
    """A predictive quantile of the quantity (null if it overflows)."""

    q: float
    value: NullableFloat
    mcse: NullableFloat


class TrajectoryPoint(Struct):
    """Predictive quantiles at one date."""

    date: str | None
    quantiles: list[TrajectoryValue]


class Trajectory(Struct):
    """Predictive quantiles of an observable quantity at dates, in its natural unit."""

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


class Surprise(Struct):
    """How surprising a new observation is (percentile near 50: on trend)."""

    question: Literal["surprise"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    observation: SurpriseObservation
    against: list[SurpriseRow]


class Delta(Struct):
    """A difference (scenario minus versus) and its Monte Carlo standard error."""

    delta: float
    mcse: float


class QuantileShift(Struct):
    """Shift of an arrival quantile, in years (null when either is beyond the horizon)."""

    q: float
    delta_years: NullableFloat
    mcse_years: NullableFloat


class ArrivalDifference(Struct):
    """Arrival under the scenario minus arrival under ``versus``."""

    quantile_shift: list[QuantileShift]
    mean_paired_shift_years: NullableFloat
    mean_paired_shift_mcse: NullableFloat


class ProbabilityDifference(Struct):
    """P under the scenario minus P under ``versus``."""

    p: Delta


class RaceDifference(Struct):
    """P(CN first) under the scenario minus under ``versus``."""

    p_cn_first: Delta


class ArrivalComparison(Struct):
    """Arrival under two scenarios (keyed by name) and their difference."""

    question: Literal["arrival"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Arrival]
    difference: ArrivalDifference


class ProbabilityComparison(Struct):
    """Probability under two scenarios (keyed by name) and their difference."""

    question: Literal["probability"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Probability]
    difference: ProbabilityDifference


class RaceComparison(Struct):
    """The race under two scenarios (keyed by name) and their difference."""

    question: Literal["race"]
    scenario: str
    versus: str
    run_id: str
    answers: dict[str, Race]
    difference: RaceDifference


class MetaculusCdf(Struct):
    """A Metaculus-style continuous CDF: 201 evenly spaced points of P(arrival <= t).

    ``cdf[i]`` is P(arrival on or before ``dates[i]``) for ``dates`` evenly spaced (in decimal
    years) from ``lower`` to ``upper``; ``p_below_lower`` and ``p_above_upper`` are the mass
    outside the range (arrivals beyond the horizon end count as above).
    """

    question: Literal["metaculus_cdf"]
    run_id: str
    scenario: str
    country: Country
    draws: int
    n_eff: float
    lower: str
    upper: str
    lower_year: float
    upper_year: float
    points: int
    dates: list[str]
    cdf: list[float]
    mcse: list[float]
    p_below_lower: Estimate
    p_above_upper: Estimate


# -- runs -------------------------------------------------------------------------------------
class RunSummary(Struct):
    """One stored run, as listed."""

    id: str
    created: str
    status: str
    prior_set: str
    prior_hash: str
    data_hash: str
    sampler: str
    wall_seconds: NullableFloat
    max_rhat: NullableFloat
    min_ess_bulk: NullableFloat
    divergences: int | None
    model_version: str
    current: bool


class RunList(Struct):
    """Every stored run, newest first, and the current run id."""

    current: str | None
    runs: list[RunSummary]


class RunDetail(Struct):
    """A run's full metadata: prior set, data hash, sampler, diagnostics, library versions."""

    id: str
    model_type: str
    model_version: str
    created: str
    status: str
    current: bool
    gate_failures: list[str]
    prior_set: dict[str, Any]
    data_hash: str
    sampler: dict[str, Any]
    diagnostics: dict[str, Any]
    gate: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    extra_data: list[str] | None = None
    data_end: NullableFloat = None
    observations: dict[str, int] | None = None
    libraries: dict[str, str] | None = None
    compile_seconds: NullableFloat = None
    sampling_seconds: NullableFloat = None
    wall_seconds: NullableFloat = None


# -- catalog ----------------------------------------------------------------------------------
class LeverSet(Struct):
    """One country's levers in a scenario."""

    additions_multiplier: float
    growth_multiplier: float
    efficiency_rate_multiplier: float
    efficiency_jump_oom: float


class ScenarioInfo(Struct):
    """A named scenario: what it changes in the projection, from when, and its sources."""

    name: str
    description: str
    sources: list[str]
    start: str | None
    start_year: NullableFloat
    threshold_horizon_minutes: NullableFloat
    levers: dict[str, LeverSet]
    neutral_levers: LeverSet


class ScenarioList(Struct):
    """Every scenario of the scenario file, in file order."""

    baseline: str
    scenarios: list[ScenarioInfo]


class PriorInfo(Struct):
    """One parameter's prior: family, parameters, the interval it states, unit and source."""

    dist: str
    params: dict[str, float]
    interval: list[NullableFloat]
    prob: float
    stated_as: str
    unit: str
    description: str
    source: str


class PriorSetInfo(Struct):
    """A prior set: settings and every prior."""

    name: str
    description: str
    hash: str
    settings: dict[str, float]
    priors: dict[str, PriorInfo]


class PriorSetSummary(Struct):
    """A prior set as listed (invalid files are listed with their error)."""

    name: str
    valid: bool
    description: str | None = None
    hash: str | None = None
    parameters: int | None = None
    error: str | None = None


class PriorSetList(Struct):
    """The prior sets in the priors folder."""

    prior_sets: list[PriorSetSummary]


# -- observations -----------------------------------------------------------------------------
Cell = str | int | float | bool | None


class ObservationBatch(Struct, forbid_unknown_fields=True):
    """Rows to add to a table: each row maps the table's column names to values."""

    table: TableName
    rows: Annotated[list[dict[str, Cell]], Meta(min_length=1, max_length=MAX_OBSERVATION_ROWS)]


class ObservationsAccepted(Struct):
    """Rows that passed validation and were stored."""

    table: TableName
    accepted: int
    ids: list[int]
    submitted_by: str
    created: str


class StoredObservation(Struct):
    """One stored row (cells exactly as validated)."""

    id: int
    table: TableName
    row: dict[str, str]
    submitted_by: str
    created: str


class ObservationPage(Struct):
    """A page of stored observations, newest first."""

    items: list[StoredObservation]
    total: int
    limit: int
    offset: int
    next_offset: int | None


# -- refits -----------------------------------------------------------------------------------
JobStatus = Literal["queued", "running", "succeeded", "failed"]


class RefitRequest(Struct, forbid_unknown_fields=True):
    """A refit on the bundled data plus every stored observation."""

    priors: Annotated[str, Meta(pattern=NAME_PATTERN, examples=["default"])] = "default"
    quick: bool = False


class RefitAccepted(Struct):
    """A queued refit job; poll ``GET /v1/refits/{job_id}``."""

    job_id: str
    status: Literal["queued"]


class RefitJob(Struct):
    """A refit job's state; ``run_id`` is set once a run was stored."""

    job_id: str
    status: JobStatus
    priors: str
    quick: bool
    submitted_by: str
    created: str
    started: str | None
    finished: str | None
    run_id: str | None
    run_status: str | None
    observations: int | None
    error: str | None
    messages: list[str]


class RefitJobList(Struct):
    """Refit jobs, newest first."""

    items: list[RefitJob]
    total: int
    limit: int
    offset: int
    next_offset: int | None


# -- system -----------------------------------------------------------------------------------
class Health(Struct):
    """Liveness (always true when this answers) and readiness (a current run exists)."""

    live: bool
    ready: bool
    current_run: str | None
    detail: str
    worker: Literal["running", "stopped", "disabled"]
    version: str


# -- batch questions --------------------------------------------------------------------------
class _Question(Struct, tag_field="question", forbid_unknown_fields=True):
    """Base of the batch questions (tagged by ``question``)."""


class ArrivalQuestion(_Question, tag="arrival"):
    """``GET /v1/arrival`` as a batch item."""

    country: Country
    scenario: ScenarioName | None = None
    versus: ScenarioName | None = None
    quantiles: Quantiles | None = None
    cdf: bool = False


class ProbabilityQuestion(_Question, tag="probability"):
    """``GET /v1/probability`` as a batch item."""

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
            Meta(min_length=1, max_length=20, extra_json_schema=_items(YEARS_ITEMS)),
        ]
        | None
    ) = None
    quantiles: Quantiles | None = None


class TrajectoryQuestion(_Question, tag="trajectory"):
    """``GET /v1/trajectories`` as a batch item."""

    quantity: Quantity
    country: Country
    at: Annotated[
        list[DateText],
        Meta(min_length=1, max_length=MAX_DATES, extra_json_schema=_items(DATE_ITEMS)),
    ]
    scenario: ScenarioName | None = None
    quantiles: Quantiles | None = None


class SurpriseQuestion(_Question, tag="surprise"):
    """``GET /v1/surprise`` as a batch item."""

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


def to_builtins(value: Any) -> Any:
    """A Struct (or anything msgspec can encode) as plain JSON-able Python values."""
    return msgspec.to_builtins(value)
