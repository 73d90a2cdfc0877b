"""Stacking weights of model structures from PSIS-LOO: synthetic data where the answer is known."""

from __future__ import annotations

import json
import warnings

import arviz_stats
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from forecast.fit.stacking import (
    METHOD,
    STACKING_BLOCKS,
    StackingResult,
    stacking,
    weights_from_loo,
)

N_OBS = 150
CHAINS, DRAWS = 2, 400
BLOCK = "horizon_obs"


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return np.random.default_rng(20180101).normal(0.0, 1.0, N_OBS)


def _draws(y: np.ndarray, mean: float, sd: float, seed: int) -> np.ndarray:
    """Pointwise log likelihood (chain, draw, obs) of a normal model with the given centre and
    scale, whose location draws scatter like a posterior from N_OBS points."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(mean, sd / np.sqrt(y.size), size=(CHAINS, DRAWS, 1))
    return stats.norm.logpdf(y, mu, sd)


def _dataset(blocks: dict[str, np.ndarray]) -> xr.Dataset:
    """A log_likelihood group as a run stores it: float32, dims (chain, draw, <block>_dim_0)."""
    return xr.Dataset(
        {
            name: xr.DataArray(values.astype(np.float32), dims=("chain", "draw", f"{name}_dim_0"))
            for name, values in blocks.items()
        }
    )


def _empty() -> np.ndarray:
    return np.zeros((CHAINS, DRAWS, 0))


@pytest.fixture(scope="module")
def three(y) -> dict[str, xr.Dataset]:
    """A: the true law N(0, 1); B: mean off by 0.7; C: sd 2.5. Each has the same empty block."""
    spec = {"A": (0.0, 1.0), "B": (0.7, 1.0), "C": (0.0, 2.5)}
    return {
        name: _dataset(
            {
                BLOCK: _draws(y, mean, sd, seed=i),
                "eci_cross_obs": _empty(),
                # outside the stacking blocks: must not matter, even if it differs
                "stock_obs": np.full((CHAINS, DRAWS, 3 + i), -1.0),
            }
        )
        for i, (name, (mean, sd)) in enumerate(spec.items())
    }


@pytest.fixture(scope="module")
def result(three) -> StackingResult:
    return stacking(three)


@pytest.mark.fast
def test_true_structure_gets_the_largest_weight(result) -> None:
    w = result.weights
    assert set(w) == {"A", "B", "C"}
    assert max(w, key=w.get) == "A"
    assert w["A"] > 0.5
    assert sum(w.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(v >= 0.0 and np.isfinite(v) for v in w.values())


@pytest.mark.fast
def test_summary_per_structure(result) -> None:
    assert result.blocks == (BLOCK,)  # the empty block is skipped
    assert result.method == METHOD
    best = result.per_structure["A"]
    assert best["elpd_diff"] == 0.0 and best["dse"] == 0.0
    for name, s in result.per_structure.items():
        assert s["n_observations"] == N_OBS
        assert np.isfinite(s["elpd_loo"]) and s["se"] > 0 and s["p_loo"] > 0
        assert s["pareto_k_max"] < 0.7 and s["n_pareto_k_above_0_7"] == 0
        if name != "A":
            assert s["elpd_diff"] < 0 and s["dse"] > 0
    assert result.per_structure["A"]["elpd_loo"] > result.per_structure["B"]["elpd_loo"]


@pytest.mark.fast
def test_agrees_with_arviz_stats(three, result) -> None:
    """Same elpd as arviz_stats.loo on the block, and same weights as arviz_stats.compare (whose
    stacking is fine here: the pointwise elpd is far from underflow)."""
    elpds = {}
    for name, ds in three.items():
        tree = xr.DataTree.from_dict({"log_likelihood": ds[[BLOCK]].astype(np.float64)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elpds[name] = arviz_stats.loo(tree, pointwise=True, var_name=BLOCK, reff=1.0)
        # the relative efficiency only moves the Pareto tail length: elpd barely changes
        assert result.per_structure[name]["elpd_loo"] == pytest.approx(elpds[name].elpd, abs=0.05)
    table = arviz_stats.compare(elpds, method="stacking", round_to="none")
    for name in three:
        # the plain optimum is arviz's; the reported weights average bootstrap resamples
        assert result.point_weights[name] == pytest.approx(table.loc[name, "weight"], abs=0.02)
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert max(result.weights, key=result.weights.get) == max(
        result.point_weights, key=result.point_weights.get
    )


@pytest.mark.fast
def test_to_dict_is_json_ready(result) -> None:
    d = result.to_dict()
    again = json.loads(json.dumps(d))
    assert again == d
    assert d["blocks"] == [BLOCK]
    assert d["weights"] == pytest.approx(result.weights)
    assert d["point_weights"] == pytest.approx(result.point_weights)
    assert type(d["per_structure"]["B"]["n_observations"]) is int
    assert type(d["per_structure"]["B"]["elpd_loo"]) is float
    assert set(d["per_structure"]["C"]) == {
        "elpd_loo",
        "se",
        "p_loo",
        "pareto_k_max",
        "n_pareto_k_above_0_7",
        "n_observations",
        "elpd_diff",
        "dse",
    }


@pytest.mark.fast
def test_single_structure_gets_weight_one(three) -> None:
    res = stacking({"B": three["B"]})
    assert res.weights == {"B": 1.0}
    assert res.per_structure["B"]["elpd_diff"] == 0.0


@pytest.mark.fast
def test_identical_structures_split_weight(three) -> None:
    res = stacking({"A": three["A"], "A2": three["A"].copy(deep=True)})
    w = res.weights
    assert all(np.isfinite(v) for v in w.values())
    assert sum(w.values()) == pytest.approx(1.0, abs=1e-9)
    assert 0.3 <= w["A"] <= 0.7 and 0.3 <= w["A2"] <= 0.7


@pytest.mark.fast
def test_blocks_are_joined(y) -> None:
    """Two non-empty blocks enter as one pointwise vector, in the order of ``blocks``."""
    a = _dataset(
        {"eci_record_obs": _draws(y[:50], 0, 1, 1), "horizon_obs": _draws(y[50:], 0, 1, 2)}
    )
    b = _dataset(
        {"eci_record_obs": _draws(y[:50], 1, 1, 3), "horizon_obs": _draws(y[50:], 1, 1, 4)}
    )
    res = stacking({"a": a, "b": b})
    assert res.blocks == ("eci_record_obs", "horizon_obs")
    assert res.per_structure["a"]["n_observations"] == N_OBS
    assert res.pointwise["a"].shape == (N_OBS,)
    assert res.weights["a"] > res.weights["b"]


@pytest.mark.fast
def test_default_blocks_leave_out_stock_and_supply() -> None:
    assert "stock_obs" not in STACKING_BLOCKS
    assert "supply_share_obs" not in STACKING_BLOCKS
    assert set(STACKING_BLOCKS) == {
        "eci_record_obs",
        "horizon_obs",
        "eci_cross_obs",
        "compute_obs",
        "eci_gap_obs",
        "compute_gap_obs",
    }


@pytest.mark.fast
def test_mismatched_blocks_raise(y, three) -> None:
    extra = three["B"].assign(
        eci_record_obs=xr.DataArray(
            np.zeros((CHAINS, DRAWS, 4), np.float32), dims=("chain", "draw", "e_dim_0")
        )
    )
    with pytest.raises(ValueError, match="eci_record_obs"):
        stacking({"A": three["A"], "B": extra})
    shorter = _dataset({BLOCK: _draws(y[:100], 0.7, 1.0, 9)})
    with pytest.raises(ValueError, match=BLOCK):
        stacking({"A": three["A"], "B": shorter})


@pytest.mark.fast
def test_no_observations_or_bad_values_raise(three) -> None:
    with pytest.raises(ValueError, match="no non-empty"):
        stacking(three, blocks=("eci_cross_obs",))
    with pytest.raises(ValueError):
        stacking({})
    bad = three["C"].copy(deep=True)
    bad[BLOCK][0, 0, 0] = -np.inf
    with pytest.raises(ValueError, match="non-finite"):
        stacking({"A": three["A"], "C": bad})


@pytest.mark.fast
def test_weights_survive_very_negative_elpd() -> None:
    """A shift of every observation by the same constant leaves the weights unchanged, even when
    exp(elpd) underflows (where arviz_stats.compare falls back to uniform weights)."""
    rng = np.random.default_rng(3)
    good = rng.normal(-1.0, 0.3, 80)
    bad = good - rng.uniform(0.5, 2.0, 80)
    w = weights_from_loo({"good": good, "bad": bad})
    shifted = weights_from_loo({"good": good - 900.0, "bad": bad - 900.0})
    assert w["good"] > 0.9
    assert shifted["good"] == pytest.approx(w["good"], abs=1e-6)


def _log_score(lpd: np.ndarray, w: np.ndarray) -> float:
    dens = np.exp(lpd - lpd.max(axis=1, keepdims=True))
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(dens @ w)))


@pytest.mark.fast
@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.integers(1, 6).flatmap(
            lambda k: arrays(
                np.float64,
                (n, k),
                elements=st.floats(-1e4, 1e3, allow_nan=False, allow_infinity=False),
            )
        )
    )
)
def test_weights_on_the_simplex_and_no_worse_than_simple_choices(lpd: np.ndarray) -> None:
    names = [f"s{j}" for j in range(lpd.shape[1])]
    w = weights_from_loo({n: lpd[:, j] for j, n in enumerate(names)})
    assert list(w) == names
    v = np.array([w[n] for n in names])
    assert np.all(np.isfinite(v)) and np.all(v >= 0.0)
    assert v.sum() == pytest.approx(1.0, abs=1e-9)
    score = _log_score(lpd, v)
    k = lpd.shape[1]
    for other in [np.full(k, 1.0 / k), *np.eye(k)]:
        assert score >= _log_score(lpd, other) - 1e-6 * (1.0 + abs(score))


@pytest.mark.fast
def test_weights_from_loo_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        weights_from_loo({})
    with pytest.raises(ValueError, match="different numbers"):
        weights_from_loo({"a": np.zeros(3), "b": np.zeros(4)})
    with pytest.raises(ValueError, match="not finite"):
        weights_from_loo({"a": np.zeros(3), "b": np.array([0.0, np.nan, 1.0])})


@pytest.mark.fast
def test_bootstrap_weights_shrink_a_narrow_win_off_the_corner() -> None:
    """Two structures that predict almost alike: the plain optimum may take a corner, the
    bootstrap average keeps both in play; a clear win stays a clear win."""
    rng = np.random.default_rng(0)
    a = rng.normal(-1.0, 0.5, 150)
    b = a + rng.normal(0.01, 0.3, 150)  # a hair better on average
    point = weights_from_loo({"a": a, "b": b})
    bagged = weights_from_loo({"a": a, "b": b}, bootstrap=200)
    assert sum(bagged.values()) == pytest.approx(1.0)
    assert min(bagged.values()) > min(point.values())
    clear = weights_from_loo({"a": a, "c": a - 1.0}, bootstrap=200)
    assert clear["a"] > 0.95
