"""API answers equal the library's (the same Forecaster calls as ``forecast ask``)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


def plain(value: Any) -> Any:
    """A library answer as JSON would carry it (non-finite floats become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return json.loads(json.dumps(value))


async def get_json(client: Any, url: str, params: Any = None) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_arrival_equals_library(client: Any, forecaster: Any, run_id: str) -> None:
    body = await get_json(client, "/v1/arrival", {"country": "CN"})
    assert body == plain(forecaster.arrival("CN"))
    assert body["run_id"] == run_id
    assert len(body["cdf"]) > 10


async def test_arrival_quantiles_and_scenario(client: Any, forecaster: Any) -> None:
    params = [("country", "US"), ("q", "0.1"), ("q", "0.5"), ("scenario", "tightened_controls")]
    body = await get_json(client, "/v1/arrival", params)
    expected = forecaster.arrival("US", "tightened_controls", (0.1, 0.5))
    assert body == plain(expected)
    assert [row["q"] for row in body["quantiles"]] == [0.1, 0.5]


async def test_arrival_without_cdf(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/arrival", {"country": "US", "cdf": "false"})
    assert body == plain(forecaster.arrival("US", cdf=False))
    assert "cdf" not in body


async def test_arrival_comparison(client: Any, forecaster: Any) -> None:
    params = {"country": "CN", "scenario": "tightened_controls", "versus": "status_quo"}
    body = await get_json(client, "/v1/arrival", params)
    expected = forecaster.compare(
        "arrival",
        "tightened_controls",
        "status_quo",
        country="CN",
        quantiles=(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95),
        cdf=True,
    )
    assert body == plain(expected)
    assert set(body["answers"]) == {"tightened_controls", "status_quo"}


async def test_probability_and_comparison(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/probability", {"country": "US", "by": "2030-12-31"})
    assert body == plain(forecaster.probability("US", "2030-12-31"))
    params = {
        "country": "CN",
        "by": "2035-01-01",
        "scenario": "tightened_controls",
        "versus": "status_quo",
    }
    body = await get_json(client, "/v1/probability", params)
    expected = forecaster.compare(
        "probability", "tightened_controls", "status_quo", country="CN", by="2035-01-01"
    )
    assert body == plain(expected)


async def test_race_equals_library(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/race", [("within", "1"), ("within", "3")])
    assert body == plain(forecaster.race(within_years=(1.0, 3.0)))
    body = await get_json(
        client, "/v1/race", {"scenario": "tightened_controls", "versus": "status_quo"}
    )
    expected = forecaster.compare(
        "race",
        "tightened_controls",
        "status_quo",
        within_years=(1.0, 2.0, 5.0),
        quantiles=(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95),
    )
    assert body == plain(expected)


async def test_trajectory_equals_library(client: Any, forecaster: Any) -> None:
    params = [
        ("quantity", "frontier_horizon_minutes"),
        ("country", "US"),
        ("at", "2024-06-30"),
        ("at", "2030-01-01"),
    ]
    body = await get_json(client, "/v1/trajectories", params)
    expected = forecaster.trajectory("frontier_horizon_minutes", "US", ["2024-06-30", "2030-01-01"])
    assert body == plain(expected)
    assert [p["date"] for p in body["points"]] == ["2024-06-30", "2030-01-01"]


async def test_trajectory_latent_path(client: Any, forecaster: Any) -> None:
    # the default answer is an observation's predictive (misfit and measurement error);
    # latent=true gives the latent frontier path, as `forecast ask trajectory --latent`. Asked
    # near the data end, where the observation noise is a visible part of the spread (by 2030
    # the path's own spread is thousands-fold and the noise is lost in its MC error)
    params = [("quantity", "frontier_horizon_minutes"), ("country", "US"), ("at", "2026-03-01")]
    body = await get_json(client, "/v1/trajectories", [*params, ("latent", "true")])
    expected = forecaster.trajectory("frontier_horizon_minutes", "US", ["2026-03-01"], latent=True)
    assert body == plain(expected)
    assert body["kind"] == "latent"
    predictive = await get_json(client, "/v1/trajectories", params)
    assert predictive["kind"].startswith("predictive of an observation")
    qs = [answer["points"][0]["quantiles"] for answer in (body, predictive)]
    width = [q[-1]["value"] / q[0]["value"] for q in qs]
    assert width[1] > width[0]


async def test_surprise_equals_library(client: Any, forecaster: Any) -> None:
    params = {"quantity": "frontier_eci", "date": "2025-01-20", "value": "140", "label": "R1"}
    body = await get_json(client, "/v1/surprise", params)
    assert body == plain(forecaster.surprise("frontier_eci", "2025-01-20", 140.0, label="R1"))


async def test_metaculus_export(client: Any, forecaster: Any) -> None:
    params = {"country": "CN", "lower": "2026-01-01", "upper": "2050-01-01"}
    body = await get_json(client, "/v1/exports/metaculus", params)
    assert body["points"] == 201 == len(body["cdf"]) == len(body["dates"])
    assert body["dates"][0] == "2026-01-01" and body["dates"][-1] == "2050-01-01"
    assert all(a <= b for a, b in zip(body["cdf"], body["cdf"][1:], strict=False))
    draws = forecaster.scenario(None).paths["CN"].arrival
    assert body["p_below_lower"]["p"] == pytest.approx(
        float((draws < body["lower_year"]).mean()), abs=1e-6
    )
    assert body["p_above_upper"]["p"] == pytest.approx(
        float((draws > body["upper_year"]).mean()), abs=1e-6
    )
    assert body["model_cdf"][-1] == pytest.approx(1 - body["p_above_upper"]["p"], abs=1e-6)
    default = await get_json(client, "/v1/exports/metaculus", {"country": "US"})
    assert default["upper"] == forecaster.arrival("US")["horizon_end"]


async def test_batch_equals_single_answers(client: Any, forecaster: Any) -> None:
    questions = [
        {"question": "arrival", "country": "CN", "quantiles": [0.5]},
        {"question": "probability", "country": "US", "by": "2030-12-31"},
        {"question": "race", "scenario": "tightened_controls", "versus": "status_quo"},
        {
            "question": "trajectory",
            "quantity": "frontier_eci",
            "country": "CN",
            "at": ["2028-01-01"],
        },
        {"question": "arrival", "country": "US", "scenario": "no_such_scenario"},
    ]
    response = await client.post("/v1/questions", json={"questions": questions})
    assert response.status_code == 200, response.text
    answers = response.json()["answers"]
    assert [a["status"] for a in answers] == [200, 200, 200, 200, 422]
    assert answers[0]["answer"] == plain(forecaster.arrival("CN", quantiles=(0.5,), cdf=False))
    assert answers[1]["answer"] == plain(forecaster.probability("US", "2030-12-31"))
    assert answers[3]["answer"] == plain(
        forecaster.trajectory("frontier_eci", "CN", ["2028-01-01"])
    )
    assert "no_such_scenario" in answers[4]["problem"]["detail"]


async def test_runs_endpoints(client: Any, run_id: str) -> None:
    runs = await get_json(client, "/v1/runs")
    assert runs["current"] == run_id
    assert [r["id"] for r in runs["runs"] if r["current"]] == [run_id]
    current = await get_json(client, "/v1/runs/current")
    assert current["id"] == run_id and current["current"] is True
    assert current["status"] == "passed"
    one = await get_json(client, f"/v1/runs/{run_id}")
    assert one == current


async def test_run_posterior_downloads_as_netcdf(
    client: Any, forecaster: Any, run_id: str, tmp_path: Any
) -> None:
    import numpy as np
    import xarray as xr

    response = await client.get(f"/v1/runs/{run_id}/posterior")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-netcdf")
    path = tmp_path / "posterior.nc"
    path.write_bytes(response.content)
    with xr.open_datatree(path, engine="h5netcdf") as tree:
        assert tree.attrs["id"] == run_id
        post = tree["posterior"].to_dataset()
        draws = np.asarray(post["efficiency_rate"].values).reshape(-1)
        assert np.array_equal(draws, forecaster.full_run.draws["efficiency_rate"])
    missing = await client.get("/v1/runs/19990101T000000-deadbeef/posterior")
    assert missing.status_code == 404


async def test_explicit_run_parameter(client: Any, forecaster: Any, run_id: str) -> None:
    body = await get_json(
        client, "/v1/probability", {"country": "CN", "by": "2040-01-01", "run": run_id}
    )
    assert body == plain(forecaster.probability("CN", "2040-01-01"))


async def test_catalog(client: Any) -> None:
    scenarios = await get_json(client, "/v1/scenarios")
    names = [s["name"] for s in scenarios["scenarios"]]
    assert "status_quo" in names and "tightened_controls" in names
    one = await get_json(client, "/v1/scenarios/tightened_controls")
    assert one["name"] == "tightened_controls"
    priors = await get_json(client, "/v1/priors")
    assert "default" in [p["name"] for p in priors["prior_sets"]]
    default = await get_json(client, "/v1/priors/default")
    assert default["name"] == "default" and default["priors"]
