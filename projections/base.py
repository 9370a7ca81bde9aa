"""What every projection is: a name, its tables, and how each event becomes rows.

A runner applies a batch of events in one transaction: it calls ``begin`` on each projection, then
``apply`` for every event, then ``finish``, then writes the tracking position, commits, and tells
each projection with ``settled``. Projections that write many rows buffer them in ``Rows`` and
``Appends`` and send them in bulk from ``finish`` (COPY on PostgreSQL, executemany on SQLite).
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, Protocol
from uuid import UUID

import psycopg
from eventsourcing.domain import DomainEventProtocol

from projections.db import Cursor, Engine

_SECONDARY_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON ")

Handler = Callable[[Any, Cursor, Any, int], None]
Key = tuple[Any, ...]


class Projection:
    """A read model. Subclasses list their DDL and register a handler per event class.

    Handlers only write rows; the runner writes the tracking position in the same transaction.
    Events without a handler are skipped (the position still advances).
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    handlers: ClassVar[dict[type, Handler]]
    # Its share of the work of a rebuild, beside the others (seconds of a rebuild of it alone on
    # the benchmark's log, beyond reading and decoding the events it handles, which a group reads
    # once for all its members): what a rebuild in several processes balances.
    rebuild_cost: ClassVar[float] = 1.0
    # Set on a part of a read model, which a rebuild in several processes may share out
    # (projections.history_parts): the read model it is part of, and the one whose group it joins
    # (as it reads the same events), if any.
    part_of: ClassVar[str | None] = None
    rebuilt_beside: ClassVar[str | None] = None

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

    def secondary_indexes(self) -> list[tuple[str, str]]:
        """The non-unique indexes of the projection's tables, as (name, statement): they only
        speed up reads, so a rebuild drops them and creates them again when the tables are full."""
        return [
            (match.group(1), statement)
            for statement in self.ddl()
            if (match := _SECONDARY_INDEX.match(statement)) is not None
        ]

    def search_tables(self) -> tuple[str, ...]:
        """Search indexes kept as tables of their own (SQLite FTS5), emptied on a rebuild."""
        return ()

    def begin(self, cur: Cursor, position: int) -> None:
        """A batch starts; the projection's tracking row is locked at ``position``."""

    def apply(self, cur: Cursor, event: DomainEventProtocol[Any], position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, cur, event, position)

    def finish(self, writer: Writer) -> None:
        """Every event of the batch is applied: write what was buffered, in the same transaction."""

    def settled(self, position: int | None) -> None:
        """The batch committed with the projection at ``position``, or rolled back (None)."""


class Buffer(Protocol):
    """Writes a batch holds back until it ends."""

    def clear(self) -> None: ...
    def flush(self, writer: Writer) -> None: ...


class BufferedProjection(Projection):
    """A projection that writes its rows in bulk and keeps in memory what its handlers read back.

    The handlers read only this in-memory state, never the tables, so their writes can wait in
    ``buffers`` until the batch ends. The state is loaded from the tables (``load``) whenever the
    tracking position is not the one this instance last committed: when the process starts, after
    another process (or a rebuild) moved it, and after a batch that rolled back. A projection is a
    function of the log, so the same position means the same tables.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._loaded_at: int | None = None
        self.buffers: list[Buffer] = []

    def load(self, cur: Cursor) -> None:
        """Read the state the handlers need from the tables."""

    def begin(self, cur: Cursor, position: int) -> None:
        for buffer in self.buffers:
            buffer.clear()
        if position != self._loaded_at:
            self._loaded_at = None
            self.load(cur)

    def finish(self, writer: Writer) -> None:
        for buffer in self.buffers:
            buffer.flush(writer)

    def settled(self, position: int | None) -> None:
        self._loaded_at = position


# From how many rows an insert is sent in COPY's binary format, which the server reads with less
# work than text; fewer go as text, without the savepoint and the lookup of types binary needs.
BINARY_ROWS = 1000
_COLUMN_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}
# Columns of 2 and 4 bytes, with the range of values each holds: the binary format's dumpers
# would cut a larger number down silently, where the text format is refused by the server.
_SMALL_INTEGERS = {21: 2**15, 23: 2**31}  # smallint, integer


def _fit_binary(types: Sequence[int], rows: Sequence[Sequence[Any]]) -> bool:
    """Whether every value of the small-integer columns is an int in its column's range."""
    for index, oid in enumerate(types):
        bound = _SMALL_INTEGERS.get(oid)
        if bound is None:
            continue
        for row in rows:
            value = row[index]
            if value is not None and (type(value) is not int or not -bound <= value < bound):
                return False
    return True


class Writer:
    """Bulk writes in one batch's transaction: COPY on PostgreSQL, executemany on SQLite.

    ``raw`` is what the batch's cursor returned from an ``execute``: psycopg returns its own cursor,
    which can COPY. Anything else (SQLite) takes the portable path.
    """

    def __init__(self, cur: Cursor, raw: Any) -> None:
        self.cur = cur
        self.raw: psycopg.Cursor[Any] | None = raw if isinstance(raw, psycopg.Cursor) else None

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.raw is None:
            marks = ", ".join("?" * len(columns))
            self.cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
            return
        if len(rows) >= BINARY_ROWS:
            types = self._types(table, columns)
            if _fit_binary(types, rows):
                try:
                    # A savepoint: should a value not be of its column's type, the text COPY
                    # below writes the rows as it always could (an int into a TEXT column, say).
                    with self.raw.connection.transaction():
                        self._copy(table, names, rows, types)
                    return
                except (
                    psycopg.DataError,
                    psycopg.ProgrammingError,
                    TypeError,
                    ValueError,
                    AttributeError,
                    OverflowError,
                    KeyError,
                ):
                    pass
        self._copy(table, names, rows, None)

    def _copy(
        self, table: str, names: str, rows: Sequence[Sequence[Any]], types: list[int] | None
    ) -> None:
        assert self.raw is not None
        binary = " (FORMAT BINARY)" if types is not None else ""
        with self.raw.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
            if types is not None:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def _types(self, table: str, columns: Sequence[str]) -> list[int]:
        """The columns' types (oids), which a binary COPY needs (the same in every schema)."""
        key = (table, tuple(columns))
        found = _COLUMN_TYPES.get(key)
        if found is None:
            assert self.raw is not None
            self.raw.execute(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            )
            by_name = {str(name): int(oid) for name, oid in self.raw.fetchall()}
            found = _COLUMN_TYPES[key] = [by_name[column] for column in columns]
        return found

    def update(
        self, table: str, key: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Set ``columns`` on the rows named by ``key``; each row gives the key's values first."""
        if not rows:
            return
        if self.raw is None:
            sets = ", ".join(f"{name} = ?" for name in columns)
            where = " AND ".join(f"{name} = ?" for name in key)
            width = len(key)
            self.cur.executemany(
                f"UPDATE {table} SET {sets} WHERE {where}",  # noqa: S608
                [(*row[width:], *row[:width]) for row in rows],
            )
            return
        # One statement for the whole group: the rows travel as JSON, typed by the table's own
        # row type, and are joined on the key.
        names = (*key, *columns)
        sets = ", ".join(f"{name} = s.{name}" for name in columns)
        where = " AND ".join(f"t.{name} = s.{name}" for name in key)
        document = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
        self.cur.execute(
            f"UPDATE {table} AS t SET {sets}"  # noqa: S608
            f" FROM json_populate_recordset(NULL::{table}, ?) AS s WHERE {where}",
            (document,),
        )


class Appends:
    """Rows a batch adds to a table that it never changes in the same batch, in column order."""

    def __init__(self, table: str, *columns: str) -> None:
        self.table = table
        self.columns = columns
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self.rows.append(values)

    def clear(self) -> None:
        self.rows.clear()

    def flush(self, writer: Writer) -> None:
        writer.insert(self.table, self.columns, self.rows)
        self.rows.clear()


class Rows:
    """What a batch writes to a table with a key: new rows, and changes to existing rows.

    A change to a row that is new in this batch is merged into it; changes to a row of an earlier
    batch are merged by key. So the flush sends each row once: inserts first, then updates, which
    only ever name rows that exist by then.
    """

    def __init__(self, table: str, *key: str) -> None:
        self.table = table
        self.key = key
        self.new: dict[Key, dict[str, Any]] = {}
        self.changed: dict[Key, dict[str, Any]] = {}

    def insert(self, **row: Any) -> None:
        key = tuple(row[name] for name in self.key)
        if key in self.new:
            raise ValueError(f"{self.table} already has a row with key {key!r} in this batch")
        self.new[key] = row

    def update(self, key: Key, **values: Any) -> None:
        row = self.new.get(key)
        if row is not None:
            row.update(values)
        else:
            self.changed.setdefault(key, {}).update(values)

    def touch(self, event: Any, position: int, **values: Any) -> None:
        """Set ``values`` on the row of the event's aggregate, with its version, time and
        log position (for tables keyed by the aggregate's id alone)."""
        self.update(
            (uid(event.originator_id),),
            **values,
            version=event.originator_version,
            updated_at=ts(event.timestamp),
            log_position=position,
        )

    def clear(self) -> None:
        self.new.clear()
        self.changed.clear()

    def flush(self, writer: Writer) -> None:
        inserts = _by_columns((tuple(row), tuple(row.values())) for row in self.new.values())
        for columns, rows in inserts.items():
            writer.insert(self.table, columns, rows)
        changes = _by_columns(
            (tuple(values), (*key, *values.values())) for key, values in self.changed.items()
        )
        for columns, rows in changes.items():
            writer.update(self.table, self.key, columns, rows)
        self.clear()


def _by_columns(
    rows: Iterable[tuple[tuple[str, ...], tuple[Any, ...]]],
) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for columns, values in rows:
        groups.setdefault(columns, []).append(values)
    return groups


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of the given event classes."""

    def mark(function: Handler) -> Handler:
        function._handles = event_classes  # type: ignore[attr-defined]
        return function

    return mark


def _non_json(value: Any) -> Any:
    """What the encoder calls for a value JSON has no type for: as ``stored_value`` stores it."""
    if isinstance(value, Enum | UUID | datetime | date | set | frozenset):
        return stored_value(value)
    raise TypeError(f"{type(value).__name__} is not stored in read models")


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _direct_encoder() -> Callable[[Any], str]:
    """The encoder JSONEncoder builds for every value, built once (read-model values are small):
    no check for circular values (an event's never are), keys sorted, text kept as it is."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the json module's C part
        return json.JSONEncoder(
            sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_non_json
        ).encode
    walk = make(None, _non_json, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    return lambda value: "".join(walk(value, 0))


_encode_direct = _direct_encoder()


def to_json(value: Any) -> str:
    """Canonical JSON for read-model columns: ``stored_value`` of the value, keys sorted.

    The encoder walks the value itself, calling back only for ids, enums, times and sets, which
    most values hold none of; what it cannot encode goes the long way, through ``stored_value``.
    Both write keys alike (``_key``), and order them by their text, but for a dict whose keys are
    all numbers, which the encoder orders by number. (Keys are text in every value of an event:
    JSON has no other.)
    """
    try:
        return _encode_direct(value)
    except TypeError:
        return _CANONICAL.encode(stored_value(value))


def stored_value(value: Any) -> Any:
    """A value as the read models store it: enums by value, ids and times as text, containers
    member by member."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {_key(k): stored_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [stored_value(v) for v in value]
    return value


def _key(key: Any) -> str:
    """A key as text, as the JSON encoder writes one: text as it is (a text enum's value), numbers,
    booleans and None as JSON writes them; any other key as ``str(key)``."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is None or isinstance(key, int | float):
        return json.dumps(key)
    return str(key)


_TEXT_IDS: dict[int, str] = {}
MAX_REMEMBERED_IDS = 100_000


def uid(value: UUID | str) -> str:
    """An id as text, like ``str(value)``; remembered, as the same ids recur event after event."""
    if isinstance(value, str):
        return value
    text = _TEXT_IDS.get(value.int)
    if text is None:
        if len(_TEXT_IDS) >= MAX_REMEMBERED_IDS:
            _TEXT_IDS.clear()
        text = _TEXT_IDS[value.int] = str(value)
    return text


_LAST_TS: tuple[datetime | None, str] = (None, "")


def ts(value: datetime) -> str:
    """Timestamps are stored as ISO 8601 text in UTC, on both engines.

    The text of the last one is kept: the projections of a batch ask for that of the same event's
    timestamp one after another. (One tuple, replaced whole: safe between threads.)
    """
    global _LAST_TS  # noqa: PLW0603 - a one-entry cache
    last = _LAST_TS
    if last[0] is value:
        return last[1]
    text = value.isoformat()
    _LAST_TS = (value, text)
    return text


def opt(value: Any) -> Any:
    """A column value: UUIDs and enums as text, None kept."""
    if value is None:
        return None
    if isinstance(value, UUID):
        return uid(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
