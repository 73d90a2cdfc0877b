"""Helpers of the store tests: fake runs (no fit), store snapshots, small file systems, the CLI."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from forecast.core.definitions import MODEL_TYPE, MODEL_VERSION, parameter_names
from forecast.store.runs import RunStore
from forecast.store.settings import StoreSettings

HERE = Path(__file__).resolve().parent
IS_ROOT = os.geteuid() == 0
NOT_ROOT = "mounting a small or read-only file system needs root (CI runs as root)"
LOOSE = StoreSettings(headroom_mb=0.0)
"""Store settings for building fixtures on a tiny file system (no headroom)."""


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def run_id(n: int) -> str:
    """The n-th fake run id (created n hours after 2026-01-01); later n are newer."""
    return f"{EPOCH + timedelta(hours=n):%Y%m%dT%H%M%S}-{n:08x}"


def created(n: int) -> str:
    return (EPOCH + timedelta(hours=n)).isoformat(timespec="seconds")


def fake_tree(rid: str, draws: int = 40, chains: int = 2) -> xr.DataTree:
    """A posterior DataTree shaped like a fit's, with random draws."""
    rng = np.random.default_rng(zlib.crc32(rid.encode()))
    dims = ("chain", "draw")
    post = xr.Dataset(
        {name: (dims, rng.normal(size=(chains, draws))) for name in parameter_names()},
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )
    stats = xr.Dataset({"diverging": (dims, np.zeros((chains, draws), dtype=bool))})
    tree = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    tree.attrs = {"id": rid, "model_type": MODEL_TYPE, "model_version": MODEL_VERSION}
    return tree


def fake_meta(n: int, status: str = "passed") -> dict[str, Any]:
    rid = run_id(n)
    return {
        "id": rid,
        "model_type": MODEL_TYPE,
        "model_version": MODEL_VERSION,
        "created": created(n),
        "status": status,
        "current": status == "passed",
        "prior_set": {"name": "default", "hash": "0" * 64, "path": "default.toml"},
        "settings": {},
        "data_hash": "1" * 64,
        "data_end": 2026.0,
        "sampler": {"sampler": "nutpie", "seed": 1, "draws": 40, "chains": 2},
        "diagnostics": {"max_rhat": 1.0, "min_ess_bulk": 500.0, "divergences": 0},
        "gate_failures": [],
        "wall_seconds": 1.0,
    }


def save_fake(store: RunStore, n: int, make_current: bool = True, draws: int = 40) -> str:
    """Save the n-th fake run; returns its id."""
    rid = run_id(n)
    store.save(fake_tree(rid, draws), fake_meta(n), make_current=make_current)
    return rid


def catalog_rows(home: Path) -> list[tuple[Any, ...]]:
    """The catalog's rows, read without writing anything (works on a read-only file system)."""
    path = home / "catalog.sqlite"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as conn:
        return sorted(conn.execute("SELECT * FROM runs").fetchall())


def snapshot(home: Path, catalog: bool = True) -> dict[str, Any]:
    """Everything a reader sees in a store: run files (hashed), CURRENT, the catalog's rows."""
    files = {}
    for path in sorted((home / "runs").rglob("*")) if (home / "runs").exists() else []:
        rel = str(path.relative_to(home))
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    current = home / "CURRENT"
    return {
        "files": files,
        "current": current.read_text() if current.exists() else None,
        "catalog": catalog_rows(home) if catalog else None,
    }


def tmp_entries(home: Path) -> list[str]:
    tmp = home / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (root only); unmounted afterwards."""
    if not IS_ROOT:
        pytest.skip(NOT_ROOT)
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:  # root but not allowed: a container without CAP_SYS_ADMIN
        pytest.fail(f"running as root but cannot mount a tmpfs: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(where)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, mode: str) -> None:
    """Remount a tmpfs from :func:`tmpfs` ``ro`` or ``rw``."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)


def fill(where: Path, leave: int = 0) -> Path:
    """Fill the file system of ``where`` until about ``leave`` bytes are free."""
    filler = where / "filler"
    chunk = b"\0" * 65536
    with open(filler, "ab", buffering=0) as fh:
        try:
            while free_bytes(where) > leave + len(chunk):
                fh.write(chunk)
            if leave == 0:
                while True:
                    fh.write(chunk[:4096])
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def forecast_cli(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``forecast ARGS`` in a child process on store ``home``: the result and seconds."""
    full_env = {**os.environ, "FORECAST_HOME": str(home), **(env or {})}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "forecast.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    return proc, time.perf_counter() - t0


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 1, no traceback, exactly one ``error:`` line (the last), containing ``needles``."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr[-3000:]
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]
