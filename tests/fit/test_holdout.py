"""Leave-future-out weights: the holdout cutoff, held-out densities and the weights from them."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.core.timeutil import decimal_year
from forecast.fit.holdout import (
    MIN_POINTS,
    Holdout,
    holdout_cutoff,
    holdout_weights,
    holdout_years,
    pointwise,
    skipped,
)
from forecast.fit.structures import structure_weights
from forecast.priors.priorset import load_prior_set

pytestmark = pytest.mark.fast


def log_lik(values: np.ndarray, block: str = "eci_record_obs") -> xr.Dataset:
    """A log-likelihood group with one block of (chain, draw, observation) values."""
    return xr.Dataset({block: (("chain", "draw", f"{block}_dim_0"), values)})


def holdout(names=("a", "b")) -> Holdout:
    diag = {"max_rhat": 1.001, "min_ess_bulk": 900.0, "divergences": 0}
    return Holdout(date(2024, 12, 31), {}, {n: dict(diag, gate_failures=[]) for n in names}, 1.0)


@pytest.mark.parametrize(
    ("end", "years", "expected"),
    [
        (date(2026, 1, 1), 1, date(2024, 12, 31)),
        (date(2024, 1, 1), 1, date(2022, 12, 31)),
        (date(2026, 1, 1), 2, date(2023, 12, 31)),
        (date(2025, 7, 1), 1, date(2024, 6, 30)),
        (date(2024, 2, 29), 1, date(2023, 2, 27)),  # a leap day: a year back is the 28th
    ],
)
def test_holdout_cutoff_is_whole_years_before_the_data_end(end, years, expected) -> None:
    assert holdout_cutoff(float(decimal_year(end)), years) == expected


def test_pointwise_is_the_log_mean_density_of_the_later_observations() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(-2.0, 1.0, size=(2, 50, 5))
    t = np.array([2023.5, 2024.2, 2025.1, 2025.5, 2025.9])
    got = pointwise(log_lik(values), {"eci_record_obs": t}, 2025.0)
    flat = values.reshape(100, 5)[:, 2:]
    want = np.log(np.mean(np.exp(flat), axis=0))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pointwise_skips_blocks_that_are_absent_or_empty_and_checks_dates() -> None:
    ds = log_lik(np.zeros((1, 4, 2))).assign(
        horizon_obs=(("chain", "draw", "h"), np.zeros((1, 4, 0)))
    )
    times = {"eci_record_obs": np.array([2025.5, 2025.6]), "horizon_obs": np.zeros(0)}
    assert pointwise(ds, times, 2025.0).shape == (2,)
    with pytest.raises(ValueError, match="3 dates for 2 observations"):
        pointwise(ds, {"eci_record_obs": np.array([1.0, 2.0, 3.0])}, 2025.0)


@settings(max_examples=30, deadline=None)
@given(shift=st.floats(0.5, 5.0), n=st.integers(MIN_POINTS, 30))
def test_the_structure_that_predicts_the_holdout_better_gets_more_weight(
    shift: float, n: int
) -> None:
    rng = np.random.default_rng(n)
    good = rng.normal(-1.0, 0.2, size=(2, 40, n))
    t = {"eci_record_obs": np.full(n, 2025.5)}
    lls = {"a": log_lik(good - shift), "b": log_lik(good)}
    out = holdout_weights(holdout(), lls, t, 2025.0)
    assert out["weights"]["b"] > out["weights"]["a"]
    assert math.isclose(sum(out["weights"].values()), 1.0, rel_tol=1e-9)
    per = out["per_structure"]
    assert per["b"]["elpd_diff"] == 0.0 and per["a"]["elpd_diff"] < 0
    assert per["a"]["n_observations"] == n == out["n_observations"]
    assert per["a"]["holdout_fit"]["max_rhat"] == 1.001


def test_too_few_held_out_points_give_no_weights_and_say_why() -> None:
    t = {"eci_record_obs": np.array([2024.5, 2025.5])}
    lls = {"a": log_lik(np.zeros((1, 10, 2))), "b": log_lik(np.ones((1, 10, 2)))}
    out = holdout_weights(holdout(), lls, t, 2025.0)
    assert out["weights"] is None and out["n_observations"] == 1
    assert f"fewer than {MIN_POINTS}" in out["note"]


def test_holdout_years_only_when_the_weights_are_stacked() -> None:
    default = load_prior_set("default")
    names = ("global_efficiency", "diffusion")
    assert holdout_years(default, names, log_densities=True) == 1.0
    assert holdout_years(default, names, log_densities=False) == 0.0  # a quick fit
    assert holdout_years(default, names[:1], log_densities=True) == 0.0
    pinned = replace(default, structures={"pin": "diffusion", "holdout_years": 1.0})
    assert holdout_years(pinned, names, True) == 0.0
    stated = replace(default, structures={"weights": {"diffusion": 1.0}, "holdout_years": 1.0})
    assert holdout_years(stated, names, True) == 0.0
    assert holdout_years(replace(default, structures={}), names, True) == 0.0


def test_structure_weights_use_the_holdout_and_keep_the_loo_weights() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(-1.0, 0.3, size=(2, 40, 8))
    lls = {"global_efficiency": log_lik(base), "diffusion": log_lik(base + 0.01)}
    t = {"eci_record_obs": np.full(8, 2025.5)}
    lfo = holdout_weights(holdout(tuple(lls)), lls, t, 2025.0)
    default = load_prior_set("default")
    out = structure_weights(default, lls, list(lls), lfo)
    assert out["method"].startswith("stacking of exact leave-future-out")
    assert out["weights"] == lfo["weights"]
    assert set(out["loo_weights"]) == set(lls)
    assert out["leave_future_out"]["cutoff"] == "2024-12-31"
    assert "weights" not in out["leave_future_out"]
    no_points = holdout_weights(holdout(tuple(lls)), lls, t, 2026.0)
    fallback = structure_weights(default, lls, list(lls), no_points)
    assert "leave-future-out not used" in fallback["method"]
    assert "loo_weights" not in fallback


def test_no_holdout_refit_without_chip_stock_data_before_it() -> None:
    from forecast.fit.sampling import Gate, SamplerConfig, fit_holdout_for, prepare

    prior_set, obs, _ = prepare("default", (), date(2022, 12, 31))
    called = []
    held = fit_holdout_for(
        prior_set,
        (),
        obs,
        ("global_efficiency", "diffusion"),
        SamplerConfig(),
        Gate(),
        lambda _: None,
        lambda past, name: called.append(name),
    )
    assert held.cutoff == date(2021, 12, 31) and not called
    assert "no chip-stock data up to 2021-12-31" in held.note
    record = skipped(held)
    assert record["weights"] is None and record["note"] == held.note
