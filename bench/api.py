"""Benchmark the HTTP API with ``wrk``: /health, a precomputed answer and a scenario answer.

Starts ``forecast serve`` (uvicorn, one process) in a subprocess on a free loopback port over
the store in ``$FORECAST_HOME`` (default ``./var``) and drives it with ``wrk`` (Debian package
``wrk``; ``scripts/_env.sh`` installs it for the test and run jobs). An httpx client tops out
at 420-545 requests/s, well below the server, so it measured itself; wrk, in C, does not.

Main rows, each ``wrk -c32 -t2 -d10s --latency`` (32 connections, 2 threads, 10 s):

- ``health``: ``/health``, the floor: routing, checks, middleware, no question;
- ``precomputed``: ``/v1/arrival?country=US`` (the answer cache: a dictionary lookup);
- ``scenario``: ``/v1/arrival?country=CN&scenario=tightened_controls``, warmed first (the
  service projects every scenario when a run becomes current; one request fills the cache).

Option rows (kept from the httpx benchmark), each request a new question via a wrk Lua script,
at 8 connections by default (``--option-connections``), the connections of their old target
(p99 within 50 ms): ``threshold`` (``horizon50:MINUTES``, new minutes each request), ``lever``
(``CN.additions_multiplier=X`` from 2027, new X each request; one lever at that start date is
asked first, as the first lever at a new start date computes the stock's response to it, a
few hundred ms once), ``given`` (US given
``CN.frontier_eci>=V@2027-06-30``, new V between the latent trend's lower quartile and median
there) and ``computed`` (a scenario answer with a new quantile list each request: computed
from the held projection, not cached).

It prints p50, p99 and requests/s per row, each row's throughput as a ratio to ``/health``'s
and the targets: p99 <= 10 ms precomputed, <= 25 ms scenario, both with throughput >= 0.8 of
``/health``'s; p99 <= 50 ms for threshold and lever. Timings are printed, never asserted. Client
and server share the machine (wrk's two threads and the server's event loop on 2 cores), so
compare rows with each other rather than with other machines. The store needs a current run;
when there is none the benchmark first runs ``forecast fit`` (a few minutes) and says so.

Usage: ``python bench/api.py [--duration 10] [--connections 32] [--threads 2]
[--option-connections 8] [--no-options] [--rows health,threshold,...]
[--access-log all|errors|FRACTION] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
STARTUP_SECONDS = 180.0
GIVEN_DATE = "2027-06-30"
WRK = "wrk"
TARGETS_P99_MS = {"precomputed": 10.0, "scenario": 25.0, "threshold": 50.0, "lever": 50.0}
"""Target p99 per row (ms); the main rows at --connections, the option rows at theirs."""
TARGET_THROUGHPUT_RATIO = 0.8
"""Target: a question's throughput at least this share of /health's."""
THROUGHPUT_TARGET_ROWS = ("precomputed", "scenario")

LEVER_WARM_URL = (
    "/v1/arrival?country=CN&cdf=false&lever=CN.additions_multiplier=0.5&lever=start=2027-01-01"
)
"""One lever at the lever row's start date, asked before the rows run (see :func:`warm`)."""

MAIN_ROWS = {
    "health": "/health",
    "precomputed": "/v1/arrival?country=US",
    "scenario": "/v1/arrival?country=CN&scenario=tightened_controls",
}

LUA_PREAMBLE = """
local counter = 0
local id = 0
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  id = tonumber(wrk.thread:get("id")) or 0
end
local function next_n()
  counter = counter + 1
  return id * 1000000 + counter
end
"""
"""Each wrk thread numbers its requests from its own million, so every request is new."""

OPTION_REQUESTS = {
    "computed": """
request = function()
  local n = next_n()
  local q = 0.01 + (n % 9800) / 10000 + math.floor(n / 9800) / 10^8
  return wrk.format("GET", string.format(
    "/v1/arrival?country=CN&scenario=tightened_controls&cdf=false&q=%.8f&q=0.5", q))
end
""",
    "threshold": """
request = function()
  local n = next_n()
  local minutes = 2400 + n % 7200 + math.floor(n / 7200) / 7
  return wrk.format("GET", string.format(
    "/v1/arrival?country=CN&cdf=false&threshold=horizon50:%.4f", minutes))
end
""",
    "lever": """
request = function()
  local n = next_n()
  local m = 0.2 + (n % 6000) / 10000 + math.floor(n / 6000) / 10^7
  return wrk.format("GET", string.format(
    "/v1/arrival?country=CN&cdf=false&lever=CN.additions_multiplier=%.7f&lever=start=2027-01-01",
    m))
end
""",
    "given": """
request = function()
  local n = next_n()
  local v = LOW + (HIGH - LOW) * ((n * 0.6180339887) % 1.0)
  return wrk.format("GET", string.format(
    "/v1/arrival?country=US&cdf=false&given=CN.frontier_eci%%3E%%3D%.6f@GIVEN_DATE", v))
end
""",
}


@dataclass
class Row:
    """One wrk run: figures parsed from wrk's report."""

    name: str
    url: str
    connections: int
    requests: int = 0
    errors: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    rps: float = float("nan")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def ensure_current_run(home: Path) -> None:
    """Fit a run when the store has no current run (and say so)."""
    from forecast.store.runs import RunMismatchError, RunNotFoundError, RunStore

    try:
        store = RunStore(home)
        run_id = store.current_id()
        store.meta(run_id)  # refuses a run fitted by another model version
        print(f"store {home}: current run {run_id}")
        return
    except RunNotFoundError:
        print(f"store {home}: no current run; fitting one with `forecast fit` (a few minutes)")
    except RunMismatchError as exc:
        print(f"store {home}: {exc}; fitting a new run with `forecast fit` (a few minutes)")
    env = os.environ | {"FORECAST_HOME": str(home)}
    cmd = [sys.executable, "-m", "forecast.cli.main", "fit", "--no-progress"]
    done = subprocess.run(cmd, env=env, check=False)
    if done.returncode != 0:
        sys.exit("the fit did not produce a current run (see its output above)")


def start_server(
    home: Path, port: int, log_path: Path, access_log: str | None
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "FORECAST_HOME": str(home),
        "FORECAST_WORKER": "0",
        "FORECAST_ANSWER_CACHE": "4096",
        # one client sends everything here: lift its cost budget (see service.limits)
        "FORECAST_CLIENT_COST": str(10**15),
    }
    if access_log is not None:
        env["FORECAST_ACCESS_LOG"] = access_log
    cmd = [sys.executable, "-m", "forecast.cli.main", "serve", "--host", HOST, "--port", str(port)]
    log = log_path.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> str:
    """Wait until /health says ready and the current run is loaded (then warmed soon after)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode}")
        try:
            health = httpx.get(f"{base}/health", timeout=2).json()
            if health["ready"] and "loaded" in health["detail"]:
                return str(health["current_run"])
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    sys.exit("the server did not become ready in time")


def warm(base: str) -> tuple[float, float]:
    """Fill the caches of the main rows (retrying while the scenarios are being projected) and
    read the range of the ``given`` condition: CN's latent ECI lower quartile and median at
    :data:`GIVEN_DATE` (a condition between them keeps at least half of the draws)."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for url in MAIN_ROWS.values():
            for _ in range(3):
                client.get(url).raise_for_status()
        # the lever row's start date: the first lever at a (country, start) computes the stock's
        # response to a change of additions from that start (a few hundred ms, then kept);
        # every later multiplier at that start reuses it
        client.get(LEVER_WARM_URL).raise_for_status()
        response = client.get(
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


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, row: Row) -> Row:
    """Fill ``row`` from wrk's ``--latency`` report."""
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        match = re.search(rf"^\s*{pct}(?:\.0+)?%\s+(\S+)", output, re.MULTILINE)
        if match:
            setattr(row, attr, _ms(match.group(1)))
    match = re.search(r"Requests/sec:\s*([0-9.]+)", output)
    if match:
        row.rps = float(match.group(1))
    match = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if match:
        row.requests = int(match.group(1))
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if match:
        errors += int(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        errors += sum(int(g) for g in match.groups())
    row.errors = errors
    return row


def run_wrk(
    base: str,
    row: Row,
    threads: int,
    duration: int,
    script: str | None,
    scratch: Path,
) -> Row:
    cmd = [
        WRK,
        f"-c{row.connections}",
        f"-t{min(threads, row.connections)}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if script is not None:
        path = scratch / f"{row.name}.lua"
        path.write_text(LUA_PREAMBLE + script)
        cmd += ["-s", str(path)]
    cmd.append(base + row.url)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"wrk failed on {row.name}: {done.stderr.strip() or done.stdout.strip()}")
        return row
    return parse_wrk(done.stdout, row)


def verdicts(rows: dict[str, Row]) -> dict[str, dict[str, object]]:
    """Per row: throughput / health's, and each target with whether it is met."""
    health = rows["health"].rps if "health" in rows else float("nan")
    out: dict[str, dict[str, object]] = {}
    for name, row in rows.items():
        ratio = row.rps / health if health and health == health else float("nan")
        entry: dict[str, object] = {"throughput_vs_health": ratio}
        if name in TARGETS_P99_MS:
            entry["target_p99_ms"] = TARGETS_P99_MS[name]
            entry["p99_ok"] = bool(row.p99_ms <= TARGETS_P99_MS[name])
        if name in THROUGHPUT_TARGET_ROWS:
            entry["target_throughput_ratio"] = TARGET_THROUGHPUT_RATIO
            entry["throughput_ok"] = bool(ratio >= TARGET_THROUGHPUT_RATIO)
        out[name] = entry
    return out


def target_text(entry: dict[str, object]) -> str:
    parts = []
    if "target_p99_ms" in entry:
        mark = "ok" if entry["p99_ok"] else "MISS"
        parts.append(f"p99<={entry['target_p99_ms']:g}ms {mark}")
    if "target_throughput_ratio" in entry:
        mark = "ok" if entry["throughput_ok"] else "MISS"
        parts.append(f"x>={entry['target_throughput_ratio']:g} {mark}")
    return ", ".join(parts) or "-"


def print_table(rows: dict[str, Row], judged: dict[str, dict[str, object]]) -> None:
    print(
        f"{'row':12} {'conns':>5} {'requests':>9} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'x health':>8}  target"
    )
    for name, row in rows.items():
        entry = judged[name]
        print(
            f"{name:12} {row.connections:5d} {row.requests:9d} {row.errors:6d} "
            f"{row.p50_ms:8.2f} {row.p99_ms:8.2f} {row.rps:8.0f} "
            f"{entry['throughput_vs_health']:8.2f}  {target_text(entry)}"
        )
    print("(x health: the row's requests/s as a ratio to /health's; targets printed, not asserted)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per row (wrk -d)")
    parser.add_argument("--connections", type=int, default=32, help="main rows (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (wrk -t)")
    parser.add_argument(
        "--option-connections", type=int, default=8, help="connections of the option rows"
    )
    parser.add_argument("--no-options", action="store_true", help="only the main rows")
    parser.add_argument(
        "--access-log",
        default=None,
        help="FORECAST_ACCESS_LOG for the server (default: the service's default sample)",
    )
    parser.add_argument(
        "--rows",
        default=None,
        help="comma-separated rows to run (default all): "
        + ",".join([*MAIN_ROWS, *OPTION_REQUESTS]),
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    known = [*MAIN_ROWS, *OPTION_REQUESTS]
    chosen = known if args.rows is None else [r.strip() for r in args.rows.split(",") if r]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        parser.error(f"--rows: unknown row(s) {', '.join(unknown)}; known: {', '.join(known)}")

    if shutil.which(WRK) is None:
        sys.exit("wrk is not installed (Debian package `wrk`; scripts/_env.sh installs it)")
    home = Path(os.environ.get("FORECAST_HOME", "var"))
    ensure_current_run(home)
    port = free_port()
    base = f"http://{HOST}:{port}"
    rows: dict[str, Row] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        process = start_server(home, port, scratch / "server.log", args.access_log)
        try:
            run_id = wait_ready(base, process)
            low, high = warm(base)
            print(
                f"server on {base}, run {run_id}; wrk {args.duration} s per row, "
                f"{args.threads} threads, {os.cpu_count()} cores, access log "
                f"{args.access_log or 'service default'}"
            )
            for name, url in MAIN_ROWS.items():
                if name not in chosen:
                    continue
                row = Row(name, url, args.connections)
                rows[name] = run_wrk(base, row, args.threads, args.duration, None, scratch)
            if not args.no_options:
                for name, script in OPTION_REQUESTS.items():
                    if name not in chosen:
                        continue
                    script = (
                        script.replace("LOW", repr(low))
                        .replace("HIGH", repr(high))
                        .replace("GIVEN_DATE", GIVEN_DATE)
                    )
                    row = Row(name, "/", args.option_connections)
                    rows[name] = run_wrk(base, row, args.threads, args.duration, script, scratch)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
    judged = verdicts(rows)
    if args.json:
        out = {name: asdict(row) | judged[name] for name, row in rows.items()}
        print(json.dumps(out, indent=2))
        return 0
    print_table(rows, judged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
