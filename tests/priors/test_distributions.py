"""The distribution registry and the interval solver: every interval is reproduced or rejected."""

from __future__ import annotations

import math

import pymc as pm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from priorfile_helpers import table

from forecast.model.graph import random_variable
from forecast.priors.distributions import (
    FAMILIES,
    INTERVAL_RTOL,
    DerivationError,
    derive_params,
)
from forecast.priors.priorset import Prior, PriorError, parse_prior

pytestmark = pytest.mark.fast


# ------------------------------------------------------------------------------------------------
# property tests: interval derivations
# ------------------------------------------------------------------------------------------------

UNIT_FOR = {
    "normal": ("stock_growth_us", "ln/yr"),
    "lognormal": ("efficiency_rate", "OOM/yr"),
    "gamma": ("efficiency_rate", "OOM/yr"),
    "halfnormal": ("efficiency_rate", "OOM/yr"),
    "beta": ("stock_ar1", "1"),
}
finite = st.floats(allow_nan=False, allow_infinity=False)
probs = st.floats(min_value=0.5, max_value=0.99)


def assert_reproduces(dist: str, lo: float, hi: float, prob: float) -> None:
    """The loader either derives a distribution with this interval, or rejects with a reason."""
    key, unit = UNIT_FOR[dist]
    try:
        prior = parse_prior(key, table(dist, lo, hi, prob, unit))
    except PriorError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.key.startswith(f"priors.{key}") and issue.reason
        with pytest.raises(DerivationError):
            derive_params(dist, lo, hi, prob)
        return
    got_lo, got_hi = prior.stated_interval(prob)
    if dist == "normal":
        scale = max(abs(lo), abs(hi))
        assert abs(got_lo - lo) <= INTERVAL_RTOL * scale
        assert abs(got_hi - hi) <= INTERVAL_RTOL * scale
    else:
        assert abs(got_lo - lo) <= INTERVAL_RTOL * abs(lo)
        assert abs(got_hi - hi) <= INTERVAL_RTOL * abs(hi)


@pytest.mark.parametrize("dist", ["normal", "lognormal", "gamma", "beta", "halfnormal"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(a=finite, b=finite, prob=probs)
def test_any_interval_is_reproduced_or_rejected(dist: str, a: float, b: float, prob: float) -> None:
    lo, hi = min(a, b), max(a, b)
    if dist == "halfnormal" and a > 0:
        lo = 0.0  # half of the cases state [0, upper], the only valid halfnormal form
    assert_reproduces(dist, lo, hi, prob)


@settings(max_examples=150, deadline=None)
@given(
    lo=st.floats(min_value=1e-6, max_value=1e6),
    log_ratio=st.floats(min_value=0.01, max_value=13.0),
    prob=probs,
)
def test_reasonable_positive_intervals_are_accepted(
    lo: float, log_ratio: float, prob: float
) -> None:
    hi = lo * math.exp(log_ratio)
    for dist in ("lognormal", "gamma"):
        params = derive_params(dist, lo, hi, prob)
        assert all(math.isfinite(v) for v in params.values())
        assert_reproduces(dist, lo, hi, prob)
    sigma = derive_params("halfnormal", 0.0, hi, prob)["sigma"]
    assert sigma > 0


@settings(max_examples=150, deadline=None)
@given(
    lo=st.floats(min_value=1e-3, max_value=0.98),
    width=st.floats(min_value=0.01, max_value=0.99),
    prob=probs,
)
def test_reasonable_beta_intervals_are_accepted(lo: float, width: float, prob: float) -> None:
    hi = min(lo + width, 0.999)
    params = derive_params("beta", lo, hi, prob)
    assert params["alpha"] > 0 and params["beta"] > 0
    assert_reproduces("beta", lo, hi, prob)


def test_normal_derivation_formula() -> None:
    z = 1.6448536269514722
    assert derive_params("normal", 130, 160, 0.9) == pytest.approx({"mu": 145, "sigma": 15 / z})
    lognormal = derive_params("lognormal", 2400, 42000, 0.9)
    assert lognormal["mu"] == pytest.approx(math.log(math.sqrt(2400 * 42000)))
    assert derive_params("halfnormal", 0, 6, 0.9)["sigma"] == pytest.approx(6 / z)


def test_impossible_intervals_give_reasons() -> None:
    with pytest.raises(DerivationError, match="too narrow"):
        derive_params("gamma", 1.0, 1.0000001, 0.9)
    with pytest.raises(DerivationError, match="no beta distribution"):
        derive_params("beta", 0.5, 0.5000001, 0.9)
    with pytest.raises(DerivationError, match="is equal to upper bound"):
        derive_params("normal", 1.0, 1.0, 0.9)
    with pytest.raises(DerivationError, match=r"prob 1 is not in \(0, 1\)"):
        derive_params("normal", 0.0, 1.0, 1.0)


# ------------------------------------------------------------------------------------------------
# the registry: one table for scipy and PyMC
# ------------------------------------------------------------------------------------------------

EXAMPLE_PARAMS = {
    "normal": {"mu": 1.0, "sigma": 0.5},
    "lognormal": {"mu": 0.0, "sigma": 0.5},
    "halfnormal": {"sigma": 1.0},
    "beta": {"alpha": 2.0, "beta": 3.0},
    "gamma": {"alpha": 4.0, "beta": 5.0},
    "uniform": {"lower": 0.2, "upper": 1.5},
}


def test_every_family_has_an_example() -> None:
    assert set(EXAMPLE_PARAMS) == set(FAMILIES)
    for name, family in FAMILIES.items():
        assert tuple(EXAMPLE_PARAMS[name]) == family.params
        assert set(family.positive_params) <= set(family.params)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_pymc_and_scipy_agree_for_every_family(name: str) -> None:
    """The PyMC variable built from the registry has the scipy distribution's quantiles."""
    family = FAMILIES[name]
    params = EXAMPLE_PARAMS[name]
    prior = Prior("x", name, params, None, None, "1", "s", "d")
    with pm.Model():
        variable = random_variable(prior, "x")
    assert type(variable.owner.op) is type(getattr(pm, family.pymc).dist(**params).owner.op)
    draws = pm.draw(variable, draws=4000, random_seed=1)
    lo, hi = prior.ppf([0.05, 0.95])
    assert 0.85 < float(((draws > lo) & (draws < hi)).mean()) < 0.95


def test_random_variable_rejects_an_unknown_family() -> None:
    with pm.Model(), pytest.raises(ValueError, match="unsupported distribution 'cauchy'"):
        random_variable(Prior("x", "cauchy", {}, None, None, "1", "s", "d"), "x")
