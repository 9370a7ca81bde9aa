"""What every projection is: a name, its tables, and how each event becomes rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from projections.db import Cursor, Engine

Handler = Callable[[Any, Cursor, Any, int], None]


class Projection:
    """A read model. Subclasses list their DDL and register a handler per event class.

    Handlers only write rows; the runner writes the tracking position in the same transaction.
    Events without a handler are skipped (the position still advances).
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.handlers = {}
        for value in list(vars(cls).values()):
            event_class = getattr(value, "_handles", None)
            if event_class is not None:
                for each in event_class:
                    cls.handlers[each] = value

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ddl(self) -> list[str]:
        raise NotImplementedError

    def search_tables(self) -> tuple[str, ...]:
        """Search indexes kept as tables of their own (SQLite FTS5), emptied on a rebuild."""
        return ()

    def apply(self, cur: Cursor, event: DomainEventProtocol[Any], position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, cur, event, position)


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of the given event classes."""

    def mark(function: Handler) -> Handler:
        function._handles = event_classes  # type: ignore[attr-defined]
        return function

    return mark


def to_json(value: Any) -> str:
    """Canonical JSON for read-model columns."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def ts(value: datetime) -> str:
    """Timestamps are stored as ISO 8601 text in UTC, on both engines."""
    return value.isoformat()


def opt(value: Any) -> Any:
    """A column value: UUIDs and enums as text, None kept."""
    if value is None:
        return None
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def update_row(cur: Cursor, table: str, event: Any, position: int, **columns: Any) -> None:
    """Set ``columns`` on the row of the event's aggregate, with its version, time and position."""
    sets = "".join(f"{name} = ?, " for name in columns)
    cur.execute(
        f"UPDATE {table} SET {sets}version = ?, updated_at = ?, log_position = ?"  # noqa: S608
        " WHERE id = ?",
        (
            *columns.values(),
            event.originator_version,
            ts(event.timestamp),
            position,
            str(event.originator_id),
        ),
    )
