"""Hardening of the command line, without a fit: a closed stdout pipe, non-finite numbers in
JSON and in input, far-off dates, and error messages in plain words."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys

import pytest

from forecast.cli.main import main
from forecast.cli.output import PIPE_CLOSED

pytestmark = pytest.mark.fast

SURPRISE = ["ask", "surprise", "--quantity", "frontier_eci", "--date", "2024-12-26"]


def test_json_into_a_closed_pipe_exits_quietly(empty_home):
    """``forecast runs --json | head -1``: the reader is gone before the answer is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "forecast.cli", "runs", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"FORECAST_HOME": str(empty_home)},
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode in (0, PIPE_CLOSED), proc.stderr
    assert "Traceback" not in proc.stderr
    assert "BrokenPipeError" not in proc.stderr


class _ClosedPipe(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_pipe_closed_while_writing_is_status_141(empty_home, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["runs", "--json"]) == PIPE_CLOSED
    assert "Traceback" not in capsys.readouterr().err


def _failed_run(max_rhat: float) -> dict:
    return {
        "id": "20260101T000000-deadbeef",
        "status": "failed",
        "prior_set": "default",
        "max_rhat": max_rhat,
        "min_ess_bulk": 3.0,
        "divergences": 12,
        "wall_seconds": 9.5,
        "current": False,
    }


@pytest.mark.parametrize("rhat", [math.inf, math.nan])
def test_runs_json_writes_a_non_finite_rhat_as_null(empty_home, monkeypatch, capsys, rhat):
    from forecast.store.runs import RunStore

    monkeypatch.setattr(RunStore, "list", lambda self: [_failed_run(rhat)])
    assert main(["runs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["max_rhat"] is None
    assert rows[0]["min_ess_bulk"] == 3.0
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "failed" in out and ("inf" in out if math.isinf(rhat) else " - " in out)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999"])
@pytest.mark.parametrize("as_json", [False, True])
def test_surprise_rejects_non_finite_values(empty_home, capsys, value, as_json):
    argv = [*SURPRISE, f"--value={value}"] + (["--json"] if as_json else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert f"error: --value: {value} must be a finite number" in captured.err
    assert "Traceback" not in captured.err
    assert "percentile" not in captured.out


def test_surprise_file_rejects_non_finite_values(empty_home, capsys, tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text(
        "quantity,date,value\nfrontier_eci,2024-12-26,133.2\nfrontier_eci,2025-01-01,nan\n"
    )
    assert main(["ask", "surprise", "--file", str(f), "--json"]) == 2
    assert f"{f}:3: column value: nan must be a finite number" in capsys.readouterr().err


def test_race_within_must_be_finite(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ask", "race", "--within", "nan"])
    assert exc.value.code == 2
    assert "'nan' must be a finite number" in capsys.readouterr().err


def test_a_far_off_date_is_a_date():
    from forecast.questions.forecaster import parse_date

    assert parse_date("9999-12-31", "by") == pytest.approx(9999 + 364 / 365)
    assert parse_date("9999-01-01") == 9999.0


@pytest.mark.parametrize("cutoff", ["9999-12-31", "2016-12-31", "2023-02-30"])
def test_cutoff_errors_are_plain_words_and_exit_2(capsys, cutoff):
    assert main(["backtest", "--cutoff", cutoff]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --cutoff: ")
    assert "\\d" not in err and "^" not in err, err
