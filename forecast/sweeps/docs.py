"""The backtest tables of ``docs/validation.md``, generated from a stored sweep.

    python -m forecast.sweeps.docs SWEEP_ID [--doc docs/validation.md] [--check] [--print]

Reads the sweep's fits and per-point scores from the sweep store (``$FORECAST_HOME/sweeps``)
and rewrites the part of the document between ``<!-- generated: backtest ... -->`` and
``<!-- end generated -->``; the prose outside the markers is left as it is. The block holds:
the sweep id, date, model version and the commands that made it; coverage of the 50/80/95%
central intervals per prior set, structure and cutoff, each with a 90% interval for the share;
mean CRPS of the model and of each baseline the sweep scored per quantity x country x cutoff;
per baseline, how many pairs the model wins and both 80% coverages on the same points; and the
fits that failed the diagnostics gate, listed apart and never pooled. When the sweep holds a
fit on all the data that passed the gate, the METR doubling time and DeepSeek-V3 checks
(``forecast.validation.checks``) are computed from it too.

``--check`` writes nothing and exits 1 when the document's block differs from what the sweep
gives (a stale document); ``--print`` prints the block instead of writing it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from forecast.core.errors import ForecastError
from forecast.sweeps.scores import BASELINE_NAMES, MODEL
from forecast.validation.points import QUANTITIES, SCALES, VINTAGE_END
from forecast.validation.scoring import LEVELS

START = "<!-- generated: backtest"
END = "<!-- end generated -->"
BLOCK = re.compile(re.escape(START) + r"[^\n]*-->\n.*?" + re.escape(END), re.DOTALL)
DEFAULT_DOC = Path("docs/validation.md")

QUANTITY_NAMES = {
    "frontier_training_flop": "training FLOP",
    "frontier_eci": "ECI",
    "frontier_horizon_minutes": "horizon",
    "compute_stock_h100e": "stock",
}
BASELINE_TITLES = {
    "loglinear": "log-linear line",
    "recent_t": "recent-trend Student-t line",
    "rw_drift": "random walk with drift",
}
INTERVAL = 0.90
"""Probability of the interval printed beside each coverage share (Jeffreys, binomial)."""


# -- reading a sweep ---------------------------------------------------------------------------
def load(store: Any, sweep_id: str) -> dict[str, Any]:
    """A stored sweep as :func:`render` takes it: id, date, spec, rows, per-point scores,
    model type and version (from its fits' runs) and the published checks (or None)."""
    entry = store.get(sweep_id)
    rows = entry["rows"]
    if not rows:
        raise ForecastError(f"sweep {sweep_id} has no stored fit yet: run it first")
    meta = store.runs.meta(rows[0]["run_id"])  # refuses a run of another model version
    return {
        "sweep_id": sweep_id,
        "finished": str(entry["updated"])[:10],
        "state": entry["state"],
        "spec": entry["spec"],
        "rows": rows,
        "scores": store.scores([r["key"] for r in rows]),
        "model": f"{meta['model_type']} {meta['model_version']}",
        "published": published(store, rows),
        "weights": {
            r["key"]: store.runs.meta(r["run_id"]).get("structure_weights")
            for r in rows
            if r.get("structure") == "mixture" and r.get("run_id")
        },
    }


def published(store: Any, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The METR and DeepSeek checks from the sweep's first all-data fit on observed data that
    passed the gate (None when it has none)."""
    from forecast.data import tables as data_tables
    from forecast.questions.forecaster import Forecaster
    from forecast.validation import checks

    full = [r for r in rows if r["cutoff"] is None and r["data"] == "observed" and r["gate_pass"]]
    if not full:
        return None
    row = full[0]
    forecaster = Forecaster(store.runs.load(row["run_id"]))
    return {
        "run_id": row["run_id"],
        "priors": row["priors"],
        "model": checks.model_doubling_days(forecaster),
        "direct_fit": checks.metr_trend_days(data_tables.load_table("capability_metr")),
        "deepseek_v3": checks.deepseek_check(forecaster),
    }


# -- arithmetic ---------------------------------------------------------------------------------
def share_interval(k: int, n: int, prob: float = INTERVAL) -> tuple[float, float]:
    """Jeffreys interval (probability ``prob``) for a binomial share k / n."""
    from scipy import stats

    tail = (1 - prob) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(tail, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - tail, k + 0.5, n - k + 0.5))
    return lo, hi


def coverage(points: Sequence[Mapping[str, Any]], method: str = MODEL) -> dict[str, Any]:
    """Points scored by ``method`` and how many fell inside each central interval."""
    scored = [p[method] for p in points if p.get(method) is not None]
    inside = [sum(1 for s in scored if s["covered"][i]) for i in range(len(LEVELS))]
    return {"n": len(scored), "inside": inside}


def mean_crps(points: Sequence[Mapping[str, Any]], method: str) -> float | None:
    values = [p[method]["crps"] for p in points if p.get(method) is not None]
    return sum(values) / len(values) if values else None


def same_points(points: Sequence[Mapping[str, Any]], baseline: str) -> list[Mapping[str, Any]]:
    return [p for p in points if p.get(baseline) is not None and p.get(MODEL) is not None]


def pair_of(point: Mapping[str, Any]) -> tuple[str, str, str]:
    """(quantity, country, suite) of a scored point (suite only for horizons)."""
    p = point["point"]
    suite = (p.get("suite") or "") if p["quantity"] == "frontier_horizon_minutes" else ""
    return p["quantity"], p["country"], suite


def _order(pair: tuple[str, str, str]) -> tuple[int, str, str]:
    q, country, suite = pair
    rank = QUANTITIES.index(q) if q in QUANTITIES else len(QUANTITIES)
    return rank, {"US": "0", "CN": "1"}.get(country, country), suite


def model_groups(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((r["priors"], r["structure"]) for r in rows))


def scored_rows(
    rows: Sequence[Mapping[str, Any]], scores: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """Fits with a cutoff, on observed data, whose backtest scores are stored."""
    return [r for r in rows if r.get("cutoff") and r["data"] == "observed" and r["key"] in scores]


# -- text ---------------------------------------------------------------------------------------
def _num(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _cov_cell(k: int, n: int) -> str:
    if n == 0:
        return "-"
    lo, hi = share_interval(k, n)
    return f"{k / n:.2f} ({lo:.2f}-{hi:.2f})"


def command(spec: Mapping[str, Any]) -> str:
    """The ``forecast sweep`` command that makes (or resumes) a sweep of this spec."""
    cutoffs = ",".join(c or "none" for c in spec.get("cutoffs") or [None])
    parts = ["forecast sweep", f"--priors {','.join(spec['priors'])}", f"--cutoff {cutoffs}"]
    if list(spec.get("structures") or []) not in ([], ["global_efficiency"]):
        parts.append(f"--structure {','.join(spec['structures'])}")
    if int(spec.get("seeds", 1)) > 1:
        parts.append(f"--seeds {spec['seeds']}")
    if int(spec.get("simulated", 0)) > 0:
        parts.append(f"--simulated {spec['simulated']}")
    if spec.get("quick"):
        parts.append("--quick")
    return " ".join(parts)


def header(sweep: Mapping[str, Any]) -> list[str]:
    rows, spec = sweep["rows"], sweep["spec"]
    passed = sum(1 for r in rows if r["gate_pass"])
    first = rows[0]
    sampler = (
        f"{first['sampler']} sampler settings ({first['chains']} chains x {first['draws']} draws"
        f", seed{'s' if int(spec.get('seeds', 1)) > 1 else ''} "
        f"{', '.join(str(s) for s in dict.fromkeys(r['seed'] for r in rows))})"
    )
    return [
        f"Sweep `{sweep['sweep_id']}` ({sweep.get('state', 'complete')}, last written "
        f"{sweep['finished']}), model {sweep['model']}, bundled data vintage "
        f"{VINTAGE_END.isoformat()}, prior sets {', '.join(f'`{p}`' for p in spec['priors'])}, "
        f"{sampler}: {len(rows)} fits, {passed} passed the diagnostics gate, "
        f"{len(rows) - passed} failed. Made by:",
        "",
        "```",
        command(spec),
        f"python -m forecast.sweeps.docs {sweep['sweep_id']}",
        "```",
    ]


def coverage_table(rows: Sequence[Mapping[str, Any]], scores: Mapping[str, Any]) -> list[str]:
    levels = " | ".join(f"cov{round(lv * 100)}" for lv in LEVELS)
    out = [
        f"| priors | structure | cutoff | fits pooled | failed, not pooled | points | {levels} |",
        "|---|---|---|---|---|---|" + "---|" * len(LEVELS),
    ]
    for priors, structure in model_groups(rows):
        mine = [r for r in rows if (r["priors"], r["structure"]) == (priors, structure)]
        cutoffs = sorted({r["cutoff"] for r in mine})
        for cutoff in [*cutoffs, "all"] if len(cutoffs) > 1 else cutoffs:
            these = [r for r in mine if cutoff in ("all", r["cutoff"])]
            passed = [r for r in these if r["gate_pass"]]
            points = [pt for r in passed for pt in scores[r["key"]]["points"]]
            cov = coverage(points)
            cells = " | ".join(_cov_cell(k, cov["n"]) for k in cov["inside"])
            out.append(
                f"| {priors} | {structure} | {cutoff} | {len(passed)} | "
                f"{len(these) - len(passed)} | {cov['n']} | {cells} |"
            )
    return out


def pair_rows(
    rows: Sequence[Mapping[str, Any]], scores: Mapping[str, Any], passed: bool = True
) -> list[dict[str, Any]]:
    """Per model, cutoff and quantity x country: the pooled points of the fits that passed the
    gate (``passed=False``: of the fits that failed it)."""
    out = []
    for priors, structure in model_groups(rows):
        mine = [
            r
            for r in rows
            if (r["priors"], r["structure"]) == (priors, structure)
            and bool(r["gate_pass"]) == passed
        ]
        for cutoff in sorted({r["cutoff"] for r in mine}):
            points = [
                pt for r in mine if r["cutoff"] == cutoff for pt in scores[r["key"]]["points"]
            ]
            for pair in sorted({pair_of(p) for p in points}, key=_order):
                these = [p for p in points if pair_of(p) == pair]
                entry: dict[str, Any] = {
                    "priors": priors,
                    "structure": structure,
                    "cutoff": cutoff,
                    "pair": pair,
                    "coverage": coverage(these),
                    "crps": {MODEL: mean_crps(these, MODEL)},
                    "same": {},
                }
                for name in BASELINE_NAMES:
                    both = same_points(these, name)
                    entry["crps"][name] = mean_crps(both, name)
                    entry["same"][name] = {
                        "n": len(both),
                        "model_crps": mean_crps(both, MODEL),
                        "model": coverage(both, MODEL),
                        "baseline": coverage(both, name),
                    }
                out.append(entry)
    return out


def pair_table(pairs: Sequence[Mapping[str, Any]]) -> list[str]:
    names = [MODEL, *BASELINE_NAMES]
    several = len({(p["priors"], p["structure"]) for p in pairs}) > 1
    lead = "| priors | " if several else "| "
    out = [
        lead
        + "cutoff | quantity | country | n | cov50 | cov80 | cov95 | "
        + " | ".join(f"CRPS {n}" for n in names)
        + " |",
        "|---" * (7 + len(names) + (1 if several else 0)) + "|",
    ]
    for p in pairs:
        quantity, country, suite = p["pair"]
        cov = p["coverage"]
        shares = " | ".join(_num(k / cov["n"], 2) if cov["n"] else "-" for k in cov["inside"])
        values = {n: p["crps"][n] for n in names}
        best = min((v for v in values.values() if v is not None), default=None)
        digits = 2 if quantity == "frontier_eci" else 3
        crps = " | ".join(
            ("-" if v is None else f"**{v:.{digits}f}**" if v == best else f"{v:.{digits}f}")
            for v in values.values()
        )
        who = f"{country} ({suite})" if suite else country
        first = f"| {p['priors']}/{p['structure']} | " if several else "| "
        out.append(
            f"{first}{p['cutoff']} | {QUANTITY_NAMES.get(quantity, quantity)} | {who} | "
            f"{cov['n']} | {shares} | {crps} |"
        )
    return out


def baseline_summary(pairs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per model, baseline and cutoff (and all cutoffs): pairs won, both 80% coverages."""
    out = [
        "| priors/structure | baseline | cutoff | pairs compared | model better | points "
        "| model cov80, same points | baseline cov80 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    idx = LEVELS.index(0.8)
    for priors, structure in dict.fromkeys((p["priors"], p["structure"]) for p in pairs):
        mine = [p for p in pairs if (p["priors"], p["structure"]) == (priors, structure)]
        cutoffs = list(dict.fromkeys(p["cutoff"] for p in mine))
        for name in BASELINE_NAMES:
            for cutoff in [*cutoffs, "all"] if len(cutoffs) > 1 else cutoffs:
                these = [p for p in mine if cutoff in ("all", p["cutoff"])]
                compared = [p for p in these if p["same"][name]["n"]]
                wins = sum(1 for p in compared if p["same"][name]["model_crps"] < p["crps"][name])
                n = sum(p["same"][name]["n"] for p in compared)
                k_model = sum(p["same"][name]["model"]["inside"][idx] for p in compared)
                k_base = sum(p["same"][name]["baseline"]["inside"][idx] for p in compared)
                out.append(
                    f"| {priors}/{structure} | {BASELINE_TITLES.get(name, name)} | {cutoff} | "
                    f"{len(compared)} | {wins} | {n} | {_cov_cell(k_model, n)} | "
                    f"{_cov_cell(k_base, n)} |"
                )
    return out


def failed_table(rows: Sequence[Mapping[str, Any]], scores: Mapping[str, Any]) -> list[str]:
    failed = [r for r in rows if not r["gate_pass"]]
    if not failed:
        return ["No fit failed the diagnostics gate."]
    out = [
        "| priors | structure | cutoff | seed | run | gate failures | max R-hat | divergences "
        "| points | cov80 (own) | pairs where the model's CRPS is lower (own) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    idx = LEVELS.index(0.8)
    for r in failed:
        pts = scores.get(r["key"], {}).get("points", [])
        cov = coverage(pts)
        own = pair_rows([r], scores, passed=False) if pts and r.get("cutoff") else []
        wins = []
        for name in BASELINE_NAMES:
            compared = [p for p in own if p["same"][name]["n"]]
            won = sum(1 for p in compared if p["same"][name]["model_crps"] < p["crps"][name])
            wins.append(f"{name} {won} of {len(compared)}")
        out.append(
            f"| {r['priors']} | {r['structure']} | {r['cutoff'] or 'all'} | {r['seed']} | "
            f"`{r['run_id']}` | {r['gate_failures'] or '-'} | {_num(r['max_rhat'], 3)} | "
            f"{r['divergences'] if r['divergences'] is not None else '-'} | {cov['n']} | "
            f"{_cov_cell(cov['inside'][idx], cov['n'])} | {', '.join(wins)} |"
        )
    return out


def published_table(pub: Mapping[str, Any] | None) -> list[str]:
    if pub is None:
        return [
            "The sweep has no all-data fit (`--cutoff none`) that passed the gate, so the METR "
            "doubling time and DeepSeek-V3 checks are not computed here."
        ]
    m, d = pub["model"], pub["direct_fit"]
    lo, hi = m["interval95_days"]
    ols, wls = d["ols"], d["wls"]
    out = [
        f"From the all-data fit `{pub['run_id']}` (prior set `{pub['priors']}`):",
        "",
        "| check | result |",
        "|---|---|",
        f"| METR v1.1 horizon doubling time, {m['window'][0]} to {m['window'][1]} "
        f"| model **{m['median_days']} days** (95% interval {lo}-{hi}); direct fit to METR "
        f"records {ols['median_days']} (95% {ols['interval95_days'][0]}-"
        f"{ols['interval95_days'][1]}, OLS), {wls['median_days']} (95% "
        f"{wls['interval95_days'][0]}-{wls['interval95_days'][1]}, WLS); METR 130.8 "
        "(95% 107-161) |",
    ]
    ds = pub["deepseek_v3"]
    for quantity in ("frontier_eci", "frontier_training_flop"):
        cells = "; ".join(
            f"against {r['country']}: {r['percentile']} (Monte Carlo s.e. {r['mcse']}; trend "
            f"{r['trend_median']:.4g})"
            for r in ds[quantity]
        )
        out.append(
            f"| DeepSeek-V3 ({ds['date']}) {QUANTITY_NAMES[quantity]}, predictive percentile "
            f"| {cells} |"
        )
    return out


def render(sweep: Mapping[str, Any]) -> str:
    """The generated block, markers included, for a sweep as :func:`load` returns it."""
    rows, scores = sweep["rows"], sweep["scores"]
    cut = scored_rows(rows, scores)
    pairs = pair_rows(cut, scores)
    scales = "; ".join(f"{QUANTITY_NAMES[q]}: {s}" for q, s in SCALES.items())
    lines = [
        f"{START} sweep {sweep['sweep_id']}; do not edit by hand, regenerate with "
        f"python -m forecast.sweeps.docs {sweep['sweep_id']} -->",
        *header(sweep),
        "",
        "#### Coverage of the model's central intervals",
        "",
        "Share of held-out points inside the model's central 50/80/95% predictive intervals, "
        "pooled over the fits that passed the gate; in brackets a 90% interval for the share "
        "(Jeffreys). `all` counts a point once per cutoff that scored it.",
        "",
        *coverage_table(cut, scores),
        "",
        "#### Mean CRPS per quantity, country and cutoff",
        "",
        f"Lower is better; the lowest in each row is bold. Scales: {scales}. A baseline shows "
        "`-` where it could not be fitted (too few observations before the cutoff); the cov "
        "columns are the model's. Fits that passed the gate only.",
        "",
        *pair_table(pairs),
        "",
        "#### The model against each baseline",
        "",
        "Pairs (quantity x country) where the model's mean CRPS is below the baseline's on the "
        "points both scored, and both methods' 80% coverage on those points (90% interval).",
        "",
        *baseline_summary(pairs),
        "",
        "#### Structures",
        "",
        "Each structure inside the fits that sampled every structure (`mixture`), scored on the "
        "same held-out points as their mixture; lower CRPS is better (mean over all points, "
        "mixed scales as above); cov80 with a 90% interval.",
        "",
        *structure_table(cut, scores, sweep.get("weights") or {}),
        "",
        "#### Fits that failed the diagnostics gate (never pooled above)",
        "",
        *failed_table(rows, scores),
        "",
        "#### Published results",
        "",
        *published_table(sweep.get("published")),
        END,
    ]
    return "\n".join(lines)


def structure_table(
    rows: Sequence[Mapping[str, Any]],
    scores: Mapping[str, Any],
    weights: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> list[str]:
    """Per cutoff, the 80% coverage and mean CRPS of every structure inside each mixture fit
    (the fit's own draws of each structure, on the same held-out points), the weights each fit
    gave its structures and how (``weights``: fit key -> the run's ``structure_weights``), then
    the structures' leave-future-out weights from the sweep's own cutoffs and how a mixture with
    them predicts."""
    from forecast.sweeps.backtest import leave_future_out

    mixed = [r for r in rows if r["gate_pass"] and scores[r["key"]].get("by_structure")]
    if not mixed:
        return ["No fit of this sweep sampled every structure (`--structure mixture`)."]
    out = [
        "| priors | cutoff | draws | points | cov80 | mean CRPS |",
        "|---|---|---|---|---|---|",
    ]
    lfo_lines: list[str] = []
    own_weights: list[str] = []
    for priors in dict.fromkeys(r["priors"] for r in mixed):
        mine = sorted((r for r in mixed if r["priors"] == priors), key=lambda r: r["cutoff"])
        for r in mine:
            s = scores[r["key"]]
            for name, own in [("mixture", s), *s["by_structure"].items()]:
                pts = own["points"]
                cov = coverage(pts)
                cell = _cov_cell(cov["inside"][LEVELS.index(0.8)], cov["n"])
                out.append(
                    f"| {priors} | {r['cutoff']} | {name} | {cov['n']} | {cell} | "
                    f"{_num(mean_crps(pts, MODEL))} |"
                )
        own_weights.extend(weight_rows(priors, mine, weights or {}))
        lfo = leave_future_out(
            [{"cutoff": r["cutoff"]} for r in mine], {r["cutoff"]: scores[r["key"]] for r in mine}
        )
        if lfo and lfo["weights"]:
            weights = ", ".join(f"{k} {v:.2f}" for k, v in lfo["weights"].items())
            lfo_lines.append(
                f"Weights from this sweep's own cutoffs, `{priors}` (stacking of each "
                f"structure's projected predictive density of the {lfo['points']} points held "
                f"out after the cutoffs): {weights}. Mean log score per cutoff, the mixture "
                "with the fit's own weights against a mixture with the weights of the earlier "
                "cutoffs' held-out points dated before it:"
            )
            lfo_lines.append("")
            lfo_lines.append(
                "| cutoff | points | mixture, the fit's own weights | mixture, earlier cutoffs' "
                "weights |"
            )
            lfo_lines.append("|---|---|---|---|")
            for row in lfo["mean_log_score_by_cutoff"]:
                lfo_lines.append(
                    f"| {row['cutoff']} | {row['points']} | {_num(row['mixture_own_weights'])} "
                    f"| {_num(row['mixture_lfo_weights'])} |"
                )
    if own_weights:
        out += [
            "",
            "Each mixture fit's own weights: stacking of its structures' predictive densities "
            "of the capability observations after its holdout cutoff (each structure refitted "
            "on the data up to it), or of PSIS-LOO densities where the data before the holdout "
            "cannot be fitted (the method column says which and why).",
            "",
            "| priors | cutoff | method | weights |",
            "|---|---|---|---|",
            *own_weights,
        ]
    return [*out, "", *lfo_lines] if lfo_lines else out


def weight_rows(
    priors: str,
    fits: Sequence[Mapping[str, Any]],
    weights: Mapping[str, Mapping[str, Any] | None],
) -> list[str]:
    """One table line per mixture fit: its weighing method in brief and its weights."""
    out = []
    for r in fits:
        record = weights.get(r["key"])
        if not record:
            continue
        lfo = record.get("leave_future_out") or {}
        if record.get("loo_weights") is not None:
            how = f"holdout after {lfo.get('cutoff')} ({lfo.get('n_observations')} points)"
        elif lfo:
            how = f"PSIS-LOO ({lfo.get('note')})"
        else:
            how = str(record.get("method", "n/a")).split(",")[0]
        shares = ", ".join(f"{k} {v:.2f}" for k, v in (record.get("weights") or {}).items())
        out.append(f"| {priors} | {r['cutoff']} | {how} | {shares} |")
    return out


def replace_block(text: str, block: str) -> str:
    """``text`` with its one generated backtest block replaced by ``block``."""
    found = BLOCK.findall(text)
    if len(found) != 1:
        raise ForecastError(
            f"expected one '{START} ... -->' ... '{END}' block in the document, found {len(found)}"
        )
    return BLOCK.sub(lambda _: block, text, count=1)


def current_block(text: str) -> str:
    """The generated block of a document (markers included)."""
    found = BLOCK.findall(text)
    if len(found) != 1:
        raise ForecastError(f"expected one generated backtest block, found {len(found)}")
    return found[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m forecast.sweeps.docs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("sweep_id")
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="document to rewrite")
    parser.add_argument("--home", type=Path, default=None, help="sweep store folder")
    parser.add_argument("--check", action="store_true", help="exit 1 if the block is stale")
    parser.add_argument("--print", action="store_true", help="print the block, write nothing")
    args = parser.parse_args(argv)

    from forecast.sweeps.index import SweepStore

    try:
        block = render(load(SweepStore(args.home), args.sweep_id))
        if args.print:
            print(block)
            return 0
        text = args.doc.read_text()
        new = replace_block(text, block)
    except (ForecastError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = new != text
        print(f"{args.doc}: {'stale' if stale else 'up to date'}", file=sys.stderr)
        return 1 if stale else 0
    args.doc.write_text(new)
    print(f"{args.doc}: generated block rewritten from sweep {args.sweep_id}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
