"""Strict query parameters for every ``/v1`` endpoint: a ``before_request`` hook.

Litestar ignores query parameters a handler does not declare, and takes the last value of a
parameter given twice; so ``/v1/arrival?country=CN&scenaro=tightened_controls`` (a typo) would
answer the status quo with 200. :func:`strict_query` refuses such requests with a 400 problem
that names the parameters, in words:

- a parameter the endpoint does not take (listing the ones it takes);
- a parameter given more than once, unless it is a list (declared repeatable, such as ``q``,
  ``at``, ``within``, ``country`` of ``/v1/surprise``, ``lever``, ``given``);
- a date that is not ISO ``YYYY-MM-DD`` (``by``, ``at``, ``date``, ``lower``, ``upper`` and any
  parameter whose schema title is :data:`service.live.DATE_TITLE`); the range and the calendar
  day are checked as before (:func:`service.live.check_query`, the library).

The declared parameters are read from the route handler's own signature (Litestar's kwargs
model: query parameters of the handler and of its dependencies, by their query name), once per
handler. Only paths under ``/v1/`` are checked: the dashboard's static files take a cache-busting
``?v=``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.exceptions import ValidationException

from service.live import DATE_TITLE, date_error

STRICT_PREFIX = "/v1/"
DATE_NAMES = frozenset({"by", "at", "date", "lower", "upper"})
"""Query parameters that hold dates, whatever their schema says."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECLARED_KEY = "_strict_query_declared"
"""Where a handler keeps what it declares: its own ``opt`` mapping, so the cache lives and dies
with the handler (a module-level cache by ``id()`` could hand a later app's handler another's
entry, and one holding the handlers would keep every app alive)."""


def _collect(model: Any, names: set[str], lists: set[str]) -> None:
    """Query names of a kwargs model (Litestar merges its dependencies' parameters into it)."""
    for p in model.expected_query_params:
        names.add(p.field_alias)
        if p.is_sequence:
            lists.add(p.field_alias)


def declared(handler: Any, path_params: dict[str, Any]) -> tuple[frozenset[str], ...]:
    """(query names, repeatable names, date names) the handler declares (cached in the
    handler's ``opt``)."""
    opt = getattr(handler, "opt", None)
    cached = opt.get(_DECLARED_KEY) if isinstance(opt, dict) else None
    if cached is None:
        model = handler.create_kwargs_model(path_parameters=dict.fromkeys(path_params))
        names: set[str] = set()
        lists: set[str] = set()
        _collect(model, names, lists)
        dates = {n for n in names if n in DATE_NAMES}
        for param in handler.parsed_fn_signature.parameters.values():
            kwarg = param.kwarg_definition
            title = getattr(kwarg, "title", None)
            alias = getattr(kwarg, "query", None) or param.name
            if title == DATE_TITLE and alias in names:
                dates.add(alias)
        cached = (frozenset(names), frozenset(lists), frozenset(dates))
        if isinstance(opt, dict):
            opt[_DECLARED_KEY] = cached
    return cached


def problems(
    pairs: list[tuple[str, str]],
    names: frozenset[str],
    lists: frozenset[str],
    dates: frozenset[str],
) -> list[dict[str, str]]:
    """What is wrong with a request's query (key, value pairs as sent), each in words."""
    errors: list[dict[str, str]] = []
    taken = ", ".join(sorted(names)) or "none"
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    for key in dict.fromkeys(k for k, _ in pairs):
        if key not in names:
            errors.append(
                {
                    "message": f"unknown query parameter {key[:40]!r} (this endpoint takes: "
                    f"{taken})",
                    "key": key[:40],
                    "source": "query",
                }
            )
        elif counts[key] > 1 and key not in lists:
            errors.append(
                {
                    "message": f"query parameter {key!r} is given {counts[key]} times; it takes "
                    "one value",
                    "key": key,
                    "source": "query",
                }
            )
    for key, value in pairs:
        if key in dates and not _ISO_DATE.match(value):
            errors.append(
                {
                    "message": f"{key}: {date_error(value) or 'expected a date YYYY-MM-DD'}",
                    "key": key,
                    "source": "query",
                }
            )
    return errors


async def strict_query(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: 400 on unknown, repeated or non-ISO-date query parameters."""
    if not request.scope["path"].startswith(STRICT_PREFIX):
        return
    raw = request.scope.get("query_string", b"")
    if not raw:
        return
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    names, lists, dates = declared(request.route_handler, request.scope.get("path_params", {}))
    errors = problems(pairs, names, lists, dates)
    if errors:
        raise ValidationException(detail=f"Validation failed: {errors[0]['message']}", extra=errors)
