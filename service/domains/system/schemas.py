"""Response schemas of the system views: health, and the catalog of scenarios and prior sets."""

from __future__ import annotations

import dataclasses
from typing import Literal

from msgspec import Struct, defstruct

from forecast.priors.scenarios import Levers

NullableFloat = float | None


class Health(Struct):
    """Liveness (always true when this answers) and readiness (a current run exists)."""

    live: bool
    ready: bool
    current_run: str | None
    detail: str
    worker: Literal["running", "stopped", "disabled"]
    version: str


LeverSet = defstruct(
    "LeverSet",
    [(f.name, float) for f in dataclasses.fields(Levers)],
    module=__name__,
)
"""One country's levers in a scenario: the library's lever fields, each a number."""


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
    channel_levers: dict[str, dict[str, LeverSet]] = {}
    """Supply-channel levers per country and channel (e.g. CN -> smuggled); empty: none."""


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
