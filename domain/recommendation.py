"""Recommendation: one paragraph of a UN document, as catalogued from UHRI, and its official status."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import Conflict, Invalid, WrongState
from domain.values import ImplementationStatus, StateResponse, StatusBasis

MECHANISMS = (
    "UPR",
    "CCPR",
    "CESCR",
    "CAT",
    "SPT",
    "CERD",
    "CEDAW",
    "CRC",
    "CRPD",
    "CED",
    "CMW",
    "SP",
)


def recommendation_id(document_symbol: str, paragraph: str) -> UUID:
    """The deterministic id of a recommendation: UUID5 of ``<symbol>#<paragraph>``."""
    return uuid5(NAMESPACE_URL, f"{document_symbol}#{paragraph}")


def upr_cycle(session: int) -> int:
    """The UPR cycle a Working Group session belongs to (cycle 1: sessions 1-12, ...)."""
    if session <= 12:
        return 1
    if session <= 26:
        return 2
    if session <= 40:
        return 3
    if session <= 54:
        return 4
    return 5 + (session - 55) // 14


@dataclass(frozen=True)
class CatalogueEntry:
    """The catalogue fields of a recommendation, after UHRI's columns."""

    mechanism: str
    document_symbol: str
    paragraph: str
    text: str
    session: str = ""
    cycle: int | None = None
    recommending_states: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    affected_persons: list[str] = field(default_factory=list)
    sdgs: list[str] = field(default_factory=list)
    state_response: StateResponse = StateResponse.NOT_STATED
    document_date: str = ""
    annotation_id: str = ""
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    kind: str = "Recommendation"

    @property
    def id(self) -> UUID:
        return recommendation_id(self.document_symbol, self.paragraph)

    def validate(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise Invalid("mechanism", f"{self.mechanism!r} is not one of: {', '.join(MECHANISMS)}")
        if not self.document_symbol.strip():
            raise Invalid("document_symbol", "must not be empty")
        if not self.paragraph.strip():
            raise Invalid("paragraph", "must not be empty")
        if not self.text.strip():
            raise Invalid("text", "must not be empty")
        if self.document_date:
            try:
                datetime.strptime(self.document_date, "%Y-%m-%d")
            except ValueError:
                raise Invalid(
                    "document_date", f"{self.document_date!r} is not YYYY-MM-DD"
                ) from None

    def as_fields(self) -> dict[str, Any]:
        return asdict(self)


CATALOGUE_FIELDS = tuple(CatalogueEntry.__dataclass_fields__)
# The fields that identify a recommendation never change through an update.
IDENTITY_FIELDS = ("document_symbol", "paragraph")


@dataclass(frozen=True)
class StatusChange:
    status: ImplementationStatus
    basis: StatusBasis
    joint_position_id: UUID | None
    position_revision: int | None
    reason: str
    actor_id: UUID
    at: datetime


class Recommendation(Aggregate):
    """A catalogued UN recommendation and its official implementation status."""

    class Recorded(Aggregate.Created):
        actor_id: UUID
        source: str
        entry: dict[str, Any]

        def apply(self, aggregate: Recommendation) -> None:
            aggregate.entry = CatalogueEntry(**_entry_kwargs(self.entry))
            aggregate.source = self.source

    class Updated(Aggregate.Event):
        actor_id: UUID
        source: str
        changes: dict[str, Any]

        def apply(self, aggregate: Recommendation) -> None:
            fields = aggregate.entry.as_fields()
            fields.update(self.changes)
            aggregate.entry = CatalogueEntry(**_entry_kwargs(fields))

    class ResponsibleBodiesAssigned(Aggregate.Event):
        actor_id: UUID
        organisation_ids: list[UUID]

        def apply(self, aggregate: Recommendation) -> None:
            aggregate.responsible_body_ids = list(self.organisation_ids)

    class StatusChanged(Aggregate.Event):
        actor_id: UUID
        status: ImplementationStatus
        basis: StatusBasis
        joint_position_id: UUID | None
        position_revision: int | None
        reason: str

        def apply(self, aggregate: Recommendation) -> None:
            aggregate.status = self.status
            aggregate.status_history.append(
                StatusChange(
                    status=self.status,
                    basis=self.basis,
                    joint_position_id=self.joint_position_id,
                    position_revision=self.position_revision,
                    reason=self.reason,
                    actor_id=self.actor_id,
                    at=self.timestamp,
                )
            )

    def __init__(self) -> None:
        self.entry = CatalogueEntry(mechanism="UPR", document_symbol="", paragraph="", text="")
        self.source = ""
        self.status = ImplementationStatus.NOT_ASSESSED
        self.status_history: list[StatusChange] = []
        self.responsible_body_ids: list[UUID] = []

    @classmethod
    def record(
        cls, *, entry: CatalogueEntry, source: str, actor_id: UUID, at: datetime
    ) -> Recommendation:
        entry.validate()
        return cls._create(
            cls.Recorded,
            id=entry.id,
            actor_id=actor_id,
            source=source,
            entry=entry.as_fields(),
            timestamp=at,
        )

    def changes_from(self, entry: CatalogueEntry) -> dict[str, Any]:
        """The catalogue fields in which ``entry`` differs from the record."""
        current = self.entry.as_fields()
        new = entry.as_fields()
        return {k: v for k, v in new.items() if current.get(k) != v and k not in IDENTITY_FIELDS}

    def update(self, *, entry: CatalogueEntry, source: str, actor_id: UUID, at: datetime) -> bool:
        """Apply a re-imported entry; returns False (and records nothing) when nothing changed."""
        entry.validate()
        changes = self.changes_from(entry)
        if not changes:
            return False
        self.trigger_event(
            self.Updated, actor_id=actor_id, source=source, changes=changes, timestamp=at
        )
        return True

    def assign_responsible_bodies(
        self, *, organisation_ids: list[UUID], actor_id: UUID, at: datetime
    ) -> None:
        self.trigger_event(
            self.ResponsibleBodiesAssigned,
            actor_id=actor_id,
            organisation_ids=sorted(set(organisation_ids), key=str),
            timestamp=at,
        )

    def change_status(
        self,
        *,
        status: ImplementationStatus,
        basis: StatusBasis,
        joint_position_id: UUID | None,
        position_revision: int | None,
        reason: str,
        actor_id: UUID,
        at: datetime,
    ) -> None:
        if basis is StatusBasis.ADOPTED_POSITION and (
            joint_position_id is None or position_revision is None
        ):
            raise Invalid("basis", "a status from an adopted position names it and its revision")
        if basis is StatusBasis.SECRETARIAT_CORRECTION and not reason.strip():
            raise Invalid("reason", "a secretariat correction must give its reason")
        self.trigger_event(
            self.StatusChanged,
            actor_id=actor_id,
            status=status,
            basis=basis,
            joint_position_id=joint_position_id,
            position_revision=position_revision,
            reason=reason,
            timestamp=at,
        )

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise Conflict(
                f"the recommendation is at revision {self.version}, not {expected}",
                current_revision=self.version,
            )

    def ensure_catalogued(self) -> None:
        if not self.entry.document_symbol:
            raise WrongState("the recommendation has no catalogue entry", state="empty")


def _entry_kwargs(fields: dict[str, Any]) -> dict[str, Any]:
    kwargs = {k: v for k, v in fields.items() if k in CATALOGUE_FIELDS}
    response = kwargs.get("state_response")
    if response is not None and not isinstance(response, StateResponse):
        kwargs["state_response"] = StateResponse(response)
    return kwargs
