"""Who is who in a report: organisations by name, people only by organisation and member id.

A report is kept for years and cannot be edited; a person's name printed in it could never be
erased. So reports name organisations, and a member only by the first characters of their id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.values import SYSTEM_ACTOR_ID
from projections.queries.directory import all_organisations, members_by_ids
from projections.queries.store import ReadStore

OPERATOR = str(SYSTEM_ACTOR_ID)


class Names:
    """Organisation names and members' organisations, read once per report."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.organisations = {row.id: row.name for row in all_organisations(store)}
        self.member_organisations: dict[str, str] = {}

    def load_members(self, member_ids: Iterable[str]) -> None:
        wanted = sorted({m for m in member_ids if m and m not in self.member_organisations})
        wanted = [m for m in wanted if m != OPERATOR]
        for start in range(0, len(wanted), 500):
            rows = members_by_ids(self.store, wanted[start : start + 500])
            self.member_organisations.update({k: v.organisation_id for k, v in rows.items()})

    def organisation(self, organisation_id: str | None) -> dict[str, str] | None:
        if organisation_id is None:
            return None
        name = self.organisations.get(organisation_id)
        return {"id": organisation_id, "name": name if name is not None else ""}

    def actor(self, member_id: str, *, with_member: bool = True) -> dict[str, Any]:
        """An acting member: their organisation, and (unless left out) their member id."""
        if member_id == OPERATOR:
            return {"operator": True, "organisation": None, "member": None}
        self.load_members([member_id])
        organisation = self.organisation(self.member_organisations.get(member_id))
        return {
            "operator": False,
            "organisation": organisation,
            "member": member_id if with_member else None,
        }
