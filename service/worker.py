"""The refit worker: one long-lived process, started with "spawn", running one job at a time.

The web process never fits. ``POST /v1/refits`` stores a queued job in SQLite and puts its id on
a ``multiprocessing`` queue; the worker process takes ids one by one, claims the job (queued ->
running), exports the stored observations as one CSV per table into a temporary folder under
``$FORECAST_HOME``, fits with them as extra data, and records the outcome (succeeded with the
run id, or failed with the error message). A run that passes the diagnostics gate becomes current
through the store's atomic pointer; the web process notices the new pointer and switches.

Spawn, not fork: the web process runs an event loop and threads, and PyMC/PyTensor compilation
is not fork-safe. The worker imports the fitting stack once at start and keeps it, so a later
``Refitter`` that keeps the compiled model only has to replace :func:`run_fit`'s body.

:class:`WorkerHandle` is the web process's side: start, submit, supervise, and stop. A worker
that died is restarted, its running job marked failed with the reason (the exit code or signal,
and the error the worker reported as it died, e.g. "OSError: [Errno 28] No space left on
device"), and queued jobs re-sent. A worker that keeps dying is restarted with exponential
backoff: at once after a crash that follows a stable run, then after the first wait of
``FORECAST_WORKER_BACKOFF`` (1 s), doubling up to its longest wait (300 s); the crash count resets
once a worker has stayed up for the longest wait. Each crash is logged once, with the wait.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.jobs import ServiceDB

if TYPE_CHECKING:  # the fitting stack is imported in the worker process only
    from forecast.fit.refitter import Refitter
    from forecast.fit.sampling import FitResult, Gate, SamplerConfig
    from forecast.store.runs import RunStore

log = logging.getLogger("service.worker")
WORK_DIR = "service_tmp"
STOP = None


_REFITTER: Refitter | None = None


def refitter_for(store: RunStore) -> Refitter:
    """The worker process's long-lived ``Refitter`` (one compiled model, reused across jobs)."""
    global _REFITTER
    from forecast.fit.refitter import Refitter

    if _REFITTER is None or _REFITTER.store.home != store.home:
        _REFITTER = Refitter(store=store)
    return _REFITTER


def run_fit(
    priors: str,
    extra: Sequence[Path],
    config: SamplerConfig,
    store: RunStore,
    say: Callable[[str], None],
    gate: Gate | None = None,
) -> FitResult:
    """Refit with the worker's compiled model: after the first job, sampling time only."""
    from forecast.fit.sampling import Gate as GateType

    refitter = refitter_for(store)
    refitter.say = say
    refitter.report = getattr(say, "progress", None)  # a JobLog also takes progress reports
    refitter.gate = gate or GateType()
    return refitter.refit(priors, extra, config=config)


class JobLog:
    """A job's log (``say(message)``) and progress (``say.progress(Progress)``), in its row.

    Progress is written on a change of stage and otherwise at most every ``every`` seconds.
    """

    def __init__(self, db: ServiceDB, job_id: str, every: float = 2.0) -> None:
        self.db = db
        self.job_id = job_id
        self.every = every
        self._stage = ""
        self._last = 0.0

    def __call__(self, message: str) -> None:
        log.info(message, extra={"job_id": self.job_id})
        self.db.add_message(self.job_id, message)

    def progress(self, p: Any) -> None:
        now = time.monotonic()
        if p.stage == self._stage and now - self._last < self.every:
            return
        self._stage, self._last = p.stage, now
        try:
            self.db.set_progress(self.job_id, p.stage, p.fraction, p.eta_seconds)
        except Exception as exc:  # progress is best effort; never stop a fit for it
            log.warning("could not record job progress", extra={"error": str(exc)})


def run_job(
    db: ServiceDB,
    store: RunStore,
    job_id: str,
    quick_gate: tuple[float, float, int] | None = None,
) -> dict[str, Any] | None:
    """Run one queued job to its end; returns the finished job (None if it was not queued)."""
    from forecast.core.errors import ForecastError
    from forecast.fit.sampling import QUICK, QUICK_GATE, Gate, SamplerConfig

    job = db.claim_job(job_id)
    if job is None:
        return None
    log.info("refit started", extra={"job_id": job_id, "priors": job["priors"]})

    say = JobLog(db, job_id)

    folder: Path | None = None
    count = 0
    try:
        work_root = store.home / WORK_DIR
        work_root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"refit-{job_id[:8]}-", dir=work_root))
        extra = db.export_observations(folder)
        count = db.count_observations()
        say(f"observations from the API: {count} rows in {len(extra)} table file(s)")
        config = QUICK if job["quick"] else SamplerConfig()
        gate = None
        if job["quick"]:  # quick refits are smoke checks, judged by the quick gate
            gate = Gate(*quick_gate) if quick_gate else QUICK_GATE
        result = run_fit(job["priors"], extra, config, store, say, gate)
        if result.status == "passed":
            db.finish_job(job_id, "succeeded", result.run_id, result.status, None, count)
        else:
            reasons = "; ".join(result.meta.get("gate_failures", [])) or "diagnostics gate failed"
            error = f"run {result.run_id} failed the diagnostics gate and is not current: {reasons}"
            db.finish_job(job_id, "failed", result.run_id, result.status, error, count)
    except ForecastError as exc:
        db.finish_job(job_id, "failed", error=str(exc), observations=count)
    except Exception as exc:
        log.error("refit crashed", extra={"job_id": job_id}, exc_info=exc)
        last = traceback.format_exception_only(exc)[-1].strip()
        db.finish_job(job_id, "failed", error=f"internal error during the fit: {last}")
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    finished = db.get_job(job_id)
    log.info(
        "refit finished",
        extra={"job_id": job_id, "status": finished and finished["status"]},
    )
    return finished


def worker_main(
    home: str,
    queue: Queue[str | None],
    log_level: str,
    log_format: str,
    quick_gate: tuple[float, float, int] | None = None,
    reports: Queue[str] | None = None,
) -> None:
    """Entry point of the worker process: take job ids from ``queue`` until ``None``.

    An error that ends the process is reported on ``reports`` (one line) before it exits, so
    the web process can give it as the reason its running job failed.
    """
    try:
        _serve_jobs(home, queue, log_level, log_format, quick_gate)
    except BaseException as exc:
        if reports is not None:
            with suppress(Exception):
                reports.put(traceback.format_exception_only(exc)[-1].strip()[:500])
        raise


def _serve_jobs(
    home: str,
    queue: Queue[str | None],
    log_level: str,
    log_format: str,
    quick_gate: tuple[float, float, int] | None,
) -> None:
    from service.logs import setup_logging

    os.environ["FORECAST_HOME"] = home
    setup_logging(log_level, log_format)
    from forecast.store.runs import RunStore

    store = RunStore(Path(home))
    db = ServiceDB(Path(home) / "service.sqlite")
    import forecast.fit.sampling  # noqa: F401  (import the fitting stack once, before the first job)

    log.info("worker ready", extra={"pid": os.getpid()})
    if os.environ.get("FORECAST_WORKER_WARMUP", "1") != "0":
        # Compile the default model now, so the first refit costs sampling time only.
        seconds = refitter_for(store).warm("default")
        log.info("worker compiled the default model", extra={"seconds": round(seconds, 1)})
    while True:
        job_id = queue.get()
        if job_id is STOP:
            break
        try:
            run_job(db, store, job_id, quick_gate)
        except Exception as exc:  # keep the worker alive whatever one job does
            log.error("job failed outside the fit", extra={"job_id": job_id}, exc_info=exc)
    log.info("worker stopped", extra={"pid": os.getpid()})


class WorkerHandle:
    """The web process's handle on the worker process."""

    def __init__(
        self,
        home: Path,
        db: ServiceDB,
        log_level: str,
        log_format: str,
        quick_gate: tuple[float, float, int] | None = None,
        stop_grace: float = 10.0,
        backoff: tuple[float, float] = (1.0, 300.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.home = Path(home)
        self.quick_gate = quick_gate
        self.stop_grace = stop_grace
        self.backoff = backoff
        self.clock = clock
        self.db = db
        self.log_level = log_level
        self.log_format = log_format
        self._ctx = mp.get_context("spawn")
        self._queue: Queue[str | None] | None = None
        self._reports: Queue[str] | None = None
        self._process: BaseProcess | None = None
        self._started_at = 0.0
        self.restarts = 0
        self.crashes = 0
        """Consecutive crashes (reset once a worker stays up for the longest wait)."""
        self.restart_at: float | None = None
        """When (``clock``) a dead worker will be restarted; None while it runs."""

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The worker process's id (None before the first start)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the worker; jobs a previous worker left running fail, queued ones are re-sent."""
        failed = self.db.fail_running("the worker stopped while the job was running; resubmit it")
        if failed:
            log.warning("jobs interrupted by a worker stop", extra={"job_ids": failed})
        self._clean_work_dir()
        self._launch()
        for job_id in self.db.job_ids("queued"):
            self.submit(job_id)

    def _clean_work_dir(self) -> None:
        """Remove the export folders a dead worker left (no worker runs at this point)."""
        work = self.home / WORK_DIR
        if work.is_dir():
            for entry in work.iterdir():
                shutil.rmtree(entry, ignore_errors=True)

    def _launch(self) -> None:
        self._queue = self._ctx.Queue()
        self._reports = self._ctx.Queue()
        self._process = self._spawn(self._queue, self._reports)
        self._started_at = self.clock()
        self.restart_at = None
        log.info("worker started", extra={"pid": self._process.pid})

    def _spawn(self, queue: Queue[str | None], reports: Queue[str]) -> BaseProcess:
        process = self._ctx.Process(
            target=worker_main,
            args=(
                str(self.home),
                queue,
                self.log_level,
                self.log_format,
                self.quick_gate,
                reports,
            ),
            name="forecast-refit-worker",
            daemon=True,
        )
        process.start()
        return process

    def submit(self, job_id: str) -> None:
        """Queue a job id for the worker."""
        if self._queue is None:
            raise RuntimeError("the worker is not started")
        self._queue.put(job_id)

    def _death_reason(self, code: int | None) -> str:
        """How the worker ended: its exit code or signal, and the error it reported."""
        how = f"exit code {code}"
        if code is not None and code < 0:
            with suppress(ValueError):
                how = f"killed by {signal.Signals(-code).name}"
        reported = None
        if self._reports is not None:
            with suppress(Exception):
                reported = self._reports.get(timeout=0.2)
        return f"{how}: {reported}" if reported else how

    def _fail_running(self, reason: str) -> list[str]:
        """Mark running jobs failed; a database that cannot be written is logged, not raised."""
        try:
            return self.db.fail_running(reason)
        except Exception as exc:  # a full or broken disk must not stop the supervision
            log.warning("could not mark the running job failed", extra={"error": str(exc)})
            return []

    def check(self) -> bool:
        """Restart the worker if it died (after the backoff wait); True when it restarted it."""
        if self._process is None:
            return False
        now = self.clock()
        if self._process.is_alive():
            if self.crashes and now - self._started_at >= self.backoff[1]:
                self.crashes = 0  # stable again
            return False
        if self.restart_at is None:  # the death is new: fail its job, log once, plan a restart
            uptime = now - self._started_at
            if uptime >= self.backoff[1]:
                self.crashes = 0
            self.crashes += 1
            wait = (
                0.0
                if self.crashes == 1
                else min(self.backoff[0] * 2 ** (self.crashes - 2), self.backoff[1])
            )
            reason = self._death_reason(self._process.exitcode)
            failed = self._fail_running(
                f"the refit worker stopped while the job was running ({reason}); resubmit it"
            )
            self.restart_at = now + wait
            log.error(
                "worker process exited; restarting it",
                extra={
                    "exitcode": self._process.exitcode,
                    "reason": reason,
                    "consecutive_crashes": self.crashes,
                    "restart_in_seconds": round(wait, 1),
                    "failed_jobs": failed,
                },
            )
        if now < self.restart_at:
            return False
        self._close_queue()
        self.restarts += 1
        try:
            self._clean_work_dir()
            self._launch()
            for job_id in self.db.job_ids("queued"):
                self.submit(job_id)
        except Exception as exc:  # try again after the next wait
            log.error("worker restart failed", exc_info=exc)
            self.restart_at = None
            return False
        return True

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop after its current job; terminate it after ``timeout`` s.

        ``timeout`` defaults to the handle's ``stop_grace``.
        """
        process, queue = self._process, self._queue
        if process is None:
            return
        if process.is_alive() and queue is not None:
            queue.put(STOP)
            process.join(self.stop_grace if timeout is None else timeout)
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
        self._close_queue()
        self._process = None
        self._clean_work_dir()
        self.db.fail_running("the service stopped while the job was running; resubmit it")

    def _close_queue(self) -> None:
        for queue in (self._queue, self._reports):
            if queue is not None:
                queue.close()
                queue.cancel_join_thread()
        self._queue = self._reports = None
