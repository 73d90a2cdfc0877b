"""Progress of a fit: its stages, a terminal reporter and nutpie's sampling callback.

A fit reports :class:`Progress` (stage, fraction of the stage, ETA) to a callable: the CLI's
:class:`StderrProgress` draws it on stderr, the service's refit worker records it in the job.
Stages in order: ``preparing``, ``compiling``, ``sampling``, ``checking`` (the gate),
``log densities`` (when the run stores them), ``storing``, ``done``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """Where a fit is: its stage, the fraction of that stage done and an ETA (when known).

    Stages in order: ``preparing``, ``compiling``, ``sampling``, ``checking`` (the gate),
    ``log densities``, ``storing``, ``done``.
    """

    stage: str
    fraction: float | None = None
    eta_seconds: float | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "fraction": None if self.fraction is None else round(self.fraction, 4),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
        }


ProgressFn = Callable[[Progress], None]


def _no_progress(_p: Progress) -> None:
    return None


class StderrProgress:
    """Progress lines on stderr: one line rewritten in place on a terminal, else a line per
    stage and every ``every`` seconds."""

    def __init__(self, stream: Any = None, every: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stage = ""
        self._last = 0.0
        self._open = False
        self._line = ""

    def log(self, message: str) -> None:
        """A log line, printed above the progress line (which is then drawn again)."""
        if self._open:
            self.stream.write("\r\x1b[2K")
        self.stream.write(message + "\n")
        if self._open:
            self.stream.write(self._line)
        self.stream.flush()

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        new_stage = p.stage != self._stage
        if not (new_stage or self.tty or now - self._last >= self.every):
            return
        parts = [f"{p.stage}"]
        if p.detail:
            parts.append(p.detail)
        if p.fraction is not None:
            parts.append(f"{100 * p.fraction:3.0f}%")
        if p.eta_seconds is not None:
            parts.append(f"ETA {p.eta_seconds:.0f} s")
        line = ": ".join(parts[:2]) + ("  " + "  ".join(parts[2:]) if len(parts) > 2 else "")
        if self.tty:
            end = "\n" if p.stage == "done" else ""
            if new_stage and self._open:
                self.stream.write("\n")
            self.stream.write("\r\x1b[2K" + line + end)
            self._open = end == ""
            self._line = line
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._stage, self._last = p.stage, now


class _SamplingProgress:
    """nutpie's ``progress_callback``: chain draws to a ``Progress`` with an ETA."""

    def __init__(self, report: ProgressFn, config: Any) -> None:
        self.report = report
        self.config = config
        self.started = time.monotonic()

    def __call__(self, chains: Any) -> None:
        done = sum(int(c.finished_draws) for c in chains)
        total = sum(int(c.total_draws) for c in chains) or 1
        fraction = min(done / total, 1.0)
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else None
        tuning = sum(1 for c in chains if c.started and c.tuning)
        running = sum(1 for c in chains if c.started and c.finished_draws < c.total_draws)
        divergences = sum(int(c.divergences) for c in chains)
        detail = (
            f"{done}/{total} draws, {running} of {len(chains)} chains running"
            + (f" ({tuning} tuning)" if tuning else "")
            + (f", {divergences} divergences" if divergences else "")
        )
        self.report(Progress("sampling", fraction, eta, detail))
