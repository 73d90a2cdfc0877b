"""Every human-readable rendering of an answer that the ``forecast`` command prints.

Each formatter takes the plain dict (or list) the library returns, the same data ``--json``
prints, and returns text; none computes anything new. Probabilities carry their Monte Carlo
error (``± MC error``), dates their MC error in years.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def num(value: Any, spec: str, width: int = 0) -> str:
    """A number in ``spec`` format, right-aligned in ``width``; "-" for none, "inf" for infinite."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        shown = "-"
    elif isinstance(value, float) and math.isinf(value):
        shown = "inf" if value > 0 else "-inf"
    else:
        shown = format(value, spec)
    return f"{shown:>{width}}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "   ".join(parts)).rstrip()

    return [line(header), *(line(r) for r in rows)]


def p_mc(entry: Mapping[str, Any]) -> str:
    """A probability with its MC error: ``0.123 ± 0.004``."""
    return f"{num(entry['p'], '.3f')} ± {num(entry['mcse'], '.3f')}"


# -- fit and runs ------------------------------------------------------------------------------
def format_fit(summary: Mapping[str, Any]) -> str:
    """``forecast fit``: the run id and whether it passed the gate."""
    line = f"{summary['run_id']} {summary['status']}"
    failures = summary.get("gate_failures") or []
    if failures:
        line += "\n" + "\n".join(f"  gate: {f}" for f in failures)
    rows = summary.get("structures") or []
    if len(rows) > 1:
        line += f"\nstructures (weights: {summary.get('structure_weights_method')}):"
        line += "".join(
            f"\n  {r['structure']:26} weight {r['weight']:.3f}  {r['status']}" for r in rows
        )
    return line


def format_current(meta: Mapping[str, Any]) -> str:
    """``forecast runs --current``: the id of the current run."""
    return str(meta["id"])


def format_runs(rows: Sequence[Mapping[str, Any]]) -> str:
    """``forecast runs``: one line per stored run, the current one starred."""
    if not rows:
        return "no runs yet; fit one with `forecast fit`"
    lines = [
        f"{'run id':26} {'status':7} {'priors':16} {'R-hat':>6} {'ESS':>6} {'div':>4} {'secs':>6}"
    ]
    for r in rows:
        mark = "*" if r["current"] else " "
        lines.append(
            f"{r['id']:25}{mark} {r['status']!s:7} {r['prior_set']!s:16} "
            f"{num(r['max_rhat'], '.3f', 6)} {num(r['min_ess_bulk'], '.0f', 6)} "
            f"{num(r['divergences'], 'd', 4)} {num(r['wall_seconds'], '.1f', 6)}"
        )
    lines.append("* = current")
    return "\n".join(lines)


# -- questions ---------------------------------------------------------------------------------
def fmt_year(entry: Mapping[str, Any]) -> str:
    """A date answer: the date and its MC error, or "later than the horizon end"."""
    if entry["later"]:
        return "later than the horizon end"
    mcse = entry["mcse_years"]
    return f"{entry['date']} (±{mcse:.2f} yr MC error)" if mcse is not None else entry["date"]


def format_arrival(a: Mapping[str, Any]) -> str:
    """``forecast ask arrival``: quantiles of the arrival date and P(later than the horizon)."""
    lines = [
        f"Arrival of breakthrough capability, {a['country']}, scenario {a['scenario']} "
        f"(run {a['run_id']}, {a['draws']} draws, n_eff {a['n_eff']})"
    ]
    for q in a["quantiles"]:
        lines.append(f"  {q['q']:>5.0%} quantile: {fmt_year(q)}")
    lines.append(f"  P(later than {a['horizon_end']}) = {p_mc(a['p_later'])}")
    return "\n".join(lines)


def format_probability(a: Mapping[str, Any]) -> str:
    """``forecast ask probability``: P(arrival by a date) with its MC error."""
    return (
        f"P({a['country']} reaches breakthrough capability by {a['by']}, scenario "
        f"{a['scenario']}) = {p_mc(a)} (MC error)"
    )


RACE_ROWS: tuple[tuple[str, str], ...] = (
    ("p_cn_first", "CN first"),
    ("p_us_first", "US first"),
)
"""The two-country race fields of answers that have no ``p_first`` list."""


def race_first(a: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, probability entry) for who-first and for nobody by the horizon end."""
    if "p_first" in a:
        rows = [(f"{r['country']} first", r) for r in a["p_first"]]
    else:
        rows = [(label, a[key]) for key, label in RACE_ROWS if key in a]
    nobody = "neither" if len(rows) == 2 else "no country"
    return [*rows, (f"{nobody} by horizon end", a["p_neither_by_horizon"])]


def race_pairs(a: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every pair's gap (``pairs``), or the legacy US-CN gap of a two-country answer."""
    if "pairs" in a:
        return list(a["pairs"])
    if "p_gap_within" not in a:
        return []
    return [
        {
            "first": "US",
            "second": "CN",
            "p_gap_within": a["p_gap_within"],
            "gap_quantiles": a["gap_quantiles"],
        }
    ]


def format_race(a: Mapping[str, Any]) -> str:
    """``forecast ask race``: who first, and per pair P(gap within) and the gap quantiles."""
    lines = [f"Race, scenario {a['scenario']} (run {a['run_id']})"]
    for label, entry in race_first(a):
        lines.append(f"  P({label}) = {p_mc(entry)}")
    for pair in race_pairs(a):
        first, second = pair["first"], pair["second"]
        title = f"{second} minus {first}" if len(race_pairs(a)) > 1 else ""
        for w in pair["p_gap_within"]:
            scope = f" {title}" if title else ""
            lines.append(f"  P(|gap{scope}| <= {w['years']:g} yr) = {p_mc(w)}")
        lines.append(f"  gap ({second} minus {first} arrival, years):")
        for g in pair["gap_quantiles"]:
            shown = f"{g['years']:+.2f}" if g["years"] is not None else g["side"]
            lines.append(f"    {g['q']:>5.0%}: {shown}")
    return "\n".join(lines)


def format_trajectory(a: Mapping[str, Any]) -> str:
    """``forecast ask trajectory``: predictive quantiles of a quantity at each date."""
    who = a["country"] + (f" {a['component']} channel" if a.get("component") else "")
    lines = [f"{a['quantity']} ({a['unit']}), {who}, scenario {a['scenario']}"]
    for p in a["points"]:
        qs = "  ".join(f"{r['q']:.0%}: {r['value']:.4g}" for r in p["quantiles"])
        lines.append(f"  {p['date']}  {qs}")
    return "\n".join(lines)


def format_surprise(a: Mapping[str, Any]) -> str:
    """``forecast ask surprise``: an observation's percentile against each country's trend."""
    o = a["observation"]
    lines = [f"{o['label'] or o['quantity']} = {o['value']:g} {o['unit']} at {o['date']}"]
    for r in a["against"]:
        lines.append(
            f"  against the {r['country']} trend: percentile {r['percentile']:.1f} "
            f"± {r['mcse']:.1f} (trend median {r['trend_median']:.4g})"
        )
    return "\n".join(lines)


def format_surprises(answers: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> str:
    """One surprise answer or several (``--file``), one block each."""
    items = [answers] if isinstance(answers, Mapping) else answers
    return "\n".join(format_surprise(a) for a in items)


# -- scenario comparisons (--versus) -----------------------------------------------------------
def _delta(value: Any, mcse: Any, spec: str) -> str:
    if value is None:
        return "-"
    return f"{value:{spec}} ± {num(mcse, spec.lstrip('+'))}"


def _short_year(entry: Mapping[str, Any]) -> str:
    if entry["later"]:
        return "later"
    mcse = entry["mcse_years"]
    return f"{entry['date']} ± {mcse:.2f}" if mcse is not None else str(entry["date"])


def _compare_arrival(c: Mapping[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    d = c["difference"]
    shifts = {s["q"]: s for s in d["quantile_shift"]}
    rows = []
    for qa, qb in zip(a["quantiles"], b["quantiles"], strict=True):
        s = shifts.get(qa["q"], {"delta_years": None, "mcse_years": None})
        rows.append(
            [
                f"{qa['q']:.0%} quantile",
                _short_year(qa),
                _short_year(qb),
                _delta(s["delta_years"], s["mcse_years"], "+.2f"),
            ]
        )
    rows.append([f"P(later than {a['horizon_end']})", p_mc(a["p_later"]), p_mc(b["p_later"]), ""])
    first = d.get("p_first")
    if first is not None:
        rows.append(
            [f"P({a['country']} first)", "", "", _delta(first["delta"], first["mcse"], "+.3f")]
        )
    lines = [
        f"Arrival of breakthrough capability, {a['country']} (run {c['run_id']})",
        *table(["", c["scenario"], c["versus"], "difference (years)"], rows),
    ]
    mean = d.get("mean_paired_shift_years")
    if mean is not None:
        lines.append(
            f"  mean paired shift (draws arriving in both): "
            f"{_delta(mean, d.get('mean_paired_shift_mcse'), '+.2f')} years"
        )
    return lines


def _compare_probability(
    c: Mapping[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]
) -> list[str]:
    diff = c["difference"]["p"]
    rows = [[f"P(by {a['by']})", p_mc(a), p_mc(b), _delta(diff["delta"], diff["mcse"], "+.3f")]]
    return [
        f"P({a['country']} reaches breakthrough capability) (run {c['run_id']})",
        *table(["", c["scenario"], c["versus"], "difference"], rows),
    ]


def _compare_race(c: Mapping[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    diffs = c["difference"]
    deltas = {f"{r['country']} first": r for r in diffs.get("p_first", [])}
    deltas |= {label: diffs[key] for key, label in RACE_ROWS if key in diffs}
    rows = []
    for (label, ea), (_, eb) in zip(race_first(a), race_first(b), strict=True):
        d = deltas.get(label)
        shown = _delta(d["delta"], d["mcse"], "+.3f") if d else ""
        rows.append([f"P({label})", p_mc(ea), p_mc(eb), shown])
    pairs_a, pairs_b = race_pairs(a), race_pairs(b)
    for pa, pb in zip(pairs_a, pairs_b, strict=True):
        scope = f" {pa['second']} minus {pa['first']}" if len(pairs_a) > 1 else ""
        for wa, wb in zip(pa["p_gap_within"], pb["p_gap_within"], strict=True):
            rows.append([f"P(|gap{scope}| <= {wa['years']:g} yr)", p_mc(wa), p_mc(wb), ""])
    return [
        f"Race (run {c['run_id']})",
        *table(["", c["scenario"], c["versus"], "difference"], rows),
    ]


def format_compare(c: Mapping[str, Any]) -> str:
    """``--versus``: both answers side by side and the paired difference, with MC errors."""
    a, b = c["answers"][c["scenario"]], c["answers"][c["versus"]]
    render = {
        "arrival": _compare_arrival,
        "probability": _compare_probability,
        "race": _compare_race,
    }[c["question"]]
    lines = render(c, a, b)
    lines.append(f"  difference: {c['scenario']} minus {c['versus']}, same draws; ± = MC error")
    return "\n".join(lines)


# -- backtests ---------------------------------------------------------------------------------
def format_backtest(payload: Mapping[str, Any]) -> str:
    """``forecast backtest``: one table per cutoff (or for the current run), then the summary."""
    head = (
        f"{'quantity':26}{'cc':3}{'n':>4}{'cov50':>7}{'cov80':>7}{'cov95':>7}"
        f"{'CRPS':>9}{'base':>9}{'logS':>8}{'base':>8}"
    )
    lines = []
    for res in payload["cutoffs"]:
        d = res["diagnostics"]
        when = f"cutoff {res['cutoff']}" if res["cutoff"] else f"current run ({res['reference']})"
        lines.append(
            f"{when}: run {res['run_id']} {res['status']} (R-hat {num(d['max_rhat'], '.3f')}, "
            f"bulk ESS {num(d['min_ess_bulk'], '.0f')}, {d['divergences']} divergences)"
        )
        lines.append(head)
        for row in res["scores"]:
            if not row["n"]:
                continue
            m, b = row["model"], row["baseline"] or {}
            lines.append(
                f"{row['quantity']:26}{row['country']:3}{row['n']:>4}"
                f"{m['coverage50']:>7.2f}{m['coverage80']:>7.2f}{m['coverage95']:>7.2f}"
                f"{num(m['crps'], '.3f', 9)}{num(b.get('crps'), '.3f', 9)}"
                f"{num(m['log_score'], '.2f', 8)}{num(b.get('log_score'), '.2f', 8)}"
            )
        lines.append("")
    s = payload["summary"]
    lines.append(
        f"model beats the baseline on CRPS in {s['model_better_crps']} of "
        f"{s['pairs_compared']} pairs ({len(s['pairs_without_baseline'])} without a baseline); "
        f"80% coverage {s['coverage80']} over {s['points']} points "
        f"(50%: {s['coverage50']}, 95%: {s['coverage95']})"
    )
    if s["baseline_better_pairs"]:
        lines.append("baseline better: " + "; ".join(s["baseline_better_pairs"]))
    by = payload.get("by_structure") or {}
    if by:
        lines.append("")
        lines.append("per structure (the same fits, each structure's own draws):")
        lines.append(f"  {'structure':26}{'cov80':>7}{'mean CRPS':>11}  80% coverage by cutoff")
        mix_cov = s.get("coverage80_by_cutoff", {})
        lines.append(
            f"  {'mixture':26}{num(s['coverage80'], '.2f', 7)}{num(s.get('mean_crps'), '.3f', 11)}"
            f"  {', '.join(f'{k} {v}' for k, v in mix_cov.items())}"
        )
        for name, row in by.items():
            cov = row.get("coverage80_by_cutoff", {})
            lines.append(
                f"  {name:26}{num(row['coverage80'], '.2f', 7)}"
                f"{num(row.get('mean_crps'), '.3f', 11)}"
                f"  {', '.join(f'{k} {v}' for k, v in cov.items())}"
            )
    lfo = payload.get("leave_future_out")
    if lfo and lfo.get("weights"):
        weights = ", ".join(f"{k} {v:.2f}" for k, v in lfo["weights"].items())
        lines.append(f"leave-future-out weights ({lfo['points']} held-out points): {weights}")
        for row in lfo["mean_log_score_by_cutoff"]:
            lines.append(
                f"  {row['cutoff']}: mean log score, mixture with the fit's own weights "
                f"{num(row['mixture_own_weights'], '.3f')}, with weights from earlier cutoffs "
                f"{num(row['mixture_lfo_weights'], '.3f')}"
            )
    pub = payload.get("published")
    if pub:
        md = pub["metr_doubling"]
        published = md["published_days"]
        lo, hi = published["interval95"]
        lines.append(
            f"METR v1.1 horizon doubling (days): model {md['model']['median_days']} "
            f"{md['model']['interval95_days']}, direct fit {md['direct_fit']['ols']['median_days']}"
            f" {md['direct_fit']['ols']['interval95_days']}, METR {published['median']} "
            f"[{lo:g}, {hi:g}]"
        )
        for quantity in ("frontier_training_flop", "frontier_eci"):
            pct = ", ".join(
                f"{r['country']} {r['percentile']}" for r in pub["deepseek_v3"][quantity]
            )
            lines.append(f"DeepSeek-V3 {quantity} percentile: {pct}")
    lines.append(f"wall time {payload['wall_seconds']} s")
    return "\n".join(lines)


# -- thresholds, levers, conditions, drivers, external forecasts, Metaculus ----------------------
def format_options(answer: Mapping[str, Any]) -> str:
    """The lines a question answered under ``--threshold``/``--lever``/``--given`` adds."""
    options = answer.get("options") or {}
    lines = []
    if "threshold" in options:
        t = options["threshold"]
        lines.append(
            f"  threshold {t['label']} ({t['kind']} {t['value']:g} {t['unit']}; ECI level "
            f"median {t['eci_level_median']:g})"
        )
    if "levers" in options:
        lines.append(f"  levers: {' '.join(options['levers'])}")
    if "given" in options:
        g = options["given"]
        eff = ", ".join(f"{c} {v:g}" for c, v in g["effective_draws"].items())
        lines.append(
            f"  given {' & '.join(g['conditions'])}: {g['kept_draws']} of {g['draws']} draws "
            f"kept (P = {g['p_conditions']:.3f}); effective draws {eff}"
        )
    return "\n".join(lines)


def with_options(formatter: Any) -> Any:
    """A formatter that also prints the options an answer was given under."""

    def render(answer: Any) -> str:
        text = formatter(answer)
        extra = format_options(answer) if isinstance(answer, Mapping) else ""
        return f"{text}\n{extra}" if extra else text

    return render


def format_thresholds(t: Mapping[str, Any]) -> str:
    """``forecast ask thresholds``: the named thresholds and the 80%-to-50% conversion."""
    rows = [
        [r["name"], r["kind"], f"{r['value']:g} {r['unit']}", r["description"]]
        for r in t["thresholds"]
    ]
    conv = t["conversion"]
    return "\n".join(
        [
            f"Default: {t['default']}",
            *table(["name", "kind", "value", "what"], rows),
            f"80% horizon -> 50% horizon: x {conv['horizon80_to_horizon50']:g} "
            f"({conv['justification']})",
        ]
    )


def format_drivers(d: Mapping[str, Any]) -> str:
    """``forecast ask drivers``: share of the answer's variance per input group."""
    what = f"P(arrival by {d['by']})" if d["quantity"] == "p_by" else f"arrival ({d['scale']})"
    rows = [
        [r["group"], f"{100 * r['share']:.1f}%", f"± {100 * r['mcse']:.1f}"]
        if r["mcse"] is not None
        else [r["group"], f"{100 * r['share']:.1f}%", "-"]
        for r in d["groups"]
    ]
    return "\n".join(
        [
            f"Drivers of {d['country']} {what}, scenario {d['scenario']} (run {d['run_id']}, "
            f"{d['draws']} draws)",
            *table(["input group", "first-order share", "MC error"], rows),
            f"  interactions and correlation (1 - sum): {100 * d['interactions']:.1f}%",
            f"  method: {d['method']}",
        ]
    )


def format_psense(d: Mapping[str, Any]) -> str:
    """``forecast ask psense``: prior power-scaling sensitivity of each arrival, per prior."""
    codes = list(d["priors"][0]["arrival"]) if d["priors"] else []

    def cell(e: Mapping[str, Any]) -> str:
        mark = "*" if e["informative"] else ""
        err = f" ± {e['mcse']:.3f}" if e["mcse"] is not None else ""
        return f"{e['sensitivity']:.3f}{err}{mark}"

    rows = [
        [r["prior"], *(cell(r["arrival"][c]) for c in codes), cell(r["parameter"])]
        for r in d["priors"]
    ]
    headers = ["prior", *(f"arrival {c}" for c in codes), "own parameter"]
    return "\n".join(
        [
            f"Prior sensitivity, scenario {d['scenario']} (run {d['run_id']}, {d['draws']} draws)",
            *table(headers, rows),
            f"  * above {d['threshold']}: the prior shapes this answer (the data do not override "
            "it)",
            f"  method: {d['method']}",
        ]
    )


def format_external(e: Mapping[str, Any]) -> str:
    """``forecast ask external``: each external forecast beside ours."""
    lines = [e["note"]]
    for r in e["forecasts"]:
        when = f"published {r['published']}" + (
            f", snapshot {r['snapshot']}" if r.get("snapshot") else ""
        )
        lines.append(f"\n{r['id']}: {r['source']} ({when})")
        lines.append(f"  event: {r['event']}; closest threshold of ours: {r['maps_to']}")
        ours = r.get("ours")
        for q, mine in zip(
            r["quantiles"], (ours or {}).get("quantiles", [None] * 99), strict=False
        ):
            shown = fmt_year(mine) if mine else "-"
            lines.append(f"  {q['q']:>6.1%} quantile: theirs {q['when']:>10}   ours {shown}")
        for p, mine in zip(r["p_by"], (ours or {}).get("p_by", [None] * 99), strict=False):
            shown = "-" if not mine or mine["p"] is None else p_mc(mine)
            lines.append(f"  P(by {p['when']}): theirs {p['p']:.2f}   ours {shown}")
        lines.append(f"  definitions: {r['mapping']}")
    return "\n".join(lines)


def format_metaculus(m: Mapping[str, Any]) -> str:
    """``forecast ask metaculus``: the submission CDF's summary (the values with ``--json``)."""
    bounds = (
        f"{m['lower']} ({'open' if m['lower_open'] else 'closed'}) to "
        f"{m['upper']} ({'open' if m['upper_open'] else 'closed'})"
    )
    cdf = m["cdf"]
    picks = [0, 50, 100, 150, 200]
    rows = [[m["dates"][i], f"{cdf[i]:.6f}", f"{m['model_cdf'][i]:.4f}"] for i in picks]
    return "\n".join(
        [
            f"Metaculus CDF for {m['country']} arrival, scenario {m['scenario']}, range {bounds}",
            *table(["date", "submitted cdf", "model cdf"], rows),
            f"  {m['points']} points; passes {len(m['rules'])} Metaculus rules; probability "
            f"moved by the rules {m['adjustment']:.4f} (uniform share {m['uniform_weight']:.4f},"
            f" dropped below {m['dropped_below']:.4f}, above {m['dropped_above']:.4f})",
            "  the 201 values: --json",
        ]
    )


# -- model structures --------------------------------------------------------------------------
def _pm(value: Any, mcse: Any, spec: str, unit: str = "") -> str:
    """A number with its MC error: ``+0.08 ± 0.02 yr``; "-" for none."""
    if value is None:
        return "-"
    return f"{num(value, spec)} ± {num(mcse, spec.lstrip('+'))}{unit}"


def _weight(row: Mapping[str, Any]) -> str:
    """A structure's weight; the mixture has none of its own ("-")."""
    return "-" if row["structure"] == "mixture" else num(row["weight"], ".3f")


def format_structures(s: Mapping[str, Any]) -> str:
    """``forecast structures``: each structure's weight, gate status and diagnostics (and its
    leave-future-out and leave-one-out summaries when the weights were stacked), then what each
    structure assumes."""
    with_loo = any(r.get("loo") for r in s["structures"])
    with_lfo = any(r.get("lfo") for r in s["structures"])
    header = ["structure", "weight", "status", "R-hat", "bulk ESS", "div"]
    if with_lfo:
        header += ["held-out elpd", "held-out diff", "LOO weight"]
    if with_loo:
        header += ["elpd_loo", "elpd diff", "Pareto k > 0.7"]
    rows = []
    for r in s["structures"]:
        d = r["diagnostics"]
        row = [
            r["structure"],
            num(r["weight"], ".3f"),
            str(r["status"]),
            num(d.get("max_rhat"), ".3f"),
            num(d.get("min_ess_bulk"), ".0f"),
            num(d.get("divergences"), "d"),
        ]
        if with_lfo:
            lfo = r.get("lfo") or {}
            row += [
                _pm(lfo.get("elpd_lfo"), lfo.get("se"), ".1f"),
                _pm(lfo.get("elpd_diff"), lfo.get("dse"), ".1f"),
                num(r.get("loo_weight"), ".3f"),
            ]
        if with_loo:
            loo = r.get("loo") or {}
            row += [
                _pm(loo.get("elpd_loo"), loo.get("se"), ".1f"),
                _pm(loo.get("elpd_diff"), loo.get("dse"), ".1f"),
                num(loo.get("n_pareto_k_above_0_7"), "d"),
            ]
        rows.append(row)
    total = sum(r["weight"] for r in s["structures"])
    lines = [
        f"Model structures of run {s['run_id']} (weights: {s['method']}; sum {total:.3f})",
        *table(header, rows),
    ]
    holdout = s.get("holdout")
    if holdout:
        lines.append(
            f"holdout: refitted on the data to {holdout['cutoff']}, "
            f"{holdout['n_observations']} held-out observations"
            + ("" if holdout.get("used") else f"; not used ({holdout.get('note')})")
        )
    for r in s["structures"]:
        lines.append(f"\n  {r['structure']}: {r['description']}")
        lines.append(f"    {r['equation']}")
        for failure in r.get("gate_failures") or []:
            lines.append(f"    gate: {failure}")
    if s.get("note"):
        lines.append(f"\n  {s['note']}")
    lines.append(
        "\n  answers use the weighted mixture; --structure NAME answers under one structure, "
        "--by-structure under each"
    )
    return "\n".join(lines)


def format_scenario_effects(e: Mapping[str, Any]) -> str:
    """``forecast structures --effects``: per scenario, each structure's (and the mixture's)
    shift of every country's median arrival and of P(it is first), against the status quo."""
    lines = [
        f"Scenario effects against {e['versus']} per structure (run {e['run_id']}); "
        "shifts are scenario minus versus, same draws; ± = MC error"
    ]
    by_scenario: dict[str, list[Mapping[str, Any]]] = {}
    for row in e["rows"]:
        by_scenario.setdefault(row["scenario"], []).append(row)
    header = [
        "structure",
        "weight",
        "country",
        "median arrival shift",
        f"P(first), {e['versus']}",
        "P(first) shift",
    ]
    for scenario, rows in by_scenario.items():
        cells = []
        for row in rows:
            for c in row["countries"]:
                cells.append(
                    [
                        row["structure"],
                        _weight(row),
                        c["country"],
                        _pm(c["median_shift_years"], c["median_shift_mcse"], "+.2f", " yr"),
                        _pm(c["p_first_status_quo"], c["p_first_status_quo_mcse"], ".3f"),
                        _pm(c["p_first_shift"], c["p_first_shift_mcse"], "+.3f"),
                    ]
                )
        lines += ["", f"{scenario}:", *table(header, cells)]
    lines.append("\n  -: a median beyond the horizon end, so no finite shift")
    return "\n".join(lines)


def format_race_sources(r: Mapping[str, Any]) -> str:
    """``forecast structures --race``: P(first) with each source of projection randomness
    switched off, each source's share, and P(first) per structure."""
    sources = sorted(r["sources"])
    header = [
        "country",
        "P(first)",
        "parameters only",
        *(f"without {s}" for s in sources),
        *(f"added by {s}" for s in sources),
    ]
    rows = [
        [
            c["country"],
            p_mc(c["p_first"]),
            p_mc(c["parameters_only"]),
            *(p_mc(c["without"][s]) for s in sources),
            *(num(c["added_by"][s], "+.3f") for s in sources),
        ]
        for c in r["countries"]
    ]
    lines = [
        f"Where the race's uncertainty comes from, scenario {r['scenario']} (run {r['run_id']}, "
        f"{r['structure']}); ± = MC error",
        *table(header, rows),
        *(f"  {s}: {r['sources'][s]}" for s in sources),
        "  added by: the source's Shapley share of P(first) minus P(first | parameters only)",
    ]
    per = r.get("by_structure") or []
    if per:
        codes = list(per[0]["p_first"])
        lines += [
            "",
            "  P(first) per structure:",
            *table(
                ["structure", "weight", *(f"P({c} first)" for c in codes)],
                [
                    [s["structure"], _weight(s), *(p_mc(s["p_first"][c]) for c in codes)]
                    for s in per
                ],
                indent="    ",
            ),
        ]
    return "\n".join(lines)


def compare_by_structure(c: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A ``--versus --by-structure`` answer's differences in one table: per structure (and the
    answer itself) the shift of the median arrival and of P(first), or of P(by the date)."""
    if not isinstance(c, Mapping) or "difference" not in c or c.get("question") == "race":
        return []
    every = [
        (c.get("structure", "mixture"), None, c),
        *((r["structure"], r, r["answer"]) for r in rows),
    ]
    if c["question"] == "probability":
        a = c["answers"][c["scenario"]]
        header = ["structure", "weight", f"P({a['country']} by {a['by']}) shift"]
        cells = [
            [
                name,
                "-" if r is None else num(r["weight"], ".3f"),
                _delta(x["difference"]["p"]["delta"], x["difference"]["p"]["mcse"], "+.3f"),
            ]
            for name, r, x in every
        ]
    else:
        a = c["answers"][c["scenario"]]
        header = ["structure", "weight", "median arrival shift", f"P({a['country']} first) shift"]
        cells = []
        for name, r, x in every:
            d = x["difference"]
            median = next((s for s in d["quantile_shift"] if s["q"] == 0.5), None)
            first = d.get("p_first")
            cells.append(
                [
                    name,
                    "-" if r is None else num(r["weight"], ".3f"),
                    "-"
                    if median is None
                    else _pm(median["delta_years"], median["mcse_years"], "+.2f", " yr"),
                    "-" if first is None else _pm(first["delta"], first["mcse"], "+.3f"),
                ]
            )
    return [
        f"{c['scenario']} minus {c['versus']} per structure (± = MC error):",
        *table(header, cells),
    ]
