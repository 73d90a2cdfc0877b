"""Benchmark the HTTP API: precomputed, computed and per-request-option questions side by side.

Starts ``forecast serve`` (uvicorn) in a subprocess on a free loopback port over the store in
``$FORECAST_HOME`` (default ``./var``), then drives it with a bounded httpx/asyncio client
(8 concurrent connections by default, a fixed number of requests per endpoint, a time limit)
against:

- ``question``: ``/v1/arrival?country=CN`` (precomputed: served from the answer cache);
- ``scenario``: arrival of CN under ``tightened_controls`` with a different quantile list on
  every request, so each answer is computed (from the cached scenario projection);
- ``threshold``: arrival of CN at a custom threshold ``horizon50:MINUTES`` whose value differs
  on every request, so neither the answer cache nor the projection cache can answer it;
- ``lever``: arrival of CN under an ad-hoc lever ``CN.additions_multiplier=X`` (from 2027) with
  a different X on every request;
- ``given``: arrival of US given ``CN.frontier_eci>=V@2027-06-30`` with a different V on every
  request (V between the latent trend's lower quartile and median there, read from the run);
- ``trivial``: ``/health``.

The endpoints run in interleaved rounds so that drift affects them alike. It prints p50/p99
latency and throughput per endpoint, each endpoint's p50, p99 and throughput as a ratio to the
precomputed ``question``, and whether the custom threshold and the ad-hoc lever meet the target
of a p99 within 50 ms at 8 connections (on 2 cores). The store needs a current run; when there is
none the benchmark first runs ``forecast fit`` (about a minute; ``--quick`` settings cannot pass
the diagnostics gate, so they never make a run current) and says so. Client and server share the
machine, so read ratios, not absolutes.

Usage: ``python bench/api.py [--requests 2000] [--concurrency 8] [--rounds 4] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

HOST = "127.0.0.1"
STARTUP_SECONDS = 120.0
PHASE_SECONDS = 600.0
TARGET_P99_MS = 50.0
"""Target: a custom threshold or an ad-hoc lever answered within 50 ms p99 at 8 connections."""
TARGET_ENDPOINTS = ("threshold", "lever")
GIVEN_DATE = "2027-06-30"


@dataclass
class Endpoint:
    """One benchmarked endpoint: a name and a function from request number to URL."""

    name: str
    url: Callable[[int], str]
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def ensure_current_run(home: Path) -> None:
    """Fit a quick run when the store has no current run (and say so)."""
    from forecast.store.runs import RunNotFoundError, RunStore

    try:
        run_id = RunStore(home).current_id()
        print(f"store {home}: current run {run_id}")
        return
    except RunNotFoundError:
        pass
    print(f"store {home}: no current run; fitting one with `forecast fit` (about a minute)")
    env = os.environ | {"FORECAST_HOME": str(home)}
    cmd = [sys.executable, "-m", "forecast.cli.main", "fit", "--no-progress"]
    done = subprocess.run(cmd, env=env, check=False)
    if done.returncode != 0:
        sys.exit("the fit did not produce a current run (see its output above)")


def start_server(home: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "FORECAST_HOME": str(home),
        "FORECAST_WORKER": "0",
        "FORECAST_ANSWER_CACHE": "4096",
        # one client sends everything here: lift its cost budget (see service.limits)
        "FORECAST_CLIENT_COST": str(10**15),
    }
    cmd = [sys.executable, "-m", "forecast.cli.main", "serve", "--host", HOST, "--port", str(port)]
    log = log_path.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode}")
        try:
            health = httpx.get(f"{base}/health", timeout=2).json()
            if health["ready"]:
                return str(health["current_run"])
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    sys.exit("the server did not become ready in time")


async def drive(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    start: int,
    count: int,
    concurrency: int,
    deadline: float,
) -> None:
    """Send ``count`` requests with ``concurrency`` workers; record latencies and errors."""
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for n in numbers:
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            try:
                response = await client.get(endpoint.url(n))
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            endpoint.latencies.append(time.perf_counter() - t0)
            endpoint.errors += not ok

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    endpoint.seconds += time.perf_counter() - t0


def scenario_url(n: int) -> str:
    """A scenario question with a quantile list unique to request ``n`` (no answer-cache hit)."""
    q = 0.01 + (n % 9800) / 10000
    return f"/v1/arrival?country=CN&scenario=tightened_controls&cdf=false&q={q:.4f}&q=0.5"


def threshold_url(n: int) -> str:
    """Arrival at a custom 50% horizon unique to request ``n`` (one to about four work-weeks)."""
    minutes = 2400 + n % 7200 + (n // 7200) / 7
    return f"/v1/arrival?country=CN&cdf=false&threshold=horizon50:{minutes:.4f}"


def lever_url(n: int) -> str:
    """Arrival under an ad-hoc additions multiplier unique to request ``n`` (0.2 to 0.8)."""
    multiplier = 0.2 + (n % 6000) / 10000 + (n // 6000) / 10**7
    return (
        f"/v1/arrival?country=CN&cdf=false&lever=CN.additions_multiplier={multiplier:.7f}"
        "&lever=start=2027-01-01"
    )


def given_url(low: float, high: float) -> Callable[[int], str]:
    """Arrival of US given CN's latent ECI at :data:`GIVEN_DATE` is at least a value between
    ``low`` and ``high``, unique to the request."""

    def url(n: int) -> str:
        value = low + (high - low) * ((n * 0.6180339887) % 1.0)
        return (
            f"/v1/arrival?country=US&cdf=false&given=CN.frontier_eci%3E%3D{value:.6f}@{GIVEN_DATE}"
        )

    return url


async def given_range(client: httpx.AsyncClient) -> tuple[float, float]:
    """The latent CN ECI's lower quartile and median at :data:`GIVEN_DATE` (so a condition
    between them keeps at least half of the draws)."""
    response = await client.get(
        "/v1/trajectories",
        params={
            "quantity": "frontier_eci",
            "country": "CN",
            "at": GIVEN_DATE,
            "latent": "true",
            "q": ["0.25", "0.5"],
        },
    )
    response.raise_for_status()
    low, high = (row["value"] for row in response.json()["points"][0]["quantiles"])
    return float(low), float(high)


async def run(base: str, requests: int, concurrency: int, rounds: int) -> list[Endpoint]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        low, high = await given_range(client)
        endpoints = [
            Endpoint("question", lambda n: "/v1/arrival?country=CN"),
            Endpoint("scenario", scenario_url),
            Endpoint("threshold", threshold_url),
            Endpoint("lever", lever_url),
            Endpoint("given", given_url(low, high)),
            Endpoint("trivial", lambda n: "/health"),
        ]
        deadline = time.monotonic() + PHASE_SECONDS
        warm = max(min(requests // 4, 200), concurrency)
        for endpoint in endpoints:  # warm-up: load the run, project the scenario, fill caches
            await drive(
                client, Endpoint("warm-up", endpoint.url), 10**6, warm, concurrency, deadline
            )
        per_round = max(requests // rounds, 1)
        for r in range(rounds):
            for endpoint in endpoints:
                await drive(client, endpoint, r * per_round, per_round, concurrency, deadline)
    return endpoints


def summarize(endpoints: list[Endpoint]) -> dict[str, dict[str, float]]:
    out = {}
    for e in endpoints:
        lat = np.asarray(e.latencies) * 1000
        out[e.name] = {
            "requests": float(lat.size),
            "errors": float(e.errors),
            "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "throughput_rps": lat.size / e.seconds if e.seconds else float("nan"),
        }
    return out


def ratios_to(figures: dict[str, dict[str, float]], reference: str) -> dict[str, dict[str, float]]:
    """Each endpoint's p50, p99 and throughput divided by the reference endpoint's."""
    ref = figures[reference]
    return {
        name: {
            key: f[key] / ref[key] if ref[key] else float("nan")
            for key in ("p50_ms", "p99_ms", "throughput_rps")
        }
        for name, f in figures.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument(
        "--concurrency",
        "--connections",
        dest="concurrency",
        type=int,
        default=8,
        help="concurrent connections (default 8, the latency target's)",
    )
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    home = Path(os.environ.get("FORECAST_HOME", "var"))
    ensure_current_run(home)
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        process = start_server(home, port, log_path)
        try:
            run_id = wait_ready(base, process)
            print(
                f"server on {base}, run {run_id}; {args.requests} requests per endpoint, "
                f"{args.concurrency} connections, {args.rounds} rounds, {os.cpu_count()} cores"
            )
            endpoints = asyncio.run(run(base, args.requests, args.concurrency, args.rounds))
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
    figures = summarize(endpoints)
    q, s, t = (figures[name]["throughput_rps"] for name in ("question", "scenario", "trivial"))
    ratios = {"question_vs_trivial": q / t, "scenario_vs_trivial": s / t}
    versus_question = ratios_to(figures, "question")
    target = {name: figures[name]["p99_ms"] <= TARGET_P99_MS for name in TARGET_ENDPOINTS} | {
        "p99_ms": TARGET_P99_MS,
        "connections": args.concurrency,
    }
    if args.json:
        out = {"endpoints": figures, "ratios": ratios, "versus_question": versus_question}
        print(json.dumps(out | {"target": target}, indent=2))
        return 0
    print(
        f"{'endpoint':10} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'p50 /q':>7} {'p99 /q':>7} {'req/s /q':>8}"
    )
    for name, f in figures.items():
        r = versus_question[name]
        print(
            f"{name:10} {f['requests']:8.0f} {f['errors']:6.0f} {f['p50_ms']:8.2f} "
            f"{f['p99_ms']:8.2f} {f['throughput_rps']:8.0f} {r['p50_ms']:7.1f} "
            f"{r['p99_ms']:7.1f} {r['throughput_rps']:8.3f}"
        )
    print("(/q: as a ratio to the precomputed question endpoint)")
    print(f"question / trivial throughput: {ratios['question_vs_trivial']:.2f}")
    print(f"scenario / trivial throughput: {ratios['scenario_vs_trivial']:.2f}")
    for name in TARGET_ENDPOINTS:
        verdict = "meets" if target[name] else "misses"
        print(
            f"target p99 <= {TARGET_P99_MS:.0f} ms at {args.concurrency} connections: {name} "
            f"{verdict} it ({figures[name]['p99_ms']:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
