"""Comments by subject, by id, their versions, and how many each subject has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from projections.queries.paging import placeholders
from projections.queries.store import ReadStore

COLUMNS = (
    "id, subject_kind, subject_id, subject_revision, quote, parent_id, organisation_id,"
    " author_id, state, text, revision, moderation_reason, posted_at, updated_at, log_position"
)


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: str
    subject_kind: str
    subject_id: str
    subject_revision: int | None
    quote: str
    parent_id: str | None
    organisation_id: str
    author_id: str
    state: str
    text: str
    revision: int
    moderation_reason: str
    posted_at: str
    updated_at: str
    log_position: int


@dataclass(frozen=True, slots=True)
class CommentVersionRow:
    comment_id: str
    revision: int
    text: str
    at: str


def comments_by_subject(store: ReadStore, ids: Sequence[str]) -> dict[str, list[CommentRow]]:
    result: dict[str, list[CommentRow]] = {key: [] for key in ids}
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM comments WHERE subject_id IN ({placeholders(ids)})"
            " ORDER BY subject_id, posted_at, id",
            list(ids),
        )
        for raw in cur.fetchall():
            row = CommentRow(*raw)
            result[row.subject_id].append(row)
    return result


def comments_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, CommentRow]:
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM comments WHERE id IN ({placeholders(ids)})",
            list(ids),
        )
        return {row.id: row for row in (CommentRow(*raw) for raw in cur.fetchall())}


def comment_versions(store: ReadStore, ids: Sequence[str]) -> dict[str, list[CommentVersionRow]]:
    result: dict[str, list[CommentVersionRow]] = {key: [] for key in ids}
    with store.read() as cur:
        cur.execute(
            "SELECT comment_id, revision, text, at FROM comment_versions"
            f" WHERE comment_id IN ({placeholders(ids)}) ORDER BY comment_id, revision",
            list(ids),
        )
        for raw in cur.fetchall():
            row = CommentVersionRow(*raw)
            result[row.comment_id].append(row)
    return result


def comment_counts(store: ReadStore, subject_ids: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(subject_ids, 0)
    with store.read() as cur:
        cur.execute(
            "SELECT subject_id, COUNT(*) FROM comments"
            f" WHERE subject_id IN ({placeholders(subject_ids)}) GROUP BY subject_id",
            list(subject_ids),
        )
        for subject_id, count in cur.fetchall():
            counts[subject_id] = int(count)
    return counts
