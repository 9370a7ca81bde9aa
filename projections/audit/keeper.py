"""The audit tree kept caught up by `council project`, and checkpoints signed on a schedule.

On PostgreSQL the tree has a session advisory lock of its own, named after its council: one
`council project` process appends every new event to the tree, woken by the event store's NOTIFY
and polling besides; another one started beside it waits as a standby and takes over when the
lock is released (the active process stopped or died). With a schedule, the active process also
signs a checkpoint once the interval has passed since the latest one, and only when the tree grew
since: a quiet log gets no new checkpoints.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.log import AuditLog

log = structlog.get_logger("council.project")

AUDIT_LOCK_NAME = "audit-log"
"""What the tree's advisory lock is named after, beside the read models' names."""
POLL_SECONDS = 0.5
GATHER_SECONDS = 0.2
"""After a wake, how long the keeper lets further writes gather before it appends: one batch
for many events costs a fraction of a transaction per event, and the tree is still at most a
fraction of a second behind the log."""
MIN_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CheckpointSchedule:
    """Sign a checkpoint at most every ``every``, with the council's own key."""

    every: timedelta
    origin: str
    signer: str
    key: Ed25519PrivateKey
    clock: Callable[[], datetime] = field(default=_now)


@dataclass(frozen=True)
class AdvisoryLock:
    """The PostgreSQL session lock that makes one process the keeper of the tree."""

    conninfo: str
    key: int


class AuditKeeper:
    """Appends new events to the audit tree and signs the checkpoints that fall due."""

    def __init__(
        self,
        audit: AuditLog,
        stop: threading.Event,
        *,
        lock: AdvisoryLock | None = None,
        schedule: CheckpointSchedule | None = None,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.audit = audit
        self.gather_seconds = gather_seconds
        self.stop = stop
        self.lock = lock
        self.schedule = schedule
        self.active = threading.Event()
        self._trusted = False

    def run(self) -> None:
        backoff = MIN_BACKOFF_SECONDS
        while not self.stop.is_set():
            try:
                if self.lock is None:
                    self._serve(self.stop.wait)
                else:
                    self._serve_with_lock(self.lock)
                backoff = MIN_BACKOFF_SECONDS
            except Exception:
                log.exception("audit log keeper failed")
                self.active.clear()
                self.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def step(self) -> str | None:
        """Append what is new; sign a checkpoint when one is due. Returns its text, if any."""
        while not self.stop.is_set() and self.audit.append_batch():
            pass
        if self.schedule is None or self.stop.is_set():
            return None
        return self._checkpoint_if_due(self.schedule)

    def _checkpoint_if_due(self, schedule: CheckpointSchedule) -> str | None:
        size = self.audit.size()
        latest = service.latest_checkpoint_head(self.audit)
        now = schedule.clock()
        if latest is not None:
            signed_size, signed_at = latest
            if size <= signed_size or now - signed_at < schedule.every:
                return None
        elif size == 0:
            return None
        if not self._trusted and not self._trust(schedule, now):
            return None
        note = service.make_checkpoint(
            self.audit, origin=schedule.origin, signer=schedule.signer, key=schedule.key, now=now
        )
        log.info("audit checkpoint signed", tree_size=notes.parse(note)[0].size)
        return note

    def _trust(self, schedule: CheckpointSchedule, now: datetime) -> bool:
        """Record the signer's key for `council audit verify`; refuse to sign with another key
        than the one already trusted under the signer's name (its checkpoints would not verify)."""
        public = schedule.key.public_key()
        service.add_trusted_key(self.audit, schedule.signer, public, now)
        trusted = service.trusted_keys(self.audit).get(schedule.signer)
        if trusted is None or notes.public_bytes(trusted) != notes.public_bytes(public):
            log.error(
                "audit checkpoints not signed: the signing key is not the one trusted for"
                " this signer",
                signer=schedule.signer,
            )
            self.schedule = None
            return False
        self._trusted = True
        return True

    def _serve(self, wait: Callable[[float], Any]) -> None:
        self.active.set()
        while not self.stop.is_set():
            self.step()
            wait(POLL_SECONDS)
            self.stop.wait(self.gather_seconds)

    def _serve_with_lock(self, lock: AdvisoryLock) -> None:
        key = lock.key
        with psycopg.connect(lock.conninfo, autocommit=True) as conn:
            while not self.stop.is_set() and not _try_lock(conn, key):
                self.stop.wait(POLL_SECONDS)  # a standby: another process keeps the tree
            if self.stop.is_set():
                return
            log.info("audit log keeper active")
            channel = str(getattr(self.audit.recorder, "channel_name", "council_events"))
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

            def wait(timeout: float) -> None:
                for _ in conn.notifies(timeout=timeout, stop_after=1):
                    pass

            try:
                self._serve(wait)
            finally:
                self.active.clear()
                if not conn.closed:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _try_lock(conn: psycopg.Connection[Any], key: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])
