"""Structured logs (one JSON object per line) and the request id of every request.

:class:`RequestContextMiddleware` wraps the whole app (routing included, so unknown paths and
rejected bodies are covered too): it takes the caller's ``X-Request-ID`` when it is a sane token
(letters, digits, ``._-``, at most 128 characters) or makes a new one, keeps it in the request
state, echoes it in the response and writes one access-log line per request with the method,
path, status, duration, client, request id and, on write endpoints, the API key's *name*.
Headers are never logged, so neither are API keys; the query string is logged with the value of
every parameter whose name looks like a secret (``key``, ``api_key``, ``token``, ...; see
:data:`SECRET_PARAMS`) replaced by ``[redacted]`` (such requests are refused with
400 anyway, but the line is written either way).

**Access-log sampling** (``FORECAST_ACCESS_LOG``, :class:`AccessLogPolicy`): a line costs
30-55 µs (record, JSON, write), as much as answering a cached question, so by default only a
sample of the *routine* requests is written: a GET, HEAD or OPTIONS answered below 400 in under
:data:`SLOW_REQUEST_MS`, whose caller sent no ``X-Request-ID``. Every other request is always
logged: errors (status 400 and above), writes (with the key's name), slow requests and requests
the caller traces with its own ``X-Request-ID``. ``FORECAST_ACCESS_LOG`` is ``all`` (every
request), ``errors`` (no routine request) or the fraction of routine requests to keep (default
:data:`DEFAULT_ACCESS_SAMPLE`, one in a hundred, taken evenly by a counter, not at random); a
sampled line carries ``"sample": FRACTION`` so counts can be scaled back. Request counts and
durations of *every* request are in ``/metrics`` (:class:`RequestMetrics`, a raw ASGI middleware
that keeps its Prometheus label children, so a request costs a few dictionary lookups).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_BYTES = REQUEST_ID_HEADER.lower().encode()
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}

access_log = logging.getLogger("service.access")
REDACTED = "[redacted]"
SECRET_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "x_api_key",
        "token",
        "access_token",
        "auth",
        "secret",
        "password",
    }
)
"""Query parameter names that carry a secret: refused, and redacted in the access log."""
MAX_LOGGED_QUERY = 512
ACCESS_LOG_ENV = "FORECAST_ACCESS_LOG"
DEFAULT_ACCESS_SAMPLE = 0.01
"""Fraction of routine requests written to the access log by default (see the module doc)."""
SLOW_REQUEST_MS = 1000.0
"""A request slower than this is always logged."""
ROUTINE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccessLogPolicy:
    """Which requests get an access-log line: every non-routine one, and ``sample`` of the rest.

    ``sample`` is the fraction of routine requests (GET/HEAD/OPTIONS, status below 400, faster
    than ``slow_ms``, no caller ``X-Request-ID``) that are logged: 1 logs every request, 0 none
    of the routine ones.
    """

    sample: float = DEFAULT_ACCESS_SAMPLE
    slow_ms: float = SLOW_REQUEST_MS

    @classmethod
    def parse(cls, text: str) -> AccessLogPolicy:
        """The policy for a ``FORECAST_ACCESS_LOG`` value: ``all``, ``errors`` or a fraction."""
        value = text.strip().lower()
        if value in ("", "default"):
            return cls()
        if value in ("all", "on", "1"):
            return cls(sample=1.0)
        if value in ("errors", "0"):
            return cls(sample=0.0)
        try:
            sample = float(value)
        except ValueError:
            sample = -1.0
        if not 0.0 <= sample <= 1.0:
            from service.config import SettingsError

            raise SettingsError(
                f"{ACCESS_LOG_ENV}={text!r}: expected all, errors or a fraction of the routine "
                "requests to log between 0 and 1 (e.g. 0.01)"
            )
        return cls(sample=sample)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AccessLogPolicy:
        """The policy of ``FORECAST_ACCESS_LOG`` (default: a sample of one in a hundred)."""
        return cls.parse((os.environ if environ is None else environ).get(ACCESS_LOG_ENV, ""))

    def describe(self) -> str:
        """For the start-up line: ``all``, ``errors`` or the sampled fraction."""
        return "all" if self.sample >= 1 else "errors" if self.sample <= 0 else f"{self.sample:g}"


def redact_query(query_string: bytes) -> str:
    """The query string for the access log, secret-looking values replaced (at most 512 chars)."""
    text = query_string.decode("latin-1")
    if not text:
        return ""
    lowered = text.lower()
    if "%" not in text and not any(name in lowered for name in SECRET_PARAMS):
        return text[:MAX_LOGGED_QUERY]
    pairs = parse_qsl(text, keep_blank_values=True)
    shown = [
        f"{quote(name, safe='')}={REDACTED if name.lower() in SECRET_PARAMS else quote(value)}"
        for name, value in pairs
    ]
    return "&".join(shown)[:MAX_LOGGED_QUERY]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, event and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def logging_config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and uvicorn (JSON lines on stderr)."""
    formatter = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "service": {"handlers": ["main"], "level": level, "propagate": False},
            "forecast": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Configure the ``service`` and ``forecast`` loggers once (idempotent)."""
    import logging.config

    logger = logging.getLogger("service")
    if getattr(logger, "_forecast_configured", False):
        logger.setLevel(level)
        return
    logging.config.dictConfig(logging_config(level, fmt))
    logger._forecast_configured = True  # type: ignore[attr-defined]


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The request id stored on a request's scope (None outside a request)."""
    state = scope.get("state") or {}
    value = state.get("request_id")
    return str(value) if value else None


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            text = value.decode("latin-1")
            return text if _SANE_ID.match(text) else None
    return None


class RequestContextMiddleware:
    """ASGI middleware: request id in and out, and a structured access-log line per request
    (every error, write, slow or traced request; a sample of the routine ones, see
    :class:`AccessLogPolicy`)."""

    def __init__(self, app: ASGIApp, policy: AccessLogPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or AccessLogPolicy()
        self.sample = self.policy.sample
        self.slow_seconds = self.policy.slow_ms / 1000
        self._credit = 1.0 - self.sample  # the first routine request is logged
        self.skipped = 0
        """Routine requests not logged (for tests and for the curious)."""

    def _keep_routine(self) -> bool:
        """Count one routine request; True for the ones the sample keeps (evenly spread)."""
        if self.sample >= 1.0:
            return True
        self._credit += self.sample
        if self.sample > 0.0 and self._credit >= 1.0:
            self._credit -= 1.0
            return True
        self.skipped += 1
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _incoming_id(scope)
        request_id = incoming or uuid.uuid4().hex
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state["request_id"] = request_id
        header = (_HEADER_BYTES, request_id.encode())
        status = [500]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), header]  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            code = status[0]
            method = scope.get("method")
            routine = (
                code < 400
                and method in ROUTINE_METHODS
                and elapsed < self.slow_seconds
                and incoming is None
            )
            if (not routine or self._keep_routine()) and access_log.isEnabledFor(logging.INFO):
                extra = {
                    "request_id": request_id,
                    "method": method,
                    "path": scope.get("path"),
                    "query": redact_query(scope.get("query_string", b"")),
                    "status": code,
                    "duration_ms": round(elapsed * 1000, 3),
                    "client": (scope.get("client") or ("", 0))[0],
                    "api_key_name": state.get("api_key_name"),
                }
                if routine and self.sample < 1.0:
                    extra["sample"] = self.sample
                access_log.info("request", extra=extra)


# -- request metrics ------------------------------------------------------------------------------
METRIC_LABELS = ("method", "path", "status_code", "app_name")
"""Label names of the request metrics (those of Litestar's Prometheus middleware)."""
_METRICS: dict[str, tuple[Any, Any, Any, Any]] = {}
_CHILDREN: dict[tuple[str, str, str, int], tuple[Any, Any, Any]] = {}


def request_metrics(prefix: str) -> tuple[Any, Any, Any, Any]:
    """(requests, errors, duration, in progress) metrics of ``prefix``, registered once per
    process in Prometheus' default registry (``/metrics`` exports it)."""
    found = _METRICS.get(prefix)
    if found is None:
        from prometheus_client import Counter, Gauge, Histogram

        found = (
            Counter(f"{prefix}_requests_total", "Total requests", METRIC_LABELS),
            Counter(f"{prefix}_requests_error_total", "Total errors in requests", METRIC_LABELS),
            Histogram(
                f"{prefix}_request_duration_seconds", "Request duration, in seconds", METRIC_LABELS
            ),
            Gauge(
                f"{prefix}_requests_in_progress",
                "Total requests currently in progress",
                METRIC_LABELS,
                multiprocess_mode="livesum",
            ),
        )
        _METRICS[prefix] = found
    return found


class RequestMetrics:
    """Raw ASGI middleware: Prometheus request count, errors (5xx), duration and in-progress
    gauge per method, route template and status, under the names Litestar's Prometheus
    middleware uses (``{prefix}_requests_total`` ...). The label children are looked up once per
    (method, route, status) and kept, so a request costs a few dictionary lookups, a counter
    and a histogram update instead of a ``Request`` object and four label resolutions.

    It runs after routing (a Litestar app middleware), so ``path_template`` is known; paths
    starting with ``exclude`` (``/metrics``) are not counted.
    """

    def __init__(
        self,
        app: ASGIApp,
        prefix: str = "forecast_api",
        app_name: str = "forecast",
        exclude: str = "/metrics",
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.app_name = app_name
        self.exclude = exclude
        self.requests, self.errors, self.duration, self.in_progress = request_metrics(prefix)
        self._gauges: dict[tuple[str, str], Any] = {}

    def _children(self, method: str, path: str, code: int) -> tuple[Any, Any, Any]:
        key = (self.prefix, method, path, code)
        found = _CHILDREN.get(key)
        if found is None:
            values = (method, path, str(code), self.app_name)
            found = (
                self.requests.labels(*values),
                self.duration.labels(*values),
                self.errors.labels(*values) if code >= 500 else None,
            )
            _CHILDREN[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] != "http" or path.startswith(self.exclude):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        template = scope.get("path_template") or path
        gauge = self._gauges.get((method, template))
        if gauge is None:
            gauge = self.in_progress.labels(method, template, "200", self.app_name)
            self._gauges[(method, template)] = gauge
        status = [200]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        gauge.inc()
        try:
            await self.app(scope, receive, send_status)
        except BaseException as exc:  # answered by the exception handlers further out
            code = getattr(exc, "status_code", 500)
            status[0] = code if isinstance(code, int) else 500
            raise
        finally:
            gauge.dec()
            count, duration, errors = self._children(method, template, status[0])
            count.inc()
            duration.observe(time.perf_counter() - started)
            if errors is not None:
                errors.inc()
