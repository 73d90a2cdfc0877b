"""Fault injection, end to end: a full disk, a read-only store, SIGKILL during a save.

Nothing may crash (no traceback, no segfault) or lose anything: a refused or failed write leaves
the store exactly as it was and no temporary files, reads keep working, and the next start after
a kill removes what the dead writer left and finishes an interrupted "current" pointer move.

The disk-full and read-only cases mount a small tmpfs, which needs root (CI runs as root); as
another user they are skipped with that reason, and the cases marked "any user" still run
(injected ``OSError``/``sqlite3`` failures, the headroom setting, ``chmod``). Runs are fake
posteriors saved through the store API; one test (``not_fast``) runs a real quick fit.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from store_helpers import (
    HERE,
    IS_ROOT,
    LOOSE,
    assert_one_line_error,
    catalog_rows,
    fake_meta,
    fake_tree,
    fill,
    forecast_cli,
    free_bytes,
    remount,
    run_id,
    save_fake,
    snapshot,
    tmp_entries,
    tmpfs,
)

import forecast.store.runs as fs
from forecast.store.errors import StoreError, StoreFullError, StoreReadOnlyError
from forecast.store.runs import RunStore
from forecast.store.settings import StoreSettings, StoreSettingsError

READ_ONLY_SECONDS = 5.0


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs holding a store with two fake runs, the newer one current."""
    with tmpfs(tmp_path / "mnt", "3m") as mnt:
        store = RunStore(mnt / "home", LOOSE)
        save_fake(store, 1)
        save_fake(store, 2)
        yield mnt, store


@pytest.fixture
def home(tmp_path):
    """A store on an ordinary disk with two fake runs, the newer one current."""
    store = RunStore(tmp_path / "home")
    save_fake(store, 1)
    save_fake(store, 2)
    return store


# -- (a) disk full ---------------------------------------------------------------------------
def test_fit_on_full_disk_refuses_in_one_line_and_runs_still_lists(small_disk):
    mnt, store = small_disk
    before = snapshot(store.home)
    fill(mnt)
    assert free_bytes(mnt) < 65536

    proc, seconds = forecast_cli("fit", "--quick", home=store.home)
    line = assert_one_line_error(proc, f"the run store at {store.home}", "MB free; a fit needs")
    assert "about 64" in line  # the default headroom dominates a quick run's estimate
    assert seconds < READ_ONLY_SECONDS, seconds
    assert tmp_entries(store.home) == []
    assert snapshot(store.home) == before

    listed, _ = forecast_cli("runs", "--json", home=store.home)
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)] == [run_id(2), run_id(1)]
    assert "Traceback" not in listed.stderr
    current, _ = forecast_cli("runs", "--current", home=store.home)
    assert current.returncode == 0 and current.stdout.strip() == run_id(2), current.stderr


SAVE_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from store_helpers import fake_meta, fake_tree, run_id
    from forecast.store.errors import StoreError
    from forecast.store.runs import RunStore

    store = RunStore({home!r})
    try:
        store.save(fake_tree(run_id(3), draws={draws}), fake_meta(3), make_current=True)
    except StoreError as exc:
        print(type(exc).__name__, exc, sep=": ")
        sys.exit(1)
    """
)


@pytest.mark.parametrize("check_space", ["1", "0"], ids=["checked", "unchecked"])
def test_space_running_out_during_a_save_leaves_the_store_unchanged(small_disk, check_space):
    """A 3 MB posterior into 1 MB of space: refused up front when the check is on; with it off
    the write itself hits ENOSPC half-way and the partial temporary folder goes again."""
    mnt, store = small_disk
    fill(mnt, leave=1 << 20)
    before, free_before = snapshot(store.home), free_bytes(mnt)
    script = SAVE_SCRIPT.format(here=str(HERE), home=str(store.home), draws=6000)
    env = {**os.environ, "FORECAST_STORE_CHECK_SPACE": check_space}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-3000:])  # no segfault
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    message = proc.stdout.strip()
    assert message.startswith(f"StoreFullError: the run store at {store.home}"), message
    if check_space == "1":
        assert f"MB free; saving run {run_id(3)} needs about" in message
    else:
        assert message.endswith("no space left on device; nothing was stored"), message
    assert len(message.splitlines()) == 1
    assert tmp_entries(store.home) == []
    assert snapshot(store.home) == before
    assert free_bytes(mnt) >= free_before - 8192  # no partial file keeps the disk full


@pytest.mark.slow  # a real quick fit into a small disk
def test_real_quick_fit_running_out_of_space_while_saving(small_disk):
    """The reported crash: ``forecast fit --quick`` whose save hits a full disk (one real fit).

    The pre-flight check is off so the fit samples; 64 KB are left, less than the run."""
    mnt, store = small_disk
    fill(mnt, leave=64 * 1024)
    before = snapshot(store.home)
    proc, _ = forecast_cli(
        "fit", "--quick", home=store.home, env={"FORECAST_STORE_CHECK_SPACE": "0"}
    )
    assert_one_line_error(proc, "could not save run", "no space left on device; nothing was stored")
    assert tmp_entries(store.home) == []
    assert snapshot(store.home) == before
    listed, _ = forecast_cli("runs", home=store.home)
    assert listed.returncode == 0 and run_id(2) in listed.stdout, listed.stderr


def _fail_on(monkeypatch, name: str, err: int) -> None:
    """Make writing the file called ``name`` fail with ``err``, half-way through."""
    real = fs._write_file

    def write(path: Path, data: bytes) -> None:
        if path.name == name:
            with open(path, "wb") as fh:
                fh.write(data[: len(data) // 2])
            raise OSError(err, os.strerror(err), str(path))
        real(path, data)

    monkeypatch.setattr(fs, "_write_file", write)


def _fail_register(monkeypatch, message: str) -> None:
    def register(self, conn, meta):
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr(RunStore, "_register", register)


def _fail_rename(monkeypatch, err: int) -> None:
    def rename(src, dst):
        raise OSError(err, os.strerror(err), str(src))

    monkeypatch.setattr(fs.os, "rename", rename)


FAILURES = {
    "netcdf-enospc": (lambda mp: _fail_on(mp, fs.POSTERIOR_FILE, errno.ENOSPC), StoreFullError),
    "meta-enospc": (lambda mp: _fail_on(mp, fs.META_FILE, errno.ENOSPC), StoreFullError),
    "priors-eio": (lambda mp: _fail_on(mp, fs.PRIORS_FILE, errno.EIO), StoreError),
    "rename-erofs": (lambda mp: _fail_rename(mp, errno.EROFS), StoreReadOnlyError),
    "catalog-full": (lambda mp: _fail_register(mp, "database or disk is full"), StoreFullError),
    "catalog-io": (lambda mp: _fail_register(mp, "disk I/O error"), StoreError),
    "current-enospc": (lambda mp: _fail_on(mp, fs.CURRENT_FILE, errno.ENOSPC), StoreFullError),
}


@pytest.mark.parametrize("where", sorted(FAILURES))
def test_any_write_failure_leaves_the_store_exactly_as_it_was(home, monkeypatch, where):
    """Any user: each step of a save fails in turn; the error is one typed line."""
    inject, expected = FAILURES[where]
    before = snapshot(home.home)
    inject(monkeypatch)
    rid = run_id(3)
    with pytest.raises(expected) as info:
        home.save(fake_tree(rid), fake_meta(3), make_current=True, files={"priors.toml": b"x"})
    message = str(info.value)
    assert message.startswith(f"the run store at {home.home} could not save run {rid}: ")
    assert message.endswith("; nothing was stored") and "\n" not in message
    monkeypatch.undo()
    assert tmp_entries(home.home) == []
    assert snapshot(home.home) == before
    assert [r["id"] for r in RunStore(home.home).list()] == [run_id(2), run_id(1)]


def test_headroom_setting_refuses_a_fit_without_sampling(home):
    """Any user: a store with less free space than the headroom setting refuses a fit fast."""
    proc, seconds = forecast_cli(
        "fit", "--quick", home=home.home, env={"FORECAST_STORE_HEADROOM_MB": "1e12"}
    )
    assert_one_line_error(proc, f"the run store at {home.home} has", "a fit needs about")
    assert seconds < READ_ONLY_SECONDS, seconds
    assert tmp_entries(home.home) == []


def test_store_settings_from_environment():
    assert StoreSettings.from_env({}) == StoreSettings(64.0, True)
    got = StoreSettings.from_env(
        {"FORECAST_STORE_HEADROOM_MB": "8", "FORECAST_STORE_CHECK_SPACE": "0"}
    )
    assert got == StoreSettings(8.0, False)
    for env in (
        {"FORECAST_STORE_HEADROOM_MB": "lots"},
        {"FORECAST_STORE_HEADROOM_MB": "-1"},
        {"FORECAST_STORE_CHECK_SPACE": "yes"},
    ):
        with pytest.raises(StoreSettingsError, match=next(iter(env))):
            StoreSettings.from_env(env)


# -- (b) read-only store -----------------------------------------------------------------------
def _read_only_checks(store: RunStore, needle: str) -> None:
    before = snapshot(store.home)
    assert [r["id"] for r in RunStore(store.home).list()] == [run_id(2), run_id(1)]
    with pytest.raises(StoreReadOnlyError, match=needle):
        RunStore(store.home).preflight(0, "a fit")

    listed, _ = forecast_cli("runs", "--json", home=store.home)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["current"]) for r in rows] == [(run_id(2), True), (run_id(1), False)]

    proc, seconds = forecast_cli("fit", "--quick", home=store.home)
    assert_one_line_error(proc, f"the run store at {store.home} {needle}")
    assert seconds < READ_ONLY_SECONDS, seconds
    assert "sampling" not in proc.stderr  # refused before sampling
    assert snapshot(store.home) == before


def test_read_only_store_lists_runs_and_refuses_a_fit(small_disk):
    """Root: the store's file system remounted read-only (``chmod`` does not stop root)."""
    mnt, store = small_disk
    remount(mnt, "ro")
    try:
        _read_only_checks(store, "is read-only; a fit cannot be stored there")
    finally:
        remount(mnt, "rw")


@pytest.mark.skipif(IS_ROOT, reason="root ignores file modes; the tmpfs test covers root")
def test_unwritable_store_lists_runs_and_refuses_a_fit(home):
    """Another user: ``chmod -R a-w`` on the store."""
    paths = [home.home, *home.home.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        _read_only_checks(home, "is not writable (permission denied)")
    finally:
        for path in paths:
            path.chmod(path.stat().st_mode | 0o200)


# -- (c) SIGKILL during a save ----------------------------------------------------------------
KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {here!r})
    import forecast.store.runs as fs
    from store_helpers import fake_meta, fake_tree, run_id

    def pause(name):
        if name == {stage!r}:
            open({marker!r}, "w").close()
            time.sleep(120)

    fs._stage = pause
    store = fs.RunStore({home!r})
    store.save(fake_tree(run_id({n})), fake_meta({n}), make_current={make_current})
    """
)


def _kill_at(store: RunStore, tmp_path: Path, stage: str, n: int, make_current: bool = True):
    """Start a child saving fake run ``n``, SIGKILL it at ``stage``; returns while it is dead."""
    marker = tmp_path / f"at-{stage}-{n}"
    script = KILL_SCRIPT.format(
        here=str(HERE),
        stage=stage,
        marker=str(marker),
        home=str(store.home),
        n=n,
        make_current=make_current,
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, "the writer exited before the pause"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert tmp_entries(store.home), "the writer holds a lock file in tmp/"
    RunStore(store.home)  # a start while the writer lives: its files must stay
    assert tmp_entries(store.home)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


@pytest.mark.parametrize("stage", ["written", "renamed", "registered"])
def test_kill_during_a_save_then_the_next_start_recovers(home, tmp_path, stage):
    _kill_at(home, tmp_path, stage, 3)
    assert tmp_entries(home.home)  # the dead writer's leftovers, until the next start

    store = RunStore(home.home)
    assert tmp_entries(home.home) == []
    committed = stage != "written"
    want = [run_id(3), run_id(2), run_id(1)] if committed else [run_id(2), run_id(1)]
    assert sorted(p.name for p in store.runs_dir.iterdir()) == sorted(want)
    # Decision: a committed run that was meant to be current, passed and is the newest, becomes
    # current at the next start (the rename is the commit point).
    assert store.current_id() == want[0]
    assert [(r["id"], r["current"]) for r in store.list()] == [
        (rid, rid == want[0]) for rid in want
    ]
    assert [row[0] for row in catalog_rows(home.home)] == sorted(want)
    assert store.load().id == want[0]


def test_interrupted_save_never_moves_current_back_or_unasked(home, tmp_path):
    """An older run, or one saved with make_current=False, is listed but never made current."""
    newest = save_fake(home, 5)
    _kill_at(home, tmp_path, "renamed", 3)  # older than the current run 5
    _kill_at(home, tmp_path, "renamed", 6, make_current=False)
    store = RunStore(home.home)
    assert tmp_entries(home.home) == []
    assert store.current_id() == newest
    assert [r["id"] for r in store.list()] == [run_id(6), newest, run_id(3), run_id(2), run_id(1)]


def test_a_rollback_is_not_undone_by_recovery(home):
    """set_current to an older run is deliberate: no later start moves it forward again."""
    home.set_current(run_id(1))
    assert RunStore(home.home).current_id() == run_id(1)


def test_leftovers_without_a_lock_file_age_out(home):
    """Temporary entries of an older version (no lock file) go once STALE_TMP_SECONDS old."""
    old, fresh = home.tmp_dir / "20250101T000000-old.abc", home.tmp_dir / "CURRENT.xyz"
    old.mkdir()
    (old / "posterior.nc").write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    stale = time.time() - fs.STALE_TMP_SECONDS - 10
    os.utime(old, (stale, stale))
    RunStore(home.home)
    assert tmp_entries(home.home) == ["CURRENT.xyz"]


RANDOM_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from store_helpers import save_fake
    from forecast.store.runs import RunStore

    store = RunStore({home!r})
    for n in range({first}, {first} + 200):
        save_fake(store, n)
        print("saved", n, flush=True)
    """
)


@pytest.mark.slow  # dozens of writer processes killed at random points
def test_kills_at_random_points_keep_the_store_consistent(home):
    """A child saves runs in a loop and is SIGKILLed at a random moment, five times over: after
    1 to 3 more saves, 0 to 60 ms into the next one (a save takes some tens of ms)."""
    rng = random.Random(20261201)
    first = 10
    for _ in range(5):
        script = RANDOM_SCRIPT.format(here=str(HERE), home=str(home.home), first=first)
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(rng.randint(1, 3)):
            assert child.stdout.readline().startswith("saved"), "the writer died by itself"
        time.sleep(rng.uniform(0.0, 0.06))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

        store = RunStore(home.home)
        assert tmp_entries(home.home) == []
        on_disk = sorted((p.name for p in store.runs_dir.iterdir()), reverse=True)
        assert store.current_id() == on_disk[0]  # every save meant it: the newest is current
        assert [r["id"] for r in store.list()] == on_disk
        for rid in on_disk:
            assert store.load(rid).id == rid  # complete runs only
        first = int(on_disk[0].rsplit("-", 1)[1], 16) + 1


# -- (3) every store failure is one typed error ---------------------------------------------
def test_corrupt_meta_is_one_store_error_and_left_out_of_the_listing(home):
    meta = home.runs_dir / run_id(2) / fs.META_FILE
    meta.write_text('{"id": ')
    with pytest.raises(StoreError, match=r"has a corrupt runs/.*/meta\.json: not valid JSON"):
        home.meta(run_id(2))
    assert len(home.list()) == 2  # the catalog still indexes it
    home.catalog_path.unlink()  # rebuilt from the folders: the corrupt run is left out
    assert [r["id"] for r in RunStore(home.home).list()] == [run_id(1)]
    proc, _ = forecast_cli("runs", "--current", home=home.home)
    assert_one_line_error(proc, f"the run store at {home.home} has a corrupt runs/")


def test_corrupt_catalog_lists_from_the_run_folders_and_refuses_writes(home):
    before = snapshot(home.home, catalog=False)
    home.catalog_path.write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{home.catalog_path}{suffix}").unlink(missing_ok=True)
    listed, _ = forecast_cli("runs", "--json", home=home.home)
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)] == [run_id(2), run_id(1)]
    with pytest.raises(StoreError, match=r"could not save run .*: file is not a database"):
        save_fake(home, 3)
    assert tmp_entries(home.home) == []
    assert snapshot(home.home, catalog=False) == before


def test_unreadable_posterior_is_a_store_error(home):
    (home.runs_dir / run_id(2) / fs.POSTERIOR_FILE).write_bytes(b"garbage")
    with pytest.raises(StoreError, match=r"could not read runs/.*/posterior\.nc"):
        home.load()


def test_serve_on_a_read_only_store_is_one_line_not_a_traceback(small_disk):
    """The service keeps observations and jobs in the store: on a read-only one it says so."""
    mnt, store = small_disk
    remount(mnt, "ro")
    try:
        proc, _ = forecast_cli("serve", "--port", "18797", home=store.home, timeout=60)
        assert_one_line_error(proc, "cannot open its database", "writable FORECAST_HOME")
    finally:
        remount(mnt, "rw")
