"""Run store: atomic writes, a killed writer leaves the store as it was, id and version checks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from forecast.store.runs import RunMismatchError, RunNotFoundError, RunStore


def copy_store(src: RunStore, dst: Path) -> RunStore:
    shutil.copytree(src.home, dst)
    return RunStore(dst)


def test_killed_writer_leaves_store_unchanged(quick_run, tmp_path):
    store = copy_store(quick_run[0], tmp_path / "home")
    before_runs = sorted(p.name for p in store.runs_dir.iterdir())
    before_current = store.current_id()
    marker = tmp_path / "writing"
    # A child process saves a copy of the current run under a new id, pausing (as a slow disk
    # would) after the posterior is written to the temporary folder; we SIGKILL it there.
    script = textwrap.dedent(
        f"""
        import json, time, xarray as xr
        import forecast.store.runs as fs
        store = fs.RunStore({str(store.home)!r})
        run_id = {before_current!r}
        path = store.runs_dir / run_id / fs.POSTERIOR_FILE
        tree = xr.open_datatree(path, engine="h5netcdf").load()
        meta = json.loads((store.runs_dir / run_id / fs.META_FILE).read_text())
        meta["id"] = tree.attrs["id"] = "20990101T000000-killed00"
        real = fs._write_file
        def slow(path, data):
            real(path, data)
            open({str(marker)!r}, "w").close()
            time.sleep(60)
        fs._write_file = slow
        store.save(tree, meta, make_current=True)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, "writer exited before reaching the pause"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert sorted(p.name for p in store.runs_dir.iterdir()) == before_runs
    assert store.current_id() == before_current
    assert [r["id"] for r in store.list()] == [r["id"] for r in quick_run[0].list()]
    assert store.load().id == before_current


def test_run_on_disk_but_missing_from_catalog_is_registered(quick_run, tmp_path):
    store = copy_store(quick_run[0], tmp_path / "home")
    store.catalog_path.unlink()
    ids = [r["id"] for r in store.list()]
    assert quick_run[1].run_id in ids


def test_version_mismatch_fails_clearly(quick_run, tmp_path):
    store = copy_store(quick_run[0], tmp_path / "home")
    run_id = store.current_id()
    meta_path = store.runs_dir / run_id / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["model_version"] = "0.1"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(RunMismatchError, match=r"fitted by model ai-timelines 0\.1; .* refit"):
        store.load(run_id)


def test_id_mismatch_fails_clearly(quick_run, tmp_path):
    store = copy_store(quick_run[0], tmp_path / "home")
    run_id = store.current_id()
    (store.runs_dir / run_id).rename(store.runs_dir / "20000101T000000-deadbeef")
    with pytest.raises(RunMismatchError, match="holds a run with id"):
        store.meta("20000101T000000-deadbeef")


def test_unknown_run_and_empty_store(tmp_path):
    store = RunStore(tmp_path / "empty")
    with pytest.raises(RunNotFoundError, match="no current run"):
        store.current_id()
    with pytest.raises(RunNotFoundError, match="no run 'nope'"):
        store.meta("nope")
    with pytest.raises(RunNotFoundError):
        store.meta("../etc")
    assert store.list() == []


def test_failed_run_cannot_become_current(quick_run, tmp_path):
    store = copy_store(quick_run[0], tmp_path / "home")
    run_id = store.current_id()
    meta_path = store.runs_dir / run_id / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["status"] = "failed"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(Exception, match="only passed runs serve"):
        store.set_current(run_id)
