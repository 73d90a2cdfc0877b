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
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
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
    """ASGI middleware: request id in and out, and one structured access-log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state["request_id"] = request_id
        header = (_HEADER_BYTES, request_id.encode())
        status = {"code": 500}
        method, path = scope.get("method"), scope.get("path")
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", ()), header]  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": method,
                        "path": path,
                        "query": redact_query(scope.get("query_string", b"")),
                        "status": status["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client": (scope.get("client") or ("", 0))[0],
                        "api_key_name": state.get("api_key_name"),
                    },
                )
