"""The report's sections as JSON-ready numbers: headline answers, the race, diagnostics, the data
appendix and the model card, each read straight from a loaded run (``Forecaster``) and its
metadata, so every printed number equals the library's answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from forecast.core.errors import ForecastError
from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster, iso

HEADLINE_BY: tuple[str, ...] = ("2027-12-31", "2030-12-31", "2035-12-31")
INTERVAL_PROB = 0.8
INTERVAL_QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)

DATA_SOURCES: tuple[dict[str, str], ...] = (
    {
        "name": "Epoch AI, Data on AI Models",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/ai-models",
        "tables": "models",
    },
    {
        "name": "Epoch AI, AI Chip Owners",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/ai-chip-owners",
        "tables": "compute_stock",
    },
    {
        "name": "Epoch AI, Epoch Capabilities Index",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/eci",
        "tables": "capability_eci",
    },
    {
        "name": "Epoch AI, Machine Learning Hardware",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/machine-learning-hardware",
        "tables": "hardware",
    },
    {
        "name": "METR, time horizons",
        "licence": "cite METR",
        "url": "https://metr.org/time-horizons/",
        "tables": "capability_metr",
    },
    {
        "name": "Published estimates and export-control events (papers, Epoch data insights, "
        "CNAS, SemiAnalysis, Federal Register / BIS, GAO, news reports), one source per row",
        "licence": "our one-line summaries, each row citing its publication",
        "url": "",
        "tables": "estimates, export_controls",
    },
)
TABLE_SOURCES = {
    "models": "Epoch AI, Data on AI Models: US and CN models 2018-2025 with training compute",
    "compute_stock": "Epoch AI, AI Chip Owners: holder groups x quarters, 2022Q1-2025Q4",
    "capability_eci": "Epoch Capabilities Index: one row per scored US or CN model",
    "capability_metr": "METR time horizons, suites v1.0 and v1.1, with 95% intervals",
    "hardware": "Epoch AI, ML Hardware",
    "estimates": "published trend estimates used to set priors",
    "export_controls": "dated export-control events (scenario levers)",
}


# -- headline answers ------------------------------------------------------------------------------
def headline_section(forecaster: Forecaster, scenarios: Sequence[str]) -> dict[str, Any]:
    """P(by each headline date) and median arrival with its 80% interval, per country and
    scenario: each number straight from the ``Forecaster`` answers, with its MC error."""
    rows = []
    for scenario in scenarios:
        for code in COUNTRIES:
            arrival = forecaster.arrival(code, scenario, quantiles=INTERVAL_QUANTILES, cdf=False)
            lower, median, upper = arrival["quantiles"]
            p_by = []
            for by in HEADLINE_BY:
                answer = forecaster.probability(code, by, scenario)
                p_by.append({"by": answer["by"], "p": answer["p"], "mcse": answer["mcse"]})
            rows.append(
                {
                    "country": code,
                    "scenario": scenario,
                    "p_by": p_by,
                    "median": median,
                    "interval": {"prob": INTERVAL_PROB, "lower": lower, "upper": upper},
                    "p_later": arrival["p_later"],
                    "n_eff": arrival["n_eff"],
                }
            )
    return {
        "by_dates": list(HEADLINE_BY),
        "interval_prob": INTERVAL_PROB,
        "horizon_end": iso(forecaster.projector.grid[-1]),
        "rows": rows,
    }


def race_section(forecaster: Forecaster, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """Who first, per scenario, with the median gap and its 80% interval (CN minus US)."""
    out = []
    for scenario in scenarios:
        race = forecaster.race(scenario, quantiles=INTERVAL_QUANTILES)
        lower, median, upper = race["gap_quantiles"]
        out.append(
            {
                "scenario": scenario,
                "p_cn_first": race["p_cn_first"],
                "p_us_first": race["p_us_first"],
                "p_neither_by_horizon": race["p_neither_by_horizon"],
                "p_gap_within": race["p_gap_within"],
                "gap_median": median,
                "gap_interval": {"prob": INTERVAL_PROB, "lower": lower, "upper": upper},
                "n_eff": race["n_eff"],
            }
        )
    return out


def headline_metrics(
    headline: Mapping[str, Any], race: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every headline figure as key -> {label fields, value, mcse} (the rows of 'what changed')."""
    out: dict[str, dict[str, Any]] = {}
    for row in headline["rows"]:
        base = {"country": row["country"], "scenario": row["scenario"]}
        for p in row["p_by"]:
            out[f"{row['country']}/{row['scenario']}/p_by_{p['by']}"] = base | {
                "figure": f"P(by {p['by']})",
                "unit": "probability",
                "value": p["p"],
                "mcse": p["mcse"],
            }
        m = row["median"]
        out[f"{row['country']}/{row['scenario']}/median"] = base | {
            "figure": "median arrival",
            "unit": "years",
            "value": m["year"],
            "mcse": m["mcse_years"],
            "date": m["date"],
        }
    for r in race:
        out[f"race/{r['scenario']}/p_cn_first"] = {
            "country": "race",
            "scenario": r["scenario"],
            "figure": "P(CN first)",
            "unit": "probability",
            "value": r["p_cn_first"]["p"],
            "mcse": r["p_cn_first"]["mcse"],
        }
    return out


# -- diagnostics, data, model card -----------------------------------------------------------------
def diagnostics_section(meta: Mapping[str, Any]) -> dict[str, Any]:
    """R-hat, ESS, divergences, sampler, timings and the gate, from the run's metadata."""
    from forecast.fit.sampling import Gate

    diag = meta["diagnostics"]
    gate = meta.get("gate", {})
    return {
        "status": meta["status"],
        "gate": gate,
        "gate_failures": meta.get("gate_failures", []),
        "default_gate": asdict(Gate()),
        "quick": gate != asdict(Gate()),
        "max_rhat": diag["max_rhat"],
        "min_ess_bulk": diag["min_ess_bulk"],
        "min_ess_tail": diag["min_ess_tail"],
        "divergences": diag["divergences"],
        "parameters": diag.get("parameters", {}),
        "sampler": meta["sampler"],
        "wall_seconds": meta.get("wall_seconds"),
        "compile_seconds": meta.get("compile_seconds"),
        "sampling_seconds": meta.get("sampling_seconds"),
        "libraries": meta.get("libraries", {}),
    }


def data_section(meta: Mapping[str, Any], tables: Mapping[str, Any]) -> dict[str, Any]:
    """Sources, licences, vintage and row counts (bundled tables), and the run's data."""
    from forecast.data.tables import VINTAGE

    return {
        "vintage": VINTAGE.date().isoformat(),
        "sources": [dict(s) for s in DATA_SOURCES],
        "tables": [
            {"table": name, "rows": len(frame), "source": TABLE_SOURCES.get(name, "")}
            for name, frame in tables.items()
        ],
        "run_data_hash": meta["data_hash"],
        "run_extra_data": list(meta.get("extra_data") or []),
        "run_cutoff": meta.get("cutoff"),
        "data_end": meta["data_end"],
        "observations": meta["observations"],
    }


MODEL_EQUATIONS: tuple[str, ...] = (
    "Chip additions (H100e/yr): ln A_c(t) = ln A_c + g_c (t - 2025), fitted to Epoch's quarterly "
    "chip-owner additions with AR(1) errors; stock S_c(t) is their integral from 2012.",
    "Frontier training compute (FLOP): ln F_c(t) = ln k_c + ln S_c(t) + d_c (min(t, t_end) - "
    "2025), observed through each country's record-setting training runs.",
    "Effective compute: log10 E_c(t) = log10 F_c(t) + lambda (t - 2025 - lag_c), lambda the "
    "capability-relevant algorithmic efficiency growth (OOM/yr), lag_c China's efficiency lag.",
    "Capability (ECI): C_c(t) = c_f + beta [eps (log10 F_c(t) - 26) + lambda (t - 2025 - lag_c)], "
    "measured by ECI records, the ECI/compute cross-section and METR 50% horizon records.",
    "Threshold: C* = 150 + (log2 H* - log2 h_v1.1) / m_v1.1, with H* the threshold horizon "
    "(default: median one work-month, 167 h).",
    "Projection: additions' growth slows from g_c to g_inf (e-folding tau); the capability slope "
    "carries a random walk; scenarios act on additions, their growth and lambda from a start "
    "date. Arrival T_c is the first crossing of C* (draws that never cross by 2060 are 'later').",
)
MODEL_LIMITS: tuple[str, ...] = (
    "China's additions jump in 2024Q1 when Epoch starts tracking Huawei and smuggled chips; the "
    "fitted CN growth rate is very uncertain.",
    "Stock before 2022 is extrapolated from the 2022-2025 additions trend.",
    "METR records use the country's frontier capability at the release date, not the model's "
    "own ECI; Chinese models are measured on METR v1.0 only.",
    "ECI has only 116 distinct US/CN models; the cross-section has 73.",
    "Effective-compute and capability links are log-linear; saturation is not modelled beyond "
    "the slope random walk.",
    "The Chinese horizon offset is treated as a measurement effect.",
)


def parameter_units(name: str) -> dict[str, str]:
    """Units of the parameters from the current file of a prior set (labels only; empty if the
    set cannot be loaded). Used when the run's own prior file is gone."""
    from forecast.priors.priorset import load_prior_set

    try:
        prior_set = load_prior_set(name)
    except ForecastError:
        return {}
    return {key: prior.unit for key, prior in prior_set.priors.items()}


def model_card_section(
    meta: Mapping[str, Any],
    prior_set: Any | None,
    prior_note: str,
    draws: Mapping[str, Any],
    units: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Equations in brief, the prior set (name, hash, key priors), key posteriors, limits."""
    from forecast.report.figures_base import KEY_PARAMETERS

    priors = []
    for key in KEY_PARAMETERS:
        entry: dict[str, Any] = {"key": key, "unit": (units or {}).get(key)}
        if prior_set is not None and key in prior_set.priors:
            d = prior_set.priors[key].to_dict()
            entry |= {
                "dist": d["dist"],
                "interval": d["interval"],
                "prob": d["prob"],
                "unit": d["unit"],
                "description": d["description"],
            }
        if key in draws:
            values = np.asarray(draws[key], dtype=float)
            entry["posterior"] = {
                "median": float(np.median(values)),
                "interval": [float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))],
                "prob": 0.9,
            }
        priors.append(entry)
    return {
        "model": f"{meta['model_type']} {meta['model_version']}",
        "equations": list(MODEL_EQUATIONS),
        "prior_set": {
            "name": meta["prior_set"]["name"],
            "hash": meta["prior_set"]["hash"],
            "description": prior_set.description if prior_set is not None else None,
            "available": prior_set is not None,
            "note": prior_note,
        },
        "key_priors": priors,
        "limits": list(MODEL_LIMITS),
    }


def alerts_section(home: Any, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """Alerts (new observations beyond the 5th/95th percentile) since the previous report."""
    from forecast.store.alerts import AlertStore

    since = previous.get("created") if previous else None
    try:
        items = AlertStore.at_home(home).since(since)
    except Exception as exc:  # a missing or unreadable database must not stop a report
        return {"since": since, "items": [], "note": f"alerts could not be read: {exc}"}
    keep = ("id", "created", "table", "label", "country", "date", "quantity", "value")
    return {
        "since": since,
        "items": [
            {k: a[k] for k in keep} | {"percentile": a["percentile"], "message": a["message"]}
            for a in items
        ],
        "note": "",
    }


def external_section(forecaster: Forecaster) -> dict[str, Any]:
    """Others' forecasts (``priors/external_forecasts.toml``) beside ours, for the report.

    Each row: the source, publication date, event, the threshold of ours it maps to, how the
    definitions differ, and per stated quantile or probability theirs and ours (under the mapped
    threshold; the earlier country for forecasts about anyone). A broken file leaves the section
    empty with a note rather than stopping the report.
    """
    from forecast.questions.external import external

    try:
        answer = external(forecaster)
    except ForecastError as exc:
        return {"rows": [], "note": f"external forecasts unavailable: {exc}"}
    rows = []
    for r in answer["forecasts"]:
        ours = r["ours"]
        points = []
        for theirs, mine in zip(r["quantiles"], ours["quantiles"], strict=True):
            shown = "later" if mine["later"] else mine["date"]
            points.append(
                {"what": f"{theirs['q']:.0%} quantile", "theirs": theirs["when"], "ours": shown}
            )
        for theirs, mine in zip(r["p_by"], ours["p_by"], strict=True):
            shown = "beyond horizon" if mine["p"] is None else f"{mine['p']:.2f}"
            points.append(
                {"what": f"P(by {theirs['when']})", "theirs": f"{theirs['p']:.2f}", "ours": shown}
            )
        rows.append(
            {
                "id": r["id"],
                "source": r["source"],
                "published": r["published"],
                "snapshot": r["snapshot"],
                "event": r["event"],
                "maps_to": r["maps_to"],
                "scope": r["scope"],
                "mapping": r["mapping"],
                "checked": r["checked"],
                "points": points,
            }
        )
    return {"rows": rows, "note": answer["note"]}
