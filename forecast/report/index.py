"""The report store: rendered reports on disk under ``<home>/reports`` and their SQLite index.

Layout::

    reports/<report_id>/report.html   self-contained (figures inline as SVG data URIs)
    reports/<report_id>/report.pdf    the same HTML, printed by WeasyPrint
    reports/<report_id>/report.json   the same numbers, plus the numbers behind each figure
    reports/index.sqlite              one row per report: id, run id, created, formats, ...
    reports/priors/<hash>/<name>.toml snapshots of the prior files of reported runs
    reports/data/<data hash>/<file>   snapshots of reported runs' extra observation files
    reports/counterfactuals/          a run store of counterfactual refits (never current)

A report is written to ``reports/tmp/`` and renamed into place in one step, so a crash never
leaves a half-written report; ``reconcile`` indexes a report whose folder landed but whose index
row did not. The index opens through :func:`forecast.core.sqlite.connect` like every store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from forecast.core import sqlite
from forecast.core.errors import ForecastError, UsageError
from forecast.store.runs import default_home

FORMATS: tuple[str, ...] = ("html", "pdf", "json")
REPORTS_DIR = "reports"
INDEX_FILE = "index.sqlite"

INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    created TEXT NOT NULL,
    formats TEXT NOT NULL,
    previous_id TEXT,
    change_method TEXT
)
"""


class ReportStore:
    """Rendered reports under ``<home>/reports`` with a SQLite index."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.root = self.home / REPORTS_DIR
        self.index_path = self.root / INDEX_FILE
        self.tmp_dir = self.root / "tmp"
        self.priors_dir = self.root / "priors"
        self.data_dir = self.root / "data"
        self.counterfactual_home = self.root / "counterfactuals"

    def folder(self, report_id: str) -> Path:
        """The folder of one report (it may not exist yet)."""
        if not report_id or "/" in report_id or report_id.startswith("."):
            raise UsageError(f"bad report id {report_id!r}")
        return self.root / report_id

    def _ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _db(self, rows: bool = False) -> Iterator[sqlite3.Connection]:
        self._ensure()
        with sqlite.connect(self.index_path, INDEX_SCHEMA, rows=rows) as conn:
            yield conn

    @staticmethod
    def _insert(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO reports VALUES (?,?,?,?,?,?)",
            (
                row["id"],
                row["run_id"],
                row["created"],
                ",".join(row["formats"]),
                row.get("previous_id"),
                row.get("change_method"),
            ),
        )

    def reconcile(self) -> None:
        """Index reports present on disk but missing from the index (e.g. after a crash)."""
        self._ensure()
        with self._db() as conn:
            known = {r[0] for r in conn.execute("SELECT id FROM reports")}
            for folder in sorted(self.root.iterdir()):
                path = folder / "report.json"
                if folder.name in known or not path.is_file():
                    continue
                payload = json.loads(path.read_text())
                self._insert(conn, index_row(payload, formats_in(folder)))

    def list(self) -> list[dict[str, Any]]:
        """Every report in the index, newest first."""
        if not self.root.is_dir():
            return []
        self.reconcile()
        with self._db(rows=True) as conn:
            rows = conn.execute("SELECT * FROM reports ORDER BY created DESC, id DESC").fetchall()
        return [dict(r) | {"formats": [f for f in r["formats"].split(",") if f]} for r in rows]

    def latest(self, before: datetime | None = None) -> dict[str, Any] | None:
        """The newest report (created at or before ``before`` when given), or None."""
        for row in self.list():
            if before is None or datetime.fromisoformat(row["created"]) <= before:
                return row
        return None

    def payload(self, report_id: str) -> dict[str, Any]:
        """The JSON of a stored report."""
        path = self.folder(report_id) / "report.json"
        if not path.is_file():
            raise ForecastError(f"no report {report_id!r} with JSON in {self.root}")
        return json.loads(path.read_text())

    def new_id(self, created: datetime, run_id: str) -> str:
        """A readable, unique report id: creation time (UTC) plus a short hash."""
        digest = hashlib.sha256(f"{created.isoformat()}|{run_id}".encode()).hexdigest()[:8]
        base = f"{created:%Y%m%dT%H%M%SZ}-{digest}"
        report_id, n = base, 1
        while self.folder(report_id).exists():
            n += 1
            report_id = f"{base}-{n}"
        return report_id

    def publish(self, report_id: str, files: Mapping[str, bytes], row: Mapping[str, Any]) -> Path:
        """Write a report's files atomically (temporary folder, then rename) and index it."""
        self._ensure()
        final = self.folder(report_id)
        if final.exists():
            raise ForecastError(f"report {report_id} already exists in {self.root}")
        tmp = Path(tempfile.mkdtemp(prefix=f"{report_id}.", dir=self.tmp_dir))
        try:
            os.chmod(tmp, 0o755)  # noqa: S103 (mkdtemp makes 0700; reports are public documents)
            for fmt, data in files.items():
                (tmp / f"report.{fmt}").write_bytes(data)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with self._db() as conn:
            self._insert(conn, row)
        return final

    # -- snapshots of a run's inputs ------------------------------------------------------------
    def snapshot_prior(self, text: bytes, digest: str, name: str) -> Path:
        """Keep a prior file's text under ``priors/<hash>/<name>.toml`` (once)."""
        target = self.priors_dir / digest / f"{name}.toml"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, text)
        return target

    def snapshot_data(self, files: Sequence[Path], data_hash: str) -> None:
        """Keep copies of a run's extra observation files under ``data/<data hash>/``."""
        for path in files:
            target = self.data_dir / data_hash / path.name
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, path.read_bytes())


def atomic_write(path: Path, data: bytes) -> None:
    """Write one file through a temporary sibling and a rename, readable by all (0644)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(name, 0o644)  # mkstemp makes 0600; reports are meant to be read and served
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def formats_in(folder: Path) -> list[str]:
    """The report formats present in a report folder, in ``FORMATS`` order."""
    return [fmt for fmt in FORMATS if (folder / f"report.{fmt}").is_file()]


def index_row(payload: Mapping[str, Any], formats: Sequence[str]) -> dict[str, Any]:
    """The index row of a report, from its JSON payload."""
    changes = payload.get("changes", {})
    return {
        "id": payload["report"]["id"],
        "run_id": payload["run"]["id"],
        "created": payload["report"]["created"],
        "formats": list(formats),
        "previous_id": changes.get("previous_report"),
        "change_method": changes.get("method"),
    }
