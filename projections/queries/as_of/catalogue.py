"""A recommendation as of a moment: its catalogue entry then, and its official status and basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.recommendation import Recommendation
from projections.catalogue import sort_key
from projections.queries.as_of.timeline import EventSource, Timeline, text, timeline_at
from projections.queries.catalogue import RecommendationRow, StatusChangeRow


@dataclass(frozen=True)
class RecommendationSnapshot:
    as_of: int
    row: RecommendationRow
    timeline: list[StatusChangeRow]


def recommendation_at(
    source: EventSource, recommendation_id: UUID, log_position: int
) -> RecommendationSnapshot | None:
    found = timeline_at(source, Recommendation, recommendation_id, log_position)
    return snapshot(found) if found is not None else None


def snapshot(timeline: Timeline[Recommendation]) -> RecommendationSnapshot:
    r = timeline.aggregate
    entry = r.entry
    changes = _status_changes(timeline)
    catalogued = timeline.of(Recommendation.Recorded, Recommendation.Updated)
    row = RecommendationRow(
        id=str(r.id),
        mechanism=entry.mechanism,
        cycle=entry.cycle,
        session=entry.session,
        document_symbol=entry.document_symbol,
        paragraph=entry.paragraph,
        text=entry.text,
        recommending_states=list(entry.recommending_states),
        themes=list(entry.themes),
        affected_persons=list(entry.affected_persons),
        sdgs=list(entry.sdgs),
        state_response=text(entry.state_response),
        document_date=entry.document_date,
        kind=entry.kind,
        source=catalogued[-1].event.source,
        status=text(r.status),
        status_basis=_basis(changes[-1]) if changes else None,
        responsible_body_ids=[str(body) for body in r.responsible_body_ids],
        version=r.version,
        recorded_at=text(r.created_on),
        updated_at=text(r.modified_on),
        log_position=timeline.log_position,
        sort_key=sort_key(entry.document_symbol, entry.paragraph),
    )
    return RecommendationSnapshot(timeline.as_of, row, changes)


def _status_changes(timeline: Timeline[Recommendation]) -> list[StatusChangeRow]:
    r = timeline.aggregate
    return [
        StatusChangeRow(
            recommendation_id=str(r.id),
            log_position=recorded.log_position,
            status=text(change.status),
            basis=text(change.basis),
            joint_position_id=text(change.joint_position_id),
            position_revision=change.position_revision,
            reason=change.reason,
            actor_id=str(change.actor_id),
            at=text(change.at),
        )
        for change, recorded in zip(
            r.status_history, timeline.of(Recommendation.StatusChanged), strict=True
        )
    ]


def _basis(change: StatusChangeRow) -> dict[str, Any]:
    return {
        "basis": change.basis,
        "joint_position_id": change.joint_position_id,
        "position_revision": change.position_revision,
        "reason": change.reason,
        "log_position": change.log_position,
    }
