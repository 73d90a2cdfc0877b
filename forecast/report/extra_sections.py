"""The report's sections beyond the headline, as JSON-ready numbers: what drives each country's
arrival (variance shares per input group), the arrival under every named threshold, and, for a
report built with a sweep, the headline of each of the sweep's fits.

Drivers and thresholds are answered from the run's stored draws through the library's own
questions (``forecast.questions.drivers`` and ``forecast.questions.custom``), with their default
settings, so the numbers equal ``forecast ask drivers`` and ``forecast ask arrival --threshold``.
The sweep's table (one row per fit) is handed in by the caller as a :class:`SweepTable`; each
fit's run is read from the sweep's run store for its intervals and Monte Carlo errors. A fit that
failed the diagnostics gate is listed apart and never enters the spread across fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forecast.core.definitions import BASELINE_SCENARIO, COUNTRIES, REGISTRY, country_info
from forecast.core.errors import ForecastError
from forecast.questions.forecaster import Forecaster, iso
from forecast.store.runs import RunStore

ARRIVAL_PROB = 0.9
ARRIVAL_QUANTILES: tuple[float, float, float] = (0.05, 0.5, 0.95)
"""The named-threshold and sweep sections state the median and the 90% interval."""

DRIVERS_SUMMARY = (
    "Share of the variance of each country's arrival (on the rank scale) that each input group "
    "explains alone: first-order Sobol indices, estimated by re-projecting the stored draws with "
    "the group kept and every other group taken from another draw (pick-freeze; Sobol 1993, "
    "Saltelli et al. 2008). ± is the bootstrap Monte Carlo error; what the shares leave to 1 is "
    "interaction between the groups."
)
WHISKER_MCSE = 2.0
"""The drivers table's bars carry whiskers of ± this many Monte Carlo errors."""
DEFAULT_THRESHOLD = "default"
"""Name of the row of the prior set's own threshold in the thresholds section."""


# -- drivers ---------------------------------------------------------------------------------------
def drivers_section(forecaster: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """Per country, the share of the arrival's variance each input group explains alone.

    ``estimate`` is the answer of ``forecast ask drivers --country C`` for the same run (same
    permutations, bootstrap and seed); ``share`` is that estimate in [0, 1]: an estimate below 0
    (noise around a zero index) is shown as 0, one above 1 as 1. A failure leaves the section
    empty with a note instead of stopping the report. ``bar`` holds the table's bar (percent of
    the full width): the share and its whisker of ± 2 MC errors, clipped to [0, 100].
    """
    from forecast.questions.drivers import GROUPS, drivers, drivers_table

    try:
        answers = [drivers(forecaster, code, scenario=scenario) for code in COUNTRIES]
    except ForecastError as exc:
        return {"rows": [], "countries": [], "note": f"drivers unavailable: {exc}"}
    rows = []
    for row in drivers_table(answers):
        estimate = row["share"]
        share = min(max(estimate, 0.0), 1.0)
        half = WHISKER_MCSE * (row["mcse"] or 0.0)
        rows.append(
            {
                "country": row["country"],
                "group": row["group"],
                "estimate": estimate,
                "share": share,
                "mcse": row["mcse"],
                "clipped": not 0.0 <= estimate <= 1.0,
                "bar": {
                    "share": round(100 * share, 1),
                    "low": round(100 * min(max(estimate - half, 0.0), 1.0), 1),
                    "high": round(100 * min(max(estimate + half, 0.0), 1.0), 1),
                },
            }
        )
    first = answers[0]
    colours = {c.code: c.colour for c in REGISTRY}
    return {
        "summary": DRIVERS_SUMMARY,
        "method": first["method"],
        "scenario": first["scenario"],
        "quantity": first["quantity"],
        "scale": first["scale"],
        "groups": [{"group": g, "description": d} for g, d in GROUPS.items()],
        "whisker": f"± {WHISKER_MCSE:g} MC errors",
        "rows": rows,
        "countries": [
            {
                "country": a["country"],
                "colour": colours.get(a["country"], "#777777"),
                "draws": a["draws"],
                "sum_of_shares": a["sum_of_shares"],
                "interactions": a["interactions"],
            }
            for a in answers
        ],
        "note": "",
    }


# -- prior sensitivity -----------------------------------------------------------------------------
PSENSE_ROWS = 10
"""Priors listed in the report's sensitivity table (the most influential on an arrival first)."""


def psense_section(forecaster: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """The priors that move the arrivals most, by power-scaling (``forecast priors
    sensitivity``), with MC errors; the rest are counted. A failure leaves a note."""
    from forecast.questions.psense import prior_sensitivity

    try:
        answer = prior_sensitivity(forecaster, scenario)
    except ForecastError as exc:
        return {"rows": [], "note": f"prior sensitivity unavailable: {exc}"}
    rows = answer["priors"][:PSENSE_ROWS]
    informative = [
        r["prior"] for r in answer["priors"] if any(e["informative"] for e in r["arrival"].values())
    ]
    return {
        "method": answer["method"],
        "threshold": answer["threshold"],
        "countries": list(COUNTRIES),
        "rows": rows,
        "shown": len(rows),
        "total": len(answer["priors"]),
        "informative_for_arrival": informative,
        "note": "",
    }


# -- supply channels -------------------------------------------------------------------------------
CHANNEL_DATES = ("2025-11-15", "2026-07-01", "2028-07-01", "2030-07-01")
"""Dates of the report's supply-channel table: the last observed quarter's middle, then three
projected ones."""
CHANNEL_SCENARIOS = ("status_quo", "tightened_controls", "full_embargo")
"""Scenarios the channel table compares (those the scenario file defines)."""


def channels_section(forecaster: Forecaster) -> dict[str, Any]:
    """Each supply channel's additions (H100e/yr) at a few dates under the control scenarios:
    median with its MC error and the 90% interval, as ``forecast ask trajectory --component``."""
    names = [s for s in CHANNEL_SCENARIOS if s in forecaster.scenarios]
    rows = []
    for code in COUNTRIES:
        for comp in country_info(code).components:
            for when in CHANNEL_DATES:
                cells = []
                for name in names:
                    answer = forecaster.trajectory(
                        "chip_additions_h100e_per_year",
                        code,
                        [when],
                        name,
                        (0.05, 0.5, 0.95),
                        component=comp.name,
                    )
                    low, mid, high = answer["points"][0]["quantiles"]
                    cells.append(
                        {"median": mid["value"], "mcse": mid["mcse"], "low": low["value"]}
                        | {"high": high["value"]}
                    )
                rows.append(
                    {"country": code, "channel": comp.name, "date": when, "cells": cells}
                    | {"description": comp.description}
                )
    return {"scenarios": names, "rows": rows, "interval": 0.9}


# -- named thresholds ------------------------------------------------------------------------------
def _arrival_entry(answer: Mapping[str, Any]) -> dict[str, Any]:
    lower, median, upper = answer["quantiles"]
    return {
        "country": answer["country"],
        "median": median,
        "interval": {"prob": ARRIVAL_PROB, "lower": lower, "upper": upper},
        "p_later": answer["p_later"],
        "n_eff": answer["n_eff"],
    }


def thresholds_section(forecaster: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """Median arrival and its 90% interval per country under each named threshold of
    ``priors/thresholds.toml``, after the prior set's own threshold (the headline's).

    Each answer is ``forecast ask arrival --threshold NAME`` for the same run: the stored draws
    with the arrival moved to the first crossing of the named level (no refit).
    """
    from forecast.questions import custom
    from forecast.questions.thresholds import load_thresholds

    name = scenario or BASELINE_SCENARIO
    default = [
        _arrival_entry(forecaster.arrival(c, name, quantiles=ARRIVAL_QUANTILES, cdf=False))
        for c in COUNTRIES
    ]
    rows: list[dict[str, Any]] = [
        {
            "name": DEFAULT_THRESHOLD,
            "label": "the prior set's breakthrough threshold",
            "kind": "horizon50",
            "value": None,
            "unit": "minutes",
            "description": "The prior set's uncertain METR 50% horizon "
            "(threshold_horizon_minutes), one value per draw: the threshold of the headline.",
            "headline": True,
            "countries": default,
        }
    ]
    try:
        table = load_thresholds()
    except ForecastError as exc:
        return {
            "scenario": name,
            "interval_prob": ARRIVAL_PROB,
            "horizon_end": iso(forecaster.projector.grid[-1]),
            "conversion": "",
            "rows": rows,
            "note": f"named thresholds unavailable: {exc}",
        }
    for threshold in table.named.values():
        options = custom.Options(threshold=threshold, factor=table.horizon80_to_horizon50)
        answers = [
            custom.ask(
                forecaster,
                "arrival",
                options,
                scenario=name,
                country=c,
                quantiles=ARRIVAL_QUANTILES,
                cdf=False,
            )
            for c in COUNTRIES
        ]
        spec = threshold.to_dict(table.horizon80_to_horizon50)
        rows.append(
            {
                "name": threshold.name,
                "label": threshold.label,
                "kind": threshold.kind,
                "value": threshold.value,
                "unit": spec["unit"],
                "horizon50_minutes": spec.get("horizon50_minutes"),
                "description": threshold.description,
                "headline": False,
                "countries": [_arrival_entry(a) for a in answers],
            }
        )
    return {
        "scenario": name,
        "interval_prob": ARRIVAL_PROB,
        "horizon_end": iso(forecaster.projector.grid[-1]),
        "conversion": f"80% horizons count as 50% horizons {table.horizon80_to_horizon50:g} "
        "times longer",
        "rows": rows,
        "note": "",
    }


# -- a sweep's fits --------------------------------------------------------------------------------
@dataclass
class SweepTable:
    """A sweep as the report needs it: its id, its tidy table (one row per stored fit, the
    columns of ``forecast.sweeps.tables.columns``) and the run store holding its fits' runs."""

    sweep_id: str
    rows: Sequence[Mapping[str, Any]]
    runs: RunStore | None = None
    state: str | None = None
    registered: int | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)


FIT_FIELDS = ("key", "run_id", "priors", "structure", "cutoff", "data", "seed", "status")


def _from_run(runs: RunStore, run_id: str) -> dict[str, Any]:
    """Median arrival with its 90% interval per country and P(first), from the fit's run."""
    f = Forecaster.from_store(runs, run_id)
    countries = [
        _arrival_entry(f.arrival(c, quantiles=ARRIVAL_QUANTILES, cdf=False)) for c in COUNTRIES
    ]
    race = f.race(within_years=())
    return {"source": "run", "countries": countries, "p_first": race["p_first"]}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _from_table(row: Mapping[str, Any]) -> dict[str, Any]:
    """The table's own numbers (median, P(first)), which carry no interval or MC error."""
    countries = []
    for c in COUNTRIES:
        year = _number(row.get(f"median_arrival_{c.lower()}"))
        later = _number(row.get(f"p_later_{c.lower()}"))
        countries.append(
            {
                "country": c,
                "median": {
                    "date": iso(year) if year is not None else None,
                    "year": year,
                    "later": year is None,
                    "mcse_years": None,
                },
                "interval": None,
                "p_later": {"p": later, "mcse": None},
                "n_eff": None,
            }
        )
    p_first = [
        {"country": c, "p": _number(row.get(f"p_{c.lower()}_first")), "mcse": None}
        for c in COUNTRIES
    ]
    return {"source": "table", "countries": countries, "p_first": p_first}


def _fit_entry(row: Mapping[str, Any], runs: RunStore | None) -> dict[str, Any]:
    entry = {k: row.get(k) for k in FIT_FIELDS}
    entry["gate_pass"] = bool(row.get("gate_pass"))
    entry["gate_failures"] = row.get("gate_failures") or ""
    entry["max_rhat"] = _number(row.get("max_rhat"))
    entry["divergences"] = row.get("divergences")
    note = ""
    answers = None
    if runs is not None and row.get("run_id"):
        try:
            answers = _from_run(runs, str(row["run_id"]))
        except Exception as exc:  # an unreadable fit must not stop the report: say so
            note = f"run not readable ({type(exc).__name__}: {exc}); the table's numbers"
    else:
        note = "no run store given; the table's numbers"
    if answers is None:
        answers = _from_table(row)
        note += ", without interval or Monte Carlo error"
    return entry | answers | {"note": note}


def _spread(fits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Lowest and highest median arrival and P(first) over fits (a range, not an interval)."""
    out: dict[str, Any] = {"fits": len(fits), "countries": []}
    for i, c in enumerate(COUNTRIES):
        medians = [f["countries"][i]["median"] for f in fits]
        years = sorted(m["year"] for m in medians if m["year"] is not None)
        firsts = sorted(f["p_first"][i]["p"] for f in fits if f["p_first"][i]["p"] is not None)
        out["countries"].append(
            {
                "country": c,
                "median_lowest": iso(years[0]) if years else None,
                "median_highest": iso(years[-1]) if years else None,
                "fits_later": sum(1 for m in medians if m["year"] is None),
                "p_first_lowest": firsts[0] if firsts else None,
                "p_first_highest": firsts[-1] if firsts else None,
            }
        )
    return out


def _order(fit: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(fit.get(k) or "") for k in ("priors", "structure", "cutoff", "data", "seed"))


def sweep_section(sweep: SweepTable, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Each fit's headline (median arrival with its 90% interval per country, P(first)), the
    fits that passed the gate and, apart, those that failed; the spread over passed fits only."""
    say = log or (lambda _: None)
    say(f"sweep {sweep.sweep_id}: reading {len(sweep.rows)} fits")
    fits = sorted((_fit_entry(row, sweep.runs) for row in sweep.rows), key=_order)
    passed = [f for f in fits if f["gate_pass"]]
    failed = [f for f in fits if not f["gate_pass"]]
    axes = {
        k: sorted({str(f.get(k)) for f in fits if f.get(k) is not None})
        for k in ("priors", "structure", "cutoff", "data", "seed")
    }
    return {
        "id": sweep.sweep_id,
        "state": sweep.state,
        "registered": sweep.registered,
        "axes": axes,
        "counts": {"fits": len(fits), "passed": len(passed), "failed": len(failed)},
        "interval_prob": ARRIVAL_PROB,
        "scenario": BASELINE_SCENARIO,
        "countries": list(COUNTRIES),
        "fits": passed,
        "failed_fits": failed,
        "spread": _spread(passed),
        "pooled_over": "fits that passed the diagnostics gate only; failed fits are listed "
        "apart and never pooled",
    }
