"""The periodic report of one stored run, put together: ``build_report`` gathers its numbers and
figures, ``render_report`` renders them (HTML, PDF, JSON) and stores or writes them.

A report holds the run's headline answers, the arrival under each named threshold, what drives
the arrival's uncertainty, the model structures side by side (weights, each scenario's effect
per structure, the race decomposition), figures, diagnostics, what changed since the previous
report (split into the part from new data and the part from changed priors), a data appendix and
a model-card summary, and, when given a sweep, the headline of each of its fits. The parts live
in their own modules: ``index`` (the report store), ``schedule`` (``report_due``), ``sections``,
``extra_sections``, ``structures_section``, ``changes``, ``figures`` and ``render``; the
``forecast report`` command is ``forecast.cli.report_cmd``. The names a scheduler needs
(``ReportStore``, ``report_due``, ``render_report``) can be imported from here.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.core.errors import UsageError
from forecast.questions.forecaster import Forecaster
from forecast.report.changes import REFIT_MODES, Log, changes_section, resolve_data, resolve_priors
from forecast.report.extra_sections import (
    SweepTable,
    channels_section,
    drivers_section,
    psense_section,
    sweep_section,
    thresholds_section,
)
from forecast.report.index import FORMATS, ReportStore, atomic_write, index_row
from forecast.report.render import TITLE, json_ready, parse_formats, render_html, render_pdf
from forecast.report.schedule import DEFAULT_EVERY, ReportDue, report_due
from forecast.report.sections import (
    alerts_section,
    data_section,
    diagnostics_section,
    external_section,
    headline_metrics,
    headline_section,
    model_card_section,
    parameter_units,
    race_section,
)
from forecast.report.structures_section import structures_section
from forecast.store.runs import RunStore

__all__ = [
    "DEFAULT_EVERY",
    "FORMATS",
    "REFIT_MODES",
    "ReportDue",
    "ReportResult",
    "ReportStore",
    "SweepTable",
    "build_report",
    "render_report",
    "report_due",
]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
        sweep = self.payload.get("sweep")
        return {
            "report_id": self.report_id,
            "run_id": self.run_id,
            "created": self.created,
            "files": {fmt: str(path) for fmt, path in self.files.items()},
            "previous_report": changes.get("previous_report"),
            "change_method": changes.get("method"),
            "counterfactual": changes.get("counterfactual"),
            "sweep": {"id": sweep["id"]} | sweep["counts"] if sweep else None,
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
    sweep: SweepTable | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    """The report's numbers (JSON-ready payload) and its figures, for one loaded run.

    With ``sweep`` the report also summarises that sweep's fits (failed fits apart)."""
    from forecast.data.tables import load_all
    from forecast.report.figures import all_figures

    meta = forecaster.run.meta
    scenarios = list(forecaster.scenarios)
    priors = resolve_priors(meta, reports)
    tables = load_all()
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
        "thresholds": thresholds_section(forecaster),
        "drivers": drivers_section(forecaster),
        "structures": structures_section(forecaster),
        "channels": channels_section(forecaster),
        "psense": psense_section(forecaster),
        "sweep": sweep_section(sweep, log) if sweep is not None else None,
        "external": external_section(forecaster),
        "figures": [
            {"name": f.name, "title": f.title, "caption": f.caption, "data": f.data}
            for f in figures
        ],
        "diagnostics": diagnostics_section(meta),
        "changes": changes,
        "alerts": alerts_section(store.home if store is not None else None, previous),
        "data": data_section(meta, tables),
        "model_card": model_card_section(
            meta, priors.prior_set, priors.note, forecaster.run.draws, units
        ),
    }
    return json_ready(payload), figures


REPORT_BYTES_ESTIMATE = 8 * 1024 * 1024
"""Room a stored report may need (HTML with inline figures, PDF, JSON and the input snapshots),
checked before rendering; a generous bound, since running out mid-render wastes the work."""


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
    sweep: SweepTable | None = None,
) -> ReportResult:
    """Render the report of a stored run (default: the current run).

    ``out`` None stores the report under ``reports/<report_id>/`` and indexes it (what a
    scheduler wants); a folder writes ``report.<fmt>`` there without indexing it. ``previous``
    is ``"auto"`` (the newest stored report), a report id, or None (no comparison). ``refit``
    says what to do when a counterfactual run is needed for the change split: ``auto`` refits
    it (about a minute) unless cached, ``cached`` uses a cached one only, ``off`` never splits.
    ``data_files`` are extra observation files of the runs, used to rebuild their data.
    ``sweep`` (a :class:`SweepTable`, e.g. from ``forecast report --sweep``) adds a section with
    the headline of each of the sweep's fits.
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
    if out_dir is None:
        # refuse before rendering when the store cannot take the report's files
        store.preflight(REPORT_BYTES_ESTIMATE, "a report")
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
        sweep=sweep,
    )
    timings["answers_and_figures"] = time.perf_counter() - t1
    snapshot_inputs(forecaster.run.meta, reports, [Path(p) for p in data_files])
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
            atomic_write(out_dir / f"report.{fmt}", data)
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


def snapshot_inputs(
    meta: Mapping[str, Any], reports: ReportStore, data_files: Sequence[Path]
) -> None:
    """Keep the reported run's prior file (and extra data, when found) for later splits."""
    priors = resolve_priors(meta, reports)
    if priors.path is not None and not priors.path.is_relative_to(reports.root):
        # The set written out self-contained when the prior library can (a set that extends
        # another needs its parent otherwise), else the file as it is.
        to_toml = getattr(priors.prior_set, "to_toml", None)
        text = to_toml().encode("utf-8") if to_toml is not None else priors.path.read_bytes()
        reports.snapshot_prior(text, meta["prior_set"]["hash"], priors.prior_set.name)
    if meta.get("extra_data"):
        data = resolve_data(meta, reports, data_files)
        if data.extra:
            reports.snapshot_data(data.extra, meta["data_hash"])
