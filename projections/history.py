"""The history: one row per event, in words a person reads, with actor, organisation and time.

The projection keeps its own small tables of names and subjects, so it never reads another read
model: what a line says depends only on the log up to that event. It holds both tables in memory
too (they are loaded when the projection starts), so a batch reads nothing back from the database
and sends its lines and changes in bulk when it ends.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from domain.assessment import Assessment
from domain.comment import Comment
from domain.joint_position import JointPosition
from domain.member import Member
from domain.organisation import Organisation
from domain.recommendation import Recommendation
from domain.round import MonitoringRound
from domain.rules import Visibility, assessment_visibility, position_visibility
from domain.values import SYSTEM_ACTOR_ID, AssessmentState, PositionState, Track
from projections.base import Appends, BufferedProjection, Rows, handles, opt, ts, uid
from projections.db import Cursor, Engine

STATUS_WORDS = {
    "not_assessed": "not assessed",
    "not_implemented": "not implemented",
    "partially_implemented": "partially implemented",
    "fully_implemented": "fully implemented",
}


def _status(value: Any) -> str:
    raw = getattr(value, "value", value)
    return STATUS_WORDS.get(str(raw), str(raw))


class Subject(NamedTuple):
    """A row of history_subjects, as the projection keeps it in memory."""

    kind: str
    label: str
    visibility: str
    owner_id: str | None
    round_id: str | None
    recommendation_id: str | None
    track: str | None


UNKNOWN_SUBJECT = Subject("", "an unknown subject", "", None, None, None, None)
SYSTEM_ACTOR = str(SYSTEM_ACTOR_ID)


class HistoryProjection(BufferedProjection):
    name = "history"
    rebuild_cost = 3.8
    tables = ("history", "history_subjects", "history_names")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.names: dict[str, tuple[str, str | None]] = {}  # id: name, organisation id
        self.subjects: dict[str, Subject] = {}
        self.lines = Appends(
            "history",
            "log_position",
            "subject_id",
            "subject_kind",
            "round_id",
            "recommendation_id",
            "event_type",
            "summary",
            "actor_id",
            "organisation_id",
            "revision",
            "at",
        )
        self.name_rows = Rows("history_names", "id")
        self.subject_rows = Rows("history_subjects", "subject_id")
        self.buffers = [self.lines, self.name_rows, self.subject_rows]

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS history ("
            " log_position BIGINT PRIMARY KEY, subject_id TEXT NOT NULL,"
            " subject_kind TEXT NOT NULL, round_id TEXT, recommendation_id TEXT,"
            " event_type TEXT NOT NULL, summary TEXT NOT NULL, actor_id TEXT NOT NULL,"
            " organisation_id TEXT, revision INTEGER, at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS history_subject ON history (subject_id, log_position)",
            "CREATE INDEX IF NOT EXISTS history_round ON history (round_id, log_position)",
            "CREATE TABLE IF NOT EXISTS history_subjects ("
            " subject_id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL,"
            " visibility TEXT NOT NULL, owner_id TEXT, round_id TEXT, recommendation_id TEXT,"
            " track TEXT)",
            "CREATE TABLE IF NOT EXISTS history_names ("
            " id TEXT PRIMARY KEY, name TEXT NOT NULL, organisation_id TEXT)",
        ]

    def load(self, cur: Cursor) -> None:
        cur.execute("SELECT id, name, organisation_id FROM history_names")
        self.names = {str(row[0]): (str(row[1]), row[2]) for row in cur.fetchall()}
        cur.execute(
            "SELECT subject_id, kind, label, visibility, owner_id, round_id, recommendation_id,"
            " track FROM history_subjects"
        )
        self.subjects = {str(row[0]): Subject(*row[1:]) for row in cur.fetchall()}

    # --- small lookups ----------------------------------------------------------------------

    def _name(self, entity_id: UUID | str | None) -> str:
        if entity_id is None:
            return "someone"
        entry = self.names.get(uid(entity_id))
        return entry[0] if entry else "an unknown organisation"

    def _organisation_of(self, entity_id: UUID | str) -> str | None:
        """The organisation a member, amendment or comment belongs to (None if not known)."""
        entry = self.names.get(uid(entity_id))
        return entry[1] if entry else None

    def _actor_org(self, actor_id: UUID | str) -> str | None:
        actor = uid(actor_id)
        if actor == SYSTEM_ACTOR:
            return None
        return self._organisation_of(actor) or None

    def _who(self, actor_id: UUID) -> str:
        if uid(actor_id) == SYSTEM_ACTOR:
            return "The operator"
        org = self._actor_org(actor_id)
        return self._name(org) if org else "Someone"

    def _subject(self, subject_id: UUID | str) -> Subject:
        return self.subjects.get(uid(subject_id), UNKNOWN_SUBJECT)

    def _label(self, subject_id: UUID | str) -> str:
        return self._subject(subject_id).label

    def _add_name(self, entity_id: UUID, name: str, organisation_id: UUID | None) -> None:
        key, org = uid(entity_id), opt(organisation_id)
        self.names[key] = (name, org)
        self.name_rows.insert(id=key, name=name, organisation_id=org)

    def _set_subject(
        self,
        subject_id: UUID,
        kind: str,
        label: str,
        visibility: Visibility,
        *,
        owner_id: UUID | None = None,
        round_id: UUID | None = None,
        recommendation_id: UUID | None = None,
        track: str | None = None,
    ) -> None:
        key = uid(subject_id)
        existing = self.subjects.get(key)
        if existing is not None:  # a subject seen again keeps all but its new label
            self.subjects[key] = existing._replace(label=label)
            self.subject_rows.update((key,), label=label)
            return
        subject = Subject(
            kind,
            label,
            visibility.value,
            opt(owner_id),
            opt(round_id),
            opt(recommendation_id),
            track,
        )
        self.subjects[key] = subject
        self.subject_rows.insert(subject_id=key, **subject._asdict())

    def _visibility(self, subject_id: UUID, visibility: Visibility) -> None:
        key = uid(subject_id)
        existing = self.subjects.get(key)
        if existing is not None:
            self.subjects[key] = existing._replace(visibility=visibility.value)
            self.subject_rows.update((key,), visibility=visibility.value)

    def _line(
        self,
        event: Any,
        position: int,
        summary: str,
        *,
        subject_id: UUID | None = None,
        kind: str,
        revision: int | None = None,
    ) -> None:
        subject = uid(subject_id or event.originator_id)
        known = self.subjects.get(subject, UNKNOWN_SUBJECT)
        actor = uid(event.actor_id)
        self.lines.add(
            position,
            subject,
            kind,
            known.round_id,
            known.recommendation_id,
            type(event).__qualname__,
            summary,
            actor,
            self._actor_org(actor),
            revision,
            ts(event.timestamp),
        )

    # --- catalogue ---------------------------------------------------------------------------

    @handles(Recommendation.Recorded)
    def recorded(self, cur: Cursor, event: Recommendation.Recorded, position: int) -> None:
        label = f"{event.entry['document_symbol']} ¶{event.entry['paragraph']}"
        self._set_subject(
            event.originator_id,
            "recommendation",
            label,
            Visibility.PUBLIC,
            recommendation_id=event.originator_id,
        )
        self._line(
            event,
            position,
            f"Recommendation {label} was catalogued from {event.source}",
            kind="recommendation",
        )

    @handles(Recommendation.Updated)
    def rec_updated(self, cur: Cursor, event: Recommendation.Updated, position: int) -> None:
        fields = ", ".join(sorted(event.changes))
        label = self._label(event.originator_id)
        self._line(
            event,
            position,
            f"The catalogue entry of {label} was updated from {event.source} ({fields})",
            kind="recommendation",
        )

    @handles(Recommendation.ResponsibleBodiesAssigned)
    def bodies(
        self, cur: Cursor, event: Recommendation.ResponsibleBodiesAssigned, position: int
    ) -> None:
        names = ", ".join(self._name(o) for o in event.organisation_ids) or "none"
        label = self._label(event.originator_id)
        self._line(
            event, position, f"Responsible bodies for {label}: {names}", kind="recommendation"
        )

    @handles(Recommendation.StatusChanged)
    def status(self, cur: Cursor, event: Recommendation.StatusChanged, position: int) -> None:
        label = self._label(event.originator_id)
        summary = f"The status of {label} became {_status(event.status)}"
        if event.joint_position_id is not None:
            summary += f", on the basis of revision {event.position_revision} of the adopted joint position"
        if event.reason:
            summary += f" (correction by the secretariat: {event.reason})"
        self._line(event, position, summary, kind="recommendation")

    # --- organisations and members -----------------------------------------------------------

    @handles(Organisation.Registered)
    def organisation(self, cur: Cursor, event: Organisation.Registered, position: int) -> None:
        self._add_name(event.originator_id, event.name, None)
        self._set_subject(event.originator_id, "organisation", event.name, Visibility.PUBLIC)
        kind = event.kind.value.replace("_", " ")
        platform = ", a member of the Platform" if event.platform else ""
        self._line(
            event,
            position,
            f"{event.name} joined the Council as a {kind}{platform}",
            kind="organisation",
        )

    @handles(Organisation.Renamed)
    def renamed(self, cur: Cursor, event: Organisation.Renamed, position: int) -> None:
        old = self._name(event.originator_id)
        key = uid(event.originator_id)
        if key in self.names:
            self.names[key] = (event.name, self.names[key][1])
            self.name_rows.update((key,), name=event.name)
        self._line(event, position, f"{old} is now called {event.name}", kind="organisation")

    @handles(Organisation.PlatformMembershipChanged)
    def platform(
        self, cur: Cursor, event: Organisation.PlatformMembershipChanged, position: int
    ) -> None:
        name = self._name(event.originator_id)
        verb = "joined" if event.platform else "left"
        self._line(event, position, f"{name} {verb} the Platform", kind="organisation")

    @handles(Member.Registered)
    def member(self, cur: Cursor, event: Member.Registered, position: int) -> None:
        self._add_name(event.originator_id, "member", event.organisation_id)
        org = self._name(event.organisation_id)
        self._set_subject(event.originator_id, "member", f"a member of {org}", Visibility.MEMBERS)
        roles = ", ".join(sorted(r.value for r in event.roles))
        self._line(event, position, f"A member of {org} was registered ({roles})", kind="member")

    @handles(Member.RolesChanged, Member.Deactivated, Member.PersonalDataErased)
    def member_changed(self, cur: Cursor, event: Any, position: int) -> None:
        org = self._name(self._organisation_of(event.originator_id))
        if isinstance(event, Member.RolesChanged):
            roles = ", ".join(sorted(r.value for r in event.roles))
            summary = f"The roles of a member of {org} became: {roles}"
        elif isinstance(event, Member.Deactivated):
            summary = f"A member of {org} was deactivated"
        else:
            summary = f"The personal data of a member of {org} was erased"
        self._line(event, position, summary, kind="member")

    # --- rounds ----------------------------------------------------------------------------------

    @handles(MonitoringRound.Opened)
    def round_opened(self, cur: Cursor, event: MonitoringRound.Opened, position: int) -> None:
        label = f"the round “{event.title}”"
        self._set_subject(
            event.originator_id,
            "round",
            label,
            Visibility.MEMBERS,
            round_id=event.originator_id,
        )
        count = len(event.recommendation_ids)
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} opened {label}, covering {count} recommendation(s)",
            kind="round",
        )

    @handles(MonitoringRound.RecommendationsAdded, MonitoringRound.PhaseAdvanced)
    def round_changed(self, cur: Cursor, event: Any, position: int) -> None:
        label = self._label(event.originator_id)
        if isinstance(event, MonitoringRound.PhaseAdvanced):
            summary = f"{label[0].upper()}{label[1:]} moved to the {event.phase.value.replace('_', ' ')} phase"
        else:
            summary = f"{len(event.recommendation_ids)} recommendation(s) were added to {label}"
        self._line(event, position, summary, kind="round")

    # --- assessments -----------------------------------------------------------------------------

    @handles(Assessment.Proposed)
    def proposed(self, cur: Cursor, event: Assessment.Proposed, position: int) -> None:
        org = self._name(event.organisation_id)
        rec = self._label(event.recommendation_id)
        label = f"the assessment of {rec} by {org}"
        self._set_subject(
            event.originator_id,
            "assessment",
            label,
            Visibility.ORGANISATION,
            owner_id=event.organisation_id,
            round_id=event.round_id,
            recommendation_id=event.recommendation_id,
            track=event.track.value,
        )
        self._line(
            event,
            position,
            f"{org} proposed an assessment of {rec}: {_status(event.rating)} (revision 1)",
            kind="assessment",
            revision=1,
        )

    @handles(Assessment.Revised)
    def assessment_revised(self, cur: Cursor, event: Assessment.Revised, position: int) -> None:
        label = self._label(event.originator_id)
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} revised {label}:"
            f" revision {event.revision}, {_status(event.rating)}",
            kind="assessment",
            revision=event.revision,
        )

    @handles(Assessment.OpenedForSignature, Assessment.Submitted, Assessment.Withdrawn)
    def assessment_state(self, cur: Cursor, event: Any, position: int) -> None:
        label = self._label(event.originator_id)
        who = self._who(event.actor_id)
        subject = self.subjects[uid(event.originator_id)]
        track, previous = subject.track, subject.visibility
        if isinstance(event, Assessment.OpenedForSignature):
            state, summary = (
                AssessmentState.OPEN_FOR_SIGNATURE,
                (f"{who} opened revision {event.revision} of {label} for signature"),
            )
        elif isinstance(event, Assessment.Submitted):
            count = len(event.co_signatories)
            state, summary = (
                AssessmentState.SUBMITTED,
                (
                    f"{who} submitted revision {event.revision} of {label}"
                    f" with {count} co-signature(s)"
                ),
            )
        else:
            state, summary = AssessmentState.WITHDRAWN, f"{who} withdrew {label}: {event.reason}"
        visibility = assessment_visibility(state, Track(track), Visibility(previous))
        self._visibility(event.originator_id, visibility)
        self._line(event, position, summary, kind="assessment", revision=event.revision)

    @handles(Assessment.CoSigned)
    def co_signed(self, cur: Cursor, event: Assessment.CoSigned, position: int) -> None:
        org = self._name(event.organisation_id)
        label = self._label(event.originator_id)
        self._line(
            event,
            position,
            f"{org} co-signed revision {event.revision} of {label}",
            kind="assessment",
            revision=event.revision,
        )

    @handles(Assessment.CoSignatureWithdrawn)
    def co_signature_withdrawn(
        self, cur: Cursor, event: Assessment.CoSignatureWithdrawn, position: int
    ) -> None:
        org = self._name(event.organisation_id)
        label = self._label(event.originator_id)
        reason = f": {event.reason}" if event.reason else ""
        self._line(
            event,
            position,
            f"{org} withdrew its co-signature of revision {event.revision} of {label}{reason}",
            kind="assessment",
            revision=event.revision,
        )

    # --- joint positions ---------------------------------------------------------------------------

    @handles(JointPosition.Drafted)
    def drafted(self, cur: Cursor, event: JointPosition.Drafted, position: int) -> None:
        rec = self._label(event.recommendation_id)
        label = f"the joint position on {rec}"
        self._set_subject(
            event.originator_id,
            "joint_position",
            label,
            position_visibility(PositionState.DRAFTING, ever_published=False),
            round_id=event.round_id,
            recommendation_id=event.recommendation_id,
        )
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} drafted {label}"
            f" (revision 1, proposing {_status(event.proposed_status)})",
            kind="joint_position",
            revision=1,
        )

    @handles(JointPosition.Revised)
    def position_revised(self, cur: Cursor, event: JointPosition.Revised, position: int) -> None:
        label = self._label(event.originator_id)
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} revised {label}: revision {event.revision}",
            kind="joint_position",
            revision=event.revision,
        )

    @handles(JointPosition.AmendmentProposed)
    def amendment(self, cur: Cursor, event: JointPosition.AmendmentProposed, position: int) -> None:
        org = self._name(event.organisation_id)
        label = self._label(event.originator_id)
        self._add_name(event.amendment_id, "amendment", event.organisation_id)
        self._line(
            event,
            position,
            f"{org} proposed an amendment to revision {event.revision} of {label}",
            kind="joint_position",
            revision=event.revision,
        )

    @handles(JointPosition.AmendmentAccepted, JointPosition.AmendmentRejected)
    def decided(self, cur: Cursor, event: Any, position: int) -> None:
        label = self._label(event.originator_id)
        org = self._name(self._organisation_of(event.amendment_id))
        who = self._who(event.actor_id)
        if isinstance(event, JointPosition.AmendmentAccepted):
            summary = f"{who} accepted the amendment by {org}; {label} is now at revision {event.revision}"
            revision = event.revision
        else:
            summary = f"{who} rejected the amendment by {org} to {label}: {event.reason}"
            revision = None
        self._line(event, position, summary, kind="joint_position", revision=revision)

    @handles(JointPosition.Endorsed, JointPosition.DissentRecorded)
    def stance(self, cur: Cursor, event: Any, position: int) -> None:
        org = self._name(event.organisation_id)
        label = self._label(event.originator_id)
        if isinstance(event, JointPosition.Endorsed):
            summary = f"{org} endorsed revision {event.revision} of {label}"
        else:
            summary = (
                f"{org} recorded dissent on revision {event.revision} of {label}:"
                f" “{event.statement}”"
            )
        self._line(event, position, summary, kind="joint_position", revision=event.revision)

    @handles(JointPosition.Adopted)
    def adopted(self, cur: Cursor, event: JointPosition.Adopted, position: int) -> None:
        label = self._label(event.originator_id)
        if event.method.value == "vote":
            how = (
                f"by vote ({event.votes_for} for, {event.votes_against} against,"
                f" {event.abstentions} abstaining)"
            )
        else:
            how = "by consensus"
        self._raise_visibility(event.originator_id, PositionState.ADOPTED)
        self._line(
            event,
            position,
            f"The Council adopted revision {event.revision} of"
            f" {label} at {event.session} on {event.adopted_on.isoformat()}, {how}",
            kind="joint_position",
            revision=event.revision,
        )

    @handles(JointPosition.Published)
    def published(self, cur: Cursor, event: JointPosition.Published, position: int) -> None:
        label = self._label(event.originator_id)
        self._visibility(event.originator_id, Visibility.PUBLIC)
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} published revision {event.revision} of {label}",
            kind="joint_position",
            revision=event.revision,
        )

    @handles(JointPosition.Reopened)
    def reopened(self, cur: Cursor, event: JointPosition.Reopened, position: int) -> None:
        label = self._label(event.originator_id)
        self._line(
            event,
            position,
            f"{self._who(event.actor_id)} reopened {label} (cycle {event.cycle}): {event.reason}",
            kind="joint_position",
        )

    def _raise_visibility(self, subject_id: UUID, state: PositionState) -> None:
        current = Visibility(self.subjects[uid(subject_id)].visibility)
        if current is not Visibility.PUBLIC:
            self._visibility(subject_id, position_visibility(state, ever_published=False))

    # --- comments ----------------------------------------------------------------------------------

    @handles(Comment.Posted)
    def comment(self, cur: Cursor, event: Comment.Posted, position: int) -> None:
        org = self._name(event.organisation_id)
        label = self._label(event.subject_id)
        # A comment's entry names its subject, to tell later lines what it was about.
        self._add_name(event.originator_id, uid(event.subject_id), event.organisation_id)
        on = f"revision {event.subject_revision} of {label}" if event.subject_revision else label
        verb = "replied to a comment on" if event.parent_id else "commented on"
        self._line(
            event,
            position,
            f"{org} {verb} {on}",
            subject_id=event.subject_id,
            kind=event.subject_kind.value,
            revision=event.subject_revision,
        )

    @handles(Comment.Edited, Comment.Retracted, Comment.Hidden)
    def comment_changed(self, cur: Cursor, event: Any, position: int) -> None:
        subject_id, org_id = self.names[uid(event.originator_id)]
        org = self._name(org_id)
        label = self._label(subject_id)
        if isinstance(event, Comment.Edited):
            summary = f"{org} edited its comment on {label} (version {event.version})"
        elif isinstance(event, Comment.Retracted):
            summary = f"{org} retracted its comment on {label}"
        else:
            summary = f"A comment by {org} on {label} was hidden by moderation: {event.reason}"
        kind = self.subjects[subject_id].kind
        self._line(event, position, summary, subject_id=UUID(subject_id), kind=kind)
