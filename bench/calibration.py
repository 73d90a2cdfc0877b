"""Simulation-based calibration (SBC) of the timeline model (Talts et al. 2018).

For each of N simulated data sets: draw "true" parameters from the prior set, simulate every
observation block at them with the real data's design (``forecast.model.simulate``), refit the
compiled model on the simulated data (``CompiledModel.with_data``; compiled once), and record the
rank of each true parameter among thinned posterior draws. If the sampler and the model are
consistent, each parameter's ranks are uniform on 0..L. Prior draws whose simulated data are not
finite are skipped and counted (they would not be valid observations), as are fits that fail.

Prints progress and the total time, writes the ranks as JSON, a chi-square and a KS uniformity
test per parameter, and a rank-histogram PNG:

    python bench/calibration.py [--n 100] [--draws 1000] [--tune 1000] [--chains 2] [--keep 200]
                                [--seed 1] [--out var/calibration/sbc.json]
                                [--png docs/calibration-ranks.png]

Bounded: one compile (~35 s), then per data set one small nutpie fit (2 chains) on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

BINS = 10


def finite_blocks(obs: Any) -> bool:
    """Whether every simulated observation value is finite."""
    blocks = (obs.stock, obs.compute, obs.eci_records, obs.eci_cross, obs.horizon)
    return all(bool(np.all(np.isfinite(b.value))) for b in blocks)


def ranks_of(post: Any, truth: dict[str, float], names: list[str], keep: int) -> dict[str, int]:
    """Rank of each true value among ``keep`` evenly thinned posterior draws (0..keep)."""
    out = {}
    for name in names:
        draws = np.asarray(post[name].values, dtype=float)  # (chains, draws)
        chains, n = draws.shape
        per_chain = max(keep // chains, 1)
        step = max(n // per_chain, 1)
        thinned = draws[:, ::step][:, :per_chain].ravel()
        out[name] = int(np.sum(thinned < truth[name]))
    return out


def max_rhat(post: Any) -> float:
    """Largest rank-normalised R-hat over the parameters of one fit."""
    import arviz_stats as azs

    rhat = azs.rhat(post.to_dataset() if hasattr(post, "to_dataset") else post)
    return float(max(float(np.nanmax(rhat[v].values)) for v in rhat.data_vars))


def uniformity(ranks: np.ndarray, keep: int) -> dict[str, float]:
    """Chi-square (BINS equal bins of 0..keep) and KS tests of uniform ranks: p-values."""
    from scipy import stats

    edges = np.linspace(-0.5, keep + 0.5, BINS + 1)
    counts, _ = np.histogram(ranks, bins=edges)
    expected = ranks.size * np.diff(edges) / (keep + 1)
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    # Ranks are discrete: jitter them uniformly within their cell before the KS test.
    rng = np.random.default_rng(0)
    u = (ranks + rng.uniform(0.0, 1.0, ranks.size)) / (keep + 1)
    return {
        "chi2": round(chi2, 2),
        "chi2_p": round(float(stats.chi2.sf(chi2, BINS - 1)), 4),
        "ks": round(float(stats.kstest(u, "uniform").statistic), 4),
        "ks_p": round(float(stats.kstest(u, "uniform").pvalue), 4),
        "mean_rank_share": round(float(np.mean(ranks) / keep), 3),
    }


def plot(ranks: dict[str, list[int]], keep: int, tests: dict[str, Any], path: Path) -> None:
    """Grid of rank histograms with the 99% band of a uniform histogram's bin counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    names = list(ranks)
    cols = 5
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.1 * rows), squeeze=False)
    edges = np.linspace(-0.5, keep + 0.5, BINS + 1)
    for ax, name in zip(axes.ravel(), names, strict=False):
        r = np.asarray(ranks[name])
        n = r.size
        lo, hi = stats.binom.ppf([0.005, 0.995], n, 1.0 / BINS)
        ax.axhspan(lo, hi, color="0.85", zorder=0)
        ax.axhline(n / BINS, color="0.5", lw=0.8)
        ax.hist(r, bins=edges, color="tab:blue", edgecolor="white", zorder=2)
        ax.set_title(f"{name}\nchi2 p={tests[name]['chi2_p']:.2f}", fontsize=7)
        ax.set_xticks([])
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(
        f"SBC rank histograms ({len(next(iter(ranks.values())))} data sets, {keep} draws; "
        "grey: 99% band for uniform ranks)",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="simulated data sets to fit")
    parser.add_argument("--draws", type=int, default=1000, help="posterior draws per chain")
    parser.add_argument("--tune", type=int, default=1000, help="tuning steps per chain")
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--keep", type=int, default=200, help="thinned draws used for ranks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--priors", default="default")
    parser.add_argument("--max-attempts", type=int, default=0, help="default: 3 x n")
    home = Path(os.environ.get("FORECAST_HOME", "var"))
    parser.add_argument("--out", type=Path, default=home / "calibration" / "sbc.json")
    parser.add_argument("--png", type=Path, default=Path("docs") / "calibration-ranks.png")
    args = parser.parse_args()

    import nutpie

    from forecast.fit.sampling import prepare
    from forecast.model.equations import Axes
    from forecast.model.graph import TimelineModel, model_data, parameter_names
    from forecast.model.simulate import PROJECTION_ONLY, simulate

    started = time.perf_counter()
    prior_set, obs, _ = prepare(args.priors)
    axes = Axes.from_settings(prior_set.settings, obs.data_end)
    names = parameter_names()
    compiled = nutpie.compile_pymc_model(TimelineModel(obs, prior_set).build(), var_names=names)
    print(f"compiled in {time.perf_counter() - started:.1f} s", flush=True)

    rng = np.random.default_rng(args.seed)
    ranks: dict[str, list[int]] = {n: [] for n in names}
    skipped_nonfinite, failed, divergences, fit_seconds = 0, 0, [], []
    fits: list[dict[str, Any]] = []
    attempts, max_attempts = 0, args.max_attempts or 3 * args.n
    while len(fit_seconds) < args.n and attempts < max_attempts:
        attempts += 1
        truth = {n: float(prior_set[n].sample(rng, None)) for n in names}
        with np.errstate(all="ignore"):
            sim = simulate(obs, truth, axes, rng)
        if not finite_blocks(sim):
            skipped_nonfinite += 1
            print(f"  attempt {attempts}: simulated data not finite, skipped", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            tree = nutpie.sample(
                compiled.with_data(**model_data(sim)),
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                cores=2,
                seed=int(rng.integers(2**31)),
                progress_bar=False,
                save_warmup=False,
            )
        except Exception as exc:  # a fit that cannot start is counted, not fatal
            failed += 1
            print(f"  attempt {attempts}: fit failed ({type(exc).__name__}: {exc})", flush=True)
            continue
        seconds = time.perf_counter() - t0
        stats = tree["sample_stats"]
        div = int(np.asarray(stats["diverging"].values).sum())
        fit_ranks = ranks_of(tree["posterior"], truth, names, args.keep)
        for name, r in fit_ranks.items():
            ranks[name].append(r)
        divergences.append(div)
        fit_seconds.append(seconds)
        fits.append(
            {
                "attempt": attempts,
                "seconds": round(seconds, 2),
                "divergences": div,
                "max_rhat": round(max_rhat(tree["posterior"]), 4),
                "truth": truth,
                "ranks": fit_ranks,
            }
        )
        done = len(fit_seconds)
        elapsed = time.perf_counter() - started
        print(
            f"[{done}/{args.n}] fit {seconds:.1f} s, {div} divergences, "
            f"elapsed {elapsed:.0f} s, eta {elapsed / done * (args.n - done):.0f} s",
            flush=True,
        )

    keep = (args.keep // args.chains) * args.chains
    tests = {n: uniformity(np.asarray(r), keep) for n, r in ranks.items() if r}
    informed = [n for n in names if n not in PROJECTION_ONLY]
    result = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "png")},
        "data_sets": len(fit_seconds),
        "attempts": attempts,
        "skipped_nonfinite": skipped_nonfinite,
        "failed_fits": failed,
        "fits_with_divergences": int(sum(d > 0 for d in divergences)),
        "divergences_total": int(sum(divergences)),
        "median_fit_seconds": round(float(np.median(fit_seconds)), 2) if fit_seconds else None,
        "total_seconds": round(time.perf_counter() - started, 1),
        "keep": keep,
        "informed": informed,
        "projection_only": list(PROJECTION_ONLY),
        "tests": tests,
        "chi2_p_below_0.01": sorted(n for n in informed if tests[n]["chi2_p"] < 0.01),
        "ranks": ranks,
        "fits": fits,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    if fit_seconds:
        plot({n: ranks[n] for n in informed}, keep, tests, args.png)
    print(f"{'parameter':32}{'chi2 p':>8}{'KS p':>8}{'mean rank':>11}")
    for n in informed:
        t = tests[n]
        print(f"{n:32}{t['chi2_p']:8.3f}{t['ks_p']:8.3f}{t['mean_rank_share']:11.3f}")
    print(
        f"{len(fit_seconds)} data sets in {result['total_seconds']:.0f} s "
        f"(median fit {result['median_fit_seconds']} s); skipped {skipped_nonfinite} with "
        f"non-finite data, {failed} failed fits; {result['fits_with_divergences']} fits had "
        f"divergences; chi-square p < 0.01: {result['chi2_p_below_0.01'] or 'none'}"
    )
    print(f"ranks: {args.out}; histogram: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
