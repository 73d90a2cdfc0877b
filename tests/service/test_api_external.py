"""/v1/external and the Metaculus export equal the library; the export passes every rule."""

from __future__ import annotations

from typing import Any

import pytest

from forecast.questions.external import external
from forecast.questions.metaculus import metaculus_forecast, rule_violations

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


async def test_external_equals_library(client: Any, forecaster: Any) -> None:
    response = await client.get("/v1/external")
    assert response.status_code == 200, response.text
    assert response.json() == external(forecaster)
    one = await client.get("/v1/external", params={"source": "metr_trend_work_month"})
    assert [r["id"] for r in one.json()["forecasts"]] == ["metr_trend_work_month"]
    assert (await client.get("/v1/external", params={"source": "nope"})).status_code == 422


@pytest.mark.parametrize("scenario", ["status_quo", "tightened_controls"])
@pytest.mark.parametrize("country", ["US", "CN"])
async def test_metaculus_export_equals_library(
    client: Any, forecaster: Any, scenario, country
) -> None:  # type: ignore[no-untyped-def]
    params = {
        "country": country,
        "scenario": scenario,
        "lower": "2026-01-01",
        "upper": "2045-01-01",
        "lower_open": "true",
        "upper_open": "false",
    }
    response = await client.get("/v1/exports/metaculus", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == metaculus_forecast(
        forecaster, country, scenario, "2026-01-01", "2045-01-01", True, False
    )
    assert rule_violations(body["cdf"], True, False) == {}
