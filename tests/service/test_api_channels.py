"""China's supply channels over HTTP: ``component=`` on trajectories and channel levers."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.fit]

TRAJECTORY = "/v1/trajectories?quantity=chip_additions_h100e_per_year&country=CN&at=2027-01-01"


async def test_a_channel_trajectory(client: Any) -> None:
    whole = (await client.get(TRAJECTORY)).json()
    parts = {}
    for channel in ("domestic", "legal", "smuggled"):
        response = await client.get(f"{TRAJECTORY}&component={channel}&q=0.5")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["component"] == channel
        parts[channel] = body["points"][0]["quantiles"][0]["value"]
    median = next(q["value"] for q in whole["points"][0]["quantiles"] if q["q"] == 0.5)
    # medians do not add, but every channel is a part of the whole
    assert all(0 <= v < median for v in parts.values())


async def test_a_channel_lever_over_http(client: Any) -> None:
    url = (
        f"{TRAJECTORY}&component=smuggled&q=0.5"
        "&lever=CN.smuggled.additions_multiplier%3D0.5&lever=start%3D2026-07-01"
    )
    cut = (await client.get(url)).json()["points"][0]["quantiles"][0]["value"]
    base = (await client.get(f"{TRAJECTORY}&component=smuggled&q=0.5")).json()
    assert cut == pytest.approx(0.5 * base["points"][0]["quantiles"][0]["value"], rel=1e-3)


@pytest.mark.parametrize(
    ("url", "word"),
    [
        (TRAJECTORY + "&component=imports", "component"),
        (TRAJECTORY.replace("country=CN", "country=US") + "&component=legal", "no supply channels"),
        (
            TRAJECTORY.replace("chip_additions_h100e_per_year", "frontier_eci")
            + "&component=legal",
            "only",
        ),
        (
            TRAJECTORY + "&lever=CN.imports.additions_multiplier%3D0.5&lever=start%3D2026-07-01",
            "imports",
        ),
        (
            TRAJECTORY + "&lever=CN.legal.efficiency_jump_oom%3D0.5&lever=start%3D2026-07-01",
            "takes only",
        ),
    ],
)
async def test_bad_channel_requests_are_400(client: Any, url: str, word: str) -> None:
    response = await client.get(url)
    # 400: the request's shape; 422: a well-formed question the model cannot answer
    assert response.status_code in (400, 422), response.text
    assert word in response.json()["detail"]
