"""Conditional questions: ``--given "CN.frontier_eci>=160@2027-06-30"``.

A condition is ``COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD`` with OP one of ``>=``, ``<=``, ``>``, ``<``
and QUANTITY a trajectory quantity (``forecast ask trajectory`` lists them). It holds in a draw
when that draw's trend value (the latent frontier, without the observation noise of a single
model's score) at that date satisfies it; before the data end the fitted value is used, after it
the projection under the request's scenario and levers. Several conditions must all hold.

The answer is then computed from the draws where they hold (rejection: weights 0 or 1). Its
effective sample size is the kept share of each country's arrival ESS; fewer than
:data:`MIN_EFFECTIVE` effective draws is refused, since the answer would be mostly noise.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.core.definitions import COUNTRIES, QUANTITIES
from forecast.core.errors import UsageError

MIN_EFFECTIVE = 100
"""Least effective number of draws a conditional answer may rest on."""
MAX_CONDITIONS = 8
OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_GIVEN = re.compile(
    r"^\s*([A-Za-z]{2,3})\.([a-z0-9_]+)\s*(>=|<=|>|<)\s*([^@\s]+)\s*@\s*(\d{4}-\d{2}-\d{2})\s*$"
)


class TooFewDrawsError(UsageError):
    """The conditions leave too few effective draws to answer."""


@dataclass(frozen=True)
class Condition:
    """One parsed ``--given``."""

    country: str
    quantity: str
    op: str
    value: float
    when: str  # YYYY-MM-DD

    @property
    def text(self) -> str:
        return f"{self.country}.{self.quantity}{self.op}{self.value:g}@{self.when}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        return OPERATORS[self.op](np.asarray(values, dtype=float), self.value)


def parse_condition(text: str) -> Condition:
    """One ``COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD``; UsageError in words otherwise."""
    found = _GIVEN.match(text) if isinstance(text, str) else None
    if found is None:
        raise UsageError(
            f"given: {str(text)[:80]!r} is not COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD "
            "(e.g. CN.frontier_eci>=160@2027-06-30; OP one of >=, <=, >, <)"
        )
    country, quantity, op, raw, when = found.groups()
    country = country.upper()
    if country not in COUNTRIES:
        raise UsageError(
            f"given {text!r}: unknown country {country!r} (known: {', '.join(COUNTRIES)})"
        )
    if quantity not in QUANTITIES:
        raise UsageError(
            f"given {text!r}: unknown quantity {quantity!r} (known: {', '.join(QUANTITIES)})"
        )
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"given {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"given {text!r}: {raw!r} must be a finite number")
    from datetime import date

    try:
        date.fromisoformat(when)
    except ValueError:
        raise UsageError(f"given {text!r}: {when!r} is not a real date") from None
    return Condition(country, quantity, op, value, when)


def parse_conditions(texts: Sequence[str] | None) -> list[Condition]:
    conditions = [parse_condition(t) for t in texts or ()]
    if len(conditions) > MAX_CONDITIONS:
        raise UsageError(f"given: at most {MAX_CONDITIONS} conditions, got {len(conditions)}")
    if len({c.text for c in conditions}) < len(conditions):
        raise UsageError("given: a condition is given twice")
    return conditions


def effective_kept(mask: np.ndarray, n_eff: float) -> float:
    """Effective draws left: the kept share of the unconditional effective sample size."""
    return float(n_eff) * float(np.mean(mask)) if mask.size else 0.0
