"""Model structures as answers: which structures a run holds and how the data weigh them, each
scenario's effect under every structure, and where the race's uncertainty comes from.

A run holds every structure of the chips-to-capability channel
(``forecast.core.definitions.STRUCTURES``), each fitted to the same data, with weights from
stacking of held-out (leave-future-out) predictive densities, of leave-one-out ones, or stated
by the prior set. Answers use the
weighted mixture by default; the functions here put the structures side by side, so a reader can
see when a headline is a modelling assumption rather than a finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO, MIXTURE, structure_info
from forecast.data.observations import COUNTRIES
from forecast.model.projection import NOISE_SOURCES
from forecast.priors.scenarios import get_scenario
from forecast.questions.forecaster import Forecaster, first_indicators, projector_for

LOO_NOTE = (
    "PSIS-LOO stacking uses the capability observations (compute, ECI and METR records, record "
    "gaps, the ECI cross-section), which are independent given the parameters; the chip-stock "
    "series is left out (an AR(1) series: leaving one quarter out would need leave-future-out) "
    "and so are the supply-channel ratios (the same in every structure). Pareto k above 0.7 "
    "marks observations whose LOO estimate is unreliable."
)
LFO_NOTE = (
    "The weights are leave-future-out: each structure was refitted on the data up to the "
    "holdout cutoff and scored on the later capability observations, because leave-one-out "
    "treats the record series as exchangeable and so rewards interpolation rather than "
    "forecasting. The PSIS-LOO weights are shown beside them (loo_weight). "
)


def structures(f: Forecaster) -> dict[str, Any]:
    """The run's structures: name, one-line description, equation, weight, gate status and
    diagnostics, and the stacking diagnostics (elpd_loo, its standard error, the difference from
    the best structure and Pareto k)."""
    run = f.full_run
    record = run.meta.get("structure_weights") or {"method": "single structure"}
    per = record.get("per_structure") or {}
    lfo_record = record.get("leave_future_out") or {}
    lfo_per = lfo_record.get("per_structure") or {}
    loo_weights = record.get("loo_weights") or {}
    rows = []
    for entry in run.structures:
        info = structure_info(entry["name"])
        diag = entry.get("diagnostics") or run.meta.get("diagnostics", {})
        loo = per.get(info.name)
        lfo = lfo_per.get(info.name)
        rows.append(
            {
                "structure": info.name,
                "description": info.description,
                "equation": info.equation,
                "weight": round(float(entry.get("weight", 1.0)), 4),
                "status": entry.get("status", run.meta.get("status")),
                "gate_failures": list(entry.get("gate_failures", [])),
                "diagnostics": {
                    "max_rhat": _round(diag.get("max_rhat"), 4),
                    "min_ess_bulk": _round(diag.get("min_ess_bulk"), 0),
                    "divergences": diag.get("divergences"),
                },
                "loo": None
                if loo is None
                else {k: _round(v, 3) if isinstance(v, float) else v for k, v in loo.items()},
                "loo_weight": _round(loo_weights.get(info.name), 4),
                "lfo": None
                if lfo is None
                else {
                    k: _round(v, 3) if isinstance(v, float) else v
                    for k, v in lfo.items()
                    if k != "holdout_fit"
                }
                | {"holdout_fit": _holdout_diagnostics(lfo.get("holdout_fit") or {})},
            }
        )
    holdout = None
    if lfo_record:
        holdout = {
            "cutoff": lfo_record.get("cutoff"),
            "n_observations": lfo_record.get("n_observations"),
            "used": bool(loo_weights),
            "note": lfo_record.get("note"),
        }
    note = None
    if per:
        note = (LFO_NOTE if holdout and holdout["used"] else "") + LOO_NOTE
    return {
        "question": "structures",
        "run_id": run.id,
        "method": record.get("method"),
        "blocks": record.get("blocks"),
        "holdout": holdout,
        "note": note,
        "structures": rows,
    }


def _holdout_diagnostics(diag: dict[str, Any]) -> dict[str, Any]:
    """The holdout refit's worst R-hat, smallest bulk ESS, divergences and gate failures."""
    return {
        "max_rhat": _round(diag.get("max_rhat"), 4),
        "min_ess_bulk": _round(diag.get("min_ess_bulk"), 0),
        "divergences": diag.get("divergences"),
        "gate_failures": list(diag.get("gate_failures") or []),
    }


def _round(value: Any, digits: int) -> Any:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits) if digits else round(float(value))


def draw_sets(f: Forecaster) -> list[tuple[str, float]]:
    """The mixture and every fitted structure, with its weight (1 for the mixture)."""
    out = [(MIXTURE, 1.0)]
    out += [(e["name"], float(e.get("weight", 1.0))) for e in f.full_run.structures]
    return out if len(out) > 2 else out[1:]


def scenario_effects(f: Forecaster, scenarios: Sequence[str] | None = None) -> dict[str, Any]:
    """Every scenario's effect on every country under the mixture and each structure: the shift
    of its median arrival (years, with MC error) and of P(it is first), against the status quo."""
    names = list(scenarios) if scenarios else [n for n in f.scenarios if n != BASELINE_SCENARIO]
    rows = []
    for draw_set, weight in draw_sets(f):
        g = f.for_structure(draw_set)
        race = g.race(None)
        first = {row["country"]: row for row in race["p_first"]}
        for name in names:
            effects = []
            for c in COUNTRIES:
                d = g.difference("arrival", name, BASELINE_SCENARIO, country=c, quantiles=(0.5,))
                median = d["quantile_shift"][0]
                effects.append(
                    {
                        "country": c,
                        "median_shift_years": median["delta_years"],
                        "median_shift_mcse": median["mcse_years"],
                        "p_first_status_quo": first[c]["p"],
                        "p_first_status_quo_mcse": first[c]["mcse"],
                        "p_first_shift": d["p_first"]["delta"],
                        "p_first_shift_mcse": d["p_first"]["mcse"],
                    }
                )
            rows.append(
                {"structure": draw_set, "weight": round(weight, 4), "scenario": name}
                | {"countries": effects}
            )
    return {
        "question": "scenario_effects",
        "run_id": f.run.id,
        "versus": BASELINE_SCENARIO,
        "rows": rows,
    }


SOURCE_LABELS = {
    "slope": "random walk in the capability slope",
    "shocks": "race shocks (each country's records about its frontier)",
    "regimes": "breaks in the capability trend (slowdown or acceleration, common to all)",
}


def race_sources(f: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """Where P(each country first) comes from: the race with the projection's own randomness
    switched off source by source, and each source's share (a two-factor Shapley split of the
    change from the fitted parameters alone to the full answer, over the orders the sources can be
    switched on)."""
    sc = get_scenario(scenario or BASELINE_SCENARIO, f.scenarios)
    run = f.run
    p: dict[frozenset[str], dict[str, tuple[float, float]]] = {}
    for size in range(len(NOISE_SOURCES) + 1):
        for sources in _subsets(NOISE_SOURCES, size):
            proj = f.projector if sources == NOISE_SOURCES else projector_for(run, sources=sources)
            first = first_indicators({c: proj.country(c, sc).arrival for c in COUNTRIES})
            p[sources] = {
                c: mcstats.probability(first[c], mcstats.effective_size(first[c], run.chains))
                for c in COUNTRIES
            }
    none, full = frozenset(), NOISE_SOURCES
    rows = []
    for c in COUNTRIES:
        shares = {}
        for src in sorted(NOISE_SOURCES):
            shares[src] = round(shapley(src, {k: v[c][0] for k, v in p.items()}), 4)
        rows.append(
            {
                "country": c,
                "p_first": _estimate(p[full][c]),
                "parameters_only": _estimate(p[none][c]),
                "without": {src: _estimate(p[full - {src}][c]) for src in sorted(NOISE_SOURCES)},
                "added_by": shares,
            }
        )
    by_structure = [
        {"structure": name, "weight": round(w, 4)}
        | {
            "p_first": {
                row["country"]: {"p": row["p"], "mcse": row["mcse"]}
                for row in f.for_structure(name).race(scenario)["p_first"]
            }
        }
        for name, w in draw_sets(f)
        if name != MIXTURE
    ]
    return {
        "question": "race_sources",
        "run_id": run.id,
        "structure": f.structure,
        "scenario": scenario or BASELINE_SCENARIO,
        "sources": SOURCE_LABELS,
        "countries": rows,
        "by_structure": by_structure,
        "method": "P(first) recomputed with each source of projection randomness switched off "
        "(same draws and random numbers); added_by splits P(first) minus P(first | fitted "
        "parameters only) between the sources, averaging each source's effect over the orders in "
        "which it can be added (Shapley). by_structure gives P(first) under each structure.",
    }


def shapley(source: str, value: dict[frozenset[str], float]) -> float:
    """Shapley share of ``source`` in ``value(all) - value(none)``: its marginal effect averaged
    over every order in which the sources can be switched on."""
    from math import factorial

    players = max(value, key=len)
    n = len(players)
    out = 0.0
    for subset, v in value.items():
        if source in subset:
            continue
        weight = factorial(len(subset)) * factorial(n - len(subset) - 1) / factorial(n)
        out += weight * (value[subset | {source}] - v)
    return out


def _estimate(pair: tuple[float, float]) -> dict[str, float]:
    return {"p": round(pair[0], 4), "mcse": round(pair[1], 4)}


def _subsets(items: frozenset[str], size: int) -> list[frozenset[str]]:
    from itertools import combinations

    return [frozenset(c) for c in combinations(sorted(items), size)]
