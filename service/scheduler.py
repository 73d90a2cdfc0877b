"""Periodic reports: a cron-style schedule that refits on new observations, then renders.

The schedule is ``FORECAST_REPORT_CRON``, a standard five-field cron expression in UTC (minute,
hour, day of month, month, day of week) or an ``@`` alias (``@hourly``, ``@daily``, ``@weekly``,
``@monthly``, ``@yearly``), read by croniter: names such as ``MON`` or ``JAN`` work, and when both
day of month and day of week are restricted a day matching *either* fires (``0 6 1 * MON``: the
1st of each month and every Monday), as in cron. Off when empty (the default); an expression
croniter refuses, or one that never fires (``0 0 31 2 *``), stops the start with a clear error.
At each firing time the scheduler:

1. starts a refit (through the worker, as ``POST /v1/refits`` would) when observations were
   added after the current run was created, and waits for it to finish;
2. renders a report (HTML, PDF, JSON) of the current run when one is due
   (``forecast.report.build.report_due``), in a thread, and stores it under ``reports/``.

The clock and the sleep are injected, so tests drive the schedule with a fake clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread
from croniter import CroniterError, croniter

log = logging.getLogger("service.scheduler")

MAX_YEARS = 5
"""How far ahead a firing time is looked for before an expression is said never to fire."""


class CronError(ValueError):
    """A malformed cron expression (the message quotes it and says why)."""


@dataclass(frozen=True)
class Cron:
    """A cron expression (times in UTC), checked by croniter when parsed."""

    expression: str

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """The expression, or :class:`CronError` if croniter refuses it or it never fires."""
        text = " ".join(expression.split())
        fields = text.split(" ")
        if not text.startswith("@") and len(fields) != 5:
            raise CronError(
                f"cron expression {expression!r} needs 5 fields "
                f"(minute hour day-of-month month day-of-week) or an @alias such as @weekly, "
                f"got {len(fields)}"
            )
        try:
            croniter(text, datetime(2000, 1, 1, tzinfo=UTC))
        except (CroniterError, ValueError, KeyError) as exc:
            raise CronError(f"cron expression {expression!r} is not valid: {exc}") from None
        cron = cls(text)
        cron.next_after(datetime.now(UTC))  # refuses an expression that never fires
        return cron

    def matches(self, when: datetime) -> bool:
        """True when ``when`` (to the minute) is a firing time."""
        return bool(croniter.match(self.expression, when.astimezone(UTC)))

    def next_after(self, when: datetime) -> datetime:
        """The first firing time strictly after ``when`` (UTC, whole minutes)."""
        start = when.astimezone(UTC)
        try:
            found = croniter(
                self.expression, start, day_or=True, max_years_between_matches=MAX_YEARS
            ).get_next(datetime)
        except CroniterError:
            raise CronError(
                f"cron expression {self.expression!r} never fires "
                f"(no firing time within {MAX_YEARS} years)"
            ) from None
        return found.astimezone(UTC)


@dataclass
class ReportScheduler:
    """Runs refits and reports on a cron schedule.

    ``observations_after(created)`` counts observations added after a run's creation time;
    ``start_refit()`` queues a refit and returns its job id; ``job_status(job_id)`` returns the
    job's status; ``render()`` renders and stores a report if one is due (blocking, run in a
    thread) and returns a summary.
    """

    cron: Cron
    current_created: Callable[[], datetime | None]
    observations_after: Callable[[datetime | None], int]
    start_refit: Callable[[], str] | None
    job_status: Callable[[str], str | None]
    render: Callable[[], dict[str, Any]]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    poll_seconds: float = 2.0
    refit_timeout: float = 3600.0

    async def tick(self) -> dict[str, Any]:
        """One firing: refit if new observations exist, then render a report if one is due."""
        outcome: dict[str, Any] = {"at": self.clock().isoformat(), "refit": None, "report": None}
        new = self.observations_after(self.current_created())
        if new and self.start_refit is not None:
            job_id = self.start_refit()
            outcome["refit"] = {"job_id": job_id, "new_observations": new}
            waited = 0.0
            status = self.job_status(job_id)
            while status in ("queued", "running") and waited < self.refit_timeout:
                await self.sleep(self.poll_seconds)
                waited += self.poll_seconds
                status = self.job_status(job_id)
            outcome["refit"]["status"] = status
        outcome["report"] = await anyio.to_thread.run_sync(self.render)
        log.info("scheduled run done", extra={"outcome": outcome})
        return outcome

    async def run(self, firings: int | None = None) -> list[dict[str, Any]]:
        """Sleep until each firing time and tick; ``firings`` bounds the loop (tests)."""
        return await run_on_schedule(self, "scheduled run", firings)


async def run_on_schedule(schedule: Any, what: str, firings: int | None) -> list[dict[str, Any]]:
    """The loop every schedule runs: sleep until the cron's next firing, ``tick``, repeat.

    ``schedule`` has ``clock``, ``cron``, ``sleep`` and ``tick``; a failed firing is logged and
    recorded, never the end of the schedule; ``firings`` bounds the loop (tests).
    """
    done: list[dict[str, Any]] = []
    while firings is None or len(done) < firings:
        now = schedule.clock()
        due = schedule.cron.next_after(now)
        await schedule.sleep(max((due - now).total_seconds(), 0.0))
        try:
            done.append(await schedule.tick())
        except Exception as exc:  # a failed firing must not stop the schedule
            log.error(f"{what} failed", exc_info=exc)
            done.append({"at": schedule.clock().isoformat(), "error": str(exc)})
    return done
