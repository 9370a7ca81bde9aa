"""Who may do what, and who may see what: pure functions shared by the application, API and tests."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from domain.errors import NotAllowed
from domain.values import Actor, AssessmentState, OrganisationKind, PositionState, Role, Track


class Visibility(Enum):
    """Staged visibility, from narrowest to widest."""

    ORGANISATION = "organisation"
    PLATFORM = "platform"
    STATE_BODIES = "state_bodies"
    COUNCIL = "council"
    MEMBERS = "members"
    PUBLIC = "public"


COUNCIL_KINDS = (OrganisationKind.CSO, OrganisationKind.STATE_BODY, OrganisationKind.SECRETARIAT)


def is_platform_cso(actor: Actor) -> bool:
    return actor.organisation_kind is OrganisationKind.CSO and actor.platform


def is_state_body(actor: Actor) -> bool:
    return actor.organisation_kind is OrganisationKind.STATE_BODY


def is_council_participant(actor: Actor) -> bool:
    if actor.organisation_kind is OrganisationKind.CSO:
        return actor.platform
    return actor.organisation_kind in COUNCIL_KINDS


def is_secretariat(actor: Actor) -> bool:
    return actor.has(Role.SECRETARIAT) and actor.organisation_kind is OrganisationKind.SECRETARIAT


def is_auditor(actor: Actor) -> bool:
    return actor.has(Role.AUDITOR)


# --- who may write ---------------------------------------------------------------------------


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def track_of(actor: Actor) -> Track | None:
    """The assessment track an actor's organisation writes in, if any."""
    if is_platform_cso(actor):
        return Track.CIVIL_SOCIETY
    if is_state_body(actor):
        return Track.GOVERNMENT
    return None


def may_administer(actor: Actor) -> bool:
    """Keep the catalogue, organisations, members and rounds."""
    return actor.is_operator or is_secretariat(actor)


def may_propose_assessment(actor: Actor) -> bool:
    return actor.has(Role.EDITOR) and track_of(actor) is not None


def may_edit_assessment(actor: Actor, owner_id: UUID) -> bool:
    return actor.has(Role.EDITOR) and actor.organisation_id == owner_id


def may_co_sign(actor: Actor, track: Track, owner_id: UUID) -> bool:
    if not actor.has(Role.SIGNATORY) or actor.organisation_id == owner_id:
        return False
    return track_of(actor) is track


def may_withdraw_co_signature(actor: Actor) -> bool:
    """A signatory withdraws the co-signature their own organisation gave (the only one they can)."""
    return actor.has(Role.SIGNATORY) and track_of(actor) is not None


def may_comment(actor: Actor) -> bool:
    writes = actor.has(Role.EDITOR) or actor.has(Role.SIGNATORY) or is_secretariat(actor)
    return writes and is_council_participant(actor)


def may_edit_comment(actor: Actor, author_id: UUID) -> bool:
    return actor.member_id == author_id


def may_moderate(actor: Actor) -> bool:
    return is_secretariat(actor)


def may_draft_position(actor: Actor) -> bool:
    return is_secretariat(actor)


def may_propose_amendment(actor: Actor) -> bool:
    return actor.has(Role.EDITOR) and track_of(actor) is not None


def may_take_stance(actor: Actor) -> bool:
    """Endorse a joint position or record dissent, on behalf of the organisation."""
    return actor.has(Role.SIGNATORY) and track_of(actor) is not None


def may_generate_report(actor: Actor) -> bool:
    return (
        actor.is_operator
        or is_secretariat(actor)
        or (is_council_participant(actor) and (actor.has(Role.EDITOR) or actor.has(Role.SIGNATORY)))
    )


def may_erase_personal_data(actor: Actor) -> bool:
    return actor.is_operator or is_secretariat(actor)


# --- who may see -----------------------------------------------------------------------------


def assessment_visibility(
    state: AssessmentState, track: Track, previous: Visibility | None = None
) -> Visibility:
    """How far an assessment is seen; a withdrawn one stays where it was."""
    if state is AssessmentState.DRAFT:
        return Visibility.ORGANISATION
    if state is AssessmentState.OPEN_FOR_SIGNATURE:
        return Visibility.PLATFORM if track is Track.CIVIL_SOCIETY else Visibility.STATE_BODIES
    if state is AssessmentState.SUBMITTED:
        return Visibility.COUNCIL
    return previous or Visibility.ORGANISATION


def position_visibility(state: PositionState, ever_published: bool) -> Visibility:
    if ever_published or state is PositionState.PUBLISHED:
        return Visibility.PUBLIC
    if state is PositionState.ADOPTED:
        return Visibility.MEMBERS
    return Visibility.COUNCIL


def can_see(viewer: Actor | None, visibility: Visibility, owner_id: UUID | None = None) -> bool:
    """Whether ``viewer`` (None: the public) sees something of this visibility."""
    if visibility is Visibility.PUBLIC:
        return True
    if viewer is None:
        return False
    if is_auditor(viewer) or viewer.is_operator:
        return True
    if owner_id is not None and viewer.organisation_id == owner_id:
        return True
    match visibility:
        case Visibility.ORGANISATION:
            return False
        case Visibility.PLATFORM:
            return is_platform_cso(viewer)
        case Visibility.STATE_BODIES:
            return is_state_body(viewer) or is_secretariat(viewer)
        case Visibility.COUNCIL:
            return is_council_participant(viewer)
        case Visibility.MEMBERS:
            return True
    return False


def can_see_personal_data(viewer: Actor | None, organisation_id: UUID) -> bool:
    """Names and e-mail of people: their own organisation, the secretariat and auditors."""
    if viewer is None:
        return False
    return (
        viewer.organisation_id == organisation_id
        or is_secretariat(viewer)
        or is_auditor(viewer)
        or viewer.is_operator
    )


def can_read_raw_log(viewer: Actor | None) -> bool:
    return viewer is not None and (is_auditor(viewer) or viewer.is_operator)


def can_read_audit_proofs(viewer: Actor | None) -> bool:
    """Inclusion and consistency proofs of the audit log: auditors, who read the log, and the
    secretariat, which signs its checkpoints."""
    return can_read_raw_log(viewer) or (viewer is not None and is_secretariat(viewer))


can_read_inclusion_proofs = can_read_audit_proofs  # the earlier name, for existing callers


def can_see_hidden_text(viewer: Actor | None) -> bool:
    """Retracted and moderated comment text stays readable for auditors only."""
    return viewer is not None and (is_auditor(viewer) or viewer.is_operator)


def ensure_not_auditor_only(actor: Actor) -> None:
    writes = {Role.SECRETARIAT, Role.EDITOR, Role.SIGNATORY}
    if not (actor.roles & writes) and not actor.is_operator:
        raise NotAllowed("auditors and readers read; they do not write")


ADOPTED_STATES = (PositionState.ADOPTED, PositionState.PUBLISHED)
