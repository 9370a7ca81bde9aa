"""Catching projections up with the log: many events per transaction, each applied exactly once.

A batch of events and the new tracking positions are written in one transaction, so a process
that dies between events leaves either the whole batch or none of it. The tracking rows are locked
for the length of the batch, so two runners of the same projection never apply an event twice.

The projections that stand at the same position share a batch: the log is read and decoded once
for all of them, and each writes its rows in bulk at the end of the batch. A projection behind the
others catches up alone until it reaches them, and then travels with them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from eventsourcing.utils import get_topic, resolve_topic

from projections.base import Projection, Writer
from projections.db import Cursor, Database, Engine

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " projection TEXT PRIMARY KEY,"
    " position BIGINT NOT NULL DEFAULT 0,"
    " updated_at TEXT)"
)
# A rebuild reads the log in larger batches: fewer commits, and more changes to the same rows
# merged before they are written.
REBUILD_BATCH_SIZE = 20_000


class ProjectionTimeout(TimeoutError):
    """The read models did not reach a log position in time."""


def create_tables(database: Database, projections: Sequence[Projection]) -> None:
    with database.transaction() as cur:
        for statement in all_ddl(database.engine, projections):
            cur.execute(statement)
        for projection in projections:
            cur.execute(
                "INSERT INTO projection_tracking (projection, position) VALUES (?, 0)"
                " ON CONFLICT (projection) DO NOTHING",
                (projection.name,),
            )


def all_ddl(engine: Engine, projections: Sequence[Projection]) -> list[str]:
    statements = [TRACKING_DDL]
    for projection in projections:
        statements.extend(projection.ddl())
    return statements


def _lock_positions(
    cur: Cursor, engine: Engine, names: Sequence[str]
) -> tuple[Any, dict[str, int]]:
    """Lock the tracking rows of ``names`` (created at 0 when missing) and read their positions.

    Returns what the cursor's ``execute`` returned too, for bulk writes (see ``Writer``).
    """
    marks = ", ".join("?" * len(names))
    lock = " ORDER BY projection FOR UPDATE" if engine == "postgres" else ""
    select = (
        f"SELECT projection, position FROM projection_tracking WHERE projection IN ({marks}){lock}"  # noqa: S608
    )
    raw = cur.execute(select, tuple(names))
    found = {str(name): int(position) for name, position in cur.fetchall()}
    if len(found) < len(names):
        cur.executemany(
            "INSERT INTO projection_tracking (projection, position) VALUES (?, 0)"
            " ON CONFLICT (projection) DO NOTHING",
            [(name,) for name in names if name not in found],
        )
        raw = cur.execute(select, tuple(names))
        found = {str(name): int(position) for name, position in cur.fetchall()}
    return raw, found


@dataclass(frozen=True)
class _Plan:
    """Which projections a batch applies, from which position, and up to where."""

    group: list[Projection]
    start: int
    stop: int | None


def _plan(
    projections: Sequence[Projection], positions: dict[str, int], until: int | None
) -> _Plan | None:
    behind = [p for p in projections if until is None or positions[p.name] < until]
    if not behind:
        return None
    start = min(positions[p.name] for p in behind)
    group = [p for p in behind if positions[p.name] == start]
    ahead = [positions[p.name] for p in behind if positions[p.name] > start]
    stops = [*ahead, *([until] if until is not None else [])]
    return _Plan(group, start, min(stops) if stops else None)


class ProjectionRunner:
    """Applies the log to a set of projections, batch by batch."""

    def __init__(
        self,
        database: Database,
        recorder: ApplicationRecorder,
        mapper: Mapper[Any],
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
    ) -> None:
        self.database = database
        self.recorder = recorder
        self.mapper = mapper
        self.projections = list(projections)
        self.batch_size = batch_size
        # Projections keep state between batches; one batch at a time per process.
        self._lock = threading.Lock()

    def positions(self) -> dict[str, int]:
        # On SQLite, a read-only snapshot does not wait for a runner's write transaction.
        with self.database.transaction(snapshot=self.database.engine == "sqlite") as cur:
            cur.execute("SELECT projection, position FROM projection_tracking")
            found = {str(name): int(position) for name, position in cur.fetchall()}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def catch_up(
        self,
        *projections: Projection,
        until: int | None = None,
        batch_size: int | None = None,
        durable: bool = True,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Apply every event not yet applied (up to ``until``) to the given projections (all by
        default); returns how far that moved them (see ``run_batch``). ``durable`` as in
        ``run_batch``. ``stop`` is asked after each batch: when it answers True, the
        projections stay where that batch left them."""
        targets = list(projections) or self.projections
        total = 0
        while applied := self.run_batch(
            targets, until=until, batch_size=batch_size, durable=durable
        ):
            total += applied
            if stop is not None and stop():
                break
        return total

    def warm_up(self, projections: Sequence[Projection]) -> None:
        """Load what the projections keep in memory now, rather than in their next batch."""
        with self._lock:
            try:
                with self.database.transaction() as cur:
                    names = [p.name for p in projections]
                    _, positions = _lock_positions(cur, self.database.engine, names)
                    for projection in projections:
                        projection.begin(cur, positions[projection.name])
            except BaseException:
                for projection in projections:
                    projection.settled(None)
                raise
            for projection in projections:
                projection.settled(positions[projection.name])

    def run_batch(
        self,
        projections: Sequence[Projection],
        *,
        until: int | None = None,
        batch_size: int | None = None,
        durable: bool = True,
    ) -> int:
        """One transaction: lock the tracking rows, apply the next batch to the projections that
        are furthest behind, move their positions. Returns how far it moved them: log positions,
        summed over the projections (events times projections, in a log without gaps); 0 when
        there was nothing to apply.

        ``durable=False`` (PostgreSQL) lets the commit return before its WAL reaches the disk:
        only for work that can be done again from the log, such as a rebuild. A crash may then
        lose the last batches committed, tracking positions with them, never one without the
        other, so the read models stay consistent and a later batch or rebuild redoes them.
        """
        with self._lock:
            group: list[Projection] = []
            try:
                with self.database.transaction() as cur:
                    if not durable and self.database.engine == "postgres":
                        cur.execute("SET LOCAL synchronous_commit = off")
                    names = [p.name for p in projections]
                    raw, positions = _lock_positions(cur, self.database.engine, names)
                    plan = _plan(projections, positions, until)
                    if plan is None:
                        return 0
                    notifications, reached = _select(
                        self.recorder, plan, batch_size or self.batch_size
                    )
                    if reached <= plan.start:
                        return 0
                    group = plan.group
                    self._apply(cur, Writer(cur, raw), group, plan.start, notifications)
                    cur.executemany(
                        "UPDATE projection_tracking SET position = ?, updated_at = ?"
                        " WHERE projection = ?",
                        [(reached, _now_text(), p.name) for p in group],
                    )
            except BaseException:
                for projection in group:
                    projection.settled(None)
                raise
            for projection in group:
                projection.settled(reached)
            return (reached - plan.start) * len(group)

    def _apply(
        self,
        cur: Cursor,
        writer: Writer,
        group: list[Projection],
        start: int,
        notifications: Sequence[Notification],
    ) -> None:
        for projection in group:
            projection.begin(cur, start)
        wanted: dict[str, list[Projection]] = {}
        for notification in notifications:
            # Decode only what some projection of the group handles.
            targets = wanted.get(notification.topic)
            if targets is None:
                event_class = resolve_topic(notification.topic)
                targets = wanted[notification.topic] = [
                    p for p in group if event_class in p.handlers
                ]
            if targets:
                event = self.mapper.to_domain_event(notification)
                for projection in targets:
                    projection.apply(cur, event, notification.id)
        for projection in group:
            projection.finish(writer)

    def wait_for(self, log_position: int, *, timeout: float) -> None:
        """Block until every projection has applied ``log_position`` (bounded)."""
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            if min(self.positions().values(), default=log_position) >= log_position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionTimeout(
                    f"the read models did not reach log position {log_position} in {timeout} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.02)


@runtime_checkable
class SkippingRecorder(Protocol):
    """A recorder that can leave out events by topic (PostgreSQL's ``CouncilRecorder``)."""

    def select_notifications_skipping(
        self, start: int, limit: int, skip: Sequence[str]
    ) -> list[Notification]: ...


@cache
def _skippable(kinds: frozenset[type[Projection]]) -> list[str]:
    """Topics no projection of these kinds handles, among those some projection handles. A topic
    no projection names (an event class renamed and registered under its old topic, say) is never
    skipped: it is read and resolved as before, and skipped only if it resolves to nothing the
    group handles."""
    known: set[type] = set()
    pending = list(Projection.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        known.update(getattr(cls, "handlers", {}))
    handled = {c for kind in kinds for c in kind.handlers}
    return sorted(get_topic(c) for c in known - handled)


def _select(
    recorder: ApplicationRecorder, plan: _Plan, limit: int
) -> tuple[Sequence[Notification], int]:
    """The next notifications after ``plan.start`` (up to ``limit`` and ``plan.stop``), and the log
    position they take the group to.

    The stop is applied here, not in the query: a query bounded on both sides is estimated, by a
    PostgreSQL that has no statistics of the log yet (a new or newly imported one, without
    autovacuum), to match few rows, and is planned as a scan of the whole range sorted in memory
    or on disk, batch after batch. Ids are unique, so (start, stop] holds at most stop - start of
    them: a limit of that many reads no further than a both-sided query would.

    With a stop, a recorder that can (PostgreSQL) leaves out the events no projection of the group
    handles. When fewer than ``limit`` come back, or some lie beyond the stop, every event up to the
    stop has been seen, and the group moves to the stop: the events it ignores still advance its
    position. Without a stop (a worker following the log) it reads every event, so that its
    position is that of the last event it has seen: later ones may still be committing.
    """
    if plan.stop is None:
        found = recorder.select_notifications(
            start=plan.start, limit=limit, inclusive_of_start=False
        )
        return found, found[-1].id if found else plan.start
    limit = min(limit, plan.stop - plan.start)
    kinds = frozenset(type(p) for p in plan.group)
    if isinstance(recorder, SkippingRecorder):
        found = recorder.select_notifications_skipping(plan.start, limit, _skippable(kinds))
        exhausted = len(found) < limit
    else:
        found = recorder.select_notifications(
            start=plan.start, limit=limit, inclusive_of_start=False
        )
        exhausted = False
    if found and found[-1].id > plan.stop:
        found = [n for n in found if n.id <= plan.stop]
        exhausted = True
    if exhausted:
        return found, plan.stop
    return found, found[-1].id if found else plan.start


def _now_text() -> str:
    return datetime.now(UTC).isoformat()
