"""Parsers of --threshold, --lever and --given (no fit needed)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.core.definitions import COUNTRIES, QUANTITIES
from forecast.core.errors import UsageError
from forecast.priors.scenarios import LEVER_RANGES, get_scenario, load_scenarios, parse_scenarios
from forecast.questions.conditional import parse_condition, parse_conditions
from forecast.questions.levers import parse_lever, parse_levers, with_levers
from forecast.questions.thresholds import KINDS, RANGES, load_thresholds, parse_threshold

NAMED = ("work_day", "work_week", "work_month", "work_year", "work_day_80", "eci_160", "eci_175")


def test_named_thresholds_are_documented() -> None:
    table = load_thresholds()
    assert set(NAMED) <= set(table.named)
    for t in table.named.values():
        assert t.description and t.justification and t.sources
    assert table.horizon80_to_horizon50 > 1
    assert table.conversion_justification and table.conversion_sources


@settings(max_examples=200)
@given(st.sampled_from(sorted(KINDS)), st.floats(0, 1, allow_nan=False))
def test_custom_threshold_round_trip(kind: str, u: float) -> None:
    low, high = RANGES[kind]
    value = low + u * (high - low)
    t = parse_threshold(f"{kind}:{value!r}")
    assert t.kind == kind and t.value == pytest.approx(value)
    assert parse_threshold(t.label).value == pytest.approx(value, rel=1e-5)


@given(st.text(max_size=30))
def test_threshold_garbage_is_a_usage_error(text: str) -> None:
    if text.strip() in load_thresholds().named:
        return
    try:
        t = parse_threshold(text)
    except UsageError as exc:
        assert "threshold" in str(exc)
    else:
        assert t.kind in KINDS and math.isfinite(t.value)


@pytest.mark.parametrize(
    "bad", ["horizon50:-5", "horizon50:nan", "horizon50:inf", "eci:1000", "horizon90:10", "x"]
)
def test_bad_thresholds(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_threshold(bad)


levers = st.sampled_from(sorted(LEVER_RANGES))


@settings(max_examples=200)
@given(st.sampled_from(COUNTRIES), levers, st.floats(-10, 10, allow_nan=False))
def test_lever_round_trip(country: str, name: str, value: float) -> None:
    s = parse_lever(f"{country.lower()}.{name}={value!r}")
    assert (s.country, s.name, s.value) == (country, name, value)
    assert parse_lever(s.text).value == pytest.approx(value, rel=1e-5, abs=1e-9)


@given(st.dates(date(2025, 1, 1), date(2060, 1, 1)))
def test_lever_start(day: date) -> None:
    assert parse_lever(f"start={day.isoformat()}").value == day
    assert parse_lever(f"CN.start={day.isoformat()}").value == day


@pytest.mark.parametrize(
    "bad",
    [
        "CN.additions_multiplier",
        "XX.additions_multiplier=1",
        "CN.speed=2",
        "additions_multiplier=0.5",
        "CN.additions_multiplier=abc",
        "CN.additions_multiplier=nan",
        "start=20270101",
        "start=2027-02-30",
    ],
)
def test_bad_levers(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_lever(bad)


def test_repeated_lever_is_refused() -> None:
    with pytest.raises(UsageError, match="twice"):
        parse_levers(["CN.additions_multiplier=0.5", "CN.additions_multiplier=0.6"])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(COUNTRIES), levers, st.floats(-5, 5, allow_nan=False))
def test_levers_are_checked_like_a_scenario_file(country: str, name: str, value: float) -> None:
    """An ad-hoc lever is accepted exactly when the same lever in scenarios.toml would be."""
    base = get_scenario("status_quo", load_scenarios())
    toml = (
        '[scenario.status_quo]\ndescription = "x"\nsources = ["x"]\n'
        '[scenario.adhoc]\ndescription = "x"\nsources = ["x"]\nstart = 2027-01-01\n'
        f"[scenario.adhoc.{country}]\n{name} = {value!r}\n"
    )
    try:
        expected = parse_scenarios(toml)["adhoc"]
    except Exception:
        expected = None
    settings_ = parse_levers([f"{country}.{name}={value!r}", "start=2027-01-01"])
    try:
        got = with_levers(base, settings_, "adhoc")
    except UsageError:
        got = None
    assert (got is None) == (expected is None)
    if got is not None and expected is not None:
        assert got.levers == expected.levers and got.start_year == expected.start_year


def test_levers_need_a_start() -> None:
    base = get_scenario("status_quo", load_scenarios())
    with pytest.raises(UsageError, match="start"):
        with_levers(base, parse_levers(["CN.additions_multiplier=0.5"]), "adhoc")


@settings(max_examples=200)
@given(
    st.sampled_from(COUNTRIES),
    st.sampled_from(sorted(QUANTITIES)),
    st.sampled_from([">=", "<=", ">", "<"]),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.dates(date(2018, 1, 1), date(2060, 12, 31)),
)
def test_condition_round_trip(country, quantity, op, value, day) -> None:  # type: ignore[no-untyped-def]
    c = parse_condition(f"{country}.{quantity}{op}{value!r}@{day.isoformat()}")
    assert (c.country, c.quantity, c.op, c.value, c.when) == (
        country,
        quantity,
        op,
        value,
        day.isoformat(),
    )
    assert parse_condition(c.text).op == op


@pytest.mark.parametrize(
    "bad",
    [
        "CN.frontier_eci>=160",
        "CN.frontier_eci=>160@2027-06-30",
        "CN.eci>=160@2027-06-30",
        "XX.frontier_eci>=160@2027-06-30",
        "CN.frontier_eci>=abc@2027-06-30",
        "CN.frontier_eci>=160@2027-13-01",
        "CN.frontier_eci>=160@20270630",
    ],
)
def test_bad_conditions(bad: str) -> None:
    with pytest.raises(UsageError, match="given"):
        parse_condition(bad)


def test_repeated_condition_is_refused() -> None:
    with pytest.raises(UsageError, match="twice"):
        parse_conditions(["CN.frontier_eci>=160@2027-06-30"] * 2)
