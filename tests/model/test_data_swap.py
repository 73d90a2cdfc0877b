"""A compiled model given new data is the model a fresh build on that data would be.

Refits and backtests swap observations into a model compiled once (``pm.Data``); anything the
graph takes from the data (the data end included) must travel with the swap, or a refit samples
a different model than its metadata says.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pymc as pm
import pytest

from forecast.fit.sampling import prepare
from forecast.model.graph import TimelineModel, model_data


def _logp(model: pm.Model):
    return model.compile_logp()


@pytest.mark.slow  # builds and compiles the model three times
@pytest.mark.parametrize(
    ("first", "second"), [(date(2022, 12, 31), date(2024, 12, 31)), (date(2024, 12, 31), None)]
)
def test_swapped_model_equals_a_fresh_build(first, second) -> None:
    prior_set, obs_a, _ = prepare("default", cutoff=first)
    _, obs_b, _ = prepare("default", cutoff=second)
    assert obs_a.data_end != obs_b.data_end

    swapped = TimelineModel(obs_a, prior_set).build()
    with swapped:
        pm.set_data(model_data(obs_b))
    fresh = TimelineModel(obs_b, prior_set).build()

    logp_s, logp_f = _logp(swapped), _logp(fresh)
    rng = np.random.default_rng(7)
    start = fresh.initial_point()
    for _ in range(5):
        point = {k: v + rng.normal(0.0, 0.5, np.shape(v)) for k, v in start.items()}
        assert logp_s(point) == pytest.approx(logp_f(point), rel=1e-12, abs=1e-9)
