"""Two machines, really: a Dask scheduler and two workers as separate processes on localhost,
a quick sweep through ``--scheduler``, one worker killed (SIGKILL) while it runs a fit; the sweep
must finish with every fit stored once, and a second run must fit nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecast.sweeps.index import SweepStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

BIN = Path(sys.executable).parent


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_sweep_survives_a_killed_worker(tmp_path):
    from distributed import Client

    env = os.environ | {"FORECAST_HOME": str(tmp_path / "home")}
    scheduler_file = tmp_path / "scheduler.json"
    logs = open(tmp_path / "cluster.log", "w")
    procs: dict[str, subprocess.Popen] = {}
    client = None
    try:
        procs["scheduler"] = subprocess.Popen(
            [
                BIN / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                scheduler_file,
                "--no-dashboard",
            ],
            stdout=logs,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _wait(scheduler_file.exists, 120, "the scheduler file")
        for name in ("w1", "w2"):
            procs[name] = subprocess.Popen(
                [
                    BIN / "dask",
                    "worker",
                    "--scheduler-file",
                    scheduler_file,
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--local-directory",
                    tmp_path / name,
                ],
                stdout=logs,
                stderr=subprocess.STDOUT,
                env=env,
            )
        client = Client(scheduler_file=str(scheduler_file), timeout=60, set_as_default=False)
        client.wait_for_workers(2, timeout=180)

        sweep_args = [
            BIN / "forecast",
            "sweep",
            "--quick",
            "--no-progress",
            "--json",
            "--cutoff",
            "2022-12-31,2024-12-31",
            "--seeds",
            "2",
        ]
        sweep = subprocess.Popen(
            [*sweep_args, "--scheduler", str(scheduler_file)],
            stdout=subprocess.PIPE,
            stderr=open(tmp_path / "sweep.err", "w"),
            env=env,
        )
        store = SweepStore(tmp_path / "home" / "sweeps")
        _wait(
            lambda: bool(store.stored_keys()) or sweep.poll() is not None,
            1800,
            "the first stored fit",
        )
        assert sweep.poll() is None, "the sweep ended before a worker could be killed"

        killed, in_flight = None, []

        def busy_worker() -> bool:
            nonlocal killed, in_flight
            info = client.scheduler_info(n_workers=-1)["workers"]
            for addr, keys in client.processing().items():
                if keys and addr in info:
                    killed, in_flight = info[addr]["name"], [str(k) for k in keys]
                    return True
            return sweep.poll() is not None

        _wait(busy_worker, 600, "a worker running a fit")
        assert killed in ("w1", "w2"), "no worker was running a fit"
        os.kill(procs[killed].pid, signal.SIGKILL)
        procs[killed].wait(30)

        out, _ = sweep.communicate(timeout=1800)
        assert sweep.returncode == 0, (tmp_path / "sweep.err").read_text()[-3000:]
        result = json.loads(out)
        assert result["state"] == "complete" and result["counts"]["fits"] == 4
        assert result["fitted_now"] + result["stored_before"] == 4 and not result["errors"]
        assert result["workers"] == 2
        keys = [r["key"] for r in result["rows"]]
        assert len(set(keys)) == 4 and store.stored_keys(keys) == set(keys)
        runs = sorted(p.name for p in store.runs.runs_dir.iterdir())
        assert runs == sorted(r["run_id"] for r in result["rows"])  # each fit stored once
        survivor = {"w1": "w2", "w2": "w1"}[killed]
        assert procs[survivor].poll() is None
        # the fits the killed worker held were rerun, and stored, by the survivor (any: one may
        # have finished in the milliseconds between the look and the kill)
        by_task = {f"fit-{r['key'][:40]}": r for r in result["rows"]}
        assert any(by_task[k]["worker"].endswith(f":{procs[survivor].pid}") for k in in_flight)

        again = subprocess.run(
            [*sweep_args, "--scheduler", "inline"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert json.loads(again.stdout)["fitted_now"] == 0
    finally:
        if client is not None:
            client.close()
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        logs.close()
