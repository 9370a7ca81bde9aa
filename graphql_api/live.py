"""The activity feed: tells subscribers when the history has grown, across processes.

One ``LiveFeed`` per process follows how far the history projection has got. On PostgreSQL it
LISTENs on the event store's channel; since the history projection lags the NOTIFY, after each
notification it polls the projection's position until it has reached the log's head. Embedded
mode polls (and is poked after each mutation of this process). Subscribers then read the rows
after the last one they sent, in log order: nothing is skipped and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import ParamSpec, TypeVar

import psycopg
import structlog
from starlette.concurrency import run_in_threadpool

from projections.queries.history import HistoryRow, history_after, projected_position
from projections.queries.paging import Scope
from projections.queries.store import ReadStore

log = structlog.get_logger("council.live")
BATCH = 200
P = ParamSpec("P")
T = TypeVar("T")


class FeedStopped(RuntimeError):
    """The feed was stopped; its store is closed."""


class InFlight:
    """Reads running in worker threads. A task awaiting one can be cancelled, but the thread runs
    on: ``close`` waits for every running read, so the store is never closed under one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._closed = False

    def run(self, read: Callable[[], T]) -> T:
        with self._changed:
            if self._closed:
                raise FeedStopped("the activity feed was stopped")
            self._running += 1
        try:
            return read()
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.wait_for(lambda: self._running == 0)


class LiveFeed:
    def __init__(
        self,
        store: ReadStore,
        *,
        head: Callable[[], int],
        conninfo: str | None = None,
        channel: str | None = None,
        poll_seconds: float = 0.2,
    ) -> None:
        self.store = store
        self.head = head
        self.conninfo = conninfo
        self.channel = channel
        self.poll_seconds = poll_seconds
        self.position = 0
        self.subscribers = 0
        """Subscriptions following the feed now (each ``follow`` while it runs)."""
        self._changed: asyncio.Condition | None = None
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Python 3.11's wait_for can swallow a cancellation that arrives as the awaited event
        # fires; the loops also stop on this flag, so ``stop`` cannot wait for ever.
        self._running = False
        self._reads = InFlight()

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        self._wake = asyncio.Event()
        self._reads = InFlight()
        self._running = True
        self.position = await self.read(projected_position, self.store, "history")
        self._tasks.append(asyncio.create_task(self._follow()))
        if self.conninfo is not None and self.channel is not None:
            self._tasks.append(asyncio.create_task(self._listen()))

    async def stop(self) -> None:
        self._running = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await run_in_threadpool(self._reads.close)

    async def read(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``func`` on the feed's store, in a worker thread that ``stop`` waits for."""
        return await run_in_threadpool(self._reads.run, functools.partial(func, *args, **kwargs))

    def poke(self) -> None:
        """Something was written in this process: look again now."""
        if self._wake is not None:
            self._wake.set()

    async def wait_beyond(self, position: int, timeout: float) -> None:
        """Return once the history is past ``position`` (or after ``timeout``)."""
        assert self._changed is not None, "the feed is not started"
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.position > position), timeout
                )

    async def _follow(self) -> None:
        assert self._wake is not None
        target = 0
        while self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            woken = self._wake.is_set()
            self._wake.clear()
            try:
                if woken and self.conninfo is not None:
                    target = max(target, await self.read(self.head))
                await self._catch_up(target)
            except Exception:  # the feed must outlive a failed poll; it retries
                log.exception("activity feed poll failed")

    async def _catch_up(self, target: int) -> None:
        """Read the projection's position; after a NOTIFY, keep reading until it reaches it."""
        deadline = time.monotonic() + 10.0
        delay = 0.01
        while True:
            position = await self.read(projected_position, self.store, "history")
            if position > self.position:
                assert self._changed is not None
                async with self._changed:
                    self.position = position
                    self._changed.notify_all()
            if position >= target or not self._running or time.monotonic() > deadline:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    async def _listen(self) -> None:
        assert self.conninfo is not None
        assert self._wake is not None
        while self._running:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f'LISTEN "{self.channel}"')
                    self._wake.set()
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # reconnect; polling covers the gap
                log.exception("activity feed lost its LISTEN connection")
                await asyncio.sleep(1.0)


async def follow(
    feed: LiveFeed,
    scope: Scope,
    *,
    since: int,
    round_id: str | None,
    subject_id: str | None,
    heartbeat: float = 15.0,
) -> AsyncIterator[HistoryRow]:
    """History rows after ``since`` in log order, then each new one as it is projected."""
    last = since
    feed.subscribers += 1
    try:
        while True:
            scanned = feed.position
            rows = await feed.read(
                history_after,
                feed.store,
                scope,
                after=last,
                limit=BATCH,
                subject_id=subject_id,
                round_id=round_id,
            )
            for row in rows:
                yield row
                last = row.log_position
            if len(rows) == BATCH:
                continue
            last = max(last, scanned)
            await feed.wait_beyond(last, heartbeat)
    finally:
        feed.subscribers -= 1
