"""Fixtures of the prior-set tests: the repository's priors/, and a scratch working folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _bundled_priors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the repository's priors/ unless they set FORECAST_PRIORS_DIR themselves."""
    monkeypatch.delenv("FORECAST_PRIORS_DIR", raising=False)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so that messages name files relative to it (``default.toml:12: ...``)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
