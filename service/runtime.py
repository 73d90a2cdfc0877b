"""The web process's run-time state: current-run pointer, loaded forecasters, encoded answers.

- :class:`CurrentRun` follows the store's ``CURRENT`` pointer. Each request stats the file
  (a couple of microseconds) and re-reads it only when its inode, size or mtime changed, so a
  refit that makes a new run current is picked up by the very next request.
- :class:`ForecasterPool` keeps one :class:`~forecast.questions.Forecaster` per run id (an LRU of
  a few). A forecaster caches its scenario projections, so after warm-up a question is a few
  numpy reductions. Loading happens in a worker thread, once per run even under concurrent
  requests. The pool key includes the scenario file's stamp, so editing ``scenarios.toml``
  takes effect without a restart.
- :class:`AnswerCache` keeps encoded answers by ETag (run, endpoint, canonical query and
  scenario stamp): a repeated question is a dictionary lookup. It is bounded both in entries
  (``FORECAST_ANSWER_CACHE``) and in bytes (``FORECAST_ANSWER_CACHE_BYTES``); an answer larger
  than an eighth of the byte bound is served but not kept.
- :class:`AnswerIndex` maps a question's exact URL (path and raw query) to its ETag while the
  current run and the scenario file are unchanged, so :class:`service.responses.AnswerFront`
  can answer a repeated question before Litestar parses its parameters.
- :class:`~service.limits.CostBudget` holds each client's cost budget for the minute.
- :func:`has_projection` says whether a forecaster already holds a scenario's projection (then
  an arrival or probability answer is cheap enough for the event loop, see
  :func:`service.responses.answers_on_loop`).

All of this is per process: ``docs/service-performance.md`` says what several service
processes share (the run store and its database) and what they do not (these caches, budgets).

Decision (no current run): the service starts on an empty store and answers every question
with 503 problem details ("no current run; a fit is in progress or has not been run:
`forecast fit`", with ``Retry-After``) until a run is current; ``/health`` then reports
``ready: false``. It never fits by itself: a fit is ``forecast fit`` or ``POST /v1/refits``.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread
from litestar.di import NamedDependency

from forecast.core.definitions import BASELINE_SCENARIO
from forecast.priors.scenarios import scenarios_path
from forecast.questions.forecaster import Forecaster
from forecast.store.runs import CURRENT_FILE, META_FILE, RunNotFoundError, RunStore
from service.config import Settings
from service.jobs import ServiceDB
from service.limits import CostBudget
from service.problems import NoCurrentRunError
from service.worker import WorkerHandle


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def has_projection(forecaster: Forecaster, scenario: str | None) -> bool:
    """True when ``forecaster`` already holds the projection of ``scenario`` (None: the
    baseline), so a question under it is a few numpy reductions. False when unsure (the
    forecaster's cache is private to the library: a changed layout sends work to a thread)."""
    cache = getattr(forecaster, "_cache", None)
    return isinstance(cache, dict) and (scenario or BASELINE_SCENARIO) in cache


class CurrentRun:
    """The current run id, re-read only when the ``CURRENT`` file changes."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.path = store.home / CURRENT_FILE
        self._stamp: tuple[int, int, int] | None = None
        self._id: str | None = None

    def peek(self) -> str | None:
        """The current run id, or None when there is none."""
        stamp = _stamp(self.path)
        if stamp is None:
            self._stamp, self._id = None, None
            return None
        if stamp != self._stamp:
            try:
                self._id = self.store.current_id() or None
            except (RunNotFoundError, OSError):
                self._id = None
            self._stamp = stamp
        return self._id

    def require(self) -> str:
        """The current run id; raises the 503 problem when there is none."""
        run_id = self.peek()
        if run_id is None:
            raise NoCurrentRunError()
        return run_id


class ForecasterPool:
    """Loaded forecasters by run id (LRU), each loaded once in a worker thread."""

    def __init__(self, store: RunStore, size: int) -> None:
        self.store = store
        self.size = size
        self._items: OrderedDict[tuple[str, str], Forecaster] = OrderedDict()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._scenario_path = scenarios_path()

    def scenario_stamp(self) -> str:
        """A short stamp of the scenario file (changes when it is edited)."""
        stamp = _stamp(self._scenario_path)
        return "none" if stamp is None else f"{stamp[0]:x}.{stamp[1]:x}.{stamp[2]:x}"

    def loaded(self, run_id: str) -> bool:
        """True if the run's forecaster is in memory (for the current scenario file)."""
        return (run_id, self.scenario_stamp()) in self._items

    async def get(self, run_id: str) -> Forecaster:
        """The forecaster of ``run_id``, loading it (and its baseline projection) if needed."""
        key = (run_id, self.scenario_stamp())
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        if not (self.store.runs_dir / run_id / META_FILE).is_file():
            raise RunNotFoundError(f"no run {run_id!r}")  # before any lock: ids are untrusted
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                found = self._items.get(key)
                if found is None:
                    found = await anyio.to_thread.run_sync(self._load, run_id)
                    self._items[key] = found
                    while len(self._items) > self.size:
                        old, _ = self._items.popitem(last=False)
                        self._locks.pop(old, None)
                self._items.move_to_end(key)
        finally:
            if key not in self._items:
                self._locks.pop(key, None)
        return found

    def _load(self, run_id: str) -> Forecaster:
        forecaster = Forecaster(self.store.load(run_id))
        forecaster.scenario(None)  # the baseline projection, used by almost every question
        return forecaster

    @staticmethod
    def warm(forecaster: Forecaster) -> None:
        """Project every scenario now (blocking; run it in a thread), so questions are fast."""
        for name in forecaster.scenarios:
            forecaster.scenario(name)


class AnswerCache:
    """Encoded answers by ETag, least recently used dropped first, bounded in count and bytes."""

    def __init__(self, size: int, max_bytes: int = 64 * 2**20) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, etag: str) -> bytes | None:
        """The cached body for ``etag``, or None."""
        body = self._items.get(etag)
        if body is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(etag)
        return body

    def __len__(self) -> int:
        return len(self._items)

    def put(self, etag: str, body: bytes) -> None:
        """Keep ``body`` under ``etag`` (not kept when larger than an eighth of the bound)."""
        if len(body) > self.max_bytes // 8:
            return
        old = self._items.pop(etag, None)
        if old is not None:
            self.bytes -= len(old)
        self._items[etag] = body
        self.bytes += len(body)
        while len(self._items) > self.size or self.bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self.bytes -= len(dropped)

    def clear(self) -> None:
        """Drop every cached answer."""
        self._items.clear()
        self.bytes = 0


class AnswerIndex:
    """Exact URL (path, raw query) -> (current run, scenario stamp, ETag, Cache-Control) of a
    question answered with 200 and kept in the answer cache (LRU, bounded in entries). An entry
    holds only while the current run and the scenario stamp are those it was made under."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._items: OrderedDict[tuple[str, bytes], tuple[str | None, str, str, str]] = (
            OrderedDict()
        )

    def get(self, key: tuple[str, bytes]) -> tuple[str | None, str, str, str] | None:
        """The entry of ``key``, or None."""
        return self._items.get(key)

    def put(self, key: tuple[str, bytes], entry: tuple[str | None, str, str, str]) -> None:
        """Keep ``entry`` under ``key`` (the oldest dropped beyond the bound)."""
        self._items[key] = entry
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Services:
    """Everything the handlers share, kept on ``app.state.services``."""

    settings: Settings
    store: RunStore
    db: ServiceDB
    current: CurrentRun
    pool: ForecasterPool
    answers: AnswerCache
    worker: WorkerHandle | None
    budget: CostBudget
    front: AnswerIndex = field(default_factory=lambda: AnswerIndex(4096))
    computing: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(1))
    """Threads computing questions at once (``FORECAST_COMPUTE_THREADS``)."""
    observation_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Services for ``settings`` (the worker is created, not started)."""
        home = settings.store.home
        store = RunStore(home)
        db = ServiceDB(settings.store.database)
        worker = (
            WorkerHandle(
                home,
                db,
                settings.log.level,
                settings.log.format,
                settings.worker.quick_gate,
                settings.worker.stop_grace,
                backoff=settings.worker.backoff,
            )
            if settings.worker.enabled
            else None
        )
        return cls(
            settings=settings,
            store=store,
            db=db,
            current=CurrentRun(store),
            pool=ForecasterPool(store, settings.api.forecasters),
            answers=AnswerCache(settings.api.answer_cache, settings.api.answer_cache_bytes),
            worker=worker,
            budget=CostBudget(settings.api.client_cost_per_minute),
            front=AnswerIndex(settings.api.answer_cache),
            computing=anyio.CapacityLimiter(settings.api.compute_threads),
        )

    def worker_state(self) -> str:
        """``running``, ``stopped`` or ``disabled``."""
        if self.worker is None:
            return "disabled"
        return "running" if self.worker.alive else "stopped"


ServicesDep = NamedDependency[Services]
"""Handler parameter type: the shared services, injected by name (``services``)."""
