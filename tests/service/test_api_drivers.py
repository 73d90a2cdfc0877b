"""/v1/drivers and /v1/thresholds equal the library."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from forecast.questions.drivers import drivers
from forecast.questions.thresholds import load_thresholds

pytestmark = [pytest.mark.anyio, pytest.mark.fit]


def plain(value: Any) -> Any:
    """A library answer as JSON carries it (NaN and infinities become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return json.loads(json.dumps(value))


async def test_drivers_equal_library(client: Any, forecaster: Any) -> None:
    for params, kwargs in [
        ({"country": "US"}, {}),
        (
            {"country": "CN", "quantity": "p_by", "by": "2030-01-01"},
            {"quantity": "p_by", "by": "2030-01-01"},
        ),
    ]:
        response = await client.get("/v1/drivers", params=params)
        assert response.status_code == 200, response.text
        assert response.json() == drivers(forecaster, params["country"], **kwargs)


async def test_thresholds_listed(client: Any) -> None:
    response = await client.get("/v1/thresholds")
    assert response.status_code == 200
    assert response.json() == load_thresholds().to_dict()


async def test_psense_equals_library(client: Any, forecaster: Any) -> None:
    from forecast.questions.psense import prior_sensitivity

    response = await client.get("/v1/psense")
    assert response.status_code == 200, response.text
    assert response.json() == plain(prior_sensitivity(forecaster))
    bad = await client.get("/v1/psense", params={"scenario": ""})
    assert bad.status_code == 400
