"""The report's structures section, as JSON-ready numbers and generated text.

A run holds several model structures of how chips become capability
(``forecast.core.definitions.STRUCTURES``), each fitted to the same data and weighed by stacking
of held-out (leave-future-out) predictive densities, of PSIS-LOO ones, or by the prior set. This
section puts them side by side from the library's own answers
(``forecast.questions.structures``):

- the structures: name, one-line description, weight, gate status, the held-out elpd ± se and
  the LOO weight (when the weights are leave-future-out), elpd_loo ± se, the elpd difference from
  the best structure ± its standard error, and the largest Pareto k with the count above 0.7,
  with the method note (:func:`structures`);
- every scenario's effect on every country, under the mixture and each structure: the median
  arrival shift and the shift of P(first), each with its MC error (:func:`scenario_effects`);
- the race decomposition: P(first) with the projection's randomness sources (slope random walk,
  race shocks, trend breaks: whatever ``race_sources`` lists) switched off one at a time, their
  Shapley split, and P(first) under each structure (:func:`race_sources`);
- a plain-language paragraph written from those numbers (:func:`structures_summary`): whether
  the data tell the structures apart, and which structure moves the export-control effect most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forecast.core.definitions import MIXTURE
from forecast.core.errors import ForecastError
from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster

DISTINCT_SE = 2.0
"""An elpd difference within this many standard errors of the best structure counts as not
distinguished by the data."""
CONTROL_SCENARIO = "tightened_controls"
"""The export-control scenario the summary paragraph speaks about."""
CONTROL_COUNTRY = "CN"
"""The country the export controls act on."""
PARETO_K_LIMIT = 0.7
"""Pareto k above which a PSIS-LOO term is unreliable (as in ``forecast.fit.stacking``)."""


def structure_rows(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One table row per structure from ``structures(f)``: the LOO and leave-future-out
    statistics flattened (None where the run holds no such comparison)."""
    rows = []
    for s in answer["structures"]:
        loo = s.get("loo") or {}
        lfo = s.get("lfo") or {}
        rows.append(
            {
                "structure": s["structure"],
                "description": s["description"],
                "equation": s["equation"],
                "weight": s["weight"],
                "status": s["status"],
                "gate_failures": list(s.get("gate_failures") or []),
                "elpd_loo": loo.get("elpd_loo"),
                "se": loo.get("se"),
                "elpd_diff": loo.get("elpd_diff"),
                "dse": loo.get("dse"),
                "pareto_k_max": loo.get("pareto_k_max"),
                "n_pareto_k_high": loo.get("n_pareto_k_above_0_7"),
                "n_observations": loo.get("n_observations"),
                "loo_weight": s.get("loo_weight"),
                "elpd_lfo": lfo.get("elpd_lfo"),
                "lfo_se": lfo.get("se"),
                "lfo_diff": lfo.get("elpd_diff"),
                "lfo_dse": lfo.get("dse"),
                "n_held_out": lfo.get("n_observations"),
            }
        )
    return rows


def distinguished(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Which structures the data set apart from the best one (elpd difference beyond
    :data:`DISTINCT_SE` standard errors) and which they cannot; ``None`` without LOO."""
    with_loo = [r for r in rows if r.get("elpd_diff") is not None and r.get("dse") is not None]
    if len(with_loo) < 2:
        return {"available": False}
    best = next((r for r in with_loo if r["elpd_diff"] == 0), None) or max(
        with_loo, key=lambda r: r["elpd_loo"]
    )
    others = [r for r in with_loo if r is not best]
    apart = [r for r in others if abs(r["elpd_diff"]) > DISTINCT_SE * (r["dse"] or 0.0)]
    close = [r for r in others if r not in apart]
    largest = max(others, key=lambda r: abs(r["elpd_diff"]))
    return {
        "available": True,
        "best": best["structure"],
        "apart": [r["structure"] for r in apart],
        "close": [r["structure"] for r in close],
        "largest": {
            "structure": largest["structure"],
            "elpd_diff": largest["elpd_diff"],
            "dse": largest["dse"],
        },
    }


def _effect(rows: Sequence[Mapping[str, Any]], draw_set: str, scenario: str, country: str) -> Any:
    for row in rows:
        if row["structure"] == draw_set and row["scenario"] == scenario:
            return next(c for c in row["countries"] if c["country"] == country)
    return None


def control_effect(
    effects: Mapping[str, Any], scenario: str = CONTROL_SCENARIO, country: str = CONTROL_COUNTRY
) -> dict[str, Any] | None:
    """The export-control scenario's effect on ``country`` under the mixture and each structure,
    and the structures that move its median arrival most and least."""
    rows = effects["rows"]
    per = [
        (r["structure"], _effect(rows, r["structure"], scenario, country))
        for r in rows
        if r["scenario"] == scenario and r["structure"] != MIXTURE
    ]
    per = [(name, e) for name, e in per if e is not None and e["median_shift_years"] is not None]
    if not per:
        return None
    most = max(per, key=lambda p: abs(p[1]["median_shift_years"]))
    least = min(per, key=lambda p: abs(p[1]["median_shift_years"]))
    mixed = _effect(rows, MIXTURE, scenario, country) or (most[1] if len(per) == 1 else None)
    spread = abs(most[1]["median_shift_years"] - least[1]["median_shift_years"])
    noise = (most[1]["median_shift_mcse"] or 0.0) + (least[1]["median_shift_mcse"] or 0.0)
    return {
        "scenario": scenario,
        "country": country,
        "mixture": mixed,
        "most": {"structure": most[0]} | most[1],
        "least": {"structure": least[0]} | least[1],
        "spread_years": spread,
        "beyond_noise": spread > DISTINCT_SE * noise,
    }


SOURCE_NAMES = {
    "slope": "the slope random walk",
    "shocks": "the race shocks",
    "regimes": "trend breaks",
}
"""Short names of the projection's randomness sources in the paragraph (else their labels)."""


def _and(items: Sequence[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _years(value: float | None, mcse: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.2f} +/- {(mcse or 0.0):.2f} years"


def _prob(value: float | None, mcse: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.3f} +/- {(mcse or 0.0):.3f}"


def structures_summary(
    table: Mapping[str, Any], effects: Mapping[str, Any], race: Mapping[str, Any] | None
) -> str:
    """A plain-language paragraph written from the numbers: the weights, whether the data tell
    the structures apart, which structure moves the export-control effect most, and where the
    race's uncertainty comes from.

    Every branch carries the same numbers in the same order, so the README card's numbers can be
    checked token by token against a fresh fit whatever the branch.
    """
    rows = structure_rows(table)
    parts: list[str] = []
    ranked = sorted(rows, key=lambda r: -r["weight"])
    weights = ", ".join(f"{r['structure']} {r['weight']:.2f}" for r in ranked)
    method = table.get("method") or "single structure"
    if len(rows) == 1:
        parts.append(f"This run holds one structure, {rows[0]['structure']} (weight 1).")
    else:
        parts.append(f"Weights, by {method}: {weights}.")
    holdout = table.get("holdout") or {}
    held = [r for r in rows if r.get("elpd_lfo") is not None]
    if holdout.get("used") and len(held) > 1:
        best = max(held, key=lambda r: r["elpd_lfo"])
        worst = min(held, key=lambda r: r["elpd_lfo"])
        loo = ", ".join(
            f"{r['structure']} {r['loo_weight']:.2f}"
            for r in rows
            if r.get("loo_weight") is not None
        )
        parts.append(
            f"Refitted on the data to {holdout['cutoff']} and scored on the "
            f"{holdout['n_observations']} capability observations after it, {best['structure']} "
            f"predicted best and {worst['structure']} worst (held-out elpd difference "
            f"{worst['lfo_diff']:+.1f} +/- {worst['lfo_dse']:.1f}); stacking of leave-one-out "
            f"densities, which rewards interpolating the records rather than forecasting them, "
            f"would give {loo}."
        )
    verdict = distinguished(rows)
    if verdict["available"]:
        big = verdict["largest"]
        numbers = (
            f"the largest elpd difference is {big['elpd_diff']:+.1f} +/- {big['dse']:.1f} "
            f"({big['structure']} against {verdict['best']})"
        )
        if not verdict["apart"]:
            parts.append(
                f"The data barely distinguish the structures: every structure's elpd_loo lies "
                f"within {DISTINCT_SE:g} standard errors of the best ({verdict['best']}); "
                f"{numbers}. Stacking may still concentrate the weight (it rewards what a "
                "structure predicts that the others do not), but with differences this small the "
                "weights are fragile and the choice between the structures remains a modelling "
                "assumption."
            )
        elif not verdict["close"]:
            parts.append(
                f"The data tell the structures apart: every other structure's elpd_loo lies more "
                f"than {DISTINCT_SE:g} standard errors below the best ({verdict['best']}); "
                f"{numbers}."
            )
        else:
            parts.append(
                f"The data set {', '.join(verdict['apart'])} apart from the best structure "
                f"({verdict['best']}) by more than {DISTINCT_SE:g} standard errors, but cannot "
                f"separate {', '.join(verdict['close'])} from it; {numbers}."
            )
        high = sum(1 for r in rows if (r["n_pareto_k_high"] or 0) > 0)
        parts.append(
            f"{high} of {len(rows)} structures have observations with Pareto k above "
            f"{PARETO_K_LIMIT:g}"
            + (
                ": their LOO terms, and so the weights, are less reliable."
                if high
                else ", so every LOO term is reliable."
            )
        )
    elif len(rows) > 1:
        parts.append(
            "The run holds no leave-one-out comparison of its structures, so what the data say "
            "about them is not shown."
        )
    control = control_effect(effects)
    if control is not None and len(rows) > 1:
        most, least, mixed = control["most"], control["least"], control["mixture"]
        who = control["country"]
        text = (
            f"Under {control['scenario']}, {who}'s median arrival moves "
            f"{_years(mixed['median_shift_years'], mixed['median_shift_mcse'])} in the mixture; "
            f"{most['structure']} moves it most "
            f"({_years(most['median_shift_years'], most['median_shift_mcse'])}) and "
            f"{least['structure']} least "
            f"({_years(least['median_shift_years'], least['median_shift_mcse'])}), and "
            f"P({who} first) shifts by {_prob(mixed['p_first_shift'], mixed['p_first_shift_mcse'])}"
            f" in the mixture against "
            f"{_prob(most['p_first_shift'], most['p_first_shift_mcse'])} under "
            f"{most['structure']}."
        )
        if control["beyond_noise"]:
            text += (
                " The size of the export-control effect thus depends on the structure assumed "
                "more than on Monte Carlo noise"
                + (
                    ", and the data do not settle which structure holds."
                    if verdict.get("available") and not verdict.get("apart")
                    else "."
                )
            )
        else:
            text += " The structures agree on it within Monte Carlo noise."
        parts.append(text)
    if race is not None:
        labels = race.get("sources") or {}
        for row in race["countries"]:
            if row["country"] != CONTROL_COUNTRY:
                continue
            added = [
                f"{SOURCE_NAMES.get(src, labels.get(src, src))} {share:+.3f}"
                for src, share in sorted(row["added_by"].items())
            ]
            parts.append(
                f"Of P({row['country']} first) = {row['p_first']['p']:.3f}, the fitted parameters "
                f"alone give {row['parameters_only']['p']:.3f}; the projection's own randomness "
                f"adds the rest: {_and(added)}."
            )
    return " ".join(parts)


def structures_section(forecaster: Forecaster) -> dict[str, Any]:
    """The structures section of the report: the structures table, every scenario's effect
    per structure and mixed, the race decomposition and the summary paragraph. A failure leaves
    the section empty with a note instead of stopping the report."""
    from forecast.questions.structures import race_sources, scenario_effects, structures

    try:
        table = structures(forecaster)
        effects = scenario_effects(forecaster)
        race = race_sources(forecaster)
    except ForecastError as exc:
        return {"rows": [], "note": f"structures unavailable: {exc}"}
    rows = structure_rows(table)
    return {
        "method": table["method"],
        "blocks": table["blocks"],
        "method_note": table["note"],
        "rows": rows,
        "distinct_se": DISTINCT_SE,
        "pareto_k_limit": PARETO_K_LIMIT,
        "countries": list(COUNTRIES),
        "versus": effects["versus"],
        "effects": effects["rows"],
        "race": race,
        "summary": structures_summary(table, effects, race),
        "note": "",
    }
