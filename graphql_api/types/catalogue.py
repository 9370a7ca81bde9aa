"""Recommendations: the UN catalogue with each recommendation's official status and its basis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from domain.values import ImplementationStatus, StateResponse, StatusBasis
from graphql_api.context import Info
from graphql_api.types import described
from graphql_api.types.comments import Comment, comment_count, comments_on
from graphql_api.types.paging import Connection
from graphql_api.types.people import Member, Organisation, member, organisation
from projections.queries.as_of.catalogue import RecommendationSnapshot
from projections.queries.catalogue import RecommendationRow, StatusChangeRow


@strawberry.type(description="A change of the official status, with its basis.")
class StatusChange:
    status: ImplementationStatus
    basis: StatusBasis
    joint_position_id: strawberry.ID | None
    position_revision: int | None
    reason: str
    at: datetime
    log_position: int
    row: strawberry.Private[StatusChangeRow]

    @strawberry.field
    async def actor(self, info: Info) -> Member | None:
        return await member(info, self.row.actor_id)

    @classmethod
    def from_row(cls, row: StatusChangeRow) -> StatusChange:
        return cls(
            status=ImplementationStatus(row.status),
            basis=StatusBasis(row.basis),
            joint_position_id=strawberry.ID(row.joint_position_id)
            if row.joint_position_id
            else None,
            position_revision=row.position_revision,
            reason=row.reason,
            at=datetime.fromisoformat(row.at),
            log_position=row.log_position,
            row=row,
        )


@strawberry.type(description="One paragraph of a UN document, as catalogued from UHRI.")
class Recommendation:
    id: strawberry.ID
    mechanism: str
    cycle: int | None
    session: str
    document_symbol: str
    paragraph: str
    text: str
    recommending_states: list[str]
    themes: list[str]
    affected_persons: list[str]
    sdgs: list[str]
    state_response: StateResponse
    document_date: str
    kind: str
    source: str
    status: ImplementationStatus
    revision: int = strawberry.field(description="Named by correctRecommendationStatus.")
    recorded_at: datetime
    updated_at: datetime
    log_position: int
    row: strawberry.Private[RecommendationRow]
    past: strawberry.Private[RecommendationSnapshot | None]

    @classmethod
    def from_row(
        cls, row: RecommendationRow, past: RecommendationSnapshot | None = None
    ) -> Recommendation:
        """Now, from the read model, or as of a moment (``past``), from the events."""
        return cls(
            id=strawberry.ID(row.id),
            mechanism=row.mechanism,
            cycle=row.cycle,
            session=row.session,
            document_symbol=row.document_symbol,
            paragraph=row.paragraph,
            text=row.text,
            recommending_states=row.recommending_states,
            themes=row.themes,
            affected_persons=row.affected_persons,
            sdgs=row.sdgs,
            state_response=StateResponse(row.state_response),
            document_date=row.document_date,
            kind=row.kind,
            source=row.source,
            status=ImplementationStatus(row.status),
            revision=row.version,
            recorded_at=datetime.fromisoformat(row.recorded_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            log_position=row.log_position,
            row=row,
            past=past,
        )

    @property
    def as_of(self) -> int | None:
        return self.past.as_of if self.past is not None else None

    @strawberry.field
    async def responsible_bodies(self, info: Info) -> list[Organisation]:
        bodies = self.row.responsible_body_ids
        found = await asyncio.gather(*(organisation(info, body) for body in bodies))
        return [org for org in found if org is not None]

    @described.field("Every change of the official status, oldest first.")
    async def status_timeline(self, info: Info) -> list[StatusChange]:
        return [StatusChange.from_row(row) for row in await self._timeline(info)]

    @described.field("The change that gave the status: its basis; null while never assessed.")
    async def status_basis(self, info: Info) -> StatusChange | None:
        rows = await self._timeline(info)
        return StatusChange.from_row(rows[-1]) if rows else None

    async def _timeline(self, info: Info) -> list[StatusChangeRow]:
        if self.past is not None:
            return self.past.timeline
        rows: list[StatusChangeRow] = await info.context.loaders.status_timelines.load(self.row.id)
        return rows

    @strawberry.field
    async def comments(self, info: Info) -> list[Comment]:
        return await comments_on(info, self.row.id, as_of=self.as_of)

    @described.field("Null where comments are not shown to you.")
    async def comment_count(self, info: Info) -> int | None:
        return await comment_count(info, self.row.id, as_of=self.as_of)


@strawberry.type
class RecommendationConnection(Connection[Recommendation]):
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @described.field("How many recommendations match, on every page.")
    async def total_count(self) -> int:
        return await self.count()


async def recommendation(
    info: Info, recommendation_id: str, *, as_of: int | None = None
) -> Recommendation | None:
    """The recommendation now, or as of a log position (None before it was catalogued)."""
    if as_of is None:
        row = await info.context.loaders.recommendations.load(recommendation_id)
        return Recommendation.from_row(row) if row is not None else None
    past = await info.context.loaders.recommendations_as_of.load((recommendation_id, as_of))
    return Recommendation.from_row(past.row, past) if past is not None else None
