"""Scheduled imports: watch a folder on a cron schedule, import what changed, refit on new data.

``FORECAST_IMPORT_CRON`` (five-field cron in UTC, or an ``@`` alias, read by croniter as for
reports) and ``FORECAST_IMPORT_DIR`` (the folder to watch) switch it on. The folder holds one
sub-folder per import source, named as the source, with the publishers' files in it::

    imports/epoch-eci/epoch_capabilities_index_2026-03.csv
    imports/metr/metr_benchmark_results_1_2.yaml

At each firing every file is imported (as ``POST /v1/imports`` would, under the key name
``scheduled-import``). Imports are idempotent: a file whose rows are all unchanged stores
nothing, so files can stay in the folder. Stored rows are scored against the current run
(alerts, webhook), and when any rows were stored a refit is queued through the worker. A file
that cannot be read or whose rows break the rules is logged and skipped; the schedule goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from forecast.core.errors import ForecastError
from forecast.data.importers import SOURCES, ImportPlan
from service.scheduler import Cron, run_on_schedule

log = logging.getLogger("service.imports")

KEY_NAME = "scheduled-import"

ImportFn = Callable[[str, bytes, str], Awaitable[tuple[ImportPlan, list[dict[str, Any]]]]]


def pending_files(folder: Path) -> list[tuple[str, Path]]:
    """(source, file) pairs under ``folder/<source>/`` (hidden files skipped), sorted."""
    found: list[tuple[str, Path]] = []
    for source in SOURCES:
        sub = folder / source
        if sub.is_dir():
            found.extend(
                (source, p)
                for p in sorted(sub.iterdir())
                if p.is_file() and not p.name.startswith(".")
            )
    return found


@dataclass
class ImportSchedule:
    """Imports the watched folder at each firing and queues a refit when rows were stored."""

    cron: Cron
    folder: Path
    run_import: ImportFn
    start_refit: Callable[[], str] | None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep

    async def tick(self) -> dict[str, Any]:
        """Import every file once; queue a refit if any rows were stored."""
        outcome: dict[str, Any] = {"at": self.clock().isoformat(), "files": [], "refit": None}
        stored = 0
        files = await anyio.to_thread.run_sync(pending_files, self.folder)
        for source, path in files:
            entry: dict[str, Any] = {"source": source, "file": path.name}
            try:
                data = await anyio.to_thread.run_sync(path.read_bytes)
                plan, alerts = await self.run_import(source, data, path.name)
            except (ForecastError, OSError) as exc:
                entry["error"] = str(exc)
                log.warning("scheduled import failed", extra=entry)
                outcome["files"].append(entry)
                continue
            entry |= {"counts": plan.counts, "stored": len(plan.stored), "alerts": len(alerts)}
            if not plan.ok:
                entry["issues"] = len(plan.issues)
                log.warning("scheduled import refused: rows break the rules", extra=entry)
            stored += len(plan.stored)
            outcome["files"].append(entry)
        if stored and self.start_refit is not None:
            outcome["refit"] = {"job_id": self.start_refit(), "new_observations": stored}
        log.info("scheduled import done", extra={"outcome": outcome})
        return outcome

    async def run(self, firings: int | None = None) -> list[dict[str, Any]]:
        """Sleep until each firing time and tick; ``firings`` bounds the loop (tests)."""
        return await run_on_schedule(self, "scheduled import", firings)


def import_schedule(services: Any, state: Any) -> ImportSchedule:
    """The schedule of this service's settings, store and worker."""
    from service.domains.imports.controller import run_import

    settings = services.settings.imports

    async def do_import(
        source: str, data: bytes, name: str
    ) -> tuple[ImportPlan, list[dict[str, Any]]]:
        return await run_import(
            services,
            state,
            source=source,
            data=data,
            filename=name,
            key_name=KEY_NAME,
            vintage=None,
            dry_run=False,
            allow_implausible=False,
        )

    def start_refit() -> str:
        job = services.db.create_job("default", False, KEY_NAME)
        services.worker.submit(job["job_id"])
        return str(job["job_id"])

    return ImportSchedule(
        cron=Cron.parse(settings.cron),
        folder=Path(settings.folder),
        run_import=do_import,
        start_refit=start_refit if services.worker is not None else None,
    )
