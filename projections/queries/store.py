"""Read access for the API: short read-only statements on the read models, counted.

The API reads with connections of its own: on SQLite one per thread, deferred (readers never take
the write lock the projections need); on PostgreSQL a pool of autocommit connections whose search
path names the read-model schema first. Every statement goes through a counting cursor, so a test
can show that a page costs a constant number of statements whatever its size.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from projections.db import DatabaseUrl, Engine

_PLACEHOLDER = re.compile(r"\?")


def _pg(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class CountingCursor:
    """A cursor taking ``?`` placeholders on both engines, counting what it executes."""

    def __init__(self, store: ReadStore, raw: Any) -> None:
        self._store = store
        self._raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._store.count()
        if self._store.engine == "postgres":
            self._raw.execute(_pg(sql), params)
        else:
            self._raw.execute(sql, params)

    def fetchone(self) -> Any:
        return self._raw.fetchone()

    def fetchall(self) -> list[Any]:
        rows: list[Any] = self._raw.fetchall()
        return rows


class ReadStore:
    """Connections for reading; nothing connects until the first read."""

    def __init__(self, url: DatabaseUrl, *, max_connections: int = 8) -> None:
        self.url = url
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._executed = 0
        self._pool: ConnectionPool | None = None
        self._local = threading.local()
        self._sqlite: list[sqlite3.Connection] = []

    @property
    def engine(self) -> Engine:
        return self.url.engine

    @property
    def statements(self) -> int:
        """How many statements were executed so far (for tests and metrics)."""
        return self._executed

    def count(self) -> None:
        with self._lock:
            self._executed += 1

    @contextmanager
    def read(self) -> Iterator[CountingCursor]:
        if self.engine == "sqlite":
            conn = self._sqlite_connection()
            conn.execute("BEGIN")
            try:
                yield CountingCursor(self, conn.cursor())
            finally:
                conn.execute("COMMIT")
            return
        with self._pg_pool().connection() as pg_conn, pg_conn.cursor() as cursor:
            yield CountingCursor(self, cursor)

    def _sqlite_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self.url.path is not None
            conn = sqlite3.connect(
                self.url.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._sqlite.append(conn)
        return conn

    def _pg_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                search_path = f'"{self.url.read_schema}", "{self.url.schema}"'

                def configure(conn: psycopg.Connection[Any]) -> None:
                    conn.execute(f"SET search_path TO {search_path}")
                    conn.execute("SET default_transaction_read_only = on")

                self._pool = ConnectionPool(
                    self.url.conninfo(),
                    min_size=1,
                    max_size=self.max_connections,
                    kwargs={"autocommit": True},
                    configure=configure,
                    open=True,
                    timeout=30,
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            for conn in self._sqlite:
                conn.close()
            self._sqlite.clear()
        self._local = threading.local()
