"""Fitting, the diagnostics gate and the stored run's metadata (one quick fit per session)."""

from __future__ import annotations

import json

import numpy as np

from forecast.fit.sampling import QUICK, Gate, Inputs, finalize, prepare
from forecast.model.graph import parameter_names


def test_quick_fit_stores_a_current_run_with_metadata(quick_run):
    store, result = quick_run
    assert store.current_id() == result.run_id
    meta = store.meta(result.run_id)
    for key in (
        "prior_set",
        "data_hash",
        "libraries",
        "sampler",
        "diagnostics",
        "created",
        "settings",
        "wall_seconds",
    ):
        assert key in meta
    assert meta["prior_set"]["name"] == "default"
    assert len(meta["prior_set"]["hash"]) == 64
    assert meta["sampler"]["sampler"] == "nutpie"
    assert set(meta["diagnostics"]["parameters"]) == set(parameter_names())
    summary = result.summary()
    json.dumps(summary, allow_nan=False)
    assert {"run_id", "status", "diagnostics", "wall_seconds", "prior_set", "data_hash"} <= set(
        summary
    )


def test_loaded_run_has_every_parameter_flattened(quick_run):
    store, result = quick_run
    run = store.load(result.run_id)
    structures = len(result.meta["structures"])
    per = result.meta["sampler"]["draws"] * result.meta["sampler"]["chains"]
    n = per * structures  # every structure's chains, one after another
    assert set(parameter_names()) <= set(run.draws)
    assert all(v.shape == (n,) for v in run.draws.values())
    assert run.chains == result.meta["sampler"]["chains"] * structures
    assert np.bincount(run.structure).tolist() == [per] * structures
    mixed = run.mixture()
    assert mixed.chains == result.meta["sampler"]["chains"]
    assert all(v.shape == (per,) for v in mixed.draws.values())


def test_gate_failure_is_stored_as_failed_and_never_current(quick_run):
    store, result = quick_run
    prior_set, obs, data_hash = prepare("default")
    strict = Gate(max_rhat=1.0, min_ess_bulk=1e9, max_divergences=0)
    failed = finalize(
        result.tree,
        Inputs(prior_set, obs, data_hash),
        QUICK,
        timing=(0.0, 0.0, 0.0),
        store=store,
        gate=strict,
        say=lambda _: None,
    )
    assert failed.status == "failed"
    assert any("bulk ESS" in r for r in failed.meta["gate_failures"])
    assert store.current_id() == result.run_id
    rows = {r["id"]: r for r in store.list()}
    assert rows[failed.run_id]["status"] == "failed"
    assert not rows[failed.run_id]["current"]


def test_gate_checks_each_rule():
    gate = Gate()
    ok = {"divergences": 0, "max_rhat": 1.005, "min_ess_bulk": 800.0}
    assert gate.check(ok) == []
    assert gate.check(ok | {"divergences": 3}) == ["3 divergent transitions"]
    assert gate.check(ok | {"max_rhat": 1.02}) == ["max R-hat 1.0200 > 1.01"]
    assert gate.check(ok | {"min_ess_bulk": 399.0}) == ["min bulk ESS 399 < 400"]
    assert gate.check(ok | {"max_rhat": float("nan")}) == ["max R-hat nan > 1.01"]
