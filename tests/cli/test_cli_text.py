"""The text renderings of answers (``forecast.cli.text``) and strict JSON, on hand-made answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from forecast.cli import text
from forecast.cli.output import finite_or_none

pytestmark = pytest.mark.fast


def test_finite_or_none_walks_nested_answers():
    got = finite_or_none({"a": [1.0, math.inf, np.float64("nan")], "b": (np.float32(2.5), "x")})
    assert got == {"a": [1.0, None, None], "b": [2.5, "x"]}
    json.dumps(got, allow_nan=False)


def test_text_of_a_comparison_without_a_run():
    p = {"p": 0.5, "mcse": 0.01, "by": "2030-01-01", "country": "CN"}
    compare = {
        "question": "probability",
        "scenario": "a",
        "versus": "b",
        "run_id": "r",
        "answers": {"a": p, "b": {**p, "p": 0.6}},
        "difference": {"p": {"delta": -0.1, "mcse": 0.004}},
    }
    out = text.format_compare(compare)
    assert "-0.100 ± 0.004" in out
    assert "0.500 ± 0.010" in out and "0.600 ± 0.010" in out


def test_backtest_text_tolerates_missing_numbers():
    payload = {
        "cutoffs": [
            {
                "cutoff": "2024-12-31",
                "reference": None,
                "run_id": "r",
                "status": "failed",
                "diagnostics": {"max_rhat": math.inf, "min_ess_bulk": 4.0, "divergences": 3},
                "scores": [
                    {
                        "quantity": "frontier_eci",
                        "country": "US",
                        "n": 2,
                        "model": {
                            "coverage50": 0.5,
                            "coverage80": 1.0,
                            "coverage95": 1.0,
                            "crps": 0.3,
                            "log_score": -1.2,
                        },
                        "baseline": None,
                    }
                ],
            }
        ],
        "summary": {
            "model_better_crps": 0,
            "pairs_compared": 0,
            "pairs_without_baseline": ["2024-12-31 frontier_eci US"],
            "coverage80": 1.0,
            "coverage50": 0.5,
            "coverage95": 1.0,
            "points": 2,
            "baseline_better_pairs": [],
        },
        "published": None,
        "wall_seconds": 1.0,
    }
    out = text.format_backtest(payload)
    assert "R-hat inf" in out
    assert "frontier_eci" in out and "0.300" in out


def test_race_text_names_every_country_and_pair():
    entry = {"p": 0.25, "mcse": 0.01}
    pair = {
        "p_gap_within": [{"years": 1.0, **entry}],
        "gap_quantiles": [{"q": 0.5, "years": 0.7, "side": None}],
    }
    race = {
        "scenario": "status_quo",
        "run_id": "r",
        "p_first": [{"country": c, **entry} for c in ("US", "CN", "EU")],
        "p_neither_by_horizon": entry,
        "pairs": [
            {"first": a, "second": b, **pair} for a, b in (("US", "CN"), ("US", "EU"), ("CN", "EU"))
        ],
    }
    out = text.format_race(race)
    for c in ("US", "CN", "EU"):
        assert f"P({c} first) = 0.250 ± 0.010" in out
    assert "P(no country by horizon end)" in out
    assert "gap (EU minus CN arrival, years):" in out
    assert "P(|gap EU minus US| <= 1 yr)" in out
