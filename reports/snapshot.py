"""One consistent state of the read models: every read of a report in one read-only transaction.

The query functions each open a short transaction of their own; while the projections go on
writing, two of them could see two different states. A report is made of one state only, so it
reads through a ``PinnedStore``: a ``ReadStore`` whose every read runs in the same snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from projections.queries.store import CountingCursor, ReadStore


class PinnedStore(ReadStore):
    """Reads of one open transaction (made by ``pinned``)."""

    def __init__(self, store: ReadStore, raw_cursor: Any) -> None:
        super().__init__(store.url, max_connections=1)
        self._raw_cursor = raw_cursor

    @contextmanager
    def read(self) -> Iterator[CountingCursor]:
        yield CountingCursor(self, self._raw_cursor)


@contextmanager
def pinned(store: ReadStore) -> Iterator[PinnedStore]:
    """A store whose reads all see the read models as they stood when the first one ran."""
    url = store.url
    if url.engine == "sqlite":
        assert url.path is not None
        conn = sqlite3.connect(url.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA query_only = ON")
            # In WAL mode a deferred transaction reads one snapshot from its first read on.
            conn.execute("BEGIN")
            try:
                yield PinnedStore(store, conn.cursor())
            finally:
                conn.execute("COMMIT")
        finally:
            conn.close()
        return
    with psycopg.connect(url.conninfo()) as pg_conn:
        with pg_conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute(f'SET LOCAL search_path TO "{url.read_schema}", "{url.schema}"')
            yield PinnedStore(store, cursor)
        pg_conn.rollback()
