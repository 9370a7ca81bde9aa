"""The data of a recommendation dossier: the recommendation, both assessment tracks with every
revision and signature, the Council's joint positions with all that happened to them, and the
official status timeline with its bases.

The Council edition holds what Council participants see: assessments submitted to the Council
(with the revisions and signatures behind them) and joint positions at every stage. The public
edition holds what the public sees: the catalogue entry, the status timeline and what was
published of each joint position.
"""

from __future__ import annotations

from typing import Any

from domain.errors import NotFound
from projections.queries.assessments import (
    AssessmentRow,
    assessments_by_ids,
    co_signatures_by_assessment,
    revisions_by_assessment,
)
from projections.queries.catalogue import (
    RecommendationRow,
    recommendations_by_ids,
    status_timelines,
)
from projections.queries.directory import rounds_by_ids
from projections.queries.joint_positions import (
    JointPositionRow,
    adoptions_by_position,
    amendments_by_position,
    joint_positions_by_ids,
    revisions_by_position,
    stances_by_position,
)
from projections.queries.reports import (
    LifecycleRow,
    assessment_ids,
    joint_position_ids,
    lifecycle_by_subject,
    rounds_of_recommendation,
)
from projections.queries.store import ReadStore
from reports.kinds import Audience, ReportSpec
from reports.names import Names

COUNCIL_VISIBILITIES = frozenset({"council", "members", "public"})


def dossier_data(source: ReadStore, spec: ReportSpec) -> dict[str, Any]:
    recommendation_id = spec.subject_id
    found = recommendations_by_ids(source, [recommendation_id])
    if recommendation_id not in found:
        raise NotFound(
            f"no recommendation with id {recommendation_id} at this log position",
            kind="recommendation",
            id=recommendation_id,
        )
    row = found[recommendation_id]
    public = spec.audience is Audience.PUBLIC
    names = Names(source)
    timeline = status_timelines(source, [recommendation_id])[recommendation_id]
    round_ids = rounds_of_recommendation(source, recommendation_id)
    round_rows = rounds_by_ids(source, round_ids) if round_ids else {}
    position_ids = joint_position_ids(source, recommendation_id=recommendation_id)
    positions = list(joint_positions_by_ids(source, position_ids).values()) if position_ids else []
    assessments: list[AssessmentRow] = []
    if public:
        positions = [p for p in positions if p.visibility == "public"]
    else:
        ids = assessment_ids(source, recommendation_id=recommendation_id)
        found_assessments = assessments_by_ids(source, ids) if ids else {}
        assessments = [
            a for a in found_assessments.values() if a.visibility in COUNCIL_VISIBILITIES
        ]
    positions.sort(key=lambda p: (p.drafted_at, p.id))
    assessments.sort(key=lambda a: (a.track, a.proposed_at, a.id))
    names.load_members(change.actor_id for change in timeline)
    return {
        "audience": spec.audience.value,
        "recommendation": _recommendation(row, names),
        "rounds": [
            {"id": r.id, "title": r.title, "mechanism": r.mechanism, "cycle": r.cycle}
            for r in sorted(round_rows.values(), key=lambda r: (r.opened_at, r.id))
        ],
        "status_timeline": [
            {
                "log_position": change.log_position,
                "status": change.status,
                "basis": change.basis,
                "joint_position_id": change.joint_position_id,
                "position_revision": change.position_revision,
                "reason": change.reason,
                "by": names.actor(change.actor_id, with_member=not public),
                "at": change.at,
            }
            for change in timeline
        ],
        "assessments": _assessments(source, assessments, names),
        "joint_positions": _positions(source, positions, names, public=public),
    }


def _recommendation(row: RecommendationRow, names: Names) -> dict[str, Any]:
    return {
        "id": row.id,
        "mechanism": row.mechanism,
        "cycle": row.cycle,
        "session": row.session,
        "document_symbol": row.document_symbol,
        "paragraph": row.paragraph,
        "text": row.text,
        "recommending_states": row.recommending_states,
        "themes": row.themes,
        "affected_persons": row.affected_persons,
        "sdgs": row.sdgs,
        "state_response": row.state_response,
        "document_date": row.document_date,
        "kind": row.kind,
        "status": row.status,
        "responsible_bodies": [names.organisation(b) for b in row.responsible_body_ids],
        "recorded_at": row.recorded_at,
    }


def _assessments(
    source: ReadStore, rows: list[AssessmentRow], names: Names
) -> list[dict[str, Any]]:
    ids = [a.id for a in rows]
    revisions = revisions_by_assessment(source, ids) if ids else {}
    signatures = co_signatures_by_assessment(source, ids) if ids else {}
    lifecycle = lifecycle_by_subject(source, ids)
    names.load_members(
        [r.author_id for rs in revisions.values() for r in rs]
        + [s.signed_by for ss in signatures.values() for s in ss]
        + [s.ended_by or "" for ss in signatures.values() for s in ss]
        + [e.actor_id for es in lifecycle.values() for e in es]
    )
    result = []
    for a in rows:
        withdrawals = [e for e in lifecycle[a.id] if e.event == "withdrawn"]
        result.append(
            {
                "id": a.id,
                "round_id": a.round_id,
                "track": a.track,
                "organisation": names.organisation(a.organisation_id),
                "state": a.state,
                "revision": a.revision,
                "submitted_revision": a.submitted_revision,
                "proposed_at": a.proposed_at,
                "revisions": [
                    {
                        "revision": r.revision,
                        "rating": r.rating,
                        "narrative": r.narrative,
                        "evidence": r.evidence,
                        "by": names.actor(r.author_id),
                        "at": r.at,
                        "log_position": r.log_position,
                    }
                    for r in revisions[a.id]
                ],
                "co_signatures": [
                    {
                        "organisation": names.organisation(s.organisation_id),
                        "by": names.actor(s.signed_by),
                        "revision": s.revision,
                        "signed_at": s.signed_at,
                        "log_position": s.log_position,
                        "status": s.status,
                        "ended_at": s.ended_at,
                        "ended_by": names.actor(s.ended_by) if s.ended_by else None,
                        "end_reason": s.end_reason,
                    }
                    for s in signatures[a.id]
                ],
                "withdrawal": _event(withdrawals[-1], names, True) if withdrawals else None,
            }
        )
    return result


def _event(row: LifecycleRow, names: Names, with_member: bool) -> dict[str, Any]:
    return {
        "revision": row.revision,
        "cycle": row.cycle,
        "reason": row.reason,
        "by": names.actor(row.actor_id, with_member=with_member),
        "at": row.at,
        "log_position": row.log_position,
    }


def _positions(
    source: ReadStore, rows: list[JointPositionRow], names: Names, *, public: bool
) -> list[dict[str, Any]]:
    ids = [p.id for p in rows]
    if not ids:
        return []
    revisions = revisions_by_position(source, ids)
    amendments = amendments_by_position(source, ids)
    stances = stances_by_position(source, ids)
    adoptions = adoptions_by_position(source, ids)
    lifecycle = lifecycle_by_subject(source, ids)
    names.load_members(
        [r.author_id for rs in revisions.values() for r in rs]
        + [a.proposed_by for a_s in amendments.values() for a in a_s]
        + [a.decided_by or "" for a_s in amendments.values() for a in a_s]
        + [s.member_id for ss in stances.values() for s in ss]
        + [a.actor_id for a_s in adoptions.values() for a in a_s]
        + [e.actor_id for es in lifecycle.values() for e in es]
        + [p.drafted_by for p in rows]
    )
    full = not public
    result = []
    for p in rows:
        item: dict[str, Any] = {
            "id": p.id,
            "round_id": p.round_id,
            "state": p.state,
            "cycle": p.cycle,
            "revision": p.revision if full else p.published_revision,
            "adopted_revision": p.adopted_revision,
            "published_revision": p.published_revision,
            "revisions": [
                {
                    "revision": r.revision,
                    "cycle": r.cycle,
                    "text": r.text,
                    "proposed_status": r.proposed_status,
                    "note": r.note,
                    "amendment_id": r.amendment_id,
                    "by": names.actor(r.author_id, with_member=full),
                    "at": r.at,
                    "log_position": r.log_position,
                }
                for r in revisions[p.id]
                if full or r.revision == p.published_revision
            ],
            "adoptions": [
                {
                    "revision": a.revision,
                    "cycle": a.cycle,
                    "session": a.session,
                    "adopted_on": a.adopted_on,
                    "method": a.method,
                    "votes_for": a.votes_for,
                    "votes_against": a.votes_against,
                    "abstentions": a.abstentions,
                    "divergent_views": a.divergent_views,
                    "by": names.actor(a.actor_id, with_member=full),
                    "at": a.at,
                    "log_position": a.log_position,
                }
                for a in adoptions[p.id]
                if full or a.revision == p.published_revision
            ],
            "publications": [
                _event(e, names, full)
                for e in lifecycle[p.id]
                if e.event == "published" and (full or e.revision == p.published_revision)
            ],
        }
        if full:
            item |= _working_record(p, amendments, stances, lifecycle, names)
        result.append(item)
    return result


def _working_record(
    p: JointPositionRow,
    amendments: dict[str, Any],
    stances: dict[str, Any],
    lifecycle: dict[str, list[LifecycleRow]],
    names: Names,
) -> dict[str, Any]:
    """What Council participants see beyond the published text."""

    def stance(s: Any) -> dict[str, Any]:
        return {
            "organisation": names.organisation(s.organisation_id),
            "by": names.actor(s.member_id),
            "revision": s.revision,
            "statement": s.statement,
            "at": s.at,
            "log_position": s.log_position,
        }

    return {
        "proposed_status": p.proposed_status,
        "drafted_by": names.actor(p.drafted_by),
        "drafted_at": p.drafted_at,
        "based_on": [
            {"assessment_id": b["assessment_id"], "revision": int(b["revision"])}
            for b in p.based_on
        ],
        "amendments": [
            {
                "id": a.id,
                "organisation": names.organisation(a.organisation_id),
                "by": names.actor(a.proposed_by),
                "revision": a.revision,
                "text": a.text,
                "rationale": a.rationale,
                "state": a.state,
                "decided_by": names.actor(a.decided_by) if a.decided_by else None,
                "decision_reason": a.decision_reason,
                "resulting_revision": a.resulting_revision,
                "proposed_at": a.proposed_at,
                "decided_at": a.decided_at,
            }
            for a in amendments[p.id]
        ],
        "endorsements": [stance(s) for s in stances[p.id] if s.kind == "endorsement"],
        "dissents": [stance(s) for s in stances[p.id] if s.kind == "dissent"],
        "reopenings": [_event(e, names, True) for e in lifecycle[p.id] if e.event == "reopened"],
    }
