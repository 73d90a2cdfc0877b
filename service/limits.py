"""Per-request limits: JSON nesting, keys in the query string, and the request cost budget.

:func:`check_request` runs for every routed HTTP request, from :class:`RequestChecks`, a raw ASGI
middleware placed after routing and before every guard (so before the API-key check). It was an
app-wide guard; Litestar copies the route handler for each guard call (~15 µs a request), and a
middleware needs no copy. Everything here runs on the event loop: no thread hop for any check.

- **Keys in the query string** (``?api_key=``, ``?key=``, ``?token=`` ...) are refused with 400
  ("send the key in the X-API-Key header"): a URL ends up in logs, browser histories and proxy
  caches, so the service never accepts a secret there. The access log redacts such values too
  (:mod:`service.logs`).
- **JSON bodies nested deeper than** :data:`MAX_JSON_DEPTH` are refused with 400 ("body nested
  too deeply") before the decoder sees them (a body nested ~1,500 levels deep made it raise
  ``RecursionError``). No request or response schema of this API nests more than a few levels.
- **Cost budget**: every request is charged :data:`REQUEST_COST` units against its client's
  budget (the API key's name when the request carries a valid key, otherwise the client
  address); question handlers then charge what their answer costs
  (:func:`charge`: draws x points, see :mod:`service.domains.questions.cost`). One request may
  cost at most ``FORECAST_MAX_REQUEST_COST`` (413 above, split the batch); a client may spend
  ``FORECAST_CLIENT_COST`` per minute (a token bucket refilled continuously; 429 with
  ``Retry-After`` when it is empty). ``/health`` is not charged.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from service.auth import API_KEY_HEADER, key_name_for_rate_limit
from service.logs import SECRET_PARAMS
from service.problems import ProblemException

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body."""
REQUEST_COST = 20_000
"""Units charged for any request (about a millisecond of CPU): bounds cheap-request floods."""
UNCHARGED_PATHS = frozenset({"/health"})
COST_STATE = "request_cost"
_KEY_HEADER = API_KEY_HEADER.lower().encode()

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the arrays and objects of ``body`` nest deeper than ``limit``.

    Linear in the body: brackets inside strings are dropped, then the running depth is a
    cumulative sum. A body with no more than ``limit`` opening brackets cannot be too deep.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    if not brackets:
        return False
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max()) > limit


def secret_params(query_string: bytes | str) -> list[str]:
    """Names of the query parameters that look like secrets (lower case, in order)."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    if not text:
        return []
    lowered = text.lower()
    if "%" not in text and "+" not in text and not any(n in lowered for n in SECRET_PARAMS):
        return []  # no secret-looking name can be in it: skip parsing (most requests)
    return [
        name.lower()
        for name, _ in parse_qsl(text, keep_blank_values=True)
        if name.lower() in SECRET_PARAMS
    ]


class CostBudget:
    """Cost units per client per minute: a token bucket per client, refilled continuously.

    ``charge`` takes ``cost`` units from the client's bucket and returns None, or, when the
    bucket holds too little, takes nothing and returns the whole seconds until it will. Buckets
    of the least recently seen clients are dropped beyond ``max_clients`` (a dropped client
    starts again with a full bucket).
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def charge(self, client: str, cost: float) -> int | None:
        """Spend ``cost``; None when allowed, else seconds to wait (nothing spent)."""
        with self._lock:
            now = self.clock()
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if cost > tokens:
                self._buckets[client] = (tokens, now)
                self._buckets.move_to_end(client)
                return max(1, math.ceil((cost - tokens) / self.rate))
            self._buckets[client] = (tokens - cost, now)
            self._buckets.move_to_end(client)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return None


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The budget's client: ``key:<name>`` for a valid API key, else ``anonymous:<address>``."""
    cached = connection.scope.get("state", {}).get("cost_client")
    if cached is None:
        if any(name == _KEY_HEADER for name, _ in connection.scope.get("headers", ())):
            cached = key_name_for_rate_limit(connection)
        else:  # no key at all (most reads): the address, without building a Headers object
            client = connection.scope.get("client")
            cached = f"anonymous:{client[0] if client else 'unknown'}"
        connection.scope.setdefault("state", {})["cost_client"] = cached  # type: ignore[typeddict-item]
    return str(cached)


def too_costly(cost: int, limit: int) -> ProblemException:
    """The 413 problem of a request above the per-request cost limit."""
    return ProblemException(
        413,
        "request-too-costly",
        "The request would cost too much",
        f"answering this request costs {cost:,} units (draws x points), more than the "
        f"{limit:,} one request may use (FORECAST_MAX_REQUEST_COST); split it into smaller "
        "requests (fewer questions, dates or quantiles)",
    )


def over_budget(retry_after: int) -> ProblemException:
    """The 429 problem of a client whose cost budget is spent."""
    return ProblemException(
        429,
        "cost-budget-exceeded",
        "Too much work requested",
        "this client (API key, or address without one) has used its cost budget for the "
        f"minute (FORECAST_CLIENT_COST); retry after {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


def charge(connection: ASGIConnection[Any, Any, Any, Any], cost: int) -> None:
    """Charge ``cost`` units for this request: 413 above the per-request limit, 429 when the
    client's budget for the minute is spent. Costs add up over one request."""
    services = connection.app.state.services
    spent = int(connection.scope.get("state", {}).get(COST_STATE, 0)) + cost
    limit = services.settings.api.max_request_cost
    if spent > limit:
        raise too_costly(spent, limit)
    wait = services.budget.charge(client_of(connection), cost)
    if wait is not None:
        raise over_budget(wait)
    connection.scope.setdefault("state", {})[COST_STATE] = spent  # type: ignore[typeddict-item]


async def check_request(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler | None = None
) -> None:
    """Every request: no secrets in the query string, no deeply nested JSON, the flat charge
    (usable as a guard too)."""
    found = secret_params(connection.scope.get("query_string", b""))
    if found:
        raise ProblemException(
            400,
            "key-in-query",
            "Secrets are not accepted in the URL",
            f"query parameter {found[0]!r} looks like a secret; this service never reads keys "
            f"from the URL (they end up in logs and histories): send the key in the "
            f"{API_KEY_HEADER} header, and consider this one exposed",
        )
    if (
        isinstance(connection, Request)
        and connection.method in ("POST", "PUT", "PATCH")
        and "json" in connection.headers.get("content-type", "json")
    ):
        body = await connection.body()
        if json_depth_exceeds(body):
            raise ProblemException(
                400,
                "body-too-deep",
                "The request body is not valid",
                f"body nested too deeply: arrays and objects may nest at most {MAX_JSON_DEPTH} "
                "levels",
            )
    if connection.scope.get("path") not in UNCHARGED_PATHS:
        charge(connection, REQUEST_COST)


class RequestChecks:
    """Raw ASGI middleware: :func:`check_request` for every HTTP request, after routing and
    before the handler's guards. Its problems (400, 413, 429) are answered by the app's
    exception handlers like any other, as problem details."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = scope["litestar_app"].request_class(scope, receive)
            await check_request(request, scope.get("route_handler"))
        await self.app(scope, receive, send)
