"""Comments, threaded, with every version of their text; retraction and moderation keep the trace."""

from __future__ import annotations

from domain.comment import Comment, CommentState
from projections.base import Appends, BufferedProjection, Rows, handles, opt, ts, uid
from projections.db import Cursor, Engine


class CommentsProjection(BufferedProjection):
    name = "comments"
    rebuild_cost = 0.7
    tables = ("comments", "comment_versions")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.rows = Rows("comments", "id")
        self.versions = Appends("comment_versions", "comment_id", "revision", "text", "at")
        self.buffers = [self.rows, self.versions]

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
        comment_id = uid(event.originator_id)
        self.rows.insert(
            id=comment_id,
            subject_kind=event.subject_kind.value,
            subject_id=uid(event.subject_id),
            subject_revision=event.subject_revision,
            quote=event.quote,
            parent_id=opt(event.parent_id),
            organisation_id=uid(event.organisation_id),
            author_id=uid(event.actor_id),
            state=CommentState.VISIBLE.value,
            text=event.text,
            revision=1,
            moderation_reason="",
            posted_at=at,
            updated_at=at,
            version=event.originator_version,
            log_position=position,
        )
        self.versions.add(comment_id, 1, event.text, at)

    @handles(Comment.Edited)
    def edited(self, cur: Cursor, event: Comment.Edited, position: int) -> None:
        self.rows.touch(event, position, text=event.text, revision=event.version)
        self.versions.add(uid(event.originator_id), event.version, event.text, ts(event.timestamp))

    @handles(Comment.Retracted)
    def retracted(self, cur: Cursor, event: Comment.Retracted, position: int) -> None:
        self.rows.touch(event, position, state=CommentState.RETRACTED.value)

    @handles(Comment.Hidden)
    def hidden(self, cur: Cursor, event: Comment.Hidden, position: int) -> None:
        self.rows.touch(
            event,
            position,
            state=CommentState.HIDDEN.value,
            moderation_reason=event.reason,
        )
