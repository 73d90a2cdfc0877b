"""Prior power-scaling sensitivity: the library, the CLI and the API give the same numbers, a
prior the data cannot inform is flagged, and each number carries its MC error."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from scipy import stats

from forecast.cli.main import main
from forecast.cli.output import finite_or_none
from forecast.core.definitions import COUNTRIES
from forecast.core.errors import ForecastError
from forecast.priors.priorset import parse_prior_set
from forecast.questions.forecaster import Forecaster
from forecast.questions.psense import log_prior, prior_sensitivity


@pytest.fixture(scope="module")
def answer(forecaster: Forecaster) -> dict[str, Any]:
    return prior_sensitivity(forecaster)


def test_every_prior_is_scored_with_mc_errors(forecaster: Forecaster, answer) -> None:
    prior_set = parse_prior_set(forecaster.run.priors_text)
    assert {r["prior"] for r in answer["priors"]} == set(prior_set.priors) & set(
        forecaster.projector.draws
    )
    for row in answer["priors"]:
        for entry in [row["parameter"], *(row["arrival"][c] for c in COUNTRIES)]:
            assert entry["sensitivity"] >= 0.0 and entry["mcse"] >= 0.0
            assert entry["informative"] == (entry["sensitivity"] > answer["threshold"])
    ranked = [max(r["arrival"][c]["sensitivity"] for c in COUNTRIES) for r in answer["priors"]]
    assert ranked == sorted(ranked, reverse=True)


def test_a_prior_no_data_inform_is_flagged(answer) -> None:
    # no observation involves the threshold: its posterior is its prior, fully sensitive
    row = next(r for r in answer["priors"] if r["prior"] == "threshold_horizon_minutes")
    assert row["parameter"]["informative"]
    assert row["parameter"]["sensitivity"] > 5 * answer["threshold"]


def test_log_prior_is_the_stated_density(forecaster: Forecaster) -> None:
    prior_set = parse_prior_set(forecaster.run.priors_text)
    draws = forecaster.projector.draws
    lp = log_prior(prior_set, draws)
    prior = prior_set.priors["efficiency_rate"]
    assert prior.dist == "lognormal"
    x = draws["efficiency_rate"]
    mu, sigma = prior.params["mu"], prior.params["sigma"]
    expected = stats.lognorm.logpdf(x, s=sigma, scale=np.exp(mu))
    assert np.allclose(lp["efficiency_rate"], expected)


def test_a_run_without_its_prior_file_says_so(forecaster: Forecaster) -> None:
    bare = Forecaster(replace(forecaster.run, priors_text=None))
    with pytest.raises(ForecastError, match="no stored prior set"):
        prior_sensitivity(bare)


def test_cli_equals_library(quick_run, monkeypatch, capsys, answer) -> None:
    store, _ = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    assert main(["ask", "psense", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(finite_or_none(answer)))
    assert main(["ask", "psense"]) == 0
    text = capsys.readouterr().out
    assert "threshold_horizon_minutes" in text and "±" in text
    assert main(["ask", "psense", "--threshold", "work_week"]) == 2
    assert "no options" in capsys.readouterr().err
