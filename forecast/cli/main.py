"""The ``forecast`` command line: argument wiring for data check, priors check, fit, runs, ask,
structures, backtest, sweep, report and serve.

Each command's handler lives in its own module (``ask``, ``fit_cmd``, ``runs``, ``data_cmd``,
``backtest_cmd``, ``report_cmd``, ``structures_cmd``), every text rendering of an answer in
``text`` and the writing of JSON in ``output``. Every command prints readable text, or strict
JSON with ``--json`` (a number that is not finite, such as the infinite R-hat of a failed run, is
written as null). Errors are one line on stderr (``error: ...``) with exit status 2 for bad input
and 1 for a failed check or fit. When the reader of stdout goes away early
(``forecast runs --json | head -1``) the command stops quietly with status 141.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

from forecast.cli.ask import cmd_ask
from forecast.cli.ask_more import add_options, add_questions
from forecast.cli.backtest_cmd import cmd_backtest
from forecast.cli.data_cmd import (
    cmd_data_check,
    cmd_data_export,
    cmd_data_import,
    cmd_data_retract,
    cmd_priors_check,
)
from forecast.cli.fit_cmd import cmd_compile, cmd_fit
from forecast.cli.output import flush_stdout, pipe_closed
from forecast.cli.runs import cmd_runs
from forecast.cli.structures_cmd import add_parser as add_structures
from forecast.cli.structures_cmd import add_structure_options
from forecast.core.definitions import STRUCTURE_NAMES
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
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must lie strictly between 0 and 1")
    return value


def finite_number(text: str) -> float:
    """An argparse type: a finite number (not nan or inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
    return value


# -- commands handed to other faces ------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from forecast.cli.report_cmd import run_cli

    return run_cli(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP face, found through the ``forecast.faces`` entry point."""
    from importlib.metadata import entry_points

    faces = entry_points(group="forecast.faces", name="serve")
    if not faces:
        raise UsageError("no HTTP service is installed: install this project with pip install -e .")
    serve = next(iter(faces)).load()
    return serve(host=args.host, port=args.port)


# -- parser ------------------------------------------------------------------------------------
def add_data_commands(data: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``forecast data import|retract|export`` (the observation store under FORECAST_HOME)."""
    imp = data.add_parser("import", help="import a publisher's file into the observation store")
    imp.add_argument(
        "--source",
        required=True,
        choices=("epoch-models", "epoch-chip-owners", "epoch-eci", "epoch-hardware", "metr"),
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="report only; store nothing")
    imp.add_argument("--yes", action="store_true", help="store without asking")
    imp.add_argument("--vintage", metavar="DATE", help="data vintage of the file (default today)")
    imp.add_argument(
        "--allow-implausible", action="store_true", help="accept values outside plausible ranges"
    )
    imp.add_argument("--by", metavar="NAME", help="name recorded with the rows (default cli:USER)")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_data_import)
    ret = data.add_parser("retract", help="retract a stored observation (kept, leaves the fit)")
    ret.add_argument("id", type=positive_int, metavar="ID")
    ret.add_argument("--why", required=True, metavar="TEXT")
    ret.add_argument("--by", metavar="NAME", help="name recorded (default cli:USER)")
    ret.add_argument("--json", action="store_true")
    ret.set_defaults(func=cmd_data_retract)
    exp = data.add_parser("export", help="write active stored observations as CSV for fit --data")
    exp.add_argument("out", metavar="DIR")
    exp.add_argument("--json", action="store_true")
    exp.set_defaults(func=cmd_data_export)


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
    check.add_argument(
        "--allow-implausible",
        action="store_true",
        help="accept values outside the plausible ranges (deliberate outliers); listed",
    )
    check.set_defaults(func=cmd_data_check)
    add_data_commands(data)

    priors = sub.add_parser("priors", help="prior sets and scenarios").add_subparsers(
        dest="action", required=True
    )
    pcheck = priors.add_parser("check", help="validate prior sets and scenarios")
    pcheck.add_argument("files", nargs="*", metavar="FILE")
    pcheck.add_argument("--json", action="store_true")
    pcheck.add_argument("--show", action="store_true", help="show each prior's derived parameters")
    pcheck.set_defaults(func=cmd_priors_check)
    psens = priors.add_parser(
        "sensitivity",
        help="how much each prior moves each arrival (power-scaling; as forecast ask psense)",
    )
    psens.add_argument("--run", help="run id (default: the current run)")
    psens.add_argument("--scenario", help="scenario (default status_quo)")
    psens.add_argument("--json", action="store_true")
    add_structure_options(psens)
    psens.set_defaults(func=cmd_ask, question="psense")

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
    fit.add_argument(
        "--structure",
        action="append",
        choices=STRUCTURE_NAMES,
        metavar="NAME",
        help="fit only this model structure (repeatable; default: the prior set's plan, every "
        "structure): " + ", ".join(STRUCTURE_NAMES),
    )
    fit.add_argument("--no-progress", dest="progress", action="store_false")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(func=cmd_fit)

    comp = sub.add_parser(
        "compile",
        help="compile the model into the disk cache (run at install: the first fit is warm)",
    )
    comp.add_argument(
        "--priors", default="default", help="prior set name or .toml file (default: default)"
    )
    comp.add_argument(
        "--no-log-densities",
        dest="log_densities",
        action="store_false",
        help="skip PyTensor's compile of the stored log densities",
    )
    comp.add_argument("--json", action="store_true")
    comp.set_defaults(func=cmd_compile)

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
        add_options(p)
        add_structure_options(p)

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
    race.add_argument(
        "--within", type=finite_number, action="append", default=None, metavar="YEARS"
    )
    race.add_argument("--versus", help="compare with this scenario")
    common(race)
    traj = asks.add_parser("trajectory", help="predictive quantiles of a quantity at dates")
    traj.add_argument("--quantity", required=True)
    traj.add_argument("--country", required=True)
    traj.add_argument("--at", action="append", required=True, metavar="DATE")
    traj.add_argument(
        "--latent",
        action="store_true",
        help="the latent frontier path instead of the predictive of an observation",
    )
    traj.add_argument(
        "--component",
        metavar="CHANNEL",
        help="a supply channel of the country (CN: domestic, legal, smuggled); "
        "stock and additions only",
    )
    common(traj)
    sur = asks.add_parser("surprise", help="posterior-predictive percentile of a new observation")
    sur.add_argument("--quantity")
    sur.add_argument("--date")
    sur.add_argument("--value", help="the observed value (a finite number)")
    sur.add_argument("--label")
    sur.add_argument("--country", action="append")
    sur.add_argument("--file", help="CSV with quantity,date,value[,label]")
    common(sur)
    add_questions(asks, common)
    ask.set_defaults(func=cmd_ask)

    add_structures(sub)

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
    back.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the cutoff fits on this Dask scheduler, 'local' (a new local cluster) or "
        "'inline' (default: one after another in this process)",
    )
    back.add_argument("--json", action="store_true")
    back.set_defaults(func=cmd_backtest)

    from forecast.cli.sweep_cmd import add_parser as add_sweep

    add_sweep(sub, QUICK_HELP, positive_int, non_negative_int)

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
    rep.add_argument(
        "--sweep",
        default=None,
        metavar="SWEEP_ID",
        help="add the headline of each of this sweep's fits (failed fits apart)",
    )
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help="serve the HTTP API and dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=positive_int, default=8000)
    serve.set_defaults(func=cmd_serve)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; errors become one line on stderr and a status."""
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


def main(argv: Sequence[str] | None = None) -> int:
    """The ``forecast`` command: the exit status of :func:`run`, or 141 if stdout was closed."""
    try:
        code = run(argv)
    except BrokenPipeError:
        return pipe_closed()
    except SystemExit:  # argparse: --help or a usage error, possibly into a closed pipe
        flush_stdout()
        raise
    closed = flush_stdout()
    return code if closed is None else closed


if __name__ == "__main__":  # python -m forecast.cli.main (python -m forecast.cli does the same)
    sys.exit(main())
