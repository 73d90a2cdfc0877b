"""``forecast backtest``: refit at past cutoffs (or judge new data) and print the scores.

Cutoff refits run as a sweep (``forecast.sweeps.backtest``: stored once in the sweep store,
resumed, on ``--scheduler``'s engine, inline by default). A cutoff fit that fails the
diagnostics gate is still scored and shown, but reported apart and never pooled into the summary
(a warning goes to stderr); the exit status is 0 once every cutoff is scored.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from forecast.cli.output import emit, say
from forecast.cli.text import format_backtest
from forecast.core.errors import UsageError

if TYPE_CHECKING:
    from forecast.validation.backtest import BacktestConfig


def config_from_args(args: argparse.Namespace) -> BacktestConfig:
    """Validated settings from the command's arguments (UsageError on bad input)."""
    from forecast.validation.backtest import DEFAULT_CUTOFFS, BacktestConfig, parse_cutoff

    files = tuple(Path(f) for f in (args.data or []))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"--data: file not found: {missing[0]}")
    priors = str(args.priors or "default")
    if args.cutoff:
        cutoffs = tuple(sorted({parse_cutoff(c) for c in args.cutoff}))
    else:
        cutoffs = DEFAULT_CUTOFFS
    return BacktestConfig(
        cutoffs=cutoffs,
        extra=files,
        priors=Path(priors) if priors.endswith(".toml") else priors,
        quick=bool(args.quick),
        use_current=bool(files) and not args.cutoff,
    )


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the backtest and print its payload (JSON) or its tables (text)."""
    from forecast.validation.backtest import run_backtest

    config = config_from_args(args)
    if config.use_current or config.extra:  # judging user files: no refit grid to sweep
        emit(run_backtest(config, log=say), args.json, format_backtest)
        return 0
    from forecast.cli.sweep_cmd import format_backtest_sweep, scheduler_of
    from forecast.sweeps.backtest import run_backtest_sweep

    scheduler = scheduler_of(getattr(args, "scheduler", None) or "inline")
    payload = run_backtest_sweep(config, log=say, scheduler=scheduler)
    emit(payload, args.json, format_backtest_sweep)
    return 0
