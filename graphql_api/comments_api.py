"""Comments: posted, edited as new versions, retracted by their author, hidden by moderation."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.application import Outcome
from domain.values import SubjectKind
from graphql_api.commands import council, perform, uid
from graphql_api.context import Info
from graphql_api.errors import Conflict, Invalid, NotAllowed, NotFound, ProblemType, WrongState
from graphql_api.types import described
from graphql_api.types.comments import Comment, visible_comment


@strawberry.type
class CommentPayload:
    log_position: int
    comment: Comment | None


CommentResult = Annotated[
    CommentPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("CommentResult"),
]


async def _result(info: Info, done: Outcome | ProblemType) -> CommentResult:
    if not isinstance(done, Outcome):
        return done
    return CommentPayload(
        log_position=done.log_position, comment=await visible_comment(info, str(done.id))
    )


@strawberry.type
class CommentMutation:
    @described.mutation("A comment, optionally on one revision and a quoted passage.")
    async def post_comment(
        self,
        info: Info,
        subject_kind: SubjectKind,
        subject_id: strawberry.ID,
        text: str,
        subject_revision: int | None = None,
        quote: str = "",
        parent_id: strawberry.ID | None = None,
    ) -> CommentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).post_comment(
                    actor,
                    subject_kind=subject_kind,
                    subject_id=uid(subject_id, "subjectId"),
                    text=text,
                    subject_revision=subject_revision,
                    quote=quote,
                    parent_id=uid(parent_id, "parentId") if parent_id is not None else None,
                ),
            ),
        )

    @described.mutation("A new version of your comment; the old one is kept.")
    async def edit_comment(
        self, info: Info, comment_id: strawberry.ID, expected_revision: int, text: str
    ) -> CommentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).edit_comment(
                    actor,
                    uid(comment_id, "commentId"),
                    expected_revision=expected_revision,
                    text=text,
                ),
            ),
        )

    @described.mutation("The author retracts the version they saw; the trace stays.")
    async def retract_comment(
        self, info: Info, comment_id: strawberry.ID, expected_revision: int, reason: str = ""
    ) -> CommentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).retract_comment(
                    actor,
                    uid(comment_id, "commentId"),
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )

    @described.mutation("Moderation by the secretariat; the trace stays.")
    async def hide_comment(
        self, info: Info, comment_id: strawberry.ID, expected_revision: int, reason: str
    ) -> CommentResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).hide_comment(
                    actor,
                    uid(comment_id, "commentId"),
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )
