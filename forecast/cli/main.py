"""The ``forecast`` command line: data check, priors check, fit, runs, ask, serve.

Every command prints readable text, or JSON with ``--json``. Errors are one line on stderr
(``error: ...``) with exit status 2 for bad input and 1 for a failed check or fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import ForecastError, UsageError

QUICK_HELP = (
    "small sampler settings and a looser gate (R-hat <= 1.05, bulk ESS >= 100), "
    "for tests and smoke checks, never for forecasts"
)


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{text!r} must be at least {minimum}" if minimum else f"{text!r} must be 0 or more"
            )
        return value

    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def probability_level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must lie strictly between 0 and 1")
    return value


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def emit(payload: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    if as_json:
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(text(payload))


# -- data and priors ---------------------------------------------------------------------------
def cmd_data_check(args: argparse.Namespace) -> int:
    from forecast.data.tables import cli_check

    return cli_check(args.files, args.json)


def cmd_priors_check(args: argparse.Namespace) -> int:
    from forecast.cli.priors_check import cli_check

    return cli_check(args.files, args.json, show=args.show)


# -- fit and runs ------------------------------------------------------------------------------
def cmd_fit(args: argparse.Namespace) -> int:
    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, SamplerConfig, fit, with_overrides

    base = QUICK if args.quick else SamplerConfig()
    config = with_overrides(
        base,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        seed=args.seed,
        sampler=args.sampler,
    )
    missing = [f for f in args.data if not Path(f).is_file()]
    if missing:
        raise UsageError(f"--data: file not found: {missing[0]}")
    priors = args.priors
    result = fit(
        priors=Path(priors) if priors.endswith(".toml") else priors,
        extra=[Path(f) for f in args.data],
        config=config,
        gate=QUICK_GATE if args.quick else Gate(),
        progress=args.progress and sys.stderr.isatty(),
    )
    emit(result.summary(), args.json, lambda s: f"{s['run_id']} {s['status']}")
    return 0 if result.status == "passed" else 1


def format_runs(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs yet; fit one with `forecast fit`"
    lines = [
        f"{'run id':26} {'status':7} {'priors':16} {'R-hat':>6} {'ESS':>6} {'div':>4} {'secs':>6}"
    ]
    for r in rows:
        mark = "*" if r["current"] else " "
        lines.append(
            f"{r['id']:25}{mark} {r['status']:7} {r['prior_set']:16} {r['max_rhat']:6.3f} "
            f"{r['min_ess_bulk']:6.0f} {r['divergences']:4d} {r['wall_seconds']:6.1f}"
        )
    lines.append("* = current")
    return "\n".join(lines)


def cmd_runs(args: argparse.Namespace) -> int:
    from forecast.store.runs import RunStore

    store = RunStore()
    if args.current:
        run_id = store.current_id()
        emit(store.meta(run_id), args.json, lambda m: m["id"])
        return 0
    emit(store.list(), args.json, format_runs)
    return 0


# -- questions ---------------------------------------------------------------------------------
def fmt_year(entry: dict[str, Any]) -> str:
    if entry["later"]:
        return "later than the horizon end"
    mcse = entry["mcse_years"]
    return f"{entry['date']} (±{mcse:.2f} yr MC error)" if mcse is not None else entry["date"]


def format_arrival(a: dict[str, Any]) -> str:
    lines = [
        f"Arrival of breakthrough capability, {a['country']}, scenario {a['scenario']} "
        f"(run {a['run_id']}, {a['draws']} draws, n_eff {a['n_eff']})"
    ]
    for q in a["quantiles"]:
        lines.append(f"  {q['q']:>5.0%} quantile: {fmt_year(q)}")
    lines.append(
        f"  P(later than {a['horizon_end']}) = {a['p_later']['p']:.3f} ± {a['p_later']['mcse']:.3f}"
    )
    return "\n".join(lines)


def format_probability(a: dict[str, Any]) -> str:
    return (
        f"P({a['country']} reaches breakthrough capability by {a['by']}, scenario "
        f"{a['scenario']}) = {a['p']:.3f} ± {a['mcse']:.3f} (MC error)"
    )


def format_race(a: dict[str, Any]) -> str:
    lines = [f"Race, scenario {a['scenario']} (run {a['run_id']})"]
    for key, label in (
        ("p_cn_first", "CN first"),
        ("p_us_first", "US first"),
        ("p_neither_by_horizon", "neither by horizon end"),
    ):
        lines.append(f"  P({label}) = {a[key]['p']:.3f} ± {a[key]['mcse']:.3f}")
    for w in a["p_gap_within"]:
        lines.append(f"  P(|gap| <= {w['years']:g} yr) = {w['p']:.3f} ± {w['mcse']:.3f}")
    lines.append("  gap (CN minus US arrival, years):")
    for g in a["gap_quantiles"]:
        shown = f"{g['years']:+.2f}" if g["years"] is not None else g["side"]
        lines.append(f"    {g['q']:>5.0%}: {shown}")
    return "\n".join(lines)


def format_trajectory(a: dict[str, Any]) -> str:
    lines = [f"{a['quantity']} ({a['unit']}), {a['country']}, scenario {a['scenario']}"]
    for p in a["points"]:
        qs = "  ".join(f"{r['q']:.0%}: {r['value']:.4g}" for r in p["quantiles"])
        lines.append(f"  {p['date']}  {qs}")
    return "\n".join(lines)


def format_surprise(a: dict[str, Any]) -> str:
    o = a["observation"]
    lines = [f"{o['label'] or o['quantity']} = {o['value']:g} {o['unit']} at {o['date']}"]
    for r in a["against"]:
        lines.append(
            f"  against the {r['country']} trend: percentile {r['percentile']:.1f} "
            f"± {r['mcse']:.1f} (trend median {r['trend_median']:.4g})"
        )
    return "\n".join(lines)


def format_compare(a: dict[str, Any]) -> str:
    fmt = {"arrival": format_arrival, "probability": format_probability, "race": format_race}[
        a["question"]
    ]
    parts = [fmt(ans) for ans in a["answers"].values()]
    parts.append(f"difference ({a['scenario']} minus {a['versus']}): {json.dumps(a['difference'])}")
    return "\n\n".join(parts)


def read_surprise_file(path: str) -> list[dict[str, Any]]:
    """Observations for ``ask surprise --file``: CSV with quantity,date,value[,label]."""
    import csv

    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--file: file not found: {path}")
    rows = []
    with file.open(newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"quantity", "date", "value"}
        if not needed <= set(reader.fieldnames or ()):
            raise UsageError(f"{path}:1: header must include quantity,date,value (label optional)")
        for line, row in enumerate(reader, start=2):
            try:
                value = float(row["value"])
            except ValueError:
                raise UsageError(
                    f"{path}:{line}: column value: {row['value']!r} is not a number"
                ) from None
            rows.append(
                {
                    "quantity": row["quantity"],
                    "when": row["date"],
                    "value": value,
                    "label": row.get("label"),
                }
            )
    return rows


def cmd_ask(args: argparse.Namespace) -> int:
    from forecast.questions.forecaster import Forecaster

    forecaster = Forecaster.from_store(run_id=args.run)
    q = args.question
    if q in ("arrival", "probability", "race") and args.versus:
        kwargs: dict[str, Any] = {}
        if q in ("arrival", "probability"):
            kwargs["country"] = args.country
        if q == "probability":
            kwargs["by"] = args.by
        answer = forecaster.compare(q, args.scenario or BASELINE_SCENARIO, args.versus, **kwargs)
        emit(answer, args.json, format_compare)
        return 0
    if q == "arrival":
        answer = forecaster.arrival(
            args.country, args.scenario, args.quantile or DEFAULT_QUANTILES, cdf=True
        )
        emit(answer, args.json, format_arrival)
    elif q == "probability":
        emit(
            forecaster.probability(args.country, args.by, args.scenario),
            args.json,
            format_probability,
        )
    elif q == "race":
        emit(forecaster.race(args.scenario, within_years=args.within), args.json, format_race)
    elif q == "trajectory":
        answer = forecaster.trajectory(args.quantity, args.country, args.at, args.scenario)
        emit(answer, args.json, format_trajectory)
    elif q == "surprise":
        if args.file:
            items = read_surprise_file(args.file)
        elif args.quantity and args.date and args.value is not None:
            items = [
                {
                    "quantity": args.quantity,
                    "when": args.date,
                    "value": args.value,
                    "label": args.label,
                }
            ]
        else:
            raise UsageError("surprise: give --file, or --quantity, --date and --value")
        countries = args.country or None
        answers = [
            forecaster.surprise(
                it["quantity"],
                it["when"],
                it["value"],
                label=it["label"],
                scenario=args.scenario,
                **({"countries": countries} if countries else {}),
            )
            for it in items
        ]
        emit(
            answers if len(answers) > 1 else answers[0],
            args.json,
            lambda a: "\n".join(format_surprise(x) for x in (a if isinstance(a, list) else [a])),
        )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from forecast.validation.backtest import run_cli

    return run_cli(args)


def cmd_report(args: argparse.Namespace) -> int:
    from forecast.report.build import run_cli

    return run_cli(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from importlib.metadata import entry_points

    faces = entry_points(group="forecast.faces", name="serve")
    if not faces:
        raise UsageError("no HTTP service is installed: install this project with pip install -e .")
    serve = next(iter(faces)).load()
    return serve(host=args.host, port=args.port)


# -- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forecast", description="Forecasts of breakthrough-level AI capability per country."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser("data", help="curated data tables").add_subparsers(
        dest="action", required=True
    )
    check = data.add_parser("check", help="validate the bundled tables and any extra files")
    check.add_argument("files", nargs="*", metavar="FILE")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_data_check)

    priors = sub.add_parser("priors", help="prior sets and scenarios").add_subparsers(
        dest="action", required=True
    )
    pcheck = priors.add_parser("check", help="validate prior sets and scenarios")
    pcheck.add_argument("files", nargs="*", metavar="FILE")
    pcheck.add_argument("--json", action="store_true")
    pcheck.add_argument("--show", action="store_true", help="show each prior's derived parameters")
    pcheck.set_defaults(func=cmd_priors_check)

    fit = sub.add_parser("fit", help="fit the model, store the run, make it current if it passes")
    fit.add_argument(
        "--priors", default="default", help="prior set name or .toml file (default: default)"
    )
    fit.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        help="extra observation file (repeatable)",
    )
    fit.add_argument("--draws", type=positive_int)
    fit.add_argument("--tune", type=non_negative_int)
    fit.add_argument("--chains", type=positive_int)
    fit.add_argument("--seed", type=non_negative_int)
    fit.add_argument("--sampler", choices=("nutpie", "pymc"))
    fit.add_argument("--quick", action="store_true", help=QUICK_HELP)
    fit.add_argument("--no-progress", dest="progress", action="store_false")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(func=cmd_fit)

    runs = sub.add_parser("runs", help="list stored runs")
    runs.add_argument("--json", action="store_true")
    runs.add_argument(
        "--current", action="store_true", help="show only the current run (exit 1 if none)"
    )
    runs.set_defaults(func=cmd_runs)

    ask = sub.add_parser("ask", help="ask a timeline question of a stored run")
    asks = ask.add_subparsers(dest="question", required=True, metavar="QUESTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--scenario", default=None, help="scenario name (default: status_quo)")
        p.add_argument("--run", default=None, help="run id (default: the current run)")
        p.add_argument("--json", action="store_true")

    arr = asks.add_parser("arrival", help="arrival quantiles, quarterly CDF, P(later)")
    arr.add_argument("--country", required=True)
    arr.add_argument("--quantile", type=probability_level, action="append")
    arr.add_argument("--versus", help="compare with this scenario")
    common(arr)
    prob = asks.add_parser("probability", help="P(arrival by a date)")
    prob.add_argument("--country", required=True)
    prob.add_argument("--by", required=True, metavar="DATE")
    prob.add_argument("--versus", help="compare with this scenario")
    common(prob)
    race = asks.add_parser("race", help="who first, gap distribution")
    race.add_argument("--within", type=number, action="append", default=None, metavar="YEARS")
    race.add_argument("--versus", help="compare with this scenario")
    common(race)
    traj = asks.add_parser("trajectory", help="predictive quantiles of a quantity at dates")
    traj.add_argument("--quantity", required=True)
    traj.add_argument("--country", required=True)
    traj.add_argument("--at", action="append", required=True, metavar="DATE")
    common(traj)
    sur = asks.add_parser("surprise", help="posterior-predictive percentile of a new observation")
    sur.add_argument("--quantity")
    sur.add_argument("--date")
    sur.add_argument("--value", type=number)
    sur.add_argument("--label")
    sur.add_argument("--country", action="append")
    sur.add_argument("--file", help="CSV with quantity,date,value[,label]")
    common(sur)
    ask.set_defaults(func=cmd_ask)

    back = sub.add_parser("backtest", help="refit at past cutoffs and score later observations")
    back.add_argument("--cutoff", action="append", metavar="DATE", help="repeatable")
    back.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        help="score against these observations (curated-table format)",
    )
    back.add_argument("--priors", default="default")
    back.add_argument("--quick", action="store_true", help=QUICK_HELP)
    back.add_argument("--json", action="store_true")
    back.set_defaults(func=cmd_backtest)

    rep = sub.add_parser("report", help="render the dated forecast report")
    rep.add_argument("--run", default=None, help="run id (default: the current run)")
    rep.add_argument("--out", default=None, metavar="DIR", help="output folder")
    rep.add_argument("--format", default="html,pdf,json", help="comma-separated: html, pdf, json")
    rep.add_argument(
        "--refit",
        choices=("auto", "cached", "off"),
        default=None,
        help="counterfactual refit for the change split (default auto: refit when needed)",
    )
    rep.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        help="extra data files the run was fitted with (for the change split)",
    )
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help="serve the HTTP API and dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=positive_int, default=8000)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "question", None) == "race" and args.within is None:
        args.within = [1.0, 2.0, 5.0]
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
