"""Sweep tests: fits are mocked by ``sweep_fakes.FakeFits`` unless a test is marked slow."""

from __future__ import annotations

import pytest
from sweep_fakes import FakeFits


@pytest.fixture
def fake_fits(monkeypatch: pytest.MonkeyPatch) -> FakeFits:
    """Replace the worker's fit in the inline engine by a recording fake."""
    fake = FakeFits()
    monkeypatch.setattr("forecast.sweeps.engine.run_fit", fake)
    return fake
