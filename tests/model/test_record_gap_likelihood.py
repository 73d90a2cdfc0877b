"""The record-gap terms of the model are log P(frontier draw <= bound), not the upper tail."""

from __future__ import annotations

import numpy as np
import pytest
from point_helpers import initial_parameters
from scipy import stats

from forecast.model.equations import Axes
from forecast.model.graph import TimelineModel
from forecast.model.simulate import frontier

pytestmark = pytest.mark.fast


def test_gap_terms_are_the_normal_log_cdf_at_the_bound():
    from forecast.fit.sampling import prepare

    prior_set, obs, _ = prepare("default")
    assert obs.compute_gaps.n > 0 and obs.eci_gaps.n > 0
    model = TimelineModel(obs, prior_set).build()
    point, params = initial_parameters(model)
    logp = [
        float(model.compile_logp(vars=[model[name]], sum=True)(point))
        for name in ("compute_gap_obs", "eci_gap_obs")
    ]
    axes = Axes.from_settings(prior_set.settings, obs.data_end)
    g = obs.compute_gaps
    ln_f, _ = frontier(params, axes, g.t, g.country)
    sd = np.sqrt(g.extra["sd"] ** 2 + params["frontier_noise"] ** 2)
    expected_f = stats.norm.logcdf(g.value, ln_f, sd).sum()
    r = obs.eci_gaps
    _, cap = frontier(params, axes, r.t, r.country)
    expected_r = stats.norm.logcdf(r.value, cap, params["eci_record_noise"]).sum()
    assert logp[0] == pytest.approx(expected_f, rel=1e-6)
    assert logp[1] == pytest.approx(expected_r, rel=1e-6)
