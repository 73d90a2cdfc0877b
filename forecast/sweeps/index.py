"""The sweep store: fitted runs in a ``RunStore``, the sweep index in SQLite, result tables.

Layout under ``<FORECAST_HOME or ./var>/sweeps``::

    runs/<run id>/...        every sweep fit, once, under a run id derived from its key
    catalog.sqlite           the run store's catalog
    index.sqlite             fits (key -> run id, status, results row, scores) and sweeps
                             (id, spec, the keys of its fits)
    <sweep id>/results.csv   the tidy results table (one row per fit), also .parquet
    <sweep id>/results.nc    the same as an xarray Dataset (dimension ``fit``)
    <sweep id>/sweep.json    the sweep's summary (spec, counts, backtest table)

Only the process that runs the sweep writes (workers return their runs to it), so each key is
stored once: a run is saved first (a second save of the same run id is refused by the run
store), then its index row; a crash between the two is healed by the next resume, which refits
that key and indexes the run already on disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.core.errors import ForecastError
from forecast.store.runs import PRIORS_FILE, RunStore, default_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS fits (
    key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    row TEXT NOT NULL,
    scores TEXT
);
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS sweep_fits (
    sweep_id TEXT NOT NULL,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (sweep_id, key)
);
"""

SWEEP_ID_PATTERN = re.compile(r"^sw-[0-9a-f]{16}$")


class SweepNotFoundError(ForecastError):
    """No sweep with that id in the store."""


def sweep_home(home: Path | str | None = None) -> Path:
    """The sweep store folder: ``home`` or ``<FORECAST_HOME or ./var>/sweeps``."""
    return Path(home) if home is not None else default_home() / "sweeps"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SweepStore:
    """Reads and writes one sweep store."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = sweep_home(home)
        self.index_path = self.home / "index.sqlite"
        self._runs: RunStore | None = None

    @property
    def runs(self) -> RunStore:
        if self._runs is None:
            self._runs = RunStore(self.home)
        return self._runs

    def _db(self, rows: bool = True) -> Any:
        self.home.mkdir(parents=True, exist_ok=True)
        return sqlite.connect(self.index_path, SCHEMA, rows=rows)

    def folder(self, sweep_id: str) -> Path:
        if not SWEEP_ID_PATTERN.match(sweep_id):
            raise SweepNotFoundError(f"no sweep {sweep_id!r} in {self.home}")
        return self.home / sweep_id

    # -- fits --------------------------------------------------------------------------------
    def stored_keys(self, keys: Sequence[str] | None = None) -> set[str]:
        """The keys (of ``keys``, or all) whose fit is stored and indexed."""
        if not self.index_path.exists():
            return set()
        with self._db() as conn:
            found = {r["key"] for r in conn.execute("SELECT key FROM fits")}
        return found if keys is None else found & set(keys)

    def record(self, outcome: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
        """Store a worker's fit once: its run, then its index row. False if it was stored."""
        key, run_id = outcome["key"], outcome["run_id"]
        if key in self.stored_keys([key]):
            return False
        if not (self.runs.runs_dir / run_id).is_dir():
            self.runs.save(
                outcome["tree"],
                outcome["meta"],
                make_current=False,
                files={PRIORS_FILE: outcome["files"][PRIORS_FILE]},
            )
        scores = outcome.get("scores")
        with self._db() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO fits VALUES (?,?,?,?,?,?,?)",
                (
                    key,
                    run_id,
                    outcome["point"].label(),
                    outcome["meta"]["status"],
                    _now(),
                    json.dumps(dict(row), default=str),
                    json.dumps(scores) if scores is not None else None,
                ),
            )
            return cur.rowcount == 1

    def rows(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Results rows of the stored keys, in the order of ``keys``."""
        found = self._fetch(keys, "row")
        return [json.loads(found[k]) for k in keys if k in found]

    def scores(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Backtest scores of the stored keys that have them."""
        return {k: json.loads(v) for k, v in self._fetch(keys, "scores").items() if v}

    def _fetch(self, keys: Sequence[str], column: str) -> dict[str, str]:
        if not keys or not self.index_path.exists():
            return {}
        out: dict[str, str] = {}
        with self._db() as conn:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    f"SELECT key, {column} FROM fits WHERE key IN ({marks})",  # noqa: S608
                    chunk,
                ):
                    out[r["key"]] = r[column]
        return out

    # -- sweeps ------------------------------------------------------------------------------
    def register(
        self, sweep_id: str, spec: Mapping[str, Any], keys: Sequence[str], labels: Sequence[str]
    ) -> None:
        """Record a sweep and its fits (idempotent: the same grid resumes the same sweep)."""
        with self._db() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sweeps VALUES (?,?,?,?,?,NULL)",
                (sweep_id, _now(), _now(), json.dumps(dict(spec)), "running"),
            )
            conn.execute(
                "UPDATE sweeps SET state='running', updated=? WHERE id=?", (_now(), sweep_id)
            )
            conn.executemany(
                "INSERT OR IGNORE INTO sweep_fits VALUES (?,?,?,?)",
                [
                    (sweep_id, k, i, lab)
                    for i, (k, lab) in enumerate(zip(keys, labels, strict=True))
                ],
            )

    def finish(self, sweep_id: str, state: str, summary: Mapping[str, Any]) -> None:
        with self._db() as conn:
            conn.execute(
                "UPDATE sweeps SET state=?, updated=?, summary=? WHERE id=?",
                (state, _now(), json.dumps(dict(summary), default=str), sweep_id),
            )

    def keys_of(self, sweep_id: str) -> list[str]:
        self.folder(sweep_id)
        if not self.index_path.exists():
            raise SweepNotFoundError(f"no sweep {sweep_id!r} in {self.home}")
        with self._db() as conn:
            found = conn.execute("SELECT 1 FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
            if found is None:
                raise SweepNotFoundError(f"no sweep {sweep_id!r} in {self.home}")
            rows = conn.execute(
                "SELECT key FROM sweep_fits WHERE sweep_id=? ORDER BY position", (sweep_id,)
            ).fetchall()
        return [r["key"] for r in rows]

    def list(self) -> list[dict[str, Any]]:
        """Every sweep, newest first: id, times, state, spec and fit counts."""
        if not self.index_path.exists():
            return []
        with self._db() as conn:
            rows = conn.execute(
                "SELECT s.id, s.created, s.updated, s.state, s.spec, "
                "COUNT(sf.key) AS fits, COUNT(f.key) AS stored, "
                "SUM(CASE WHEN f.status = 'passed' THEN 1 ELSE 0 END) AS passed "
                "FROM sweeps s LEFT JOIN sweep_fits sf ON sf.sweep_id = s.id "
                "LEFT JOIN fits f ON f.key = sf.key GROUP BY s.id "
                "ORDER BY s.updated DESC, s.id DESC"
            ).fetchall()
        return [
            {
                "id": r["id"],
                "created": r["created"],
                "updated": r["updated"],
                "state": r["state"],
                "spec": json.loads(r["spec"]),
                "fits": int(r["fits"]),
                "stored": int(r["stored"]),
                "passed": int(r["passed"] or 0),
            }
            for r in rows
        ]

    def get(self, sweep_id: str) -> dict[str, Any]:
        """A sweep's listing entry, its summary and its results rows."""
        keys = self.keys_of(sweep_id)
        entry = next(s for s in self.list() if s["id"] == sweep_id)
        with self._db() as conn:
            summary = conn.execute("SELECT summary FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
        return entry | {
            "summary": json.loads(summary["summary"]) if summary and summary["summary"] else None,
            "rows": self.rows(keys),
        }
