"""Assessments: one organisation's rating of one recommendation in a round, revised and co-signed.

A co-signature binds an organisation to one exact revision. A later revision leaves earlier
signatures attached to the revision they were given on, until the organisation signs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import Conflict, NotAllowed, WrongState
from domain.values import AssessmentState, ImplementationStatus, Track


@dataclass(frozen=True)
class AssessmentRevision:
    number: int
    rating: ImplementationStatus
    narrative: str
    evidence: list[dict[str, str]]
    author_id: UUID
    at: datetime


@dataclass(frozen=True)
class CoSignature:
    organisation_id: UUID
    signed_by: UUID
    revision: int
    at: datetime


class Assessment(Aggregate):
    class Proposed(Aggregate.Created):
        actor_id: UUID
        organisation_id: UUID
        round_id: UUID
        recommendation_id: UUID
        track: Track
        rating: ImplementationStatus
        narrative: str
        evidence: list[dict[str, str]]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.organisation_id = self.organisation_id
            aggregate.round_id = self.round_id
            aggregate.recommendation_id = self.recommendation_id
            aggregate.track = self.track
            aggregate.revisions.append(
                AssessmentRevision(
                    1,
                    self.rating,
                    self.narrative,
                    list(self.evidence),
                    self.actor_id,
                    self.timestamp,
                )
            )

    class Revised(Aggregate.Event):
        actor_id: UUID
        revision: int
        rating: ImplementationStatus
        narrative: str
        evidence: list[dict[str, str]]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.revisions.append(
                AssessmentRevision(
                    self.revision,
                    self.rating,
                    self.narrative,
                    list(self.evidence),
                    self.actor_id,
                    self.timestamp,
                )
            )

    class OpenedForSignature(Aggregate.Event):
        actor_id: UUID
        revision: int

        def apply(self, aggregate: Assessment) -> None:
            aggregate.state = AssessmentState.OPEN_FOR_SIGNATURE

    class CoSigned(Aggregate.Event):
        actor_id: UUID
        organisation_id: UUID
        revision: int

        def apply(self, aggregate: Assessment) -> None:
            aggregate.signatures[self.organisation_id] = CoSignature(
                self.organisation_id, self.actor_id, self.revision, self.timestamp
            )

    class CoSignatureWithdrawn(Aggregate.Event):
        actor_id: UUID
        organisation_id: UUID
        revision: int
        reason: str

        def apply(self, aggregate: Assessment) -> None:
            aggregate.signatures.pop(self.organisation_id, None)

    class Submitted(Aggregate.Event):
        actor_id: UUID
        revision: int
        co_signatories: list[UUID]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.state = AssessmentState.SUBMITTED
            aggregate.submitted_revision = self.revision

    class Withdrawn(Aggregate.Event):
        actor_id: UUID
        revision: int
        reason: str

        def apply(self, aggregate: Assessment) -> None:
            aggregate.state = AssessmentState.WITHDRAWN

    def __init__(self) -> None:
        self.organisation_id = UUID(int=0)
        self.round_id = UUID(int=0)
        self.recommendation_id = UUID(int=0)
        self.track = Track.CIVIL_SOCIETY
        self.state = AssessmentState.DRAFT
        self.revisions: list[AssessmentRevision] = []
        self.signatures: dict[UUID, CoSignature] = {}
        self.submitted_revision: int | None = None

    @classmethod
    def propose(
        cls,
        *,
        id: UUID,
        organisation_id: UUID,
        round_id: UUID,
        recommendation_id: UUID,
        track: Track,
        rating: ImplementationStatus,
        narrative: str,
        evidence: list[dict[str, str]],
        actor_id: UUID,
        at: datetime,
    ) -> Assessment:
        return cls._create(
            cls.Proposed,
            id=id,
            actor_id=actor_id,
            organisation_id=organisation_id,
            round_id=round_id,
            recommendation_id=recommendation_id,
            track=track,
            rating=rating,
            narrative=narrative,
            evidence=evidence,
            timestamp=at,
        )

    @property
    def revision(self) -> int:
        return self.revisions[-1].number

    @property
    def current(self) -> AssessmentRevision:
        return self.revisions[-1]

    def check_revision(self, expected: int) -> None:
        if expected != self.revision:
            raise Conflict(
                f"the assessment is at revision {self.revision}, not {expected}",
                current_revision=self.revision,
            )

    def revise(
        self,
        *,
        expected_revision: int,
        rating: ImplementationStatus,
        narrative: str,
        evidence: list[dict[str, str]],
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(AssessmentState.DRAFT, AssessmentState.OPEN_FOR_SIGNATURE)
        self.check_revision(expected_revision)
        self.trigger_event(
            self.Revised,
            actor_id=actor_id,
            revision=self.revision + 1,
            rating=rating,
            narrative=narrative,
            evidence=evidence,
            timestamp=at,
        )

    def open_for_signature(self, *, expected_revision: int, actor_id: UUID, at: datetime) -> None:
        self._ensure_state(AssessmentState.DRAFT)
        self.check_revision(expected_revision)
        self.trigger_event(
            self.OpenedForSignature, actor_id=actor_id, revision=self.revision, timestamp=at
        )

    def co_sign(
        self, *, organisation_id: UUID, revision: int, actor_id: UUID, at: datetime
    ) -> bool:
        """Bind ``organisation_id`` to ``revision``; False when it already is (nothing recorded)."""
        self._ensure_state(AssessmentState.OPEN_FOR_SIGNATURE)
        if organisation_id == self.organisation_id:
            raise NotAllowed("an organisation does not co-sign its own assessment")
        self.check_revision(revision)
        existing = self.signatures.get(organisation_id)
        if existing is not None and existing.revision == revision:
            return False
        self.trigger_event(
            self.CoSigned,
            actor_id=actor_id,
            organisation_id=organisation_id,
            revision=revision,
            timestamp=at,
        )
        return True

    def withdraw_co_signature(
        self,
        *,
        organisation_id: UUID,
        expected_revision: int,
        reason: str,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(AssessmentState.OPEN_FOR_SIGNATURE)
        self.check_revision(expected_revision)
        existing = self.signatures.get(organisation_id)
        if existing is None:
            raise WrongState(
                "this organisation has no co-signature on the assessment", state=self.state.value
            )
        self.trigger_event(
            self.CoSignatureWithdrawn,
            actor_id=actor_id,
            organisation_id=organisation_id,
            revision=existing.revision,
            reason=reason,
            timestamp=at,
        )

    def signatures_on(self, revision: int) -> list[CoSignature]:
        return [s for s in self.signatures.values() if s.revision == revision]

    def submit(self, *, expected_revision: int, quorum: int, actor_id: UUID, at: datetime) -> None:
        self._ensure_state(AssessmentState.DRAFT, AssessmentState.OPEN_FOR_SIGNATURE)
        self.check_revision(expected_revision)
        signed = self.signatures_on(self.revision)
        if len(signed) < quorum:
            raise WrongState(
                f"submission needs {quorum} co-signature(s) on revision {self.revision};"
                f" it has {len(signed)}",
                state=self.state.value,
            )
        self.trigger_event(
            self.Submitted,
            actor_id=actor_id,
            revision=self.revision,
            co_signatories=sorted((s.organisation_id for s in signed), key=str),
            timestamp=at,
        )

    def withdraw(
        self, *, expected_revision: int, reason: str, actor_id: UUID, at: datetime
    ) -> None:
        self._ensure_state(
            AssessmentState.DRAFT, AssessmentState.OPEN_FOR_SIGNATURE, AssessmentState.SUBMITTED
        )
        self.check_revision(expected_revision)
        self.trigger_event(
            self.Withdrawn, actor_id=actor_id, revision=self.revision, reason=reason, timestamp=at
        )

    def _ensure_state(self, *allowed: AssessmentState) -> None:
        if self.state not in allowed:
            names = " or ".join(s.value for s in allowed)
            raise WrongState(
                f"the assessment is {self.state.value}; this needs it {names}",
                state=self.state.value,
            )
