"""Retraction: a retracted observation stays in the history but leaves the next fit's data.

The fit reads stored observations through :meth:`ObservationStore.export` (the worker's refit
path, and ``forecast data export`` for ``forecast fit --data``); a retracted row is not exported,
so the data hash and the observation counts return to what they were without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast.cli.main import run
from forecast.data.tables import data_hash, load_all
from forecast.store.observations import ObservationStore

ROW = {
    "model": "Retract-Me",
    "date": "2025-11-01",
    "organization": "Test Lab",
    "country": "CN",
    "training_flop": "3e+25",
    "confidence": "Likely",
    "domain": "Language",
    "notable": "true",
    "large_scale": "true",
    "frontier": "true",
    "source": "test",
    "source_url": "https://example.org/test",
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ObservationStore:
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    return ObservationStore.at_home()


def _fit_inputs(store: ObservationStore, folder: Path) -> tuple[str, dict[str, int], int]:
    """What a fit would read: data hash, observation counts, and rows of the models table."""
    from forecast.fit.sampling import prepare

    extra = store.export(folder)
    _, obs, digest = prepare("default", extra)
    assert digest == data_hash(extra)
    return digest, dict(obs.counts()), len(load_all(extra)["models"])


def test_retracted_row_leaves_the_fit(
    store: ObservationStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _fit_inputs(store, tmp_path / "before")
    (obs_id,) = store.add("models", [ROW], "alice")
    with_row = _fit_inputs(store, tmp_path / "with")
    assert with_row[0] != base[0] and with_row[2] == base[2] + 1
    assert store.count() == 1
    code = run(
        ["data", "retract", str(obs_id), "--why", "duplicate of a later Epoch row", "--json"]
    )
    done = json.loads(capsys.readouterr().out)
    assert code == 0 and done["retracted"]["why"] == "duplicate of a later Epoch row"
    assert done["retracted"]["by"].startswith("cli:")
    after = _fit_inputs(store, tmp_path / "after")
    assert after == base  # same data hash, same observation counts as without the row
    assert store.count() == 0 and store.rows("models") == []
    # Nothing was deleted: the history still shows the row, with who, when and why.
    items, total = store.page("models", 10, 0, include_retracted=True)
    assert total == 1 and items[0]["row"]["model"] == "Retract-Me"
    assert items[0]["retracted"]["by"] == done["retracted"]["by"]
    # Retracting twice, or an unknown id, is an error.
    assert run(["data", "retract", str(obs_id), "--why", "again"]) == 1
    assert run(["data", "retract", "999", "--why", "nothing"]) == 1
    assert "no stored observation has id 999" in capsys.readouterr().err


def test_export_command(
    store: ObservationStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add("models", [ROW], "alice")
    assert run(["data", "export", str(tmp_path / "out"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["observations"] == {"models": 1}
    assert [Path(f).name for f in payload["files"]] == ["api-observations-models.csv"]
