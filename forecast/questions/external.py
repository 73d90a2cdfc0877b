"""Forecasts by others (``priors/external_forecasts.toml``) next to this model's answers.

Each row of the file is a published forecast of an AGI-type event: its source and citation,
publication (and snapshot) date, the event and its definition, the threshold of ours it is
closest to (``maps_to``, a name from ``priors/thresholds.toml``) with how the definitions differ
(``mapping``), and the forecast: date quantiles and/or probabilities by dates. A date given as a
year means the middle of that year, ``YYYY-MM`` the middle of that month.

:func:`external` puts our answer beside each row, under the row's mapped threshold: for
``scope = "world"`` the earlier arrival of the two countries (the forecasts are about anyone),
for a country code that country's. Ours: the same quantile levels and P(by) at the same dates,
with MC errors. Definitions differ (see ``mapping``); the comparison is of orders of magnitude
and shapes, not a test of either forecast.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core import mcstats
from forecast.core.definitions import priors_dir
from forecast.core.errors import UsageError
from forecast.core.timeutil import date_to_year
from forecast.data.observations import COUNTRIES
from forecast.priors.priorset import EXTERNAL_FILE_NAME
from forecast.questions import custom
from forecast.questions.forecaster import Forecaster, iso, year_entry

_KEYS = {
    "source",
    "citation",
    "published",
    "snapshot",
    "event",
    "definition",
    "maps_to",
    "mapping",
    "scope",
    "quantiles",
    "p_by",
    "checked",
}
_REQUIRED = ("source", "citation", "published", "event", "definition", "maps_to", "mapping")
_WHEN = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def when_year(text: str, where: str) -> float:
    """A year, ``YYYY-MM`` or ``YYYY-MM-DD`` as a decimal year (mid-year / mid-month)."""
    found = _WHEN.match(str(text))
    if not found:
        raise UsageError(f"{where}: {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    y, m, d = found.groups()
    if m is None:
        return int(y) + 0.5
    if d is None:
        return date_to_year(date(int(y), int(m), 15))
    return date_to_year(date(int(y), int(m), int(d)))


@dataclass(frozen=True)
class ExternalForecast:
    id: str
    source: str
    citation: str
    published: str
    event: str
    definition: str
    maps_to: str
    mapping: str
    scope: str = "world"
    snapshot: str | None = None
    quantiles: dict[float, str] = field(default_factory=dict)
    p_by: dict[str, float] = field(default_factory=dict)
    checked: str = "secondary"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "citation": self.citation,
            "published": self.published,
            "snapshot": self.snapshot,
            "event": self.event,
            "definition": self.definition,
            "maps_to": self.maps_to,
            "mapping": self.mapping,
            "scope": self.scope,
            "checked": self.checked,
            "quantiles": [
                {"q": q, "when": w, "year": round(when_year(w, self.id), 4)}
                for q, w in sorted(self.quantiles.items())
            ],
            "p_by": [
                {"when": w, "year": round(when_year(w, self.id), 4), "p": p}
                for w, p in sorted(self.p_by.items(), key=lambda kv: when_year(kv[0], self.id))
            ],
        }


def external_path() -> Path:
    return priors_dir() / EXTERNAL_FILE_NAME


def load_external(path: Path | None = None) -> list[ExternalForecast]:
    """The curated external forecasts, validated (UsageError naming the row and key)."""
    path = path or external_path()
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = []
    for key, table in (data.get("forecast") or {}).items():
        where = f"{path.name}: forecast.{key}"
        if not isinstance(table, dict):
            raise UsageError(f"{where}: expected a table")
        extra = set(table) - _KEYS
        if extra:
            raise UsageError(f"{where}: unknown key {sorted(extra)[0]!r}")
        for name in _REQUIRED:
            if not isinstance(table.get(name), str) or not table[name].strip():
                raise UsageError(f"{where}.{name}: expected a non-empty string")
        quantiles = {}
        for level, when in (table.get("quantiles") or {}).items():
            q = float(level)
            if not 0 < q < 1:
                raise UsageError(f"{where}.quantiles: level {level} must be in (0, 1)")
            when_year(when, where)
            quantiles[q] = str(when)
        p_by = {}
        for when, p in (table.get("p_by") or {}).items():
            when_year(when, where)
            if not isinstance(p, int | float) or not 0 <= p <= 1:
                raise UsageError(f"{where}.p_by: {p!r} must be a probability")
            p_by[str(when)] = float(p)
        if not quantiles and not p_by:
            raise UsageError(f"{where}: give quantiles or p_by")
        scope = table.get("scope", "world")
        if scope != "world" and scope not in COUNTRIES:
            raise UsageError(f"{where}.scope: 'world' or a country code, got {scope!r}")
        rows.append(
            ExternalForecast(
                id=key,
                source=table["source"],
                citation=table["citation"],
                published=table["published"],
                snapshot=table.get("snapshot"),
                event=table["event"],
                definition=table["definition"],
                maps_to=table["maps_to"],
                mapping=table["mapping"],
                scope=scope,
                quantiles=quantiles,
                p_by=p_by,
                checked=table.get("checked", "secondary"),
            )
        )
    return rows


def _ours_arrival(f: Forecaster, threshold: str, scope: str) -> tuple[np.ndarray, float]:
    options = custom.parse_options(threshold=threshold)
    answer, _ = custom.projection(f, None, options)
    if scope == "world":
        arrival = np.min(np.stack([answer.paths[c].arrival for c in COUNTRIES]), axis=0)
        return arrival, mcstats.effective_size(arrival, f.run.chains)
    return answer.paths[scope].arrival, answer.n_eff[scope]


def external(f: Forecaster | None = None, source: str | None = None) -> dict[str, Any]:
    """The external forecasts, each with ours beside it (when a forecaster is given)."""
    rows = load_external()
    if source is not None:
        rows = [r for r in rows if r.id == source]
        if not rows:
            known = ", ".join(r.id for r in load_external())
            raise UsageError(f"source: unknown external forecast {source!r} (known: {known})")
    out = []
    end = float(f.projector.grid[-1]) if f is not None else None
    for row in rows:
        entry = row.to_dict()
        if f is not None:
            arrival, n_eff = _ours_arrival(f, row.maps_to, row.scope)
            ordered = np.sort(arrival)
            entry["ours"] = {
                "threshold": row.maps_to,
                "scope": row.scope,
                "n_eff": round(n_eff, 1),
                "quantiles": [
                    {"q": q["q"]}
                    | year_entry(*mcstats.quantile_with_mcse(ordered, q["q"], n_eff, ordered=True))
                    for q in entry["quantiles"]
                ],
                "p_by": [],
            }
            for p in entry["p_by"]:
                t = p["year"]
                if end is not None and t > end:
                    entry["ours"]["p_by"].append(
                        {"when": p["when"], "p": None, "mcse": None, "beyond_horizon": True}
                    )
                    continue
                prob, se = mcstats.probability(arrival <= t, n_eff)
                entry["ours"]["p_by"].append(
                    {"when": p["when"], "p": round(prob, 4), "mcse": round(se, 4)}
                )
        out.append(entry)
    return {
        "question": "external",
        "run_id": f.run.id if f is not None else None,
        "structure": f.structure if f is not None else None,
        "note": "Definitions differ from ours (see each row's mapping); 'ours' answers under "
        "the row's mapped threshold, for the earlier of the two countries when the scope is "
        "'world'. Figures marked checked = 'secondary' are as reported by secondary sources.",
        "horizon_end": iso(end) if end is not None else None,
        "forecasts": out,
    }
