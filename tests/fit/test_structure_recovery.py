"""Stacking finds the structure that made the data: observations simulated under
``compute_driven_progress`` (known truth, the real data's design) give that structure the largest
stacking weight of the four."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.core.definitions import STRUCTURE_NAMES, parameter_names
from forecast.fit.loglik import log_densities
from forecast.fit.sampling import (
    SamplerConfig,
    build_model,
    compile_nutpie,
    prepare,
    sample_compiled,
    swap_data,
    with_structure,
)
from forecast.fit.stacking import stacking
from forecast.model.equations import Axes
from forecast.model.graph import model_data
from forecast.model.simulate import simulate

pytestmark = pytest.mark.slow

TRUE_STRUCTURE = "compute_driven_progress"
TRUE_EXPONENT = 0.5
"""Inside the prior's 90% interval (0.1-0.8): efficiency growth rises with a country's chip
additions to the power 0.5, so China's clock runs at about a third of the US's."""


def test_stacking_prefers_the_structure_that_made_the_data():
    prior_set, obs, _ = prepare("default")
    axes = Axes.from_settings(prior_set.settings, obs.data_end)
    truth = {name: float(prior_set[name].ppf(0.5)) for name in parameter_names()}
    truth["efficiency_compute_exponent"] = TRUE_EXPONENT
    simulated = simulate(obs, truth, axes, np.random.default_rng(3), structure=TRUE_STRUCTURE)
    compiled, _, _ = compile_nutpie(build_model(obs, prior_set))
    compiled = swap_data(compiled, model_data(simulated))
    config = SamplerConfig(draws=500, tune=1000, chains=2, seed=5)
    log_liks = {}
    for name in STRUCTURE_NAMES:
        tree = sample_compiled(with_structure(compiled, name), config, progress=False)
        model = build_model(simulated, prior_set, name)
        log_liks[name] = log_densities(model, tree).log_likelihood
    result = stacking(log_liks)
    best = max(result.weights, key=result.weights.get)
    assert best == TRUE_STRUCTURE, result.to_dict()
    assert result.weights[TRUE_STRUCTURE] > 0.5, result.to_dict()


def test_leave_future_out_prefers_the_structure_that_made_the_data():
    """The same, with the weights a default fit uses: every structure refitted on the data
    before the last year and scored on that year's capability observations."""
    from datetime import timedelta

    from forecast.core.timeutil import decimal_year
    from forecast.fit.holdout import fit_holdout, holdout_cutoff, holdout_weights
    from forecast.fit.sampling import Gate, diagnostics
    from forecast.fit.stacking import STACKING_BLOCKS

    prior_set, obs, _ = prepare("default")
    cutoff = holdout_cutoff(obs.data_end, prior_set.structures["holdout_years"])
    _, past, _ = prepare("default", (), cutoff)
    truth = {name: float(prior_set[name].ppf(0.5)) for name in parameter_names()}
    truth["efficiency_compute_exponent"] = TRUE_EXPONENT
    # observations are independent given the parameters (the stock's AR(1) series is not
    # scored), so the earlier data may be a draw of its own on the earlier design
    axes = Axes.from_settings(prior_set.settings, obs.data_end)
    full = simulate(obs, truth, axes, np.random.default_rng(3), structure=TRUE_STRUCTURE)
    past_axes = Axes.from_settings(prior_set.settings, past.data_end)
    earlier = simulate(past, truth, past_axes, np.random.default_rng(4), structure=TRUE_STRUCTURE)
    compiled, _, _ = compile_nutpie(build_model(obs, prior_set))
    on_past = swap_data(compiled, model_data(earlier))
    config = SamplerConfig(draws=500, tune=1000, chains=2, seed=5)
    held = fit_holdout(
        cutoff,
        STRUCTURE_NAMES,
        lambda name: sample_compiled(with_structure(on_past, name), config, progress=False),
        Gate().check,
        diagnostics,
        lambda _: None,
    )
    log_liks = {
        name: log_densities(build_model(full, prior_set, name), held.trees[name]).log_likelihood
        for name in STRUCTURE_NAMES
    }
    data = model_data(full)
    times = {b: data[b.replace("_obs", "_t")] for b in STACKING_BLOCKS}
    start = float(decimal_year(cutoff + timedelta(days=1)))
    result = holdout_weights(held, log_liks, times, start)
    assert result["n_observations"] > 20, result
    best = max(result["weights"], key=result["weights"].get)
    assert best == TRUE_STRUCTURE, result
