"""``forecast priors check``: text and JSON reports of prior sets and scenario files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from priorfile_helpers import BUNDLED, DEFAULT_TEXT, SETS, edit, line_of, write

from forecast.cli.priors_check import cli_check
from forecast.priors.priorset import load_prior_set

pytestmark = pytest.mark.fast


# ------------------------------------------------------------------------------------------------
# cli_check
# ------------------------------------------------------------------------------------------------


def test_cli_check_all_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_check([], as_json=False) == 0
    out = capsys.readouterr().out
    for name in (*SETS, "scenarios"):
        assert f"{name}.toml: OK" in out
    assert out.strip().endswith("all files OK")


def test_cli_check_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_check(["default"], as_json=False, show=True) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "efficiency_rate" in line)
    assert "lognormal" in line and "90% [0.35, 1.6] OOM/yr" in line and "mu=-0.2899" in line


def test_cli_check_json(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(in_tmp, edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [1.5, 0.3]"))
    good = BUNDLED / "skeptical.toml"
    scenarios = BUNDLED / "scenarios.toml"
    code = cli_check([str(good), str(bad), str(scenarios), "missing.toml"], as_json=True)
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    first, second, third, fourth = report["files"]
    assert first["ok"] and first["kind"] == "priors" and first["name"] == "skeptical"
    assert first["hash"] == load_prior_set("skeptical").hash  # of the resolved set
    assert first["extends"] == "default" and first["parents"] == ["default"]
    assert "priors.efficiency_rate" in first["overridden"]
    efficiency = first["priors"]["efficiency_rate"]
    assert efficiency["dist"] == "lognormal"
    assert efficiency["interval"] == pytest.approx([0.25, 0.9])
    assert efficiency["prob"] == 0.9 and efficiency["unit"] == "OOM/yr"
    assert set(efficiency["params"]) == {"mu", "sigma"} and efficiency["source"]
    assert not second["ok"] and second["path"] == "default.toml"
    assert second["issues"] == [
        {
            "file": "default.toml",
            "line": line_of(bad.read_text(), "interval = [1.5, 0.3]"),
            "key": "priors.efficiency_rate.interval",
            "reason": "lower bound 1.5 is above upper bound 0.3",
        }
    ]
    assert third["ok"] and third["kind"] == "scenarios"
    assert third["scenarios"][:1] == ["status_quo"]
    assert not fourth["ok"] and fourth["issues"][0]["reason"] == "prior set file not found"


def test_cli_check_detects_scenario_tables(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(in_tmp, '[scenario.status_quo]\ndescription = "x"\nsources = ["y"]\n', "mine.toml")
    assert cli_check([str(path)], as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"][0]["kind"] == "scenarios"
    assert report["files"][0]["scenarios"] == ["status_quo"]


def test_cli_check_readable_errors(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(in_tmp, edit(DEFAULT_TEXT, 'unit = "OOM/yr"', 'unit = "OOM/year"'))
    assert cli_check([str(bad)], as_json=False) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "default.toml: 1 error"
    assert out[1].startswith("  default.toml:") and "priors.efficiency_rate.unit" in out[1]
    assert out[-1] == "1 of 1 files have errors"
