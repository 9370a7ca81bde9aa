"""Assessments: listed in the viewer's scope; proposed, revised, co-signed, submitted, withdrawn."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.application import Outcome
from domain.values import AssessmentState, ImplementationStatus, Track
from graphql_api.as_of import AsOf, as_of_position, described_as_of
from graphql_api.commands import council, perform, uid
from graphql_api.context import Info
from graphql_api.errors import (
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    ProblemType,
    WrongState,
    invalid_argument,
)
from graphql_api.limits import page_size
from graphql_api.prefetch import prefetch_assessments
from graphql_api.types import described
from graphql_api.types.assessments import Assessment, AssessmentConnection, visible_assessment
from graphql_api.types.paging import edges_of
from projections.queries import assessments as queries
from projections.queries.paging import BadCursor


@strawberry.input
class AssessmentFilter:
    round_id: strawberry.ID | None = None
    recommendation_id: strawberry.ID | None = None
    organisation_id: strawberry.ID | None = None
    state: AssessmentState | None = None
    track: Track | None = None

    def query(self) -> queries.AssessmentFilter:
        return queries.AssessmentFilter(
            round_id=_text(self.round_id),
            recommendation_id=_text(self.recommendation_id),
            organisation_id=_text(self.organisation_id),
            state=self.state.value if self.state else None,
            track=self.track.value if self.track else None,
        )


def _text(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


@strawberry.input(description="One item of evidence: a law, report, statistic, decision, …")
class EvidenceInput:
    title: str
    reference: str
    date: str = ""
    kind: str = "other"


def _evidence(items: list[EvidenceInput] | None) -> list[dict[str, str]] | None:
    if items is None:
        return None
    return [
        {"title": i.title, "reference": i.reference, "date": i.date, "kind": i.kind} for i in items
    ]


@strawberry.type
class AssessmentQuery:
    @described.field("The assessments you may see, oldest first.")
    async def assessments(
        self,
        info: Info,
        filter: AssessmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AssessmentConnection:
        size = page_size(first)
        flt = filter.query() if filter is not None else queries.AssessmentFilter()
        viewer = info.context.viewer
        try:
            page = await run_in_threadpool(
                queries.list_assessments,
                info.context.services.store,
                viewer.scope,
                flt,
                size,
                after,
            )
        except BadCursor as error:
            raise invalid_argument("after", str(error)) from None
        await prefetch_assessments(info, page.items)
        edges, page_info = edges_of(page, Assessment.from_row)
        edges = [e for e in edges if viewer.sees(e.node.row.visibility, e.node.row.organisation_id)]
        return AssessmentConnection(edges=edges, page_info=page_info)

    @described.field(described_as_of("One assessment; null where you do not see it."))
    async def assessment(
        self, info: Info, id: strawberry.ID, as_of: AsOf | None = None
    ) -> Assessment | None:
        return await visible_assessment(info, str(id), as_of=await as_of_position(info, as_of))


@strawberry.type
class AssessmentPayload:
    log_position: int
    changed: bool = strawberry.field(description="False when nothing needed recording.")
    assessment: Assessment | None


AssessmentResult = Annotated[
    AssessmentPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("AssessmentResult"),
]


async def _result(info: Info, done: Outcome | ProblemType) -> AssessmentResult:
    if not isinstance(done, Outcome):
        return done
    return AssessmentPayload(
        log_position=done.log_position,
        changed=done.changed,
        assessment=await visible_assessment(info, str(done.id)),
    )


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation
    async def propose_assessment(
        self,
        info: Info,
        round_id: strawberry.ID,
        recommendation_id: strawberry.ID,
        rating: ImplementationStatus,
        narrative: str,
        evidence: list[EvidenceInput] | None = None,
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).propose_assessment(
                    actor,
                    round_id=uid(round_id, "roundId"),
                    recommendation_id=uid(recommendation_id, "recommendationId"),
                    rating=rating,
                    narrative=narrative,
                    evidence=_evidence(evidence),
                ),
            ),
        )

    @described.mutation("A new revision; earlier co-signatures stay on their own.")
    async def revise_assessment(
        self,
        info: Info,
        assessment_id: strawberry.ID,
        expected_revision: int,
        rating: ImplementationStatus,
        narrative: str,
        evidence: list[EvidenceInput] | None = None,
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).revise_assessment(
                    actor,
                    uid(assessment_id, "assessmentId"),
                    expected_revision=expected_revision,
                    rating=rating,
                    narrative=narrative,
                    evidence=_evidence(evidence),
                ),
            ),
        )

    @strawberry.mutation
    async def open_assessment_for_signature(
        self, info: Info, assessment_id: strawberry.ID, expected_revision: int
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).open_assessment_for_signature(
                    actor, uid(assessment_id, "assessmentId"), expected_revision=expected_revision
                ),
            ),
        )

    @described.mutation("Your organisation signs this exact revision.")
    async def co_sign_assessment(
        self, info: Info, assessment_id: strawberry.ID, revision: int
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).co_sign_assessment(
                    actor, uid(assessment_id, "assessmentId"), revision=revision
                ),
            ),
        )

    @described.mutation(
        "Your organisation withdraws its co-signature, with the assessment at the revision you saw."
    )
    async def withdraw_co_signature(
        self, info: Info, assessment_id: strawberry.ID, expected_revision: int, reason: str = ""
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).withdraw_co_signature(
                    actor,
                    uid(assessment_id, "assessmentId"),
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )

    @strawberry.mutation
    async def submit_assessment(
        self, info: Info, assessment_id: strawberry.ID, expected_revision: int
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).submit_assessment(
                    actor, uid(assessment_id, "assessmentId"), expected_revision=expected_revision
                ),
            ),
        )

    @strawberry.mutation
    async def withdraw_assessment(
        self, info: Info, assessment_id: strawberry.ID, expected_revision: int, reason: str
    ) -> AssessmentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).withdraw_assessment(
                    actor,
                    uid(assessment_id, "assessmentId"),
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )
