"""The parts of a joint position: revisions, amendments, endorsements and dissents, adoptions."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.values import AmendmentState, DecisionMethod, ImplementationStatus
from graphql_api.context import Info
from graphql_api.types.people import Member, Organisation, member, organisation
from projections.queries.joint_positions import (
    AdoptionRow,
    AmendmentRow,
    PositionRevisionRow,
    StanceRow,
)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@strawberry.type
class PositionRevision:
    revision: int
    cycle: int
    text: str
    proposed_status: ImplementationStatus
    note: str
    amendment_id: strawberry.ID | None
    at: datetime
    log_position: int
    author_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: Info) -> Member | None:
        return await member(info, self.author_id)

    @classmethod
    def from_row(cls, row: PositionRevisionRow) -> PositionRevision:
        return cls(
            revision=row.revision,
            cycle=row.cycle,
            text=row.text,
            proposed_status=ImplementationStatus(row.proposed_status),
            note=row.note,
            amendment_id=strawberry.ID(row.amendment_id) if row.amendment_id else None,
            at=datetime.fromisoformat(row.at),
            log_position=row.log_position,
            author_id=row.author_id,
        )


@strawberry.type(description="A change proposed to one revision; accepted or rejected with reason.")
class Amendment:
    id: strawberry.ID
    revision: int
    text: str
    rationale: str
    state: AmendmentState
    decision_reason: str | None
    resulting_revision: int | None
    proposed_at: datetime
    decided_at: datetime | None
    log_position: int
    row: strawberry.Private[AmendmentRow]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        return await organisation(info, self.row.organisation_id)

    @strawberry.field
    async def proposed_by(self, info: Info) -> Member | None:
        return await member(info, self.row.proposed_by)

    @strawberry.field
    async def decided_by(self, info: Info) -> Member | None:
        return await member(info, self.row.decided_by)

    @classmethod
    def from_row(cls, row: AmendmentRow) -> Amendment:
        return cls(
            id=strawberry.ID(row.id),
            revision=row.revision,
            text=row.text,
            rationale=row.rationale,
            state=AmendmentState(row.state),
            decision_reason=row.decision_reason,
            resulting_revision=row.resulting_revision,
            proposed_at=datetime.fromisoformat(row.proposed_at),
            decided_at=_when(row.decided_at),
            log_position=row.log_position,
            row=row,
        )


@strawberry.type(description="An endorsement or a dissent: an organisation's word on a revision.")
class Stance:
    revision: int
    statement: str
    at: datetime
    log_position: int
    row: strawberry.Private[StanceRow]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        return await organisation(info, self.row.organisation_id)

    @strawberry.field
    async def member(self, info: Info) -> Member | None:
        return await member(info, self.row.member_id)

    @classmethod
    def from_row(cls, row: StanceRow) -> Stance:
        return cls(
            revision=row.revision,
            statement=row.statement,
            at=datetime.fromisoformat(row.at),
            log_position=row.log_position,
            row=row,
        )


@strawberry.type(description="Adoption at a Council session, by consensus or vote.")
class Adoption:
    revision: int
    cycle: int
    session: str
    adopted_on: date
    method: DecisionMethod
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    divergent_views: str
    at: datetime
    log_position: int

    @classmethod
    def from_row(cls, row: AdoptionRow) -> Adoption:
        return cls(
            revision=row.revision,
            cycle=row.cycle,
            session=row.session,
            adopted_on=date.fromisoformat(row.adopted_on),
            method=DecisionMethod(row.method),
            votes_for=row.votes_for,
            votes_against=row.votes_against,
            abstentions=row.abstentions,
            divergent_views=row.divergent_views,
            at=datetime.fromisoformat(row.at),
            log_position=row.log_position,
        )
