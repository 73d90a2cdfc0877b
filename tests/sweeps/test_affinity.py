"""Placement of a sweep's fits on workers: a model (one compiled model) stays on one worker
unless its fits there would take longer than compiling it again elsewhere."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

from forecast.fit.sampling import QUICK, QUICK_GATE
from forecast.sweeps.engine import (
    COMPILE_SECONDS,
    FIT_SECONDS,
    Costs,
    affinity,
    measured_costs,
    placement_note,
    sweep_costs,
    workers_for,
)
from forecast.sweeps.grid import FitPoint
from forecast.sweeps.worker import FitTask

W = ["w1", "w2"]


def _tasks(priors: str, n: int, structure: str = "global_efficiency") -> list[FitTask]:
    return [
        FitTask(
            f"{priors}-{structure}-{i}", FitPoint(priors, None, structure, i), QUICK, QUICK_GATE
        )
        for i in range(n)
    ]


def _per_worker(place: dict[str, list[str]], tasks: list[FitTask]) -> Counter:
    return Counter(place[t.key][0] for t in tasks)


def _threshold(costs: Costs) -> int:
    """The most fits of one model that one worker still takes alone under ``costs``."""
    return int(costs.compile_seconds // costs.fit_seconds)


def test_a_model_splits_only_when_its_fits_outlast_a_compile():
    costs = Costs()
    n = _threshold(costs)
    assert n * FIT_SECONDS <= COMPILE_SECONDS < (n + 1) * FIT_SECONDS
    alone = _tasks("a", n)
    assert _per_worker(affinity(alone, W), alone) == Counter({"w1": n})
    split = _tasks("a", n + 1)
    halves = sorted(_per_worker(affinity(split, W), split).values())
    assert halves == [(n + 1) // 2, n + 1 - (n + 1) // 2]


def test_the_rule_follows_the_costs_it_is_given():
    tasks = _tasks("a", 4)
    cheap_compile = Costs(compile_seconds=30.0, fit_seconds=26.0)
    assert _per_worker(affinity(tasks, W, cheap_compile), tasks) == Counter({"w1": 2, "w2": 2})
    dear_compile = Costs(compile_seconds=500.0, fit_seconds=26.0)
    assert _per_worker(affinity(tasks, W, dear_compile), tasks) == Counter({"w1": 4})
    # one worker per compile time of fitting, never more than fits or workers
    assert workers_for(10, Costs(100.0, 25.0), 8) == 3
    assert workers_for(2, Costs(1.0, 25.0), 8) == 2
    assert workers_for(10, Costs(1.0, 25.0), 2) == 2
    assert workers_for(3, Costs(0.0, 25.0), 8) == 3
    assert workers_for(0, Costs(), 2) == 0


def test_busy_workers_do_not_share_models():
    # two models, each large enough to split on idle workers: each keeps its own worker
    a, b = _tasks("a", 40), _tasks("b", 40)
    place = affinity(a + b, W)
    assert len(_per_worker(place, a)) == 1 and len(_per_worker(place, b)) == 1
    assert set(_per_worker(place, a)) != set(_per_worker(place, b))


def test_models_are_balanced_by_their_estimated_work():
    # the largest model on one worker, the two small ones together on the other
    big, small1, small2 = _tasks("a", 6), _tasks("b", 2), _tasks("c", 2)
    place = affinity(big + small1 + small2, W)
    (big_worker,) = _per_worker(place, big)
    (w1,), (w2,) = _per_worker(place, small1), _per_worker(place, small2)
    assert w1 == w2 != big_worker
    # more workers than models: each model on its own worker, the spare one idle
    place = affinity(big + small1, ["w1", "w2", "w3"])
    assert len(set(_per_worker(place, big)) | set(_per_worker(place, small1))) == 2


def test_structures_are_models_too():
    a, b = _tasks("a", 3), _tasks("a", 3, structure="per_country_efficiency")
    place = affinity(a + b, W)
    assert _per_worker(place, a).keys() != _per_worker(place, b).keys()


def _row(compile_s: float, total_s: float, cached: bool, draws: int = 500) -> dict:
    return {
        "draws": draws,
        "chains": 2,
        "compile_seconds": compile_s,
        "total_seconds": total_s,
        "compiled_cached": cached,
    }


def test_costs_are_measured_from_stored_fits():
    rows = [
        _row(400.0, 430.0, False),
        _row(440.0, 470.0, False),
        _row(0.0, 20.0, True),
        _row(0.0, 22.0, True),
        _row(9999.0, 99999.0, False, draws=1000),  # other sampler settings: ignored
    ]
    costs = measured_costs(rows, draws=500, chains=2)
    assert costs.compile_seconds == pytest.approx(420.0)
    assert costs.fit_seconds == pytest.approx(26.0)  # median of 30, 30, 20, 22
    assert costs.source.startswith("measured")
    assert measured_costs([], 500, 2) == Costs()
    only_cached = measured_costs([_row(0.0, 20.0, True)], 500, 2)
    assert only_cached.compile_seconds == COMPILE_SECONDS and only_cached.fit_seconds == 20.0


def test_sweep_costs_read_the_sweep_store():
    rows = {"k1": _row(100.0, 130.0, False), "k2": _row(0.0, 30.0, True)}
    store = SimpleNamespace(
        stored_keys=lambda: set(rows), rows=lambda keys: [rows[k] for k in keys]
    )
    costs = sweep_costs(store, SimpleNamespace(draws=500, chains=2))
    assert (costs.compile_seconds, costs.fit_seconds) == (100.0, 30.0)
    # measured costs change the placement: a cheap compile makes four fits worth splitting
    tasks = _tasks("a", 4)
    assert len(_per_worker(affinity(tasks, W, costs), tasks)) == 2


def test_the_placement_is_reported():
    tasks = _tasks("a", 4) + _tasks("b", 2)
    note = placement_note(tasks, affinity(tasks, W), Costs())
    assert "a/global_efficiency: 4 fits on 1" in note and "b/global_efficiency: 2 fits on 1" in note
    assert "defaults" in note and f"compile {COMPILE_SECONDS:.0f} s" in note
