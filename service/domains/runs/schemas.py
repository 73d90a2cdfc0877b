"""Response schemas of the run store's views: the run list and a run's full metadata."""

from __future__ import annotations

from typing import Any

from msgspec import Struct

NullableFloat = float | None


class RunSummary(Struct):
    """One stored run, as listed."""

    id: str
    created: str
    status: str
    prior_set: str
    prior_hash: str
    data_hash: str
    sampler: str
    wall_seconds: NullableFloat
    max_rhat: NullableFloat
    min_ess_bulk: NullableFloat
    divergences: int | None
    model_version: str
    current: bool


class RunList(Struct):
    """Every stored run, newest first, and the current run id."""

    current: str | None
    runs: list[RunSummary]


class RunDetail(Struct):
    """A run's full metadata: prior set, data hash, sampler, diagnostics, library versions."""

    id: str
    model_type: str
    model_version: str
    created: str
    status: str
    current: bool
    gate_failures: list[str]
    prior_set: dict[str, Any]
    data_hash: str
    sampler: dict[str, Any]
    diagnostics: dict[str, Any]
    gate: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    extra_data: list[str] | None = None
    data_end: NullableFloat = None
    observations: dict[str, int] | None = None
    libraries: dict[str, str] | None = None
    compile_seconds: NullableFloat = None
    sampling_seconds: NullableFloat = None
    wall_seconds: NullableFloat = None
