"""Scenarios: the bundled file, validation messages (file, line, key, reason), lookups."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.core.errors import ForecastError, UsageError
from forecast.core.timeutil import date_to_year as decimal_year
from forecast.priors.priorset import PriorError
from forecast.priors.scenarios import (
    BASELINE_SCENARIO,
    COUNTRIES,
    LEVER_RANGES,
    Levers,
    Scenario,
    ScenarioError,
    UnknownScenarioError,
    get_scenario,
    load_scenarios,
    parse_scenarios,
    scenario_file_hash,
    scenarios_path,
)

BUNDLED = Path(__file__).resolve().parents[2] / "priors" / "scenarios.toml"
pytestmark = pytest.mark.fast

REQUIRED = ("status_quo", "tightened_controls", "relaxed_controls", "efficiency_shock")

MINIMAL = """\
[scenario.status_quo]
description = "baseline"
sources = ["Epoch AI"]

[scenario.shock]
description = "a shock"
sources = ["somewhere"]
start = 2026-07-01
[scenario.shock.CN]
efficiency_jump_oom = 0.5
"""


@pytest.fixture(autouse=True)
def _bundled_priors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORECAST_PRIORS_DIR", raising=False)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def messages(folder: Path, text: str) -> list[str]:
    path = folder / "scenarios.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(path)
    return [str(issue) for issue in caught.value.issues]


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# ------------------------------------------------------------------------------------------------
# bundled scenarios
# ------------------------------------------------------------------------------------------------


def test_bundled_scenarios_load_in_file_order() -> None:
    assert scenarios_path() == BUNDLED
    scenarios = load_scenarios()
    names = list(scenarios)
    assert names[0] == BASELINE_SCENARIO
    assert set(REQUIRED) <= set(names)
    text = BUNDLED.read_text(encoding="utf-8")
    positions = [text.index(f"[scenario.{name}]") for name in names]
    assert positions == sorted(positions)
    for scenario in scenarios.values():
        assert scenario.description and scenario.sources
        assert set(scenario.levers) == set(COUNTRIES)


def test_bundled_levers() -> None:
    scenarios = load_scenarios()
    status_quo = scenarios["status_quo"]
    assert status_quo.is_baseline and status_quo.start_year is None
    assert status_quo.lever("CN") == Levers() == status_quo.lever("US")

    # the control scenarios act on China's supply channels, not on the country as a whole
    tight = scenarios["tightened_controls"]
    channels = tight.channel_levers("CN")
    assert all(lv.additions_multiplier < 1 for lv in channels.values())
    assert set(channels) == {"legal", "smuggled", "domestic"}
    assert channels["domestic"].growth_multiplier < 1
    assert tight.lever("CN").is_neutral and tight.lever("US").is_neutral

    relaxed = scenarios["relaxed_controls"]
    assert relaxed.start_date == date(2026, 1, 15)
    assert relaxed.channel_levers("CN")["legal"].additions_multiplier > 1

    shock = scenarios["efficiency_shock"]
    assert shock.start_date == date(2026, 7, 1)
    assert shock.lever("US").efficiency_jump_oom == shock.lever("CN").efficiency_jump_oom == 0.5


def test_decimal_year() -> None:
    assert decimal_year(date(2026, 4, 1)) == pytest.approx(2026 + 90 / 365)
    assert decimal_year(date(2024, 12, 31)) == pytest.approx(2024 + 365 / 366)
    assert decimal_year(date(2025, 1, 1)) == 2025.0


def test_get_scenario() -> None:
    assert get_scenario("relaxed_controls").name == "relaxed_controls"
    scenarios = parse_scenarios(MINIMAL)
    assert get_scenario("shock", scenarios).lever("CN").efficiency_jump_oom == 0.5
    with pytest.raises(UnknownScenarioError) as caught:
        get_scenario("nope", scenarios)
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, ForecastError)
    assert str(caught.value) == "unknown scenario 'nope' (known scenarios: status_quo, shock)"


def test_to_dict_and_hash(tmp_path: Path) -> None:
    shock = parse_scenarios(MINIMAL)["shock"]
    described = shock.to_dict()
    assert described["start"] == "2026-07-01"
    assert described["levers"]["CN"]["efficiency_jump_oom"] == 0.5
    assert described["levers"]["US"] == {
        "additions_multiplier": 1.0,
        "growth_multiplier": 1.0,
        "efficiency_rate_multiplier": 1.0,
        "efficiency_jump_oom": 0.0,
    }
    path = tmp_path / "scenarios.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    first = scenario_file_hash(path)
    path.write_text(MINIMAL + "# changed\n", encoding="utf-8")
    assert scenario_file_hash(path) != first


def test_scenarios_path_follows_priors_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("FORECAST_PRIORS_DIR", str(tmp_path))
    assert scenarios_path() == tmp_path / "scenarios.toml"
    assert list(load_scenarios()) == ["status_quo", "shock"]


# ------------------------------------------------------------------------------------------------
# malformed scenario files: exact messages
# ------------------------------------------------------------------------------------------------


def test_unknown_country(in_tmp: Path) -> None:
    text = edit(MINIMAL, "[scenario.shock.CN]", "[scenario.shock.JP]")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, '[scenario.shock.JP]')}: scenario.shock.JP: "
        "unknown country (known countries: US, CN)"
    ]


def test_negative_multiplier_and_big_jump(in_tmp: Path) -> None:
    text = edit(
        MINIMAL,
        "efficiency_jump_oom = 0.5",
        "additions_multiplier = -0.5\nefficiency_jump_oom = 4",
    )
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'additions_multiplier')}: "
        "scenario.shock.CN.additions_multiplier: must be at least 0, got -0.5",
        f"scenarios.toml:{line_of(text, 'efficiency_jump_oom')}: "
        "scenario.shock.CN.efficiency_jump_oom: must be between -3 and 3, got 4",
    ]


def test_unknown_lever(in_tmp: Path) -> None:
    text = edit(MINIMAL, "efficiency_jump_oom = 0.5", "efficiency_jump = 0.5")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'efficiency_jump =')}: scenario.shock.CN.efficiency_jump: "
        "unknown lever; did you mean 'efficiency_jump_oom'?"
    ]


def test_missing_start(in_tmp: Path) -> None:
    text = edit(MINIMAL, "start = 2026-07-01\n", "")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, '[scenario.shock]')}: scenario.shock.start: "
        "missing (required when a scenario has levers or a threshold override)"
    ]


def test_start_out_of_range_and_wrong_type(in_tmp: Path) -> None:
    text = edit(MINIMAL, "start = 2026-07-01", "start = 2070-01-01")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'start =')}: scenario.shock.start: "
        "2070-01-01 is outside [2025-01-01, 2060-01-01]"
    ]
    text = edit(MINIMAL, "start = 2026-07-01", 'start = "2026-07-01"')
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'start =')}: scenario.shock.start: "
        "expected a TOML date like 2026-04-01, got string '2026-07-01'"
    ]
    text = edit(MINIMAL, "start = 2026-07-01", "start = 2026-07-01T00:00:00Z")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'start =')}: scenario.shock.start: "
        "expected a TOML date like 2026-04-01, got datetime"
    ]


def test_threshold_override(in_tmp: Path) -> None:
    text = edit(MINIMAL, "start = 2026-07-01", "start = 2026-07-01\nthreshold_horizon_minutes = 0")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'threshold_horizon_minutes')}: "
        "scenario.shock.threshold_horizon_minutes: must be above 0 minutes, got 0"
    ]
    good = edit(
        MINIMAL, "start = 2026-07-01", "start = 2026-07-01\nthreshold_horizon_minutes = 2e4"
    )
    assert parse_scenarios(good)["shock"].threshold_horizon_minutes == 20000.0


def test_unknown_key_and_missing_description(in_tmp: Path) -> None:
    text = edit(MINIMAL, 'description = "a shock"', 'descripton = "a shock"')
    header = line_of(text, "[scenario.shock]")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{header}: scenario.shock.description: missing",
        f"scenarios.toml:{header + 1}: scenario.shock.descripton: unknown key; "
        "did you mean 'description'?",
    ]


def test_sources_must_be_strings(in_tmp: Path) -> None:
    text = edit(MINIMAL, 'sources = ["somewhere"]', "sources = []")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'sources = []')}: scenario.shock.sources: "
        "expected a non-empty array of strings, got an empty array"
    ]


def test_missing_baseline_and_unknown_section(in_tmp: Path) -> None:
    text = MINIMAL.replace("status_quo", "baseline") + "\n[meta]\nname = 'x'\n"
    assert messages(in_tmp, text) == [
        "scenarios.toml:1: scenario.status_quo: "
        "missing (every scenario file defines the baseline 'status_quo')",
        f"scenarios.toml:{line_of(text, '[meta]')}: meta: unknown section (allowed: scenario)",
    ]


def test_syntax_error(in_tmp: Path) -> None:
    text = edit(MINIMAL, "start = 2026-07-01", "start = 2026-13-01")
    assert messages(in_tmp, text) == [
        f"scenarios.toml:{line_of(text, 'start =')}: (syntax): invalid TOML: "
        "Expected newline or end of document after a statement (column 13)"
    ]


def test_missing_file(in_tmp: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(in_tmp / "nowhere.toml")
    assert isinstance(caught.value, PriorError)
    assert str(caught.value) == "nowhere.toml: scenario file not found"


def test_all_errors_are_listed(in_tmp: Path) -> None:
    text = MINIMAL + (
        "\n[scenario.bad]\n"
        'description = "many problems"\n'
        "sources = [1]\n"
        "start = 2020-01-01\n"
        "colour = 'red'\n"
        "[scenario.bad.US]\n"
        "growth_multiplier = 'fast'\n"
        "[scenario.bad.XX]\n"
        "additions_multiplier = 1\n"
    )
    found = messages(in_tmp, text)
    assert [message.split(": ")[1] for message in found] == [
        "scenario.bad.sources",
        "scenario.bad.start",
        "scenario.bad.colour",
        "scenario.bad.US.growth_multiplier",
        "scenario.bad.XX",
    ]
    assert found[3].endswith("expected a number, got string 'fast'")


# ------------------------------------------------------------------------------------------------
# property: levers are accepted exactly when in range
# ------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    lever=st.sampled_from(sorted(LEVER_RANGES)),
    value=st.one_of(st.floats(), st.integers(min_value=-10, max_value=10)),
    country=st.sampled_from(COUNTRIES),
)
def test_lever_validation(lever: str, value: float, country: str) -> None:
    text = (
        '[scenario.status_quo]\ndescription = "b"\nsources = ["s"]\n'
        '[scenario.x]\ndescription = "x"\nsources = ["s"]\nstart = 2027-01-01\n'
        f"[scenario.x.{country}]\n{lever} = {value!r}\n"
    )
    low, high = LEVER_RANGES[lever]
    valid = math.isfinite(value) and low <= value <= high
    try:
        scenario = parse_scenarios(text)["x"]
    except ScenarioError as exc:
        assert not valid
        (issue,) = exc.issues
        assert issue.key == f"scenario.x.{country}.{lever}" and issue.line == 9
        return
    assert valid
    assert isinstance(scenario, Scenario)
    assert getattr(scenario.lever(country), lever) == float(value)
    other = next(c for c in COUNTRIES if c != country)
    assert scenario.lever(other) == Levers()
