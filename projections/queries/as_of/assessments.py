"""An assessment as of a moment: its row, its revisions, and every co-signature given by then."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from uuid import UUID

from domain.assessment import Assessment
from domain.rules import Visibility, assessment_visibility
from domain.values import AssessmentState
from projections.queries.as_of.timeline import EventSource, Timeline, text, timeline_at
from projections.queries.assessments import AssessmentRevisionRow, AssessmentRow, CoSignatureRow

STATE_AFTER: dict[type, AssessmentState] = {
    Assessment.Proposed: AssessmentState.DRAFT,
    Assessment.OpenedForSignature: AssessmentState.OPEN_FOR_SIGNATURE,
    Assessment.Submitted: AssessmentState.SUBMITTED,
    Assessment.Withdrawn: AssessmentState.WITHDRAWN,
}


@dataclass(frozen=True)
class AssessmentSnapshot:
    as_of: int
    row: AssessmentRow
    revisions: list[AssessmentRevisionRow]
    co_signatures: list[CoSignatureRow]


def assessment_at(
    source: EventSource, assessment_id: UUID, log_position: int
) -> AssessmentSnapshot | None:
    found = timeline_at(source, Assessment, assessment_id, log_position)
    return snapshot(found) if found is not None else None


def snapshot(timeline: Timeline[Assessment]) -> AssessmentSnapshot:
    a = timeline.aggregate
    current = a.current
    row = AssessmentRow(
        id=str(a.id),
        round_id=str(a.round_id),
        recommendation_id=str(a.recommendation_id),
        organisation_id=str(a.organisation_id),
        track=text(a.track),
        state=text(a.state),
        visibility=_visibility(timeline).value,
        revision=a.revision,
        rating=text(current.rating),
        narrative=current.narrative,
        evidence=list(current.evidence),
        submitted_revision=a.submitted_revision,
        proposed_by=str(a.revisions[0].author_id),
        proposed_at=text(a.created_on),
        updated_at=text(a.modified_on),
        version=a.version,
        log_position=timeline.log_position,
    )
    return AssessmentSnapshot(timeline.as_of, row, _revisions(timeline), _co_signatures(timeline))


def _visibility(timeline: Timeline[Assessment]) -> Visibility:
    """How far it was seen then: each change of state widens it; a withdrawal keeps it."""
    visibility = Visibility.ORGANISATION
    for recorded in timeline.events:
        state = STATE_AFTER.get(type(recorded.event))
        if state is not None:
            visibility = assessment_visibility(state, timeline.aggregate.track, visibility)
    return visibility


def _revisions(timeline: Timeline[Assessment]) -> list[AssessmentRevisionRow]:
    made = timeline.of(Assessment.Proposed, Assessment.Revised)
    return [
        AssessmentRevisionRow(
            assessment_id=str(timeline.aggregate.id),
            revision=revision.number,
            rating=text(revision.rating),
            narrative=revision.narrative,
            evidence=list(revision.evidence),
            author_id=str(revision.author_id),
            at=text(revision.at),
            log_position=recorded.log_position,
        )
        for revision, recorded in zip(timeline.aggregate.revisions, made, strict=True)
    ]


def _co_signatures(timeline: Timeline[Assessment]) -> list[CoSignatureRow]:
    """Every co-signature given by then: active, superseded by a later one, or withdrawn."""
    rows: list[CoSignatureRow] = []
    assessment_id = str(timeline.aggregate.id)
    for position, event in timeline.of(Assessment.CoSigned, Assessment.CoSignatureWithdrawn):
        organisation_id, at, actor = (
            str(event.organisation_id),
            text(event.timestamp),
            str(event.actor_id),
        )
        signed = isinstance(event, Assessment.CoSigned)
        for index, row in enumerate(rows):
            if row.organisation_id == organisation_id and row.status == "active":
                rows[index] = dataclasses.replace(
                    row,
                    status="superseded" if signed else "withdrawn",
                    ended_at=at,
                    ended_by=actor,
                    end_reason=None if signed else event.reason,
                )
        if signed:
            rows.append(
                CoSignatureRow(
                    assessment_id=assessment_id,
                    log_position=position,
                    organisation_id=organisation_id,
                    revision=event.revision,
                    signed_by=actor,
                    signed_at=at,
                    status="active",
                    ended_at=None,
                    ended_by=None,
                    end_reason=None,
                )
            )
    return rows
