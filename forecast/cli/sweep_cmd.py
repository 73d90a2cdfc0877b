"""``forecast sweep``: fit a grid of prior sets, cutoffs, structures, seeds and data sets.

    forecast sweep --priors default,skeptical --cutoff 2022-12-31,2023-12-31,2024-12-31 \\
        [--structure global_efficiency] [--seeds N] [--simulated N] [--quick] \\
        [--scheduler ADDRESS|local|inline] [--workers N] [--json]

Without ``--scheduler`` (or with ``local``) a local Dask cluster sized to the machine runs the
fits; ``--scheduler tcp://host:8786`` (or a scheduler JSON file) uses an existing cluster;
``inline`` fits one after another in this process. Fits already in the sweep store are never
refitted: run the same command again to resume. Progress and the dashboard address go to stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from forecast.cli.output import emit, say
from forecast.core.errors import UsageError

LOCAL = "local"


def split_list(values: Sequence[str] | None) -> list[str]:
    """Comma-separated and repeated option values, in order, without blanks or repeats."""
    out: list[str] = []
    for value in values or ():
        out += [v.strip() for v in str(value).split(",") if v.strip()]
    return list(dict.fromkeys(out))


def parse_cutoffs(values: Sequence[str] | None) -> tuple[Any, ...]:
    """Cutoff dates (``none`` or ``all``: the full data), validated like ``forecast backtest``."""
    from forecast.validation.backtest import parse_cutoff

    items = split_list(values)
    if not items:
        return (None,)
    out = [None if v.lower() in ("none", "all") else parse_cutoff(v) for v in items]
    return tuple(dict.fromkeys(out))


def check_priors(names: Sequence[str]) -> tuple[str, ...]:
    from forecast.priors.priorset import available_prior_sets

    if not names:
        raise UsageError("--priors: give at least one prior set")
    known = set(available_prior_sets())
    for name in names:
        if not name.endswith(".toml") and name not in known:
            raise UsageError(
                f"--priors: unknown prior set {name!r}; available: {', '.join(sorted(known))}"
            )
    return tuple(names)


def scheduler_of(value: str | None) -> str | None:
    """None (a new local cluster), ``inline`` or an address, from ``--scheduler``."""
    if value is None or value == LOCAL:
        return None
    return value


def add_parser(sub: Any, quick_help: str, positive_int: Any, non_negative_int: Any) -> None:
    """The ``sweep`` subcommand's arguments."""
    p = sub.add_parser("sweep", help="fit a grid of prior sets, cutoffs, seeds and data sets")
    p.add_argument("--priors", action="append", metavar="A,B", help="prior sets (default: default)")
    p.add_argument(
        "--cutoff", action="append", metavar="DATE,...", help="data cutoffs (none: all data)"
    )
    p.add_argument(
        "--structure",
        action="append",
        metavar="NAME",
        help="model structures, comma-separated or repeated (default global_efficiency; "
        "'mixture' samples every structure in one fit and scores each and their mixture)",
    )
    p.add_argument("--seeds", type=positive_int, default=1, help="sampler seeds per grid point")
    p.add_argument(
        "--simulated", type=non_negative_int, default=0, help="simulated data sets per grid point"
    )
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address or file; 'local' (default): a new local cluster; "
        "'inline': one fit after another in this process",
    )
    p.add_argument("--workers", type=positive_int, default=None, help="local cluster workers")
    p.add_argument("--cores-per-fit", type=positive_int, default=None, help="threads per fit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sweep)


def spec_from_args(args: argparse.Namespace) -> Any:
    from forecast.sweeps.grid import SweepSpec, check_structures

    return SweepSpec(
        priors=check_priors(split_list(args.priors) or ["default"]),
        cutoffs=parse_cutoffs(args.cutoff),
        structures=check_structures(split_list(args.structure) or ["global_efficiency"]),
        seeds=int(args.seeds),
        simulated=int(args.simulated),
        quick=bool(args.quick),
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume the sweep and print its summary (text) or everything (JSON)."""
    from forecast.sweeps.engine import run_sweep

    spec = spec_from_args(args)
    result = run_sweep(
        spec,
        scheduler=scheduler_of(args.scheduler),
        workers=args.workers,
        cores_per_fit=args.cores_per_fit,
        log=say,
        progress=not args.no_progress,
    )
    emit(result, args.json, format_sweep)
    return 0 if not result["errors"] else 1


# -- text ----------------------------------------------------------------------------------------
def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, fmt)


def format_rows(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    head = (
        f"{'priors':12} {'cutoff':10} {'data':8} {'seed':>8} {'gate':6} {'R-hat':>6} "
        f"{'div':>4} {'US median':>9} {'CN median':>9} {'P(CN 1st)':>9} {'CRPS':>7}"
    )
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(
            f"{str(r['priors'])[:12]:12} {r['cutoff'] or 'all':10} {r['data']:8} "
            f"{r['seed']:>8} {'pass' if r['gate_pass'] else 'FAIL':6} "
            f"{_num(r['max_rhat'], '.3f'):>6} {_num(r['divergences'], 'd'):>4} "
            f"{_num(r.get('median_arrival_us'), '.1f'):>9} "
            f"{_num(r.get('median_arrival_cn'), '.1f'):>9} "
            f"{_num(r.get('p_cn_first'), '.3f'):>9} {_num(r.get('bt_crps_model'), '.3f'):>7}"
        )
    return out


def format_backtest_table(bt: Mapping[str, Any]) -> list[str]:
    """The honest backtest table: pooled over passed fits, failed fits apart, prior notes."""
    if not bt["table"]:
        return []
    out = ["", f"backtest (pooled over {bt['pooled_over']}):"]
    head = (
        f"{'cutoff':10} {'method':10} {'fits':>4} {'failed':>6} {'n':>4} {'CRPS':>8} "
        f"{'model CRPS':>10} {'log score':>9} {'cov50':>6} {'cov80':>6} {'cov95':>6}"
    )
    out += [head, "-" * len(head)]
    for r in bt["table"]:
        out.append(
            f"{r['cutoff']:10} {r['method']:10} {r['fits_pooled']:>4} "
            f"{r['fits_failed_not_pooled']:>6} {r['n']:>4} {_num(r['crps'], '.4f'):>8} "
            f"{_num(r['model_crps_same_points'], '.4f'):>10} {_num(r['log_score'], '.3f'):>9} "
            f"{_num(r['coverage50'], '.2f'):>6} {_num(r['coverage80'], '.2f'):>6} "
            f"{_num(r['coverage95'], '.2f'):>6}"
        )
    out.append(
        "  model CRPS: the model's mean CRPS on the points that baseline scored "
        "(baselines need 3-4 points before the cutoff)"
    )
    if bt["failed_fits"]:
        out += ["", "fits that failed the gate (reported apart, never pooled):"]
        for f in bt["failed_fits"]:
            out.append(
                f"  {f['priors']} @ {f['cutoff']} seed {f['seed']} ({f['run_id']}): "
                f"{f['gate_failures']}; its own CRPS {_num(f['crps'], '.4f')}, "
                f"80% coverage {_num(f['coverage80'], '.2f')} over {f['n']} points"
            )
    if bt["prior_vintage"]:
        out += ["", "priors and later knowledge (dates cited in each prior's source):"]
        for where, note in bt["prior_vintage"].items():
            out.append(f"  {where}: {note}")
            later = bt["priors_using_later_knowledge"].get(where)
            if later:
                out.append(f"    used later knowledge: {later}")
    return out


def format_sweep(result: Mapping[str, Any]) -> str:
    c = result["counts"]
    lines = [
        f"sweep {result['sweep_id']}: {result['state']}, {c['fits']} fits "
        f"({c['passed']} passed the gate, {c['failed']} failed); "
        f"{result['fitted_now']} fitted now, {result['stored_before']} stored before, "
        f"{result['wall_seconds']} s"
        + (f", {result['fits_per_minute']} fits/min" if result.get("fits_per_minute") else ""),
        "results: " + ", ".join(result["files"].values()) + " (in the sweep store)",
        "",
        *format_rows(result["rows"]),
        *format_backtest_table(result["backtest"]),
    ]
    for e in result["errors"]:
        lines.append(f"error: {e['fit']}: {e['error']} (refitted when the sweep is run again)")
    return "\n".join(lines)


def format_backtest_sweep(payload: Mapping[str, Any]) -> str:
    """``forecast backtest`` through a sweep: the per-cutoff tables, the honest summary, the
    baselines table, failed fits apart and the prior-vintage notes."""
    from forecast.cli.text import format_backtest

    lines = [format_backtest(payload)]
    s = payload["summary"]
    pooled = ", ".join(s["cutoffs_pooled"]) or "none"
    lines.append(f"summary pooled over {s['pooled_over']}: {pooled}")
    for e in s["excluded"]:
        lines.append(f"  not pooled: {e['cutoff']}: {e['reason']}")
    bt = {
        "pooled_over": "fits that passed the gate only",
        "table": payload["baselines"],
        "failed_fits": payload["failed_fits"],
        "prior_vintage": payload["prior_vintage"],
        "priors_using_later_knowledge": payload["priors_using_later_knowledge"],
    }
    lines += format_backtest_table(bt)
    sw = payload["sweep"]
    lines.append(
        f"sweep {sw['sweep_id']} ({sw['engine']}): {sw['fitted_now']} fitted now, "
        f"{sw['stored_before']} stored before"
    )
    return "\n".join(lines)
