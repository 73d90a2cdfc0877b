"""RFC 9457 problem details for every error the service returns.

Every error response has media type ``application/problem+json`` and a body with ``type``,
``title``, ``status`` and ``detail`` (plus ``instance``, the request path, ``request_id``, and for
input errors an ``errors`` list naming each bad field, or each bad row/column/value/rule of
posted observations). Problem types are tag URIs (RFC 4151), stable names that need not resolve;
``about:blank`` is used for plain HTTP errors (unknown path, wrong method), as RFC 9457 advises.

How library errors map to statuses:

- a parameter that breaks the declared schema (Litestar's validation) -> 400;
- a well-formed question the model cannot answer (``UsageError``: date outside the run's range,
  unknown scenario, bad quantile list) and invalid posted data -> 422;
- an unknown run id -> 404; a stored run this code cannot read -> 409;
- no current run yet -> 503 with ``Retry-After``;
- a fault of the run store or the service database (:class:`~forecast.store.errors.StoreError`,
  ``sqlite3.Error``, ``OSError``: disk full, read-only, I/O error, database locked) -> 503
  ``store-unavailable`` with ``Retry-After`` (the log has the cause; the answer does not name
  server paths);
- every 429 carries ``Retry-After`` (seconds), whichever limit produced it;
- anything unexpected -> 500 with no internal detail (the log has it, under the request id).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from forecast.core.errors import ForecastError, UsageError
from forecast.data.tables import DataValidationError
from forecast.priors.priorset import PriorError
from forecast.priors.scenarios import UnknownScenarioError
from forecast.store.errors import StoreError, StoreFullError, StoreReadOnlyError
from forecast.store.runs import RunMismatchError, RunNotFoundError
from service.logs import request_id_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:ai-timelines-forecast,2025:problem:"
NO_CURRENT_RUN = "no current run; a fit is in progress or has not been run: `forecast fit`"
RETRY_AFTER_SECONDS = 30
RATE_LIMIT_RETRY_SECONDS = 60
"""``Retry-After`` of a 429 whose limit did not say when to come back."""

log = logging.getLogger("service.errors")


class ProblemItem(msgspec.Struct, omit_defaults=True):
    """One bad field of a request, or one bad cell of posted observations."""

    message: str
    location: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    rule: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemItem] | None = None


def problem_type(slug: str) -> str:
    """The tag URI of a problem type."""
    return TYPE_BASE + slug


class ProblemException(HTTPException):
    """An HTTP error raised by the service with a specific problem type and optional items."""

    def __init__(
        self,
        status_code: int,
        slug: str,
        title: str,
        detail: str,
        errors: list[ProblemItem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=detail, status_code=status_code, headers=headers)
        self.slug = slug
        self.title = title
        self.errors = errors


class NoCurrentRunError(ProblemException):
    """The store has no current run (yet): 503 until a fit makes one current."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "no-current-run",
            "No current run",
            NO_CURRENT_RUN,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def store_fault(exc: BaseException) -> ProblemException:
    """The 503 problem of a store or database fault (the detail names no server path)."""
    if isinstance(exc, StoreFullError) or "full" in str(exc).lower():
        why = "the store's disk is full"
    elif isinstance(exc, StoreReadOnlyError) or "readonly" in str(exc).lower():
        why = "the store cannot be written (read-only or no permission)"
    elif isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower():
        why = "the service database is busy"
    else:
        why = "the store could not be read or written"
    return ProblemException(
        503,
        "store-unavailable",
        "The store is unavailable",
        f"{why}; the request was not completed, retry later (the service log has the cause)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _retry_after_429(headers: dict[str, str]) -> str:
    """Seconds to announce on a 429: the limit's reset when it gave one, else a minute."""
    for name, value in headers.items():
        if name.lower() == "ratelimit-reset" and value.strip().isdigit():
            return str(max(1, int(value)))
    return str(RATE_LIMIT_RETRY_SECONDS)


_HTTP_SLUGS: dict[int, tuple[str, str]] = {
    400: ("invalid-request", "The request is not valid"),
    401: ("unauthorized", "An API key is required"),
    403: ("forbidden", "Forbidden"),
    413: ("body-too-large", "The request body is too large"),
    429: ("rate-limited", "Too many requests"),
}


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _validation_items(extra: Any) -> list[ProblemItem]:
    items: list[ProblemItem] = []
    if isinstance(extra, list):
        for entry in extra:
            if isinstance(entry, dict):
                parts = (entry.get("source"), entry.get("key"))
                where = ".".join(str(getattr(p, "value", p)) for p in parts if p)
                items.append(ProblemItem(message=str(entry.get("message", "")), location=where))
    elif isinstance(extra, dict) and extra:
        items.append(ProblemItem(message=str(extra)))
    return items


_MISSING = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def _missing_item(detail: str) -> list[ProblemItem] | None:
    """Litestar reports a missing parameter only in its message: name it as an item."""
    found = _MISSING.search(detail)
    if found is None:
        return None
    source, name = found.groups()
    return [
        ProblemItem(message=f"missing required {source} parameter", location=f"{source}.{name}")
    ]


def build_problem(
    request: Request[Any, Any, Any], exc: Exception
) -> tuple[Problem, dict[str, str]]:
    """The problem details and extra headers for an exception raised while handling ``request``."""
    headers: dict[str, str] = {}
    errors: list[ProblemItem] | None = None
    if isinstance(exc, StoreError | sqlite3.Error | OSError):
        log.error(
            "store fault",
            exc_info=exc,
            extra={"request_id": request_id_of(request.scope), "path": request.url.path},
        )
        exc = store_fault(exc)
    if isinstance(exc, ProblemException):
        status, slug, title, detail = exc.status_code, exc.slug, exc.title, str(exc.detail)
        errors = exc.errors
        headers.update(exc.headers or {})
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, str(exc.detail)
        headers.update(exc.headers or {})
        if isinstance(exc, ValidationException) or (status == 400 and exc.extra):
            slug, title = "invalid-parameters", "Request parameters are not valid"
            errors = _validation_items(exc.extra) or _missing_item(detail)
        elif status in _HTTP_SLUGS:
            slug, title = _HTTP_SLUGS[status]
        else:
            slug, title = "", _status_title(status)
    elif isinstance(exc, RunNotFoundError):
        status, slug, title, detail = 404, "unknown-run", "No such run", _public(exc)
    elif isinstance(exc, RunMismatchError):
        status, slug, title, detail = 409, "incompatible-run", "Run cannot be read", _public(exc)
    elif isinstance(exc, UnknownScenarioError):
        status, slug, title, detail = 422, "unknown-scenario", "Unknown scenario", str(exc)
    elif isinstance(exc, DataValidationError):
        status, slug, title = 422, "invalid-data", "The data are not valid"
        detail = f"{len(exc.issues)} data issue(s)"
        errors = [
            ProblemItem(message=i.rule, row=i.line, column=i.column, value=i.value, rule=i.rule)
            for i in exc.issues
        ]
    elif isinstance(exc, PriorError):
        status, slug, title = (
            422,
            "invalid-prior-set",
            "The prior set or scenario file is not valid",
        )
        detail = str(exc)
    elif isinstance(exc, UsageError):
        status, slug, title = 422, "invalid-question", "The question cannot be answered as asked"
        detail = str(exc)
    elif isinstance(exc, ForecastError):
        status, slug, title, detail = 422, "forecast-error", "The forecast cannot be made", str(exc)
    else:
        status, slug, title = 500, "internal-error", "Internal server error"
        detail = "an unexpected error occurred; the service log has it under this request id"
    if status == 429 and not any(name.lower() == "retry-after" for name in headers):
        headers["Retry-After"] = _retry_after_429(headers)
    problem = Problem(
        type=problem_type(slug) if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_of(request.scope),
        errors=errors,
    )
    return problem, headers


def _public(exc: Exception) -> str:
    """A store error's message without the store's folder (which is server-internal)."""
    text = str(exc)
    marker = " in "
    return text.split(marker, 1)[0] if marker in text else text


def problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Exception handler: the exception as an ``application/problem+json`` response."""
    problem, headers = build_problem(request, exc)
    if problem.status == 500:
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"request_id": problem.request_id, "path": problem.instance},
        )
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    HTTPException: problem_response,
    ForecastError: problem_response,
    Exception: problem_response,
}

_DESCRIPTIONS: dict[int, str] = {
    400: "A parameter or body field breaks the schema (problem details list each one)",
    401: "Missing or wrong X-API-Key (write endpoints only)",
    404: "Unknown run, scenario, prior set, job or path",
    409: "The stored run cannot be read by this version of the code",
    413: "The request body is larger than the limit, or answering it would cost more than one "
    "request may (FORECAST_MAX_REQUEST_COST)",
    422: "The question cannot be answered as asked, or posted data break the table's rules",
    429: "Too many requests: the write rate limit of this API key, this client's cost budget "
    "for the minute, or a full refit queue (see Retry-After)",
    503: "No current run yet (a fit is in progress or has not been run), or the store is "
    "unavailable (see Retry-After)",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI response entries documenting problem details for ``statuses``."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS.get(status, _status_title(status)),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }
