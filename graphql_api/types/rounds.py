"""Monitoring rounds: a period of work on a set of recommendations, with deadlines and rules."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import strawberry

from domain.round import RoundPhase
from graphql_api.context import Info
from graphql_api.types.catalogue import Recommendation, recommendation
from graphql_api.types.people import Member, member
from projections.queries.directory import RoundRow


@strawberry.type(description="A monitoring round.")
class MonitoringRound:
    id: strawberry.ID
    title: str
    mechanism: str
    cycle: int | None
    phase: RoundPhase
    assessments_due: date
    co_signing_due: date
    council_session_on: date
    co_sign_quorum: int = strawberry.field(
        description="How many co-signatures on the current revision an assessment needs."
    )
    opened_at: datetime
    revision: int
    row: strawberry.Private[RoundRow]

    @classmethod
    def from_row(cls, row: RoundRow) -> MonitoringRound:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            mechanism=row.mechanism,
            cycle=row.cycle,
            phase=RoundPhase(row.phase),
            assessments_due=date.fromisoformat(row.assessments_due),
            co_signing_due=date.fromisoformat(row.co_signing_due),
            council_session_on=date.fromisoformat(row.council_session_on),
            co_sign_quorum=row.co_sign_quorum,
            opened_at=datetime.fromisoformat(row.opened_at),
            revision=row.version,
            row=row,
        )

    @strawberry.field
    async def opened_by(self, info: Info) -> Member | None:
        return await member(info, self.row.opened_by)

    @strawberry.field
    async def recommendations(self, info: Info) -> list[Recommendation]:
        ids = await info.context.loaders.round_recommendations.load(self.row.id)
        found = await asyncio.gather(*(recommendation(info, rec_id) for rec_id in ids))
        return [rec for rec in found if rec is not None]


async def monitoring_round(info: Info, round_id: str | None) -> MonitoringRound | None:
    """The round, if it exists and the viewer sees it."""
    if round_id is None:
        return None
    row = await info.context.loaders.rounds.load(round_id)
    if row is None or not info.context.viewer.sees(row.visibility):
        return None
    return MonitoringRound.from_row(row)
