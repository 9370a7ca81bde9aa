"""Comments: threaded, versioned; retracted or hidden text stays readable for auditors only."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from datetime import datetime

import strawberry

from domain.comment import CommentState
from domain.values import SubjectKind
from graphql_api.context import Info
from graphql_api.loaders import now_or_later
from graphql_api.types import described
from graphql_api.types.people import Member, Organisation, member, organisation
from projections.queries.comments import CommentRow


@strawberry.type
class CommentVersion:
    revision: int
    text: str | None
    at: datetime


@strawberry.type(description="A remark on a recommendation, assessment or joint position.")
class Comment:
    id: strawberry.ID
    subject_kind: SubjectKind
    subject_id: strawberry.ID
    subject_revision: int | None
    quote: str
    state: CommentState
    revision: int
    moderation_reason: str
    posted_at: datetime
    updated_at: datetime
    log_position: int
    row: strawberry.Private[CommentRow]

    @classmethod
    def from_row(cls, row: CommentRow) -> Comment:
        return cls(
            id=strawberry.ID(row.id),
            subject_kind=SubjectKind(row.subject_kind),
            subject_id=strawberry.ID(row.subject_id),
            subject_revision=row.subject_revision,
            quote=row.quote,
            state=CommentState(row.state),
            revision=row.revision,
            moderation_reason=row.moderation_reason,
            posted_at=datetime.fromisoformat(row.posted_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            log_position=row.log_position,
            row=row,
        )

    def _readable(self, info: Info) -> bool:
        return self.state is CommentState.VISIBLE or info.context.viewer.sees_hidden_text()

    @described.field("Null once retracted or hidden, except for auditors.")
    def text(self, info: Info) -> str | None:
        return self.row.text if self._readable(info) else None

    @strawberry.field
    async def versions(self, info: Info) -> list[CommentVersion]:
        readable = self._readable(info)
        rows = await info.context.loaders.comment_versions.load(self.row.id)
        return [
            CommentVersion(
                revision=v.revision,
                text=v.text if readable else None,
                at=datetime.fromisoformat(v.at),
            )
            for v in rows
        ]

    @strawberry.field
    async def author(self, info: Info) -> Member | None:
        return await member(info, self.row.author_id)

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        return await organisation(info, self.row.organisation_id)

    @strawberry.field
    async def parent(self, info: Info) -> Comment | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.comments.load(self.row.parent_id)
        return Comment.from_row(row) if row is not None else None


async def comments_on(info: Info, subject_id: str, *, as_of: int | None = None) -> list[Comment]:
    """The comments on a subject the viewer already sees (never shown to the public); as of a
    log position, those posted by then."""
    if not info.context.viewer.sees_members():
        return []
    rows = await info.context.loaders.comments_by_subject.load(subject_id)
    if as_of is not None:
        born = await info.context.loaders.born_by.load_many([(row.id, as_of) for row in rows])
        rows = [row for row, posted in zip(rows, born, strict=True) if posted]
    return [Comment.from_row(row) for row in rows]


def comment_count_now(
    info: Info, subject_id: str, *, as_of: int | None = None
) -> int | Awaitable[int | None] | None:
    """How many comments a subject has (had, as of a log position), where comments are shown
    to the viewer."""
    if not info.context.viewer.sees_members():
        return None
    if as_of is not None:
        return _count_as_of(info, subject_id, as_of)
    return now_or_later(info.context.loaders.comment_counts, subject_id, int)


async def _count_as_of(info: Info, subject_id: str, as_of: int) -> int | None:
    return len(await comments_on(info, subject_id, as_of=as_of))


async def comment_count(info: Info, subject_id: str, *, as_of: int | None = None) -> int | None:
    found = comment_count_now(info, subject_id, as_of=as_of)
    return await found if inspect.isawaitable(found) else found


async def visible_comment(info: Info, comment_id: str) -> Comment | None:
    """A comment by id, if the viewer sees its subject."""
    row = await info.context.loaders.comments.load(comment_id)
    if row is None or not info.context.viewer.sees_members():
        return None
    subject = await info.context.loaders.subjects.load(row.subject_id)
    if subject is None or not info.context.viewer.sees(subject.visibility, subject.owner_id):
        return None
    return Comment.from_row(row)
