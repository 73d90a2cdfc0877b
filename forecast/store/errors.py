"""The run store's one error type, and how a low-level failure becomes its one-line message.

Every failure of the disk under a store (``OSError`` from a run folder, a ``sqlite3`` error from
the catalog such as "disk I/O error", a corrupt ``meta.json``) reaches callers as a
:class:`StoreError` whose message names the store and the cause in one plain line, e.g.
``the run store at /srv/var could not save run 20260101T000000-ab12cd34: no space left on
device; nothing was stored``. The CLI prints it as ``error: ...`` with exit status 1 (it is a
:class:`~forecast.core.errors.ForecastError`); the service answers it with 503.

Two subclasses let callers tell the usual operational causes apart: :class:`StoreFullError`
(no space, quota) and :class:`StoreReadOnlyError` (read-only file system, no permission).
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

from forecast.core.errors import ForecastError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class RunMismatchError(ForecastError):
    """A stored run does not match its id or this code's model type and version (or lacks a
    structure asked for)."""


class StoreError(ForecastError):
    """The run store could not be read or written; the message names the store and the cause."""

    def __init__(self, message: str, home: Path | str | None = None) -> None:
        super().__init__(one_line(message))
        self.home = Path(home) if home is not None else None


class StoreFullError(StoreError):
    """The store's file system has too little free space (or quota) for a write."""


class StoreReadOnlyError(StoreError):
    """The store cannot be written: a read-only file system or no write permission."""


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) folded to one space."""
    return " ".join(str(text).split())


def cause(exc: BaseException) -> str:
    """A short plain description of a low-level failure: "no space left on device", ..."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8 text"
    if isinstance(exc, OSError) and exc.errno is not None:
        text = os.strerror(exc.errno).lower()
        return f"{text}: {exc.filename}" if exc.errno == errno.ENOENT and exc.filename else text
    return one_line(str(exc)) or type(exc).__name__


def kind(exc: BaseException) -> type[StoreError]:
    """The :class:`StoreError` subclass that fits a low-level failure."""
    if isinstance(exc, OSError):
        if exc.errno in FULL_ERRNOS:
            return StoreFullError
        if exc.errno in READ_ONLY_ERRNOS:
            return StoreReadOnlyError
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "full" in text:  # "database or disk is full"
            return StoreFullError
        if "readonly" in text or "read-only" in text:  # "attempt to write a readonly database"
            return StoreReadOnlyError
    return StoreError


def store_error(home: Path | str, action: str, exc: BaseException) -> StoreError:
    """The :class:`StoreError` for ``exc`` raised while ``action`` (e.g. "could not list runs")."""
    return kind(exc)(f"the run store at {home} {action}: {cause(exc)}", home)
