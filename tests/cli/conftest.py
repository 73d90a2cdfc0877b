"""Fixtures of the command-line tests: a home holding the session's quick fit, or an empty one."""

from __future__ import annotations

import pytest


@pytest.fixture
def home(quick_run, monkeypatch):
    """FORECAST_HOME pointing at the store of the session's quick fit (its run is current)."""
    store, _ = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    return store


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """FORECAST_HOME pointing at an empty folder: no runs."""
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
