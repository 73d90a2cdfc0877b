"""How the ``forecast`` command writes an answer: JSON or text on stdout, and a closed pipe.

JSON is strict (no ``NaN`` or ``Infinity`` tokens, which most JSON readers reject): a number that
is not finite is written as ``null``. Such numbers are rare and mean "no finite value": the R-hat
of a run whose chains never mixed can be infinite, for instance.

A reader that stops early (``forecast runs --json | head -1``) closes the pipe; the command then
stops quietly with the status a shell gives a process ended by SIGPIPE (141), not a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

PIPE_CLOSED = 141
"""Exit status when the reader of stdout went away: 128 + SIGPIPE (13), as a shell reports."""


def finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float (also inside lists and dicts) replaced by None."""
    if isinstance(value, float):  # numpy float64 is a float too
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        return finite_or_none(value.item())
    return value


def to_json(payload: Any) -> str:
    """Strict JSON of an answer (non-finite numbers as null), indented for reading."""
    return json.dumps(finite_or_none(payload), indent=2, allow_nan=False)


def emit(payload: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    """Print an answer: strict JSON with ``--json``, else the text formatter's output."""
    print(to_json(payload) if as_json else text(payload))


def say(message: str) -> None:
    """A progress line or warning on stderr (never mixed into the answer on stdout)."""
    print(message, file=sys.stderr, flush=True)


def pipe_closed() -> int:
    """Stop writing to a stdout whose reader went away; returns :data:`PIPE_CLOSED`.

    Points stdout at the null device, so that the interpreter's final flush of what is still
    buffered does not fail again ("Exception ignored ... BrokenPipeError") on the way out.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (e.g. captured in tests)
        pass
    return PIPE_CLOSED


def flush_stdout() -> int | None:
    """Flush stdout; :data:`PIPE_CLOSED` if its reader went away, else None."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return pipe_closed()
    return None
