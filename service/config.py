"""Service settings: one frozen dataclass per concern, read from the environment with defaults.

``Settings()`` reads the environment when it is created; tests build their own with
``dataclasses.replace``. Every variable is optional:

==============================  ===========================================  ==================
variable                        meaning                                      default
==============================  ===========================================  ==================
``FORECAST_HOME``               run store and ``service.sqlite`` folder      ``var``
``FORECAST_API_KEYS``           ``name:secret,...`` keys for write endpoints none (writes 401)
``FORECAST_API_KEYS_FILE``      file with one ``name:secret`` per line       none
``FORECAST_CORS_ORIGINS``       comma-separated allowed origins              none (CORS off)
``FORECAST_MAX_BODY_BYTES``     request body limit                           1000000
``FORECAST_WRITE_RATE_LIMIT``   writes per key, ``N/second|minute|hour|day`` ``30/minute``
``FORECAST_FORECASTERS``        runs kept loaded (LRU)                       4
``FORECAST_ANSWER_CACHE``       encoded answers kept (LRU)                   4096
``FORECAST_ANSWER_CACHE_BYTES`` total bytes of the kept answers (LRU)       67108864 (64 MiB)
``FORECAST_MAX_REQUEST_COST``   cost units one request may use (413 above)   100000000
``FORECAST_CLIENT_COST``        cost units per client (key name or address)  600000000
                                per minute (429 with Retry-After above)
``FORECAST_REFIT_QUEUE``        refit jobs waiting at most (429 above)       3
``FORECAST_METRICS``            ``/metrics``: ``public``, ``key`` (needs     public
                                ``X-API-Key``) or ``off`` (no route)
``FORECAST_MAX_AGE``            Cache-Control max-age of question answers    60
``FORECAST_ACCESS_LOG``         access log: ``all``, ``errors`` (errors,     0.01
                                writes, slow and traced requests only) or
                                a fraction of routine reads also logged
``FORECAST_WORKER``             run the refit worker process (1/0)           1
``FORECAST_QUICK_GATE``         gate for ``quick`` refits: max R-hat,        the library's
                                min bulk ESS, max divergences (tests only)   gate
``FORECAST_WORKER_GRACE``       seconds the worker may take to stop at       10
                                shutdown before it is terminated
``FORECAST_WORKER_BACKOFF``     first and longest wait (s) before a crashed  1,300
                                worker is restarted (doubling in between)
``FORECAST_WATCH_SECONDS``      how often to look for a new current run      1.0
``FORECAST_REPORT_CRON``        cron schedule (UTC) of refit + report runs   none (off)
``FORECAST_IMPORT_CRON``        cron schedule (UTC) of folder imports        none (off)
``FORECAST_IMPORT_DIR``         folder watched by the scheduled import       none
                                (one sub-folder per source)
``FORECAST_ALERT_WEBHOOK``      URL that receives alerts as POSTed JSON      none (off)
``FORECAST_LOG_LEVEL``          log level                                    INFO
``FORECAST_LOG_FORMAT``         ``json`` (one object per line) or ``text``   json
==============================  ===========================================  ==================

A request's *cost* is draws x points summed over its questions (points: the numbers the answer
holds, plus a per-date or per-country overhead; see :mod:`service.limits`); every other request
costs a small fixed amount. At about 50 ns of CPU per unit, the defaults let one request use
about 5 s of CPU and one client about 30 s per minute.

Secrets never reach this module in clear: API keys are hashed by :mod:`service.auth` as they
are read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from service.auth import Keyring, load_keys

RateUnit = Literal["second", "minute", "hour", "day"]
_UNITS: tuple[RateUnit, ...] = ("second", "minute", "hour", "day")


class SettingsError(ValueError):
    """A malformed environment variable (the message names the variable)."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def _int(name: str, default: int, low: int = 1) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if value < low:
        raise SettingsError(f"{name}: must be at least {low}, got {value}")
    return value


def _float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if not value > 0:
        raise SettingsError(f"{name}: must be positive, got {value}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name, "1" if default else "0").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}: {raw!r} is not a boolean (use 1 or 0)")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _env(name, default).lower()
    if raw not in choices:
        raise SettingsError(f"{name}: {raw!r} must be one of {', '.join(choices)}")
    return raw


def parse_backoff(text: str, name: str = "FORECAST_WORKER_BACKOFF") -> tuple[float, float]:
    """``"1,300"`` as (first wait, longest wait) in seconds."""
    first, _, longest = text.partition(",")
    try:
        low, high = float(first), float(longest)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} must look like 1,300 (seconds)") from None
    if not 0 < low <= high:
        raise SettingsError(f"{name}: {text!r} needs 0 < first wait <= longest wait")
    return low, high


def parse_rate(text: str, name: str = "FORECAST_WRITE_RATE_LIMIT") -> tuple[RateUnit, int]:
    """``"30/minute"`` as ``("minute", 30)``."""
    count, _, unit = text.partition("/")
    if unit not in _UNITS or not count.strip().isdigit() or int(count) < 1:
        raise SettingsError(f"{name}: {text!r} must look like 30/minute (second|minute|hour|day)")
    return cast(RateUnit, unit), int(count)


def _origins() -> tuple[str, ...]:
    raw = _env("FORECAST_CORS_ORIGINS", "")
    return tuple(o.strip() for o in raw.split(",") if o.strip())


@dataclass(frozen=True)
class StoreSettings:
    """Where runs and the service database live."""

    home: Path = field(default_factory=lambda: Path(_env("FORECAST_HOME", "var")))

    @property
    def database(self) -> Path:
        """The service's SQLite file (observations and refit jobs)."""
        return self.home / "service.sqlite"


@dataclass(frozen=True)
class ApiSettings:
    """Limits, caching and CORS of the HTTP API."""

    max_body_bytes: int = field(default_factory=lambda: _int("FORECAST_MAX_BODY_BYTES", 1_000_000))
    write_rate_limit: tuple[RateUnit, int] = field(
        default_factory=lambda: parse_rate(_env("FORECAST_WRITE_RATE_LIMIT", "30/minute"))
    )
    forecasters: int = field(default_factory=lambda: _int("FORECAST_FORECASTERS", 4))
    answer_cache: int = field(default_factory=lambda: _int("FORECAST_ANSWER_CACHE", 4096))
    answer_cache_bytes: int = field(
        default_factory=lambda: _int("FORECAST_ANSWER_CACHE_BYTES", 64 * 2**20)
    )
    max_request_cost: int = field(
        default_factory=lambda: _int("FORECAST_MAX_REQUEST_COST", 100_000_000)
    )
    client_cost_per_minute: int = field(
        default_factory=lambda: _int("FORECAST_CLIENT_COST", 600_000_000)
    )
    refit_queue: int = field(default_factory=lambda: _int("FORECAST_REFIT_QUEUE", 3))
    metrics: str = field(
        default_factory=lambda: _choice("FORECAST_METRICS", "public", ("public", "key", "off"))
    )
    max_age: int = field(default_factory=lambda: _int("FORECAST_MAX_AGE", 60, low=0))
    compute_threads: int = field(default_factory=lambda: _int("FORECAST_COMPUTE_THREADS", 1, low=1))
    """Questions computed at once off the event loop. Their work is mostly Python holding the
    GIL, so more threads only take turns and starve the loop; one keeps answers in arrival
    order (see docs/service-performance.md)."""
    cors_origins: tuple[str, ...] = field(default_factory=_origins)
    watch_seconds: float = field(default_factory=lambda: _float("FORECAST_WATCH_SECONDS", 1.0))

    def __post_init__(self) -> None:
        if self.max_request_cost > self.client_cost_per_minute:
            raise SettingsError(
                "FORECAST_MAX_REQUEST_COST must not exceed FORECAST_CLIENT_COST "
                f"({self.max_request_cost} > {self.client_cost_per_minute})"
            )


@dataclass(frozen=True)
class AuthSettings:
    """API keys (hashed) for the write endpoints."""

    keyring: Keyring = field(default_factory=lambda: Keyring.from_mapping(load_keys(os.environ)))


def parse_gate(text: str, name: str = "FORECAST_QUICK_GATE") -> tuple[float, float, int] | None:
    """``"1.1,50,0"`` as (max R-hat, min bulk ESS, max divergences); empty means None."""
    if not text.strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        max_rhat, min_ess, max_div = float(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise SettingsError(f"{name}: {text!r} must look like 1.1,50,0") from None
    if len(parts) != 3 or max_rhat < 1 or min_ess < 0 or max_div < 0:
        raise SettingsError(f"{name}: {text!r} must look like 1.1,50,0")
    return max_rhat, min_ess, max_div


@dataclass(frozen=True)
class WorkerSettings:
    """The refit worker process.

    ``stop_grace`` bounds how long shutdown waits for the worker to finish its job (a worker
    still compiling its model at start reads the stop request only afterwards). ``quick_gate``
    relaxes the diagnostics gate for ``quick`` refits only (small sampler settings cannot reach
    the default gate's bulk ESS of 400); leave it unset in production, where quick refits then
    simply fail the gate and never become current.
    """

    enabled: bool = field(default_factory=lambda: _bool("FORECAST_WORKER", True))
    quick_gate: tuple[float, float, int] | None = field(
        default_factory=lambda: parse_gate(_env("FORECAST_QUICK_GATE", ""))
    )
    stop_grace: float = field(default_factory=lambda: _float("FORECAST_WORKER_GRACE", 10.0))
    """Seconds the worker may take to finish its job at shutdown before it is terminated."""
    backoff: tuple[float, float] = field(
        default_factory=lambda: parse_backoff(_env("FORECAST_WORKER_BACKOFF", "1,300"))
    )
    """First and longest wait (s) before restarting a worker that keeps crashing."""


@dataclass(frozen=True)
class ReportSettings:
    """Periodic reports: a cron expression (UTC), off when empty (the default)."""

    cron: str = field(default_factory=lambda: _env("FORECAST_REPORT_CRON", ""))

    def __post_init__(self) -> None:
        if self.cron:
            from service.scheduler import Cron, CronError

            try:
                Cron.parse(self.cron)
            except CronError as exc:
                raise SettingsError(f"FORECAST_REPORT_CRON: {exc}") from None


@dataclass(frozen=True)
class ImportSettings:
    """Scheduled imports of a watched folder (``service.imports_schedule``); off when no cron."""

    cron: str = field(default_factory=lambda: _env("FORECAST_IMPORT_CRON", ""))
    folder: str = field(default_factory=lambda: _env("FORECAST_IMPORT_DIR", ""))

    def __post_init__(self) -> None:
        if self.cron:
            from service.scheduler import Cron, CronError

            try:
                Cron.parse(self.cron)
            except CronError as exc:
                raise SettingsError(f"FORECAST_IMPORT_CRON: {exc}") from None
            if not self.folder:
                raise SettingsError("FORECAST_IMPORT_CRON is set but FORECAST_IMPORT_DIR is not")


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go besides ``GET /v1/alerts``: a webhook URL (off when empty)."""

    webhook: str = field(default_factory=lambda: _env("FORECAST_ALERT_WEBHOOK", ""))

    def __post_init__(self) -> None:
        if self.webhook and not self.webhook.startswith(("http://", "https://")):
            raise SettingsError("FORECAST_ALERT_WEBHOOK: must be an http(s) URL")


@dataclass(frozen=True)
class LogSettings:
    """Structured logging."""

    level: str = field(default_factory=lambda: _env("FORECAST_LOG_LEVEL", "INFO").upper())
    format: str = field(default_factory=lambda: _env("FORECAST_LOG_FORMAT", "json").lower())


@dataclass(frozen=True)
class Settings:
    """Every setting of the service."""

    store: StoreSettings = field(default_factory=StoreSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    log: LogSettings = field(default_factory=LogSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def describe(self) -> Mapping[str, object]:
        """A loggable summary (key names only, never secrets)."""
        return {
            "home": str(self.store.home),
            "api_keys": self.auth.keyring.names,
            "cors_origins": list(self.api.cors_origins),
            "max_body_bytes": self.api.max_body_bytes,
            "write_rate_limit": f"{self.api.write_rate_limit[1]}/{self.api.write_rate_limit[0]}",
            "max_request_cost": self.api.max_request_cost,
            "client_cost_per_minute": self.api.client_cost_per_minute,
            "answer_cache_bytes": self.api.answer_cache_bytes,
            "refit_queue": self.api.refit_queue,
            "metrics": self.api.metrics,
            "worker": self.worker.enabled,
            "report_cron": self.reports.cron or "off",
        }
