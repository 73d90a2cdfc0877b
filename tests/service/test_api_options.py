"""threshold=, lever= and given= on the questions: the API equals the library."""

from __future__ import annotations

from typing import Any

import pytest

from forecast.questions import custom

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


async def get_json(client: Any, url: str, params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def subset(body: dict[str, Any], library: dict[str, Any]) -> None:
    """Every field the API returns equals the library's (the schema may leave ``options`` out)."""
    import json

    plain = json.loads(json.dumps(library, allow_nan=False, default=float))
    for key, value in body.items():
        assert value == plain[key], key


CASES = [
    ("arrival", {"country": "US", "threshold": "work_week"}, {"country": "US"}),
    ("arrival", {"country": "CN", "threshold": "horizon80:600"}, {"country": "CN"}),
    (
        "arrival",
        {
            "country": "CN",
            "scenario": "tightened_controls",
            "lever": ["CN.additions_multiplier=0.3", "start=2027-01-01"],
        },
        {"country": "CN"},
    ),
    (
        "probability",
        {"country": "US", "by": "2029-01-01", "given": ["CN.frontier_eci>=150@2027-06-30"]},
        {"country": "US", "by": "2029-01-01"},
    ),
    ("race", {"threshold": "eci:175"}, {}),
]


@pytest.mark.parametrize(("question", "params", "kwargs"), CASES)
async def test_options_equal_library(
    client: Any, forecaster: Any, question, params, kwargs
) -> None:  # type: ignore[no-untyped-def]
    url = {"arrival": "/v1/arrival", "probability": "/v1/probability", "race": "/v1/race"}[question]
    body = await get_json(client, url, params)
    options = custom.parse_options(
        params.get("threshold"), params.get("lever"), params.get("given")
    )
    expected = custom.ask(forecaster, question, options, scenario=params.get("scenario"), **kwargs)
    subset(body, expected)
    assert "|" in body["scenario"]


async def test_options_with_versus(client: Any, forecaster: Any) -> None:
    params = {"country": "US", "threshold": "work_day", "versus": "tightened_controls"}
    body = await get_json(client, "/v1/arrival", params)
    options = custom.parse_options("work_day")
    expected = custom.ask(
        forecaster,
        "arrival",
        options,
        scenario="status_quo",
        versus="tightened_controls",
        country="US",
    )
    subset(body, expected)


async def test_bad_options_are_400_in_words(client: Any) -> None:
    for params, key in [
        ({"country": "US", "threshold": "work week"}, "threshold"),
        ({"country": "US", "lever": "CN.speed"}, "lever"),
        ({"country": "US", "given": "CN.frontier_eci=>1@2027-01-01"}, "given"),
    ]:
        response = await client.get("/v1/arrival", params=params)
        assert response.status_code == 400, response.text
        assert key in response.json()["detail"]


async def test_unusable_options_are_422_in_words(client: Any) -> None:
    for params, words in [
        ({"country": "US", "threshold": "work_wek"}, "unknown threshold"),
        ({"country": "US", "lever": "CN.speed=2"}, "unknown lever"),
        ({"country": "US", "threshold": "eci:9999"}, "between"),
    ]:
        response = await client.get("/v1/arrival", params=params)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]
    params = {"quantity": "frontier_eci", "country": "CN", "at": "2028-01-01"}
    params["given"] = "CN.frontier_eci>=150@2027-06-30"
    response = await client.get("/v1/trajectories", params=params)
    assert response.status_code == 422


async def test_semantic_lever_problems_are_422(client: Any) -> None:
    response = await client.get(
        "/v1/arrival", params={"country": "US", "lever": "CN.additions_multiplier=0.5"}
    )
    assert response.status_code == 422
    assert "start" in response.json()["detail"]
    response = await client.get(
        "/v1/arrival", params={"country": "US", "given": "CN.frontier_eci>=400@2026-06-30"}
    )
    assert response.status_code == 422
    assert "effective draws" in response.json()["detail"]


# -- the batch: every question kind takes the options, answered as its GET endpoint -----------
LEVERS = ["CN.additions_multiplier=0.4", "start=2027-01-01"]
GIVEN = ["CN.frontier_eci>=150@2027-06-30"]
SAME = [
    (
        "/v1/arrival",
        {"country": "CN", "threshold": "horizon50:10080"},
        {"question": "arrival", "country": "CN", "cdf": True, "threshold": "horizon50:10080"},
    ),
    (
        "/v1/arrival",
        {
            "country": "CN",
            "scenario": "tightened_controls",
            "lever": LEVERS,
            "q": [0.1, 0.5],
            "cdf": False,
        },
        {
            "question": "arrival",
            "country": "CN",
            "scenario": "tightened_controls",
            "lever": LEVERS,
            "quantiles": [0.1, 0.5],
        },
    ),
    (
        "/v1/arrival",
        {"country": "US", "threshold": "work_day", "versus": "tightened_controls", "cdf": False},
        {
            "question": "arrival",
            "country": "US",
            "threshold": "work_day",
            "versus": "tightened_controls",
        },
    ),
    (
        "/v1/probability",
        {"country": "US", "by": "2029-01-01", "given": GIVEN},
        {"question": "probability", "country": "US", "by": "2029-01-01", "given": GIVEN},
    ),
    (
        "/v1/race",
        {"threshold": "eci:175", "lever": LEVERS, "given": GIVEN},
        {"question": "race", "threshold": "eci:175", "lever": LEVERS, "given": GIVEN},
    ),
    (
        "/v1/trajectories",
        {"quantity": "frontier_eci", "country": "CN", "at": ["2030-01-01"], "lever": LEVERS},
        {
            "question": "trajectory",
            "quantity": "frontier_eci",
            "country": "CN",
            "at": ["2030-01-01"],
            "lever": LEVERS,
        },
    ),
    (
        "/v1/surprise",
        {"quantity": "frontier_eci", "date": "2030-01-01", "value": 170.0, "threshold": "work_week"}
        | {"lever": LEVERS},
        {
            "question": "surprise",
            "quantity": "frontier_eci",
            "date": "2030-01-01",
            "value": 170.0,
            "threshold": "work_week",
            "lever": LEVERS,
        },
    ),
]


async def test_batch_options_equal_the_get_answers(client: Any, run_id: str) -> None:
    # both sides name the run: another test's server may make a new run current meanwhile
    batch = {"questions": [q for _, _, q in SAME], "run": run_id}
    response = await client.post("/v1/questions", json=batch)
    assert response.status_code == 200, response.text
    answers = response.json()["answers"]
    assert [a["status"] for a in answers] == [200] * len(SAME), answers
    kinds = set()
    for (url, params, question), item in zip(SAME, answers, strict=True):
        body = await get_json(client, url, {**params, "run": run_id})
        assert item["answer"] == body, (url, params)
        assert "|" in body["scenario"], body["scenario"]  # answered under the options
        kinds.add(question["question"])
    assert kinds == {"arrival", "probability", "race", "trajectory", "surprise"}
    plain_params = dict(SAME[5][1], lever=[], run=run_id)
    plain = (await get_json(client, "/v1/trajectories", plain_params))["points"]
    assert plain != answers[5]["answer"]["points"]  # the levers changed the trajectory


async def test_bad_batch_options_are_that_items_problem(client: Any) -> None:
    arrival = {"question": "arrival", "country": "US"}
    trajectory = {"question": "trajectory", "quantity": "frontier_eci", "country": "CN"}
    questions = [
        arrival | {"threshold": "work_week"},
        arrival | {"lever": ["start=2027-01-01", "CN.speed"]},
        {"question": "race", "threshold": "work week", "given": ["CN.frontier_eci=>1@2027-01-01"]},
        arrival | {"lever": ["CN.speed=2"]},
        trajectory | {"at": ["2028-01-01"], "given": GIVEN},
        arrival | {"given": ["CN.frontier_eci>=400@2026-06-30"]},
        {"question": "probability", "country": "CN", "by": "2031-01-01", "given": GIVEN},
    ]
    response = await client.post("/v1/questions", json={"questions": questions})
    assert response.status_code == 200, response.text
    answers = response.json()["answers"]
    assert [a["status"] for a in answers] == [200, 400, 400, 422, 422, 422, 200]
    assert "|" in answers[0]["answer"]["scenario"] and "|" in answers[6]["answer"]["scenario"]

    lever = answers[1]["problem"]
    assert [e["location"] for e in lever["errors"]] == ["body.questions[1].lever[1]"]
    get = await client.get("/v1/arrival", params={"country": "US", "lever": "CN.speed"})
    assert get.status_code == 400
    assert lever["errors"][0]["message"] == get.json()["errors"][0]["message"]
    assert lever["detail"] == get.json()["detail"]
    assert lever["type"] == get.json()["type"]

    race = answers[2]["problem"]
    assert [e["location"] for e in race["errors"]] == [
        "body.questions[2].threshold",
        "body.questions[2].given[0]",
    ]
    assert "threshold" in race["detail"] and "expected" in race["errors"][1]["message"]

    assert "unknown lever" in answers[3]["problem"]["detail"]
    assert "cannot be conditioned" in answers[4]["problem"]["detail"]
    assert "effective draws" in answers[5]["problem"]["detail"]


async def test_batch_options_cost_what_the_gets_cost(home: Any, settings_for: Any) -> None:
    """Each item is charged as its GET endpoint is: the 413 of a one-unit limit states both."""
    import re

    from litestar.testing import AsyncTestClient

    from service.app import create_app

    app = create_app(settings_for(home, max_request_cost=1))
    costs = re.compile(r"costs ([0-9,]+) units")
    async with AsyncTestClient(app=app) as tight:
        for url, params, question in SAME:
            get = await tight.get(url, params=params)
            batch = await tight.post("/v1/questions", json={"questions": [question]})
            assert get.status_code == batch.status_code == 413, (get.text, batch.text)
            get_cost = costs.search(get.json()["detail"])
            batch_cost = costs.search(batch.json()["detail"])
            assert get_cost and batch_cost and get_cost.group(1) == batch_cost.group(1), url


async def test_a_changed_prior_answers_like_the_library(client: Any, forecaster: Any) -> None:
    from forecast.questions.reweight import reweighted

    prior = "threshold_horizon_minutes:1000:10000"
    response = await client.get(
        "/v1/arrival", params={"country": "CN", "prior": prior, "cdf": "false"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    changed, diagnostics = reweighted(forecaster, [prior])
    assert body["reweighting"] == diagnostics
    assert body["quantiles"] == changed.arrival("CN", cdf=False)["quantiles"]
    race = (await client.get("/v1/race", params={"prior": prior})).json()
    assert race["p_first"] == changed.race()["p_first"]
    bad = await client.get("/v1/arrival", params={"country": "CN", "prior": "threshold=1..2"})
    assert bad.status_code == 400 and "NAME:LOW:HIGH" in bad.json()["detail"]
    unknown = await client.get("/v1/arrival", params={"country": "CN", "prior": "nope:1:2"})
    assert unknown.status_code == 422 and "not a prior" in unknown.json()["detail"]


async def test_option_answers_say_which_options_they_used(client: Any) -> None:
    response = await client.get(
        "/v1/arrival", params={"country": "US", "threshold": "work_week", "cdf": "false"}
    )
    assert response.status_code == 200
    assert response.json()["options"]["threshold"]["name"] == "work_week"
