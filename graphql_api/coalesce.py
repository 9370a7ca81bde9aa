"""One read shared by every caller who asked while the previous one was under way.

A caller must see what was committed before it asked, so it never takes the answer of a read
already under way: it waits for that read to end and takes the next one, which starts after it
asked and which every caller arriving meanwhile shares. Under load, many requests then cost one
statement; alone, a caller waits for nothing but its own read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FreshRead(Generic[T]):
    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._next: asyncio.Future[T] | None = None
        """What callers arriving now will get: a read not started yet."""
        self._reader: asyncio.Task[None] | None = None

    async def __call__(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        if self._reader is None:
            self._reader = asyncio.create_task(self._run())
        # Shielded: a caller that gives up does not cancel the read the others wait for.
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        batch: asyncio.Future[T] | None = None
        try:
            while self._next is not None:
                batch, self._next = self._next, None
                try:
                    value = await self._read()
                except Exception as error:  # each caller sees the failure of its read
                    if not batch.done():
                        batch.set_exception(error)
                        batch.exception()  # retrieved, so an abandoned one logs nothing
                else:
                    if not batch.done():
                        batch.set_result(value)
        finally:
            # Only when cancelled (the loop is closing) is anybody left waiting.
            self._reader = None
            for left in (batch, self._next):
                if left is not None and not left.done():
                    left.cancel()
            self._next = None
