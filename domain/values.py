"""The Council's vocabulary as value types: enums, the acting member, evidence."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TypeVar
from uuid import UUID, uuid5

from domain.errors import Invalid


class ImplementationStatus(Enum):
    NOT_ASSESSED = "not_assessed"
    NOT_IMPLEMENTED = "not_implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    FULLY_IMPLEMENTED = "fully_implemented"


RATINGS = (
    ImplementationStatus.NOT_IMPLEMENTED,
    ImplementationStatus.PARTIALLY_IMPLEMENTED,
    ImplementationStatus.FULLY_IMPLEMENTED,
)


class StateResponse(Enum):
    SUPPORTED = "supported"
    NOTED = "noted"
    PARTIALLY_SUPPORTED = "partially_supported"
    NOT_STATED = "not_stated"


class Track(Enum):
    CIVIL_SOCIETY = "civil_society"
    GOVERNMENT = "government"


class OrganisationKind(Enum):
    CSO = "cso"
    STATE_BODY = "state_body"
    SECRETARIAT = "secretariat"
    OBSERVER = "observer"


class Role(Enum):
    SECRETARIAT = "secretariat"
    EDITOR = "editor"
    SIGNATORY = "signatory"
    AUDITOR = "auditor"
    READER = "reader"


class AssessmentState(Enum):
    DRAFT = "draft"
    OPEN_FOR_SIGNATURE = "open_for_signature"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class PositionState(Enum):
    DRAFTING = "drafting"
    ADOPTED = "adopted"
    PUBLISHED = "published"


class DecisionMethod(Enum):
    CONSENSUS = "consensus"
    VOTE = "vote"


class AmendmentState(Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class SubjectKind(Enum):
    RECOMMENDATION = "recommendation"
    ASSESSMENT = "assessment"
    JOINT_POSITION = "joint_position"


class StatusBasis(Enum):
    ADOPTED_POSITION = "adopted_position"
    SECRETARIAT_CORRECTION = "secretariat_correction"
    IMPORT = "import"


ALL_ENUMS: tuple[type[Enum], ...] = (
    ImplementationStatus,
    StateResponse,
    Track,
    OrganisationKind,
    Role,
    AssessmentState,
    PositionState,
    DecisionMethod,
    AmendmentState,
    SubjectKind,
    StatusBasis,
)

# The operator at the command line (imports, set-up) acts as this member id.
SYSTEM_ACTOR_ID = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "council-ledger:operator")


@dataclass(frozen=True)
class Actor:
    """A member acting on behalf of an organisation, as the record knows them."""

    member_id: UUID
    organisation_id: UUID | None
    organisation_kind: OrganisationKind | None
    platform: bool
    roles: frozenset[Role]

    @classmethod
    def operator(cls) -> Actor:
        """The command-line operator: sets the Council up, imports catalogues."""
        return cls(
            member_id=SYSTEM_ACTOR_ID,
            organisation_id=None,
            organisation_kind=OrganisationKind.SECRETARIAT,
            platform=False,
            roles=frozenset({Role.SECRETARIAT}),
        )

    @property
    def is_operator(self) -> bool:
        return self.member_id == SYSTEM_ACTOR_ID

    def has(self, role: Role) -> bool:
        return role in self.roles


MAX_TEXT = 200_000
MAX_LINE = 2_000


def clean_text(field: str, value: str, *, max_length: int = MAX_TEXT, required: bool = True) -> str:
    """Normalise to NFC, refuse control characters, empty text and oversize text."""
    if not isinstance(value, str):
        raise Invalid(field, "must be text")
    text = unicodedata.normalize("NFC", value).strip()
    if required and not text:
        raise Invalid(field, "must not be empty")
    if len(text) > max_length:
        raise Invalid(field, f"is {len(text)} characters long; the limit is {max_length}")
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in "\n\t\r":
            raise Invalid(field, f"contains the control character U+{ord(ch):04X}")
        if unicodedata.category(ch) == "Cs":
            raise Invalid(field, "contains an unpaired surrogate")
    return text


def clean_line(field: str, value: str, *, required: bool = True) -> str:
    text = clean_text(field, value, max_length=MAX_LINE, required=required)
    if "\n" in text or "\r" in text:
        raise Invalid(field, "must be a single line")
    return text


E = TypeVar("E", bound=Enum)


def parse_enum(field: str, enum: type[E], value: object) -> E:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise Invalid(field, f"{value!r} is not one of: {allowed}") from None


@dataclass(frozen=True)
class Evidence:
    """One item of evidence behind an assessment."""

    title: str
    reference: str
    date: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "reference": self.reference,
            "date": self.date,
            "kind": self.kind,
        }


EVIDENCE_KINDS = ("law", "report", "statistics", "court_decision", "media", "testimony", "other")


def parse_evidence(items: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Validate evidence items; returns plain dicts (stored in events)."""
    result: list[dict[str, str]] = []
    for index, item in enumerate(items or []):
        field = f"evidence[{index}]"
        if not isinstance(item, dict):
            raise Invalid(field, "must be an object with title, reference, date and kind")
        title = clean_line(f"{field}.title", item.get("title", ""))
        reference = clean_line(f"{field}.reference", item.get("reference", ""))
        raw_date = item.get("date", "") or ""
        if raw_date:
            try:
                date.fromisoformat(raw_date)
            except ValueError:
                raise Invalid(f"{field}.date", f"{raw_date!r} is not a date (YYYY-MM-DD)") from None
        kind = item.get("kind", "other") or "other"
        if kind not in EVIDENCE_KINDS:
            raise Invalid(f"{field}.kind", f"{kind!r} is not one of: {', '.join(EVIDENCE_KINDS)}")
        result.append(Evidence(title, reference, raw_date, kind).as_dict())
    if len(result) > 100:
        raise Invalid("evidence", "has more than 100 items")
    return result
