"""Surprise alerts: new observations far outside the current run's predictive, kept for readers.

When observations arrive (a post, an import, a scheduled import) each scorable row is scored
against the current run (``forecast.questions.alerts``); a row beyond the 5th or 95th percentile
becomes an alert, stored here in the ``alerts`` table of ``$FORECAST_HOME/service.sqlite``, so
that ``GET /v1/alerts``, the dashboard and the next report read the same list. Delivery to a
webhook is recorded per alert (``delivered``, ``attempts``, ``last_error``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.store.observations import DATABASE, now_iso
from forecast.store.settings import default_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    run_id TEXT NOT NULL,
    observation_id INTEGER,
    table_name TEXT NOT NULL,
    label TEXT,
    quantity TEXT NOT NULL,
    date TEXT NOT NULL,
    value REAL NOT NULL,
    country TEXT NOT NULL,
    percentile REAL NOT NULL,
    tail TEXT NOT NULL,
    strains TEXT,
    message TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    delivered TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS alerts_by_created ON alerts (created, id);
"""

FIELDS = (
    "run_id",
    "observation_id",
    "table",
    "label",
    "quantity",
    "date",
    "value",
    "country",
    "percentile",
    "tail",
    "strains",
    "message",
)


class AlertStore:
    """Alerts in the store's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as conn:
            conn.executescript(SCHEMA)

    @classmethod
    def at_home(cls, home: Path | None = None) -> AlertStore:
        """The alert store of ``home`` (default ``$FORECAST_HOME``, else ``./var``)."""
        return cls(Path(home if home is not None else default_home()) / DATABASE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with sqlite.connect(self.path, rows=True) as conn:
            yield conn

    def add(self, alert: Mapping[str, Any]) -> dict[str, Any]:
        """Store one alert (the keys of :data:`FIELDS`, plus optional ``detail``)."""
        created = now_iso()
        with self._db() as conn:
            cur = conn.execute(
                "INSERT INTO alerts (created, run_id, observation_id, table_name, label, "
                "quantity, date, value, country, percentile, tail, strains, message, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    created,
                    alert["run_id"],
                    alert.get("observation_id"),
                    alert["table"],
                    alert.get("label"),
                    alert["quantity"],
                    alert["date"],
                    float(alert["value"]),
                    alert["country"],
                    float(alert["percentile"]),
                    alert["tail"],
                    alert.get("strains"),
                    alert["message"],
                    json.dumps(alert.get("detail", {}), sort_keys=True),
                ),
            )
            alert_id = int(cur.lastrowid or 0)
        found = self.get(alert_id)
        assert found is not None
        return found

    def get(self, alert_id: int) -> dict[str, Any] | None:
        """One alert, or None."""
        with self._db() as conn:
            row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return _item(row) if row is not None else None

    def page(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of alerts, newest first, and the total count."""
        with self._db() as conn:
            total = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
            rows = conn.execute(
                "SELECT * FROM alerts ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
        return [_item(r) for r in rows], int(total)

    def since(self, created: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Alerts created after ``created`` (ISO time; None: all), newest first."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT * FROM alerts WHERE ? IS NULL OR created > ? ORDER BY id DESC LIMIT ?",
                (created, created, limit),
            ).fetchall()
        return [_item(r) for r in rows]

    def record_delivery(self, alert_id: int, ok: bool, error: str | None = None) -> None:
        """Count one webhook attempt; on success, the delivery time."""
        with self._db() as conn:
            conn.execute(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ?, "
                "delivered = CASE WHEN ? THEN ? ELSE delivered END WHERE id = ?",
                (None if ok else error, int(ok), now_iso(), alert_id),
            )


def _item(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": int(r["id"]),
        "created": r["created"],
        "run_id": r["run_id"],
        "observation_id": r["observation_id"],
        "table": r["table_name"],
        "label": r["label"],
        "quantity": r["quantity"],
        "date": r["date"],
        "value": r["value"],
        "country": r["country"],
        "percentile": r["percentile"],
        "tail": r["tail"],
        "strains": r["strains"],
        "message": r["message"],
        "detail": json.loads(r["detail"] or "{}"),
        "delivered": r["delivered"],
        "attempts": int(r["attempts"]),
        "last_error": r["last_error"],
    }
