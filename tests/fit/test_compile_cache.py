"""The disk-cached compiled model: equal to a fresh PyMC compile, data and priors swappable.

The compile cache (``forecast.fit.compile_cache``) replaces nutpie's generated wrapper with a
module of its own and leans on nutpie's private ``_make_functions`` and record layout: the
equality test is what guards a nutpie or numba upgrade. It compiles the model once into the
user's compile cache (tens of seconds when it is empty, a few seconds when warm), then loads it
again from disk and compares log density and gradient with PyMC's own compile on random points
of the unconstrained space, on the model's data, on other data (a cutoff) and other priors.
"""

from __future__ import annotations

import ast
import io
import json
import os
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from forecast.core.definitions import parameter_names
from forecast.fit import compile_cache
from forecast.fit.sampling import (
    Progress,
    StderrProgress,
    _SamplingProgress,
    build_model,
    prepare,
    swap_data,
)
from forecast.model.graph import TimelineModel, model_data, prior_data

TOL = 1e-9


# ------------------------------------------------------------------------------------------------
# Fast: no compile
# ------------------------------------------------------------------------------------------------


@pytest.mark.fast
def test_cache_dir_respects_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(compile_cache.CACHE_ENV, str(tmp_path / "c"))
    assert compile_cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(compile_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compile_cache.cache_dir() == tmp_path / "ai-timelines-forecast" / "models"


@pytest.mark.fast
def test_generated_module_is_valid_python_without_closures() -> None:
    shared = [
        {"key": "d0", "name": "stock_y", "ndim": 1, "dtype": "<f8"},
        {"key": "d1", "name": "stock_country", "ndim": 1, "dtype": "<i4"},
        {"key": "d2", "name": "data_end", "ndim": 0, "dtype": "<f8"},
    ]
    descr = [("shared", [("data", [("d0", "<u8")])])]
    src = compile_cache.module_source("abc", 3, 5, descr, shared, ["d0", "d1", "d2"], ["d2"])
    tree = ast.parse(src)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert functions == {"logp", "expand", "_logp_call", "_expand_call"}
    assert "shared = (a_d0, a_d1, a_d2,)" in src and "LOGP_INNER(x, *shared)" in src
    assert "EXPAND_INNER(x, *shared)" in src
    many = [{"key": f"d{i}", "name": f"n{i}", "ndim": 1, "dtype": "<f8"} for i in range(45)]
    wide = compile_cache.module_source("k", 3, 5, descr, many, [m["key"] for m in many], [])
    assert "shared = (a_d0," in wide and ") + (a_d20," in wide and ") + (a_d40," in wide
    assert "EXPAND_INNER(x)" in wide
    ast.parse(wide)
    assert "np.int32" in src and "d_d2.reshape(())" in src
    assert src == compile_cache.module_source(
        "abc", 3, 5, descr, shared, ["d0", "d1", "d2"], ["d2"]
    )


@pytest.mark.fast
def test_prune_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    now = time.time()
    for i in range(5):
        entry = tmp_path / f"k{i}"
        entry.mkdir()
        (entry / compile_cache.MODULE_FILE).write_text("")
        (entry / compile_cache.META_FILE).write_text("{}")
        os.utime(entry / compile_cache.META_FILE, (now - 100 * i, now - 100 * i))
    (tmp_path / "not-an-entry").mkdir()
    deleted = compile_cache.prune(tmp_path, keep=2, protect="k4")
    assert sorted(deleted) == ["k2", "k3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k0", "k1", "k4", "not-an-entry"]


@pytest.mark.fast
def test_prior_data_names_every_prior_parameter_of_the_model() -> None:
    prior_set, obs, _ = prepare("default")
    model = build_model(obs, prior_set)
    data = {v.name: v.get_value() for v in model.data_vars}
    priors = prior_data(prior_set)
    assert priors, "prior parameters are data"
    in_model = {n for n in data if n.startswith("prior__")}
    assert in_model and in_model <= set(priors)
    assert {n.split("__")[1] for n in in_model} >= set(parameter_names())
    for name in in_model:
        assert np.asarray(priors[name]).ndim == 0
        assert float(data[name]) == float(priors[name]), name
    plain = TimelineModel(obs, prior_set).build()  # PRIORS_AS_DATA is off by default
    assert not [v.name for v in plain.data_vars if v.name.startswith("prior__")]
    skeptical = prior_data(prepare("skeptical")[0])
    assert skeptical.keys() == priors.keys()
    assert any(skeptical[n] != priors[n] for n in priors)


@pytest.mark.fast
def test_cache_key_ignores_data_and_prior_values_but_not_structure() -> None:
    prior_set, obs, _ = prepare("default")
    names = ["stock_growth_us"]
    key, shared = compile_cache.cache_key(build_model(obs, prior_set), names)
    cut = prepare("default", cutoff=date(2024, 6, 30))[1]
    assert compile_cache.cache_key(build_model(cut, prior_set), names)[0] == key
    skeptical = prepare("skeptical")[0]
    assert compile_cache.cache_key(build_model(obs, skeptical), names)[0] == key
    assert compile_cache.cache_key(build_model(obs, prior_set), names * 2)[0] != key
    assert set(model_data(obs)) | set(prior_data(prior_set)) == set(shared)


@pytest.mark.fast
def test_progress_lines_on_stderr_without_a_terminal() -> None:
    out = io.StringIO()
    show = StderrProgress(out, every=1000.0)
    show(Progress("compiling", None, None, "model"))
    show(Progress("sampling", 0.1, 30.0, "800/8000 draws"))
    show(Progress("sampling", 0.2, 25.0, "1600/8000 draws"))  # throttled
    show(Progress("done", 1.0, 0.0, "passed"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "compiling: model"
    assert lines[1].startswith("sampling: 800/8000 draws") and "ETA 30 s" in lines[1]
    assert len(lines) == 3 and lines[2].startswith("done")


@pytest.mark.fast
def test_sampling_progress_counts_draws_and_estimates_time_left() -> None:
    seen: list[Progress] = []
    callback = _SamplingProgress(seen.append, config=None)  # type: ignore[arg-type]
    callback.started -= 10.0  # ten seconds in
    chain = SimpleNamespace(started=True, tuning=False, divergences=0, total_draws=2000)
    chains = [
        SimpleNamespace(**{**vars(chain), "finished_draws": 2000}),
        SimpleNamespace(**{**vars(chain), "finished_draws": 1000, "tuning": True}),
        SimpleNamespace(**{**vars(chain), "finished_draws": 0, "started": False}),
        SimpleNamespace(**{**vars(chain), "finished_draws": 1000}),
    ]
    callback(chains)
    (p,) = seen
    assert p.stage == "sampling" and p.fraction == pytest.approx(0.5)
    assert p.eta_seconds == pytest.approx(10.0, rel=0.05)
    assert "4000/8000 draws" in p.detail and "2 of 4 chains running" in p.detail


# ------------------------------------------------------------------------------------------------
# Equality with PyMC (compiles into the user's compile cache once; a few seconds when warm)
# ------------------------------------------------------------------------------------------------


def _pymc_logp_dlogp(model, compiled):
    """PyMC's own log density and gradient at a flat unconstrained point in nutpie's order.

    Compiled fresh with PyTensor's Python implementations (quick to compile, no numba): one
    output per term of ``model.logp(sum=False)`` and its gradient, summed here (PyTensor's
    Python ``Elemwise`` takes at most 32 operands, fewer than the model's terms).
    """
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import get_mode

    names, slices, shapes = compiled.shape_info
    free = [model.rvs_to_values[v].name for v in model.free_RVs]
    assert names[: len(free)] == free
    value_vars = model.continuous_value_vars
    assert [v.name for v in value_vars] == free
    terms = [pt.sum(t) for t in model.logp(sum=False, jacobian=True)]
    grads = [
        pt.concatenate([pt.grad(t, v, disconnected_inputs="ignore").ravel() for v in value_vars])
        for t in terms
    ]
    fn = pytensor.function(
        value_vars,
        terms + grads,
        mode=get_mode("FAST_COMPILE").excluding("fusion"),
        on_unused_input="ignore",
    )

    def at(x: np.ndarray) -> tuple[float, np.ndarray]:
        out = fn(*[x[s].reshape(shape) for n, s, shape in zip(names, slices, shapes) if n in free])
        return float(np.sum(out[: len(terms)])), np.sum(out[len(terms) :], axis=0)

    return at


def _assert_equal_on_random_points(model, compiled, seed: int, n: int = 6) -> None:
    pymc_at = _pymc_logp_dlogp(model, compiled)
    rng = np.random.default_rng(seed)
    for i in range(n):
        x = compiled.initial_point_func(seed + i) + rng.normal(0.0, 0.5, compiled.n_dim)
        lp, grad = compile_cache.model_logp(compiled, x)
        lp_ref, grad_ref = pymc_at(x)
        np.testing.assert_allclose(lp, lp_ref, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(grad, grad_ref, rtol=TOL, atol=TOL)


@pytest.mark.slow  # about a minute: PyTensor's Python backend as the reference
def test_cached_model_equals_a_fresh_pymc_compile() -> None:
    prior_set, obs, _ = prepare("default")
    model = build_model(obs, prior_set)
    first, info = compile_cache.compile_model(model, parameter_names())
    # loaded again from disk: the path every later process takes
    compiled, again = compile_cache.compile_model(model, parameter_names())
    assert again.hit and again.key == info.key
    meta = json.loads((Path(again.path) / compile_cache.META_FILE).read_text())
    assert meta["key"] == info.key and meta["n_dim"] == compiled.n_dim
    _assert_equal_on_random_points(model, first, seed=1, n=2)
    _assert_equal_on_random_points(model, compiled, seed=1)

    # new data (a cutoff vintage: fewer rows, an earlier data end) swapped in
    cut = prepare("default", cutoff=date(2024, 6, 30))[1]
    swapped = compiled.with_data(**model_data(cut))
    _assert_equal_on_random_points(build_model(cut, prior_set), swapped, seed=11)

    # another prior set swapped in (prior parameters are data)
    skeptical = prepare("skeptical")[0]
    swapped = swap_data(compiled, {**model_data(obs), **prior_data(skeptical)})
    fresh_model = build_model(obs, skeptical)
    _assert_equal_on_random_points(fresh_model, swapped, seed=21)
    # and the chains start where a fit built with those priors starts them
    fresh, _ = compile_cache.compile_model(fresh_model, parameter_names())
    for seed in range(3):
        assert np.array_equal(swapped.initial_point_func(seed), fresh.initial_point_func(seed))
