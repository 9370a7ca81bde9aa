"""Catching projections up with the log: many events per transaction, each applied exactly once.

A batch of events and the projection's new tracking position are written in one transaction, so a
process that dies between events leaves either the whole batch or none of it. The tracking row is
locked for the length of the batch, so two runners of the same projection never apply an event twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.base import Projection
from projections.db import Cursor, Database, Engine

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " projection TEXT PRIMARY KEY,"
    " position BIGINT NOT NULL DEFAULT 0,"
    " updated_at TEXT)"
)


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


def _locked_position(cur: Cursor, engine: Engine, name: str) -> int:
    lock = " FOR UPDATE" if engine == "postgres" else ""
    cur.execute(f"SELECT position FROM projection_tracking WHERE projection = ?{lock}", (name,))  # noqa: S608
    row = cur.fetchone()
    if row is None:
        cur.execute(
            "INSERT INTO projection_tracking (projection, position) VALUES (?, 0)"
            " ON CONFLICT (projection) DO NOTHING",
            (name,),
        )
        return 0
    return int(row[0])


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

    def positions(self) -> dict[str, int]:
        with self.database.transaction() as cur:
            cur.execute("SELECT projection, position FROM projection_tracking")
            found = {str(name): int(position) for name, position in cur.fetchall()}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def catch_up(self, projection: Projection | None = None, *, until: int | None = None) -> int:
        """Apply every event not yet applied (up to ``until``); returns how many were applied."""
        targets = [projection] if projection is not None else self.projections
        total = 0
        for target in targets:
            while read := self.run_batch(target, until=until):
                total += read
        return total

    def run_batch(self, projection: Projection, *, until: int | None = None) -> int:
        """One transaction: lock the tracking row, apply the next batch, move the position."""
        with self.database.transaction() as cur:
            position = _locked_position(cur, self.database.engine, projection.name)
            if until is not None and position >= until:
                return 0
            notifications = self.recorder.select_notifications(
                start=position, limit=self.batch_size, stop=until, inclusive_of_start=False
            )
            if not notifications:
                return 0
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                projection.apply(cur, event, notification.id)
            cur.execute(
                "UPDATE projection_tracking SET position = ?, updated_at = ? WHERE projection = ?",
                (notifications[-1].id, _now_text(), projection.name),
            )
            return len(notifications)

    def wait_for(self, log_position: int, *, timeout: float) -> None:
        """Block until every projection has applied ``log_position`` (bounded)."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            if min(self.positions().values(), default=log_position) >= log_position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionTimeout(
                    f"the read models did not reach log position {log_position} in {timeout} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def _now_text() -> str:
    return datetime.now(UTC).isoformat()
