"""The periodic report scheduler (fake clock) and the /v1/reports endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.config import ReportSettings, SettingsError
from service.scheduler import Cron, CronError, ReportScheduler

T0 = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # a Friday


def test_cron_next_after_weekly():
    cron = Cron.parse("0 6 * * 1")  # Mondays 06:00 UTC
    assert cron.next_after(T0) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert cron.next_after(datetime(2026, 11, 30, 6, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 6, 0, tzinfo=UTC
    )


def test_cron_steps_ranges_and_lists():
    cron = Cron.parse("*/15 8-9 1,15 * *")
    assert cron.next_after(T0) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert cron.next_after(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)) == datetime(
        2026, 12, 1, 8, 15, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "expression, message",
    [
        ("0 6 * *", "needs 5 fields"),
        ("0 6 * * * 2030", "needs 5 fields"),
        ("61 * * * *", "'61 \\* \\* \\* \\*' is not valid"),
        ("0 6 * * 8", "is not valid"),
        ("*/0 * * * *", "is not valid"),
        ("x * * * *", "is not valid"),
        ("0 6 * * FUNDAY", "is not valid"),
        ("@fortnightly", "is not valid"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_cron_errors(expression, message):
    with pytest.raises(CronError, match=message):
        Cron.parse(expression).next_after(T0)


def test_cron_day_of_month_or_day_of_week():
    """Standard cron: with both day fields restricted, a day matching either one fires."""
    cron = Cron.parse("0 6 1 * 1")  # the 1st of each month, and every Monday
    assert cron.next_after(T0) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a Monday
    assert cron.next_after(datetime(2026, 11, 30, 6, 0, tzinfo=UTC)) == datetime(
        2026, 12, 1, 6, 0, tzinfo=UTC
    )  # a Tuesday, the 1st
    assert cron.matches(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert cron.matches(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))  # Monday the 7th
    assert not cron.matches(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))


def test_cron_day_names_and_aliases():
    assert Cron.parse("0 6 * * MON").next_after(T0) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert Cron.parse("0 6 * * mon-fri").next_after(T0) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert Cron.parse("0 6 * JAN *").next_after(T0) == datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    # @weekly is Sunday 00:00, as in cron
    assert Cron.parse("@weekly").next_after(T0) == datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    assert Cron.parse("@daily").next_after(T0) == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    assert Cron.parse("0 6 * * 7").next_after(T0) == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def test_cron_settings_accept_names_and_aliases(monkeypatch):
    for expression in ("0 6 * * MON", "@weekly", "0 6 1 * 1"):
        monkeypatch.setenv("FORECAST_REPORT_CRON", expression)
        assert ReportSettings().cron == expression


def test_bad_cron_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FORECAST_REPORT_CRON", "every monday")
    with pytest.raises(SettingsError, match="FORECAST_REPORT_CRON: cron expression"):
        ReportSettings()
    monkeypatch.setenv("FORECAST_REPORT_CRON", "0 0 31 2 *")
    with pytest.raises(SettingsError, match=r"FORECAST_REPORT_CRON: .* never fires"):
        ReportSettings()
    monkeypatch.setenv("FORECAST_REPORT_CRON", "0 6 * * FUNDAY")
    with pytest.raises(SettingsError, match=r"FORECAST_REPORT_CRON: .* is not valid"):
        ReportSettings()


def test_bad_cron_stops_the_server_start(monkeypatch, capsys, tmp_path):
    from service.app import serve

    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    monkeypatch.setenv("FORECAST_REPORT_CRON", "0 6 * * FUNDAY")
    assert serve(port=0) == 2
    assert "FORECAST_REPORT_CRON" in capsys.readouterr().err


@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_next_after_is_the_first_match(minute, hour, start):
    cron = Cron.parse(f"{minute} {hour} * * *")
    start = start.replace(tzinfo=UTC)
    nxt = cron.next_after(start)
    assert nxt > start and cron.matches(nxt)
    assert nxt - start <= timedelta(days=1, minutes=1)
    assert (nxt.hour, nxt.minute) == (hour, minute)


class FakeClock:
    """A clock that only moves when the scheduler sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def make_scheduler(clock: FakeClock, new_observations: list[int], jobs: dict[str, list[str]]):
    events: list[tuple[str, datetime]] = []

    def start_refit() -> str:
        events.append(("refit", clock.now))
        jobs["job-1"] = ["running", "running", "succeeded"]
        return "job-1"

    def job_status(job_id: str) -> str:
        states = jobs[job_id]
        return states.pop(0) if len(states) > 1 else states[0]

    def render() -> dict[str, Any]:
        events.append(("report", clock.now))
        return {"rendered": True}

    scheduler = ReportScheduler(
        cron=Cron.parse("0 6 * * 1"),
        current_created=lambda: None,
        observations_after=lambda _created: new_observations.pop(0),
        start_refit=start_refit,
        job_status=job_status,
        render=render,
        clock=clock,
        sleep=clock.sleep,
        poll_seconds=5.0,
    )
    return scheduler, events


@pytest.mark.anyio
async def test_scheduler_refits_on_new_observations_then_reports():
    clock = FakeClock(T0)
    scheduler, events = make_scheduler(clock, [3, 0], {})
    outcomes = await scheduler.run(firings=2)
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    # First firing: 3 new observations, so a refit (polled until it succeeds), then a report.
    assert events[0] == ("refit", monday)
    assert events[1] == ("report", monday + timedelta(seconds=10))
    assert outcomes[0]["refit"] == {"job_id": "job-1", "new_observations": 3, "status": "succeeded"}
    # Second firing a week later: nothing new, so no refit, just the report check.
    assert events[2][0] == "report"
    assert events[2][1] == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert outcomes[1]["refit"] is None
    assert clock.sleeps[0] == (monday - T0).total_seconds()


@pytest.mark.anyio
async def test_a_failed_firing_does_not_stop_the_schedule():
    clock = FakeClock(T0)
    scheduler, _ = make_scheduler(clock, [0, 0], {})

    calls = []

    def broken() -> dict[str, Any]:
        calls.append(1)
        raise RuntimeError("disk full")

    scheduler.render = broken
    outcomes = await scheduler.run(firings=2)
    assert [o.get("error") for o in outcomes] == ["disk full", "disk full"]
    assert len(calls) == 2


@pytest.mark.anyio
@pytest.mark.fit
async def test_reports_are_listed_and_served(home: Path, settings_for: Any) -> None:
    from litestar.testing import AsyncTestClient

    from forecast.report.build import ReportStore, render_report
    from forecast.store.runs import RunStore
    from service.app import create_app

    result = render_report(
        store=RunStore(home), reports=ReportStore(home), formats=("html", "json"), log=print
    )
    async with AsyncTestClient(app=create_app(settings_for(home))) as client:
        listing = await client.get("/v1/reports")
        assert listing.status_code == 200
        rows = listing.json()["reports"]
        assert [r["id"] for r in rows] == [result.report_id]
        assert rows[0]["run_id"] == result.run_id
        html = await client.get(f"/v1/reports/{result.report_id}")
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        as_json = await client.get(f"/v1/reports/{result.report_id}", params={"format": "json"})
        assert as_json.json()["run"]["id"] == result.run_id
        missing = await client.get(f"/v1/reports/{result.report_id}", params={"format": "pdf"})
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        unknown = await client.get("/v1/reports/nope")
        assert unknown.status_code == 404
        bad = await client.get(f"/v1/reports/{result.report_id}", params={"format": "docx"})
        assert bad.status_code == 400
