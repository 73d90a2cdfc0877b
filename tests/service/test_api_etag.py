"""ETag = hash(run id + canonical query); 304 on If-None-Match; Cache-Control on every answer."""

from __future__ import annotations

from typing import Any

import pytest

from service.etag import canonical_query, make_etag, matches

pytestmark = pytest.mark.anyio


@pytest.mark.fit
async def test_question_etag_and_304(client: Any) -> None:
    params = {"country": "CN", "by": "2035-01-01"}
    first = await client.get("/v1/probability", params=params)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, max-age=60"
    again = await client.get("/v1/probability", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get(
        "/v1/probability", params=params, headers={"If-None-Match": f"W/{etag}"}
    )
    assert weak.status_code == 304
    listed = await client.get(
        "/v1/probability", params=params, headers={"If-None-Match": f'"other", {etag}'}
    )
    assert listed.status_code == 304
    stale = await client.get("/v1/probability", params=params, headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.json() == first.json()


@pytest.mark.fit
async def test_etag_follows_run_and_query(client: Any, run_id: str) -> None:
    a = await client.get("/v1/arrival", params=[("country", "US"), ("q", "0.5"), ("cdf", "false")])
    b = await client.get("/v1/arrival", params=[("cdf", "false"), ("q", "0.5"), ("country", "US")])
    c = await client.get("/v1/arrival", params=[("country", "CN"), ("q", "0.5"), ("cdf", "false")])
    assert a.headers["etag"] == b.headers["etag"] != c.headers["etag"]
    explicit = await client.get(
        "/v1/arrival", params=[("country", "US"), ("q", "0.5"), ("cdf", "false"), ("run", run_id)]
    )
    assert explicit.json() == a.json()
    assert explicit.headers["etag"] != a.headers["etag"]


@pytest.mark.fit
async def test_run_and_catalog_etags(client: Any, run_id: str) -> None:
    for url in (
        f"/v1/runs/{run_id}",
        "/v1/runs/current",
        "/v1/runs",
        "/v1/scenarios",
        "/v1/priors",
    ):
        first = await client.get(url)
        assert first.status_code == 200, url
        assert first.headers["cache-control"].startswith("public")
        again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, url


@pytest.mark.fit
async def test_jobs_are_not_cached(client: Any) -> None:
    response = await client.get("/v1/refits")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    health = await client.get("/health")
    assert health.headers["cache-control"] == "no-store"


def test_canonical_query_sorts_names_and_keeps_repeats_in_order() -> None:
    assert canonical_query(b"q=0.9&country=US&q=0.1") == "country=US&q=0.9&q=0.1"
    assert canonical_query("") == ""


def test_if_none_match_comparison() -> None:
    tag = make_etag("run", "query")
    assert matches(tag, tag) and matches("*", tag) and matches(f"W/{tag}", tag)
    assert matches(f'"x", {tag}', tag)
    assert not matches(None, tag) and not matches('"x"', tag)
    assert make_etag("a", "b") != make_etag("a", "c") and make_etag("ab", "") != make_etag("a", "b")
