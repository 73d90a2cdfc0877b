"""The one way every store here opens its SQLite file: WAL journal, a busy timeout, one transaction.

Used by the run catalog, the report index and the service's observation and job tables, so each
store states only its schema and queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


@contextmanager
def connect(path: Path, schema: str = "", *, rows: bool = False) -> Iterator[sqlite3.Connection]:
    """An open connection to ``path`` inside one transaction (committed on success).

    ``schema`` (idempotent ``CREATE ... IF NOT EXISTS`` statements) runs first; ``rows=True``
    returns :class:`sqlite3.Row` rows, addressable by column name.
    """
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as conn:
        if rows:
            conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        if schema:
            conn.executescript(schema)
        with conn:
            yield conn
