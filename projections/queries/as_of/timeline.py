"""An aggregate as it stood at a log position, with the events that made it and their places."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import Council
from projections.audit.as_of import version_at
from projections.base import stored_value
from projections.db import Database

A = TypeVar("A", bound=Aggregate)


class Recorded(NamedTuple):
    """One event of the aggregate and its log position."""

    log_position: int
    event: Any


@dataclass(frozen=True)
class Timeline(Generic[A]):
    """``aggregate`` after its last event at or before log position ``as_of``."""

    as_of: int
    aggregate: A
    events: tuple[Recorded, ...]

    @property
    def log_position(self) -> int:
        """Where the aggregate's last event (at or before ``as_of``) is in the log."""
        return self.events[-1].log_position

    def of(self, *kinds: type) -> list[Recorded]:
        """The events of these classes, oldest first."""
        return [recorded for recorded in self.events if isinstance(recorded.event, kinds)]


@dataclass(frozen=True)
class EventSource:
    """Where the events are read: the application, and the database holding its events table."""

    council: Council
    database: Database
    events_table: str


def timeline_at(
    source: EventSource, kind: type[A], aggregate_id: UUID, log_position: int
) -> Timeline[A] | None:
    """The aggregate as of ``log_position``; None before it existed or if it is another kind."""
    version = version_at(source.database, source.events_table, aggregate_id, log_position)
    if version is None:
        return None
    aggregate = source.council.as_of(aggregate_id, version)
    if not isinstance(aggregate, kind):
        return None
    positions = event_positions(source, aggregate_id, version)
    events = source.council.repository.event_store.get(aggregate_id, lte=version)
    recorded = tuple(Recorded(positions[e.originator_version], e) for e in events)
    return Timeline(log_position, aggregate, recorded)


def _position_column(database: Database) -> str:
    return "rowid" if database.engine == "sqlite" else "notification_id"


def _stored_id(database: Database, originator_id: UUID) -> Any:
    return originator_id.hex if database.engine == "sqlite" else originator_id


def event_positions(source: EventSource, originator_id: UUID, version: int) -> dict[int, int]:
    """The log position of each of the aggregate's versions up to ``version``."""
    column = _position_column(source.database)
    with source.database.transaction(snapshot=True) as cur:
        cur.execute(
            f"SELECT originator_version, {column} FROM {source.events_table}"
            " WHERE originator_id = ? AND originator_version <= ?",
            (_stored_id(source.database, originator_id), version),
        )
        return {int(v): int(p) for v, p in cur.fetchall()}


def born_by(source: EventSource, ids: Sequence[str], log_position: int) -> set[str]:
    """Which of these aggregates had their first event at or before ``log_position``."""
    wanted = []
    for each in ids:
        try:
            wanted.append(_stored_id(source.database, UUID(each)))
        except ValueError:
            continue
    if not wanted:
        return set()
    column = _position_column(source.database)
    marks = ", ".join("?" for _ in wanted)
    with source.database.transaction(snapshot=True) as cur:
        cur.execute(
            f"SELECT originator_id FROM {source.events_table} WHERE originator_version = 1"
            f" AND {column} <= ? AND originator_id IN ({marks})",
            (log_position, *wanted),
        )
        return {str(UUID(str(raw))) for (raw,) in cur.fetchall()}


def text(value: Any) -> Any:
    """A value as the read models store it: enums by value, ids and times as text."""
    return stored_value(value)
