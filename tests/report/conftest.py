"""Fixtures of the report tests: a private copy of the session's quick-fit store, and one
rendered report of the quick run (all three formats) shared by the tests that read it."""

from __future__ import annotations

import shutil

import pytest
from report_helpers import quiet, require

from forecast.report.build import render_report
from forecast.report.index import ReportStore


@pytest.fixture
def private_store(quick_run, tmp_path):
    """A copy of the session's store: tests that add runs or snapshots leave the shared one be."""
    from forecast.store.runs import RunStore

    store, result = quick_run
    home = tmp_path / "private-home"
    shutil.copytree(store.home, home, ignore=shutil.ignore_patterns("reports", "tmp"))
    return RunStore(home), result


@pytest.fixture(scope="session")
def rendered(quick_run, tmp_path_factory):
    """One report of the session's quick run, in all three formats, in its own report store."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        require(False, "WeasyPrint with the Pango libraries")
    store, result = quick_run
    reports = ReportStore(tmp_path_factory.mktemp("report-home"))
    report = render_report(result.run_id, store=store, reports=reports, previous=None, log=quiet)
    return store, reports, report
