"""Organisations and members. A person's name and e-mail are shown only to those entitled."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any

import strawberry

from domain.values import OrganisationKind, Role
from graphql_api.context import Info
from graphql_api.loaders import now_or_later
from graphql_api.types import described
from projections.queries.directory import MemberRow, OrganisationRow


@strawberry.type(description="A CSO, state body, the secretariat or an observer.")
class Organisation:
    id: strawberry.ID
    name: str
    kind: OrganisationKind
    platform: bool = strawberry.field(description="A CSO that belongs to the Platform.")
    revision: int

    @classmethod
    def from_row(cls, row: OrganisationRow) -> Organisation:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            kind=OrganisationKind(row.kind),
            platform=row.platform,
            revision=row.version,
        )


def organisation_now(
    info: Info, organisation_id: str | None
) -> Organisation | Awaitable[Organisation | None] | None:
    """The organisation, if it exists and the viewer sees it: at once when already loaded."""
    if organisation_id is None:
        return None
    viewer = info.context.viewer
    loaders = info.context.loaders
    key = ("organisation", organisation_id)
    if key in loaders.viewed:
        found: Organisation | None = loaders.viewed[key]
        return found

    def view(row: OrganisationRow | None) -> Organisation | None:
        seen = (
            Organisation.from_row(row) if row is not None and viewer.sees(row.visibility) else None
        )
        loaders.viewed[key] = seen
        return seen

    return now_or_later(loaders.organisations, organisation_id, view)


async def organisation(info: Info, organisation_id: str | None) -> Organisation | None:
    found = organisation_now(info, organisation_id)
    return await found if inspect.isawaitable(found) else found


@strawberry.type(description="A person acting for an organisation.")
class Member:
    id: strawberry.ID
    roles: list[Role]
    active: bool
    erased: bool
    revision: int = strawberry.field(description="Named by erasePersonalData.")
    row: strawberry.Private[MemberRow]

    @described.answered(Organisation | None)
    def organisation(self, info: Info) -> Any:
        return organisation_now(info, self.row.organisation_id)

    @described.field(
        "The person's name, for their own organisation, the secretariat and"
        " auditors; 'erased member of …' once erased."
    )
    async def name(self, info: Info) -> str | None:
        return await self._name(info)

    async def _name(self, info: Info) -> str | None:
        if self.row.erased:
            org = await organisation(info, self.row.organisation_id)
            return f"erased member of {org.name if org else 'an organisation'}"
        data = await self._personal_data(info)
        return data.get("name") if data else None

    @described.field("Shown to the same people as the name; never once erased.")
    async def email(self, info: Info) -> str | None:
        data = await self._personal_data(info)
        return data.get("email") if data else None

    @described.field("The name where you may see it, else 'a member of …'.")
    async def display_name(self, info: Info) -> str:
        name = await self._name(info)
        if name is not None:
            return name
        org = await organisation(info, self.row.organisation_id)
        return f"a member of {org.name if org else 'an organisation'}"

    async def _personal_data(self, info: Info) -> dict[str, str] | None:
        row = self.row
        if row.erased or not info.context.viewer.sees_personal_data(row.organisation_id):
            return None
        data: dict[str, str] | None = await info.context.loaders.personal_data.load(
            (row.id, row.sealed_personal_data)
        )
        return data

    @classmethod
    def from_row(cls, row: MemberRow) -> Member:
        return cls(
            id=strawberry.ID(row.id),
            roles=[Role(role) for role in row.roles],
            active=row.active,
            erased=row.erased,
            revision=row.version,
            row=row,
        )


async def member(info: Info, member_id: str | None) -> Member | None:
    """The member, if known and the viewer sees members."""
    if member_id is None:
        return None
    row = await info.context.loaders.members.load(member_id)
    if row is None or not info.context.viewer.sees(row.visibility):
        return None
    return Member.from_row(row)
