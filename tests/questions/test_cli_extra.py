"""The CLI answers with the library's numbers: metaculus, drivers, external, thresholds, and the
--threshold / --lever / --given options."""

from __future__ import annotations

import json

import pytest

from forecast.cli.main import main
from forecast.cli.output import finite_or_none
from forecast.questions import custom
from forecast.questions.drivers import drivers
from forecast.questions.external import external
from forecast.questions.metaculus import metaculus_forecast
from forecast.questions.thresholds import load_thresholds


@pytest.fixture
def home(quick_run, monkeypatch):  # type: ignore[no-untyped-def]
    store, _ = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    return store


def run_json(capsys, *argv: str):  # type: ignore[no-untyped-def]
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def same(cli, library) -> None:  # type: ignore[no-untyped-def]
    assert cli == json.loads(json.dumps(finite_or_none(library)))


def test_cli_equals_library(home, forecaster, capsys) -> None:  # type: ignore[no-untyped-def]
    same(
        run_json(
            capsys, "ask", "metaculus", "--country", "CN", "--lower", "2026-01-01", "--lower-open"
        ),
        metaculus_forecast(forecaster, "CN", None, "2026-01-01", None, True, True),
    )
    same(run_json(capsys, "ask", "drivers", "--country", "US"), drivers(forecaster, "US"))
    same(run_json(capsys, "ask", "external"), external(forecaster))
    same(run_json(capsys, "ask", "thresholds"), load_thresholds().to_dict())
    args = ["ask", "arrival", "--country", "CN", "--threshold", "work_week"]
    args += ["--scenario", "tightened_controls", "--lever", "CN.additions_multiplier=0.3"]
    args += ["--lever", "start=2027-01-01"]
    options = custom.parse_options("work_week", ["CN.additions_multiplier=0.3", "start=2027-01-01"])
    same(
        run_json(capsys, *args),
        custom.ask(forecaster, "arrival", options, scenario="tightened_controls", country="CN"),
    )
    given = "CN.frontier_eci>=150@2027-06-30"
    options = custom.parse_options(given=[given])
    same(
        run_json(
            capsys, "ask", "probability", "--country", "US", "--by", "2029-01-01", "--given", given
        ),
        custom.ask(forecaster, "probability", options, country="US", by="2029-01-01"),
    )


def test_cli_errors_in_words(home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "arrival", "--country", "US", "--threshold", "work_wek"]) == 2
    assert "unknown threshold" in capsys.readouterr().err
    assert (
        main(["ask", "arrival", "--country", "US", "--given", "CN.frontier_eci>=400@2026-06-30"])
        == 2
    )
    assert "effective draws" in capsys.readouterr().err
