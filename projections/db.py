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
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg_pool import ConnectionPool

Engine = Literal["sqlite", "postgres"]
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,20}")


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
        """The URL's parts; an error says what is wrong and never quotes the URL, which may
        hold a password."""
        if not _IDENTIFIER.match(schema):
            raise DatabaseUrlError(
                f"schema {schema!r} must be lower-case letters, digits and _ (at most 41)"
            )
        if any(ch.isspace() for ch in url):
            raise DatabaseUrlError("must not contain spaces (percent-encode them as %20)")
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme == "sqlite":
            return cls._sqlite(url)
        if scheme not in ("postgresql", "postgres"):
            shown = f"{scheme}://" if _URL_SCHEME.fullmatch(scheme) else "this"
            raise DatabaseUrlError(
                f"{shown if scheme else 'a value without scheme://'} is not a database URL"
                " this program reads; use sqlite:///FILE or"
                " postgresql://USER:PASSWORD@HOST:5432/DBNAME"
            )
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise DatabaseUrlError(
                "query parameters and fragments (?... #...) are not supported; give"
                " user, password, host, port and database name only"
            )
        try:
            port = parts.port
        except ValueError:  # not a number, or out of range
            port = 0
        if port == 0 or parts.netloc.rpartition("@")[2].endswith(":"):
            raise DatabaseUrlError(
                "the port of the PostgreSQL server must be a whole number from 1 to 65535"
            )
        if not parts.path.strip("/"):
            raise DatabaseUrlError(
                "a PostgreSQL URL names its database: postgresql://USER@HOST:5432/DBNAME"
            )
        return cls(
            engine="postgres",
            host=parts.hostname or "127.0.0.1",
            port=port or 5432,
            dbname=unquote(parts.path.strip("/")),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            schema=schema,
        )

    @classmethod
    def _sqlite(cls, url: str) -> DatabaseUrl:
        if not url.lower().startswith("sqlite:///"):
            raise DatabaseUrlError(
                "a SQLite URL starts with sqlite:/// (sqlite:///council.db for a file in the"
                " working directory, sqlite:////var/lib/council/council.db for an absolute path)"
            )
        raw = unquote(url[len("sqlite://") :])
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them.
        path = raw[1:]
        if not path:
            raise DatabaseUrlError("a sqlite URL names a file: sqlite:///council.db")
        return cls(engine="sqlite", path=Path(path))

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
