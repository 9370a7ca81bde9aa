"""The shared read of the projections' positions: a caller never gets a read begun before it
asked; callers who ask while one is under way share the next."""

from __future__ import annotations

import asyncio

import pytest

from graphql_api.coalesce import FreshRead


def test_callers_arriving_during_a_read_share_the_next_one() -> None:
    async def scenario() -> tuple[list[int], int]:
        started = 0
        release = asyncio.Event()

        async def read() -> int:
            nonlocal started
            started += 1
            number = started
            await release.wait()
            return number

        fresh = FreshRead(read)
        first = asyncio.create_task(fresh())
        await asyncio.sleep(0)  # the first read is under way
        await asyncio.sleep(0)
        later = [asyncio.create_task(fresh()) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        answers = await asyncio.gather(first, *later)
        return answers, started

    answers, reads = asyncio.run(scenario())
    assert answers == [1, 2, 2, 2, 2, 2]
    assert reads == 2


def test_a_failed_read_fails_its_callers_only() -> None:
    async def scenario() -> int:
        calls = 0

        async def read() -> int:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise OSError("the database cannot be reached")
            return calls

        fresh = FreshRead(read)
        with pytest.raises(OSError, match="cannot be reached"):
            await fresh()
        return await fresh()

    assert asyncio.run(scenario()) == 2


def test_a_caller_that_gives_up_does_not_cancel_the_others() -> None:
    async def scenario() -> int:
        release = asyncio.Event()

        async def read() -> int:
            await release.wait()
            return 7

        fresh = FreshRead(read)
        impatient = asyncio.create_task(fresh())
        patient = asyncio.create_task(fresh())
        await asyncio.sleep(0)
        impatient.cancel()
        await asyncio.sleep(0)
        release.set()
        return await patient

    assert asyncio.run(scenario()) == 7
