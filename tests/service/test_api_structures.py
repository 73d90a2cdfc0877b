"""Model structures over HTTP: ``structure`` and ``by_structure`` on the questions, and the
``/v1/structures``, ``/v1/structures/effects`` and ``/v1/race/sources`` answers (the library's
numbers, as JSON carries them)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from forecast.core.definitions import STRUCTURE_NAMES

pytestmark = pytest.mark.anyio
fit = pytest.mark.fit


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
    return response.json()


@fit
async def test_structures_lists_every_structure(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/structures")
    assert body == plain(_structures(forecaster))
    names = [row["structure"] for row in body["structures"]]
    assert sorted(names) == sorted(STRUCTURE_NAMES)
    assert len(names) == 4
    assert math.isclose(sum(row["weight"] for row in body["structures"]), 1.0, abs_tol=1e-3)


def _structures(f: Any) -> Any:
    from forecast.questions.structures import structures

    return structures(f)


@fit
async def test_arrival_under_one_structure(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/arrival", {"country": "CN", "structure": "diffusion"})
    expected = forecaster.for_structure("diffusion").arrival("CN")
    assert body["structure"] == "diffusion"
    assert body["quantiles"] == plain(expected["quantiles"])
    assert body == plain(expected)


@fit
async def test_default_and_mixture_are_the_mixture(client: Any, forecaster: Any) -> None:
    default = await get_json(client, "/v1/probability", {"country": "US", "by": "2035-01-01"})
    mixture = await get_json(
        client, "/v1/probability", {"country": "US", "by": "2035-01-01", "structure": "mixture"}
    )
    assert default == mixture == plain(forecaster.probability("US", "2035-01-01"))
    assert default["structure"] == "mixture"


@fit
async def test_arrival_comparison_by_structure(client: Any, forecaster: Any) -> None:
    params = {
        "country": "CN",
        "scenario": "tightened_controls",
        "versus": "status_quo",
        "by_structure": "true",
    }
    body = await get_json(client, "/v1/arrival", params)
    assert body["structure"] == "mixture"
    entries = body["by_structure"]
    assert [e["structure"] for e in entries] == [
        row["structure"] for row in forecaster.structures()
    ]
    assert len(entries) == 4
    for entry in entries:
        difference = entry["answer"]["difference"]
        assert difference["quantile_shift"]
        assert set(difference["p_first"]) == {"delta", "mcse"}
        assert entry["answer"]["structure"] == entry["structure"]
        assert entry["answer"]["answers"]["tightened_controls"]["structure"] == entry["structure"]
    one = forecaster.for_structure(entries[1]["structure"]).compare(
        "arrival",
        "tightened_controls",
        "status_quo",
        country="CN",
        quantiles=(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95),
        cdf=True,
    )
    got = entries[1]["answer"]["difference"]
    assert got["quantile_shift"] == plain(one["difference"]["quantile_shift"])
    assert got["p_first"] == plain(one["difference"]["p_first"])


@fit
async def test_race_by_structure_and_trajectory_structure(client: Any, forecaster: Any) -> None:
    body = await get_json(client, "/v1/race", {"by_structure": "true", "structure": "diffusion"})
    assert body["structure"] == "diffusion"
    assert len(body["by_structure"]) == 4
    assert body["p_first"] == plain(forecaster.for_structure("diffusion").race()["p_first"])
    params = {
        "quantity": "frontier_eci",
        "country": "US",
        "at": "2030-01-01",
        "structure": "deployment_compute",
    }
    traj = await get_json(client, "/v1/trajectories", params)
    expected = forecaster.for_structure("deployment_compute").trajectory(
        "frontier_eci", "US", ["2030-01-01"]
    )
    assert traj == plain(expected)


@fit
async def test_batch_items_take_structure(client: Any, forecaster: Any) -> None:
    batch = {
        "questions": [
            {"question": "arrival", "country": "CN", "structure": "diffusion"},
            {"question": "probability", "country": "US", "by": "2035-01-01", "by_structure": True},
        ]
    }
    response = await client.post("/v1/questions", json=batch)
    assert response.status_code == 200, response.text
    first, second = response.json()["answers"]
    assert first["status"] == 200 and first["answer"]["structure"] == "diffusion"
    assert first["answer"]["quantiles"] == plain(
        forecaster.for_structure("diffusion").arrival("CN", cdf=False)["quantiles"]
    )
    assert second["status"] == 200 and len(second["answer"]["by_structure"]) == 4


@fit
async def test_unknown_structure_is_400_naming_it(client: Any) -> None:
    response = await client.get("/v1/arrival", params={"country": "CN", "structure": "magic"})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert "structure" in response.text
    assert any("structure" in (e.get("location") or "") for e in problem.get("errors", []))


@fit
async def test_unfitted_structure_is_422(client: Any, forecaster: Any) -> None:
    from forecast.core.errors import UsageError
    from service.domains.options import structure_forecaster

    one = forecaster.for_structure("diffusion")
    with pytest.raises(UsageError, match="did not fit structure 'global_efficiency'"):
        structure_forecaster(one, "global_efficiency")


@fit
async def test_scenario_effects_equal_library(client: Any, forecaster: Any) -> None:
    from forecast.questions.structures import scenario_effects

    body = await get_json(client, "/v1/structures/effects", {"scenario": "tightened_controls"})
    assert body == plain(scenario_effects(forecaster, ["tightened_controls"]))
    assert {row["structure"] for row in body["rows"]} == {"mixture", *STRUCTURE_NAMES}


@fit
async def test_race_sources_equal_library(client: Any, forecaster: Any) -> None:
    from forecast.questions.structures import race_sources

    body = await get_json(client, "/v1/race/sources", {"scenario": "tightened_controls"})
    assert body == plain(race_sources(forecaster, "tightened_controls"))
    assert len(body["by_structure"]) == 4


@fit
async def test_drivers_and_export_take_structure(client: Any) -> None:
    body = await get_json(
        client, "/v1/exports/metaculus", {"country": "CN", "structure": "diffusion"}
    )
    assert body["structure"] == "diffusion"
    body = await get_json(client, "/v1/drivers", {"country": "US", "by_structure": "true"})
    assert body["structure"] == "mixture"
    assert [e["answer"]["structure"] for e in body["by_structure"]] == [
        e["structure"] for e in body["by_structure"]
    ]


@pytest.mark.fast
async def test_unknown_structure_refused_before_any_run(empty_client: Any) -> None:
    for url, params, bad in [
        ("/v1/race", {"structure": "nope"}, "structure"),
        ("/v1/race/sources", {"structure": "nope"}, "structure"),
        ("/v1/arrival", {"country": "CN", "by_structure": "maybe"}, "by_structure"),
    ]:
        response = await empty_client.get(url, params=params)
        assert response.status_code == 400, (url, response.text)
        errors = response.json().get("errors", [])
        assert any(e.get("location") == f"query.{bad}" for e in errors), response.text


@pytest.mark.fast
def test_by_structure_costs_structures_plus_one() -> None:
    from service.domains.questions.cost import arrival_points, batch_points
    from service.domains.questions.schemas import ArrivalQuestion

    plain_q = ArrivalQuestion(country="CN")
    split_q = ArrivalQuestion(country="CN", by_structure=True)
    one = arrival_points(None, False, 100)
    assert batch_points([plain_q], 100, structures=4) == one
    assert batch_points([split_q], 100, structures=4) == 5 * one
    assert batch_points([plain_q, split_q], 100, structures=4) == 6 * one
