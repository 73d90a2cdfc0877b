"""The observation store opens safely from many threads at once (the service opens it lazily
from request threads; the first requests used to race on the schema upgrade)."""

from __future__ import annotations

import sqlite3
import threading

from forecast.store.observations import ADDED_COLUMNS, ObservationStore


def test_concurrent_first_opens_of_an_old_file_all_succeed(tmp_path) -> None:
    path = tmp_path / "service.sqlite"
    ObservationStore(path)
    # make it an older file: without the columns added since
    with sqlite3.connect(path) as conn:
        for name in ADDED_COLUMNS:
            conn.execute(f"ALTER TABLE observations DROP COLUMN {name}")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_store() -> None:
        start.wait()
        try:
            ObservationStore(path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with sqlite3.connect(path) as conn:
        have = {r[1] for r in conn.execute("PRAGMA table_info(observations)")}
    assert set(ADDED_COLUMNS) <= have
