"""The run store: immutable fitted runs on disk plus a SQLite catalog and a "current" pointer.

Layout under ``$FORECAST_HOME`` (default ``./var``)::

    runs/<run_id>/posterior.nc   the posterior DataTree (netCDF, h5netcdf engine)
    runs/<run_id>/meta.json      id, model type and version, prior set, hashes, settings,
                                 sampler settings, diagnostics, library versions, created time
    runs/<run_id>/priors.toml    the resolved prior set the run used, self-contained
                                 (``forecast.priors.priorset.load_prior_set`` reads it back)
    catalog.sqlite               one row per run (for listing); an index of ``runs/``
    CURRENT                      the id of the current run
    tmp/<name>.<random>.lock     a writer's lock file, locked (``flock``) while it writes, and
                                 saying what it writes: the run id and whether it makes it current
    tmp/<name>.<random>/         that writer's temporary folder

**Writing.** A run is written in full into a temporary folder and fsynced, then renamed into
``runs/`` in one step: the rename is the commit point, so no reader ever sees half a run. The
catalog row and the ``CURRENT`` pointer follow; ``CURRENT`` is replaced atomically the same way
(write a temporary file, rename it over). The posterior is rendered to netCDF in memory first,
so HDF5 never meets a failing disk: every disk write is a plain file write.

**Errors.** Before a fit samples, :meth:`RunStore.preflight` refuses a store that cannot be
written (:class:`StoreReadOnlyError`) or whose file system has less free space than the run's
estimate plus the headroom setting (:class:`StoreFullError`, see
:mod:`forecast.store.settings`); :meth:`RunStore.save` checks the exact size again before it
writes. When a write fails anyway (no space, read-only, a catalog error, any ``OSError``), the
save undoes the steps it made (removes the temporary folder, renames the run back out of
``runs/``, deletes its catalog row, restores ``CURRENT``) and raises :class:`StoreError`: the
store is as it was. Every failure of the disk under the store reaches callers as a
:class:`StoreError` with a one-line message naming the store and the cause
(:mod:`forecast.store.errors`).

**Reads never write.** On a read-only or full store, :meth:`RunStore.list` reads the run folders
when the catalog cannot be opened or updated; ``meta``, ``load`` and ``current_id`` only read.

**Crashes (SIGKILL).** The kernel drops a dead process's ``flock``, so a lock file nobody holds
belongs to a writer that is gone. Every start of a store user (constructing a
:class:`RunStore`, which never fails for this, and every write) recovers at once, without
waiting:

- a dead writer's temporary folder and lock file are removed; a live writer's are left alone;
- decision, the interrupted pointer update: a run that a dead writer had renamed into
  ``runs/`` (complete and fsynced) while meaning to make it current (its lock file says so) is
  made current by the next start **if it passed the gate and is newer than the current run**.
  The rename is the save's commit point and moving ``CURRENT`` is the rest of the same save, so
  finishing it is what the writer would have done; leaving it would keep serving an older run
  although a newer passed one was fitted to replace it. Only runs with such a record move
  forward: a deliberate ``set_current`` to an older run (a rollback) is never undone, runs saved
  with ``make_current=False`` (backtests, counterfactuals) are listed but never made current,
  and a newer current run (another writer that finished later) is not displaced;
- runs on disk missing from the catalog are registered, and catalog rows whose folder is gone
  dropped, whenever the catalog is read (``list``, ``reconcile``);
- temporary entries without a lock file (left by an older version of this code), and lock files
  on a file system without ``flock``, are removed once older than :data:`STALE_TMP_SECONDS`,
  since nothing there tells whether their writer still lives.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.core import sqlite
from forecast.core.definitions import (
    MODEL_TYPE,
    MODEL_VERSION,
)
from forecast.core.errors import ForecastError
from forecast.store.errors import (
    RunMismatchError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
    cause,
    kind,
    store_error,
)
from forecast.store.loaded import LoadedRun, pin_unused, structure_of_draws
from forecast.store.settings import StoreSettings, default_home, format_mb

if TYPE_CHECKING:  # numpy and xarray load only with a run, so listing and refusing stay fast
    import xarray as xr

__all__ = [
    "CURRENT_FILE",
    "META_FILE",
    "POSTERIOR_FILE",
    "PRIORS_FILE",
    "LoadedRun",
    "RunMismatchError",
    "RunNotFoundError",
    "RunStore",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "default_home",
    "estimate_run_bytes",
]

log = logging.getLogger(__name__)

POSTERIOR_FILE = "posterior.nc"
META_FILE = "meta.json"
PRIORS_FILE = "priors.toml"
CURRENT_FILE = "CURRENT"
LOCK_SUFFIX = ".lock"
STALE_TMP_SECONDS = 3600.0
"""Age after which a temporary entry whose writer cannot be told alive or dead is removed."""
RUN_FILES_BYTES = 256 * 1024
"""A run's bytes beside its draws: meta.json, priors.toml, netCDF metadata (about 0.1 MB)."""
NO_FLOCK_ERRNOS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS})

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    prior_set TEXT NOT NULL,
    prior_hash TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    sampler TEXT NOT NULL,
    wall_seconds REAL,
    max_rhat REAL,
    min_ess_bulk REAL,
    divergences INTEGER,
    model_version TEXT NOT NULL
)
"""
COLUMNS = (
    "id",
    "created",
    "status",
    "prior_set",
    "prior_hash",
    "data_hash",
    "sampler",
    "wall_seconds",
    "max_rhat",
    "min_ess_bulk",
    "divergences",
    "model_version",
)
INSERT = "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


class RunNotFoundError(ForecastError):
    """No run with that id, or no current run."""


def estimate_run_bytes(draws: int, chains: int, values_per_draw: int) -> int:
    """Roughly what a run takes on disk: 8 bytes per stored value, plus its small files."""
    return draws * chains * values_per_draw * 8 + RUN_FILES_BYTES


def catalog_row(meta: Mapping[str, Any]) -> tuple[Any, ...]:
    """A run's catalog row (in :data:`COLUMNS` order) from its metadata."""
    diag = meta.get("diagnostics", {})
    return (
        meta["id"],
        meta["created"],
        meta["status"],
        meta["prior_set"]["name"],
        meta["prior_set"]["hash"],
        meta["data_hash"],
        meta["sampler"]["sampler"],
        meta.get("wall_seconds"),
        diag.get("max_rhat"),
        diag.get("min_ess_bulk"),
        diag.get("divergences"),
        meta["model_version"],
    )


def _stage(name: str) -> None:
    """Crash-test hook between the steps of a save: ``written``, ``renamed``, ``registered``.

    Does nothing; ``tests/store/test_faults.py`` replaces it in a child process to SIGKILL the
    writer exactly there.
    """


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    """Remove a file or folder tree; nothing if it is gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def _age(path: Path) -> float:
    return time.time() - path.lstat().st_mtime


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor (where free space can be asked)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _netcdf_bytes(tree: xr.DataTree) -> bytes:
    """The tree as netCDF bytes, rendered in memory so HDF5 never writes to a failing disk."""
    data = tree.to_netcdf(None, engine="h5netcdf")
    if not isinstance(data, memoryview | bytes):  # pragma: no cover - dask-delayed trees only
        raise TypeError("a run's posterior must be computed, not delayed")
    return bytes(data)


def _read_intent(fd: int) -> dict[str, Any]:
    """What a writer's lock file says it was doing (empty if it died before saying)."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    try:
        intent = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {}
    return intent if isinstance(intent, dict) else {}


def _order(meta: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key of runs by age: creation time, then id."""
    return (str(meta.get("created", "")), str(meta.get("id", "")))


class RunStore:
    """Reads and writes runs under one home folder.

    Constructing one recovers what killed writers left (see the module notes); it never fails
    for that, so a read-only or full store can still be read.
    """

    def __init__(self, home: Path | str | None = None, settings: StoreSettings | None = None):
        self.home = Path(home) if home is not None else default_home()
        self.settings = settings if settings is not None else StoreSettings.from_env()
        self.runs_dir = self.home / "runs"
        self.tmp_dir = self.home / "tmp"
        self.catalog_path = self.home / "catalog.sqlite"
        self._recover_quietly()

    @property
    def where(self) -> str:
        """The store folder as messages name it (absolute)."""
        return os.path.abspath(self.home)

    # -- errors ------------------------------------------------------------------------------
    @contextmanager
    def _failures(self, action: str, outcome: str = "") -> Iterator[None]:
        """Turn disk and catalog failures inside the block into one :class:`StoreError`."""
        try:
            yield
        except (OSError, sqlite3.Error) as exc:
            raise kind(exc)(f"{store_error(self.where, action, exc)}{outcome}", self.home) from exc

    # -- set-up, temporary folders and recovery --------------------------------------------------
    def _ensure(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with sqlite.connect(self.catalog_path, SCHEMA) as conn:
            yield conn

    def _new_lock(self, name: str) -> tuple[int, str]:
        """A fresh lock file in ``tmp/``, created and locked by this process (fd, path)."""
        while True:
            fd, lock = tempfile.mkstemp(prefix=f"{name}.", suffix=LOCK_SUFFIX, dir=self.tmp_dir)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno in NO_FLOCK_ERRNOS:  # no flock here: such entries are told by age
                    return fd, lock
                os.close(fd)
                raise
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd, lock
            # A recovering process took the new, not yet locked, file for a dead writer's.
            os.close(fd)

    @contextmanager
    def _scratch(self, name: str, intent: Mapping[str, Any] | None = None) -> Iterator[Path]:
        """A temporary folder in ``tmp/``, guarded by a locked lock file stating ``intent``.

        The lock file is created and locked before the folder and removed after it, so a folder
        whose lock file nobody holds was left by a dead writer. Cleaning up never masks the
        error that ended the block; what it cannot remove the next start does.
        """
        fd, lock = self._new_lock(name)
        folder = Path(lock[: -len(LOCK_SUFFIX)])
        try:
            if intent is not None:
                os.write(fd, json.dumps(dict(intent)).encode())
                os.fsync(fd)
            folder.mkdir()
            yield folder
        finally:
            try:
                _remove(folder)
                os.unlink(lock)
            except OSError:
                pass  # the lock is released below: the next start removes both
            finally:
                os.close(fd)

    def _recover(self) -> None:
        """Remove what dead writers left in ``tmp/`` and finish their interrupted pointer moves."""
        if not self.tmp_dir.is_dir():
            return
        entries = sorted(self.tmp_dir.iterdir())
        for entry in entries:
            if entry.name.endswith(LOCK_SUFFIX):
                self._reap(entry)
        for entry in entries:
            if entry.name.endswith(LOCK_SUFFIX) or not os.path.lexists(entry):
                continue
            if os.path.lexists(entry.with_name(entry.name + LOCK_SUFFIX)):
                continue  # a live writer's folder (or one told by the age of its lock file)
            if _age(entry) > STALE_TMP_SECONDS:  # no lock file: an older version's writer
                _remove(entry)

    def _reap(self, lock: Path) -> None:
        """Clean up after the writer of ``lock`` if it is dead; leave a live writer alone."""
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # its writer is alive
            except OSError as exc:
                if exc.errno not in NO_FLOCK_ERRNOS or _age(lock) <= STALE_TMP_SECONDS:
                    return
            try:
                if os.stat(lock).st_ino != os.fstat(fd).st_ino:
                    return  # another process cleaned it up meanwhile
            except FileNotFoundError:
                return
            intent = _read_intent(fd)
            _remove(lock.with_name(lock.name[: -len(LOCK_SUFFIX)]))
            if intent.get("make_current") and isinstance(intent.get("run_id"), str):
                self._finish_current(intent["run_id"])
            os.unlink(lock)
        finally:
            os.close(fd)

    def _finish_current(self, run_id: str) -> None:
        """Make a dead writer's committed run current if it passed and is the newest."""
        meta = self._meta_or_none(self.runs_dir / run_id)
        if (
            meta is None
            or meta.get("id") != run_id
            or meta.get("status") != "passed"
            or meta.get("model_type") != MODEL_TYPE
            or meta.get("model_version") != MODEL_VERSION
        ):
            return  # not committed (killed before the rename), failed, or not this model's
        current = self._current_or_none()
        if current == run_id:
            return
        if current is not None:
            current_meta = self._meta_or_none(self.runs_dir / current)
            if current_meta is not None and _order(current_meta) >= _order(meta):
                return
        log.warning(
            "the run store at %s: making run %s current, as its interrupted save meant to",
            self.where,
            run_id,
        )
        self._point_current(run_id)

    def _recover_quietly(self) -> None:
        try:
            self._recover()
        except (OSError, sqlite3.Error, ForecastError) as exc:
            log.debug("the run store at %s: recovery postponed: %s", self.where, cause(exc))

    def reconcile(self) -> None:
        """Recover what killed writers left and bring the catalog in line with ``runs/``."""
        with self._failures("could not reconcile its catalog"):
            self._ensure()
            self._recover()
            with self._db() as conn:
                self._reconcile(conn)

    def _reconcile(self, conn: sqlite3.Connection) -> None:
        """Register runs on disk missing from the catalog; drop rows whose folder is gone."""
        known = {row[0] for row in conn.execute("SELECT id FROM runs")}
        on_disk = {d.name: d for d in self.runs_dir.iterdir() if (d / META_FILE).is_file()}
        for gone in sorted(known - on_disk.keys()):
            conn.execute("DELETE FROM runs WHERE id = ?", (gone,))
        for run_id in sorted(on_disk.keys() - known):
            row = self._listing_row(on_disk[run_id])
            if row is not None:
                conn.execute(INSERT, row)

    # -- space and writability ---------------------------------------------------------------
    def free_bytes(self) -> int:
        """Free space (for unprivileged writers) on the store's file system, in bytes."""
        return shutil.disk_usage(_existing(self.home)).free

    def preflight(self, need_bytes: int = 0, what: str = "a fit") -> None:
        """Refuse, before any sampling or rendering, work whose result the store cannot take.

        Raises :class:`StoreReadOnlyError` when the store cannot be written (a trial lock file
        and folder are created and removed), and :class:`StoreFullError` when its file system
        has less free space than ``need_bytes`` plus the headroom setting (skipped when the
        setting ``check_space`` is off). Also recovers what killed writers left.
        """
        full = False
        try:
            self._ensure()
            self._recover()
            with self._scratch("preflight"):
                pass
        except (OSError, sqlite3.Error) as exc:
            if kind(exc) is StoreReadOnlyError:
                state = (
                    "is read-only"
                    if isinstance(exc, sqlite3.Error) or exc.errno == errno.EROFS
                    else f"is not writable ({cause(exc)})"
                )
                raise StoreReadOnlyError(
                    f"the run store at {self.where} {state}; {what} cannot be stored there",
                    self.home,
                ) from exc
            if kind(exc) is not StoreFullError:
                raise store_error(self.where, f"cannot be written ({what} needs to)", exc) from exc
            full = True
        self._require_space(need_bytes, what, full)

    def _require_space(self, need_bytes: int, what: str, full: bool = False) -> None:
        if not (self.settings.check_space or full):
            return
        need = need_bytes + self.settings.headroom_bytes
        with self._failures("could not tell its free space"):
            free = self.free_bytes()
        if free < need:
            raise StoreFullError(
                f"the run store at {self.where} has {format_mb(free)} MB free; "
                f"{what} needs about {format_mb(need)} MB",
                self.home,
            )
        if full:
            raise StoreFullError(
                f"the run store at {self.where} is full (no space left on device); "
                f"{what} cannot be stored there",
                self.home,
            )

    # -- writing ------------------------------------------------------------------------------
    def save(
        self,
        tree: xr.DataTree,
        meta: dict[str, Any],
        make_current: bool,
        files: Mapping[str, bytes] | None = None,
    ) -> Path:
        """Write a run atomically; move ``CURRENT`` to it if asked (only for passed runs).

        ``files`` are more files of the run by name (e.g. :data:`PRIORS_FILE`), written into the
        run folder in the same atomic step. On any failure the store is left as it was and a
        :class:`StoreError` says why.
        """
        run_id = str(meta["id"])
        extra = dict(files or {})
        for name in extra:
            if Path(name).name != name or name in (POSTERIOR_FILE, META_FILE):
                raise ValueError(f"not a plain extra file name for a run folder: {name!r}")
        if make_current and meta["status"] != "passed":
            raise ForecastError(f"run {run_id} did not pass the diagnostics gate")
        payload = {
            POSTERIOR_FILE: _netcdf_bytes(tree),
            META_FILE: json.dumps(meta, indent=2, sort_keys=True).encode(),
            **extra,
        }
        final = self.runs_dir / run_id
        with self._failures(f"could not save run {run_id}", "; nothing was stored"):
            self._ensure()
            self._recover()
            if final.exists():
                raise ForecastError(f"run {run_id} already exists in {self.runs_dir}")
            self._require_space(sum(map(len, payload.values())), f"saving run {run_id}")
            intent = {"run_id": run_id, "make_current": make_current}
            with self._scratch(run_id, intent) as tmp:
                for name, data in payload.items():
                    _write_file(tmp / name, data)
                _fsync_dir(tmp)
                _stage("written")
                previous = self._current_or_none()
                os.rename(tmp, final)
                try:
                    _fsync_dir(self.runs_dir)
                    _stage("renamed")
                    with self._db() as conn:
                        self._register(conn, meta)
                    _stage("registered")
                    if make_current:
                        self._point_current(run_id)
                except BaseException:
                    self._undo_save(run_id, tmp, make_current, previous)
                    raise
        return final

    def _register(self, conn: sqlite3.Connection, meta: Mapping[str, Any]) -> None:
        conn.execute(INSERT, catalog_row(meta))

    def _undo_save(self, run_id: str, tmp: Path, make_current: bool, previous: str | None) -> None:
        """Take a half-done save back out (best effort): pointer, catalog row, run folder."""
        with suppress(OSError, sqlite3.Error, ForecastError):
            if make_current and self._current_or_none() == run_id:
                if previous is None:
                    (self.home / CURRENT_FILE).unlink()
                else:
                    self._point_current(previous)
        with suppress(OSError, sqlite3.Error):
            with self._db() as conn:
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        with suppress(OSError):
            os.rename(self.runs_dir / run_id, tmp)  # back into the scratch folder, removed with it

    def set_current(self, run_id: str) -> None:
        """Point ``CURRENT`` at a stored run, atomically."""
        meta = self.meta(run_id)
        if meta["status"] != "passed":
            raise ForecastError(f"run {run_id} has status {meta['status']}; only passed runs serve")
        with self._failures(f"could not make run {run_id} current"):
            self._ensure()
            self._point_current(run_id)

    def _point_current(self, run_id: str) -> None:
        with self._scratch(CURRENT_FILE) as tmp:
            _write_file(tmp / CURRENT_FILE, run_id.encode())
            os.replace(tmp / CURRENT_FILE, self.home / CURRENT_FILE)
        _fsync_dir(self.home)

    # -- reading ------------------------------------------------------------------------------
    def current_id(self) -> str:
        """The id of the current run; raises ``RunNotFoundError`` when there is none."""
        path = self.home / CURRENT_FILE
        with self._failures("could not read its current-run pointer"):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise RunNotFoundError(
                    f"no current run in {self.home}; fit one first with `forecast fit`"
                ) from None
        return data.decode("utf-8", errors="replace").strip()

    def _current_or_none(self) -> str | None:
        try:
            return self.current_id()
        except RunNotFoundError:
            return None

    def _read_meta(self, path: Path) -> dict[str, Any]:
        """A ``meta.json`` as a dict; a :class:`StoreError` when unreadable or corrupt."""
        rel = os.path.relpath(path, self.home)
        with self._failures(f"could not read {rel}"):
            raw = path.read_bytes()
        try:
            meta = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise StoreError(
                f"the run store at {self.where} has a corrupt {rel}: {cause(exc)}", self.home
            ) from exc
        if not isinstance(meta, dict):
            raise StoreError(
                f"the run store at {self.where} has a corrupt {rel}: not a JSON object", self.home
            )
        return meta

    def _meta_or_none(self, run_dir: Path) -> dict[str, Any] | None:
        """A run folder's metadata, or None when it has none or it cannot be read (warned)."""
        path = run_dir / META_FILE
        if not path.is_file():
            return None
        try:
            return self._read_meta(path)
        except StoreError as exc:
            log.warning("%s; left out", exc)
            return None

    def _listing_row(self, run_dir: Path) -> tuple[Any, ...] | None:
        meta = self._meta_or_none(run_dir)
        if meta is None:
            return None
        try:
            return catalog_row(meta)
        except (KeyError, TypeError) as exc:
            rel = os.path.relpath(run_dir / META_FILE, self.home)
            log.warning(
                "the run store at %s has a corrupt %s: missing %s; left out", self.where, rel, exc
            )
            return None

    def meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata, checked against its id and this code's model type and version."""
        if not run_id or "/" in run_id or "\0" in run_id or run_id in (".", ".."):
            raise RunNotFoundError(f"no run {run_id!r} in {self.home}")
        path = self.runs_dir / run_id / META_FILE
        if not path.exists():
            raise RunNotFoundError(f"no run {run_id!r} in {self.home}")
        meta = self._read_meta(path)
        if meta.get("id") != run_id:
            raise RunMismatchError(f"run folder {run_id} holds a run with id {meta.get('id')!r}")
        if meta.get("model_type") != MODEL_TYPE or meta.get("model_version") != MODEL_VERSION:
            raise RunMismatchError(
                f"run {run_id} was fitted by model {meta.get('model_type')} "
                f"{meta.get('model_version')}; this code is {MODEL_TYPE} {MODEL_VERSION}: refit"
            )
        return meta

    def load(self, run_id: str | None = None) -> LoadedRun:
        """Load a run (default: the current one) with its posterior draws flattened."""
        import numpy as np
        import xarray as xr

        run_id = run_id or self.current_id()
        meta = self.meta(run_id)
        path = self.runs_dir / run_id / POSTERIOR_FILE
        rel = os.path.relpath(path, self.home)
        try:
            tree = xr.open_datatree(path, engine="h5netcdf")
            try:
                if tree.attrs.get("id") != run_id:
                    raise RunMismatchError(
                        f"posterior of run {run_id} carries id {tree.attrs.get('id')!r}"
                    )
                post = tree["posterior"].to_dataset()
                chains = int(post.sizes["chain"])
                draws = {
                    name: np.asarray(var.values, dtype=float).reshape(-1)
                    for name, var in post.data_vars.items()
                }
                structure = structure_of_draws(meta, chains, int(post.sizes["draw"]))
                pin_unused(draws, structure)
            finally:
                tree.close()
        except (OSError, ValueError, KeyError) as exc:
            raise kind(exc)(
                f"the run store at {self.where} could not read {rel}: {cause(exc)}", self.home
            ) from exc
        priors = self.runs_dir / run_id / PRIORS_FILE
        text = priors.read_text(encoding="utf-8") if priors.is_file() else None
        return LoadedRun(
            id=run_id,
            meta=meta,
            draws=draws,
            chains=chains,
            priors_text=text,
            posterior_path=path,
            structure=structure,
        )

    def list(self) -> list[dict[str, Any]]:
        """Every run, newest first, with a ``current`` flag.

        Read from the catalog (brought in line with ``runs/`` first); when the catalog cannot be
        opened or updated (a read-only or full store, a damaged file), from the run folders.
        """
        current = self._current_or_none()
        if not self.runs_dir.is_dir():
            return []
        try:
            rows = self._catalog_rows()
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "the run store at %s: catalog unavailable (%s); listing the run folders",
                self.where,
                cause(exc),
            )
            with self._failures("could not list runs"):
                rows = self._folder_rows()
        return [row | {"current": row["id"] == current} for row in rows]

    def _catalog_rows(self) -> list[dict[str, Any]]:
        with self._db() as conn:
            self._reconcile(conn)
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM runs ORDER BY created DESC, id DESC").fetchall()
        return [dict(row) for row in rows]

    def _folder_rows(self) -> list[dict[str, Any]]:
        rows = [self._listing_row(d) for d in self.runs_dir.iterdir() if d.is_dir()]
        out = [dict(zip(COLUMNS, row, strict=True)) for row in rows if row is not None]
        out.sort(key=lambda r: (r["created"], r["id"]), reverse=True)
        return out
