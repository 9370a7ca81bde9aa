"""Organisations of the Council: the secretariat, Platform CSOs, state bodies, observers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import OrganisationKind, clean_line


class Organisation(Aggregate):
    class Registered(Aggregate.Created):
        actor_id: UUID
        name: str
        kind: OrganisationKind
        platform: bool

        def apply(self, aggregate: Organisation) -> None:
            aggregate.name = self.name
            aggregate.kind = self.kind
            aggregate.platform = self.platform

    class Renamed(Aggregate.Event):
        actor_id: UUID
        name: str

        def apply(self, aggregate: Organisation) -> None:
            aggregate.name = self.name

    class PlatformMembershipChanged(Aggregate.Event):
        actor_id: UUID
        platform: bool

        def apply(self, aggregate: Organisation) -> None:
            aggregate.platform = self.platform

    def __init__(self) -> None:
        self.name = ""
        self.kind = OrganisationKind.CSO
        self.platform = False

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        name: str,
        kind: OrganisationKind,
        platform: bool,
        actor_id: UUID,
        at: datetime,
    ) -> Organisation:
        name = clean_line("name", name)
        # Only civil-society organisations belong to the Platform.
        platform = platform and kind is OrganisationKind.CSO
        return cls._create(
            cls.Registered,
            id=id,
            actor_id=actor_id,
            name=name,
            kind=kind,
            platform=platform,
            timestamp=at,
        )

    def rename(self, *, name: str, actor_id: UUID, at: datetime) -> None:
        self.trigger_event(
            self.Renamed, actor_id=actor_id, name=clean_line("name", name), timestamp=at
        )

    def set_platform(self, *, platform: bool, actor_id: UUID, at: datetime) -> None:
        if platform != self.platform:
            self.trigger_event(
                self.PlatformMembershipChanged, actor_id=actor_id, platform=platform, timestamp=at
            )

    @property
    def is_platform_cso(self) -> bool:
        return self.kind is OrganisationKind.CSO and self.platform
