"""Benchmark: the default fit with nutpie and with PyMC's own NUTS, side by side in one run.

Prints, for each sampler, wall time split into compilation and sampling, the diagnostics gate
figures, and min bulk ESS per second of sampling; then the ratios (pymc / nutpie). Each
sampler runs in a fresh process so neither benefits from the other's warm caches in memory
(on-disk compile caches are used by both, as in normal use).

    python bench/fit.py [--draws N --tune N --chains N --seed S]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, sys, time
from dataclasses import replace
from forecast.fit.sampling import SamplerConfig, diagnostics, prepare, sample
from forecast.model.graph import TimelineModel
cfg = SamplerConfig(**json.loads(sys.argv[1]))
t0 = time.perf_counter()
prior_set, obs, _ = prepare("default")
model = TimelineModel(obs, prior_set).build()
t1 = time.perf_counter()
tree, compile_s, sampling_s = sample(model, cfg, progress=False)
d = diagnostics(tree)
print(json.dumps({
    "sampler": cfg.sampler,
    "build_s": t1 - t0,
    "compile_s": compile_s,
    "sampling_s": sampling_s,
    "wall_s": time.perf_counter() - t0,
    "max_rhat": d["max_rhat"],
    "min_ess_bulk": d["min_ess_bulk"],
    "divergences": d["divergences"],
}))
"""


def run(sampler: str, args: argparse.Namespace) -> dict:
    cfg = {
        "sampler": sampler,
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "seed": args.seed,
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20251231)
    args = parser.parse_args()
    rows = [run(s, args) for s in ("nutpie", "pymc")]
    print(
        f"{'sampler':8} {'wall s':>7} {'compile s':>9} {'sample s':>8} {'R-hat':>6} "
        f"{'min ESS':>7} {'div':>4} {'ESS/s':>8}"
    )
    for r in rows:
        r["ess_per_s"] = r["min_ess_bulk"] / max(r["sampling_s"], 1e-9)
        print(
            f"{r['sampler']:8} {r['wall_s']:7.1f} {r['compile_s']:9.1f} {r['sampling_s']:8.1f} "
            f"{r['max_rhat']:6.3f} {r['min_ess_bulk']:7.0f} {r['divergences']:4d} "
            f"{r['ess_per_s']:8.0f}"
        )
    nut, pym = rows
    print(
        f"ratio pymc/nutpie: wall {pym['wall_s'] / nut['wall_s']:.2f}, "
        f"compile {pym['compile_s'] / nut['compile_s']:.2f}, "
        f"sampling {pym['sampling_s'] / nut['sampling_s']:.2f}, "
        f"ESS/s {pym['ess_per_s'] / nut['ess_per_s']:.2f}"
    )
    faster = min(rows, key=lambda r: r["wall_s"])["sampler"]
    print(f"faster end to end: {faster}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
