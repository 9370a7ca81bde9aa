"""Joint positions: the Council's text on a recommendation, with amendments, stances, adoption.

Council participants see the drafts; once published, everyone sees the published revision's text
(and its adoption), but not the working drafts behind it.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.values import ImplementationStatus, PositionState
from graphql_api.context import Info
from graphql_api.types import described
from graphql_api.types.assessments import Assessment, visible_assessment
from graphql_api.types.catalogue import Recommendation, recommendation
from graphql_api.types.comments import Comment, comment_count, comments_on
from graphql_api.types.paging import Connection
from graphql_api.types.people import Member, member
from graphql_api.types.position_parts import Adoption, Amendment, PositionRevision, Stance
from graphql_api.types.rounds import MonitoringRound, monitoring_round
from projections.queries.as_of.positions import PositionSnapshot
from projections.queries.joint_positions import (
    AdoptionRow,
    AmendmentRow,
    JointPositionRow,
    PositionRevisionRow,
    StanceRow,
)


@strawberry.type(description="An assessment revision a joint position was drafted from.")
class AssessmentBasis:
    revision: int
    assessment_id: strawberry.ID
    as_of: strawberry.Private[int | None]

    @described.field("The assessment, as of the same moment as the joint position.")
    async def assessment(self, info: Info) -> Assessment | None:
        return await visible_assessment(info, str(self.assessment_id), as_of=self.as_of)


@strawberry.type(description="The Council's position on one recommendation in a round.")
class JointPosition:
    id: strawberry.ID
    state: PositionState
    cycle: int
    revision: int = strawberry.field(description="The published revision, for the public.")
    text: str = strawberry.field(description="The published text, for the public.")
    adopted_revision: int | None
    published_revision: int | None
    drafted_at: datetime
    updated_at: datetime
    log_position: int
    row: strawberry.Private[JointPositionRow]
    full: strawberry.Private[bool]
    past: strawberry.Private[PositionSnapshot | None]

    @classmethod
    def from_row(
        cls, row: JointPositionRow, *, full: bool, past: PositionSnapshot | None = None
    ) -> JointPosition:
        """Now, from the read model, or as of a moment (``past``), from the events."""
        return cls(
            id=strawberry.ID(row.id),
            state=PositionState(row.state),
            cycle=row.cycle,
            revision=row.revision if full else row.published_revision or 0,
            text=row.text if full else row.published_text or "",
            adopted_revision=row.adopted_revision,
            published_revision=row.published_revision,
            drafted_at=datetime.fromisoformat(row.drafted_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            log_position=row.log_position,
            row=row,
            full=full,
            past=past,
        )

    @property
    def as_of(self) -> int | None:
        return self.past.as_of if self.past is not None else None

    @strawberry.field
    async def proposed_status(self, info: Info) -> ImplementationStatus:
        if self.full:
            return ImplementationStatus(self.row.proposed_status)
        revisions = await self._revisions(info)
        return revisions[0].proposed_status if revisions else ImplementationStatus.NOT_ASSESSED

    @strawberry.field
    async def recommendation(self, info: Info) -> Recommendation | None:
        return await recommendation(info, self.row.recommendation_id, as_of=self.as_of)

    @strawberry.field
    async def round(self, info: Info) -> MonitoringRound | None:
        return await monitoring_round(info, self.row.round_id)

    @strawberry.field
    async def drafted_by(self, info: Info) -> Member | None:
        return await member(info, self.row.drafted_by) if self.full else None

    @strawberry.field
    def based_on(self) -> list[AssessmentBasis]:
        if not self.full:
            return []
        return [
            AssessmentBasis(
                revision=int(item["revision"]),
                assessment_id=strawberry.ID(item["assessment_id"]),
                as_of=self.as_of,
            )
            for item in self.row.based_on
        ]

    @described.field("Every revision; for the public only the published one.")
    async def revisions(self, info: Info) -> list[PositionRevision]:
        return await self._revisions(info)

    async def _revisions(self, info: Info) -> list[PositionRevision]:
        if self.past is not None:
            rows: list[PositionRevisionRow] = self.past.revisions
        else:
            rows = await info.context.loaders.position_revisions.load(self.row.id)
        if not self.full:
            rows = [row for row in rows if row.revision == self.row.published_revision]
        return [PositionRevision.from_row(row) for row in rows]

    @strawberry.field
    async def amendments(self, info: Info) -> list[Amendment]:
        if not self.full:
            return []
        if self.past is not None:
            rows: list[AmendmentRow] = self.past.amendments
        else:
            rows = await info.context.loaders.amendments.load(self.row.id)
        return [Amendment.from_row(row) for row in rows]

    @strawberry.field
    async def endorsements(self, info: Info) -> list[Stance]:
        return await self._stances(info, "endorsement")

    @strawberry.field
    async def dissents(self, info: Info) -> list[Stance]:
        return await self._stances(info, "dissent")

    async def _stances(self, info: Info, kind: str) -> list[Stance]:
        if not self.full:
            return []
        if self.past is not None:
            rows: list[StanceRow] = self.past.stances
        else:
            rows = await info.context.loaders.stances.load(self.row.id)
        return [Stance.from_row(row) for row in rows if row.kind == kind]

    @described.field("Adoptions at Council sessions; for the public, the published.")
    async def adoptions(self, info: Info) -> list[Adoption]:
        if self.past is not None:
            rows: list[AdoptionRow] = self.past.adoptions
        else:
            rows = await info.context.loaders.adoptions.load(self.row.id)
        if not self.full:
            rows = [row for row in rows if row.revision == self.row.published_revision]
        return [Adoption.from_row(row) for row in rows]

    @strawberry.field
    async def comments(self, info: Info) -> list[Comment]:
        return await comments_on(info, self.row.id, as_of=self.as_of) if self.full else []

    @strawberry.field
    async def comment_count(self, info: Info) -> int | None:
        return await comment_count(info, self.row.id, as_of=self.as_of) if self.full else None


@strawberry.type
class JointPositionConnection(Connection[JointPosition]):
    pass


def position_view(
    info: Info, row: JointPositionRow | None, past: PositionSnapshot | None = None
) -> JointPosition | None:
    """The joint position as the viewer may see it: in full, as published, or not at all."""
    viewer = info.context.viewer
    if row is None or not viewer.sees(row.visibility):
        return None
    return JointPosition.from_row(row, full=viewer.sees_position_in_full(row.state), past=past)


async def visible_position(
    info: Info, position_id: str, *, as_of: int | None = None
) -> JointPosition | None:
    """The joint position as the viewer sees it now, or as they would have seen it then."""
    loaders = info.context.loaders
    if as_of is None:
        return position_view(info, await loaders.joint_positions.load(position_id))
    past = await loaders.joint_positions_as_of.load((position_id, as_of))
    return position_view(info, past.row, past) if past is not None else None
