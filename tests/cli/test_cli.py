"""The command line on a fitted run: documented fields with --json, clear errors for bad input,
dates outside the run's range in plain words, and ``--versus`` as a readable table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from forecast.cli.main import main

TRAJECTORY = ["ask", "trajectory", "--quantity", "frontier_eci", "--country", "US"]
SURPRISE = ["ask", "surprise", "--quantity", "frontier_eci", "--date", "2024-12-26"]
REGEX_BITS = re.compile(r"\\d|\^|\$|\[0-9|\{\d")
"""Pieces of a regular expression that an error message for people should not contain."""


def run_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_ask_arrival_json_fields(home, capsys):
    a = run_json(capsys, "ask", "arrival", "--country", "CN")
    assert {"run_id", "scenario", "country", "quantiles", "cdf", "p_later", "n_eff"} <= set(a)
    assert {"q", "date", "year", "later", "mcse_years"} <= set(a["quantiles"][0])


def test_ask_race_json_fields(home, capsys):
    r = run_json(capsys, "ask", "race")
    assert {"p_cn_first", "p_us_first", "p_gap_within", "gap_quantiles"} <= set(r)
    assert [w["years"] for w in r["p_gap_within"]] == [1.0, 2.0, 5.0]


def test_ask_trajectory_json_fields(home, capsys):
    t = run_json(
        capsys,
        "ask",
        "trajectory",
        "--quantity",
        "frontier_eci",
        "--country",
        "US",
        "--at",
        "2026-06-30",
        "--at",
        "2028-12-31",
    )
    assert [p["date"] for p in t["points"]] == ["2026-06-30", "2028-12-31"]
    assert [q["q"] for q in t["points"][0]["quantiles"]] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]


def test_ask_surprise_from_flags_and_file(home, capsys, tmp_path):
    s = run_json(
        capsys,
        "ask",
        "surprise",
        "--quantity",
        "frontier_training_flop",
        "--date",
        "2024-12-26",
        "--value",
        "3.3e24",
        "--label",
        "DeepSeek-V3",
    )
    assert [r["country"] for r in s["against"]] == ["US", "CN"]
    f = tmp_path / "obs.csv"
    f.write_text(
        "quantity,date,value,label\nfrontier_eci,2024-12-26,133.2,DeepSeek-V3\n"
        "frontier_training_flop,2024-12-26,3.3e24,DeepSeek-V3\n"
    )
    both = run_json(capsys, "ask", "surprise", "--file", str(f))
    assert len(both) == 2


def test_ask_versus_gives_difference(home, capsys):
    c = run_json(
        capsys,
        "ask",
        "probability",
        "--country",
        "CN",
        "--by",
        "2030-01-01",
        "--scenario",
        "tightened_controls",
        "--versus",
        "status_quo",
    )
    assert c["difference"]["p"]["delta"] <= 0


def test_runs_lists_current(home, capsys):
    rows = run_json(capsys, "runs")
    assert sum(r["current"] for r in rows) == 1


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (
            ["ask", "arrival", "--country", "FR"],
            2,
            "error: unknown country 'FR'; known countries: US, CN",
        ),
        (
            ["ask", "arrival", "--country", "US", "--scenario", "nope"],
            2,
            "error: unknown scenario 'nope'",
        ),
        (
            ["ask", "trajectory", "--quantity", "gdp", "--country", "US", "--at", "2030-01-01"],
            2,
            "error: unknown quantity 'gdp'",
        ),
        (
            ["ask", "probability", "--country", "US", "--by", "someday"],
            2,
            "error: by: 'someday' is not a date (use YYYY-MM-DD)",
        ),
        (
            ["ask", "arrival", "--country", "US", "--quantile", "2"],
            2,
            "'2' must lie strictly between 0 and 1",
        ),
        (["fit", "--draws", "0"], 2, "argument --draws: '0' must be at least 1"),
        (["fit", "--chains", "many"], 2, "argument --chains: 'many' is not a whole number"),
        (["fit", "--data", "missing.csv"], 2, "error: --data: file not found: missing.csv"),
        (["fit", "--priors", "nosuchset"], 1, "nosuchset"),
        (["ask", "arrival", "--country", "US", "--run", "nope"], 1, "error: no run 'nope'"),
    ],
)
def test_bad_input_gives_clear_errors(home, capsys, argv, code, message):
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse rejects bad flags itself
        got = exc.code
    err = capsys.readouterr().err
    assert got == code
    assert message in err
    assert "Traceback" not in err


@pytest.mark.fast
def test_no_current_run_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "empty"))
    assert main(["ask", "race"]) == 1
    assert "no current run" in capsys.readouterr().err


def test_console_script_runs(home):
    env = os.environ | {"FORECAST_HOME": str(home.home)}
    out = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "ask", "arrival", "--country", "US"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "50% quantile" in out.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "probability", "--country", "US", "--by", "9999-12-31"],
        ["ask", "probability", "--country", "US", "--by", "2017-12-31"],
        [
            "ask",
            "trajectory",
            "--quantity",
            "frontier_eci",
            "--country",
            "US",
            "--at",
            "2061-06-30",
        ],
        [*SURPRISE[:4], "--date", "0001-01-01", "--value", "130"],
    ],
)
def test_dates_outside_the_range_say_so_in_words(home, capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"is outside the model's range 2018-01-01 \.\. 20\d\d-\d\d-\d\d", err), err
    assert "not a date" not in err
    assert not REGEX_BITS.search(err), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, rows",
    [
        (
            ["ask", "probability", "--country", "CN", "--by", "2030-01-01"],
            ["P(by 2030-01-01)"],
        ),
        (["ask", "arrival", "--country", "CN"], ["50% quantile", "P(later than", "mean paired"]),
        (["ask", "race"], ["P(CN first)", "P(|gap| <= 2 yr)"]),
    ],
)
def test_versus_text_is_a_table(home, capsys, argv, rows):
    assert main([*argv, "--scenario", "tightened_controls", "--versus", "status_quo"]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and '"' not in out  # no raw JSON
    header = next(line for line in out.splitlines() if "tightened_controls" in line)
    assert "status_quo" in header and "difference" in header
    for label in rows:
        assert any(line.strip().startswith(label) for line in out.splitlines()), (label, out)
    assert "±" in out and "tightened_controls minus status_quo" in out
