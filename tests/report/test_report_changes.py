"""What changed: the change split on runs with a known difference, and successive reports.

The runs with a known difference are clones of the quick run's posterior with other recorded
inputs (no sampling); the test with real counterfactual refits is marked slow.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from report_helpers import (
    EXTRA_HARDWARE,
    clone_run,
    metrics_of,
    quiet,
    recorded_priors,
    split_for,
)

from forecast.report.build import render_report, snapshot_inputs
from forecast.report.changes import resolve_priors
from forecast.report.index import FORMATS, ReportStore
from forecast.report.render import json_ready, render_html
from forecast.report.schedule import report_due


def test_split_priors_only_puts_the_whole_change_on_priors(private_store, tmp_path):
    store, result = private_store
    skeptical = recorded_priors("skeptical")
    new = clone_run(
        store, result.run_id, "clone-priors", scale={"efficiency_rate": 1.2}, prior_set=skeptical
    )
    changes = split_for(store, ReportStore(tmp_path), result.run_id, new)
    assert changes["method"] == "priors_only"
    rows = {r["key"]: r for r in changes["rows"]}
    assert any(r["change"] for r in rows.values())
    for row in rows.values():
        assert row["from_data"] == 0.0
        assert row["from_priors"] == row["change"]
    key = "US/status_quo/p_by_2030-12-31"
    assert rows[key]["then"] == metrics_of(store, result.run_id)[key]["value"]
    assert rows[key]["now"] == metrics_of(store, new)[key]["value"]


def test_split_data_only_puts_the_whole_change_on_data(private_store, tmp_path):
    store, result = private_store
    new = clone_run(
        store, result.run_id, "clone-data", scale={"compute_elasticity": 1.3}, data_hash="0" * 64
    )
    changes = split_for(store, ReportStore(tmp_path), result.run_id, new)
    assert changes["method"] == "data_only"
    assert all(r["from_priors"] == 0.0 and r["from_data"] == r["change"] for r in changes["rows"])


def test_split_both_changed_uses_the_counterfactual(private_store, tmp_path):
    """Priors and data both changed: the cached counterfactual (p0, d1) splits the change."""
    from forecast.data import tables
    from forecast.store.runs import RunStore

    store, result = private_store
    extra = tmp_path / "hardware-extra.csv"
    extra.write_text(EXTRA_HARDWARE)
    d1 = tables.data_hash([extra])
    reports = ReportStore(tmp_path / "home")
    new = clone_run(
        store,
        result.run_id,
        "clone-both",
        scale={"efficiency_rate": 1.25},
        prior_set=recorded_priors("fast-efficiency"),
        data_hash=d1,
        extra_data=[extra.name],
    )
    # Without a cached counterfactual and with refits off, only the total is given.
    total_only = split_for(store, reports, result.run_id, new, refit="cached", data_files=[extra])
    assert total_only["method"] == "total_only"
    assert all(r["from_data"] is None for r in total_only["rows"])
    # Plant the counterfactual (previous priors, current data, current sampler settings).
    middle = clone_run(
        store,
        result.run_id,
        "counterfactual",
        target=RunStore(reports.counterfactual_home),
        scale={"efficiency_rate": 1.1},
        data_hash=d1,
        extra_data=[extra.name],
    )
    changes = split_for(store, reports, result.run_id, new, refit="cached", data_files=[extra])
    assert changes["method"] == "p0_d1"
    assert changes["counterfactual"]["run_id"] == middle
    assert changes["counterfactual"]["how"] == "cached"
    assert "previous priors" in changes["summary"]
    expected = metrics_of(RunStore(reports.counterfactual_home), middle)
    for row in changes["rows"]:
        if row["change"] is None:
            continue
        assert row["from_data"] + row["from_priors"] == pytest.approx(row["change"], abs=2e-4)
        assert row["middle"] == expected[row["key"]]["value"]
        assert row["from_data"] == pytest.approx(row["middle"] - row["then"], abs=1e-4)
    assert any(abs(r["from_data"] or 0) > 0 for r in changes["rows"])
    assert any(abs(r["from_priors"] or 0) > 0 for r in changes["rows"])


def test_split_says_when_the_old_prior_file_is_gone(private_store, tmp_path):
    store, result = private_store
    gone = {"name": "default", "hash": "f" * 64, "path": "default.toml"}
    old = clone_run(store, result.run_id, "clone-old-priors", prior_set=gone, data_hash="1" * 64)
    changes = split_for(store, ReportStore(tmp_path), old, result.run_id, refit="off")
    assert changes["method"] == "total_only"
    assert any("no longer available" in n for n in changes["notes"])


@pytest.mark.slow  # renders a second full report beside the first
def test_second_report_compares_with_the_first(rendered, tmp_path):
    """A stored report of the same run: 'same run', nothing changed; render json only."""
    store, _, first = rendered
    home = ReportStore(tmp_path / "home")
    render_report(
        first.run_id, store=store, reports=home, previous=None, formats=("json",), log=quiet
    )
    later = datetime.now(UTC) + timedelta(seconds=5)
    second = render_report(
        first.run_id, store=store, reports=home, formats=("json",), now=later, log=quiet
    )
    changes = second.payload["changes"]
    assert changes["method"] == "same_run"
    assert all(r["change"] == 0 for r in changes["rows"] if r["change"] is not None)
    assert home.list()[0]["id"] == second.report_id


@pytest.mark.slow
def test_refit_split_with_a_data_change_the_model_ignores(private_store, tmp_path):
    """Run C changes both the priors and the data, but the new data row is a hardware row the
    model does not use: the refitted counterfactual (p0, d1) reproduces P, so the whole change
    must come out as the prior part and the data part as about zero."""
    from forecast.fit.sampling import QUICK, QUICK_GATE, fit

    store, result = private_store
    extra = tmp_path / "hardware-extra.csv"
    extra.write_text(EXTRA_HARDWARE)
    current = fit(
        priors="fast-efficiency",
        extra=[extra],
        config=QUICK,
        store=store,
        gate=QUICK_GATE,
        progress=False,
        log=quiet,
        make_current=False,
        structures=result.meta["sampler"]["structures"],  # the same sampler as run P
    )
    reports = ReportStore(tmp_path / "home")
    changes = split_for(
        store, reports, result.run_id, current.run_id, refit="auto", data_files=[extra]
    )
    assert changes["method"] == "p0_d1"
    assert changes["counterfactual"]["how"] == "refitted"
    assert changes["counterfactual"]["prior_hash"] == result.meta["prior_set"]["hash"]
    assert changes["counterfactual"]["data_hash"] == current.meta["data_hash"]
    moved = [r for r in changes["rows"] if r["change"] is not None and abs(r["change"]) > 0.01]
    assert moved, "the prior sets should move the forecast"
    for row in changes["rows"]:
        if row["change"] is None:
            continue
        assert abs(row["from_data"]) <= max(3 * (row["from_data_mcse"] or 0), 1e-3)
        assert row["from_priors"] == pytest.approx(
            row["change"], abs=max(3 * (row["from_data_mcse"] or 0), 2e-3)
        )
    again = split_for(
        store, reports, result.run_id, current.run_id, refit="cached", data_files=[extra]
    )
    assert again["counterfactual"]["how"] == "cached"
    assert again["rows"] == changes["rows"]


# -- successive reports and every case of 'what changed' in the page ---------------------------
@pytest.mark.slow  # renders two full reports (HTML and PDF)
def test_reports_render_again_on_the_same_run(rendered, tmp_path):
    """A second report of the same run, by hand or by the scheduler a week later, renders all its
    formats: 'what changed' has every key the template reads (no counterfactual: None)."""
    store, _, first = rendered
    reports = ReportStore(tmp_path / "home")
    created = datetime.now(UTC).replace(microsecond=0)
    one = render_report(
        first.run_id, store=store, reports=reports, formats=("html", "json"), now=created, log=quiet
    )
    two = render_report(
        first.run_id, store=store, reports=reports, now=created + timedelta(seconds=5), log=quiet
    )
    assert one.payload["changes"]["method"] == "first_report"
    changes = two.payload["changes"]
    assert changes["method"] == "same_run" and changes["previous_report"] == one.report_id
    assert changes["counterfactual"] is None
    assert sorted(two.files) == sorted(FORMATS)
    assert one.report_id in two.files["html"].read_text()  # the 'then' row of the comparison
    assert json.loads(two.files["json"].read_text())["changes"]["counterfactual"] is None
    # The scheduler's path: due a week later, rendered against the last report.
    week = created + timedelta(days=8)
    assert report_due(store=store, reports=reports, now=week).due
    three = render_report(
        store=store, reports=reports, refit="cached", formats=("html",), now=week, log=quiet
    )
    assert three.payload["changes"]["previous_report"] == two.report_id
    assert [r["id"] for r in reports.list()] == [three.report_id, two.report_id, one.report_id]


CASES = (
    "same_run",
    "sampling",
    "priors_only",
    "data_only",
    "total_only",
    "p0_d1",
    "printed_only",
    "unavailable",
)


@pytest.fixture(scope="module")
def change_cases(quick_run, rendered, tmp_path_factory):
    """'What changed' in each of its cases (first report aside: the rendered report is one),
    computed on clones of the quick run with known differences."""
    from forecast.data import tables
    from forecast.store.runs import RunStore

    source, result = quick_run
    base = result.run_id
    home = tmp_path_factory.mktemp("change-cases")
    shutil.copytree(source.home, home / "store", ignore=shutil.ignore_patterns("reports", "tmp"))
    store = RunStore(home / "store")
    extra = home / "hardware-extra.csv"
    extra.write_text(EXTRA_HARDWARE)
    d1 = tables.data_hash([extra])
    sampler = store.meta(base)["sampler"]
    seed = clone_run(store, base, "clone-seed", sampler=sampler | {"seed": sampler["seed"] + 1})
    priors = clone_run(
        store,
        base,
        "clone-priors",
        scale={"efficiency_rate": 1.2},
        prior_set=recorded_priors("skeptical"),
    )
    data = clone_run(
        store, base, "clone-data", scale={"compute_elasticity": 1.3}, data_hash="0" * 64
    )
    both = clone_run(
        store,
        base,
        "clone-both",
        scale={"efficiency_rate": 1.25},
        prior_set=recorded_priors("fast-efficiency"),
        data_hash=d1,
        extra_data=[extra.name],
    )
    with_cf = ReportStore(home / "with-counterfactual")
    clone_run(
        store,
        base,
        "counterfactual",
        target=RunStore(with_cf.counterfactual_home),
        scale={"efficiency_rate": 1.1},
        data_hash=d1,
        extra_data=[extra.name],
    )
    empty = ReportStore(home / "empty")
    _, printed, first = rendered  # a report store holding the quick run's report and its JSON
    return {
        "same_run": split_for(store, empty, base, base),
        "sampling": split_for(store, empty, base, seed),
        "priors_only": split_for(store, empty, base, priors),
        "data_only": split_for(store, empty, base, data),
        "total_only": split_for(store, empty, base, both, refit="cached", data_files=[extra]),
        "p0_d1": split_for(store, with_cf, base, both, refit="cached", data_files=[extra]),
        "printed_only": split_for(store, printed, "gone-run", base, report_id=first.report_id),
        "unavailable": split_for(store, empty, "gone-run", base),
    }


@pytest.mark.slow  # renders every change case in a full report
@pytest.mark.parametrize("case", CASES)
def test_every_change_case_renders_in_the_page(case, change_cases, rendered):
    """Each case of 'what changed' renders in the HTML template and has the same keys."""
    _, _, report = rendered
    changes = change_cases[case]
    html = render_html(json_ready(report.payload | {"changes": changes}), report.figures)
    assert "What changed" in html
    expected = {"printed_only": "total_only"}.get(case, case)
    assert changes["method"] == expected, (changes["summary"], changes["notes"])
    assert set(changes) >= {
        "previous_report",
        "previous_run",
        "current_run",
        "counterfactual",
        "method",
        "summary",
        "notes",
        "rows",
    }
    assert (changes["counterfactual"] is not None) == (case == "p0_d1")
    if changes["previous_run"] is not None:
        assert changes["previous_run"]["run_id"] in html
        assert changes["current_run"]["run_id"] in html
    if changes["counterfactual"] is not None:
        assert changes["counterfactual"]["run_id"] in html


@pytest.mark.fast
def test_prior_snapshots_resolve_after_the_prior_files_are_gone(tmp_path, monkeypatch):
    """A reported run's prior set is kept self-contained, so a later split finds it by its hash
    even when ``priors/`` no longer holds it (a set that extends another included)."""
    from forecast.priors.priorset import load_prior_set

    reports = ReportStore(tmp_path / "home")
    for name in ("default", "skeptical"):
        prior_set = load_prior_set(name)
        meta = {"prior_set": {"name": name, "hash": prior_set.hash, "path": f"{name}.toml"}}
        assert resolve_priors(meta, reports).note == f"prior set '{name}' from priors/"
        snapshot_inputs(meta, reports, [])
        monkeypatch.setenv("FORECAST_PRIORS_DIR", str(tmp_path / "no-priors"))
        found = resolve_priors(meta, reports)
        assert found.note == f"prior set '{name}' from a report snapshot"
        assert found.prior_set.hash == prior_set.hash
        monkeypatch.delenv("FORECAST_PRIORS_DIR")
    gone = {"prior_set": {"name": "default", "hash": "f" * 64, "path": "default.toml"}}
    assert resolve_priors(gone, reports).prior_set is None
