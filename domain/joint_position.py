"""Joint positions: the Council's text on one recommendation in a round.

Drafted by the secretariat from both tracks; amended, endorsed and dissented from revision by
revision; adopted at a Council session; published; reopened as a new cycle of revisions. The past
is never edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import Conflict, Invalid, NotFound, WrongState
from domain.values import AmendmentState, DecisionMethod, ImplementationStatus, PositionState


@dataclass(frozen=True)
class PositionRevision:
    number: int
    cycle: int
    text: str
    proposed_status: ImplementationStatus
    note: str
    author_id: UUID
    amendment_id: UUID | None
    at: datetime


@dataclass
class Amendment:
    id: UUID
    organisation_id: UUID
    proposed_by: UUID
    revision: int
    text: str
    rationale: str
    at: datetime
    state: AmendmentState = AmendmentState.PROPOSED
    decided_by: UUID | None = None
    decision_reason: str = ""
    resulting_revision: int | None = None


@dataclass(frozen=True)
class Stance:
    """An endorsement or a dissent: an organisation's word on one revision."""

    organisation_id: UUID
    member_id: UUID
    revision: int
    statement: str
    at: datetime


@dataclass(frozen=True)
class Adoption:
    revision: int
    cycle: int
    session: str
    adopted_on: date
    method: DecisionMethod
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    divergent_views: str
    actor_id: UUID
    at: datetime


class JointPosition(Aggregate):
    class Drafted(Aggregate.Created):
        actor_id: UUID
        round_id: UUID
        recommendation_id: UUID
        text: str
        proposed_status: ImplementationStatus
        based_on: list[dict[str, str]]

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.round_id = self.round_id
            aggregate.recommendation_id = self.recommendation_id
            aggregate.based_on = list(self.based_on)
            aggregate.revisions.append(
                PositionRevision(
                    1, 1, self.text, self.proposed_status, "", self.actor_id, None, self.timestamp
                )
            )

    class Revised(Aggregate.Event):
        actor_id: UUID
        revision: int
        text: str
        proposed_status: ImplementationStatus
        note: str

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.revisions.append(
                PositionRevision(
                    self.revision,
                    aggregate.cycle,
                    self.text,
                    self.proposed_status,
                    self.note,
                    self.actor_id,
                    None,
                    self.timestamp,
                )
            )

    class AmendmentProposed(Aggregate.Event):
        actor_id: UUID
        amendment_id: UUID
        organisation_id: UUID
        revision: int
        text: str
        rationale: str

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.amendments[self.amendment_id] = Amendment(
                self.amendment_id,
                self.organisation_id,
                self.actor_id,
                self.revision,
                self.text,
                self.rationale,
                self.timestamp,
            )

    class AmendmentAccepted(Aggregate.Event):
        actor_id: UUID
        amendment_id: UUID
        reason: str
        revision: int

        def apply(self, aggregate: JointPosition) -> None:
            amendment = aggregate.amendments[self.amendment_id]
            amendment.state = AmendmentState.ACCEPTED
            amendment.decided_by = self.actor_id
            amendment.decision_reason = self.reason
            amendment.resulting_revision = self.revision
            previous = aggregate.current
            aggregate.revisions.append(
                PositionRevision(
                    self.revision,
                    aggregate.cycle,
                    amendment.text,
                    previous.proposed_status,
                    f"amendment accepted: {self.reason}" if self.reason else "amendment accepted",
                    self.actor_id,
                    amendment.id,
                    self.timestamp,
                )
            )

    class AmendmentRejected(Aggregate.Event):
        actor_id: UUID
        amendment_id: UUID
        reason: str

        def apply(self, aggregate: JointPosition) -> None:
            amendment = aggregate.amendments[self.amendment_id]
            amendment.state = AmendmentState.REJECTED
            amendment.decided_by = self.actor_id
            amendment.decision_reason = self.reason

    class Endorsed(Aggregate.Event):
        actor_id: UUID
        organisation_id: UUID
        revision: int
        statement: str

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.endorsements.append(
                Stance(
                    self.organisation_id,
                    self.actor_id,
                    self.revision,
                    self.statement,
                    self.timestamp,
                )
            )

    class DissentRecorded(Aggregate.Event):
        actor_id: UUID
        organisation_id: UUID
        revision: int
        statement: str

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.dissents.append(
                Stance(
                    self.organisation_id,
                    self.actor_id,
                    self.revision,
                    self.statement,
                    self.timestamp,
                )
            )

    class Adopted(Aggregate.Event):
        actor_id: UUID
        revision: int
        session: str
        adopted_on: date
        method: DecisionMethod
        votes_for: int | None
        votes_against: int | None
        abstentions: int | None
        divergent_views: str

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.state = PositionState.ADOPTED
            aggregate.adoptions.append(
                Adoption(
                    self.revision,
                    aggregate.cycle,
                    self.session,
                    self.adopted_on,
                    self.method,
                    self.votes_for,
                    self.votes_against,
                    self.abstentions,
                    self.divergent_views,
                    self.actor_id,
                    self.timestamp,
                )
            )

    class Published(Aggregate.Event):
        actor_id: UUID
        revision: int

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.state = PositionState.PUBLISHED
            aggregate.published_revision = self.revision

    class Reopened(Aggregate.Event):
        actor_id: UUID
        reason: str
        cycle: int

        def apply(self, aggregate: JointPosition) -> None:
            aggregate.state = PositionState.DRAFTING
            aggregate.cycle = self.cycle

    def __init__(self) -> None:
        self.round_id = UUID(int=0)
        self.recommendation_id = UUID(int=0)
        self.based_on: list[dict[str, str]] = []
        self.state = PositionState.DRAFTING
        self.cycle = 1
        self.revisions: list[PositionRevision] = []
        self.amendments: dict[UUID, Amendment] = {}
        self.endorsements: list[Stance] = []
        self.dissents: list[Stance] = []
        self.adoptions: list[Adoption] = []
        self.published_revision: int | None = None

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        round_id: UUID,
        recommendation_id: UUID,
        text: str,
        proposed_status: ImplementationStatus,
        based_on: list[dict[str, str]],
        actor_id: UUID,
        at: datetime,
    ) -> JointPosition:
        return cls._create(
            cls.Drafted,
            id=id,
            actor_id=actor_id,
            round_id=round_id,
            recommendation_id=recommendation_id,
            text=text,
            proposed_status=proposed_status,
            based_on=based_on,
            timestamp=at,
        )

    @property
    def revision(self) -> int:
        return self.revisions[-1].number

    @property
    def current(self) -> PositionRevision:
        return self.revisions[-1]

    @property
    def adoption(self) -> Adoption | None:
        return self.adoptions[-1] if self.adoptions else None

    def check_revision(self, expected: int) -> None:
        if expected != self.revision:
            raise Conflict(
                f"the joint position is at revision {self.revision}, not {expected}",
                current_revision=self.revision,
            )

    def revise(
        self,
        *,
        expected_revision: int,
        text: str,
        proposed_status: ImplementationStatus,
        note: str,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(PositionState.DRAFTING)
        self.check_revision(expected_revision)
        self.trigger_event(
            self.Revised,
            actor_id=actor_id,
            revision=self.revision + 1,
            text=text,
            proposed_status=proposed_status,
            note=note,
            timestamp=at,
        )

    def propose_amendment(
        self,
        *,
        amendment_id: UUID,
        organisation_id: UUID,
        revision: int,
        text: str,
        rationale: str,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(PositionState.DRAFTING)
        self.check_revision(revision)
        self.trigger_event(
            self.AmendmentProposed,
            actor_id=actor_id,
            amendment_id=amendment_id,
            organisation_id=organisation_id,
            revision=revision,
            text=text,
            rationale=rationale,
            timestamp=at,
        )

    def amendment(self, amendment_id: UUID) -> Amendment:
        try:
            return self.amendments[amendment_id]
        except KeyError:
            raise NotFound(
                "no such amendment to this joint position", kind="Amendment", id=amendment_id
            ) from None

    def decide_amendment(
        self,
        *,
        amendment_id: UUID,
        accept: bool,
        reason: str,
        expected_revision: int,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(PositionState.DRAFTING)
        amendment = self.amendment(amendment_id)
        if amendment.state is not AmendmentState.PROPOSED:
            raise WrongState(
                f"the amendment was already {amendment.state.value}", state=amendment.state.value
            )
        self.check_revision(expected_revision)
        if not accept:
            if not reason:
                raise Invalid("reason", "a rejected amendment gives its reason")
            self.trigger_event(
                self.AmendmentRejected,
                actor_id=actor_id,
                amendment_id=amendment_id,
                reason=reason,
                timestamp=at,
            )
            return
        if amendment.revision != self.revision:
            raise WrongState(
                f"the amendment was proposed to revision {amendment.revision}; the text is now at"
                f" revision {self.revision}",
                state="superseded",
            )
        self.trigger_event(
            self.AmendmentAccepted,
            actor_id=actor_id,
            amendment_id=amendment_id,
            reason=reason,
            revision=self.revision + 1,
            timestamp=at,
        )

    def endorse(
        self, *, organisation_id: UUID, revision: int, statement: str, actor_id: UUID, at: datetime
    ) -> None:
        self._ensure_state(PositionState.DRAFTING, PositionState.ADOPTED)
        self.check_revision(revision)
        self.trigger_event(
            self.Endorsed,
            actor_id=actor_id,
            organisation_id=organisation_id,
            revision=revision,
            statement=statement,
            timestamp=at,
        )

    def record_dissent(
        self, *, organisation_id: UUID, revision: int, statement: str, actor_id: UUID, at: datetime
    ) -> None:
        self._ensure_state(PositionState.DRAFTING, PositionState.ADOPTED)
        self.check_revision(revision)
        if not statement:
            raise Invalid("statement", "a dissent carries a statement")
        self.trigger_event(
            self.DissentRecorded,
            actor_id=actor_id,
            organisation_id=organisation_id,
            revision=revision,
            statement=statement,
            timestamp=at,
        )

    def adopt(
        self,
        *,
        revision: int,
        session: str,
        adopted_on: date,
        method: DecisionMethod,
        votes_for: int | None,
        votes_against: int | None,
        abstentions: int | None,
        divergent_views: str,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        self._ensure_state(PositionState.DRAFTING)
        self.check_revision(revision)
        votes = (votes_for, votes_against, abstentions)
        if method is DecisionMethod.VOTE:
            if any(v is None or v < 0 for v in votes):
                raise Invalid("votes", "a vote records for, against and abstentions (0 or more)")
        elif any(v is not None for v in votes):
            raise Invalid("votes", "an adoption by consensus records no vote counts")
        self.trigger_event(
            self.Adopted,
            actor_id=actor_id,
            revision=revision,
            session=session,
            adopted_on=adopted_on,
            method=method,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            divergent_views=divergent_views,
            timestamp=at,
        )

    def publish(self, *, expected_revision: int, actor_id: UUID, at: datetime) -> None:
        self._ensure_state(PositionState.ADOPTED)
        self.check_revision(expected_revision)
        self.trigger_event(self.Published, actor_id=actor_id, revision=self.revision, timestamp=at)

    def reopen(self, *, expected_revision: int, reason: str, actor_id: UUID, at: datetime) -> None:
        self._ensure_state(PositionState.ADOPTED, PositionState.PUBLISHED)
        self.check_revision(expected_revision)
        if not reason:
            raise Invalid("reason", "reopening a joint position gives its reason")
        self.trigger_event(
            self.Reopened, actor_id=actor_id, reason=reason, cycle=self.cycle + 1, timestamp=at
        )

    def _ensure_state(self, *allowed: PositionState) -> None:
        if self.state not in allowed:
            names = " or ".join(s.value for s in allowed)
            raise WrongState(
                f"the joint position is {self.state.value}; this needs it {names}",
                state=self.state.value,
            )
