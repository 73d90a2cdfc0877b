"""JSON answers with ETags: cached question answers and body-hashed listings, 304 when unchanged.

:func:`respond` wraps a question for a GET endpoint: resolve the run (explicit, or current),
derive the ETag from the run, path, canonical query and scenario-file stamp, answer 304 when the
client has it, serve the encoded answer from the cache when it is there, and otherwise charge
the question's cost (draws x points, :func:`service.limits.charge`: 413 above the per-request
limit, 429 when the client's budget is spent), compute it in a worker thread, check it against
the response schema and cache it. :func:`cached_json`
serves a body that belongs to no run (catalogs, listings) under a hash of the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec

from forecast.questions.forecaster import Forecaster
from service.etag import (
    QUESTION_CACHE_CONTROL,
    body_etag,
    canonical_query,
    make_etag,
    matches,
    not_modified,
)
from service.limits import charge
from service.runtime import Services

JSON = "application/json"
DEFAULT_POINTS = 100
"""Points of a question whose endpoint does not say (see :mod:`service.domains.questions.cost`)."""
NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="Not modified (ETag matched)")}
"""OpenAPI entry of the 304 answer of every endpoint with an ETag."""


def encode_answer(answer: dict[str, Any], schema: Any) -> bytes:
    """The answer checked against its response schema and encoded as JSON."""
    return msgspec.json.encode(msgspec.convert(answer, schema))


def cached_json(request: Request[Any, Any, Any], body: bytes, max_age: int) -> Response[Any]:
    """A JSON response with a body-hash ETag (304 when the client has it)."""
    etag = body_etag(body)
    cache_control = QUESTION_CACHE_CONTROL.format(max_age=max_age)
    if matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, cache_control)
    return Response(
        content=body, media_type=JSON, headers={"ETag": etag, "Cache-Control": cache_control}
    )


async def respond(
    request: Request[Any, Any, Any],
    services: Services,
    run: str | None,
    compute: Callable[[Forecaster], dict[str, Any]],
    schema: Any,
    vary: str = "",
    points: Callable[[Forecaster], int] | None = None,
) -> Response[Any]:
    """Answer a GET question with ETag, 304, Cache-Control and the answer cache.

    ``vary`` enters the ETag for answers that depend on more than the run and the query (the
    Metaculus export's default lower bound is today). ``points(forecaster)`` is the question's
    cost per draw (default :data:`DEFAULT_POINTS`), charged only when it is computed.
    """
    run_id = run or services.current.require()
    etag = make_etag(
        "question",
        run_id,
        request.scope["path"],
        canonical_query(request.scope.get("query_string", b"")),
        services.pool.scenario_stamp(),
        vary,
    )
    cache_control = QUESTION_CACHE_CONTROL.format(max_age=services.settings.api.max_age)
    if matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, cache_control)
    body = services.answers.get(etag)
    if body is None:
        forecaster = await services.pool.get(run_id)
        per_draw = points(forecaster) if points is not None else DEFAULT_POINTS
        charge(request, int(forecaster.projector.n_draws) * per_draw)
        answer = await anyio.to_thread.run_sync(compute, forecaster)
        body = encode_answer(answer, schema)
        services.answers.put(etag, body)
    return Response(
        content=body, media_type=JSON, headers={"ETag": etag, "Cache-Control": cache_control}
    )
