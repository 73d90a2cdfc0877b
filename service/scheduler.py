"""Periodic reports: a cron-style schedule that refits on new observations, then renders.

The schedule is ``FORECAST_REPORT_CRON`` (five fields: minute, hour, day of month, month, day of
week with 0 = Sunday; each ``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n`` or a comma list), off when
empty (the default). At each firing time the scheduler:

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
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread

log = logging.getLogger("service.scheduler")

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 6))
MAX_SEARCH = timedelta(days=366 * 4)


class CronError(ValueError):
    """A malformed cron expression (the message says which field and why)."""


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
        except ValueError:
            raise CronError(f"{name}: step {step_text!r} is not a whole number") from None
        if step < 1:
            raise CronError(f"{name}: step must be at least 1, got {step}")
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            try:
                start = int(first)
                end = int(last) if last else (high if step_text else start)
            except ValueError:
                raise CronError(f"{name}: {part!r} is not a number, range or *") from None
        if not low <= start <= end <= high:
            raise CronError(f"{name}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron expression (times in UTC)."""

    expression: str
    minute: frozenset[int]
    hour: frozenset[int]
    day: frozenset[int]
    month: frozenset[int]
    weekday: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> Cron:
        parts = expression.split()
        if len(parts) != len(FIELDS):
            raise CronError(
                f"cron expression {expression!r} needs 5 fields "
                f"(minute hour day-of-month month day-of-week), got {len(parts)}"
            )
        sets = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, FIELDS, strict=True)]
        return cls(expression, *sets)

    def matches(self, when: datetime) -> bool:
        """True when ``when`` (to the minute) is a firing time."""
        return (
            when.minute in self.minute
            and when.hour in self.hour
            and when.day in self.day
            and when.month in self.month
            and (when.isoweekday() % 7) in self.weekday
        )

    def next_after(self, when: datetime) -> datetime:
        """The first firing time strictly after ``when`` (UTC, whole minutes)."""
        t = when.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + MAX_SEARCH
        while t < limit:
            if t.month not in self.month or t.day not in self.day:
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if self.matches(t):
                return t
            t += timedelta(minutes=1)
        raise CronError(f"cron expression {self.expression!r} never fires")


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
        done: list[dict[str, Any]] = []
        while firings is None or len(done) < firings:
            now = self.clock()
            due = self.cron.next_after(now)
            await self.sleep(max((due - now).total_seconds(), 0.0))
            try:
                done.append(await self.tick())
            except Exception as exc:  # a failed firing must not stop the schedule
                log.error("scheduled run failed", exc_info=exc)
                done.append({"at": self.clock().isoformat(), "error": str(exc)})
        return done
