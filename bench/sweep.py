"""Sweep throughput: the same grid fitted sequentially (inline, one process) and on a local Dask
cluster, side by side, with each fit's time split into compile, sampling and scoring.

Each mode fits into its own fresh sweep store (nothing is reused between modes), so both fit
every grid point. The sequential mode compiles each model once; the cluster mode runs one
single-threaded worker process per core, each compiling each model it runs once (fits are
placed by model, see ``forecast.sweeps.engine.affinity``). Each fit samples its chains on the
sampler's ``cores`` threads (2) in both modes, or ``--cores-per-fit`` in the cluster mode.

    python bench/sweep.py [--priors default,skeptical] [--cutoff 2022-12-31,2023-12-31,2024-12-31]
                          [--seeds 1] [--full] [--workers N] [--json]

Prints fits per minute for both modes and their ratio, the machine's load average before and
after (other processes share the cores), the machine's own speed-up with one busy process per
worker over one process (the most a cluster can gain on single-threaded work here), and the
per-fit mean compile, sampling and scoring seconds. "busiest worker s" sums the fit times of the
worker that fitted longest; "other s" is the rest of the wall time (starting the cluster and its
processes, importing PyMC in each worker, planning, storing). Quick sampler settings unless --full.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any


def run_mode(
    name: str, spec: Any, scheduler: str | None, workers: int | None, cores: int | None = None
) -> dict[str, Any]:
    from forecast.sweeps.engine import run_sweep, sampler_for
    from forecast.sweeps.index import SweepStore

    home = Path(tempfile.mkdtemp(prefix=f"bench-sweep-{name}-"))
    load_before = os.getloadavg()
    started = time.perf_counter()
    result = run_sweep(
        spec,
        SweepStore(home),
        scheduler=scheduler,
        workers=workers,
        cores_per_fit=cores,
        log=lambda m: print(f"  [{name}] {m}", file=sys.stderr, flush=True),
        progress=True,
    )
    wall = time.perf_counter() - started
    rows = result["rows"]
    n = len(rows)

    def mean(col: str) -> float:
        return round(sum(float(r[col] or 0.0) for r in rows) / max(n, 1), 2)

    def total(col: str) -> float:
        return round(sum(float(r[col] or 0.0) for r in rows), 1)

    busy: dict[str, float] = {}
    for r in rows:
        busy[str(r["worker"])] = busy.get(str(r["worker"]), 0.0) + float(r["total_seconds"] or 0.0)
    slowest = max(busy.values(), default=0.0)
    return {
        "mode": name,
        "fits": n,
        "fitted": result["fitted_now"],
        "passed": result["counts"]["passed"],
        "wall_seconds": round(wall, 1),
        "fits_per_minute": round(result["fitted_now"] / wall * 60, 3),
        "workers": result.get("workers", 1),
        "threads_per_fit": cores or sampler_for(spec.quick)[0].cores,
        "compiles": sum(1 for r in rows if not r["compiled_cached"]),
        "compile_seconds_mean": mean("compile_seconds"),
        "sampling_seconds_mean": mean("sampling_seconds"),
        "scoring_seconds_mean": mean("scoring_seconds"),
        "compile_seconds_total": total("compile_seconds"),
        "sampling_seconds_total": total("sampling_seconds"),
        "scoring_seconds_total": total("scoring_seconds"),
        "busy_seconds_slowest_worker": round(slowest, 1),
        "overhead_seconds": round(wall - slowest, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def _spin(seconds: float) -> tuple[int, float]:
    """Count pure-Python loop turns for ``seconds`` of wall time; returns (turns, CPU seconds)."""
    turns, cpu0 = 0, time.process_time()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(10_000):
            turns += 1
    return turns, time.process_time() - cpu0


def parallel_capacity(processes: int, seconds: float = 3.0) -> dict[str, Any]:
    """How much faster ``processes`` busy processes get through work than one, right now.

    Single-threaded work (compiling, scoring) gains from the cluster at most this factor; on a
    machine shared with other jobs (or whose cores are hyper-threads of one core) it is well
    below the core count.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=processes) as pool:
        list(pool.map(_spin, [0.2] * processes))  # start the processes before timing
        one = pool.submit(_spin, seconds).result()[0]
        many = sum(t for t, _ in pool.map(_spin, [seconds] * processes))
    return {"processes": processes, "speedup": round(many / max(one, 1), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--priors", default="default,skeptical")
    parser.add_argument("--cutoff", default="2022-12-31,2023-12-31,2024-12-31")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="default sampler settings")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--cores-per-fit", type=int, default=None, help="cluster mode threads")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from forecast.sweeps.grid import SweepSpec

    spec = SweepSpec(
        priors=tuple(p.strip() for p in args.priors.split(",") if p.strip()),
        cutoffs=tuple(date.fromisoformat(c.strip()) for c in args.cutoff.split(",") if c.strip()),
        seeds=args.seeds,
        quick=not args.full,
    )
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()}", file=sys.stderr)
    capacity = parallel_capacity(args.workers or os.cpu_count() or 1)
    sequential = run_mode("sequential", spec, "inline", None)
    distributed = run_mode("distributed", spec, None, args.workers, args.cores_per_fit)
    ratio = round(distributed["fits_per_minute"] / sequential["fits_per_minute"], 2)
    out = {
        "capacity": capacity,
        "grid": spec.to_dict(),
        "sequential": sequential,
        "distributed": distributed,
        "ratio": ratio,
        "cores": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    keys = [
        ("fits", "fits"),
        ("wall s", "wall_seconds"),
        ("fits/min", "fits_per_minute"),
        ("workers", "workers"),
        ("threads/fit", "threads_per_fit"),
        ("compiles", "compiles"),
        ("compile s/fit", "compile_seconds_mean"),
        ("sampling s/fit", "sampling_seconds_mean"),
        ("scoring s/fit", "scoring_seconds_mean"),
        ("busiest worker s", "busy_seconds_slowest_worker"),
        ("other s", "overhead_seconds"),
        ("passed gate", "passed"),
        ("load before", "load_before"),
        ("load after", "load_after"),
    ]
    print(f"{'':16}{'sequential':>22}{'distributed':>22}")
    for label, key in keys:
        print(f"{label:16}{sequential[key]!s:>22}{distributed[key]!s:>22}")
    print(f"ratio (distributed / sequential fits per minute): {ratio}x on {os.cpu_count()} cores")
    print(
        f"the machine's own speed-up with {capacity['processes']} busy processes over one "
        f"(measured before the sweeps): {capacity['speedup']}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
