"""Benchmark: rendering one run's report (HTML + PDF + JSON) against its headline answers alone.

Each side runs in a fresh process, so both pay the same imports and run loading, as the CLI
does. The baseline loads the run and computes the headline answers (every scenario's arrival
quantiles, P(by date) and race); the report adds the figures, the HTML, the PDF and the JSON.
The report is written to a temporary folder (not indexed) and compared with nothing, so no
counterfactual refit enters the timing. Target: the report in 30 s or less on 2 cores.

    FORECAST_HOME=... python bench/report.py [--run ID] [--repeat N]

The run is the current one unless ``--run`` names another (fit one first with
``forecast fit --quick``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

TARGET_SECONDS = 30.0

BASELINE = """
import json, sys, time
t0 = time.perf_counter()
from forecast.questions.forecaster import Forecaster
from forecast.report.sections import headline_section, race_section
f = Forecaster.from_store(run_id=sys.argv[1] or None)
t1 = time.perf_counter()
scenarios = list(f.scenarios)
headline_section(f, scenarios)
race_section(f, scenarios)
t2 = time.perf_counter()
print(json.dumps({"run_id": f.run.id, "total": t2 - t0, "load": t1 - t0, "answers": t2 - t1}))
"""

REPORT = """
import json, sys, tempfile, time
t0 = time.perf_counter()
from forecast.report.build import render_report
with tempfile.TemporaryDirectory() as out:
    r = render_report(sys.argv[1] or None, out=out, previous=None, log=lambda _: None)
    sizes = {k: p.stat().st_size for k, p in r.files.items()}
total = time.perf_counter() - t0
print(json.dumps({"run_id": r.run_id, "total": total, "parts": r.seconds, "bytes": sizes}))
"""


def child(code: str, run: str | None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, run or ""], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"benchmark child failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="run id (default: the current run)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (median shown)")
    args = parser.parse_args()
    base = [child(BASELINE, args.run) for _ in range(args.repeat)]
    reps = [child(REPORT, args.run) for _ in range(args.repeat)]
    b = statistics.median(x["total"] for x in base)
    r = statistics.median(x["total"] for x in reps)
    last = reps[-1]
    print(f"run {last['run_id']}  ({args.repeat} run(s) per side, median wall seconds)")
    print(f"{'':34}{'seconds':>9}")
    print(f"{'baseline: load + headline answers':34}{b:9.2f}")
    print(f"{'report: html + pdf + json':34}{r:9.2f}")
    for part, secs in last["parts"].items():
        print(f"{'  ' + part:34}{secs:9.2f}")
    print(f"{'ratio report / baseline':34}{r / b:9.1f}x")
    sizes = ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in last["bytes"].items())
    print(f"files: {sizes}")
    verdict = "meets" if r <= TARGET_SECONDS else "MISSES"
    print(f"target {TARGET_SECONDS:.0f} s: {verdict} ({r:.1f} s)")
    return 0 if r <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
