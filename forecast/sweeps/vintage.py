"""Which priors of a set use knowledge from after a backtest cutoff.

A prior's ``source`` text cites its evidence with dates (``2025-06-12``, ``2024-10``, ``2023``).
The latest date cited that is not after the data vintage end is taken as the date the prior could
first have been stated (later years in a source, such as "capex 2025-2030", are projections, not
evidence). A prior whose date falls after a cutoff used later knowledge: a backtest at that
cutoff is not a clean out-of-sample test of it. A prior that cites no date is reported as
undated (nothing tells). Bare years count from their first day, the lenient reading.

This is read from the text the forecaster wrote; it flags, it does not fix: the backtest
output lists the flagged priors per cutoff so a reader knows which priors saw the future.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

DATE_PATTERN = re.compile(r"(?<![\d.])(20\d\d|19\d\d)(?:-(0[1-9]|1[0-2]))?(?:-([0-3]\d))?(?![\d])")
VINTAGE_LIMIT = date(2025, 12, 31)


def cited_dates(text: str, limit: date = VINTAGE_LIMIT) -> list[date]:
    """Dates cited in ``text`` (bare years as 1 January, year-months as day 1), up to ``limit``."""
    out = []
    for year, month, day in DATE_PATTERN.findall(text or ""):
        try:
            found = date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            continue
        if found <= limit:
            out.append(found)
    return out


def knowledge_dates(prior_set: Any) -> dict[str, date | None]:
    """Per prior of the set, the latest evidence date its source cites (None: undated)."""
    out: dict[str, date | None] = {}
    for key in prior_set:
        dates = cited_dates(getattr(prior_set[key], "source", "") or "")
        out[key] = max(dates) if dates else None
    return out


def later_knowledge(prior_set: Any, cutoff: date | None) -> dict[str, Any]:
    """Which priors cite evidence dated after ``cutoff``: the flag and note of a fit."""
    dates = knowledge_dates(prior_set)
    if cutoff is None:
        return {"clean": True, "after_cutoff": {}, "undated": [], "note": "no cutoff"}
    after = {k: d.isoformat() for k, d in dates.items() if d is not None and d > cutoff}
    undated = sorted(k for k, d in dates.items() if d is None)
    note = (
        f"{len(after)} of {len(dates)} priors of {getattr(prior_set, 'name', '?')} cite sources "
        f"dated after {cutoff.isoformat()} (later knowledge); {len(undated)} cite no date"
        if after
        else f"no prior cites a source dated after {cutoff.isoformat()} "
        f"({len(undated)} cite no date)"
    )
    return {"clean": not after, "after_cutoff": after, "undated": undated, "note": note}


def summarize_flags(flags: Iterable[dict[str, Any]]) -> list[str]:
    """The notes of distinct flags, in order."""
    return list(dict.fromkeys(f["note"] for f in flags))
