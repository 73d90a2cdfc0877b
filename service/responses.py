"""JSON answers with ETags: cached question answers and body-hashed listings, 304 when unchanged.

:func:`respond` wraps a question for a GET endpoint: resolve the run (explicit, or current),
derive the ETag from the run, path, canonical query and scenario-file stamp, answer 304 when the
client has it, serve the encoded answer from the cache when it is there, and otherwise charge
the question's cost (draws x points, :func:`service.limits.charge`: 413 above the per-request
limit, 429 when the client's budget is spent), compute it, check it against the response schema
and cache it. :func:`cached_json` serves a body that belongs to no run (catalogs, listings)
under a hash of the body.

Where the answer is computed: on the event loop when it is cheap, in a worker thread otherwise.
A cached answer is a dictionary lookup and never leaves the loop. A computed one stays on the
loop only when it is a few numpy reductions over a projection the forecaster already holds
(:func:`answers_on_loop`: an arrival or probability question without options or ``versus``,
its scenario projected, its cost at most :data:`INLINE_COST`); anything else (loading the run,
a first projection, options that re-project, comparisons) goes to a worker thread, because a
thread hop (~0.1-0.5 ms with the GIL handed back and forth) is cheap next to that work but not
next to a cached lookup.

:class:`AnswerFront` goes one step further for a *repeated* question: a GET whose exact URL
(path and raw query string) was answered with 200 under the same current run and scenario file
is answered from the answer cache right after the request checks (cost charge, no key in the
URL), before Litestar resolves and validates the handler's parameters: the same URL passed the
same validation when it was first answered. Same body, ETag, Cache-Control and 304 as the
handler; answers that depend on more than the URL (``vary``), and those of handlers with guards
of their own, are never answered there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ASGIApp, Receive, Scope, Send

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
from service.runtime import Services, has_projection

JSON = "application/json"
DEFAULT_POINTS = 100
"""Points of a question whose endpoint does not say (see :mod:`service.domains.questions.cost`)."""
NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="Not modified (ETag matched)")}
"""OpenAPI entry of the 304 answer of every endpoint with an ETag."""
INLINE_COST = 200_000
"""Largest cost (draws x points) of an answer computed on the event loop. Measured on 2 cores
(4,000 draws, held projection): a full arrival answer with its 137-point CDF (cost 80,000)
takes about 1 ms, one without the CDF 0.3 ms, a probability 0.03 ms; so the loop is never
held for more than a few milliseconds, and a bigger answer goes to a thread."""
ON_LOOP = "_answers_on_loop"
"""Attribute that marks a question function as cheap enough for the event loop."""


def cheap_on_loop(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a question function whose answer, from an already projected scenario, is cheap
    enough to compute on the event loop (arrival, probability)."""
    setattr(func, ON_LOOP, True)
    return func


def answers_on_loop(compute: Callable[..., Any], forecaster: Forecaster, cost: int) -> bool:
    """True when ``compute(forecaster)`` is cheap enough to run on the event loop: an arrival
    or probability question (a plain ``partial``: no threshold, lever, given or prior option),
    without ``versus``, whose scenario the forecaster has already projected, at most
    :data:`INLINE_COST`."""
    return (
        cost <= INLINE_COST
        and isinstance(compute, partial)
        and getattr(compute.func, ON_LOOP, False)
        and not compute.keywords.get("versus")
        and has_projection(forecaster, compute.keywords.get("scenario"))
    )


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
        cost = int(forecaster.projector.n_draws) * per_draw
        charge(request, cost)
        if answers_on_loop(compute, forecaster, cost):
            answer = compute(forecaster)
        else:
            answer = await anyio.to_thread.run_sync(compute, forecaster, limiter=services.computing)
        body = encode_answer(answer, schema)
        services.answers.put(etag, body)
    if not vary and not request.route_handler.resolve_guards():  # no guard is ever skipped
        key = (request.scope["path"], request.scope.get("query_string", b""))
        services.front.put(
            key, (services.current.peek(), services.pool.scenario_stamp(), etag, cache_control)
        )
    return Response(
        content=body, media_type=JSON, headers={"ETag": etag, "Cache-Control": cache_control}
    )


_IF_NONE_MATCH = b"if-none-match"
_JSON_BYTES = JSON.encode()


class AnswerFront:
    """Raw ASGI middleware, innermost (after the rate limiter and the request checks): answers a
    repeated question GET from the answer cache by its exact URL (see the module doc); any miss
    goes on to the handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            services: Services = scope["litestar_app"].state.services
            entry = services.front.get((scope["path"], scope.get("query_string", b"")))
            if (
                entry is not None
                and entry[0] == services.current.peek()
                and entry[1] == services.pool.scenario_stamp()
            ):
                body = services.answers.get(entry[2])
                if body is not None:
                    await _send_answer(scope, send, entry[2], entry[3], body)
                    return
        await self.app(scope, receive, send)


async def _send_answer(
    scope: Scope, send: Send, etag: str, cache_control: str, body: bytes
) -> None:
    """The handler's 200 (or 304 when ``If-None-Match`` names the ETag), as raw ASGI messages."""
    headers = [(b"etag", etag.encode()), (b"cache-control", cache_control.encode())]
    wanted = next((v for k, v in scope.get("headers", ()) if k == _IF_NONE_MATCH), None)
    if wanted is not None and matches(wanted.decode("latin-1"), etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [(b"content-type", _JSON_BYTES), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
