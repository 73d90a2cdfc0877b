"""``forecast report``: render the dated report of a run and print where it went, as text or JSON.

The report itself is built in :mod:`forecast.report`; this module reads the command's options
(and, for ``--sweep``, the sweep's table from the sweep store, which the report floor does not
import) and owns the wording of what it prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from forecast.cli.output import emit, say
from forecast.report.build import FORMATS, ReportResult, SweepTable, render_report
from forecast.report.render import parse_formats


def format_text(result: ReportResult) -> str:
    """The text summary of a rendered report: its files and how 'what changed' was computed."""
    lines = [f"report {result.report_id} for run {result.run_id}"]
    lines += [f"  {fmt}: {path}" for fmt, path in result.files.items()]
    changes = result.payload["changes"]
    lines.append(f"  what changed: {changes['method']} ({changes.get('previous_report')})")
    return "\n".join(lines)


def load_sweep(sweep_id: str) -> SweepTable:
    """A stored sweep's table and run store, for the report (ForecastError when unknown)."""
    from forecast.sweeps.index import SweepStore

    sweeps = SweepStore()
    got = sweeps.get(sweep_id.strip())
    return SweepTable(got["id"], got["rows"], sweeps.runs, got["state"], got["fits"], got["spec"])


def run_cli(args: Any) -> int:
    """``forecast report [--run ID] [--out DIR] [--format html,pdf,json] [--sweep ID] [--json]``.

    Counterfactual refits for the change split follow ``--refit`` when the parser has it, else
    ``$FORECAST_REPORT_REFIT`` (``auto``, ``cached`` or ``off``; default ``auto``).
    """
    formats = parse_formats(getattr(args, "format", None) or ",".join(FORMATS))
    refit = getattr(args, "refit", None) or os.environ.get("FORECAST_REPORT_REFIT", "auto")
    data_files = [Path(p) for p in getattr(args, "data", None) or []]
    sweep_id = getattr(args, "sweep", None)
    sweep = load_sweep(sweep_id) if sweep_id else None
    result = render_report(
        getattr(args, "run", None),
        out=getattr(args, "out", None),
        formats=formats,
        refit=refit,
        data_files=data_files,
        log=say,
        sweep=sweep,
    )
    emit(result.summary(), getattr(args, "json", False), lambda _: format_text(result))
    return 0
