"""The event store's recorder on PostgreSQL: an insert whose connection broke is never retried.

The eventsourcing library retries an insert after any connection error. When the connection broke
after the server committed (the commit's answer lost on the way back), the retry collides with the
events already stored; the command is then run again on the new state and answers a misleading
``Conflict``, or stores a second comment or proposal. Here such an insert raises
``WriteOutcomeUnknown`` instead: the caller cannot know whether it was stored, and says so. An
error the server reported (a lock timeout, say) rolled the transaction back and is retried as
before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

ATTEMPTS = 10
RETRY_SECONDS = 0.2
# SQLSTATE classes of a connection that failed or a server that went away mid-transaction.
_CONNECTION_LOST = ("08", "57")

_insert_once = cast(
    Callable[..., Sequence[int] | None],
    getattr(PostgresApplicationRecorder.insert_events, "__wrapped__"),  # noqa: B009
)


# What a broken or unreachable database raises, through the eventsourcing library or not.
DATABASE_ERRORS = (
    InterfaceError,
    OperationalError,
    psycopg.InterfaceError,
    psycopg.OperationalError,
)


class WriteOutcomeUnknown(PersistenceError):
    """The connection broke while events were being stored: they may or may not be."""

    def __init__(self, message: str, *, originator_id: str) -> None:
        super().__init__(message)
        self.originator_id = originator_id


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` (or the psycopg error under it) is a broken connection rather than a
    refusal the server reported, after which nothing was committed."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, psycopg.Error):
        cause = cause.__cause__
    if cause is None:
        return True
    state = cause.sqlstate
    return state is None or state.startswith(_CONNECTION_LOST)


class CouncilRecorder(PostgresApplicationRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return _insert_once(self, stored_events, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if connection_lost(error):
                    first = stored_events[0] if stored_events else None
                    raise WriteOutcomeUnknown(
                        str(error), originator_id=str(first.originator_id) if first else ""
                    ) from error
                if attempt == ATTEMPTS:
                    raise
                time.sleep(RETRY_SECONDS)
        raise AssertionError("unreachable")

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications_skipping(
        self, start: int, limit: int, skip: Sequence[str]
    ) -> list[Notification]:
        """The next ``limit`` notifications after ``start`` whose topic is none of ``skip``.

        For a rebuild shared between processes: each reads only the events its read models may
        handle, rather than every event of the log.
        """
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {schema}.{table} WHERE notification_id > %s"
            " AND (topic IS NULL OR topic <> ALL(%s)) ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        # In binary: the events' bytes come as they are stored, not spelled out in hex.
        with self.datastore.get_connection() as conn, conn.cursor(binary=True) as curs:
            curs.execute(statement, (start, list(skip), limit), prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
