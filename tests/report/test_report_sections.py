"""Report sections and figures: every number equals the library's answer for the same run."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.data.observations import COUNTRIES
from forecast.report.sections import HEADLINE_BY


def test_headline_numbers_equal_the_library(rendered, forecaster):
    _, _, report = rendered
    headline = report.payload["headline"]
    scenarios = list(forecaster.scenarios)
    assert headline["by_dates"] == list(HEADLINE_BY)
    assert len(headline["rows"]) == len(scenarios) * len(COUNTRIES)
    for row in headline["rows"]:
        code, scenario = row["country"], row["scenario"]
        for entry in row["p_by"]:
            answer = forecaster.probability(code, entry["by"], scenario)
            assert (entry["p"], entry["mcse"]) == (answer["p"], answer["mcse"])
        arrival = forecaster.arrival(code, scenario, quantiles=(0.1, 0.5, 0.9), cdf=False)
        assert [row["interval"]["lower"], row["median"], row["interval"]["upper"]] == arrival[
            "quantiles"
        ]
        assert row["interval"]["prob"] == 0.8
        assert row["p_later"] == arrival["p_later"]
    for race in report.payload["race"]:
        answer = forecaster.race(race["scenario"], quantiles=(0.1, 0.5, 0.9))
        for key in ("p_cn_first", "p_us_first", "p_neither_by_horizon"):
            assert race[key] == answer[key]
        assert race["gap_median"] == answer["gap_quantiles"][1]


def test_figure_numbers_equal_the_library(rendered, forecaster):
    _, _, report = rendered
    figs = {f["name"]: f["data"] for f in report.payload["figures"]}
    assert set(figs) == {"trajectories", "arrival", "race", "compute_stock", "prior_posterior"}
    for name, quantity in (
        ("trajectories", "frontier_eci"),
        ("compute_stock", "compute_stock_h100e"),
    ):
        data = figs[name]
        for when in ("2024-01-01", "2030-01-01"):
            k = data["dates"].index(when)
            answer = forecaster.trajectory(quantity, "CN", [when])["points"][0]["quantiles"]
            by_q = {row["q"]: row["value"] for row in answer}
            for q, key in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
                assert data["countries"]["CN"][key][k] == pytest.approx(by_q[q], rel=2e-4)
    cdf = figs["arrival"]["countries"]["US"]["status_quo"]
    answer = forecaster.arrival("US", "status_quo", cdf=True)
    assert cdf["p"] == [c["p"] for c in answer["cdf"]]
    threshold = forecaster.projector.threshold_capability
    assert figs["trajectories"]["threshold_eci"]["q50"] == pytest.approx(np.median(threshold))
    shares = figs["race"]["scenarios"]["status_quo"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert len(figs["compute_stock"]["events"]) > 10
