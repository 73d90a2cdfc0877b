"""Request and response schemas of the refit jobs."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.params import NAME_PATTERN

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class RefitRequest(Struct, forbid_unknown_fields=True):
    """A refit on the bundled data plus every stored observation."""

    priors: Annotated[str, Meta(pattern=NAME_PATTERN, examples=["default"])] = "default"
    quick: bool = False


class RefitAccepted(Struct):
    """A queued refit job; poll ``GET /v1/refits/{job_id}``."""

    job_id: str
    status: Literal["queued"]


class RefitProgress(Struct):
    """Where a running refit is: stage (preparing, compiling, sampling, checking, storing,
    done), the stage's completed fraction and an estimate of the seconds left (null: unknown)."""

    stage: str
    fraction: float | None = None
    eta_seconds: float | None = None


class RefitJob(Struct):
    """A refit job's state; ``run_id`` is set once a run was stored."""

    job_id: str
    status: JobStatus
    priors: str
    quick: bool
    submitted_by: str
    created: str
    started: str | None
    finished: str | None
    run_id: str | None
    run_status: str | None
    observations: int | None
    error: str | None
    messages: list[str]
    progress: RefitProgress | None = None


class RefitJobList(Struct):
    """Refit jobs, newest first."""

    items: list[RefitJob]
    total: int
    limit: int
    offset: int
    next_offset: int | None
