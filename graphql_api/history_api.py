"""What happened: `history`, the live `activity` subscription, and the raw log for auditors."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from starlette.concurrency import run_in_threadpool

from graphql_api.context import Info
from graphql_api.errors import ClientError, invalid_argument, not_allowed
from graphql_api.limits import page_size
from graphql_api.live import follow
from graphql_api.types import described
from graphql_api.types.history import HistoryConnection, HistoryItem, RawEvent
from graphql_api.types.paging import Edge, PageInfo
from projections.queries.history import history_after
from projections.queries.log import RawEventRow, raw_events


def _position(value: str | None, field: str) -> int:
    if value is None:
        return 0
    if not (value.isascii() and value.isdigit()):  # "¹" is a digit to str.isdigit, not to int
        raise invalid_argument(field, "is a log position (a whole number)")
    return int(value)


async def _check_subjects(info: Info, subject_id: str | None, round_id: str | None) -> None:
    """A subject or round the viewer does not see is reported as not found."""
    viewer = info.context.viewer
    for wanted in (subject_id, round_id):
        if wanted is None:
            continue
        subject = await info.context.loaders.subjects.load(wanted)
        if subject is None or not viewer.sees(subject.visibility, subject.owner_id):
            raise ClientError(f"nothing with id {wanted} is visible to you", code="NOT_FOUND")


@strawberry.type
class HistoryQuery:
    @described.field("What happened, oldest first; the cursor of an item is its log position.")
    async def history(
        self,
        info: Info,
        subject_id: strawberry.ID | None = None,
        round_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> HistoryConnection:
        size = page_size(first)
        start = _position(after, "after")
        subject = str(subject_id) if subject_id is not None else None
        round_ = str(round_id) if round_id is not None else None
        await _check_subjects(info, subject, round_)
        scope = info.context.viewer.scope
        store = info.context.services.store
        rows = await run_in_threadpool(
            lambda: history_after(
                store, scope, after=start, limit=size + 1, subject_id=subject, round_id=round_
            )
        )
        edges = [
            Edge(cursor=str(r.log_position), node=HistoryItem.from_row(r)) for r in rows[:size]
        ]
        return HistoryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @described.field(
        "Auditors: the raw log after a log position, each event with its leaf in the audit log"
        " (RFC 9162 leaf hash and leaf index; null for an event not yet in the audit tree)."
    )
    async def events(self, info: Info, after: int = 0, first: int | None = None) -> list[RawEvent]:
        if not info.context.viewer.reads_raw_log():
            raise not_allowed("only auditors read the raw log")
        size = page_size(first)
        runtime = info.context.services.runtime
        council = runtime.council

        def read() -> list[RawEventRow]:
            if runtime.settings.embedded:  # no worker appends to the tree: catch it up here
                runtime.audit.catch_up()
            return raw_events(
                council.recorder, council.mapper, runtime.audit, after=max(after, 0), first=size
            )

        return [RawEvent.from_row(row) for row in await run_in_threadpool(read)]


@strawberry.type
class HistorySubscription:
    @described.subscription(
        "The same items as `history`, live: first those after `since` (a log"
        " position), then each new one, in log order, without gaps or repeats."
    )
    async def activity(
        self,
        info: Info,
        round_id: strawberry.ID | None = None,
        subject_id: strawberry.ID | None = None,
        since: int | None = None,
    ) -> AsyncGenerator[HistoryItem, None]:
        subject = str(subject_id) if subject_id is not None else None
        round_ = str(round_id) if round_id is not None else None
        await _check_subjects(info, subject, round_)
        feed = info.context.services.feed
        start = feed.position if since is None else since
        rows = follow(
            feed, info.context.viewer.scope, since=start, round_id=round_, subject_id=subject
        )
        async for row in rows:
            info.context.refresh()  # a long subscription must not read from a stale cache
            yield HistoryItem.from_row(row)
