"""``forecast backtest``: refit at past cutoffs (or judge new data) and print the scores.

A cutoff run that fails the diagnostics gate is still scored (its status and diagnostics are in
the output, and a warning goes to stderr); the exit status is 0 once every cutoff is scored.
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

    payload = run_backtest(config_from_args(args), log=say)
    emit(payload, args.json, format_backtest)
    return 0
