"""Benchmark: the default fit with each sampler side by side, from empty and from warm caches.

Samplers: nutpie (through the disk compile cache, ``forecast.fit.compile_cache``), PyMC's own
NUTS, and numpyro (through ``pm.sample(nuts_sampler="numpyro")``) when numpyro and jax are
importable (``pip install -e ".[bench]"``; not in requirements.lock), else its row says "not
installed" and why. Every run is a fresh process. For the empty-cache runs each sampler gets
new, empty compile caches (the model cache, PyTensor's compile dir and numba's cache dir, in a
temporary folder); the warm run that follows reuses them, as a later process on the same
machine would.

Columns: wall seconds of the process (imports included) and of the fit (data to draws),
compile seconds, sampling seconds, min bulk and tail ESS (arviz) per second of fit wall time,
divergences, and whether the run passes the diagnostics gate (``forecast.fit.sampling.Gate``).
Timings are printed, never asserted.

    python bench/fit.py [--draws N --tune N --chains N --seed S] [--samplers nutpie,pymc]
                        [--no-empty] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from forecast.fit.sampling import SamplerConfig

SAMPLERS = ("nutpie", "pymc", "numpyro")
OPTIONAL = {"numpyro": ("numpyro", "jax")}

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from forecast.fit.sampling import Gate, SamplerConfig, compile_nutpie, diagnostics, prepare
from forecast.fit.sampling import build_model, sample, sample_compiled
args = json.loads(sys.argv[1])
sampler = args.pop("sampler")
cfg = SamplerConfig(**args, sampler="pymc" if sampler == "numpyro" else sampler)
t1 = time.perf_counter()
prior_set, obs, _ = prepare("default")
model = build_model(obs, prior_set)
cache_hit = None
if sampler == "nutpie":
    compiled, compile_s, cache = compile_nutpie(model)
    cache_hit = cache["hit"]
    t2 = time.perf_counter()
    tree = sample_compiled(compiled, cfg, progress=False)
    sampling_s = time.perf_counter() - t2
elif sampler == "pymc":
    tree, compile_s, sampling_s = sample(model, cfg, progress=False)
else:
    import pymc as pm
    t2 = time.perf_counter()
    with model:
        tree = pm.sample(
            draws=cfg.draws, tune=cfg.tune, chains=cfg.chains, random_seed=cfg.seed,
            nuts_sampler="numpyro", progressbar=False, target_accept=cfg.target_accept,
            compute_convergence_checks=False,
        )
    total = time.perf_counter() - t2
    sampling_s = float(tree["posterior"].attrs.get("sampling_time", total))
    compile_s = max(total - sampling_s, 0.0)
fit_s = time.perf_counter() - t1
d = diagnostics(tree)
print(json.dumps({
    "import_s": t1 - t0,
    "fit_s": fit_s,
    "compile_s": compile_s,
    "sampling_s": sampling_s,
    "cache_hit": cache_hit,
    "max_rhat": d["max_rhat"],
    "min_ess_bulk": d["min_ess_bulk"],
    "min_ess_tail": d["min_ess_tail"],
    "divergences": d["divergences"],
    "gate_failures": Gate().check(d),
}))
"""


def missing(sampler: str) -> str | None:
    """Why a sampler cannot run here (None when it can)."""
    absent = [m for m in OPTIONAL.get(sampler, ()) if importlib.util.find_spec(m) is None]
    if absent:
        return (
            f"{' and '.join(absent)} not installed (not in requirements.lock; install them in a "
            "throwaway venv, never the project's)"
        )
    return None


def cache_env(folder: Path) -> dict[str, str]:
    """Environment that points every compile cache into ``folder``."""
    env = dict(os.environ)
    flags = [
        f
        for f in env.get("PYTENSOR_FLAGS", "").split(",")
        if f and not f.strip().startswith(("base_compiledir", "compiledir"))
    ]
    env["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={folder / 'pytensor'}"])
    env["NUMBA_CACHE_DIR"] = str(folder / "numba")
    env["FORECAST_CACHE_DIR"] = str(folder / "models")
    return env


def run(sampler: str, args: argparse.Namespace, env: dict[str, str] | None) -> dict:
    cfg = {
        "sampler": sampler,
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "seed": args.seed,
    }
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {out.returncode}: {last[:120]}"}
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["process_s"] = wall
    fit_s = max(row["fit_s"], 1e-9)
    row["ess_bulk_per_s"] = row["min_ess_bulk"] / fit_s
    row["ess_tail_per_s"] = row["min_ess_tail"] / fit_s
    return row


HEADER = (
    f"{'sampler':8} {'caches':6} {'process s':>9} {'fit s':>6} {'compile s':>9} "
    f"{'sample s':>8} {'bulk ESS/s':>10} {'tail ESS/s':>10} {'div':>4} {'R-hat':>6} gate"
)


def line(sampler: str, caches: str, r: dict) -> str:
    if "skipped" in r or "error" in r:
        return f"{sampler:8} {caches:6} {r.get('skipped') or r.get('error')}"
    gate = "pass" if not r["gate_failures"] else "FAIL: " + "; ".join(r["gate_failures"])
    return (
        f"{sampler:8} {caches:6} {r['process_s']:9.1f} {r['fit_s']:6.1f} {r['compile_s']:9.1f} "
        f"{r['sampling_s']:8.1f} {r['ess_bulk_per_s']:10.1f} {r['ess_tail_per_s']:10.1f} "
        f"{r['divergences']:4d} {r['max_rhat']:6.3f} {gate}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=SamplerConfig().tune)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20251231)
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument(
        "--no-empty", action="store_true", help="warm runs only (on this machine's caches)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    rows: list[tuple[str, str, dict]] = []
    print(HEADER, flush=True)
    for sampler in samplers:
        reason = missing(sampler)
        if reason:
            rows.append((sampler, "-", {"skipped": f"not installed: {reason}"}))
            print(line(*rows[-1]), flush=True)
            continue
        if args.no_empty:
            runs = [("warm", None)]
            folder = None
        else:
            folder = tempfile.TemporaryDirectory(prefix=f"bench-fit-{sampler}-")
            env = cache_env(Path(folder.name))
            runs = [("empty", env), ("warm", env)]
        for caches, env in runs:
            rows.append((sampler, caches, run(sampler, args, env)))
            print(line(*rows[-1]), flush=True)
        if folder is not None:
            folder.cleanup()
    warm = {s: r for s, c, r in rows if c == "warm" and "fit_s" in r}
    if "nutpie" in warm:
        base = warm["nutpie"]
        for sampler, r in warm.items():
            if sampler != "nutpie":
                print(
                    f"warm {sampler}/nutpie: fit {r['fit_s'] / base['fit_s']:.2f}x, "
                    f"bulk ESS/s {r['ess_bulk_per_s'] / max(base['ess_bulk_per_s'], 1e-9):.2f}x"
                )
    if args.json:
        print(json.dumps([{"sampler": s, "caches": c, **r} for s, c, r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
