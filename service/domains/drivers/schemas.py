"""Response schemas of the drivers, the prior sensitivity and the named thresholds."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

from service.domains.questions.schemas import Country, Structure, under_structure


class DriverGroup(Struct):
    """One input group: its first-order share of the answer's variance and its MC error."""

    group: str
    description: str
    variables: list[str]
    share: float
    mcse: float | None


class Drivers(Struct, omit_defaults=True):
    """First-order Sobol indices of each input group (as ``forecast ask drivers``)."""

    question: Literal["drivers"]
    run_id: str
    scenario: str
    country: Country
    quantity: Literal["arrival", "p_by"]
    by: str | None
    scale: str
    draws: int
    variance: float
    method: str
    groups: list[DriverGroup]
    unassigned_variables: list[str]
    sum_of_shares: float
    interactions: float
    options: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[DriversUnderStructure] | None = None


class Sensitivity(Struct):
    """One quantity's power-scaling sensitivity to one prior, its MC error across chains, and
    whether it is above the threshold (``sensitivity`` null when it cannot be estimated: JSON
    has no NaN)."""

    sensitivity: float | None
    mcse: float | None
    informative: bool


class PriorSensitivity(Struct):
    """One prior: the sensitivity of each country's arrival and of its own parameter."""

    prior: str
    description: str
    parameter: Sensitivity
    arrival: dict[str, Sensitivity]


class Psense(Struct):
    """Prior power-scaling sensitivity (as ``forecast ask psense``), most influential first."""

    question: Literal["psense"]
    run_id: str
    scenario: str
    draws: int
    chains: int
    method: str
    threshold: float
    priors: list[PriorSensitivity]
    structure: str | None = None


DriversUnderStructure = under_structure(Drivers)


class Thresholds(Struct):
    """The named thresholds of ``priors/thresholds.toml`` and the 80%-to-50% conversion."""

    default: str
    conversion: dict[str, Any]
    thresholds: list[dict[str, Any]]
