"""Comments: threaded remarks on a recommendation, assessment or joint position.

Edits are new versions; retraction and moderation hide the text but keep the trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import Conflict, WrongState
from domain.values import SubjectKind


class CommentState(Enum):
    VISIBLE = "visible"
    RETRACTED = "retracted"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class CommentVersion:
    number: int
    text: str
    at: datetime


class Comment(Aggregate):
    class Posted(Aggregate.Created):
        actor_id: UUID
        organisation_id: UUID
        subject_kind: SubjectKind
        subject_id: UUID
        subject_revision: int | None
        quote: str
        parent_id: UUID | None
        text: str

        def apply(self, aggregate: Comment) -> None:
            aggregate.author_id = self.actor_id
            aggregate.organisation_id = self.organisation_id
            aggregate.subject_kind = self.subject_kind
            aggregate.subject_id = self.subject_id
            aggregate.subject_revision = self.subject_revision
            aggregate.quote = self.quote
            aggregate.parent_id = self.parent_id
            aggregate.versions.append(CommentVersion(1, self.text, self.timestamp))

    class Edited(Aggregate.Event):
        actor_id: UUID
        version: int
        text: str

        def apply(self, aggregate: Comment) -> None:
            aggregate.versions.append(CommentVersion(self.version, self.text, self.timestamp))

    class Retracted(Aggregate.Event):
        actor_id: UUID
        reason: str

        def apply(self, aggregate: Comment) -> None:
            aggregate.state = CommentState.RETRACTED

    class Hidden(Aggregate.Event):
        actor_id: UUID
        reason: str

        def apply(self, aggregate: Comment) -> None:
            aggregate.state = CommentState.HIDDEN
            aggregate.moderation_reason = self.reason

    def __init__(self) -> None:
        self.author_id = UUID(int=0)
        self.organisation_id = UUID(int=0)
        self.subject_kind = SubjectKind.RECOMMENDATION
        self.subject_id = UUID(int=0)
        self.subject_revision: int | None = None
        self.quote = ""
        self.parent_id: UUID | None = None
        self.versions: list[CommentVersion] = []
        self.state = CommentState.VISIBLE
        self.moderation_reason = ""

    @classmethod
    def post(
        cls,
        *,
        id: UUID,
        organisation_id: UUID,
        subject_kind: SubjectKind,
        subject_id: UUID,
        subject_revision: int | None,
        quote: str,
        parent_id: UUID | None,
        text: str,
        actor_id: UUID,
        at: datetime,
    ) -> Comment:
        return cls._create(
            cls.Posted,
            id=id,
            actor_id=actor_id,
            organisation_id=organisation_id,
            subject_kind=subject_kind,
            subject_id=subject_id,
            subject_revision=subject_revision,
            quote=quote,
            parent_id=parent_id,
            text=text,
            timestamp=at,
        )

    @property
    def revision(self) -> int:
        return self.versions[-1].number

    @property
    def text(self) -> str:
        return self.versions[-1].text

    def check_revision(self, expected: int) -> None:
        if expected != self.revision:
            raise Conflict(
                f"the comment is at version {self.revision}, not {expected}",
                current_revision=self.revision,
            )

    def edit(self, *, expected_revision: int, text: str, actor_id: UUID, at: datetime) -> None:
        self._ensure_visible()
        self.check_revision(expected_revision)
        self.trigger_event(
            self.Edited, actor_id=actor_id, version=self.revision + 1, text=text, timestamp=at
        )

    def retract(self, *, expected_revision: int, reason: str, actor_id: UUID, at: datetime) -> None:
        self._ensure_visible()
        self.check_revision(expected_revision)
        self.trigger_event(self.Retracted, actor_id=actor_id, reason=reason, timestamp=at)

    def hide(self, *, expected_revision: int, reason: str, actor_id: UUID, at: datetime) -> None:
        """Moderation of the version the moderator read; a later edit is a Conflict."""
        self._ensure_visible()
        self.check_revision(expected_revision)
        self.trigger_event(self.Hidden, actor_id=actor_id, reason=reason, timestamp=at)

    def _ensure_visible(self) -> None:
        if self.state is not CommentState.VISIBLE:
            raise WrongState(f"the comment is {self.state.value}", state=self.state.value)
