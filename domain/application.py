"""The Council application: its public methods are the commands, each checked, then recorded.

Every command takes the acting member, checks the rules, loads what it needs, and saves all new
events in one transaction. It returns the log position of its last event so that callers can wait
until their write is visible in the read models.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ParamSpec, TypeVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from domain import rules
from domain.assessment import Assessment
from domain.comment import Comment
from domain.errors import Invalid, NotAllowed, NotFound, WrongState
from domain.joint_position import JointPosition
from domain.member import Member
from domain.organisation import Organisation
from domain.personal import PersonalDataVault
from domain.recommendation import CatalogueEntry, Recommendation
from domain.round import MonitoringRound, RoundPhase
from domain.transcodings import register_domain_transcodings
from domain.values import (
    RATINGS,
    Actor,
    DecisionMethod,
    ImplementationStatus,
    OrganisationKind,
    Role,
    StatusBasis,
    SubjectKind,
    clean_line,
    clean_text,
    parse_enum,
    parse_evidence,
)

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Outcome:
    """What a command did: the subject's id, its revision, and the log position to wait for."""

    id: UUID
    log_position: int
    revision: int | None = None
    changed: bool = True


@dataclass(frozen=True)
class ImportOutcome:
    new: int
    updated: int
    unchanged: int
    log_position: int


def retried_on_conflict(method: Callable[P, R]) -> Callable[P, R]:
    """Run a command again when another writer saved the same aggregate first.

    The command reloads and re-checks everything, so a stale expected revision then surfaces as
    a domain ``Conflict``, while writes that do not collide logically (two organisations
    co-signing at once) both succeed.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return method(*args, **kwargs)
            except RecordConflictError:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    return wrapper


class Council(Application[UUID]):
    """The commands of a national council's monitoring record."""

    name = "Council"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        vault: PersonalDataVault,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(env)
        self.vault = vault
        self.clock = clock or (lambda: datetime.now(UTC))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # --- infrastructure -------------------------------------------------------------------

    def _commit(self, *aggregates: Aggregate) -> int:
        recordings = self.save(*aggregates)
        if recordings:
            return recordings[-1].notification.id
        return self.log_position()

    def log_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def _load(self, kind: type[A], aggregate_id: UUID, label: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(
                f"no {label} with id {aggregate_id}", kind=label, id=aggregate_id
            ) from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {label} with id {aggregate_id}", kind=label, id=aggregate_id)
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    def recommendation(self, recommendation_id: UUID) -> Recommendation:
        return self._load(Recommendation, recommendation_id, "recommendation")

    def organisation(self, organisation_id: UUID) -> Organisation:
        return self._load(Organisation, organisation_id, "organisation")

    def member(self, member_id: UUID) -> Member:
        return self._load(Member, member_id, "member")

    def round(self, round_id: UUID) -> MonitoringRound:
        return self._load(MonitoringRound, round_id, "monitoring round")

    def assessment(self, assessment_id: UUID) -> Assessment:
        return self._load(Assessment, assessment_id, "assessment")

    def joint_position(self, position_id: UUID) -> JointPosition:
        return self._load(JointPosition, position_id, "joint position")

    def comment(self, comment_id: UUID) -> Comment:
        return self._load(Comment, comment_id, "comment")

    def as_of(self, aggregate_id: UUID, version: int) -> Aggregate:
        """The aggregate exactly as it stood after its event number ``version``."""
        aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        return aggregate

    def actor_for(self, member_id: UUID) -> Actor:
        """The acting member as the record knows them now."""
        try:
            member = self.member(member_id)
        except NotFound:
            raise NotAllowed("the member is not known to this council") from None
        if not member.active:
            raise NotAllowed("the member is no longer active")
        organisation = self.organisation(member.organisation_id)
        return Actor(
            member_id=member.id,
            organisation_id=organisation.id,
            organisation_kind=organisation.kind,
            platform=organisation.platform,
            roles=member.roles,
        )

    # --- organisations and members --------------------------------------------------------

    @retried_on_conflict
    def register_organisation(
        self, actor: Actor, *, name: str, kind: OrganisationKind | str, platform: bool = False
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat registers organisations")
        organisation = Organisation.register(
            id=uuid4(),
            name=name,
            kind=parse_enum("kind", OrganisationKind, kind),
            platform=platform,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(organisation.id, self._commit(organisation), organisation.version)

    @retried_on_conflict
    def set_platform_membership(
        self, actor: Actor, organisation_id: UUID, *, platform: bool
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat keeps the Platform list")
        organisation = self.organisation(organisation_id)
        if platform and organisation.kind is not OrganisationKind.CSO:
            raise Invalid("platform", "only civil-society organisations belong to the Platform")
        organisation.set_platform(platform=platform, actor_id=actor.member_id, at=self.clock())
        return Outcome(organisation.id, self._commit(organisation), organisation.version)

    @retried_on_conflict
    def register_member(
        self,
        actor: Actor,
        *,
        organisation_id: UUID,
        name: str,
        email: str,
        roles: Sequence[Role | str],
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat registers members")
        organisation = self.organisation(organisation_id)
        parsed = [parse_enum("roles", Role, r) for r in roles]
        if Role.SECRETARIAT in parsed and organisation.kind is not OrganisationKind.SECRETARIAT:
            raise Invalid("roles", "the secretariat role belongs to members of the secretariat")
        if Role.SIGNATORY in parsed and organisation.kind not in (
            OrganisationKind.CSO,
            OrganisationKind.STATE_BODY,
        ):
            raise Invalid("roles", "only CSOs and state bodies have signatories")
        name = clean_line("name", name)
        email = clean_line("email", email)
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise Invalid("email", f"{email!r} is not an e-mail address")
        member_id = uuid4()
        sealed = self.vault.seal(member_id, {"name": name, "email": email})
        member = Member.register(
            id=member_id,
            organisation_id=organisation.id,
            roles=parsed,
            sealed_personal_data=sealed,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(member.id, self._commit(member), member.version)

    @retried_on_conflict
    def change_member_roles(
        self, actor: Actor, member_id: UUID, *, roles: Sequence[Role | str]
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat changes roles")
        member = self.member(member_id)
        member.change_roles(
            roles=[parse_enum("roles", Role, r) for r in roles],
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(member.id, self._commit(member), member.version)

    @retried_on_conflict
    def erase_personal_data(
        self, actor: Actor, member_id: UUID, *, expected_revision: int, reason: str
    ) -> Outcome:
        rules.require(
            rules.may_erase_personal_data(actor), "only the secretariat erases personal data"
        )
        member = self.member(member_id)
        member.erase_personal_data(
            expected_revision=expected_revision,
            reason=clean_line("reason", reason),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        position = self._commit(member)
        self.vault.erase(member_id)
        return Outcome(member.id, position, member.version)

    def personal_data(self, member_id: UUID) -> dict[str, str] | None:
        """A member's name and e-mail, or None once erased."""
        member = self.member(member_id)
        if member.erased:
            return None
        return self.vault.unseal(member.id, member.sealed_personal_data)

    # --- the catalogue --------------------------------------------------------------------

    def record_recommendations(
        self, actor: Actor, entries: Iterable[CatalogueEntry], *, source: str
    ) -> ImportOutcome:
        """Record new entries and update changed ones, all in one transaction."""
        rules.require(rules.may_administer(actor), "only the secretariat keeps the catalogue")
        return self._record_batch(actor, list(entries), source)

    @retried_on_conflict
    def _record_batch(
        self, actor: Actor, entries: list[CatalogueEntry], source: str
    ) -> ImportOutcome:
        now = self.clock()
        changed: list[Recommendation] = []
        new = updated = unchanged = 0
        seen: set[UUID] = set()
        for entry in entries:
            if entry.id in seen:
                raise Invalid(
                    "paragraph", f"{entry.document_symbol} ¶{entry.paragraph} appears twice"
                )
            seen.add(entry.id)
            try:
                existing = self.recommendation(entry.id)
            except NotFound:
                changed.append(
                    Recommendation.record(
                        entry=entry, source=source, actor_id=actor.member_id, at=now
                    )
                )
                new += 1
                continue
            if existing.update(entry=entry, source=source, actor_id=actor.member_id, at=now):
                changed.append(existing)
                updated += 1
            else:
                unchanged += 1
        position = self._commit(*changed)
        return ImportOutcome(new, updated, unchanged, position)

    @retried_on_conflict
    def assign_responsible_bodies(
        self, actor: Actor, recommendation_id: UUID, *, organisation_ids: Sequence[UUID]
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat assigns responsibility")
        recommendation = self.recommendation(recommendation_id)
        for organisation_id in organisation_ids:
            if self.organisation(organisation_id).kind is not OrganisationKind.STATE_BODY:
                raise Invalid("organisation_ids", f"{organisation_id} is not a state body")
        recommendation.assign_responsible_bodies(
            organisation_ids=list(organisation_ids), actor_id=actor.member_id, at=self.clock()
        )
        return Outcome(recommendation.id, self._commit(recommendation), recommendation.version)

    @retried_on_conflict
    def correct_recommendation_status(
        self,
        actor: Actor,
        recommendation_id: UUID,
        *,
        status: ImplementationStatus | str,
        reason: str,
        expected_revision: int,
    ) -> Outcome:
        rules.require(rules.is_secretariat(actor), "only the secretariat corrects a status")
        recommendation = self.recommendation(recommendation_id)
        recommendation.check_version(expected_revision)
        recommendation.change_status(
            status=parse_enum("status", ImplementationStatus, status),
            basis=StatusBasis.SECRETARIAT_CORRECTION,
            joint_position_id=None,
            position_revision=None,
            reason=clean_text("reason", reason),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(recommendation.id, self._commit(recommendation), recommendation.version)

    # --- monitoring rounds ----------------------------------------------------------------

    @retried_on_conflict
    def open_round(
        self,
        actor: Actor,
        *,
        title: str,
        recommendation_ids: Sequence[UUID],
        assessments_due: date,
        co_signing_due: date,
        council_session_on: date,
        co_sign_quorum: int,
        mechanism: str = "UPR",
        cycle: int | None = None,
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat opens monitoring rounds")
        for recommendation_id in recommendation_ids:
            self.recommendation(recommendation_id)
        monitoring_round = MonitoringRound.open(
            id=uuid4(),
            title=title,
            mechanism=clean_line("mechanism", mechanism),
            cycle=cycle,
            recommendation_ids=list(recommendation_ids),
            assessments_due=assessments_due,
            co_signing_due=co_signing_due,
            council_session_on=council_session_on,
            co_sign_quorum=co_sign_quorum,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(
            monitoring_round.id, self._commit(monitoring_round), monitoring_round.version
        )

    @retried_on_conflict
    def add_round_recommendations(
        self, actor: Actor, round_id: UUID, *, recommendation_ids: Sequence[UUID]
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat changes a round")
        monitoring_round = self.round(round_id)
        for recommendation_id in recommendation_ids:
            self.recommendation(recommendation_id)
        monitoring_round.add_recommendations(
            recommendation_ids=list(recommendation_ids), actor_id=actor.member_id, at=self.clock()
        )
        return Outcome(
            monitoring_round.id, self._commit(monitoring_round), monitoring_round.version
        )

    @retried_on_conflict
    def advance_round_phase(
        self, actor: Actor, round_id: UUID, *, phase: RoundPhase | str
    ) -> Outcome:
        rules.require(rules.may_administer(actor), "only the secretariat changes a round")
        monitoring_round = self.round(round_id)
        monitoring_round.advance_phase(
            phase=parse_enum("phase", RoundPhase, phase), actor_id=actor.member_id, at=self.clock()
        )
        return Outcome(
            monitoring_round.id, self._commit(monitoring_round), monitoring_round.version
        )

    # --- assessments ----------------------------------------------------------------------

    @retried_on_conflict
    def propose_assessment(
        self,
        actor: Actor,
        *,
        round_id: UUID,
        recommendation_id: UUID,
        rating: ImplementationStatus | str,
        narrative: str,
        evidence: list[dict[str, str]] | None = None,
    ) -> Outcome:
        rules.require(
            rules.may_propose_assessment(actor),
            "assessments are proposed by editors of Platform CSOs and state bodies",
        )
        track = rules.track_of(actor)
        organisation_id = _organisation_of(actor)
        if track is None:
            raise NotAllowed("this organisation writes in no assessment track")
        monitoring_round = self.round(round_id)
        monitoring_round.ensure_open()
        if not monitoring_round.covers(recommendation_id):
            raise Invalid("recommendation_id", "is not part of this monitoring round")
        parsed_rating = _rating(rating)
        text = clean_text("narrative", narrative)
        items = parse_evidence(evidence)
        assessment_id = uuid5(round_id, f"assessment:{organisation_id}:{recommendation_id}")
        if self._exists(assessment_id):
            raise WrongState(
                "this organisation already has an assessment of this recommendation in the round",
                state=self.assessment(assessment_id).state.value,
            )
        assessment = Assessment.propose(
            id=assessment_id,
            organisation_id=organisation_id,
            round_id=round_id,
            recommendation_id=recommendation_id,
            track=track,
            rating=parsed_rating,
            narrative=text,
            evidence=items,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    def _own_assessment(self, actor: Actor, assessment_id: UUID) -> Assessment:
        assessment = self.assessment(assessment_id)
        rules.require(
            rules.may_edit_assessment(actor, assessment.organisation_id),
            "only editors of the organisation that wrote the assessment change it",
        )
        return assessment

    @retried_on_conflict
    def revise_assessment(
        self,
        actor: Actor,
        assessment_id: UUID,
        *,
        expected_revision: int,
        rating: ImplementationStatus | str,
        narrative: str,
        evidence: list[dict[str, str]] | None = None,
    ) -> Outcome:
        assessment = self._own_assessment(actor, assessment_id)
        assessment.revise(
            expected_revision=expected_revision,
            rating=_rating(rating),
            narrative=clean_text("narrative", narrative),
            evidence=parse_evidence(evidence),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    @retried_on_conflict
    def open_assessment_for_signature(
        self, actor: Actor, assessment_id: UUID, *, expected_revision: int
    ) -> Outcome:
        assessment = self._own_assessment(actor, assessment_id)
        assessment.open_for_signature(
            expected_revision=expected_revision, actor_id=actor.member_id, at=self.clock()
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    @retried_on_conflict
    def co_sign_assessment(self, actor: Actor, assessment_id: UUID, *, revision: int) -> Outcome:
        assessment = self.assessment(assessment_id)
        rules.require(
            rules.may_co_sign(actor, assessment.track, assessment.organisation_id),
            "co-signatures are given by signatories of another organisation of the same track"
            " (Platform CSOs for civil-society assessments)",
        )
        organisation_id = _organisation_of(actor)
        changed = assessment.co_sign(
            organisation_id=organisation_id,
            revision=revision,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision, changed)

    @retried_on_conflict
    def withdraw_co_signature(
        self, actor: Actor, assessment_id: UUID, *, expected_revision: int, reason: str = ""
    ) -> Outcome:
        assessment = self.assessment(assessment_id)
        organisation_id = _organisation_of(actor)
        rules.require(
            rules.may_withdraw_co_signature(actor),
            "a co-signature is withdrawn by a signatory of the organisation that gave it",
        )
        assessment.withdraw_co_signature(
            organisation_id=organisation_id,
            expected_revision=expected_revision,
            reason=clean_text("reason", reason, required=False),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    @retried_on_conflict
    def submit_assessment(
        self, actor: Actor, assessment_id: UUID, *, expected_revision: int
    ) -> Outcome:
        assessment = self._own_assessment(actor, assessment_id)
        quorum = self.round(assessment.round_id).co_sign_quorum
        assessment.submit(
            expected_revision=expected_revision,
            quorum=quorum,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    @retried_on_conflict
    def withdraw_assessment(
        self, actor: Actor, assessment_id: UUID, *, expected_revision: int, reason: str
    ) -> Outcome:
        assessment = self._own_assessment(actor, assessment_id)
        assessment.withdraw(
            expected_revision=expected_revision,
            reason=clean_text("reason", reason),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(assessment.id, self._commit(assessment), assessment.revision)

    # --- comments -------------------------------------------------------------------------

    @retried_on_conflict
    def post_comment(
        self,
        actor: Actor,
        *,
        subject_kind: SubjectKind | str,
        subject_id: UUID,
        text: str,
        subject_revision: int | None = None,
        quote: str = "",
        parent_id: UUID | None = None,
    ) -> Outcome:
        rules.require(
            rules.may_comment(actor),
            "comments are written by members of the Council's organisations",
        )
        organisation_id = _organisation_of(actor)
        kind = parse_enum("subject_kind", SubjectKind, subject_kind)
        self._check_subject(kind, subject_id, subject_revision)
        if parent_id is not None and self.comment(parent_id).subject_id != subject_id:
            raise Invalid("parent_id", "a reply belongs to the same subject as its parent")
        comment = Comment.post(
            id=uuid4(),
            organisation_id=organisation_id,
            subject_kind=kind,
            subject_id=subject_id,
            subject_revision=subject_revision,
            quote=clean_text("quote", quote, max_length=5_000, required=False),
            parent_id=parent_id,
            text=clean_text("text", text, max_length=20_000),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(comment.id, self._commit(comment), comment.revision)

    def _check_subject(self, kind: SubjectKind, subject_id: UUID, revision: int | None) -> None:
        if kind is SubjectKind.RECOMMENDATION:
            self.recommendation(subject_id)
            if revision is not None:
                raise Invalid("subject_revision", "recommendations have no revisions to comment on")
            return
        subject: Assessment | JointPosition = (
            self.assessment(subject_id)
            if kind is SubjectKind.ASSESSMENT
            else self.joint_position(subject_id)
        )
        if revision is not None and not 1 <= revision <= subject.revision:
            raise Invalid("subject_revision", f"there is no revision {revision}")

    @retried_on_conflict
    def edit_comment(
        self, actor: Actor, comment_id: UUID, *, expected_revision: int, text: str
    ) -> Outcome:
        comment = self.comment(comment_id)
        rules.require(rules.may_edit_comment(actor, comment.author_id), "only the author edits")
        comment.edit(
            expected_revision=expected_revision,
            text=clean_text("text", text, max_length=20_000),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(comment.id, self._commit(comment), comment.revision)

    @retried_on_conflict
    def retract_comment(
        self, actor: Actor, comment_id: UUID, *, expected_revision: int, reason: str = ""
    ) -> Outcome:
        comment = self.comment(comment_id)
        rules.require(rules.may_edit_comment(actor, comment.author_id), "only the author retracts")
        comment.retract(
            expected_revision=expected_revision,
            reason=clean_text("reason", reason, required=False),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(comment.id, self._commit(comment), comment.revision)

    @retried_on_conflict
    def hide_comment(
        self, actor: Actor, comment_id: UUID, *, expected_revision: int, reason: str
    ) -> Outcome:
        rules.require(rules.may_moderate(actor), "only the secretariat moderates comments")
        comment = self.comment(comment_id)
        comment.hide(
            expected_revision=expected_revision,
            reason=clean_text("reason", reason),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(comment.id, self._commit(comment), comment.revision)

    # --- joint positions ------------------------------------------------------------------

    @retried_on_conflict
    def draft_joint_position(
        self,
        actor: Actor,
        *,
        round_id: UUID,
        recommendation_id: UUID,
        text: str,
        proposed_status: ImplementationStatus | str,
        based_on: Sequence[tuple[UUID, int]] = (),
    ) -> Outcome:
        rules.require(rules.may_draft_position(actor), "the secretariat drafts joint positions")
        monitoring_round = self.round(round_id)
        monitoring_round.ensure_open()
        if not monitoring_round.covers(recommendation_id):
            raise Invalid("recommendation_id", "is not part of this monitoring round")
        basis = []
        for assessment_id, revision in based_on:
            assessment = self.assessment(assessment_id)
            if assessment.recommendation_id != recommendation_id:
                raise Invalid(
                    "based_on", f"assessment {assessment_id} is of another recommendation"
                )
            if not 1 <= revision <= assessment.revision:
                raise Invalid("based_on", f"assessment {assessment_id} has no revision {revision}")
            basis.append({"assessment_id": str(assessment_id), "revision": str(revision)})
        position_id = uuid5(round_id, f"joint-position:{recommendation_id}")
        if self._exists(position_id):
            raise WrongState(
                "this recommendation already has a joint position in the round",
                state=self.joint_position(position_id).state.value,
            )
        position = JointPosition.draft(
            id=position_id,
            round_id=round_id,
            recommendation_id=recommendation_id,
            text=clean_text("text", text),
            proposed_status=_rating(proposed_status, field="proposed_status"),
            based_on=basis,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def revise_joint_position(
        self,
        actor: Actor,
        position_id: UUID,
        *,
        expected_revision: int,
        text: str,
        proposed_status: ImplementationStatus | str,
        note: str = "",
    ) -> Outcome:
        rules.require(rules.may_draft_position(actor), "the secretariat revises joint positions")
        position = self.joint_position(position_id)
        position.revise(
            expected_revision=expected_revision,
            text=clean_text("text", text),
            proposed_status=_rating(proposed_status, field="proposed_status"),
            note=clean_text("note", note, required=False),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def propose_amendment(
        self, actor: Actor, position_id: UUID, *, revision: int, text: str, rationale: str = ""
    ) -> Outcome:
        rules.require(
            rules.may_propose_amendment(actor),
            "amendments are proposed by editors of Platform CSOs and state bodies",
        )
        organisation_id = _organisation_of(actor)
        position = self.joint_position(position_id)
        amendment_id = uuid4()
        position.propose_amendment(
            amendment_id=amendment_id,
            organisation_id=organisation_id,
            revision=revision,
            text=clean_text("text", text),
            rationale=clean_text("rationale", rationale, required=False),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(amendment_id, self._commit(position), position.revision)

    @retried_on_conflict
    def decide_amendment(
        self,
        actor: Actor,
        position_id: UUID,
        *,
        amendment_id: UUID,
        accept: bool,
        expected_revision: int,
        reason: str = "",
    ) -> Outcome:
        rules.require(rules.may_draft_position(actor), "the secretariat decides on amendments")
        position = self.joint_position(position_id)
        position.decide_amendment(
            amendment_id=amendment_id,
            accept=accept,
            reason=clean_text("reason", reason, required=False),
            expected_revision=expected_revision,
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def endorse_joint_position(
        self, actor: Actor, position_id: UUID, *, revision: int, statement: str = ""
    ) -> Outcome:
        rules.require(
            rules.may_take_stance(actor), "signatories endorse on their organisation's behalf"
        )
        organisation_id = _organisation_of(actor)
        position = self.joint_position(position_id)
        position.endorse(
            organisation_id=organisation_id,
            revision=revision,
            statement=clean_text("statement", statement, required=False),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def record_dissent(
        self, actor: Actor, position_id: UUID, *, revision: int, statement: str
    ) -> Outcome:
        rules.require(
            rules.may_take_stance(actor), "signatories dissent on their organisation's behalf"
        )
        organisation_id = _organisation_of(actor)
        position = self.joint_position(position_id)
        position.record_dissent(
            organisation_id=organisation_id,
            revision=revision,
            statement=clean_text("statement", statement),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def adopt_joint_position(
        self,
        actor: Actor,
        position_id: UUID,
        *,
        revision: int,
        session: str,
        adopted_on: date,
        method: DecisionMethod | str = DecisionMethod.CONSENSUS,
        votes_for: int | None = None,
        votes_against: int | None = None,
        abstentions: int | None = None,
        divergent_views: str = "",
    ) -> Outcome:
        """Record adoption at a Council session; the recommendation's status follows it."""
        rules.require(rules.is_secretariat(actor), "the secretariat records adoptions")
        position = self.joint_position(position_id)
        now = self.clock()
        position.adopt(
            revision=revision,
            session=clean_line("session", session),
            adopted_on=adopted_on,
            method=parse_enum("method", DecisionMethod, method),
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            divergent_views=clean_text("divergent_views", divergent_views, required=False),
            actor_id=actor.member_id,
            at=now,
        )
        recommendation = self.recommendation(position.recommendation_id)
        recommendation.change_status(
            status=position.current.proposed_status,
            basis=StatusBasis.ADOPTED_POSITION,
            joint_position_id=position.id,
            position_revision=revision,
            reason="",
            actor_id=actor.member_id,
            at=now,
        )
        return Outcome(position.id, self._commit(position, recommendation), position.revision)

    @retried_on_conflict
    def publish_joint_position(
        self, actor: Actor, position_id: UUID, *, expected_revision: int
    ) -> Outcome:
        rules.require(rules.is_secretariat(actor), "the secretariat publishes")
        position = self.joint_position(position_id)
        position.publish(
            expected_revision=expected_revision, actor_id=actor.member_id, at=self.clock()
        )
        return Outcome(position.id, self._commit(position), position.revision)

    @retried_on_conflict
    def reopen_joint_position(
        self, actor: Actor, position_id: UUID, *, expected_revision: int, reason: str
    ) -> Outcome:
        rules.require(rules.is_secretariat(actor), "the secretariat reopens joint positions")
        position = self.joint_position(position_id)
        position.reopen(
            expected_revision=expected_revision,
            reason=clean_text("reason", reason),
            actor_id=actor.member_id,
            at=self.clock(),
        )
        return Outcome(position.id, self._commit(position), position.revision)


def _rating(value: ImplementationStatus | str, *, field: str = "rating") -> ImplementationStatus:
    rating = parse_enum(field, ImplementationStatus, value)
    if rating not in RATINGS:
        allowed = ", ".join(r.value for r in RATINGS)
        raise Invalid(field, f"{rating.value!r} is not a rating; use one of: {allowed}")
    return rating


def _organisation_of(actor: Actor) -> UUID:
    if actor.organisation_id is None:
        raise NotAllowed("this needs a member acting for an organisation")
    return actor.organisation_id
