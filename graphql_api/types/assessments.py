"""Assessments: one organisation's rating of a recommendation, revision by revision, co-signed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.values import AssessmentState, ImplementationStatus, Track
from graphql_api.context import Info
from graphql_api.loaders import now_or_later
from graphql_api.types import described
from graphql_api.types.catalogue import Recommendation, recommendation
from graphql_api.types.comments import Comment, comment_count_now, comments_on
from graphql_api.types.paging import Connection
from graphql_api.types.people import Member, Organisation, member, organisation_now
from graphql_api.types.rounds import MonitoringRound, monitoring_round
from projections.queries.as_of.assessments import AssessmentSnapshot
from projections.queries.assessments import AssessmentRevisionRow, AssessmentRow, CoSignatureRow


@strawberry.type
class Evidence:
    title: str
    reference: str
    date: str
    kind: str


def _evidence(items: list[dict[str, str]]) -> list[Evidence]:
    return [Evidence(**item) for item in items]


@strawberry.type(description="One revision of an assessment; every edit makes a new one.")
class AssessmentRevision:
    revision: int
    rating: ImplementationStatus
    narrative: str
    evidence: list[Evidence]
    at: datetime
    log_position: int
    author_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: Info) -> Member | None:
        return await member(info, self.author_id)

    @classmethod
    def from_row(cls, row: AssessmentRevisionRow) -> AssessmentRevision:
        return cls(
            revision=row.revision,
            rating=ImplementationStatus(row.rating),
            narrative=row.narrative,
            evidence=_evidence(row.evidence),
            at=datetime.fromisoformat(row.at),
            log_position=row.log_position,
            author_id=row.author_id,
        )


@strawberry.type(description="An organisation bound to one exact revision of an assessment.")
class CoSignature:
    revision: int
    status: str = strawberry.field(description="active, superseded (signed again) or withdrawn")
    signed_at: str
    ended_at: str | None
    end_reason: str | None
    log_position: int
    row: strawberry.Private[CoSignatureRow]

    @described.answered(Organisation | None)
    def organisation(self, info: Info) -> Any:
        return organisation_now(info, self.row.organisation_id)

    @strawberry.field
    async def signed_by(self, info: Info) -> Member | None:
        return await member(info, self.row.signed_by)

    @classmethod
    def from_row(cls, row: CoSignatureRow) -> CoSignature:
        return cls(
            revision=row.revision,
            status=row.status,
            signed_at=row.signed_at,
            ended_at=row.ended_at,
            end_reason=row.end_reason,
            log_position=row.log_position,
            row=row,
        )


@strawberry.type(description="An organisation's rating of one recommendation in a round.")
class Assessment:
    id: strawberry.ID
    track: Track
    state: AssessmentState
    revision: int
    rating: ImplementationStatus
    narrative: str
    submitted_revision: int | None
    proposed_at: datetime
    updated_at: datetime
    log_position: int
    row: strawberry.Private[AssessmentRow]
    past: strawberry.Private[AssessmentSnapshot | None]

    @classmethod
    def from_row(cls, row: AssessmentRow, past: AssessmentSnapshot | None = None) -> Assessment:
        """Now, from the read model, or as of a moment (``past``), from the events."""
        return cls(
            id=strawberry.ID(row.id),
            track=Track(row.track),
            state=AssessmentState(row.state),
            revision=row.revision,
            rating=ImplementationStatus(row.rating),
            narrative=row.narrative,
            submitted_revision=row.submitted_revision,
            proposed_at=datetime.fromisoformat(row.proposed_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            log_position=row.log_position,
            row=row,
            past=past,
        )

    @property
    def as_of(self) -> int | None:
        return self.past.as_of if self.past is not None else None

    @strawberry.field
    def evidence(self) -> list[Evidence]:
        return _evidence(self.row.evidence)

    @described.answered(Organisation | None)
    def organisation(self, info: Info) -> Any:
        return organisation_now(info, self.row.organisation_id)

    @strawberry.field
    async def recommendation(self, info: Info) -> Recommendation | None:
        return await recommendation(info, self.row.recommendation_id, as_of=self.as_of)

    @strawberry.field
    async def round(self, info: Info) -> MonitoringRound | None:
        return await monitoring_round(info, self.row.round_id)

    @strawberry.field
    async def proposed_by(self, info: Info) -> Member | None:
        return await member(info, self.row.proposed_by)

    @strawberry.field
    async def revisions(self, info: Info) -> list[AssessmentRevision]:
        if self.past is not None:
            rows = self.past.revisions
        else:
            rows = await info.context.loaders.assessment_revisions.load(self.row.id)
        return [AssessmentRevision.from_row(row) for row in rows]

    @described.answered(list[CoSignature], "Every co-signature ever given, on its revision.")
    def co_signatures(self, info: Info) -> Any:
        def signatures(rows: list[CoSignatureRow]) -> list[CoSignature]:
            return [CoSignature.from_row(row) for row in rows]

        if self.past is not None:
            return signatures(self.past.co_signatures)
        return now_or_later(info.context.loaders.co_signatures, self.row.id, signatures)

    @strawberry.field
    async def comments(self, info: Info) -> list[Comment]:
        return await comments_on(info, self.row.id, as_of=self.as_of)

    @described.answered(int | None, "Null where comments are not shown to you.")
    def comment_count(self, info: Info) -> Any:
        return comment_count_now(info, self.row.id, as_of=self.as_of)


@strawberry.type
class AssessmentConnection(Connection[Assessment]):
    pass


async def visible_assessment(
    info: Info, assessment_id: str, *, as_of: int | None = None
) -> Assessment | None:
    """The assessment as the viewer sees it now, or as they would have seen it then."""
    loaders = info.context.loaders
    past: AssessmentSnapshot | None = None
    if as_of is None:
        row = await loaders.assessments.load(assessment_id)
    else:
        past = await loaders.assessments_as_of.load((assessment_id, as_of))
        row = past.row if past is not None else None
    if row is None or not info.context.viewer.sees(row.visibility, row.organisation_id):
        return None
    return Assessment.from_row(row, past)
