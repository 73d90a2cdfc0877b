"""The README's model-card figures, computed from a run and written between markers.

The README's generated tables come from a fitted run, not from memory: the headline (status
quo), the path from chips to dates under ``tightened_controls``, the chip supply (additions,
spend and power) and China's supply channels, the model structures side by side (weights, LOO
comparison, every scenario's effect per structure and mixed, with a paragraph written from those
numbers) and the race decomposition (P(first) with each source of projection randomness off).
Each sits between ``<!-- card:NAME -->`` and ``<!-- /card:NAME -->``;
``python -m forecast.report.card [--run ID] [--write README.md]`` prints them for the current
run (or rewrites the file's blocks), and a slow test regenerates them from a fresh default fit
and checks the README's numbers against it within Monte Carlo error.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import numpy as np

from forecast.core.definitions import COUNTRIES, country_info
from forecast.core.timeutil import date_to_year
from forecast.questions.forecaster import Forecaster

SCENARIO = "tightened_controls"
WHEN = "2030-01-01"
SUPPLY_DATES = ("2026-07-01", "2030-07-01")
BLOCK = re.compile(r"(<!-- card:(\w+) -->\n)(.*?)(<!-- /card:\2 -->)", re.S)


def _pm(x: Mapping[str, float], digits: int = 3) -> str:
    return f"{x['p']:.{digits}f} +/- {x['mcse']:.{digits}f}"


def _median_interval(answer: Mapping[str, object]) -> str:
    qs = {q["q"]: q for q in answer["quantiles"]}  # type: ignore[index]
    med, lo, hi = qs[0.5], qs[0.1], qs[0.9]

    def month(q: Mapping[str, object]) -> str:
        return str(q["date"])[:7] if q["date"] else "later"

    return f"{med['date']} ({month(lo)} to {month(hi)})"


def _si(x: float, unit: str = "") -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}{unit}"
    return f"{x:.3g}{unit}"


def headline(f: Forecaster) -> str:
    """The status-quo headline per country."""
    qs = (0.1, 0.5, 0.9)
    arrivals = {c: f.arrival(c, quantiles=qs) for c in COUNTRIES}
    race = f.race()
    first = {r["country"]: r for r in race["p_first"]}
    rows = [
        "| | " + " | ".join(COUNTRIES) + " |",
        "|---" * (len(COUNTRIES) + 1) + "|",
        "| median arrival (80% interval) | "
        + " | ".join(_median_interval(arrivals[c]) for c in COUNTRIES)
        + " |",
    ]
    for by in ("2027-12-31", "2030-12-31"):
        cells = [_pm(f.probability(c, by)) for c in COUNTRIES]
        rows.append(f"| P(by {by}) | " + " | ".join(cells) + " |")
    rows.append(
        "| P(later than 2060) | "
        + " | ".join(_pm(arrivals[c]["p_later"]) for c in COUNTRIES)
        + " |"
    )
    rows.append("| P(first) | " + " | ".join(_pm(first[c]) for c in COUNTRIES) + " |")
    gap = {q["q"]: q for q in race.get("gap_quantiles", [])}
    text = "\n".join(rows)
    if gap:
        text += (
            f"\n\nGap (CN minus US arrival): median {gap[0.5]['years']:.2f} +/- "
            f"{gap[0.5]['mcse_years']:.2f} years, 80% interval {gap[0.1]['years']:.2f} to "
            f"{gap[0.9]['years']:.2f} years (run {f.run.id})."
        )
    return text


def chips_to_dates(f: Forecaster) -> str:
    """Status quo against ``tightened_controls`` for China: stock, largest run, ECI, arrival."""
    t = date_to_year(date.fromisoformat(WHEN))
    base, cut = (f.values_at("CN", t, s, predictive=False) for s in (None, SCENARIO))
    arrivals = [f.arrival("CN", s, quantiles=(0.1, 0.5, 0.9)) for s in (None, SCENARIO)]
    firsts = [{r["country"]: r for r in f.race(s)["p_first"]}["CN"] for s in (None, SCENARIO)]
    rows = [
        f"| | status quo | {SCENARIO.replace('_', ' ')} |",
        "|---|---|---|",
        f"| CN stock at {WHEN} (H100e, median) | "
        + " | ".join(f"{np.median(v['compute_stock_h100e']):.2g}" for v in (base, cut))
        + " |",
        f"| CN largest training run at {WHEN} (FLOP, median) | "
        + " | ".join(f"{np.median(v['frontier_training_flop']):.2g}" for v in (base, cut))
        + " |",
        f"| CN frontier ECI at {WHEN} (median) | "
        + " | ".join(f"{np.median(v['frontier_eci']):.1f}" for v in (base, cut))
        + " |",
        "| CN arrival, median (80% interval) | "
        + " | ".join(_median_interval(a) for a in arrivals)
        + " |",
        "| P(CN reaches the threshold first) | " + " | ".join(_pm(p) for p in firsts) + " |",
    ]
    shift = f.compare("arrival", SCENARIO, country="CN")["difference"]
    median = next(q for q in shift["quantile_shift"] if q["q"] == 0.5)
    drop = np.log10(np.median(base["compute_stock_h100e"]) / np.median(cut["compute_stock_h100e"]))
    d = f.projector.draws
    return "\n".join(rows) + (
        f"\n\nThe stock falls {drop:.2f} OOM by {WHEN}; with beta x eps = "
        f"{np.median(d['capability_per_oom']):.1f} x {np.median(d['compute_elasticity']):.2f} ECI "
        f"per OOM, the median arrival moves {median['delta_years']:+.2f} +/- "
        f"{median['mcse_years']:.2f} years (paired mean {shift['mean_paired_shift_years']:+.2f} "
        f"years; run {f.run.id})."
    )


def supply(f: Forecaster) -> str:
    """Projected additions, spend and power per country (median and 90% interval)."""

    def q(values: np.ndarray, fmt: Callable[[float], str]) -> str:
        lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95])
        return f"{fmt(med)} ({fmt(lo)}-{fmt(hi)})"

    quantities = (
        ("additions", "chip_additions_h100e_per_year", lambda x: _si(x), " H100e/yr"),
        ("chip spend", "chip_spend_usd_per_year", lambda x: "$" + _si(x), "/yr"),
        ("chip power (TDP)", "chip_power_gw", lambda x: f"{x:.3g}", " GW"),
    )
    rows = ["| | " + " | ".join(COUNTRIES) + " |", "|---" * (len(COUNTRIES) + 1) + "|"]
    for label, key, fmt, unit in quantities:
        for when in SUPPLY_DATES:
            t = date_to_year(date.fromisoformat(when))
            cells = [q(f.values_at(c, t, predictive=False)[key], fmt) + unit for c in COUNTRIES]
            rows.append(f"| {label} {when} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + f"\n\n(Median and 90% interval; run {f.run.id}.)"


CHANNEL_DATES = ("2025-11-15", "2026-07-01", "2030-07-01")
"""Dates of the supply-channel table: the last observed quarter's middle and two projected."""


def channels(f: Forecaster) -> str:
    """China's additions per supply channel, status quo and ``tightened_controls``."""
    rows = [
        "| channel | date | status quo (H100e/yr) | tightened controls (H100e/yr) |",
        "|---|---|---|---|",
    ]
    tight = f.scenario(SCENARIO).scenario
    for code in COUNTRIES:
        for comp in country_info(code).components:
            for when in CHANNEL_DATES:
                t = date_to_year(date.fromisoformat(when))
                cells = []
                for scenario in (None, tight):
                    v = f.projector.channel_values(code, comp.name, t, scenario)
                    lo, med, hi = np.quantile(v["chip_additions_h100e_per_year"], [0.05, 0.5, 0.95])
                    cells.append(f"{_si(med)} ({_si(lo)}-{_si(hi)})")
                rows.append(f"| {code} {comp.name} | {when} | " + " | ".join(cells) + " |")
    d = f.projector.draws
    step = np.quantile(d["supply_regime_effect_cn_legal"], [0.05, 0.5, 0.95])
    return "\n".join(rows) + (
        "\n\n(Median and 90% interval. Fitted step of the legal channel at the 2025-04 licence "
        f"rule: {step[1]:.2f} ln ({step[0]:.2f} to {step[2]:.2f}), legal additions x"
        f"{np.exp(step[1]):.2f}; run {f.run.id}.)"
    )


def _signed(value: float | None, mcse: float | None, digits: int, none: str = "n/a") -> str:
    if value is None:
        return none
    return f"{value:+.{digits}f} +/- {(mcse or 0.0):.{digits}f}"


def structures_card(f: Forecaster) -> str:
    """The structures side by side: weight, LOO comparison, every scenario's effect on every
    country per structure and mixed, and the generated plain-language paragraph."""
    from forecast.questions.structures import race_sources, scenario_effects, structures
    from forecast.report.structures_section import structure_rows, structures_summary

    table = structures(f)
    effects = scenario_effects(f)
    race = race_sources(f)
    rows = [
        "| structure | weight | gate | held-out elpd +/- se | held-out difference +/- se | "
        "LOO weight | elpd_loo +/- se | elpd difference +/- se | max Pareto k (terms above 0.7) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in structure_rows(table):
        held = (
            f"{r['elpd_lfo']:.1f} +/- {r['lfo_se']:.1f}"
            if r["elpd_lfo"] is not None and r["lfo_se"] is not None
            else "n/a"
        )
        held_diff = _signed(r["lfo_diff"], r["lfo_dse"], 1)
        loo_weight = f"{r['loo_weight']:.3f}" if r["loo_weight"] is not None else "n/a"
        loo = (
            f"{r['elpd_loo']:.1f} +/- {r['se']:.1f}"
            if r["elpd_loo"] is not None and r["se"] is not None
            else "n/a"
        )
        diff = _signed(r["elpd_diff"], r["dse"], 1)
        k = (
            f"{r['pareto_k_max']:.2f} ({r['n_pareto_k_high']})"
            if r["pareto_k_max"] is not None
            else "n/a"
        )
        rows.append(
            f"| {r['structure']} | {r['weight']:.3f} | {r['status']} | {held} | {held_diff} | "
            f"{loo_weight} | {loo} | {diff} | {k} |"
        )
    effect_rows = [
        "| scenario | draws | "
        + " | ".join(f"{c} median shift (years)" for c in COUNTRIES)
        + " | "
        + " | ".join(f"P({c} first) shift" for c in COUNTRIES)
        + " |",
        "|---" * (2 + 2 * len(COUNTRIES)) + "|",
    ]
    for row in effects["rows"]:
        by = {e["country"]: e for e in row["countries"]}
        cells = [
            _signed(by[c]["median_shift_years"], by[c]["median_shift_mcse"], 2, "later")
            for c in COUNTRIES
        ] + [_signed(by[c]["p_first_shift"], by[c]["p_first_shift_mcse"], 3) for c in COUNTRIES]
        effect_rows.append(
            f"| {row['scenario']} | {row['structure']} | " + " | ".join(cells) + " |"
        )
    return (
        "\n".join(rows)
        + "\n\n"
        + "\n".join(effect_rows)
        + f"\n\n(Shifts against {effects['versus']}, +/- MC error; later: the median arrival "
        f"under the scenario lies beyond the horizon; run {f.run.id}.)\n\n"
        + structures_summary(table, effects, race)
    )


def race_sources_card(f: Forecaster) -> str:
    """P(first) with the projection's randomness sources switched off one at a time, their
    Shapley split, and P(first) under each structure."""
    from forecast.questions.structures import race_sources

    race = race_sources(f)
    sources = sorted(race["sources"])
    rows = [
        "| country | P(first) | "
        + " | ".join(f"without {s}" for s in sources)
        + " | parameters only | "
        + " | ".join(f"added by {s}" for s in sources)
        + " |",
        "|---" * (3 + 2 * len(sources)) + "|",
    ]
    for r in race["countries"]:
        cells = [_pm(r["p_first"])] + [_pm(r["without"][s]) for s in sources]
        cells += [_pm(r["parameters_only"])] + [f"{r['added_by'][s]:+.3f}" for s in sources]
        rows.append(f"| {r['country']} | " + " | ".join(cells) + " |")
    by = [
        "| structure | weight | " + " | ".join(f"P({c} first)" for c in COUNTRIES) + " |",
        "|---" * (2 + len(COUNTRIES)) + "|",
    ]
    for r in race["by_structure"]:
        by.append(
            f"| {r['structure']} | {r['weight']:.3f} | "
            + " | ".join(_pm(r["p_first"][c]) for c in COUNTRIES)
            + " |"
        )
    return (
        "\n".join(rows)
        + "\n\n"
        + "\n".join(by)
        + f"\n\n(Scenario {race['scenario']}; "
        + "; ".join(f"{s} = {race['sources'][s]}" for s in sources)
        + f"; run {f.run.id}.)"
    )


CARDS: dict[str, Callable[[Forecaster], str]] = {
    "headline": headline,
    "chips_to_dates": chips_to_dates,
    "supply": supply,
    "channels": channels,
    "structures": structures_card,
    "race_sources": race_sources_card,
}


def blocks(text: str) -> dict[str, str]:
    """The generated blocks of a README text, by name."""
    return {m.group(2): m.group(3).strip() for m in BLOCK.finditer(text)}


def rewrite(text: str, f: Forecaster) -> str:
    """The text with every card block regenerated from ``f``."""

    def one(m: re.Match[str]) -> str:
        name = m.group(2)
        if name not in CARDS:
            raise KeyError(f"unknown card block {name!r} (known: {', '.join(CARDS)})")
        return f"{m.group(1)}{CARDS[name](f)}\n{m.group(4)}"

    return BLOCK.sub(one, text)


def main(argv: list[str] | None = None) -> int:
    """Print the card blocks of a run, or rewrite them in a file."""
    parser = argparse.ArgumentParser(prog="python -m forecast.report.card")
    parser.add_argument("--run", help="run id (default: the current run)")
    parser.add_argument("--write", metavar="FILE", help="rewrite the blocks of FILE in place")
    args = parser.parse_args(argv)
    f = Forecaster.from_store(run_id=args.run)
    if args.write:
        path = Path(args.write)
        path.write_text(rewrite(path.read_text(encoding="utf-8"), f), encoding="utf-8")
        print(f"rewrote the card blocks of {path} from run {f.run.id}", file=sys.stderr)
        return 0
    for name, make in CARDS.items():
        print(f"<!-- card:{name} -->\n{make(f)}\n<!-- /card:{name} -->\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
