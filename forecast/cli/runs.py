"""``forecast runs``: the stored runs, newest first, or only the current one."""

from __future__ import annotations

import argparse

from forecast.cli.output import emit
from forecast.cli.text import format_current, format_runs


def cmd_runs(args: argparse.Namespace) -> int:
    """List the runs (``--current``: the current run's metadata; exit 1 if there is none)."""
    from forecast.store.runs import RunStore

    store = RunStore()
    if args.current:
        emit(store.meta(store.current_id()), args.json, format_current)
        return 0
    emit(store.list(), args.json, format_runs)
    return 0
