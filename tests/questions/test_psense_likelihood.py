"""The likelihood side of power-scaling sensitivity: given a tree with the run's pointwise log
likelihood, the answer covers the whole likelihood and each observed block, with the paper's
diagnosis; without the group, the answer is the prior-only one, unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr

from forecast.core.definitions import COUNTRIES
from forecast.core.errors import ForecastError
from forecast.fit import loglik
from forecast.questions.forecaster import Forecaster
from forecast.questions.psense import THRESHOLD, diagnosis, prior_sensitivity


@pytest.fixture(scope="module")
def run_tree(quick_run) -> xr.DataTree:
    """The quick run's tree with its log likelihood and log prior attached."""
    from forecast.fit.sampling import prepare
    from forecast.model.graph import TimelineModel

    _, result = quick_run
    prior_set, obs, _ = prepare("default")
    return loglik.with_log_densities(TimelineModel(obs, prior_set).build(), result.tree)


@pytest.fixture(scope="module")
def prior_only(forecaster: Forecaster) -> dict[str, Any]:
    return prior_sensitivity(forecaster)


@pytest.fixture(scope="module")
def both(forecaster: Forecaster, run_tree) -> dict[str, Any]:
    return prior_sensitivity(forecaster, tree=run_tree)


def test_without_the_group_the_answer_is_unchanged(forecaster, quick_run, prior_only) -> None:
    assert "sides" not in prior_only and "likelihood" not in prior_only
    assert "prior side only" in prior_only["method"]
    # a tree without the log likelihood (a run as stored today) gives the same answer
    _, result = quick_run
    assert prior_sensitivity(forecaster, tree=result.tree) == prior_only


def test_with_the_group_the_likelihood_is_scored(both, prior_only, run_tree) -> None:
    assert both["sides"] == ["prior", "likelihood"]
    assert "likelihood sides" in both["method"]
    assert both["priors"] == prior_only["priors"]  # the prior side is the same
    like = both["likelihood"]
    for part in ("arrival", "all_priors"):
        assert set(like[part]) == set(COUNTRIES)
        for entry in like[part].values():
            assert entry["sensitivity"] >= 0.0 and entry["mcse"] >= 0.0
            assert entry["informative"] == (entry["sensitivity"] > THRESHOLD)
    blocks = {b["block"]: b for b in like["blocks"]}
    group = run_tree["log_likelihood"].to_dataset()
    assert set(blocks) == set(group.data_vars)
    for name, block in blocks.items():
        assert block["observations"] == group[name].shape[-1]
        assert set(block["arrival"]) == set(COUNTRIES)
    # the data do inform the arrivals: power-scaling the likelihood moves at least one
    assert max(like["arrival"][c]["sensitivity"] for c in COUNTRIES) > THRESHOLD
    ranked = [max(b["arrival"][c]["sensitivity"] for c in COUNTRIES) for b in like["blocks"]]
    assert ranked == sorted(ranked, reverse=True)
    for c in COUNTRIES:
        assert like["diagnosis"][c] == diagnosis(
            like["all_priors"][c]["sensitivity"], like["arrival"][c]["sensitivity"]
        )


def test_whole_likelihood_and_all_priors_match_arviz_psense_summary(
    forecaster, both, run_tree
) -> None:
    from arviz_stats import psense_summary

    from forecast.priors.priorset import parse_prior_set
    from forecast.questions.psense import _tree, run_log_prior

    projected = forecaster.scenario(None)
    end = float(forecaster.projector.grid[-1])
    arrivals = {
        f"arrival_{c}": np.minimum(np.asarray(projected.paths[c].arrival, dtype=float), end)
        for c in COUNTRIES
    }
    lp = run_log_prior(forecaster, parse_prior_set(forecaster.run.priors_text))
    group = run_tree["log_likelihood"].to_dataset()
    whole = group.to_stacked_array("obs", ["chain", "draw"]).sum("obs").values.reshape(-1)
    # the answers use the structures' mixture: the stored draws it picked
    ll = {"all": whole[forecaster.run.source_index]}
    summary = psense_summary(_tree(arrivals, lp, forecaster.run.chains, ll), round_to=6)
    for c in COUNTRIES:
        row = summary.loc[f"arrival_{c}"]
        assert both["likelihood"]["arrival"][c]["sensitivity"] == pytest.approx(
            row["likelihood"], abs=2e-4
        )
        assert both["likelihood"]["all_priors"][c]["sensitivity"] == pytest.approx(
            row["prior"], abs=2e-4
        )


def test_diagnosis_follows_the_papers_rule() -> None:
    assert diagnosis(0.2, 0.2) == "potential prior-data conflict"
    assert diagnosis(0.2, 0.01) == "potential strong prior / weak likelihood"
    assert diagnosis(0.01, 0.2) == "ok"
    assert diagnosis(0.01, 0.01) == "ok"


def test_a_tree_of_other_draws_is_refused(forecaster, run_tree) -> None:
    group = run_tree["log_likelihood"].to_dataset()
    short = xr.DataTree.from_dict({"log_likelihood": group.isel(draw=slice(0, 10))})
    with pytest.raises(ForecastError, match=r"log likelihood (has|holds)"):
        prior_sensitivity(forecaster, tree=short)
    post = run_tree["posterior"].to_dataset()
    reversed_draws = post["efficiency_rate"].values[:, ::-1]
    shuffled = post.assign(efficiency_rate=(("chain", "draw"), reversed_draws))
    other = xr.DataTree.from_dict({"posterior": shuffled, "log_likelihood": group})
    with pytest.raises(ForecastError, match="efficiency_rate differs"):
        prior_sensitivity(forecaster, tree=other)
