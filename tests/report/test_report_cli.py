"""``forecast report``: the requested files, the JSON summary, one-line errors."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow  # renders HTML, PDF and JSON through the CLI
def test_cli_writes_the_requested_files(private_store, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    store, result = private_store
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    out = tmp_path / "out"
    code = main(["report", "--run", result.run_id, "--out", str(out), "--format", "json", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run_id"] == result.run_id
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert json.loads((out / "report.json").read_text())["run"]["id"] == result.run_id


def test_cli_errors_are_one_line(quick_run, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    store, _ = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    assert main(["report", "--format", "html,docx", "--out", str(tmp_path)]) == 2
    assert "unknown format 'docx'" in capsys.readouterr().err
    assert main(["report", "--run", "no-such-run", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no run 'no-such-run'") and err.count("\n") == 1


@pytest.mark.slow  # renders two full reports (HTML and PDF)
def test_cli_reports_twice_on_the_same_run(private_store, monkeypatch, capsys):
    """The second report of the same run compares with the first ('same run') and renders."""
    from forecast.cli.main import main

    store, result = private_store
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    summaries = []
    for _ in range(2):
        assert main(["report", "--run", result.run_id, "--format", "html", "--json"]) == 0
        summaries.append(json.loads(capsys.readouterr().out))
    first, second = summaries
    assert first["change_method"] == "first_report"
    assert second["change_method"] == "same_run"
    assert second["previous_report"] == first["report_id"]
    assert second["counterfactual"] is None
    html = (store.home / "reports" / second["report_id"] / "report.html").read_text()
    assert first["report_id"] in html
