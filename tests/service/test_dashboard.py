"""The dashboard page, its static assets and the threshold read helper (no browser here).

The browser tests in ``tests/browser`` drive the page in Chromium; these check what the server
sends: the page shell and its headers, the assets (own code only, nothing from another origin),
and ``/v1/dashboard/threshold`` against the library's per-draw threshold.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from forecast.core.definitions import REGISTRY
from service.dashboard.controller import STATIC_DIR, ask_threshold

pytestmark = pytest.mark.anyio

ANY_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


async def test_page_is_served_at_the_root_with_a_strict_policy(empty_client: Any) -> None:
    # the page itself needs no run: it says so once its script asks the API
    response = await empty_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    html = response.text
    assert '<html lang="en">' in html
    assert '<select id="scenario"' in html and '<select id="versus"' in html
    assert '<button id="show" type="submit">' in html
    assert 'role="status"' in html
    # scripts and style sheets come from this origin only; outside links are plain anchors
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
        for url in ANY_URL.findall(tag):
            assert url.startswith(("/dashboard/static/", "data:")), tag
    assert "https://creativecommons.org/licenses/by/4.0/" in html
    assert "https://epoch.ai/data/ai-models" in html and "https://metr.org/time-horizons/" in html
    assert 'href="/v1/reports"' in html


async def test_the_page_carries_the_country_registry(empty_client: Any) -> None:
    html = (await empty_client.get("/")).text
    match = re.search(
        r'<script type="application/json" id="countries">(.*?)</script>', html, flags=re.S
    )
    assert match, "no country registry in the page"
    countries = json.loads(match.group(1))
    assert countries == [
        {"code": c.code, "name": c.name, "colour": c.colour, "reference": c.reference}
        for c in REGISTRY
    ]
    # every country's Metaculus export is linked; the noscript link names the reference country
    for c in REGISTRY:
        assert f'href="/v1/exports/metaculus?country={c.code}"' in html
    assert f'href="/v1/arrival?country={REGISTRY[0].code}"' in html


def test_the_script_names_no_country() -> None:
    """Country codes, names and colours come from the page's registry, not the script."""
    script = (STATIC_DIR / "dashboard.js").read_text(encoding="utf-8")
    style = (STATIC_DIR / "dashboard.css").read_text(encoding="utf-8")
    for c in REGISTRY:
        assert not re.search(rf"\b{c.code}\b", script), c.code
        assert c.name not in script
        assert c.colour.lower() not in (script + style).lower(), c.colour


async def test_static_assets_are_served_and_self_contained(empty_client: Any) -> None:
    html = (await empty_client.get("/")).text
    urls = re.findall(r'"(/dashboard/static/[^"]+)"', html)
    assert {u.split("?")[0] for u in urls} == {
        "/dashboard/static/dashboard.js",
        "/dashboard/static/dashboard.css",
    }
    for url in urls:
        response = await empty_client.get(url)
        assert response.status_code == 200, url
        kind = "javascript" if ".js" in url else "css"
        assert kind in response.headers["content-type"]
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        # no fetch, import or url() of another origin (the SVG namespace is a name, not a load)
        outside = re.findall(r"https?://[^\s\"'`)]+", text)
        assert set(outside) <= {"http://www.w3.org/2000/svg"}, (path.name, outside)
    assert (await empty_client.get("/dashboard/static/nothing.js")).status_code == 404


async def test_the_page_is_not_in_the_api_schema_but_the_threshold_is(empty_client: Any) -> None:
    schema = (await empty_client.get("/schema/openapi.json")).json()
    assert "/" not in schema["paths"]
    assert not any(p.startswith("/dashboard/static") for p in schema["paths"])
    operation = schema["paths"]["/v1/dashboard/threshold"]["get"]
    assert operation["operationId"] == "getDashboardThreshold"
    assert operation["tags"] == ["dashboard"]
    assert {p["name"] for p in operation["parameters"]} == {"scenario", "q", "run"}
    assert "dashboard" in {t["name"] for t in schema["tags"]}


async def test_threshold_needs_a_run(empty_client: Any) -> None:
    response = await empty_client.get("/v1/dashboard/threshold")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.fit
async def test_threshold_is_the_library_threshold(client: Any, forecaster: Any) -> None:
    response = await client.get("/v1/dashboard/threshold")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["question"] == "threshold" and answer["source"] == "prior"
    assert answer["scenario"] == "status_quo" and answer["unit"] == "ECI"
    assert answer["run_id"] == forecaster.run.id
    draws = np.asarray(forecaster.projector.threshold_capability)
    minutes = np.asarray(forecaster.projector.draws["threshold_horizon_minutes"])
    assert [row["q"] for row in answer["quantiles"]] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    for row in answer["quantiles"]:
        assert row["eci"] == pytest.approx(np.quantile(draws, row["q"]), rel=1e-5)
        assert row["horizon_minutes"] == pytest.approx(np.quantile(minutes, row["q"]), rel=1e-5)
        assert 0 < row["eci_mcse"] < 5
        assert 0 <= row["horizon_minutes_mcse"] < row["horizon_minutes"]
    assert 1 <= answer["n_eff"] <= draws.size
    # conditional GET, as for every answer
    again = await client.get(
        "/v1/dashboard/threshold", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    chosen = await client.get(
        "/v1/dashboard/threshold", params={"q": [0.5], "run": answer["run_id"]}
    )
    assert [row["q"] for row in chosen.json()["quantiles"]] == [0.5]


@pytest.mark.fit
async def test_threshold_errors_are_problem_details(client: Any) -> None:
    unknown = await client.get("/v1/dashboard/threshold", params={"scenario": "no_such"})
    assert unknown.status_code == 422
    assert "no_such" in unknown.json()["detail"]
    assert (await client.get("/v1/dashboard/threshold", params={"run": "nope"})).status_code == 404
    assert (await client.get("/v1/dashboard/threshold", params={"q": 1.5})).status_code == 400


@pytest.mark.fit
def test_a_scenario_threshold_override_is_used(forecaster: Any) -> None:
    base = forecaster.scenarios["status_quo"]
    forecaster.scenarios["dash_test_override"] = replace(
        base, name="dash_test_override", threshold_horizon_minutes=20_000.0
    )
    try:
        answer = ask_threshold(forecaster, "dash_test_override", (0.5,))
    finally:
        del forecaster.scenarios["dash_test_override"]
    assert answer["source"] == "scenario"
    (row,) = answer["quantiles"]
    assert row["horizon_minutes"] == 20_000.0 and row["horizon_minutes_mcse"] == 0.0
    expected = np.quantile(forecaster.projector.capability_for_horizon(20_000.0), 0.5)
    assert row["eci"] == pytest.approx(expected, rel=1e-5)
