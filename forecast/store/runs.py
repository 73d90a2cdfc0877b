"""The run store: immutable fitted runs on disk plus a SQLite catalog and a "current" pointer.

Layout under ``$FORECAST_HOME`` (default ``./var``)::

    runs/<run_id>/posterior.nc   the posterior DataTree (netCDF, h5netcdf engine)
    runs/<run_id>/meta.json      id, model type and version, prior set, hashes, settings,
                                 sampler settings, diagnostics, library versions, created time
    catalog.sqlite               one row per run (for listing)
    CURRENT                      the id of the current run

A run is written to ``tmp/`` and renamed into ``runs/`` in one step, so a crash never leaves a
half-written run; ``CURRENT`` is replaced atomically the same way. The catalog is rebuilt from
``runs/`` for any run it is missing, so a crash between the rename and the catalog insert loses
nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from forecast.core import sqlite
from forecast.core.definitions import MODEL_TYPE, MODEL_VERSION
from forecast.core.errors import ForecastError

POSTERIOR_FILE = "posterior.nc"
META_FILE = "meta.json"
CURRENT_FILE = "CURRENT"
STALE_TMP_SECONDS = 3600.0

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


class RunNotFoundError(ForecastError):
    """No run with that id, or no current run."""


class RunMismatchError(ForecastError):
    """A stored run does not match its id or this code's model type and version."""


def default_home() -> Path:
    """The store folder: ``$FORECAST_HOME`` if set, else ``./var``."""
    return Path(os.environ.get("FORECAST_HOME", "var"))


@dataclass(frozen=True)
class LoadedRun:
    """A run read back from the store: metadata and flattened posterior draws."""

    id: str
    meta: dict[str, Any]
    draws: dict[str, np.ndarray]  # parameter -> (chains * draws,)
    chains: int

    @property
    def settings(self) -> dict[str, float]:
        return dict(self.meta["settings"])

    @property
    def data_end(self) -> float:
        return float(self.meta["data_end"])

    @property
    def seed(self) -> int:
        return int(self.meta["sampler"]["seed"])


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


class RunStore:
    """Reads and writes runs under one home folder."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.runs_dir = self.home / "runs"
        self.tmp_dir = self.home / "tmp"
        self.catalog_path = self.home / "catalog.sqlite"

    # -- set-up and catalog -------------------------------------------------------------------
    def _ensure(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self._ensure()
        with sqlite.connect(self.catalog_path, SCHEMA) as conn:
            yield conn

    def _register(self, conn: sqlite3.Connection, meta: dict[str, Any]) -> None:
        diag = meta.get("diagnostics", {})
        conn.execute(
            "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
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
            ),
        )

    def _drop_stale_tmp(self) -> None:
        """Remove temporary folders left by writers that died (older than an hour)."""
        now = time.time()
        for tmp in self.tmp_dir.iterdir():
            if now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                shutil.rmtree(tmp, ignore_errors=True)

    def _reconcile(self, conn: sqlite3.Connection) -> None:
        """Register runs present on disk but missing from the catalog (a crash after rename)."""
        known = {row[0] for row in conn.execute("SELECT id FROM runs")}
        for run_dir in sorted(self.runs_dir.iterdir()):
            meta_path = run_dir / META_FILE
            if run_dir.name not in known and meta_path.exists():
                self._register(conn, json.loads(meta_path.read_text()))

    def reconcile(self) -> None:
        """Register runs missing from the catalog and drop stale temporary folders."""
        self._ensure()
        self._drop_stale_tmp()
        with self._db() as conn:
            self._reconcile(conn)

    # -- writing ------------------------------------------------------------------------------
    def save(self, tree: xr.DataTree, meta: dict[str, Any], make_current: bool) -> Path:
        """Write a run atomically; move ``CURRENT`` to it if asked (only for passed runs)."""
        self._ensure()
        self._drop_stale_tmp()
        run_id = meta["id"]
        final = self.runs_dir / run_id
        if final.exists():
            raise ForecastError(f"run {run_id} already exists in {self.runs_dir}")
        tmp = Path(tempfile.mkdtemp(prefix=f"{run_id}.", dir=self.tmp_dir))
        tree.to_netcdf(tmp / POSTERIOR_FILE, engine="h5netcdf")
        _write_file(tmp / META_FILE, json.dumps(meta, indent=2, sort_keys=True).encode())
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(self.runs_dir)
        with self._db() as conn:
            self._register(conn, meta)
        if make_current:
            if meta["status"] != "passed":
                raise ForecastError(f"run {run_id} did not pass the diagnostics gate")
            self.set_current(run_id)
        return final

    def set_current(self, run_id: str) -> None:
        """Point ``CURRENT`` at a stored run, atomically."""
        meta = self.meta(run_id)
        if meta["status"] != "passed":
            raise ForecastError(f"run {run_id} has status {meta['status']}; only passed runs serve")
        fd, name = tempfile.mkstemp(prefix="CURRENT.", dir=self.tmp_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(run_id.encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, self.home / CURRENT_FILE)
        _fsync_dir(self.home)

    # -- reading ------------------------------------------------------------------------------
    def current_id(self) -> str:
        """The id of the current run; raises ``RunNotFoundError`` when there is none."""
        path = self.home / CURRENT_FILE
        if not path.exists():
            raise RunNotFoundError(
                f"no current run in {self.home}; fit one first with `forecast fit`"
            )
        return path.read_text().strip()

    def meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata, checked against its id and this code's model type and version."""
        path = self.runs_dir / run_id / META_FILE
        if not run_id or "/" in run_id or not path.exists():
            raise RunNotFoundError(f"no run {run_id!r} in {self.home}")
        meta = json.loads(path.read_text())
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
        run_id = run_id or self.current_id()
        meta = self.meta(run_id)
        tree = xr.open_datatree(self.runs_dir / run_id / POSTERIOR_FILE, engine="h5netcdf")
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
        finally:
            tree.close()
        return LoadedRun(id=run_id, meta=meta, draws=draws, chains=chains)

    def list(self) -> list[dict[str, Any]]:
        """Every run in the catalog, newest first, with a ``current`` flag."""
        try:
            current = self.current_id()
        except RunNotFoundError:
            current = None
        with self._db() as conn:
            self._reconcile(conn)
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM runs ORDER BY created DESC, id DESC").fetchall()
        return [dict(row) | {"current": row["id"] == current} for row in rows]
