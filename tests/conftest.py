"""Shared fixtures: an isolated store per session and one quick fit reused by many tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep every test away from a developer's ./var and from the repository's compile caches.
os.environ.setdefault(
    "FORECAST_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "forecast-test-home")
)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory):
    """A store holding one quick fit on the bundled data, made current (looser quick gate)."""
    from forecast.fit.sampling import QUICK, QUICK_GATE, fit
    from forecast.store.runs import RunStore

    store = RunStore(tmp_path_factory.mktemp("store"))
    result = fit(config=QUICK, store=store, gate=QUICK_GATE, progress=False, log=lambda _: None)
    assert result.status == "passed", result.meta["gate_failures"]
    return store, result


@pytest.fixture(scope="session")
def forecaster(quick_run):
    from forecast.questions.forecaster import Forecaster

    store, result = quick_run
    return Forecaster.from_store(store, result.run_id)
