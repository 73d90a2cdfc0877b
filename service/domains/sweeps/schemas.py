"""Response schemas of the sweep views."""

from __future__ import annotations

from typing import Any

from msgspec import Struct


class SweepSummary(Struct):
    """One sweep: its grid, state and how many of its fits are stored and passed the gate."""

    id: str
    created: str
    updated: str
    state: str
    spec: dict[str, Any]
    fits: int
    stored: int
    passed: int


class SweepList(Struct):
    """Every sweep in the service's sweep store, most recently updated first."""

    sweeps: list[SweepSummary]


class SweepDetail(Struct):
    """A sweep with its summary (counts, backtest table, files) and one results row per fit."""

    id: str
    created: str
    updated: str
    state: str
    spec: dict[str, Any]
    fits: int
    stored: int
    passed: int
    summary: dict[str, Any] | None
    rows: list[dict[str, Any]]
