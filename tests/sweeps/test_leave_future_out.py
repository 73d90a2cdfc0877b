"""Leave-future-out weights of the structures from a backtest's held-out log scores."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.sweeps.backtest import leave_future_out

pytestmark = pytest.mark.fast


def _scores(cutoff: str, when: list[str], logs: dict[str, list[float]]) -> dict:
    def point(i: int, value: float) -> dict:
        return {"point": {"when": when[i]}, "model": {"log_score": value}}

    names = list(logs)
    mix = [float(np.log(np.mean(np.exp([logs[n][i] for n in names])))) for i in range(len(when))]
    return {
        "points": [point(i, mix[i]) for i in range(len(when))],
        "by_structure": {
            n: {"points": [point(i, v) for i, v in enumerate(vals)]} for n, vals in logs.items()
        },
    }


def test_a_structure_that_predicts_the_future_better_gets_the_weight():
    rng = np.random.default_rng(1)
    good = list(rng.normal(-1.0, 0.2, 40))
    bad = [v - 1.0 for v in good]
    early = _scores("2022-12-31", ["2023-06-30"] * 20 + ["2025-06-30"] * 20, {"a": good, "b": bad})
    late = _scores("2024-12-31", ["2025-06-30"] * 40, {"a": good, "b": bad})
    passed = [{"cutoff": "2022-12-31"}, {"cutoff": "2024-12-31"}]
    out = leave_future_out(passed, {"2022-12-31": early, "2024-12-31": late})
    assert out["points"] == 80
    assert out["weights"]["a"] > 0.95 and sum(out["weights"].values()) == pytest.approx(1.0, 1e-3)
    first, second = out["mean_log_score_by_cutoff"]
    assert first["honest_weights"] is None  # nothing before the first cutoff
    # the second cutoff's honest weights use only the first cutoff's points dated before it
    assert second["honest_weights"]["a"] > 0.95
    assert second["mixture_lfo_weights"] == pytest.approx(second["a"], abs=0.05)
    assert second["a"] > second["b"]


def test_without_structure_scores_there_is_nothing_to_weigh():
    plain = {"points": [{"point": {"when": "2023-01-01"}, "model": {"log_score": -1.0}}]}
    assert leave_future_out([{"cutoff": "2022-12-31"}], {"2022-12-31": plain}) is None
