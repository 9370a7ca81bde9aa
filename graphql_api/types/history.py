"""The history in words a person reads, and the raw log for auditors."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.context import Info
from graphql_api.types import described
from graphql_api.types.paging import Connection
from graphql_api.types.people import Member, Organisation, member, organisation
from projections.queries.history import HistoryRow
from projections.queries.log import RawEventRow


@strawberry.type(description="What happened, with who did it and when.")
class HistoryItem:
    log_position: int
    subject_id: strawberry.ID
    subject_kind: str
    round_id: strawberry.ID | None
    recommendation_id: strawberry.ID | None
    event_type: str
    summary: str
    revision: int | None
    at: datetime
    row: strawberry.Private[HistoryRow]

    @strawberry.field
    async def actor(self, info: Info) -> Member | None:
        return await member(info, self.row.actor_id)

    @described.field("The organisation the actor acted for.")
    async def organisation(self, info: Info) -> Organisation | None:
        return await organisation(info, self.row.organisation_id)

    @classmethod
    def from_row(cls, row: HistoryRow) -> HistoryItem:
        return cls(
            log_position=row.log_position,
            subject_id=strawberry.ID(row.subject_id),
            subject_kind=row.subject_kind,
            round_id=strawberry.ID(row.round_id) if row.round_id else None,
            recommendation_id=strawberry.ID(row.recommendation_id)
            if row.recommendation_id
            else None,
            event_type=row.event_type,
            summary=row.summary,
            revision=row.revision,
            at=datetime.fromisoformat(row.at),
            row=row,
        )


@strawberry.type
class HistoryConnection(Connection[HistoryItem]):
    pass


@strawberry.type(description="One stored event, as the event store keeps it.")
class RawEvent:
    log_position: int
    originator_id: strawberry.ID
    originator_version: int
    topic: str
    timestamp: datetime
    state: str = strawberry.field(description="The stored event, as JSON text.")
    leaf_index: int | None = strawberry.field(
        description="The event's leaf in the audit log; null until the audit tree takes it in."
    )
    hash: str | None = strawberry.field(
        description="The event's RFC 9162 leaf hash (hex) in the audit log, which commits to its"
        " log position, aggregate, version, topic and stored bytes; null with `leafIndex`."
    )

    @classmethod
    def from_row(cls, row: RawEventRow) -> RawEvent:
        return cls(
            log_position=row.log_position,
            originator_id=strawberry.ID(row.originator_id),
            originator_version=row.originator_version,
            topic=row.topic,
            timestamp=row.timestamp,
            state=row.state,
            leaf_index=row.leaf_index,
            hash=row.hash,
        )
