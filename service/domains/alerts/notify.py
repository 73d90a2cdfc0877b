"""Scoring arrivals and delivering alerts: the service's side of ``forecast.questions.alerts``.

:func:`score_arrivals` scores newly stored rows against the current run (in a thread) and
stores the alerts; :class:`AlertNotifier` POSTs each alert as JSON to ``FORECAST_ALERT_WEBHOOK``
from one background thread, retrying with exponential backoff, so no request ever waits for the
receiver. Each attempt is recorded on the alert (``attempts``, ``delivered``, ``last_error``).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread

from forecast.questions.alerts import score_and_record
from forecast.store.alerts import AlertStore

log = logging.getLogger("service.alerts")

ATTEMPTS = 5
BASE_DELAY = 0.5
TIMEOUT = 5.0
NOTIFIER_STATE = "alert_notifier"


class AlertNotifier:
    """A background thread that delivers alerts to a webhook (nothing when no URL is set)."""

    def __init__(
        self,
        url: str | None,
        database: Path,
        attempts: int = ATTEMPTS,
        base_delay: float = BASE_DELAY,
        timeout: float = TIMEOUT,
    ) -> None:
        self.url = url or None
        self.database = Path(database)
        self.attempts = attempts
        self.base_delay = base_delay
        self.timeout = timeout
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def notify(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Queue alerts for delivery; returns at once."""
        if not self.url or not alerts:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
                self._thread.start()
        for alert in alerts:
            self._queue.put(dict(alert))

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to stop after the alerts already queued."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            try:
                self.deliver(alert)
            except Exception as exc:  # the thread must outlive any one alert
                log.error("alert delivery crashed", exc_info=exc)

    def deliver(self, alert: Mapping[str, Any]) -> bool:
        """POST one alert, retrying with backoff; True when the receiver answered 2xx."""
        assert self.url is not None
        body = json.dumps({"type": "forecast.alert", "alert": alert}).encode()
        store = AlertStore(self.database)
        for attempt in range(self.attempts):
            request = urllib.request.Request(  # noqa: S310 (the operator's configured URL)
                self.url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": "forecast-alerts"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    ok = 200 <= response.status < 300
                    error = None if ok else f"HTTP {response.status}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                ok, error = False, str(getattr(exc, "reason", exc))
            if alert.get("id") is not None:
                store.record_delivery(int(alert["id"]), ok, error)
            if ok:
                return True
            log.warning("alert webhook failed", extra={"attempt": attempt + 1, "error": error})
            if attempt + 1 < self.attempts:
                time.sleep(self.base_delay * 2**attempt)
        return False


def notifier_for(state: Any, url: str | None, database: Path) -> AlertNotifier:
    """The app's notifier (made on first use and kept in the app state)."""
    found = state.get(NOTIFIER_STATE) if hasattr(state, "get") else None
    if found is None:
        found = AlertNotifier(url, database)
        state[NOTIFIER_STATE] = found
    return found


async def score_arrivals(
    services: Any, state: Any, table: str, rows: Sequence[tuple[int, Mapping[str, str]]]
) -> list[dict[str, Any]]:
    """Score new rows against the current run, store and send the alerts; never raises."""
    try:
        run_id = services.current.peek()
        if run_id is None or not rows:
            return []
        forecaster = await services.pool.get(run_id)
        home = services.settings.store.home
        alerts = await anyio.to_thread.run_sync(
            lambda: score_and_record(table, rows, home=home, forecaster=forecaster)
        )
    except Exception as exc:  # scoring must never fail a write that was stored
        log.error("new observations were not scored", exc_info=exc)
        return []
    if alerts:
        log.warning("surprising observations", extra={"alerts": [a["id"] for a in alerts]})
        settings = getattr(services.settings, "alerts", None)
        url = getattr(settings, "webhook", None)
        notifier_for(state, url, services.settings.store.database).notify(alerts)
    return alerts
