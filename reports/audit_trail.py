"""The data of an audit trail: every event about a subject, with its actor, time, log position and
the hash of the stored event as a leaf of the audit tree.

"About" a recommendation or a round includes the events of its assessments, joint positions and
comments. The trail lists what happened, not what was written: no rating, text or statement is in
it, so it can be given to the secretariat and auditors alike. Each leaf hash can be proved to be in
a signed checkpoint with `council audit prove --log-position P`.
"""

from __future__ import annotations

from typing import Any

from domain.errors import NotFound
from projections.queries.catalogue import recommendations_by_ids
from projections.queries.directory import rounds_by_ids
from projections.queries.history import SubjectRow, subjects_by_ids
from projections.queries.reports import Subjects, audit_leaves_at, history_about
from projections.queries.store import ReadStore
from reports.kinds import ReportSpec
from reports.names import Names


def audit_trail_data(
    source: ReadStore, live: ReadStore, spec: ReportSpec, log_position: int
) -> dict[str, Any]:
    """``source``: the read models at ``log_position``; ``live``: the audit tree's leaves."""
    subject_id = spec.subject_id
    subject = subjects_by_ids(source, [subject_id]).get(subject_id)
    if subject is None:
        raise NotFound(
            f"nothing with id {subject_id} is in the record at this log position",
            kind="subject",
            id=subject_id,
        )
    about = Subjects(
        subject_ids=(subject_id,),
        recommendation_ids=(subject_id,) if subject.kind == "recommendation" else (),
        round_ids=(subject_id,) if subject.kind == "round" else (),
    )
    rows = history_about(source, about, after=0, until=log_position)
    leaves = audit_leaves_at(live, [row.log_position for row in rows])
    subjects = subjects_by_ids(source, sorted({row.subject_id for row in rows} | {subject_id}))
    names = Names(source)
    names.load_members(row.actor_id for row in rows)
    labels = _Labels(source, subjects, names)
    events = []
    for row in rows:
        leaf = leaves.get(row.log_position)
        events.append(
            {
                "log_position": row.log_position,
                "at": row.at,
                "event_type": row.event_type,
                "subject": labels.subject(row.subject_id),
                "revision": row.revision,
                "by": names.actor(row.actor_id),
                "leaf": None
                if leaf is None
                else {"index": leaf.leaf_index, "hash": leaf.leaf_hash},
            }
        )
    return {"subject": labels.subject(subject_id), "events": events}


class _Labels:
    """What each subject is, in words any language can print: kind, symbol, owner, round."""

    def __init__(self, source: ReadStore, subjects: dict[str, SubjectRow], names: Names) -> None:
        self.subjects = subjects
        self.names = names
        rec_ids = sorted({s.recommendation_id for s in subjects.values() if s.recommendation_id})
        round_ids = sorted({s.round_id for s in subjects.values() if s.round_id})
        self.recommendations = recommendations_by_ids(source, rec_ids) if rec_ids else {}
        self.rounds = rounds_by_ids(source, round_ids) if round_ids else {}

    def subject(self, subject_id: str) -> dict[str, Any]:
        row = self.subjects.get(subject_id)
        if row is None:
            return {"id": subject_id, "kind": "unknown"}
        label: dict[str, Any] = {"id": subject_id, "kind": row.kind}
        rec = self.recommendations.get(row.recommendation_id or "")
        if rec is not None:
            label["recommendation"] = f"{rec.document_symbol} ¶{rec.paragraph}"
        round_row = self.rounds.get(row.round_id or "")
        if round_row is not None and row.kind != "assessment":
            label["round"] = round_row.title
        if row.owner_id:
            label["organisation"] = self.names.organisation(row.owner_id)
        elif row.kind == "organisation":
            label["organisation"] = self.names.organisation(subject_id)
        return label
