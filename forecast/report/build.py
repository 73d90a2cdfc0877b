"""The periodic report: a dated HTML, PDF and JSON report of one stored run.

``render_report`` renders a run (default: the current one) with its headline answers, figures,
diagnostics, what changed since the previous report (split into the part from new data and the
part from changed priors), a data appendix and a model-card summary. ``report_due`` tells a
scheduler whether a new report is due. Both work on the report store under
``$FORECAST_HOME`` (default ``./var``)::

    reports/<report_id>/report.html   self-contained (figures inline as SVG data URIs)
    reports/<report_id>/report.pdf    the same HTML, printed by WeasyPrint
    reports/<report_id>/report.json   the same numbers, plus the numbers behind each figure
    reports/index.sqlite              one row per report: id, run id, created, formats, ...
    reports/priors/<hash>/<name>.toml snapshots of the prior files of reported runs
    reports/data/<data hash>/<file>   snapshots of reported runs' extra observation files
    reports/counterfactuals/          a run store of counterfactual refits (never current)

A report is written to ``reports/tmp/`` and renamed into place in one step, so a crash never
leaves a half-written report. The snapshots let a later report refit a counterfactual with the
priors (and extra data) of an earlier run even after ``priors/*.toml`` was edited.

The change split. The previous report's run P was fitted with priors p0 on data d0, the current
run C with p1 on d1. When only one of them changed, the whole change is that part. When both
changed, a counterfactual run K = (p0, d1) is refitted (or taken from the cache) with C's sampler
settings and gate: the data part is K - P and the prior part C - K, which add up to C - P. When
the old prior file is not available with its recorded hash, K = (p1, d0) is used instead if the
old data can be rebuilt (prior part K - P, data part C - K); when neither can be rebuilt, the
report says why and gives the total change only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core import sqlite
from forecast.core.errors import ForecastError, UsageError
from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster, iso
from forecast.store.runs import RunStore, default_home

FORMATS: tuple[str, ...] = ("html", "pdf", "json")
HEADLINE_BY: tuple[str, ...] = ("2027-12-31", "2030-12-31", "2035-12-31")
INTERVAL_PROB = 0.8
INTERVAL_QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)
REFIT_MODES: tuple[str, ...] = ("auto", "cached", "off")
REPORTS_DIR = "reports"
INDEX_FILE = "index.sqlite"
TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_EVERY = timedelta(days=7)
TITLE = "AI capability timelines: forecast report"

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

DATA_SOURCES: tuple[dict[str, str], ...] = (
    {
        "name": "Epoch AI, Data on AI Models",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/ai-models",
        "tables": "models",
    },
    {
        "name": "Epoch AI, AI Chip Owners",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/ai-chip-owners",
        "tables": "compute_stock",
    },
    {
        "name": "Epoch AI, Epoch Capabilities Index",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/eci",
        "tables": "capability_eci",
    },
    {
        "name": "Epoch AI, Machine Learning Hardware",
        "licence": "CC BY 4.0",
        "url": "https://epoch.ai/data/machine-learning-hardware",
        "tables": "hardware",
    },
    {
        "name": "METR, time horizons",
        "licence": "cite METR",
        "url": "https://metr.org/time-horizons/",
        "tables": "capability_metr",
    },
    {
        "name": "Published estimates and export-control events (papers, Epoch data insights, "
        "CNAS, SemiAnalysis, Federal Register / BIS, GAO, news reports), one source per row",
        "licence": "our one-line summaries, each row citing its publication",
        "url": "",
        "tables": "estimates, export_controls",
    },
)
TABLE_SOURCES = {
    "models": "Epoch AI, Data on AI Models: US and CN models 2018-2025 with training compute",
    "compute_stock": "Epoch AI, AI Chip Owners: holder groups x quarters, 2022Q1-2025Q4",
    "capability_eci": "Epoch Capabilities Index: one row per scored US or CN model",
    "capability_metr": "METR time horizons, suites v1.0 and v1.1, with 95% intervals",
    "hardware": "Epoch AI, ML Hardware",
    "estimates": "published trend estimates used to set priors",
    "export_controls": "dated export-control events (scenario levers)",
}

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- report store ----------------------------------------------------------------------------------
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
    def _db(self) -> Iterator[sqlite3.Connection]:
        self._ensure()
        with sqlite.connect(self.index_path, INDEX_SCHEMA) as conn:
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
                self._insert(conn, index_row(payload, _formats_in(folder)))

    def list(self) -> list[dict[str, Any]]:
        """Every report in the index, newest first."""
        if not self.root.is_dir():
            return []
        self.reconcile()
        with self._db() as conn:
            conn.row_factory = sqlite3.Row
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
    def snapshot_prior(self, prior_path: Path, digest: str, name: str) -> Path:
        """Keep a copy of a prior file under ``priors/<hash>/<name>.toml`` (once)."""
        target = self.priors_dir / digest / f"{name}.toml"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(target, prior_path.read_bytes())
        return target

    def snapshot_data(self, files: Sequence[Path], data_hash: str) -> None:
        """Keep copies of a run's extra observation files under ``data/<data hash>/``."""
        for path in files:
            target = self.data_dir / data_hash / path.name
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                _atomic_write(target, path.read_bytes())


def _atomic_write(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(name, 0o644)  # mkstemp makes 0600; reports are meant to be read and served
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _formats_in(folder: Path) -> list[str]:
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


# -- is a report due? ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportDue:
    """Whether a new report is due, why, and for which run."""

    due: bool
    reason: str
    run_id: str | None
    last_report: dict[str, Any] | None = None


def report_due(
    home: Path | str | None = None,
    *,
    every: timedelta = DEFAULT_EVERY,
    now: datetime | None = None,
    store: RunStore | None = None,
    reports: ReportStore | None = None,
) -> ReportDue:
    """Is a report due? Yes when there is a current run and no report yet, when the current
    run has changed since the last report, or when the last report is ``every`` old.

    A scheduler calls this, then ``render_report(reports=..., store=...)`` when ``due``.
    """
    from forecast.store.runs import RunNotFoundError

    store = store or RunStore(home)
    reports = reports or ReportStore(store.home if home is None else home)
    now = now or datetime.now(UTC)
    try:
        run_id = store.current_id()
    except RunNotFoundError:
        return ReportDue(False, "no current run to report on", None)
    last = reports.latest()
    if last is None:
        return ReportDue(True, "no report yet", run_id)
    if last["run_id"] != run_id:
        return ReportDue(
            True, f"the current run {run_id} is newer than the last report's run", run_id, last
        )
    age = now - datetime.fromisoformat(last["created"])
    if age >= every:
        return ReportDue(True, f"the last report is {age} old (every {every})", run_id, last)
    return ReportDue(False, f"the last report ({last['id']}) covers the current run", run_id, last)


# -- headline answers ------------------------------------------------------------------------------
def headline_section(forecaster: Forecaster, scenarios: Sequence[str]) -> dict[str, Any]:
    """P(by each headline date) and median arrival with its 80% interval, per country and
    scenario: each number straight from the ``Forecaster`` answers, with its MC error."""
    rows = []
    for scenario in scenarios:
        for code in COUNTRIES:
            arrival = forecaster.arrival(code, scenario, quantiles=INTERVAL_QUANTILES, cdf=False)
            lower, median, upper = arrival["quantiles"]
            p_by = []
            for by in HEADLINE_BY:
                answer = forecaster.probability(code, by, scenario)
                p_by.append({"by": answer["by"], "p": answer["p"], "mcse": answer["mcse"]})
            rows.append(
                {
                    "country": code,
                    "scenario": scenario,
                    "p_by": p_by,
                    "median": median,
                    "interval": {"prob": INTERVAL_PROB, "lower": lower, "upper": upper},
                    "p_later": arrival["p_later"],
                    "n_eff": arrival["n_eff"],
                }
            )
    return {
        "by_dates": list(HEADLINE_BY),
        "interval_prob": INTERVAL_PROB,
        "horizon_end": iso(forecaster.projector.grid[-1]),
        "rows": rows,
    }


def race_section(forecaster: Forecaster, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """Who first, per scenario, with the median gap and its 80% interval (CN minus US)."""
    out = []
    for scenario in scenarios:
        race = forecaster.race(scenario, quantiles=INTERVAL_QUANTILES)
        lower, median, upper = race["gap_quantiles"]
        out.append(
            {
                "scenario": scenario,
                "p_cn_first": race["p_cn_first"],
                "p_us_first": race["p_us_first"],
                "p_neither_by_horizon": race["p_neither_by_horizon"],
                "p_gap_within": race["p_gap_within"],
                "gap_median": median,
                "gap_interval": {"prob": INTERVAL_PROB, "lower": lower, "upper": upper},
                "n_eff": race["n_eff"],
            }
        )
    return out


def headline_metrics(
    headline: Mapping[str, Any], race: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every headline figure as key -> {label fields, value, mcse} (the rows of 'what changed')."""
    out: dict[str, dict[str, Any]] = {}
    for row in headline["rows"]:
        base = {"country": row["country"], "scenario": row["scenario"]}
        for p in row["p_by"]:
            out[f"{row['country']}/{row['scenario']}/p_by_{p['by']}"] = base | {
                "figure": f"P(by {p['by']})",
                "unit": "probability",
                "value": p["p"],
                "mcse": p["mcse"],
            }
        m = row["median"]
        out[f"{row['country']}/{row['scenario']}/median"] = base | {
            "figure": "median arrival",
            "unit": "years",
            "value": m["year"],
            "mcse": m["mcse_years"],
            "date": m["date"],
        }
    for r in race:
        out[f"race/{r['scenario']}/p_cn_first"] = {
            "country": "race",
            "scenario": r["scenario"],
            "figure": "P(CN first)",
            "unit": "probability",
            "value": r["p_cn_first"]["p"],
            "mcse": r["p_cn_first"]["mcse"],
        }
    return out


# -- resolving a run's inputs (for counterfactual refits) ------------------------------------------
@dataclass(frozen=True)
class ResolvedPriors:
    prior_set: Any | None  # PriorSet
    path: Path | None
    note: str


@dataclass(frozen=True)
class ResolvedData:
    extra: tuple[Path, ...] | None
    cutoff: date | None
    note: str


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resolve_priors(meta: Mapping[str, Any], reports: ReportStore) -> ResolvedPriors:
    """The run's prior file, found by its recorded hash: in ``priors/`` or a report snapshot."""
    from forecast.priors.priorset import load_prior_set, priors_dir

    info = meta["prior_set"]
    digest, name = info["hash"], info["name"]
    folder = priors_dir()
    candidates = [folder / info.get("path", f"{name}.toml")]
    if folder.is_dir():
        candidates += sorted(folder.glob("*.toml"))
    snap = reports.priors_dir / digest
    if snap.is_dir():
        candidates += sorted(snap.glob("*.toml"))
    seen: set[Path] = set()
    for path in candidates:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        if _sha256(path) == digest:
            where = "a report snapshot" if path.is_relative_to(reports.root) else "priors/"
            return ResolvedPriors(load_prior_set(path), path, f"prior set '{name}' from {where}")
    return ResolvedPriors(
        None,
        None,
        f"the prior file of set '{name}' with hash {digest[:12]} is no longer available "
        "(priors/ holds a different version and no report kept a snapshot)",
    )


def _data_hash(extra: Sequence[Path], cutoff: date | None) -> str:
    """The data hash ``forecast.fit.sampling.prepare`` records for these inputs."""
    from forecast.data import tables

    digest = tables.data_hash(extra)
    if cutoff is not None:
        digest = hashlib.sha256(f"{digest}|cutoff={cutoff.isoformat()}".encode()).hexdigest()
    return digest


def resolve_data(
    meta: Mapping[str, Any], reports: ReportStore, data_files: Sequence[Path] = ()
) -> ResolvedData:
    """The run's observations (bundled tables plus its extra files), if they can be rebuilt
    with the recorded data hash: extra files are looked up by name in the report snapshots and
    among ``data_files``."""
    expected = meta["data_hash"]
    cutoff = date.fromisoformat(meta["cutoff"]) if meta.get("cutoff") else None
    names = list(meta.get("extra_data") or [])
    pool: dict[str, Path] = {}
    snap = reports.data_dir / expected
    for path in [*(snap.iterdir() if snap.is_dir() else []), *map(Path, data_files)]:
        if path.is_file():
            pool.setdefault(path.name, path)
    missing = [n for n in names if n not in pool]
    if missing:
        return ResolvedData(
            None, cutoff, f"the run's extra data files ({', '.join(missing)}) are not available"
        )
    extra = tuple(pool[n] for n in names)
    if _data_hash(extra, cutoff) != expected:
        what = "the bundled tables" + (" or the extra files" if extra else "")
        return ResolvedData(
            None, cutoff, f"{what} changed since that run (data hash {expected[:12]})"
        )
    label = "bundled tables" + (f" plus {', '.join(names)}" if names else "")
    return ResolvedData(extra, cutoff, label + (f", cut at {cutoff}" if cutoff else ""))


# -- counterfactual refits -------------------------------------------------------------------------
@dataclass
class Counterfactual:
    run_id: str
    store: RunStore
    how: str  # "cached" or "refitted"
    seconds: float


def _find_run(
    store: RunStore, prior_hash: str, data_hash: str, sampler: Mapping[str, Any]
) -> str | None:
    if not store.runs_dir.is_dir():
        return None
    for row in store.list():
        if row["prior_hash"] != prior_hash or row["data_hash"] != data_hash:
            continue
        try:
            meta = store.meta(row["id"])
        except ForecastError:
            continue
        if meta.get("sampler") == dict(sampler):
            return row["id"]
    return None


def counterfactual_run(
    prior_set: Any,
    data: ResolvedData,
    data_hash: str,
    sampler: Mapping[str, Any],
    gate: Mapping[str, Any],
    reports: ReportStore,
    store: RunStore,
    refit: str,
    log: Log,
) -> Counterfactual | None:
    """A run with these priors and data and the given sampler settings: from the cache (the
    counterfactual store, or any stored run with the same inputs), or refitted when ``refit``
    is ``auto``. None when it is not cached and refits are not allowed."""
    from forecast.fit.sampling import Gate, SamplerConfig, fit

    cf_store = RunStore(reports.counterfactual_home)
    for where in (cf_store, store):
        found = _find_run(where, prior_set.hash, data_hash, sampler)
        if found:
            return Counterfactual(found, where, "cached", 0.0)
    if refit != "auto":
        return None
    log(
        f"refitting a counterfactual run: priors {prior_set.name} ({prior_set.hash[:12]}), "
        f"data {data_hash[:12]} (about a minute)"
    )
    started = time.perf_counter()
    kwargs: dict[str, Any] = {"cutoff": data.cutoff} if data.cutoff is not None else {}
    result = fit(
        priors=prior_set,
        extra=data.extra or (),
        config=SamplerConfig(**sampler),
        store=cf_store,
        gate=Gate(**gate),
        progress=False,
        log=log,
        make_current=False,
        **kwargs,
    )
    return Counterfactual(result.run_id, cf_store, "refitted", time.perf_counter() - started)


# -- what changed ----------------------------------------------------------------------------------
def _diff(a: dict[str, Any], b: dict[str, Any]) -> tuple[float | None, float | None]:
    """b - a with its MC error (independent runs: errors add in quadrature)."""
    if a["value"] is None or b["value"] is None:
        return None, None
    se = None
    if a["mcse"] is not None and b["mcse"] is not None:
        se = round(float(np.hypot(a["mcse"], b["mcse"])), 4)
    return round(b["value"] - a["value"], 4), se


def split_rows(
    then: Mapping[str, dict[str, Any]],
    now: Mapping[str, dict[str, Any]],
    middle: Mapping[str, dict[str, Any]] | None,
    method: str,
) -> list[dict[str, Any]]:
    """Rows of 'what changed': then, now, total change, and its data and prior parts.

    ``method``: ``priors_only``/``data_only`` put the whole change in one part; ``p0_d1``
    (middle = (p0, d1)) gives data = middle - then, priors = now - middle; ``p1_d0`` (middle =
    (p1, d0)) gives priors = middle - then, data = now - middle; ``sampling`` (same priors and
    data) and ``total_only`` give no split.
    """
    rows = []
    for key, cur in now.items():
        prev = then.get(key)
        if prev is None:
            continue
        total, total_se = _diff(prev, cur)
        data_part = prior_part = data_se = prior_se = None
        if method == "priors_only":
            data_part, data_se, prior_part, prior_se = 0.0, 0.0, total, total_se
        elif method == "data_only":
            data_part, data_se, prior_part, prior_se = total, total_se, 0.0, 0.0
        elif method in ("p0_d1", "p1_d0") and middle is not None and key in middle:
            first, first_se = _diff(prev, middle[key])
            second, second_se = _diff(middle[key], cur)
            if method == "p0_d1":
                data_part, data_se, prior_part, prior_se = first, first_se, second, second_se
            else:
                prior_part, prior_se, data_part, data_se = first, first_se, second, second_se
        elif method == "sampling":
            data_part, data_se, prior_part, prior_se = 0.0, 0.0, 0.0, 0.0
        rows.append(
            {
                "key": key,
                "country": cur["country"],
                "scenario": cur["scenario"],
                "figure": cur["figure"],
                "unit": cur["unit"],
                "then": prev["value"],
                "then_mcse": prev["mcse"],
                "now": cur["value"],
                "now_mcse": cur["mcse"],
                "change": total,
                "change_mcse": total_se,
                "from_data": data_part,
                "from_data_mcse": data_se,
                "from_priors": prior_part,
                "from_priors_mcse": prior_se,
                "middle": None if middle is None or key not in middle else middle[key]["value"],
            }
        )
    return rows


def _run_inputs(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": meta["id"],
        "created": meta["created"],
        "prior_set": meta["prior_set"]["name"],
        "prior_hash": meta["prior_set"]["hash"],
        "data_hash": meta["data_hash"],
        "extra_data": list(meta.get("extra_data") or []),
        "sampler": meta["sampler"],
    }


def changes_section(
    current: Forecaster,
    now_metrics: Mapping[str, dict[str, Any]],
    scenarios: Sequence[str],
    previous: Mapping[str, Any] | None,
    store: RunStore,
    reports: ReportStore,
    refit: str,
    data_files: Sequence[Path],
    log: Log,
) -> dict[str, Any]:
    """What changed since the previous report, split into the data part and the prior part."""
    cur_meta = current.run.meta
    out: dict[str, Any] = {
        "previous_report": None,
        "previous_run": None,
        "current_run": _run_inputs(cur_meta),
        "method": "first_report",
        "summary": "This is the first report in this store: there is nothing to compare with.",
        "notes": [],
        "rows": [],
    }
    if previous is None:
        return out
    out["previous_report"] = previous["id"]
    out["previous_report_created"] = previous["created"]
    prev_id = previous["run_id"]
    if prev_id == current.run.id:
        out["method"] = "same_run"
        out["previous_run"] = _run_inputs(cur_meta)
        out["summary"] = (
            f"The previous report ({previous['id']}) showed the same run, {prev_id}: "
            "nothing changed."
        )
        out["rows"] = split_rows(now_metrics, now_metrics, None, "sampling")
        return out
    try:
        prev = Forecaster.from_store(store, prev_id)
    except ForecastError as exc:
        return out | _from_previous_payload(previous, reports, now_metrics, str(exc))
    prev_meta = prev.run.meta
    out["previous_run"] = _run_inputs(prev_meta)
    then = headline_metrics(headline_section(prev, scenarios), race_section(prev, scenarios))
    out["notes"] += _compare_with_printed(previous, reports, then)
    prior_changed = prev_meta["prior_set"]["hash"] != cur_meta["prior_set"]["hash"]
    data_changed = prev_meta["data_hash"] != cur_meta["data_hash"]
    if prev_meta["sampler"] != cur_meta["sampler"]:
        out["notes"].append(
            "The two runs used different sampler settings "
            f"({_sampler_text(prev_meta['sampler'])} then, {_sampler_text(cur_meta['sampler'])} "
            "now); part of any change is Monte Carlo noise from that."
        )
    out["notes"].append(
        "MC errors of changes add the two runs' errors in quadrature (a conservative bound: "
        "both runs share the projection's random numbers through the seed)."
    )
    if not prior_changed and not data_changed:
        out["method"] = "sampling"
        out["summary"] = (
            "Priors and data are the same as in the previous run; the change is sampling noise "
            "(different sampler settings or seed), so no part comes from data or priors."
        )
        out["rows"] = split_rows(then, now_metrics, None, "sampling")
        return out
    if prior_changed != data_changed:
        method = "priors_only" if prior_changed else "data_only"
        what = (
            f"the prior set changed ({prev_meta['prior_set']['name']} "
            f"{prev_meta['prior_set']['hash'][:12]} -> {cur_meta['prior_set']['name']} "
            f"{cur_meta['prior_set']['hash'][:12]}) on the same data"
            if prior_changed
            else f"the data changed ({prev_meta['data_hash'][:12]} -> "
            f"{cur_meta['data_hash'][:12]}) under the same priors"
        )
        out["method"] = method
        out["summary"] = (
            f"Only one input changed: {what}. The whole change is attributed to "
            f"{'priors' if prior_changed else 'data'}; no refit was needed."
        )
        out["rows"] = split_rows(then, now_metrics, None, method)
        return out
    # Both changed: a counterfactual run is needed.
    out |= _split_both(
        prev, current, then, now_metrics, scenarios, store, reports, refit, data_files, log
    )
    return out


def _split_both(
    prev: Forecaster,
    current: Forecaster,
    then: Mapping[str, dict[str, Any]],
    now_metrics: Mapping[str, dict[str, Any]],
    scenarios: Sequence[str],
    store: RunStore,
    reports: ReportStore,
    refit: str,
    data_files: Sequence[Path],
    log: Log,
) -> dict[str, Any]:
    prev_meta, cur_meta = prev.run.meta, current.run.meta
    old_priors = resolve_priors(prev_meta, reports)
    new_data = resolve_data(cur_meta, reports, data_files)
    ways = []
    if old_priors.prior_set is not None and new_data.extra is not None:
        ways.append(("p0_d1", old_priors, new_data, cur_meta["data_hash"]))
    new_priors = resolve_priors(cur_meta, reports)
    old_data = resolve_data(prev_meta, reports, data_files)
    if new_priors.prior_set is not None and old_data.extra is not None:
        ways.append(("p1_d0", new_priors, old_data, prev_meta["data_hash"]))
    notes = []
    if old_priors.prior_set is None:
        notes.append(f"Previous priors: {old_priors.note}.")
    if new_data.extra is None:
        notes.append(f"Current data: {new_data.note}.")
    if not ways:
        notes.append(f"Previous data: {old_data.note}.")
        return {
            "method": "total_only",
            "summary": "Both the priors and the data changed, and no counterfactual run can be "
            "fitted (see the notes), so only the total change is given.",
            "notes": notes,
            "rows": split_rows(then, now_metrics, None, "total_only"),
        }
    for method, priors, data, data_hash in ways:
        cf = counterfactual_run(
            priors.prior_set,
            data,
            data_hash,
            cur_meta["sampler"],
            cur_meta["gate"],
            reports,
            store,
            refit,
            log,
        )
        if cf is None:
            continue
        middle_f = Forecaster.from_store(cf.store, cf.run_id)
        middle = headline_metrics(
            headline_section(middle_f, scenarios), race_section(middle_f, scenarios)
        )
        cf_meta = middle_f.run.meta
        if method == "p0_d1":
            way = (
                f"with the previous priors ({priors.prior_set.name}, hash "
                f"{priors.prior_set.hash[:12]}, {priors.note}) on the current data ({data.note})"
            )
            formula = "data part = counterfactual - previous; prior part = current - counterfactual"
        else:
            way = (
                f"with the current priors ({priors.prior_set.name}, hash "
                f"{priors.prior_set.hash[:12]}) on the previous data ({data.note})"
            )
            formula = "prior part = counterfactual - previous; data part = current - counterfactual"
        how = (
            f"refitted now ({cf.seconds:.0f} s)"
            if cf.how == "refitted"
            else "taken from the cache of counterfactual runs"
        )
        if cf_meta.get("status") != "passed":
            notes.append(
                f"The counterfactual run {cf.run_id} failed its diagnostics gate "
                f"({'; '.join(cf_meta.get('gate_failures', []))}): read its parts with care."
            )
        return {
            "method": method,
            "counterfactual": {
                "run_id": cf.run_id,
                "how": cf.how,
                "seconds": round(cf.seconds, 1),
                "priors": priors.prior_set.name,
                "prior_hash": priors.prior_set.hash,
                "data_hash": data_hash,
                "sampler": cur_meta["sampler"],
                "status": cf_meta.get("status"),
            },
            "summary": (
                f"Both the priors and the data changed. Counterfactual run {cf.run_id} was fitted "
                f"{way}, with the current run's sampler settings; it was {how}. Split: "
                f"{formula}; the two parts add up to the total change."
            ),
            "notes": notes,
            "rows": split_rows(then, now_metrics, middle, method),
        }
    notes.append(
        "Counterfactual refits are switched off for this report (refit mode "
        f"'{refit}') and none is cached."
    )
    return {
        "method": "total_only",
        "summary": "Both the priors and the data changed; no counterfactual run was available, "
        "so only the total change is given (render with refit 'auto' to split it).",
        "notes": notes,
        "rows": split_rows(then, now_metrics, None, "total_only"),
    }


def _sampler_text(s: Mapping[str, Any]) -> str:
    return (
        f"{s.get('sampler')} {s.get('chains')} chains x {s.get('draws')} draws, "
        f"{s.get('tune')} tuning, seed {s.get('seed')}"
    )


def _compare_with_printed(
    previous: Mapping[str, Any], reports: ReportStore, then: Mapping[str, dict[str, Any]]
) -> list[str]:
    """A note when the previous report printed other numbers than the recomputed ones."""
    try:
        payload = reports.payload(previous["id"])
    except ForecastError:
        return []
    printed = headline_metrics(payload["headline"], payload["race"])
    differ = [
        k for k, v in printed.items() if k in then and not _same(v["value"], then[k]["value"])
    ]
    if not differ:
        return []
    return [
        f"{len(differ)} figures recomputed from the previous run differ from those printed in "
        "the previous report (the scenario file or the projection code changed since); the "
        "table uses the recomputed values so that the parts add up."
    ]


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9


def _from_previous_payload(
    previous: Mapping[str, Any],
    reports: ReportStore,
    now_metrics: Mapping[str, dict[str, Any]],
    reason: str,
) -> dict[str, Any]:
    """'What changed' from the previous report's printed numbers (its run cannot be loaded)."""
    try:
        payload = reports.payload(previous["id"])
    except ForecastError as exc:
        return {
            "method": "unavailable",
            "summary": f"The previous run cannot be loaded ({reason}) and the previous report "
            f"has no JSON ({exc}): nothing to compare.",
        }
    then = headline_metrics(payload["headline"], payload["race"])
    return {
        "method": "total_only",
        "previous_run": {"run_id": previous["run_id"]},
        "summary": f"The previous run cannot be loaded ({reason}); the change is computed from "
        "the numbers printed in the previous report, without a split.",
        "rows": split_rows(then, now_metrics, None, "total_only"),
    }


# -- diagnostics, data, model card -----------------------------------------------------------------
def diagnostics_section(meta: Mapping[str, Any]) -> dict[str, Any]:
    """R-hat, ESS, divergences, sampler, timings and the gate, from the run's metadata."""
    from forecast.fit.sampling import Gate

    diag = meta["diagnostics"]
    gate = meta.get("gate", {})
    return {
        "status": meta["status"],
        "gate": gate,
        "gate_failures": meta.get("gate_failures", []),
        "default_gate": asdict(Gate()),
        "quick": gate != asdict(Gate()),
        "max_rhat": diag["max_rhat"],
        "min_ess_bulk": diag["min_ess_bulk"],
        "min_ess_tail": diag["min_ess_tail"],
        "divergences": diag["divergences"],
        "parameters": diag.get("parameters", {}),
        "sampler": meta["sampler"],
        "wall_seconds": meta.get("wall_seconds"),
        "compile_seconds": meta.get("compile_seconds"),
        "sampling_seconds": meta.get("sampling_seconds"),
        "libraries": meta.get("libraries", {}),
    }


def data_section(meta: Mapping[str, Any], tables: Mapping[str, Any]) -> dict[str, Any]:
    """Sources, licences, vintage and row counts (bundled tables), and the run's data."""
    from forecast.data import tables

    return {
        "vintage": tables.VINTAGE.date().isoformat(),
        "sources": [dict(s) for s in DATA_SOURCES],
        "tables": [
            {"table": name, "rows": len(frame), "source": TABLE_SOURCES.get(name, "")}
            for name, frame in tables.items()
        ],
        "run_data_hash": meta["data_hash"],
        "run_extra_data": list(meta.get("extra_data") or []),
        "run_cutoff": meta.get("cutoff"),
        "data_end": meta["data_end"],
        "observations": meta["observations"],
    }


MODEL_EQUATIONS: tuple[str, ...] = (
    "Chip additions (H100e/yr): ln A_c(t) = ln A_c + g_c (t - 2025), fitted to Epoch's quarterly "
    "chip-owner additions with AR(1) errors; stock S_c(t) is their integral from 2012.",
    "Frontier training compute (FLOP): ln F_c(t) = ln k_c + ln S_c(t) + d_c (min(t, t_end) - "
    "2025), observed through each country's record-setting training runs.",
    "Effective compute: log10 E_c(t) = log10 F_c(t) + lambda (t - 2025 - lag_c), lambda the "
    "capability-relevant algorithmic efficiency growth (OOM/yr), lag_c China's efficiency lag.",
    "Capability (ECI): C_c(t) = c_f + beta [eps (log10 F_c(t) - 26) + lambda (t - 2025 - lag_c)], "
    "measured by ECI records, the ECI/compute cross-section and METR 50% horizon records.",
    "Threshold: C* = 150 + (log2 H* - log2 h_v1.1) / m_v1.1, with H* the threshold horizon "
    "(default: median one work-month, 167 h).",
    "Projection: additions' growth slows from g_c to g_inf (e-folding tau); the capability slope "
    "carries a random walk; scenarios act on additions, their growth and lambda from a start "
    "date. Arrival T_c is the first crossing of C* (draws that never cross by 2060 are 'later').",
)
MODEL_LIMITS: tuple[str, ...] = (
    "China's additions jump in 2024Q1 when Epoch starts tracking Huawei and smuggled chips; the "
    "fitted CN growth rate is very uncertain.",
    "Stock before 2022 is extrapolated from the 2022-2025 additions trend.",
    "METR records use the country's frontier capability at the release date, not the model's "
    "own ECI; Chinese models are measured on METR v1.0 only.",
    "ECI has only 116 distinct US/CN models; the cross-section has 73.",
    "Effective-compute and capability links are log-linear; saturation is not modelled beyond "
    "the slope random walk.",
    "The Chinese horizon offset is treated as a measurement effect.",
)


def parameter_units(name: str) -> dict[str, str]:
    """Units of the parameters from the current file of a prior set (labels only; empty if the
    set cannot be loaded). Used when the run's own prior file is gone."""
    from forecast.priors.priorset import load_prior_set

    try:
        prior_set = load_prior_set(name)
    except ForecastError:
        return {}
    return {key: prior.unit for key, prior in prior_set.priors.items()}


def model_card_section(
    meta: Mapping[str, Any],
    prior_set: Any | None,
    prior_note: str,
    draws: Mapping[str, Any],
    units: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Equations in brief, the prior set (name, hash, key priors), key posteriors, limits."""
    from forecast.report.figures import KEY_PARAMETERS

    priors = []
    for key in KEY_PARAMETERS:
        entry: dict[str, Any] = {"key": key, "unit": (units or {}).get(key)}
        if prior_set is not None and key in prior_set.priors:
            d = prior_set.priors[key].to_dict()
            entry |= {
                "dist": d["dist"],
                "interval": d["interval"],
                "prob": d["prob"],
                "unit": d["unit"],
                "description": d["description"],
            }
        if key in draws:
            values = np.asarray(draws[key], dtype=float)
            entry["posterior"] = {
                "median": float(np.median(values)),
                "interval": [float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))],
                "prob": 0.9,
            }
        priors.append(entry)
    return {
        "model": f"{meta['model_type']} {meta['model_version']}",
        "equations": list(MODEL_EQUATIONS),
        "prior_set": {
            "name": meta["prior_set"]["name"],
            "hash": meta["prior_set"]["hash"],
            "description": prior_set.description if prior_set is not None else None,
            "available": prior_set is not None,
            "note": prior_note,
        },
        "key_priors": priors,
        "limits": list(MODEL_LIMITS),
    }


# -- rendering -------------------------------------------------------------------------------------
def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """Formats from ``"html,pdf"`` (or a list): known, de-duplicated, in the given order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        fmt = str(item).strip().lower()
        if not fmt:
            continue
        if fmt not in FORMATS:
            raise UsageError(f"--format: unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise UsageError(f"--format: give at least one of {', '.join(FORMATS)}")
    return tuple(out)


def _clean(value: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, Path):
        return value.name
    return value


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pm"] = fmt_pm
    env.filters["when"] = fmt_when
    env.filters["signed"] = fmt_signed
    env.filters["num"] = fmt_num
    return env


def fmt_num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    v = float(value)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}f}" if abs(v) < 10 else f"{v:.{max(digits - 2, 1)}f}"


def fmt_pm(entry: Mapping[str, Any] | None, digits: int = 3) -> str:
    """'0.412 ± 0.020' from {p|value|years, mcse|mcse_years}."""
    if entry is None:
        return "n/a"
    value = next((entry[k] for k in ("p", "value", "years") if k in entry), None)
    mcse = entry.get("mcse", entry.get("mcse_years"))
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    return text + (f" ± {mcse:.{digits}f}" if mcse is not None else "")


def fmt_when(entry: Mapping[str, Any], horizon_end: str | None = None, short: bool = False) -> str:
    """An arrival quantile: 'YYYY-MM-DD ± 0.05 yr', or 'later than <horizon end>'."""
    if entry.get("later"):
        if short:
            return "later"
        return f"later than {horizon_end}" if horizon_end else "later than the horizon end"
    mcse = entry.get("mcse_years")
    return entry["date"] + (f" ± {mcse:.2f}" + ("" if short else " yr") if mcse is not None else "")


def fmt_signed(value: float | None, mcse: float | None = None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+.{digits}f}"
    return text + (f" ± {mcse:.{digits}f}" if mcse is not None else "")


def render_html(payload: Mapping[str, Any], figures: Sequence[Any]) -> str:
    """The self-contained HTML page of a report."""
    template = _environment().get_template("report.html.j2")
    return template.render(r=payload, figures=figures, title=TITLE)


def render_pdf(html: str) -> bytes:
    """The PDF of the report's HTML, printed by WeasyPrint."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise ForecastError(
            "PDF output needs WeasyPrint and the Pango libraries: `pip install weasyprint` and "
            f"`apt-get install -y libpango-1.0-0 libpangoft2-1.0-0` ({exc})"
        ) from exc
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


@dataclass
class ReportResult:
    """What ``render_report`` produced."""

    report_id: str
    run_id: str
    created: str
    files: dict[str, Path]
    payload: dict[str, Any] = field(repr=False)
    figures: list[Any] = field(repr=False, default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        changes = self.payload.get("changes", {})
        return {
            "report_id": self.report_id,
            "run_id": self.run_id,
            "created": self.created,
            "files": {fmt: str(path) for fmt, path in self.files.items()},
            "previous_report": changes.get("previous_report"),
            "change_method": changes.get("method"),
            "counterfactual": changes.get("counterfactual"),
            "seconds": self.seconds,
        }


def build_report(
    forecaster: Forecaster,
    *,
    report_id: str,
    created: datetime,
    store: RunStore,
    reports: ReportStore,
    previous: Mapping[str, Any] | None,
    refit: str = "auto",
    data_files: Sequence[Path] = (),
    log: Log = _stderr,
) -> tuple[dict[str, Any], list[Any]]:
    """The report's numbers (JSON-ready payload) and its figures, for one loaded run."""
    from forecast.data import tables
    from forecast.report.figures import all_figures

    meta = forecaster.run.meta
    scenarios = list(forecaster.scenarios)
    priors = resolve_priors(meta, reports)
    tables = tables.load_all()
    headline = headline_section(forecaster, scenarios)
    race = race_section(forecaster, scenarios)
    metrics = headline_metrics(headline, race)
    changes = changes_section(
        forecaster, metrics, scenarios, previous, store, reports, refit, data_files, log
    )
    units = parameter_units(meta["prior_set"]["name"]) if priors.prior_set is None else None
    figures = all_figures(
        forecaster,
        tables,
        priors.prior_set,
        scenarios,
        prior_missing_reason=None if priors.prior_set is not None else priors.note,
        units=units,
    )
    payload = {
        "report": {
            "id": report_id,
            "title": TITLE,
            "created": created.isoformat(timespec="seconds"),
            "date": created.date().isoformat(),
        },
        "run": {
            "id": meta["id"],
            "created": meta["created"],
            "status": meta["status"],
            "prior_set": meta["prior_set"],
            "data_hash": meta["data_hash"],
            "data_end": meta["data_end"],
            "extra_data": list(meta.get("extra_data") or []),
            "cutoff": meta.get("cutoff"),
            "draws": forecaster.projector.n_draws,
            "chains": forecaster.run.chains,
        },
        "conventions": {
            "mcse": "± is the Monte Carlo standard error of the number before it",
            "intervals": "equal-tailed posterior intervals; each states its probability",
            "gap": "CN arrival minus US arrival, in years",
            "dates": "ISO YYYY-MM-DD; 'later' = not before the horizon end",
        },
        "scenarios": [
            {"name": s.name, "description": s.description, "start": s.to_dict()["start"]}
            for s in forecaster.scenarios.values()
        ],
        "headline": headline,
        "race": race,
        "figures": [
            {"name": f.name, "title": f.title, "caption": f.caption, "data": f.data}
            for f in figures
        ],
        "diagnostics": diagnostics_section(meta),
        "changes": changes,
        "data": data_section(meta, tables),
        "model_card": model_card_section(
            meta, priors.prior_set, priors.note, forecaster.run.draws, units
        ),
    }
    return _clean(payload), figures


def render_report(
    run_id: str | None = None,
    *,
    store: RunStore | None = None,
    reports: ReportStore | None = None,
    out: Path | str | None = None,
    formats: Sequence[str] = FORMATS,
    previous: str | None = "auto",
    refit: str = "auto",
    data_files: Sequence[Path | str] = (),
    now: datetime | None = None,
    log: Log | None = None,
) -> ReportResult:
    """Render the report of a stored run (default: the current run).

    ``out`` None stores the report under ``reports/<report_id>/`` and indexes it (what a
    scheduler wants); a folder writes ``report.<fmt>`` there without indexing it. ``previous``
    is ``"auto"`` (the newest stored report), a report id, or None (no comparison). ``refit``
    says what to do when a counterfactual run is needed for the change split: ``auto`` refits
    it (about a minute) unless cached, ``cached`` uses a cached one only, ``off`` never splits.
    ``data_files`` are extra observation files of the runs, used to rebuild their data.
    """
    say = log or _stderr
    if refit not in REFIT_MODES:
        raise UsageError(f"refit: unknown mode {refit!r}; choose from {', '.join(REFIT_MODES)}")
    formats = parse_formats(formats)
    store = store or RunStore()
    reports = reports or ReportStore(store.home)
    out_dir = Path(out) if out is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out: {out_dir} exists and is not a folder")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    forecaster = Forecaster.from_store(store, run_id)
    timings["load"] = time.perf_counter() - t0
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if previous == "auto":
        prev_row = reports.latest(before=created)
    elif previous is None:
        prev_row = None
    else:
        prev_row = next((r for r in reports.list() if r["id"] == previous), None)
        if prev_row is None:
            raise UsageError(f"previous: no report {previous!r} in {reports.root}")
    report_id = reports.new_id(created, forecaster.run.id)
    say(f"report {report_id}: run {forecaster.run.id}, formats {', '.join(formats)}")
    t1 = time.perf_counter()
    payload, figures = build_report(
        forecaster,
        report_id=report_id,
        created=created,
        store=store,
        reports=reports,
        previous=prev_row,
        refit=refit,
        data_files=[Path(p) for p in data_files],
        log=say,
    )
    timings["answers_and_figures"] = time.perf_counter() - t1
    _snapshot_inputs(forecaster.run.meta, reports, [Path(p) for p in data_files])
    files: dict[str, bytes] = {}
    html = None
    if "html" in formats or "pdf" in formats:
        t2 = time.perf_counter()
        html = render_html(payload, figures)
        timings["html"] = time.perf_counter() - t2
        if "html" in formats:
            files["html"] = html.encode()
    if "pdf" in formats:
        t3 = time.perf_counter()
        files["pdf"] = render_pdf(html or "")
        timings["pdf"] = time.perf_counter() - t3
    if "json" in formats:
        files["json"] = json.dumps(payload, indent=1, allow_nan=False).encode()
    ordered = {fmt: files[fmt] for fmt in formats}
    if out_dir is None:
        folder = reports.publish(report_id, ordered, index_row(payload, list(ordered)))
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        for fmt, data in ordered.items():
            _atomic_write(out_dir / f"report.{fmt}", data)
        folder = out_dir
    timings["total"] = time.perf_counter() - t0
    return ReportResult(
        report_id=report_id,
        run_id=forecaster.run.id,
        created=payload["report"]["created"],
        files={fmt: folder / f"report.{fmt}" for fmt in ordered},
        payload=payload,
        figures=figures,
        seconds={k: round(v, 3) for k, v in timings.items()},
    )


def _snapshot_inputs(meta: Mapping[str, Any], reports: ReportStore, data_files: Sequence[Path]):
    """Keep the reported run's prior file (and extra data, when found) for later splits."""
    priors = resolve_priors(meta, reports)
    if priors.path is not None and not priors.path.is_relative_to(reports.root):
        reports.snapshot_prior(priors.path, meta["prior_set"]["hash"], priors.prior_set.name)
    if meta.get("extra_data"):
        data = resolve_data(meta, reports, data_files)
        if data.extra:
            reports.snapshot_data(data.extra, meta["data_hash"])


# -- command line ----------------------------------------------------------------------------------
def run_cli(args: Any) -> int:
    """``forecast report [--run ID] [--out DIR] [--format html,pdf,json] [--json]``.

    Counterfactual refits for the change split follow ``--refit`` when the parser has it, else
    ``$FORECAST_REPORT_REFIT`` (``auto``, ``cached`` or ``off``; default ``auto``).
    """
    formats = parse_formats(getattr(args, "format", None) or ",".join(FORMATS))
    refit = getattr(args, "refit", None) or os.environ.get("FORECAST_REPORT_REFIT", "auto")
    data_files = [Path(p) for p in getattr(args, "data", None) or []]
    result = render_report(
        getattr(args, "run", None),
        out=getattr(args, "out", None),
        formats=formats,
        refit=refit,
        data_files=data_files,
    )
    summary = result.summary()
    if getattr(args, "json", False):
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        lines = [f"report {result.report_id} for run {result.run_id}"]
        lines += [f"  {fmt}: {path}" for fmt, path in result.files.items()]
        changes = result.payload["changes"]
        lines.append(f"  what changed: {changes['method']} ({changes.get('previous_report')})")
        print("\n".join(lines))
    return 0
