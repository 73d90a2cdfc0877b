"""The generated backtest block of docs/validation.md: what the generator makes from a sweep's
table and scores, the rewrite between the markers, and the published block's consistency."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forecast.sweeps import docs
from forecast.sweeps.engine import run_sweep
from forecast.sweeps.grid import SweepSpec
from forecast.sweeps.index import SweepStore
from forecast.sweeps.scores import BASELINE_NAMES, MODEL, point_dict, score_dict
from forecast.validation import scoring
from forecast.validation.points import Point

ROOT = Path(__file__).resolve().parents[2]

# observed values against a N(0, 1) predictive: inside 50/80/95, 80/95 only, 95 only, none
ALL, WIDE, WIDEST, NONE = 0.1, 1.0, 1.5, 3.0


def scored(quantity: str, country: str, x: float, baselines: dict[str, float] | None) -> dict:
    """One held-out point: the model's N(0, 1) predictive and each baseline's N(mean, 1)."""
    suite = "v1.1" if quantity == "frontier_horizon_minutes" else None
    p = Point(quantity, country, date(2025, 3, 1), 2025.16, x, 0.0, "m", "m", suite)
    row: dict[str, Any] = {"point": point_dict(p), MODEL: score_dict(scoring.score_normal(0, 1, x))}
    for name in BASELINE_NAMES:
        mean = None if baselines is None else baselines.get(name)
        row[name] = None if mean is None else score_dict(scoring.score_normal(mean, 1, x))
    return row


def fit_row(key: str, cutoff: str | None, passed: bool, seed: int = 1) -> dict[str, Any]:
    return {
        "key": key,
        "run_id": f"sweep-{key}",
        "priors": "default",
        "structure": "global_efficiency",
        "cutoff": cutoff,
        "data": "observed",
        "seed": seed,
        "sampler": "default",
        "draws": 1000,
        "chains": 4,
        "gate_pass": passed,
        "gate_failures": None if passed else "205 divergent transitions",
        "max_rhat": 1.004 if passed else 1.010,
        "divergences": 0 if passed else 205,
    }


def small_sweep() -> dict[str, Any]:
    """Three cutoff fits, the middle one failed: a table built by hand, no fitting."""
    far = dict.fromkeys(BASELINE_NAMES, 2.5)  # every baseline far from the truth
    near = {"loglinear": 0.0, "recent_t": None, "rw_drift": 1.5}
    scores = {
        "a": {
            "points": [
                scored("frontier_eci", "US", ALL, far),
                scored("frontier_eci", "US", WIDE, far),
                scored("frontier_eci", "CN", WIDEST, None),
                scored("frontier_horizon_minutes", "US", NONE, near),
            ]
        },
        "b": {"points": [scored("frontier_eci", "US", NONE, far)] * 5},
        "c": {
            "points": [
                scored("compute_stock_h100e", "US", ALL, near),
                scored("compute_stock_h100e", "US", WIDE, near),
            ]
        },
    }
    rows = [
        fit_row("a", "2022-12-31", True),
        fit_row("b", "2023-12-31", False),
        fit_row("c", "2024-12-31", True),
    ]
    spec = {
        "priors": ["default"],
        "cutoffs": ["2022-12-31", "2023-12-31", "2024-12-31"],
        "structures": ["global_efficiency"],
        "seeds": 1,
        "simulated": 0,
        "quick": False,
    }
    return {
        "sweep_id": "sw-0123456789abcdef",
        "finished": "2026-12-02",
        "state": "complete",
        "spec": spec,
        "rows": rows,
        "scores": scores,
        "model": "ai-timelines 1.1",
        "published": None,
    }


def table_rows(block: str, title: str) -> list[list[str]]:
    """The cells of the markdown table under the heading ``title`` (header row dropped)."""
    part = block.split(f"#### {title}", 1)[1].split("####", 1)[0]
    lines = [ln for ln in part.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]


def test_the_block_is_made_from_the_table_with_failed_fits_apart():
    block = docs.render(small_sweep())
    assert block.startswith(docs.START) and block.endswith(docs.END)
    for table in block.split("####")[1:]:  # every table has as many rules as header cells
        head, rule = [ln for ln in table.splitlines() if ln.startswith("|")][:2] or ["", ""]
        assert head.count("|") == rule.count("|")
    assert "sw-0123456789abcdef" in block.splitlines()[0]
    assert "forecast sweep --priors default --cutoff 2022-12-31,2023-12-31,2024-12-31\n" in block
    assert "model ai-timelines 1.1" in block and "last written 2026-12-02" in block
    assert "3 fits, 2 passed the diagnostics gate, 1 failed" in block

    cov = {r[2]: r for r in table_rows(block, "Coverage of the model's central intervals")}
    # 2022: 4 points, inside 50% 1, 80% 2, 95% 3
    assert cov["2022-12-31"][3:6] == ["1", "0", "4"]
    assert [c.split(" ")[0] for c in cov["2022-12-31"][6:]] == ["0.25", "0.50", "0.75"]
    # the failed 2023 fit is counted as failed and its five points are pooled nowhere
    assert cov["2023-12-31"][3:6] == ["0", "1", "0"]
    assert cov["all"][3:6] == ["2", "1", "6"]
    assert [c.split(" ")[0] for c in cov["all"][6:]] == ["0.33", "0.67", "0.83"]
    lo, hi = re.match(r"0\.67 \((\d\.\d\d)-(\d\.\d\d)\)", cov["all"][7]).groups()
    assert float(lo) < 4 / 6 < float(hi)

    pairs = table_rows(block, "Mean CRPS per quantity, country and cutoff")
    assert [(r[0], r[1], r[2], r[3]) for r in pairs] == [
        ("2022-12-31", "ECI", "US", "2"),
        ("2022-12-31", "ECI", "CN", "1"),
        ("2022-12-31", "horizon", "US (v1.1)", "1"),
        ("2024-12-31", "stock", "US", "2"),
    ]
    assert all("2023-12-31" not in r for r in pairs)
    # ECI US: the model's N(0, 1) beats every baseline's N(2.5, 1): bold model, values for all
    eci_us = pairs[0]
    assert eci_us[7].startswith("**") and all(not c.startswith("**") for c in eci_us[8:])
    assert pairs[1][8:] == ["-", "-", "-"]  # no baseline for CN ECI

    summary = {(r[1], r[2]): r for r in table_rows(block, "The model against each baseline")}
    # log-linear: compared on ECI US (model better), horizon US (observed 3: the baseline at
    # 0 is the model's equal) and stock US 2024 (baseline centred on 0 too)
    assert summary[("log-linear line", "2022-12-31")][3:6] == ["2", "1", "3"]
    assert summary[("recent-trend Student-t line", "all")][3:6] == ["1", "1", "2"]
    # the random walk (at 1.5) beats the model on the horizon point (observed 3) only
    assert summary[("random walk with drift", "all")][3:6] == ["3", "2", "5"]

    failed = table_rows(block, "Fits that failed the diagnostics gate (never pooled above)")
    assert len(failed) == 1 and failed[0][2] == "2023-12-31"
    assert failed[0][5] == "205 divergent transitions" and failed[0][8] == "5"
    assert failed[0][9].startswith("0.00")
    # its five ECI US points: every baseline (at 2.5) is nearer the observed 3 than the model
    assert failed[0][10] == "loglinear 0 of 1, recent_t 0 of 1, rw_drift 0 of 1"
    assert "no all-data fit (`--cutoff none`) that passed the gate" in block


def test_the_rewrite_keeps_the_prose_and_replaces_only_the_block():
    sweep = small_sweep()
    block = docs.render(sweep)
    text = (
        "# Validation\n\nProse before.\n\n"
        f"{docs.START} sweep sw-old -->\n| stale | 0.99 |\n{docs.END}\n\nProse after.\n"
    )
    new = docs.replace_block(text, block)
    assert new.startswith("# Validation\n\nProse before.\n\n")
    assert new.endswith(f"{docs.END}\n\nProse after.\n")
    assert docs.current_block(new) == block
    assert "| stale |" not in new
    assert docs.replace_block(new, block) == new  # regenerating is idempotent
    with pytest.raises(docs.ForecastError, match="found 0"):
        docs.replace_block("# no markers\n", block)
    with pytest.raises(docs.ForecastError, match="found 2"):
        docs.replace_block(text + text, block)


def test_the_command_writes_and_checks_a_document_from_a_stored_sweep(fake_fits, tmp_path):
    home = tmp_path / "sweeps"
    spec = SweepSpec(
        priors=("default",), cutoffs=(date(2022, 12, 31), date(2023, 12, 31)), quick=True
    )
    res = run_sweep(spec, SweepStore(home), scheduler="inline", log=lambda _: None, progress=False)
    doc = tmp_path / "validation.md"
    doc.write_text(f"Intro.\n\n{docs.START} sweep none -->\n{docs.END}\n")
    args = [res["sweep_id"], "--doc", str(doc), "--home", str(home)]
    assert docs.main([*args, "--check"]) == 1  # the placeholder block is stale
    assert docs.main(args) == 0
    text = doc.read_text()
    assert text.startswith("Intro.\n\n") and res["sweep_id"] in text
    assert "forecast sweep --priors default --cutoff 2022-12-31,2023-12-31 --quick" in text
    assert "sweep-" in table_rows(text, "Fits that failed the diagnostics gate")[0][4]
    assert docs.main([*args, "--check"]) == 0
    doc.write_text(text.replace("passed the diagnostics gate", "passed the gate", 1))
    assert docs.main([*args, "--check"]) == 1
    assert docs.main(["sw-ffffffffffffffff", "--doc", str(doc), "--home", str(home)]) == 2


# -- the published document --------------------------------------------------------------------
def published_block() -> str:
    return docs.current_block((ROOT / "docs" / "validation.md").read_text())


def test_the_published_block_names_its_sweep_and_the_commands():
    block = published_block()
    sweep_id = re.search(r"sweep (sw-[0-9a-f]{16});", block.splitlines()[0]).group(1)
    assert f"python -m forecast.sweeps.docs {sweep_id}\n" in block
    assert re.search(r"^forecast sweep --priors \S+ --cutoff \S+", block, re.MULTILINE)
    assert not re.search(r"^forecast sweep .*--quick", block, re.MULTILINE)  # default sampler


def test_the_published_block_is_consistent():
    block = published_block()
    total, passed, failed = map(
        int,
        re.search(r"(\d+) fits, (\d+) passed the diagnostics gate, (\d+) failed", block).groups(),
    )
    assert passed + failed == total
    failed_rows = table_rows(block, "Fits that failed the diagnostics gate (never pooled above)")
    assert len(failed_rows) == failed or (failed == 0 and failed_rows == [])

    coverage = table_rows(block, "Coverage of the model's central intervals")
    by_cutoff = {r[2]: r for r in coverage if r[2] != "all"}
    assert sum(int(r[3]) + int(r[4]) for r in by_cutoff.values()) <= total
    for r in coverage:
        n = int(r[5])
        if n == 0:  # every fit at this cutoff failed the gate
            assert r[6:9] == ["-", "-", "-"] and int(r[3]) == 0
            continue
        shares = []
        for cell in r[6:9]:
            share, lo, hi = map(float, re.match(r"(\S+) \((\S+)-(\S+)\)", cell).groups())
            assert 0 <= lo <= share <= hi <= 1
            assert abs(share * n - round(share * n)) < 0.5 + 1e-9
            shares.append(share)
        assert shares == sorted(shares)  # wider intervals cover at least as many points
    if "all" in {r[2] for r in coverage}:
        all_row = next(r for r in coverage if r[2] == "all")
        assert int(all_row[5]) == sum(int(r[5]) for r in by_cutoff.values())
        assert int(all_row[3]) == sum(int(r[3]) for r in by_cutoff.values())

    part = block.split("#### Mean CRPS per quantity, country and cutoff", 1)[1]
    head, rule = [ln for ln in part.splitlines() if ln.startswith("|")][:2]
    assert head.count("|") == rule.count("|")  # a well-formed table
    pairs = table_rows(block, "Mean CRPS per quantity, country and cutoff")
    for cutoff, r in by_cutoff.items():
        assert sum(int(p[3]) for p in pairs if p[0] == cutoff) == int(r[5])
    for p in pairs:
        assert all(c == "-" or 0 <= float(c) <= 1 for c in p[4:7])
        crps = [float(c.strip("*")) for c in p[7:] if c != "-"]
        bold = [float(c.strip("*")) for c in p[7:] if c.startswith("**")]
        assert all(v >= 0 for v in crps) and bold and set(bold) == {min(crps)}


def test_published_checks_are_rendered_with_their_intervals():
    sweep = small_sweep()
    sweep["published"] = {
        "run_id": "sweep-abc",
        "priors": "default",
        "model": {
            "window": ["2023-01-01", "2026-01-01"],
            "median_days": 127.1,
            "interval95_days": [110.7, 149.6],
            "eci_per_year_median": 15.0,
        },
        "direct_fit": {
            "ols": {"median_days": 130.7, "interval95_days": [105.2, 172.5]},
            "wls": {"median_days": 128.9, "interval95_days": [107.9, 160.1]},
        },
        "deepseek_v3": {"date": "2024-12-26"},
    }
    for quantity in ("frontier_eci", "frontier_training_flop"):
        sweep["published"]["deepseek_v3"][quantity] = [
            {"country": "US", "percentile": 0.5, "mcse": 0.01, "trend_median": 141.8},
            {"country": "CN", "percentile": 28.7, "mcse": 0.16, "trend_median": 135.0},
        ]
    rows = table_rows(docs.render(sweep), "Published results")
    assert rows[0][1].startswith("model **127.1 days** (95% interval 110.7-149.6)")
    assert "130.7 (95% 105.2-172.5, OLS)" in rows[0][1]
    assert "against CN: 28.7 (Monte Carlo s.e. 0.16; trend 135)" in rows[1][1]
    assert len(rows) == 3
