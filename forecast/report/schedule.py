"""When is a new report due? The check a scheduler (or a cron job) runs before rendering one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from forecast.report.index import ReportStore
from forecast.store.runs import RunNotFoundError, RunStore

DEFAULT_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class ReportDue:
    """Whether a new report is due, why, and for which run."""

    due: bool
    reason: str
    run_id: str | None
    last_report: dict[str, Any] | None = None


def report_due(
    home: Path | str | None = None,
    *,
    every: timedelta = DEFAULT_EVERY,
    now: datetime | None = None,
    store: RunStore | None = None,
    reports: ReportStore | None = None,
) -> ReportDue:
    """Is a report due? Yes when there is a current run and no report yet, when the current
    run has changed since the last report, or when the last report is ``every`` old.

    A scheduler calls this, then ``render_report(reports=..., store=...)`` when ``due``.
    """
    store = store or RunStore(home)
    reports = reports or ReportStore(store.home if home is None else home)
    now = now or datetime.now(UTC)
    try:
        run_id = store.current_id()
    except RunNotFoundError:
        return ReportDue(False, "no current run to report on", None)
    last = reports.latest()
    if last is None:
        return ReportDue(True, "no report yet", run_id)
    if last["run_id"] != run_id:
        return ReportDue(
            True, f"the current run {run_id} is newer than the last report's run", run_id, last
        )
    age = now - datetime.fromisoformat(last["created"])
    if age >= every:
        return ReportDue(True, f"the last report is {age} old (every {every})", run_id, last)
    return ReportDue(False, f"the last report ({last['id']}) covers the current run", run_id, last)
