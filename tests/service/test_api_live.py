"""What the API accepts follows the forecasters' files: scenario names and the date range.

Scenario names are checked against ``scenarios.toml`` when a question is answered, and the
OpenAPI document lists the names the file holds when an app is built. The accepted dates run
from ``EARLIEST_DATE`` to the last day of the default prior set's ``horizon_end_year``; a date
outside them is a 400 that says the range in words. Each test works on a copy of ``priors/``
(``FORECAST_PRIORS_DIR``), so the repository's files are never edited.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from forecast.core.definitions import EARLIEST_DATE, priors_dir
from forecast.priors.priorset import load_prior_set

pytestmark = pytest.mark.anyio

REPO_PRIORS = priors_dir()
NEW_SCENARIO = """

[scenario.test_live_shock]
description = "Added by a test after the app started."
sources = ["test"]
start = 2027-01-01
[scenario.test_live_shock.CN]
additions_multiplier = 0.5
"""


@pytest.fixture
def priors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of ``priors/`` that the service reads (``FORECAST_PRIORS_DIR``)."""
    folder = tmp_path / "priors"
    shutil.copytree(REPO_PRIORS, folder)
    monkeypatch.setenv("FORECAST_PRIORS_DIR", str(folder))
    return folder


def build(home: Path, settings_for: Any) -> Any:
    from service.app import create_app

    return create_app(settings_for(home))


def scenario_enums(app: Any) -> list[list[str]]:
    """Every scenario enum in the app's OpenAPI document (query parameters and body fields)."""
    text = app.openapi_schema.to_schema()
    found: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("title") == "ScenarioName":
                found.append(node.get("enum"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(text)
    return found


def accepted_range() -> tuple[date, date]:
    """The range the API must accept, straight from the settings."""
    end_year = float(load_prior_set("default").settings["horizon_end_year"])
    return EARLIEST_DATE, date(int(end_year), 12, 31)


async def test_a_new_scenario_shows_in_the_next_app_and_the_running_one_lists_it(
    priors: Path, tmp_path: Path, settings_for: Any
) -> None:
    first = build(tmp_path / "store", settings_for)
    enums = scenario_enums(first)
    assert enums and all(e and "tightened_controls" in e for e in enums)
    assert not any("test_live_shock" in e for e in enums)
    with (priors / "scenarios.toml").open("a", encoding="utf-8") as fh:
        fh.write(NEW_SCENARIO)
    rebuilt = build(tmp_path / "store", settings_for)
    async with AsyncTestClient(app=rebuilt) as client:
        document = (await client.get("/schema/openapi.json")).json()
    params = document["paths"]["/v1/arrival"]["get"]["parameters"]
    scenario = next(p for p in params if p["name"] == "scenario")
    assert "test_live_shock" in scenario["schema"]["enum"]
    assert all("test_live_shock" in e for e in scenario_enums(rebuilt))
    async with AsyncTestClient(app=first) as client:  # the app built before the edit
        names = [s["name"] for s in (await client.get("/v1/scenarios")).json()["scenarios"]]
    assert "test_live_shock" in names


@pytest.mark.fit
async def test_a_running_app_answers_a_scenario_added_after_it_started(
    priors: Path, home: Path, settings_for: Any
) -> None:
    app = build(home, settings_for)
    params = {"country": "CN", "scenario": "test_live_shock"}
    async with AsyncTestClient(app=app) as client:
        before = await client.get("/v1/arrival", params=params)
        assert before.status_code == 422, before.text
        assert before.json()["type"].endswith(":problem:unknown-scenario")
        assert "tightened_controls" in before.json()["detail"]
        with (priors / "scenarios.toml").open("a", encoding="utf-8") as fh:
            fh.write(NEW_SCENARIO)
        after = await client.get("/v1/arrival", params=params)
        assert after.status_code == 200, after.text
        assert after.json()["scenario"] == "test_live_shock"


async def test_the_api_date_range_is_the_settings_range(
    priors: Path, tmp_path: Path, settings_for: Any
) -> None:
    first, last = accepted_range()
    words = f"a date YYYY-MM-DD between {first.isoformat()} and {last.isoformat()}"
    app = build(tmp_path / "store", settings_for)
    document = app.openapi_schema.to_schema()
    params = document["paths"]["/v1/probability"]["get"]["parameters"]
    by = next(p for p in params if p["name"] == "by")
    assert words in by["description"]
    pattern = re.compile(by["schema"]["pattern"])
    assert pattern.match(first.isoformat()) and pattern.match(last.isoformat())
    assert not pattern.match((first - timedelta(days=1)).isoformat())
    assert not pattern.match((last + timedelta(days=1)).isoformat())
    batch_by = document["components"]["schemas"]["ProbabilityQuestion"]["properties"]["by"]
    assert batch_by["pattern"] == by["schema"]["pattern"] and words in batch_by["description"]

    async with AsyncTestClient(app=app) as client:
        for inside in (first, last):  # accepted: the empty store answers 503, not 400
            response = await client.get("/v1/probability", params={"country": "US", "by": inside})
            assert response.status_code == 503, response.text
        for outside in (first - timedelta(days=1), last + timedelta(days=1), "2030/01/01"):
            response = await client.get("/v1/probability", params={"country": "US", "by": outside})
            assert response.status_code == 400, response.text
            body = response.json()
            assert body["errors"][0]["location"] == "query.by"
            assert words in body["errors"][0]["message"]
            assert "^" not in body["detail"] and "regex" not in body["detail"]
        question = {"question": "probability", "country": "US", "by": str(last.year + 1) + "-01-01"}
        response = await client.post("/v1/questions", json={"questions": [question]})
        assert response.status_code == 400, response.text
        assert words in response.text and "regex" not in response.text


async def test_the_date_range_follows_an_edited_horizon(
    priors: Path, tmp_path: Path, settings_for: Any
) -> None:
    default = priors / "default.toml"
    text = default.read_text(encoding="utf-8")
    edited = re.sub(r"(?m)^horizon_end_year = [0-9.]+", "horizon_end_year = 2070.0", text)
    assert edited != text
    default.write_text(edited, encoding="utf-8")
    assert accepted_range()[1] == date(2070, 12, 31)
    app = build(tmp_path / "store", settings_for)
    params = app.openapi_schema.to_schema()["paths"]["/v1/trajectories"]["get"]["parameters"]
    at = next(p for p in params if p["name"] == "at")
    assert "2070-12-31" in at["description"] and "2070" in at["schema"]["items"]["pattern"]
    async with AsyncTestClient(app=app) as client:
        ok = {"quantity": "frontier_eci", "country": "US", "at": ["2030-01-01", "2070-12-31"]}
        assert (await client.get("/v1/trajectories", params=ok)).status_code == 503
        late = ok | {"at": "2071-01-01"}
        response = await client.get("/v1/trajectories", params=late)
        assert response.status_code == 400 and "2070-12-31" in response.text


async def test_a_string_that_cannot_be_a_scenario_is_a_400_listing_the_names(
    priors: Path, tmp_path: Path, settings_for: Any
) -> None:
    with (priors / "scenarios.toml").open("a", encoding="utf-8") as fh:
        fh.write(NEW_SCENARIO)
    app = build(tmp_path / "store", settings_for)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/v1/race", params={"versus": "../etc"})
        assert response.status_code == 400, response.text
        item = response.json()["errors"][0]
        assert item["location"] == "query.versus"
        assert "tightened_controls" in item["message"] and "test_live_shock" in item["message"]
        question = {"question": "race", "scenario": "no such name!"}
        response = await client.post("/v1/questions", json={"questions": [question]})
        assert response.status_code == 400, response.text
        assert "test_live_shock" in response.text and "regex" not in response.text


def test_every_handler_checks_its_live_scenario_names() -> None:
    """A handler taking a scenario name as a plain string must pass it to ``check_query``.

    The OpenAPI document lists the names as an enum, so a handler that forgot the live check
    would answer an empty or malformed name with the baseline instead of a 400.
    """
    import ast

    live_types = {"ScenarioQuery", "VersusQuery"}
    missing = []
    for path in sorted((Path(__file__).parents[2] / "service").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            names = [
                a.arg
                for a in node.args.args + node.args.kwonlyargs
                if isinstance(a.annotation, ast.Name) and a.annotation.id in live_types
            ]
            if not names:
                continue
            checked = set()
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check_query":
                    checked |= {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
            missing += [f"{path}:{node.name}({n})" for n in names if n not in checked]
    assert not missing, f"scenario names not checked live: {missing}"
