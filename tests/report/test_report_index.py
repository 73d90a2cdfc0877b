"""The report store and the schedule: layout on disk, the index (rebuilt when lost), due or not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from forecast.core.errors import ForecastError, UsageError
from forecast.report.index import FORMATS, ReportStore, formats_in, index_row
from forecast.report.schedule import report_due


def test_report_store_layout_index_and_due(rendered):
    store, reports, report = rendered
    folder = reports.root / report.report_id
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"report.{f}" for f in FORMATS)
    rows = reports.list()
    assert [r["id"] for r in rows] == [report.report_id]
    assert rows[0]["run_id"] == report.run_id and rows[0]["formats"] == list(FORMATS)
    created = datetime.fromisoformat(report.created)
    later = report_due(store=store, reports=reports, now=created + timedelta(hours=1))
    assert not later.due and later.run_id == report.run_id
    week = report_due(store=store, reports=reports, now=created + timedelta(days=8))
    assert week.due
    empty = ReportStore(reports.home / "elsewhere")
    assert report_due(store=store, reports=empty).due
    # The index is rebuilt from disk when lost.
    reports.index_path.unlink()
    assert [r["id"] for r in reports.list()] == [report.report_id]


@pytest.mark.fast
def test_report_store_publishes_in_one_step_and_rebuilds_its_index(tmp_path):
    reports = ReportStore(tmp_path)
    created = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    report_id = reports.new_id(created, "run-a")
    payload = {
        "report": {"id": report_id, "created": created.isoformat()},
        "run": {"id": "run-a"},
        "changes": {"previous_report": None, "method": "first_report"},
    }
    files = {"json": json.dumps(payload).encode()}
    folder = reports.publish(report_id, files, index_row(payload, list(files)))
    assert folder == reports.folder(report_id) and formats_in(folder) == ["json"]
    assert list(reports.tmp_dir.iterdir()) == []
    assert reports.payload(report_id) == payload
    with pytest.raises(ForecastError, match="already exists"):
        reports.publish(report_id, files, index_row(payload, list(files)))
    assert reports.new_id(created, "run-a") == f"{report_id}-2"
    row = reports.latest()
    assert row["id"] == report_id and row["formats"] == ["json"]
    assert row["change_method"] == "first_report" and row["previous_id"] is None
    assert reports.latest(before=created - timedelta(seconds=1)) is None
    reports.index_path.unlink()
    assert [r["id"] for r in reports.list()] == [report_id]
    for bad in ("", "a/b", ".hidden"):
        with pytest.raises(UsageError):
            reports.folder(bad)


@pytest.mark.fast
def test_no_report_is_due_without_a_current_run(tmp_path):
    from forecast.store.runs import RunStore

    due = report_due(store=RunStore(tmp_path), reports=ReportStore(tmp_path))
    assert not due.due and due.run_id is None
    assert ReportStore(tmp_path / "nothing").list() == []
