"""Response schemas of the model-structure answers (:mod:`forecast.questions.structures`).

Floats that may be undefined (a shift beyond the horizon, a diagnostic that was not computed)
are nullable, as in the questions' schemas.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from service.domains.questions.schemas import Country, Estimate, NullableFloat, Structure


class StructureDiagnostics(Struct):
    """The structure's fit diagnostics: worst R-hat, smallest bulk ESS, divergences."""

    max_rhat: NullableFloat = None
    min_ess_bulk: NullableFloat = None
    divergences: int | None = None


class StructureLoo(Struct):
    """PSIS-LOO of the structure's capability observations and its difference from the best."""

    elpd_loo: NullableFloat = None
    se: NullableFloat = None
    p_loo: NullableFloat = None
    pareto_k_max: NullableFloat = None
    n_pareto_k_above_0_7: int | None = None
    n_observations: int | None = None
    elpd_diff: NullableFloat = None
    dse: NullableFloat = None


class HoldoutFit(Struct):
    """The structure's refit on the data before the holdout: its diagnostics."""

    max_rhat: NullableFloat = None
    min_ess_bulk: NullableFloat = None
    divergences: int | None = None
    gate_failures: list[str] = []


class StructureLfo(Struct):
    """Leave-future-out: the structure's log predictive density of the held-out capability
    observations (refitted without them), and its difference from the best."""

    elpd_lfo: NullableFloat = None
    se: NullableFloat = None
    elpd_diff: NullableFloat = None
    dse: NullableFloat = None
    n_observations: int | None = None
    holdout_fit: HoldoutFit | None = None


class Holdout(Struct):
    """The holdout behind leave-future-out weights: the cutoff the structures were refitted
    to, the held-out observations, and whether the weights use them (``note`` says why not)."""

    cutoff: str | None
    n_observations: int | None
    used: bool
    note: str | None = None


class FittedStructure(Struct):
    """One structure of the run: what it says, its equation, its weight and its fit."""

    structure: Structure
    description: str
    equation: str
    weight: float
    status: str | None
    gate_failures: list[str]
    diagnostics: StructureDiagnostics
    loo: StructureLoo | None
    loo_weight: NullableFloat = None
    lfo: StructureLfo | None = None


class Structures(Struct):
    """The run's structures and how their weights were set (``method``: stacking of
    leave-future-out or PSIS-LOO predictive densities, stated by the prior set, or a single
    structure)."""

    question: Literal["structures"]
    run_id: str
    method: str | None
    blocks: list[str] | None
    holdout: Holdout | None
    note: str | None
    structures: list[FittedStructure]


class CountryEffect(Struct):
    """A scenario's effect on one country: the shift of its median arrival (years) and of
    P(it is first), against the status quo, with MC errors."""

    country: Country
    median_shift_years: NullableFloat
    median_shift_mcse: NullableFloat
    p_first_status_quo: NullableFloat
    p_first_status_quo_mcse: NullableFloat
    p_first_shift: NullableFloat
    p_first_shift_mcse: NullableFloat


class ScenarioEffect(Struct):
    """One scenario under one structure (or the mixture, weight 1)."""

    structure: Structure
    weight: float
    scenario: str
    countries: list[CountryEffect]


class ScenarioEffects(Struct):
    """Every scenario's effect on every country under the mixture and each structure."""

    question: Literal["scenario_effects"]
    run_id: str
    versus: str
    rows: list[ScenarioEffect]


class SourceRow(Struct):
    """Where one country's P(first) comes from: the full answer, the fitted parameters alone,
    the answer without each source of projection randomness, and each source's Shapley share."""

    country: Country
    p_first: Estimate
    parameters_only: Estimate
    without: dict[str, Estimate]
    added_by: dict[str, float]


class StructureRace(Struct):
    """P(each country first) under one structure."""

    structure: Structure
    weight: float
    p_first: dict[str, Estimate]


class RaceSources(Struct):
    """Where the race's uncertainty comes from, and P(first) under each structure."""

    question: Literal["race_sources"]
    run_id: str
    structure: Structure
    scenario: str
    sources: dict[str, str]
    countries: list[SourceRow]
    by_structure: list[StructureRace]
    method: str
