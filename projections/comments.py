"""Comments, threaded, with every version of their text; retraction and moderation keep the trace."""

from __future__ import annotations

from domain.comment import Comment, CommentState
from projections.base import Projection, handles, opt, ts, update_row
from projections.db import Cursor


class CommentsProjection(Projection):
    name = "comments"
    tables = ("comments", "comment_versions")

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS comments ("
            " id TEXT PRIMARY KEY, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL,"
            " subject_revision INTEGER, quote TEXT NOT NULL, parent_id TEXT,"
            " organisation_id TEXT NOT NULL, author_id TEXT NOT NULL, state TEXT NOT NULL,"
            " text TEXT NOT NULL, revision INTEGER NOT NULL, moderation_reason TEXT NOT NULL,"
            " posted_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL,"
            " log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS comments_subject ON comments (subject_id, posted_at)",
            "CREATE TABLE IF NOT EXISTS comment_versions ("
            " comment_id TEXT NOT NULL, revision INTEGER NOT NULL, text TEXT NOT NULL,"
            " at TEXT NOT NULL, PRIMARY KEY (comment_id, revision))",
        ]

    @handles(Comment.Posted)
    def posted(self, cur: Cursor, event: Comment.Posted, position: int) -> None:
        at = ts(event.timestamp)
        comment_id = str(event.originator_id)
        cur.execute(
            "INSERT INTO comments (id, subject_kind, subject_id, subject_revision, quote, parent_id,"
            " organisation_id, author_id, state, text, revision, moderation_reason, posted_at,"
            " updated_at, version, log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                comment_id,
                event.subject_kind.value,
                str(event.subject_id),
                event.subject_revision,
                event.quote,
                opt(event.parent_id),
                str(event.organisation_id),
                str(event.actor_id),
                CommentState.VISIBLE.value,
                event.text,
                1,
                "",
                at,
                at,
                event.originator_version,
                position,
            ),
        )
        cur.execute(
            "INSERT INTO comment_versions (comment_id, revision, text, at) VALUES (?, ?, ?, ?)",
            (comment_id, 1, event.text, at),
        )

    @handles(Comment.Edited)
    def edited(self, cur: Cursor, event: Comment.Edited, position: int) -> None:
        update_row(cur, "comments", event, position, text=event.text, revision=event.version)
        cur.execute(
            "INSERT INTO comment_versions (comment_id, revision, text, at) VALUES (?, ?, ?, ?)",
            (str(event.originator_id), event.version, event.text, ts(event.timestamp)),
        )

    @handles(Comment.Retracted)
    def retracted(self, cur: Cursor, event: Comment.Retracted, position: int) -> None:
        update_row(cur, "comments", event, position, state=CommentState.RETRACTED.value)

    @handles(Comment.Hidden)
    def hidden(self, cur: Cursor, event: Comment.Hidden, position: int) -> None:
        update_row(
            cur,
            "comments",
            event,
            position,
            state=CommentState.HIDDEN.value,
            moderation_reason=event.reason,
        )
