"""One database, two engines: the embedded SQLite file and PostgreSQL.

Read-model SQL is written once with ``?`` placeholders and standard SQL that both engines accept
(``INSERT ... ON CONFLICT``, ``RETURNING``); this module turns it into what each driver wants.
On PostgreSQL the read models live in a schema of their own beside the event store's.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlparse

import psycopg
from psycopg_pool import ConnectionPool

Engine = Literal["sqlite", "postgres"]
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class DatabaseUrlError(ValueError):
    """The database URL cannot be used; the message says why."""


@dataclass(frozen=True)
class DatabaseUrl:
    engine: Engine
    path: Path | None = None
    host: str = ""
    port: int = 5432
    dbname: str = ""
    user: str = ""
    password: str = ""
    schema: str = "public"
    read_schema_name: str | None = None

    @classmethod
    def parse(cls, url: str, *, schema: str = "public") -> DatabaseUrl:
        if not _IDENTIFIER.match(schema):
            raise DatabaseUrlError(
                f"schema {schema!r} must be lower-case letters, digits and _ (at most 41)"
            )
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            raw = unquote(url[len("sqlite://") :])
            # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them.
            path = raw[1:] if raw.startswith("/") else raw
            if not path:
                raise DatabaseUrlError("a sqlite URL names a file: sqlite:///council.db")
            return cls(engine="sqlite", path=Path(path))
        if parsed.scheme in ("postgresql", "postgres"):
            if not parsed.path.strip("/"):
                raise DatabaseUrlError(
                    "a PostgreSQL URL names its database: postgresql://user@host:5432/dbname"
                )
            try:
                port = parsed.port or 5432
            except ValueError:
                raise DatabaseUrlError(
                    f"the port in {_without_password(url)!r} is not a number"
                ) from None
            return cls(
                engine="postgres",
                host=parsed.hostname or "127.0.0.1",
                port=port,
                dbname=unquote(parsed.path.strip("/")),
                user=unquote(parsed.username or ""),
                password=unquote(parsed.password or ""),
                schema=schema,
            )
        raise DatabaseUrlError(
            f"unsupported database URL {_without_password(url)!r}:"
            " use sqlite:///FILE or postgresql://HOST/DB"
        )

    @property
    def read_schema(self) -> str:
        """PostgreSQL schema of the read models."""
        if self.read_schema_name:
            return self.read_schema_name
        return "council_read" if self.schema == "public" else f"{self.schema}_read"

    def conninfo(self) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user or None,
            password=self.password or None,
            connect_timeout=10,
        )

    def eventsourcing_env(self, *, create_tables: bool) -> dict[str, str]:
        """Settings for the eventsourcing library's recorders."""
        create = "y" if create_tables else "n"
        if self.engine == "sqlite":
            assert self.path is not None
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.path),
                "SQLITE_LOCK_TIMEOUT": "30",
                "CREATE_TABLE": create,
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "projections.event_recorder:CouncilRecorder",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user or "postgres",
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_PRE_PING": "y",
            "CREATE_TABLE": create,
        }


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class _PgCursor:
    """A psycopg cursor that takes ``?`` placeholders."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(_pg(sql), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(_pg(sql), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


_PLACEHOLDER = re.compile(r"\?")


def _pg(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class Database:
    """Connections for the read models, the key store and the audit tables."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self.url.engine

    def _pg_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                search_path = f"{self.url.read_schema}, {self.url.schema}"

                def configure(conn: psycopg.Connection[Any]) -> None:
                    conn.execute(f"SET search_path TO {search_path}")
                    conn.execute("SET lock_timeout = '10s'")
                    conn.commit()

                self._pool = ConnectionPool(
                    self.url.conninfo(),
                    min_size=1,
                    max_size=8,
                    configure=configure,
                    open=True,
                    timeout=30,
                )
            return self._pool

    @contextmanager
    def transaction(self, *, snapshot: bool = False) -> Iterator[Cursor]:
        """One transaction: committed when the block ends, rolled back when it raises.

        ``snapshot`` asks for a read-only transaction that sees one consistent state throughout.
        """
        if self.engine == "sqlite":
            assert self.url.path is not None
            conn = sqlite3.connect(self.url.path, timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("BEGIN" if snapshot else "BEGIN IMMEDIATE")
                cursor = conn.cursor()
                try:
                    yield cursor
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.close()
            return
        with (
            self._pg_pool().connection() as pg_conn,
            pg_conn.transaction(),
            pg_conn.cursor() as pg_cursor,
        ):
            if snapshot:
                pg_cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield _PgCursor(pg_cursor)

    def ensure_schemas(self) -> None:
        if self.engine != "postgres":
            return
        with psycopg.connect(self.url.conninfo(), autocommit=True) as conn:
            for schema in (self.url.schema, self.url.read_schema):
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    def drop_schemas(self) -> None:
        """Remove every table of this council (tests and ``council db drop`` only)."""
        if self.engine == "sqlite":
            assert self.url.path is not None
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.url.path}{suffix}").unlink(missing_ok=True)
            return
        self.close()
        with psycopg.connect(self.url.conninfo(), autocommit=True) as conn:
            for schema in (self.url.read_schema, self.url.schema):
                if schema != "public":
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def drop_read_schema(self) -> None:
        """Remove the read models' schema only (PostgreSQL): the events stay."""
        if self.engine != "postgres":
            return
        self.close()
        with psycopg.connect(self.url.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.url.read_schema}" CASCADE')

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _without_password(url: str) -> str:
    """The URL as an error message may quote it: any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
