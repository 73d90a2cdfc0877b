"""Response schemas of the exports: the Metaculus-style continuous CDF."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

from service.domains.questions.schemas import Country, Estimate, Structure, under_structure


class MetaculusRule(Struct):
    """One of Metaculus's submission rules, and whether ``cdf`` passes it."""

    rule: str
    text: str
    passed: bool


class MetaculusCdf(Struct, omit_defaults=True):
    """A CDF Metaculus accepts for a date question: 201 evenly spaced points.

    ``cdf`` follows Metaculus's submission rules (listed in ``rules``): 201 values, strictly
    increasing by at least 0.00005 per step, no step above 0.2, at least 0.1% beyond an open
    bound and nothing beyond a closed one. ``model_cdf`` is the model's own P(arrival on or before
    ``dates[i]``) and ``mcse`` its MC error; ``adjustment`` is how much probability the rules
    moved (total variation distance), ``dropped_below``/``dropped_above`` the model's mass beyond
    a closed bound (dropped, the rest rescaled), ``uniform_weight`` the share of a uniform spread
    mixed in. ``p_below_lower`` and ``p_above_upper`` are the model's mass outside the range
    (arrivals beyond the horizon end count as above).
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
    lower_open: bool
    upper_open: bool
    points: int
    inbound_outcome_count: int
    dates: list[str]
    cdf: list[float]
    model_cdf: list[float]
    mcse: list[float]
    p_below_lower: Estimate
    p_above_upper: Estimate
    rules: list[MetaculusRule]
    dropped_below: float
    dropped_above: float
    uniform_weight: float
    adjustment: float
    options: dict[str, Any] | None = None
    reweighting: dict[str, Any] | None = None
    structure: Structure | None = None
    by_structure: list[MetaculusCdfUnderStructure] | None = None


MetaculusCdfUnderStructure = under_structure(MetaculusCdf)
