"""A joint position as of a moment: its text then, revisions, amendments and their fate,
endorsements and dissents, adoptions, and whether (and what) it had published."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.joint_position import JointPosition
from domain.rules import position_visibility
from projections.queries.as_of.timeline import EventSource, Timeline, text, timeline_at
from projections.queries.joint_positions import (
    AdoptionRow,
    AmendmentRow,
    JointPositionRow,
    PositionRevisionRow,
    StanceRow,
)

REVISING = (JointPosition.Drafted, JointPosition.Revised, JointPosition.AmendmentAccepted)
DECIDING = (JointPosition.AmendmentAccepted, JointPosition.AmendmentRejected)


@dataclass(frozen=True)
class PositionSnapshot:
    as_of: int
    row: JointPositionRow
    revisions: list[PositionRevisionRow]
    amendments: list[AmendmentRow]
    stances: list[StanceRow]
    adoptions: list[AdoptionRow]


def joint_position_at(
    source: EventSource, position_id: UUID, log_position: int
) -> PositionSnapshot | None:
    found = timeline_at(source, JointPosition, position_id, log_position)
    return snapshot(found) if found is not None else None


def snapshot(timeline: Timeline[JointPosition]) -> PositionSnapshot:
    p = timeline.aggregate
    published = next((r for r in p.revisions if r.number == p.published_revision), None)
    row = JointPositionRow(
        id=str(p.id),
        round_id=str(p.round_id),
        recommendation_id=str(p.recommendation_id),
        state=text(p.state),
        visibility=position_visibility(p.state, ever_published=published is not None).value,
        cycle=p.cycle,
        revision=p.revision,
        text=p.current.text,
        proposed_status=text(p.current.proposed_status),
        based_on=[{str(k): text(v) for k, v in item.items()} for item in p.based_on],
        adopted_revision=p.adoption.revision if p.adoption else None,
        published_revision=p.published_revision,
        published_text=published.text if published else None,
        drafted_by=str(p.revisions[0].author_id),
        drafted_at=text(p.created_on),
        updated_at=text(p.modified_on),
        version=p.version,
        log_position=timeline.log_position,
    )
    return PositionSnapshot(
        timeline.as_of,
        row,
        _revisions(timeline),
        _amendments(timeline),
        _stances(timeline),
        _adoptions(timeline),
    )


def _revisions(timeline: Timeline[JointPosition]) -> list[PositionRevisionRow]:
    made = timeline.of(*REVISING)
    return [
        PositionRevisionRow(
            position_id=str(timeline.aggregate.id),
            revision=revision.number,
            cycle=revision.cycle,
            text=revision.text,
            proposed_status=text(revision.proposed_status),
            note=revision.note,
            author_id=str(revision.author_id),
            amendment_id=text(revision.amendment_id),
            at=text(revision.at),
            log_position=recorded.log_position,
        )
        for revision, recorded in zip(timeline.aggregate.revisions, made, strict=True)
    ]


def _amendments(timeline: Timeline[JointPosition]) -> list[AmendmentRow]:
    """Each amendment with its fate then; its log position is that of its last event."""
    last = {r.event.amendment_id: r for r in timeline.of(JointPosition.AmendmentProposed)}
    last |= {r.event.amendment_id: r for r in timeline.of(*DECIDING)}
    rows = []
    for amendment in timeline.aggregate.amendments.values():
        recorded = last[amendment.id]
        decided = isinstance(recorded.event, DECIDING)
        rows.append(
            AmendmentRow(
                id=str(amendment.id),
                position_id=str(timeline.aggregate.id),
                organisation_id=str(amendment.organisation_id),
                proposed_by=str(amendment.proposed_by),
                revision=amendment.revision,
                text=amendment.text,
                rationale=amendment.rationale,
                state=text(amendment.state),
                decided_by=text(amendment.decided_by),
                decision_reason=amendment.decision_reason if decided else None,
                resulting_revision=amendment.resulting_revision,
                proposed_at=text(amendment.at),
                decided_at=text(recorded.event.timestamp) if decided else None,
                log_position=recorded.log_position,
            )
        )
    return sorted(rows, key=lambda row: (row.proposed_at, row.id))


def _stances(timeline: Timeline[JointPosition]) -> list[StanceRow]:
    p = timeline.aggregate
    taken = [
        ("endorsement", stance, recorded)
        for stance, recorded in zip(
            p.endorsements, timeline.of(JointPosition.Endorsed), strict=True
        )
    ] + [
        ("dissent", stance, recorded)
        for stance, recorded in zip(
            p.dissents, timeline.of(JointPosition.DissentRecorded), strict=True
        )
    ]
    rows = [
        StanceRow(
            position_id=str(p.id),
            log_position=recorded.log_position,
            kind=kind,
            organisation_id=str(stance.organisation_id),
            member_id=str(stance.member_id),
            revision=stance.revision,
            statement=stance.statement,
            at=text(stance.at),
        )
        for kind, stance, recorded in taken
    ]
    return sorted(rows, key=lambda row: row.log_position)


def _adoptions(timeline: Timeline[JointPosition]) -> list[AdoptionRow]:
    p = timeline.aggregate
    return [
        AdoptionRow(
            position_id=str(p.id),
            log_position=recorded.log_position,
            revision=adoption.revision,
            cycle=adoption.cycle,
            session=adoption.session,
            adopted_on=text(adoption.adopted_on),
            method=text(adoption.method),
            votes_for=adoption.votes_for,
            votes_against=adoption.votes_against,
            abstentions=adoption.abstentions,
            divergent_views=adoption.divergent_views,
            actor_id=str(adoption.actor_id),
            at=text(adoption.at),
        )
        for adoption, recorded in zip(p.adoptions, timeline.of(JointPosition.Adopted), strict=True)
    ]
