"""Pointwise log likelihood and log prior of a run: one value per observation (per parameter)
per draw, summing to the model's own log density at each draw, stored as float32."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from forecast.fit import loglik


@pytest.fixture(scope="module")
def fitted(quick_run):
    """The quick run's model (same prior set and data as its fit) and its run tree."""
    from forecast.fit.sampling import prepare
    from forecast.model.graph import TimelineModel

    _, result = quick_run
    prior_set, obs, _ = prepare("default")
    assert prior_set.hash == result.meta["prior_set"]["hash"]
    return TimelineModel(obs, prior_set).build(), result.tree


@pytest.fixture(scope="module")
def densities(fitted) -> loglik.LogDensities:
    model, tree = fitted
    return loglik.log_densities(model, tree)


@pytest.fixture(scope="module")
def exact(fitted) -> loglik.LogDensities:
    model, tree = fitted
    return loglik.log_densities(model, tree, dtype=np.float64)


def test_one_value_per_observation_per_draw(fitted, densities) -> None:
    model, tree = fitted
    post = tree["posterior"].to_dataset()
    ll, lp = densities.log_likelihood, densities.log_prior
    assert set(ll.data_vars) == {rv.name for rv in model.observed_RVs}
    assert {"compute_gap_obs", "eci_gap_obs"} <= set(ll.data_vars)  # the censored blocks too
    for rv in model.observed_RVs:
        values = ll[rv.name]
        n_obs = int(np.prod(rv.shape.eval()))
        assert n_obs > 0
        assert values.dims[:2] == ("chain", "draw") and values.dtype == np.float32
        assert values.shape == (post.sizes["chain"], post.sizes["draw"], n_obs)
        assert np.isfinite(values.values).all()
    assert set(lp.data_vars) == {rv.name for rv in model.free_RVs}
    for name, values in lp.data_vars.items():
        assert values.shape == (post.sizes["chain"], post.sizes["draw"]), name
        assert values.dtype == np.float32
    assert densities.nbytes == ll.nbytes + lp.nbytes
    assert densities.seconds > 0


def _transformed_point(model, post: xr.Dataset, chain: int, draw: int) -> dict[str, np.ndarray]:
    """One posterior draw as the model's value variables (log, logodds, ...) take it."""
    point = {}
    for rv in model.free_RVs:
        x = np.asarray(post[rv.name].values[chain, draw], dtype=rv.type.dtype)
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            x = transform.forward(x, *rv.owner.inputs).eval()
        point[model.rvs_to_values[rv].name] = np.asarray(x, dtype=rv.type.dtype)
    return point


def test_pointwise_sums_to_the_models_log_likelihood_and_prior(fitted, exact, densities) -> None:
    model, tree = fitted
    post = tree["posterior"].to_dataset()
    # the model's own densities, compiled apart (Python linker: quick to build); the prior's
    # terms are summed here (the Python linker takes at most 32 terms in one sum)
    likelihood = model.compile_logp(vars=model.observed_RVs, sum=True, mode="FAST_COMPILE")
    prior_terms = model.compile_fn(
        model.logp(vars=model.free_RVs, jacobian=False, sum=False),
        inputs=model.value_vars,
        on_unused_input="ignore",
        mode="FAST_COMPILE",
    )

    def prior(point):
        return sum(float(np.sum(term)) for term in prior_terms(point))

    n_chains, n_draws = post.sizes["chain"], post.sizes["draw"]
    for chain, draw in [(0, 0), (n_chains - 1, n_draws // 2), (n_chains - 1, n_draws - 1)]:
        point = _transformed_point(model, post, chain, draw)
        at = {"chain": chain, "draw": draw}
        pointwise = sum(float(v.sum()) for v in exact.log_likelihood.isel(at).data_vars.values())
        assert pointwise == pytest.approx(float(likelihood(point)), abs=1e-6)
        priors = sum(float(v) for v in exact.log_prior.isel(at).data_vars.values())
        assert priors == pytest.approx(float(prior(point)), abs=1e-6)
    # the stored float32 values are the exact values rounded, nothing else
    for name, values in exact.log_likelihood.data_vars.items():
        stored = densities.log_likelihood[name].values
        assert np.array_equal(stored, values.values.astype(np.float32)), name


def test_log_prior_is_the_prior_sets_density(quick_run, exact) -> None:
    # PyMC's log prior of each parameter agrees with the prior set's own (scipy) density
    from forecast.fit.sampling import prepare
    from forecast.questions.psense import log_prior

    _, result = quick_run
    post = result.tree["posterior"].to_dataset()
    draws = {k: np.asarray(v.values, float).reshape(-1) for k, v in post.data_vars.items()}
    prior_set, _, _ = prepare("default")
    ours = log_prior(prior_set, draws)
    assert set(ours) == set(exact.log_prior.data_vars)
    for name, values in ours.items():
        pymc = np.asarray(exact.log_prior[name].values).reshape(-1)
        assert np.allclose(pymc, values, rtol=1e-9, atol=1e-9), name


def test_attach_adds_the_groups_and_keeps_the_rest(tmp_path, fitted, densities) -> None:
    _, tree = fitted
    before = set(tree.children)
    full = loglik.attach(tree, densities)
    assert set(tree.children) == before  # the run's tree is left as it was
    assert set(full.children) == before | {"log_likelihood", "log_prior"}
    assert full.attrs == tree.attrs
    xr.testing.assert_identical(full["posterior"].to_dataset(), tree["posterior"].to_dataset())
    assert loglik.has_log_likelihood(full) and not loglik.has_log_likelihood(tree)
    assert not loglik.has_log_likelihood(None)
    # attaching again replaces, and the groups survive the run store's file format
    again = loglik.attach(full, densities)
    assert set(again.children) == set(full.children)
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    full.to_netcdf(run_dir / "posterior.nc", engine="h5netcdf")
    store = SimpleNamespace(runs_dir=tmp_path / "runs", current_id=lambda: "r1")
    back = loglik.stored_tree(store)
    xr.testing.assert_equal(
        back["log_likelihood"].to_dataset(), full["log_likelihood"].to_dataset()
    )
    assert back["log_likelihood"]["stock_obs"].dtype == np.float32


def test_a_posterior_missing_a_parameter_is_refused(fitted) -> None:
    model, tree = fitted
    post = tree["posterior"].to_dataset().drop_vars("efficiency_rate")
    with pytest.raises(ValueError, match="efficiency_rate"):
        loglik.log_densities(model, xr.DataTree.from_dict({"posterior": post}))
    with pytest.raises(ValueError, match="no posterior"):
        loglik.log_densities(model, xr.DataTree())


def test_a_run_stores_the_data_it_was_fitted_on(quick_run):
    """Every stored run holds ``observed_data`` and ``constant_data`` (the model's arrays)."""
    import xarray as xr

    from forecast.fit.sampling import prepare
    from forecast.model.graph import model_data

    store, result = quick_run
    _, obs, _ = prepare("default")
    expected = model_data(obs)
    with xr.open_datatree(store.runs_dir / result.run_id / "posterior.nc") as tree:
        observed = tree["observed_data"].to_dataset()
        constant = tree["constant_data"].to_dataset()
        assert set(observed.data_vars) | set(constant.data_vars) == set(expected)
        for name, values in expected.items():
            group = observed if name.endswith("_y") else constant
            np.testing.assert_array_equal(group[name].values, values)
