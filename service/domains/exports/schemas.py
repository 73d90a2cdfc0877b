"""Response schemas of the exports: the Metaculus-style continuous CDF."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from service.domains.questions.schemas import Country, Estimate


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
