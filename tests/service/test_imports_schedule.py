"""The scheduled import: a watched folder imported on a cron schedule, refit only on new rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from forecast.store.observations import ObservationStore
from service.config import ImportSettings, SettingsError
from service.imports_schedule import ImportSchedule, pending_files
from service.scheduler import Cron

pytestmark = pytest.mark.anyio

FLAT = (
    "source_file,task_suite,model_key,release_date,p50_minutes,p50_ci_low,p50_ci_high,"
    "p80_minutes,p80_ci_low,p80_ci_high,is_sota\n"
    "x.yaml,METR-Horizon-v1.1,deepseek_r1,2025-01-20,20,8,45,,,,True\n"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 5, 59, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


async def test_schedule_imports_and_refits_only_when_rows_arrive(tmp_path: Path) -> None:
    folder = tmp_path / "imports"
    (folder / "metr").mkdir(parents=True)
    (folder / "metr" / "flat.csv").write_text(FLAT, encoding="utf-8")
    (folder / "metr" / ".hidden").write_text("x", encoding="utf-8")
    (folder / "epoch-chip-owners").mkdir()
    (folder / "epoch-chip-owners" / "broken.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert [(s, p.name) for s, p in pending_files(folder)] == [
        ("epoch-chip-owners", "broken.csv"),
        ("metr", "flat.csv"),
    ]
    store = ObservationStore(tmp_path / "service.sqlite")
    refits: list[str] = []

    async def do_import(source: str, data: bytes, name: str) -> tuple[Any, list[Any]]:
        return store.import_file(source, data, name, "scheduled-import"), []

    def start_refit() -> str:
        refits.append("job")
        return f"job-{len(refits)}"

    clock = FakeClock()
    schedule = ImportSchedule(
        cron=Cron.parse("0 6 * * *"),
        folder=folder,
        run_import=do_import,
        start_refit=start_refit,
        clock=clock,
        sleep=clock.sleep,
    )
    first, second = await schedule.run(firings=2)
    assert clock.slept[0] == 60.0  # 05:59 -> 06:00
    assert first["refit"] == {"job_id": "job-1", "new_observations": 1}
    files = {f["file"]: f for f in first["files"]}
    assert "error" in files["broken.csv"] and files["flat.csv"]["stored"] == 1
    assert second["refit"] is None and refits == ["job"]  # nothing new the second time
    assert store.count() == 1


def test_import_settings_need_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECAST_IMPORT_CRON", "@daily")
    monkeypatch.delenv("FORECAST_IMPORT_DIR", raising=False)
    with pytest.raises(SettingsError, match="FORECAST_IMPORT_DIR"):
        ImportSettings()
    monkeypatch.setenv("FORECAST_IMPORT_DIR", "/srv/imports")
    assert ImportSettings().cron == "@daily"
    monkeypatch.setenv("FORECAST_IMPORT_CRON", "not a cron")
    with pytest.raises(SettingsError, match="FORECAST_IMPORT_CRON"):
        ImportSettings()
