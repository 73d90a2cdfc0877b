"""Shared fixtures: an isolated store per session and one quick fit reused by many tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The repository root first on the path: ``tests/service`` (no __init__) must never stand in for
# the ``service`` package as a namespace package when pytest runs from its console script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Keep every test away from a developer's ./var and from the repository's compile caches.
os.environ.setdefault(
    "FORECAST_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "forecast-test-home")
)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory):
    """A store holding one quick fit of every structure on the bundled data, made current
    (looser quick gate; equal structure weights, as a quick fit stores no log likelihood)."""
    from forecast.core.definitions import STRUCTURE_NAMES
    from forecast.fit.sampling import QUICK, QUICK_GATE, fit
    from forecast.store.runs import RunStore

    store = RunStore(tmp_path_factory.mktemp("store"))
    result = fit(
        config=QUICK,
        store=store,
        gate=QUICK_GATE,
        progress=False,
        log=lambda _: None,
        structures=STRUCTURE_NAMES,
    )
    assert result.status == "passed", result.meta["gate_failures"]
    return store, result


@pytest.fixture(scope="session")
def forecaster(quick_run):
    from forecast.questions.forecaster import Forecaster

    store, result = quick_run
    return Forecaster.from_store(store, result.run_id)


FIT_FIXTURES = frozenset({"quick_run", "default_fit", "cutoff_forecaster"})
"""Fixtures that fit a model; every fixture built on a fit (a store, a forecaster, a service
home) depends on one of these, so it shows in a test's fixture closure."""
NOT_FAST_MARKERS = frozenset({"slow", "browser", "fit", "not_fast"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs no fit, no browser and no sampling ``fast``.

    ``bash scripts/test -m fast`` runs that tier in about a minute. A test that does heavy work
    without a fit fixture (a subprocess fit, a long simulation) says so with ``not_fast``.
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        marks = {m.name for m in item.iter_markers()}
        if not names & FIT_FIXTURES and not marks & NOT_FAST_MARKERS:
            item.add_marker(pytest.mark.fast)
