"""The grid, content addressing, the prior-vintage flags, the new baselines and placement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from scipy import stats

from forecast.core.errors import UsageError
from forecast.fit.sampling import QUICK, QUICK_GATE, Gate
from forecast.priors.priorset import load_prior_set
from forecast.sweeps.engine import affinity
from forecast.sweeps.grid import (
    FitPoint,
    SweepSpec,
    check_structures,
    expand,
    fit_key,
    sweep_id,
)
from forecast.sweeps.vintage import cited_dates, later_knowledge
from forecast.sweeps.worker import FitTask
from forecast.validation.baselines import (
    crps_student_t,
    fit_line,
    fit_recent_t,
    fit_rw_drift,
)
from forecast.validation.scoring import crps_samples

C22, C23 = date(2022, 12, 31), date(2023, 12, 31)


def test_expand_is_the_full_product_in_a_stable_order():
    spec = SweepSpec(
        priors=("default", "skeptical"), cutoffs=(C22, C23, None), seeds=2, simulated=1
    )
    points = expand(spec, base_seed=100)
    assert len(points) == 2 * 3 * 1 * 2 * 2
    assert points[0] == FitPoint("default", C22, "global_efficiency", 100, "observed")
    assert points[1].seed == 101 and points[2].data == "sim0"
    assert {p.priors for p in points} == {"default", "skeptical"}
    assert points == expand(spec, base_seed=100)


def test_structures_are_validated():
    assert check_structures(["global_efficiency", "global_efficiency"]) == ("global_efficiency",)
    with pytest.raises(UsageError, match="unknown structure 'per_country'"):
        check_structures(["per_country"])
    with pytest.raises(UsageError):
        expand(SweepSpec(structures=("nope",)), 1)
    with pytest.raises(UsageError, match="no data set"):
        expand(SweepSpec(observed=False, simulated=0), 1)


def test_fit_key_addresses_content():
    p = FitPoint("default", C22, "global_efficiency", 7)
    key = fit_key(p, "ph", "dh", QUICK, QUICK_GATE)
    assert key == fit_key(p, "ph", "dh", QUICK, QUICK_GATE)
    # threads do not change the draws, so they do not change the key
    assert key == fit_key(p, "ph", "dh", replace(QUICK, cores=1), QUICK_GATE)
    others = {
        fit_key(replace(p, seed=8), "ph", "dh", QUICK, QUICK_GATE),
        fit_key(replace(p, cutoff=C23), "ph", "dh", QUICK, QUICK_GATE),
        fit_key(replace(p, data="sim0"), "ph", "dh", QUICK, QUICK_GATE),
        fit_key(p, "ph2", "dh", QUICK, QUICK_GATE),
        fit_key(p, "ph", "dh2", QUICK, QUICK_GATE),
        fit_key(p, "ph", "dh", replace(QUICK, draws=301), QUICK_GATE),
        fit_key(p, "ph", "dh", QUICK, Gate()),
    }
    assert key not in others and len(others) == 7


def test_sweep_id_ignores_order():
    assert sweep_id(["b", "a"]) == sweep_id(["a", "b"]) != sweep_id(["a"])
    assert sweep_id(["a"]).startswith("sw-")


def test_cited_dates_skip_projections_beyond_the_vintage():
    text = "Epoch 2024-2025; BIS (2025-06-12); capex 2025-2030; Ho et al. 2024-10; year 2031"
    found = cited_dates(text)
    assert max(found) == date(2025, 6, 12)
    assert date(2030, 1, 1) not in found and date(2024, 10, 1) in found


def test_later_knowledge_flags_priors_per_cutoff():
    priors = load_prior_set("default")
    early = later_knowledge(priors, date(2022, 12, 31))
    late = later_knowledge(priors, date(2025, 12, 31))
    assert not early["clean"] and early["after_cutoff"]
    assert "cite sources dated after 2022-12-31" in early["note"]
    assert late["clean"] and not late["after_cutoff"]
    assert set(early["after_cutoff"]) >= set(later_knowledge(priors, C23)["after_cutoff"])
    assert later_knowledge(priors, None)["clean"]


def test_student_t_crps_matches_samples():
    draws = stats.t(6, loc=1.0, scale=0.5).rvs(400_000, random_state=3)
    assert crps_student_t(1.0, 0.5, 6, 1.8) == pytest.approx(crps_samples(draws, 1.8), rel=0.01)


def test_recent_t_uses_the_last_years_and_is_heavier_tailed():
    t = np.arange(2015.0, 2024.0, 0.5)
    y = np.where(t < 2020, 1.0 * (t - 2015), 5 + 0.2 * (t - 2020))  # slope change in 2020
    recent = fit_recent_t(t, y)
    assert recent is not None and recent.line.b == pytest.approx(0.2)
    assert recent.df == recent.line.n - 2
    assert fit_line(t, y).b > 0.5
    assert fit_recent_t(t[:3], y[:3]) is None
    s = recent.score(2024.0, 5.8)
    assert s.median == pytest.approx(5.8) and s.crps >= 0


def test_random_walk_with_drift_by_hand():
    t = np.array([2020.0, 2021.0, 2021.0, 2022.0, 2023.0])
    y = np.array([1.0, 2.0, 4.0, 4.0, 5.0])  # same-date values are averaged: 1, 3, 4, 5
    rw = fit_rw_drift(t, y)
    assert rw.y_last == 5.0 and rw.drift == pytest.approx(4 / 3)
    incr = np.array([2.0, 1.0, 1.0]) - 4 / 3
    assert rw.var_rate == pytest.approx(np.sum(incr**2) / 2)
    mean, sd = rw.predict(2025.0)
    assert mean == pytest.approx(5 + 2 * 4 / 3)
    assert sd == pytest.approx(np.sqrt(rw.var_rate * 2 + rw.var_rate / 3 * 4))
    assert fit_rw_drift([2020.0, 2020.0, 2021.0], [1.0, 2.0, 3.0]) is None


def _task(priors: str, n: int) -> FitTask:
    return FitTask(
        f"{priors}{n}", FitPoint(priors, None, "global_efficiency", n), QUICK, QUICK_GATE
    )


def test_affinity_gives_each_worker_few_models():
    todo = [_task("a", i) for i in range(4)] + [_task("b", i) for i in range(4)]
    place = affinity(todo, ["w1", "w2"])
    assert {place[t.key][0] for t in todo if t.point.priors == "a"} == {"w1"}
    assert {place[t.key][0] for t in todo if t.point.priors == "b"} == {"w2"}
    # one model with few fits stays on one worker: a second compile would cost more than it saves
    one_model = affinity(todo[:4], ["w1", "w2"])
    assert sorted(w for ws in one_model.values() for w in ws) == ["w1"] * 4
    assert affinity(todo, []) == {}


def test_a_worker_compiles_each_model_once(monkeypatch):
    import types

    from forecast.sweeps import worker

    compiled_models = []

    class Compiled:
        pass

    def compile_nutpie(model):
        compiled_models.append(model)
        return Compiled(), 1.5, {}

    monkeypatch.setattr("forecast.fit.sampling.compile_nutpie", compile_nutpie)
    monkeypatch.setattr("forecast.fit.sampling.build_model", lambda obs, ps: ("model", ps.shape))
    monkeypatch.setattr("forecast.fit.sampling._graph_shape", lambda ps: ps.shape)
    monkeypatch.setattr(
        "forecast.fit.sampling.swap_data", lambda c, updates: ("swapped", c, tuple(sorted(updates)))
    )
    monkeypatch.setattr("forecast.model.graph.model_data", lambda obs, structure: {"x": obs})
    monkeypatch.setattr("forecast.model.graph.prior_data", lambda ps: {"p": ps.hash})
    worker.reset_cache()
    # two prior sets of the same families and settings share one compiled graph
    a = types.SimpleNamespace(hash="a", shape="families-1")
    a2 = types.SimpleNamespace(hash="a2", shape="families-1")
    b = types.SimpleNamespace(hash="b", shape="families-2")
    first = worker.compiled_for(a, "global_efficiency", 1)
    second = worker.compiled_for(a2, "global_efficiency", 2)
    assert first[2] is False and second[2] is True and second[1] == 0.0 and first[1] == 1.5
    assert first[0][1] is second[0][1]  # the same compiled model, new data and priors swapped in
    assert first[0][2] == ("p", "x")
    worker.compiled_for(b, "global_efficiency", 3)
    assert len(compiled_models) == 2 and worker.STATS["compiles"] == 2
    # every structure is the same graph with other switches: no new compile
    assert worker.compiled_for(b, "diffusion", 4)[2] is True and worker.STATS["compiles"] == 2
    worker.reset_cache()
