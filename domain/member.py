"""Members: people acting for an organisation. Their names and e-mail never stand in clear in an event.

Personal data is sealed (encrypted with a key kept for that person alone) before it is put in an
event; erasure destroys the key, so the history stays whole while the person can no longer be named.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import Conflict, Invalid, WrongState
from domain.values import Role


class Member(Aggregate):
    class Registered(Aggregate.Created):
        actor_id: UUID
        organisation_id: UUID
        roles: list[Role]
        sealed_personal_data: str

        def apply(self, aggregate: Member) -> None:
            aggregate.organisation_id = self.organisation_id
            aggregate.roles = frozenset(self.roles)
            aggregate.sealed_personal_data = self.sealed_personal_data

    class RolesChanged(Aggregate.Event):
        actor_id: UUID
        roles: list[Role]

        def apply(self, aggregate: Member) -> None:
            aggregate.roles = frozenset(self.roles)

    class Deactivated(Aggregate.Event):
        actor_id: UUID
        reason: str

        def apply(self, aggregate: Member) -> None:
            aggregate.active = False

    class PersonalDataErased(Aggregate.Event):
        actor_id: UUID
        reason: str

        def apply(self, aggregate: Member) -> None:
            aggregate.erased = True
            aggregate.active = False

    def __init__(self) -> None:
        self.organisation_id = UUID(int=0)
        self.roles: frozenset[Role] = frozenset()
        self.sealed_personal_data = ""
        self.active = True
        self.erased = False

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        organisation_id: UUID,
        roles: list[Role],
        sealed_personal_data: str,
        actor_id: UUID,
        at: datetime,
    ) -> Member:
        if not roles:
            raise Invalid("roles", "a member needs at least one role")
        return cls._create(
            cls.Registered,
            id=id,
            actor_id=actor_id,
            organisation_id=organisation_id,
            roles=sorted(set(roles), key=lambda r: r.value),
            sealed_personal_data=sealed_personal_data,
            timestamp=at,
        )

    def change_roles(self, *, roles: list[Role], actor_id: UUID, at: datetime) -> None:
        self._ensure_active()
        if not roles:
            raise Invalid("roles", "a member needs at least one role")
        self.trigger_event(
            self.RolesChanged,
            actor_id=actor_id,
            roles=sorted(set(roles), key=lambda r: r.value),
            timestamp=at,
        )

    def deactivate(self, *, reason: str, actor_id: UUID, at: datetime) -> None:
        self._ensure_active()
        self.trigger_event(self.Deactivated, actor_id=actor_id, reason=reason, timestamp=at)

    def check_revision(self, expected: int) -> None:
        """A member's revision is its version: every change to the member counts."""
        if expected != self.version:
            raise Conflict(
                f"the member is at revision {self.version}, not {expected}",
                current_revision=self.version,
            )

    def erase_personal_data(
        self, *, expected_revision: int, reason: str, actor_id: UUID, at: datetime
    ) -> None:
        if self.erased:
            raise WrongState("this member's personal data was already erased", state="erased")
        self.check_revision(expected_revision)
        self.trigger_event(self.PersonalDataErased, actor_id=actor_id, reason=reason, timestamp=at)

    def _ensure_active(self) -> None:
        if not self.active:
            raise WrongState("the member is no longer active", state="inactive")
