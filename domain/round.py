"""Monitoring rounds: a period of work on a set of recommendations, with deadlines and rules."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import Invalid, WrongState
from domain.values import clean_line


class RoundPhase(Enum):
    ASSESSMENT = "assessment"
    CO_SIGNING = "co_signing"
    COUNCIL_SESSION = "council_session"
    CLOSED = "closed"


PHASE_ORDER = list(RoundPhase)


class MonitoringRound(Aggregate):
    class Opened(Aggregate.Created):
        actor_id: UUID
        title: str
        mechanism: str
        cycle: int | None
        recommendation_ids: list[UUID]
        assessments_due: date
        co_signing_due: date
        council_session_on: date
        co_sign_quorum: int

        def apply(self, aggregate: MonitoringRound) -> None:
            aggregate.title = self.title
            aggregate.mechanism = self.mechanism
            aggregate.cycle = self.cycle
            aggregate.recommendation_ids = list(self.recommendation_ids)
            aggregate.assessments_due = self.assessments_due
            aggregate.co_signing_due = self.co_signing_due
            aggregate.council_session_on = self.council_session_on
            aggregate.co_sign_quorum = self.co_sign_quorum

    class RecommendationsAdded(Aggregate.Event):
        actor_id: UUID
        recommendation_ids: list[UUID]

        def apply(self, aggregate: MonitoringRound) -> None:
            aggregate.recommendation_ids.extend(self.recommendation_ids)

    class PhaseAdvanced(Aggregate.Event):
        actor_id: UUID
        phase: RoundPhase

        def apply(self, aggregate: MonitoringRound) -> None:
            aggregate.phase = self.phase

    def __init__(self) -> None:
        self.title = ""
        self.mechanism = ""
        self.cycle: int | None = None
        self.recommendation_ids: list[UUID] = []
        self.assessments_due = date.min
        self.co_signing_due = date.min
        self.council_session_on = date.min
        self.co_sign_quorum = 0
        self.phase = RoundPhase.ASSESSMENT

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        title: str,
        mechanism: str,
        cycle: int | None,
        recommendation_ids: list[UUID],
        assessments_due: date,
        co_signing_due: date,
        council_session_on: date,
        co_sign_quorum: int,
        actor_id: UUID,
        at: datetime,
    ) -> MonitoringRound:
        title = clean_line("title", title)
        if not recommendation_ids:
            raise Invalid("recommendation_ids", "a round covers at least one recommendation")
        if len(set(recommendation_ids)) != len(recommendation_ids):
            raise Invalid("recommendation_ids", "names a recommendation twice")
        if not assessments_due <= co_signing_due <= council_session_on:
            raise Invalid(
                "deadlines",
                "assessments are due before co-signing closes, and co-signing before the session",
            )
        if not 0 <= co_sign_quorum <= 50:
            raise Invalid("co_sign_quorum", "must be between 0 and 50")
        return cls._create(
            cls.Opened,
            id=id,
            actor_id=actor_id,
            title=title,
            mechanism=mechanism,
            cycle=cycle,
            recommendation_ids=list(recommendation_ids),
            assessments_due=assessments_due,
            co_signing_due=co_signing_due,
            council_session_on=council_session_on,
            co_sign_quorum=co_sign_quorum,
            timestamp=at,
        )

    def add_recommendations(
        self, *, recommendation_ids: list[UUID], actor_id: UUID, at: datetime
    ) -> None:
        self.ensure_open()
        new = [r for r in dict.fromkeys(recommendation_ids) if r not in self.recommendation_ids]
        if new:
            self.trigger_event(
                self.RecommendationsAdded, actor_id=actor_id, recommendation_ids=new, timestamp=at
            )

    def advance_phase(self, *, phase: RoundPhase, actor_id: UUID, at: datetime) -> None:
        if PHASE_ORDER.index(phase) <= PHASE_ORDER.index(self.phase):
            raise WrongState(
                f"the round is already in phase {self.phase.value}", state=self.phase.value
            )
        self.trigger_event(self.PhaseAdvanced, actor_id=actor_id, phase=phase, timestamp=at)

    def ensure_open(self) -> None:
        if self.phase is RoundPhase.CLOSED:
            raise WrongState("the monitoring round is closed", state=self.phase.value)

    def covers(self, recommendation_id: UUID) -> bool:
        return recommendation_id in self.recommendation_ids
