"""`council project`: one supervised runner per projection, only one active instance of each.

On PostgreSQL each runner holds a session advisory lock named after its council and projection;
a second `council project` started beside it waits as a standby and takes over when the lock is
released (the active process stopped or died). Runners wake on the event store's NOTIFY and also
poll, restart with back-off after a failure, and stop after their current batch on SIGTERM/SIGINT.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import psycopg
import structlog

from projections.base import Projection
from projections.runner import ProjectionRunner

log = structlog.get_logger("council.project")

POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def advisory_key(schema: str, projection: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.sha256(f"council-ledger:{schema}:{projection}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Supervisor:
    """Keeps one projection caught up for as long as the process runs."""

    def __init__(
        self,
        runner: ProjectionRunner,
        projection: Projection,
        stop: threading.Event,
        *,
        conninfo: str | None,
        schema: str,
    ) -> None:
        self.runner = runner
        self.projection = projection
        self.stop = stop
        self.conninfo = conninfo
        self.schema = schema
        self.active = threading.Event()

    def run(self) -> None:
        backoff = 0.5
        while not self.stop.is_set():
            try:
                if self.conninfo is None:
                    self._serve(lambda: True, self.stop.wait)
                else:
                    self._serve_with_lock()
                backoff = 0.5
            except Exception:
                log.exception("projection runner failed", projection=self.projection.name)
                self.active.clear()
                self.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _serve_with_lock(self) -> None:
        assert self.conninfo is not None
        key = advisory_key(self.schema, self.projection.name)
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if row and row[0]:
                    break
                self.stop.wait(POLL_SECONDS)
            else:
                return
            log.info("projection runner active", projection=self.projection.name)
            conn.execute('LISTEN "council_events"')

            def wait(timeout: float) -> bool:
                for _ in conn.notifies(timeout=timeout, stop_after=1):
                    pass
                return self.stop.is_set()

            try:
                self._serve(lambda: not conn.closed, wait)
            finally:
                if not conn.closed:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _serve(self, alive: Callable[[], bool], wait: Callable[[float], Any]) -> None:
        self.active.set()
        while not self.stop.is_set() and alive():
            while self.runner.run_batch(self.projection) and not self.stop.is_set():
                pass
            wait(POLL_SECONDS)


def supervise(
    runner: ProjectionRunner,
    projections: list[Projection],
    stop: threading.Event,
    *,
    conninfo: str | None,
    schema: str,
) -> None:
    """Run one supervised runner per projection until ``stop`` is set."""
    supervisors = [
        Supervisor(runner, p, stop, conninfo=conninfo, schema=schema) for p in projections
    ]
    threads = [
        threading.Thread(target=s.run, name=f"project-{s.projection.name}", daemon=True)
        for s in supervisors
    ]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        stop.wait(1.0)
    for thread in threads:
        thread.join(timeout=30)
