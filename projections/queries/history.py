"""The history as a person reads it: pages and live follow-ups in a viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from projections.queries.paging import Scope, placeholders
from projections.queries.store import ReadStore


@dataclass(frozen=True, slots=True)
class HistoryRow:
    log_position: int
    subject_id: str
    subject_kind: str
    round_id: str | None
    recommendation_id: str | None
    event_type: str
    summary: str
    actor_id: str
    organisation_id: str | None
    revision: int | None
    at: str


@dataclass(frozen=True, slots=True)
class SubjectRow:
    subject_id: str
    kind: str
    label: str
    visibility: str
    owner_id: str | None
    round_id: str | None
    recommendation_id: str | None


def history_after(
    store: ReadStore,
    scope: Scope,
    *,
    after: int,
    limit: int,
    subject_id: str | None = None,
    round_id: str | None = None,
) -> list[HistoryRow]:
    """Rows after log position ``after`` that the scope sees, in log order (at most ``limit``)."""
    condition, params = scope.sql("s.visibility", "s.owner_id")
    where = ["h.log_position > ?", condition]
    params.insert(0, after)
    if subject_id is not None:
        where.append("h.subject_id = ?")
        params.append(subject_id)
    if round_id is not None:
        where.append("h.round_id = ?")
        params.append(round_id)
    with store.read() as cur:
        cur.execute(
            "SELECT h.log_position, h.subject_id, h.subject_kind, h.round_id,"
            " h.recommendation_id, h.event_type, h.summary, h.actor_id, h.organisation_id,"
            " h.revision, h.at FROM history h"
            " JOIN history_subjects s ON s.subject_id = h.subject_id"
            f" WHERE {' AND '.join(where)} ORDER BY h.log_position LIMIT ?",
            (*params, limit),
        )
        return [HistoryRow(*raw) for raw in cur.fetchall()]


def subjects_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, SubjectRow]:
    with store.read() as cur:
        cur.execute(
            "SELECT subject_id, kind, label, visibility, owner_id, round_id, recommendation_id"
            f" FROM history_subjects WHERE subject_id IN ({placeholders(ids)})",
            list(ids),
        )
        return {row.subject_id: row for row in (SubjectRow(*raw) for raw in cur.fetchall())}


def projected_position(store: ReadStore, projection: str) -> int:
    """How far one projection has applied the log."""
    with store.read() as cur:
        cur.execute("SELECT position FROM projection_tracking WHERE projection = ?", (projection,))
        row = cur.fetchone()
        return int(row[0]) if row else 0


def projection_positions(store: ReadStore) -> tuple[tuple[str, int], ...]:
    """How far every projection has got: any write the read models show changes it."""
    with store.read() as cur:
        cur.execute("SELECT projection, position FROM projection_tracking ORDER BY projection")
        return tuple((str(name), int(position)) for name, position in cur.fetchall())
