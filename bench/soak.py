"""Soak test: a real server under mixed load for minutes, a refit a minute and one worker kill.

Starts ``forecast serve`` on a free 127.0.0.1 port (with its refit worker) over a temporary
``FORECAST_HOME`` holding a quick fit (made here, a couple of minutes; or ``--home`` to reuse a
store that has a current run: it is written to, observations and refit runs are added), then for
``--minutes`` (default 10) drives it with ``--connections`` (default 32) httpx/asyncio clients
on loopback only:

- reads (about 65%): the GET questions with varied parameters (some repeated, so answered from
  the cache, some new), runs, scenarios, refit jobs, observations and health;
- batches (about 25%): ``POST /v1/questions`` with 2 to 12 mixed questions;
- writes (about 10%): ``POST /v1/observations`` (a valid new model row, or now and then an
  invalid one, which must be a 422);
- one quick refit a minute (``POST /v1/refits``; a full queue answers 429, as designed);
- once, halfway, the worker process is killed with SIGKILL; the server must restart it.

Every request has a timeout and the run a deadline. At the end the server is stopped and the
script prints a table: requests by kind, server errors (5xx and transport errors; expected 0),
failed reads (reads not answered 200/304, not counting 429), 429s, latency, peak RSS of the
server and of the worker, refits, the kill and the restart, and a store consistency check
(catalog rows vs run folders, the current pointer names a passed run, no leftover work folders).
The server runs with a write rate limit of 1200/minute (so writes can be mixed in) and otherwise
the default limits; the load average before and after is printed, as the machine may be shared.

Usage: ``python bench/soak.py [--minutes 10] [--connections 32] [--home DIR] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HOST = "127.0.0.1"
STARTUP_SECONDS = 300.0
REQUEST_TIMEOUT = 60.0
QUICK_GATE = "1.2,20,10"
COUNTRIES = ("US", "CN")
QUANTITIES = ("frontier_horizon_minutes", "frontier_eci", "frontier_training_flop")
SCENARIOS = ("status_quo", "tightened_controls", "relaxed_controls")


@dataclass
class Tally:
    """What the clients saw."""

    started: float = field(default_factory=time.monotonic)
    by_kind: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    transport_errors: int = 0
    failed_reads: int = 0
    unexpected: Counter[str] = field(default_factory=Counter)
    limited: int = 0
    latencies: list[float] = field(default_factory=list)
    by_kind_latency: dict[str, list[float]] = field(default_factory=dict)
    refits: Counter[int] = field(default_factory=Counter)
    job_ids: list[str] = field(default_factory=list)

    def record(self, kind: str, status: int | None, seconds: float, ok: set[int]) -> None:
        self.by_kind[kind] += 1
        self.latencies.append(seconds)
        self.by_kind_latency.setdefault(kind, []).append(seconds)
        if status is None:
            self.transport_errors += 1
            self.statuses[f"{kind}:transport"] += 1
            if kind == "read":
                self.failed_reads += 1
            return
        self.statuses[f"{kind}:{status}"] += 1
        if status >= 500:
            self.server_errors += 1
        if status == 429:
            self.limited += 1
        elif status not in ok:
            self.unexpected[f"{kind}:{status}"] += 1
            if kind == "read":
                self.failed_reads += 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def quick_fit(home: Path) -> None:
    """A quick fit made current in ``home`` (the CLI's quick gate)."""
    print(f"fitting a quick run into {home} (a couple of minutes)", flush=True)
    env = os.environ | {"FORECAST_HOME": str(home)}
    cmd = [sys.executable, "-m", "forecast.cli.main", "fit", "--quick", "--no-progress"]
    done = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the quick fit failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def start_server(home: Path, port: int, key: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "FORECAST_HOME": str(home),
        "FORECAST_API_KEYS": f"soak:{key}",
        "FORECAST_WORKER": "1",
        "FORECAST_QUICK_GATE": QUICK_GATE,
        "FORECAST_WRITE_RATE_LIMIT": "1200/minute",
        "FORECAST_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "forecast.cli.main", "serve", "--host", HOST, "--port", str(port)]
    return subprocess.Popen(
        cmd, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode}")
        try:
            health = httpx.get(f"{base}/health", timeout=5).json()
            if health["ready"]:
                return str(health["current_run"])
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    sys.exit("the server did not become ready in time")


# -- processes and memory ---------------------------------------------------------------------
def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pid(server: int) -> int | None:
    """The refit worker: the server's spawned child that is not the resource tracker."""
    for pid in children(server):
        line = cmdline(pid)
        if "spawn_main" in line and "resource_tracker" not in line:
            return pid
    return None


def rss_kib(pid: int | None, field_name: str = "VmRSS") -> int:
    if pid is None:
        return 0
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Memory:
    server_peak: int = 0
    worker_peak: int = 0
    worker_pids: set[int] = field(default_factory=set)

    def sample(self, server: int) -> int | None:
        self.server_peak = max(self.server_peak, rss_kib(server), rss_kib(server, "VmHWM"))
        worker = worker_pid(server)
        if worker is not None:
            self.worker_pids.add(worker)
            self.worker_peak = max(self.worker_peak, rss_kib(worker), rss_kib(worker, "VmHWM"))
        return worker


# -- requests -----------------------------------------------------------------------------------
def date(rng: random.Random) -> str:
    return f"{rng.randint(2026, 2045)}-{rng.randint(1, 12):02d}-01"


def read_url(rng: random.Random, n: int) -> str:
    """A GET: half from a small repeated set (cache hits), half new parameters."""
    if rng.random() < 0.5:
        n = n % 40
        rng = random.Random(n)
    pick = rng.random()
    country = rng.choice(COUNTRIES)
    scenario = rng.choice(SCENARIOS)
    if pick < 0.2:
        q = f"&q={rng.randint(1, 99) / 100}&q=0.5"
        return f"/v1/arrival?country={country}&scenario={scenario}{q}"
    if pick < 0.35:
        return f"/v1/probability?country={country}&by={date(rng)}&scenario={scenario}"
    if pick < 0.45:
        return f"/v1/race?scenario={scenario}&versus=status_quo"
    if pick < 0.6:
        at = "&".join(f"at={date(rng)}" for _ in range(rng.randint(1, 5)))
        quantity = rng.choice(QUANTITIES)
        return f"/v1/trajectories?quantity={quantity}&country={country}&{at}"
    if pick < 0.7:
        return (
            f"/v1/surprise?quantity=frontier_horizon_minutes&date={date(rng)}"
            f"&value={rng.uniform(10, 500):.1f}"
        )
    return rng.choice(
        ["/v1/runs", "/v1/scenarios", "/v1/refits", "/v1/observations?limit=5", "/health"]
    )


def batch_body(rng: random.Random) -> dict[str, Any]:
    questions: list[dict[str, Any]] = []
    for _ in range(rng.randint(2, 12)):
        kind = rng.choice(["arrival", "probability", "race", "trajectory", "surprise"])
        country = rng.choice(COUNTRIES)
        if kind == "arrival":
            questions.append({"question": kind, "country": country, "cdf": rng.random() < 0.3})
        elif kind == "probability":
            questions.append({"question": kind, "country": country, "by": date(rng)})
        elif kind == "race":
            questions.append({"question": kind, "scenario": rng.choice(SCENARIOS)})
        elif kind == "trajectory":
            questions.append(
                {
                    "question": kind,
                    "quantity": rng.choice(QUANTITIES),
                    "country": country,
                    "at": [date(rng) for _ in range(rng.randint(1, 4))],
                }
            )
        else:
            questions.append(
                {
                    "question": kind,
                    "quantity": "frontier_horizon_minutes",
                    "date": date(rng),
                    "value": round(rng.uniform(10, 500), 1),
                }
            )
    return {"questions": questions}


def observation_body(n: int, valid: bool) -> dict[str, Any]:
    row = {
        "model": f"Soak-Model-{os.getpid()}-{n}",
        "date": f"2025-{1 + n % 11:02d}-{1 + n % 27:02d}",
        "organization": "Soak Lab",
        "country": "US" if n % 2 else "CN",
        "training_flop": 1e24 * (1 + n % 50),
        "confidence": "Likely",
        "domain": "Language",
        "notable": True,
        "large_scale": True,
        "frontier": False,
        "source": "soak",
        "source_url": "https://example.org/soak",
    }
    if not valid:
        row["training_flop"] = -1
    return {"table": "models", "rows": [row]}


async def one(
    client: httpx.AsyncClient,
    tally: Tally,
    kind: str,
    method: str,
    url: str,
    ok: set[int],
    **kwargs: Any,
) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError:
        tally.record(kind, None, time.perf_counter() - t0, ok)
        return None
    tally.record(kind, response.status_code, time.perf_counter() - t0, ok)
    return response


async def client_loop(
    client: httpx.AsyncClient, tally: Tally, key: str, seed: int, deadline: float
) -> None:
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        pick = rng.random()
        if pick < 0.65:
            await one(client, tally, "read", "GET", read_url(rng, n), {200, 304})
        elif pick < 0.90:
            await one(client, tally, "batch", "POST", "/v1/questions", {200}, json=batch_body(rng))
        else:
            valid = rng.random() < 0.8
            await one(
                client,
                tally,
                "write",
                "POST",
                "/v1/observations",
                {201} if valid else {422},
                json=observation_body(seed * 100_000 + n, valid),
                headers={"X-API-Key": key},
            )


async def refit_loop(client: httpx.AsyncClient, tally: Tally, key: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        response = await one(
            client,
            tally,
            "refit",
            "POST",
            "/v1/refits",
            {202},
            json={"quick": True},
            headers={"X-API-Key": key},
        )
        if response is not None:
            tally.refits[response.status_code] += 1
            if response.status_code == 202:
                tally.job_ids.append(response.json()["job_id"])
        await asyncio.sleep(max(0.0, min(60.0, deadline - time.monotonic())))


async def running_jobs(client: httpx.AsyncClient) -> list[str]:
    try:
        page = (await client.get("/v1/refits", params={"limit": 5})).json()
    except (httpx.HTTPError, ValueError):
        return []
    return [item["job_id"] for item in page.get("items", []) if item.get("status") == "running"]


async def watch_loop(
    client: httpx.AsyncClient,
    server: int,
    memory: Memory,
    events: dict[str, Any],
    kill_at: float,
    deadline: float,
) -> None:
    """Sample memory each second; after ``kill_at``, SIGKILL the worker mid-refit (when a job
    is running, or regardless a quarter of the run later)."""
    last_resort = kill_at + (deadline - kill_at) / 2
    while time.monotonic() < deadline:
        worker = memory.sample(server)
        running: list[str] = []
        if "killed_pid" not in events and time.monotonic() >= kill_at:
            running = await running_jobs(client)
        due = bool(running) or time.monotonic() >= last_resort
        if "killed_pid" not in events and due and worker is not None:
            events["killed_jobs"] = running
            os.kill(worker, signal.SIGKILL)
            events["killed_pid"] = worker
            events["killed_at"] = time.monotonic()
            print(f"killed the worker (pid {worker}) with SIGKILL", flush=True)
        if (
            "killed_pid" in events
            and "restarted_pid" not in events
            and worker is not None
            and worker != events["killed_pid"]
        ):
            events["restarted_pid"] = worker
            events["restart_seconds"] = round(time.monotonic() - events["killed_at"], 1)
            print(f"worker restarted as pid {worker}", flush=True)
        await asyncio.sleep(1.0)


async def soak(
    base: str, server: int, key: str, minutes: float, connections: int
) -> tuple[Tally, Memory, dict[str, Any], dict[str, int]]:
    tally, memory, events = Tally(), Memory(), {}
    deadline = time.monotonic() + minutes * 60
    kill_at = time.monotonic() + minutes * 30
    limits = httpx.Limits(max_connections=connections + 2, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT) as client:
        await asyncio.gather(
            *(client_loop(client, tally, key, seed, deadline) for seed in range(connections)),
            refit_loop(client, tally, key, deadline),
            watch_loop(client, server, memory, events, kill_at, deadline),
        )
        jobs: Counter[str] = Counter()
        for job_id in tally.job_ids:
            response = await one(client, tally, "read", "GET", f"/v1/refits/{job_id}", {200})
            if response is not None and response.status_code == 200:
                job = response.json()
                jobs[job["status"]] += 1
                if job_id in events.get("killed_jobs", []):
                    events["killed_job"] = f"{job['status']}: {job['error']}"
    memory.sample(server)
    return tally, memory, events, dict(jobs)


# -- the store after the run --------------------------------------------------------------------
def consistency(home: Path) -> dict[str, Any]:
    """Catalog rows vs run folders, the current pointer, leftover work folders."""
    runs_dir = home / "runs"
    folders = {d.name for d in runs_dir.iterdir() if (d / "meta.json").is_file()}
    stray = sorted(d.name for d in runs_dir.iterdir() if not (d / "meta.json").is_file())
    with sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True) as conn:
        catalog = {row[0] for row in conn.execute("SELECT id FROM runs")}
    current = (home / "CURRENT").read_text().strip() if (home / "CURRENT").exists() else None
    current_meta: dict[str, Any] = {}
    if current and (runs_dir / current / "meta.json").is_file():
        current_meta = json.loads((runs_dir / current / "meta.json").read_text())
    work = home / "service_tmp"
    leftovers = sorted(p.name for p in work.iterdir()) if work.is_dir() else []
    checks = {
        "catalog_equals_folders": catalog == folders,
        "current_valid": bool(current_meta) and current_meta.get("status") == "passed",
    }
    return {
        "runs": len(folders),
        "catalog_rows": len(catalog),
        "only_in_catalog": sorted(catalog - folders),
        "only_on_disk": sorted(folders - catalog),
        "stray_entries": stray,
        "current": current,
        "work_leftovers": leftovers,
        "ok": all(checks.values()),
        **checks,
    }


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(figures: dict[str, Any]) -> str:
    t, c = figures, figures["consistency"]
    rows = [
        ("duration", f"{t['minutes']:.1f} min at {t['connections']} connections"),
        ("requests", f"{t['requests']} ({t['requests_per_second']:.1f}/s)"),
        ("  by kind", ", ".join(f"{k} {v}" for k, v in sorted(t["by_kind"].items()))),
        ("server errors (5xx + transport)", f"{t['server_errors']} (expected 0)"),
        ("failed reads (not 200/304/429)", str(t["failed_reads"])),
        ("429 (limits, refit queue)", str(t["limited"])),
        ("unexpected statuses", json.dumps(t["unexpected"]) if t["unexpected"] else "none"),
        ("latency p50 / p99", f"{t['p50_ms']:.0f} / {t['p99_ms']:.0f} ms"),
        *(
            (f"  {kind}", f"{p50:.0f} / {p99:.0f} ms")
            for kind, (p50, p99) in sorted(t["latency_by_kind"].items())
        ),
        ("peak RSS server", f"{t['server_peak_mib']:.0f} MiB"),
        ("peak RSS worker", f"{t['worker_peak_mib']:.0f} MiB ({t['worker_pids']} process(es))"),
        ("refit posts", json.dumps(t["refit_posts"])),
        ("refit jobs at the end", json.dumps(t["jobs"])),
        ("worker kill", t["kill"]),
        ("job running at the kill", t["killed_job"]),
        (
            "store consistency",
            f"{'OK' if c['ok'] else 'FAILED'}: {c['runs']} run folders, {c['catalog_rows']} "
            f"catalog rows, current {c['current']} "
            f"({'valid' if c['current_valid'] else 'INVALID'}), "
            f"{len(c['work_leftovers'])} work leftovers",
        ),
        ("load average before / after", f"{t['load_before']} / {t['load_after']}"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--home", type=Path, help="reuse this store (needs a current run)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="forecast-soak-") as tmp:
        home = args.home or Path(tmp) / "home"
        if args.home is None:
            home.mkdir()
            quick_fit(home)
        key = secrets.token_urlsafe(24)
        port = free_port()
        base = f"http://{HOST}:{port}"
        log_path = Path(tmp) / "server.log"
        load_before = load_average()
        process = start_server(home, port, key, log_path)
        try:
            run_id = wait_ready(base, process)
            print(
                f"server pid {process.pid} on {base}, run {run_id}; {args.minutes} min, "
                f"{args.connections} connections; load average {load_before}",
                flush=True,
            )
            started = time.monotonic()
            tally, memory, events, jobs = asyncio.run(
                soak(base, process.pid, key, args.minutes, args.connections)
            )
            elapsed = time.monotonic() - started
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        log_text = log_path.read_text(errors="replace")
        lat = np.asarray(tally.latencies) * 1000
        kill = (
            f"pid {events['killed_pid']} killed; restarted as pid {events['restarted_pid']} "
            f"after {events['restart_seconds']} s"
            if "restarted_pid" in events
            else f"pid {events.get('killed_pid')} killed; NOT restarted"
            if "killed_pid" in events
            else "no worker found to kill"
        )
        requests = sum(tally.by_kind.values())
        figures = {
            "minutes": elapsed / 60,
            "connections": args.connections,
            "requests": requests,
            "requests_per_second": requests / elapsed,
            "by_kind": dict(tally.by_kind),
            "statuses": dict(tally.statuses),
            "server_errors": tally.server_errors + tally.transport_errors,
            "failed_reads": tally.failed_reads,
            "limited": tally.limited,
            "unexpected": dict(tally.unexpected),
            "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "latency_by_kind": {
                kind: (
                    float(np.percentile(np.asarray(v) * 1000, 50)),
                    float(np.percentile(np.asarray(v) * 1000, 99)),
                )
                for kind, v in tally.by_kind_latency.items()
            },
            "server_peak_mib": memory.server_peak / 1024,
            "worker_peak_mib": memory.worker_peak / 1024,
            "worker_pids": len(memory.worker_pids),
            "refit_posts": {str(k): v for k, v in tally.refits.items()},
            "jobs": jobs,
            "kill": kill,
            "killed_job": events.get("killed_job", "none was running"),
            "server_log_lines": log_text.count("\n"),
            "server_log_errors": log_text.count('"level": "error"'),
            "consistency": consistency(home),
            "load_before": load_before,
            "load_after": load_average(),
        }
    print(table(figures))
    if figures["server_errors"] or figures["server_log_errors"]:
        print("server log errors (first 10):")
        for line in [x for x in log_text.splitlines() if '"level": "error"' in x][:10]:
            try:
                entry = json.loads(line)
            except ValueError:
                print("  " + line[:500])
                continue
            trace = entry.pop("exception", "")
            print("  " + json.dumps(entry)[:500])
            if trace:
                print("    " + trace[-1200:].replace("\n", "\n    "))
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    ok = figures["server_errors"] == 0 and figures["consistency"]["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
