"""Scoring new observations against the current run; the surprising ones become alerts.

Each stored row of a scorable table is turned into a :meth:`Forecaster.surprise` question for its
own country: ``models`` -> ``frontier_training_flop`` (``training_flop``), ``capability_eci`` ->
``frontier_eci`` (``eci``), ``capability_metr`` suite v1.1 -> ``frontier_horizon_minutes``
(``p50_minutes``). Other tables (chip stock by holder, hardware, estimates, export controls) and
METR v1.0 rows have no matching predictive quantity and are not scored.

The percentile is P(a record model at that date would score at most the value). Above the 95th
it is an alert (the row beats the predicted frontier); below the 5th only for rows that claim to
be frontier (``models.frontier``), since most models sit below the record trend by design.

``strains`` names the priors of the quantity's equation (a fixed table, not a computed
sensitivity): the structure a surprise pushes against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecast.core.errors import ForecastError
from forecast.questions.forecaster import Forecaster
from forecast.store.alerts import AlertStore
from forecast.store.runs import RunNotFoundError, RunStore

LOW, HIGH = 5.0, 95.0
"""Percentiles beyond which a new observation becomes an alert."""

SCORED: dict[str, tuple[str, str]] = {
    "models": ("frontier_training_flop", "training_flop"),
    "capability_eci": ("frontier_eci", "eci"),
    "capability_metr": ("frontier_horizon_minutes", "p50_minutes"),
}
"""Table -> (trajectory quantity, column holding the value)."""

STRAINS = {
    "frontier_training_flop": "frontier_flop_per_h100e_{cc} and frontier_share_drift_{cc} "
    "(largest run per chip stock), with frontier_noise",
    "frontier_eci": "frontier_eci_2025, capability_per_oom and efficiency_rate (the ECI trend), "
    "with eci_record_noise",
    "frontier_horizon_minutes": "horizon_at_eci150_v11 and horizon_doublings_per_eci_v11 "
    "(the horizon-ECI link), with horizon_noise",
}


@dataclass
class Score:
    """One scored observation; ``alert`` when beyond the percentile bounds."""

    observation_id: int | None
    table: str
    label: str
    quantity: str
    date: str
    value: float
    country: str
    percentile: float
    mcse: float
    trend_median: float
    run_id: str
    alert: bool
    tail: str
    strains: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One line: what was observed and how far outside the predictive it is."""
        side = "above" if self.tail == "high" else "below"
        return (
            f"{self.table} {self.label!r} ({self.country}, {self.date}): {self.value:g} is at "
            f"the {self.percentile:g}th percentile of run {self.run_id}'s predictive for "
            f"{self.quantity} (trend median {self.trend_median:g}), {side} the "
            f"{HIGH if self.tail == 'high' else LOW:g}th; strains {self.strains}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields an alert is stored with."""
        return {
            "run_id": self.run_id,
            "observation_id": self.observation_id,
            "table": self.table,
            "label": self.label,
            "quantity": self.quantity,
            "date": self.date,
            "value": self.value,
            "country": self.country,
            "percentile": self.percentile,
            "tail": self.tail,
            "strains": self.strains,
            "message": self.message,
            "detail": {"mcse": self.mcse, "trend_median": self.trend_median, **self.detail},
        }


def question_for(table: str, cells: Mapping[str, str]) -> tuple[str, str, float, str] | None:
    """(quantity, date, value, country) of a row, or None when the row is not scorable."""
    if table not in SCORED:
        return None
    if table == "capability_metr" and cells.get("suite") != "v1.1":
        return None
    quantity, column = SCORED[table]
    text, when, country = cells.get(column, ""), cells.get("date", ""), cells.get("country", "")
    if not text or not when or not country:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return quantity, when, value, country


def score_rows(
    forecaster: Forecaster, table: str, rows: Sequence[tuple[int | None, Mapping[str, str]]]
) -> list[Score]:
    """Every scorable row's percentile against ``forecaster``'s run (the baseline scenario)."""
    out: list[Score] = []
    for obs_id, cells in rows:
        asked = question_for(table, cells)
        if asked is None:
            continue
        quantity, when, value, country = asked
        label = cells.get("model") or str(obs_id)
        try:
            answer = forecaster.surprise(quantity, when, value, countries=[country], label=label)
        except ForecastError:  # e.g. a date outside the run's range: not scorable
            continue
        row = answer["against"][0]
        pct = float(row["percentile"])
        frontier = table == "models" and cells.get("frontier") == "true"
        tail = "high" if pct > HIGH else "low" if (pct < LOW and frontier) else ""
        out.append(
            Score(
                observation_id=obs_id,
                table=table,
                label=label,
                quantity=quantity,
                date=when,
                value=value,
                country=row["country"],
                percentile=pct,
                mcse=float(row["mcse"]),
                trend_median=float(row["trend_median"]),
                run_id=forecaster.run.id,
                alert=bool(tail),
                tail=tail or ("high" if pct >= 50 else "low"),
                strains=STRAINS[quantity].format(cc=row["country"].lower()),
                detail={"log10_ratio_to_trend": row.get("log10_ratio_to_trend")},
            )
        )
    return out


def score_and_record(
    table: str,
    rows: Sequence[tuple[int | None, Mapping[str, str]]],
    home: Path | None = None,
    forecaster: Forecaster | None = None,
) -> list[dict[str, Any]]:
    """Score new rows against the current run of ``home`` and store the alerts; returns them
    (as stored, with ids). No current run or nothing scorable: no alerts."""
    if table not in SCORED or not rows:
        return []
    if forecaster is None:
        try:
            forecaster = Forecaster.from_store(RunStore(home) if home is not None else None)
        except RunNotFoundError:
            return []
    alerts = AlertStore.at_home(home)
    return [alerts.add(s.to_dict()) for s in score_rows(forecaster, table, rows) if s.alert]
