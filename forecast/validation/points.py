"""The observations a backtest scores: every frontier record and stock level, on the scoring scale.

What is scored, per country (each record is defined on the full history, as in the fit: a model
is a record if it beat everything before it, ``forecast.data.observations.running_records``):

=========================  =====================================================  ==============
quantity                   observations                                           scale
=========================  =====================================================  ==============
frontier_training_flop     record-setting training runs (FLOP)                    log10 FLOP
frontier_eci               ECI records                                            ECI points
frontier_horizon_minutes   METR 50% horizon records, on each country's suite      log10 minutes
compute_stock_h100e        cumulative H100e per quarter (``country_stock``)       log10 H100e
=========================  =====================================================  ==============

Each country's horizons are on the METR suite its registry entry names
(``REGISTRY[i].metr_suite``: v1.1 for US, v1.0 for CN). The observed stock series is cumulative
from 2022Q1. This module also says which rows a user's extra files added (``extra_keys``), so a
backtest with ``--data`` scores only those.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from forecast.core.definitions import REGISTRY
from forecast.core.timeutil import date_to_year, year_to_date
from forecast.data import tables as data_tables
from forecast.data.observations import (
    COUNTRIES,
    SUITES,
    compute_records,
    country_stock,
    eci_records,
    horizon_records,
)
from forecast.model.equations import LN10

VINTAGE_END: date = data_tables.VINTAGE.date()
"""The last date of the bundled data vintage: cutoff backtests score observations up to it."""
QUANTITIES: tuple[str, ...] = (
    "frontier_training_flop",
    "frontier_eci",
    "frontier_horizon_minutes",
    "compute_stock_h100e",
)
SCALES: dict[str, str] = {
    "frontier_training_flop": "log10 FLOP",
    "frontier_eci": "ECI points",
    "frontier_horizon_minutes": "log10 minutes",
    "compute_stock_h100e": "log10 H100e",
}
LOG10_2 = float(np.log10(2.0))
STOCK_ORIGIN = "2022Q1"  # Epoch's chip-owner series counts from zero at the start of 2022Q1


@dataclass(frozen=True)
class Point:
    """One observation of a scored quantity, on the scoring scale.

    ``value`` is log10 for FLOP, stock and horizons and raw ECI points; ``meas_sd`` is the
    observation's own measurement sd on the same scale (0 where the model has none); ``key``
    identifies the source row (model, "model (suite)" or quarter).
    """

    quantity: str
    country: str
    when: date
    t: float  # decimal year
    value: float
    meas_sd: float
    label: str
    key: str
    suite: str | None = None
    quarter: str | None = None
    h100e: float | None = None  # cumulative stock (compute_stock_h100e only)


def _series_points(
    quantity: str,
    t: np.ndarray,
    values: np.ndarray,
    countries: np.ndarray,
    labels: Sequence[str],
    meas: np.ndarray,
    suites: Sequence[str | None] | None = None,
) -> list[Point]:
    out = []
    for i in range(t.size):
        suite = None if suites is None else suites[i]
        out.append(
            Point(
                quantity=quantity,
                country=COUNTRIES[int(countries[i])],
                when=year_to_date(float(t[i])),
                t=float(t[i]),
                value=float(values[i]),
                meas_sd=float(meas[i]),
                label=str(labels[i]),
                key=str(labels[i]),
                suite=suite,
            )
        )
    return out


def stock_points(levels: pd.DataFrame) -> list[Point]:
    """Cumulative stock per country and quarter (``country_stock`` output) as points."""
    out = []
    for row in levels.sort_values(["country", "date"]).itertuples(index=False):
        when = pd.Timestamp(row.date).date()
        out.append(
            Point(
                quantity="compute_stock_h100e",
                country=str(row.country),
                when=when,
                t=date_to_year(when),
                value=float(np.log10(row.h100e)) if row.h100e > 0 else -math.inf,
                meas_sd=0.0,
                label=str(row.quarter),
                key=str(row.quarter),
                quarter=str(row.quarter),
                h100e=float(row.h100e),
            )
        )
    return out


def observed_points(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, float]
) -> list[Point]:
    """Every scored observation of the full history, with the fit's record definitions."""
    points: list[Point] = []
    f = compute_records(tables["models"], settings)
    points += _series_points(
        "frontier_training_flop", f.t, f.value / LN10, f.country, f.label, f.extra["sd"] / LN10
    )
    r = eci_records(tables["capability_eci"], settings)
    points += _series_points("frontier_eci", r.t, r.value, r.country, r.label, np.zeros(r.n))
    # Every horizon record, also those before ``horizon_fit_start_year`` (the fit leaves them
    # out; the baseline may use them, and no held-out record is that early).
    h = horizon_records(tables["capability_metr"], {**settings, "horizon_fit_start_year": 0.0})
    suites = [SUITES[int(s)] for s in h.extra["suite"]]
    keep = [REGISTRY[int(c)].metr_suite == s for c, s in zip(h.country, suites, strict=True)]
    idx = np.flatnonzero(keep)
    points += _series_points(
        "frontier_horizon_minutes",
        h.t[idx],
        h.value[idx] * LOG10_2,
        h.country[idx],
        [h.label[i] for i in idx],
        h.extra["se"][idx] * LOG10_2,
        [suites[i] for i in idx],
    )
    points += stock_points(country_stock(tables["compute_stock"], settings))
    return points


def extra_keys(
    full: Mapping[str, pd.DataFrame], bundled: Mapping[str, pd.DataFrame]
) -> dict[str, set[tuple[str, str]]]:
    """(country, key) of the rows that the user's files added, per scored quantity.

    Keys match :class:`Point` keys: model names for FLOP and ECI, "model (suite)" for METR and
    the quarter label for stock (a quarter with any new holder row counts for every country).
    """

    def rows(name: str, cols: Sequence[str]) -> set[tuple[str, ...]]:
        return set(full[name][list(cols)].astype(str).itertuples(index=False, name=None)) - set(
            bundled[name][list(cols)].astype(str).itertuples(index=False, name=None)
        )

    metr = rows("capability_metr", ("country", "model", "suite"))
    return {
        "frontier_training_flop": {(c, m) for c, m in rows("models", ("country", "model"))},
        "frontier_eci": {(c, m) for c, m in rows("capability_eci", ("country", "model"))},
        "frontier_horizon_minutes": {(c, f"{m} ({s})") for c, m, s in metr},
        "compute_stock_h100e": {
            (c, q)
            for _, q, _ in rows("compute_stock", ("country", "quarter", "holder"))
            for c in COUNTRIES
        },
    }


def complete_quarters(stock: pd.DataFrame) -> set[str]:
    """Quarters that list every holder group of the table (a country's stock needs them all:
    US counts a share of "other")."""
    holders = set(stock["holder"])
    return {str(q) for q, rows in stock.groupby("quarter") if set(rows["holder"]) == holders}


def quarter_labels(after: str, last: str) -> list[str]:
    """Quarter labels strictly after ``after`` up to and including ``last`` (e.g. 2023Q1)."""
    start, stop = pd.Period(after, freq="Q") + 1, pd.Period(last, freq="Q")
    return [f"{p.year}Q{p.quarter}" for p in pd.period_range(start, stop, freq="Q")]
