"""`council project`: the read models kept caught up, only one active instance of each.

On PostgreSQL each read model has a session advisory lock named after its council and projection;
a second `council project` started beside it waits as a standby and takes over the read models
whose locks are released (the active process stopped or died). The read models a process holds
travel together, the log read once per batch for all of them. The runner wakes on the event store's
NOTIFY and also polls, sets a failing read model aside to retry it alone with back-off (the others
go on), and stops after its current batch on SIGTERM/SIGINT. The audit tree is kept the same way,
under a lock of its own (``projections.audit.keeper``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog

from projections.audit.keeper import (
    AUDIT_LOCK_NAME,
    AdvisoryLock,
    AuditKeeper,
    CheckpointSchedule,
)
from projections.audit.log import AuditLog
from projections.base import Projection
from projections.db import Database
from projections.registry import REBUILT_IN_PARTS
from projections.replay import reset_unfinished_parts
from projections.runner import ProjectionRunner

log = structlog.get_logger("council.project")

POLL_SECONDS = 0.5
MIN_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def advisory_key(schema: str, projection: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.sha256(f"council-ledger:{schema}:{projection}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def try_lock(conn: psycopg.Connection[Any], schema: str, projection: Projection) -> bool:
    """Take the projection's lock on ``conn``, unless another session holds it: a worker keeping
    it, or a rebuild sharing it out in parts. Held until ``conn`` closes or unlocks it."""
    key = advisory_key(schema, projection.name)
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])


@contextmanager
def unkept(
    database: Database, projections: Sequence[Projection], *, conninfo: str | None, schema: str
) -> Iterator[list[Projection]]:
    """For a catch-up once, beside workers and rebuilds: the ``projections`` but those that a
    rebuild may share out in parts (``projections.registry.REBUILT_IN_PARTS``) and another
    process keeps now. Their parts move tracking rows of their own, so applying the log to such
    a read model beside them would write its lines twice; its keeper applies it. The others'
    locks are held until the end, and one that a rebuild in parts left unfinished is emptied to
    be applied again from the start."""
    if conninfo is None:  # embedded: one process, no parts
        yield list(projections)
        return
    with psycopg.connect(conninfo, autocommit=True) as conn:
        mine = [
            p for p in projections if p.name not in REBUILT_IN_PARTS or try_lock(conn, schema, p)
        ]
        reset_unfinished_parts(database, [p for p in mine if p.name in REBUILT_IN_PARTS])
        yield mine


@dataclass
class Failing:
    """A read model set aside after a failure, and when to try it again."""

    retry_at: float
    backoff: float


class Supervisor:
    """Keeps a set of projections caught up for as long as the process runs."""

    def __init__(
        self,
        runner: ProjectionRunner,
        projections: Sequence[Projection],
        stop: threading.Event,
        *,
        conninfo: str | None,
        schema: str,
    ) -> None:
        self.runner = runner
        self.projections = list(projections)
        self.stop = stop
        self.conninfo = conninfo
        self.schema = schema
        self.active = threading.Event()
        self.failing: dict[str, Failing] = {}

    def run(self) -> None:
        backoff = MIN_BACKOFF_SECONDS
        while not self.stop.is_set():
            try:
                if self.conninfo is None:
                    self._serve(lambda: self.projections, self.stop.wait)
                else:
                    self._serve_with_locks(self.conninfo)
                backoff = MIN_BACKOFF_SECONDS
            except Exception:
                log.exception("projection runner failed")
                self.active.clear()
                self.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _serve_with_locks(self, conninfo: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            held: list[Projection] = []

            def holding() -> list[Projection]:
                for projection in self.projections:
                    if projection not in held and self._try_lock(conn, projection):
                        log.info("projection runner active", projection=projection.name)
                        self._start_again_if_unfinished(projection)
                        held.append(projection)
                return held

            def wait(timeout: float) -> None:
                for _ in conn.notifies(timeout=timeout, stop_after=1):
                    pass

            while not self.stop.is_set() and not holding():
                self.stop.wait(POLL_SECONDS)  # a standby: another process holds every lock
            if self.stop.is_set():
                return
            conn.execute('LISTEN "council_events"')
            try:
                self._serve(holding, wait)
            finally:
                if not conn.closed:
                    for projection in held:
                        conn.execute(
                            "SELECT pg_advisory_unlock(%s)",
                            (advisory_key(self.schema, projection.name),),
                        )

    def _start_again_if_unfinished(self, projection: Projection) -> None:
        """A read model that a rebuild in parts left part-built (it died before its end) is
        emptied, to be applied again from the start: the lock just taken keeps others off it."""
        for reset in reset_unfinished_parts(self.runner.database, [projection]):
            log.warning(
                "read model left part-built by a rebuild that did not end: applying the log to it"
                " again from the start",
                projection=reset.name,
            )

    def _try_lock(self, conn: psycopg.Connection[Any], projection: Projection) -> bool:
        return try_lock(conn, self.schema, projection)

    def _serve(
        self, projections: Callable[[], list[Projection]], wait: Callable[[float], Any]
    ) -> None:
        self.runner.warm_up(projections())
        self.active.set()
        while not self.stop.is_set():
            self._catch_up(projections())
            wait(POLL_SECONDS)

    def _catch_up(self, projections: list[Projection]) -> None:
        """Apply every new event; a read model that fails waits apart and is retried alone."""
        together = [p for p in projections if p.name not in self.failing]
        if together and not self._drain(together) and len(together) > 1:
            for projection in together:  # which one fails? the others go on without it
                self._drain([projection])
        now = time.monotonic()
        for projection in projections:
            failing = self.failing.get(projection.name)
            if failing is not None and failing.retry_at <= now:
                self._drain([projection])

    def _drain(self, projections: list[Projection]) -> bool:
        try:
            while self.runner.run_batch(projections) and not self.stop.is_set():
                pass
        except Exception:
            names = [p.name for p in projections]
            log.exception("projection batch failed", projections=names)
            if len(projections) == 1:
                self._set_aside(projections[0])
            return False
        for projection in projections:
            self.failing.pop(projection.name, None)
        return True

    def _set_aside(self, projection: Projection) -> None:
        previous = self.failing.get(projection.name)
        backoff = (
            min(previous.backoff * 2, MAX_BACKOFF_SECONDS) if previous else MIN_BACKOFF_SECONDS
        )
        self.failing[projection.name] = Failing(time.monotonic() + backoff, backoff)


def supervise(
    runner: ProjectionRunner,
    projections: list[Projection],
    stop: threading.Event,
    *,
    conninfo: str | None,
    schema: str,
    audit: AuditLog | None = None,
    checkpoints: CheckpointSchedule | None = None,
) -> None:
    """Keep ``projections`` (and the ``audit`` tree, signing ``checkpoints``) caught up until
    ``stop`` is set."""
    supervisor = Supervisor(runner, projections, stop, conninfo=conninfo, schema=schema)
    thread = threading.Thread(target=supervisor.run, name="project", daemon=True)
    thread.start()
    threads = [thread]
    if audit is not None:
        lock = AdvisoryLock(conninfo, advisory_key(schema, AUDIT_LOCK_NAME)) if conninfo else None
        keeper = AuditKeeper(audit, stop, lock=lock, schedule=checkpoints)
        threads.append(threading.Thread(target=keeper.run, name="audit", daemon=True))
        threads[-1].start()
    while not stop.is_set():
        stop.wait(1.0)
    for running in threads:
        running.join(timeout=30)
