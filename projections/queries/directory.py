"""Organisations, members and monitoring rounds, each with the visibility the history recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from projections.queries.paging import placeholders
from projections.queries.store import ReadStore


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    id: str
    name: str
    kind: str
    platform: bool
    version: int
    registered_at: str
    visibility: str | None


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    organisation_id: str
    roles: list[str]
    sealed_personal_data: str
    active: bool
    erased: bool
    version: int
    registered_at: str
    visibility: str | None


@dataclass(frozen=True, slots=True)
class RoundRow:
    id: str
    title: str
    mechanism: str
    cycle: int | None
    phase: str
    assessments_due: str
    co_signing_due: str
    council_session_on: str
    co_sign_quorum: int
    opened_by: str
    opened_at: str
    version: int
    visibility: str | None


_ORGANISATIONS = (
    "SELECT o.id, o.name, o.kind, o.platform, o.version, o.registered_at, s.visibility"
    " FROM organisations o LEFT JOIN history_subjects s ON s.subject_id = o.id"
)
_MEMBERS = (
    "SELECT m.id, m.organisation_id, m.roles, m.sealed_personal_data, m.active, m.erased,"
    " m.version, m.registered_at, s.visibility"
    " FROM members m LEFT JOIN history_subjects s ON s.subject_id = m.id"
)
_ROUNDS = (
    "SELECT r.id, r.title, r.mechanism, r.cycle, r.phase, r.assessments_due, r.co_signing_due,"
    " r.council_session_on, r.co_sign_quorum, r.opened_by, r.opened_at, r.version, s.visibility"
    " FROM rounds r LEFT JOIN history_subjects s ON s.subject_id = r.id"
)


def _organisation(raw: Sequence[object]) -> OrganisationRow:
    values = list(raw)
    values[3] = bool(values[3])
    return OrganisationRow(*values)  # type: ignore[arg-type]


def all_organisations(store: ReadStore) -> list[OrganisationRow]:
    with store.read() as cur:
        cur.execute(f"{_ORGANISATIONS} ORDER BY o.name, o.id")
        return [_organisation(raw) for raw in cur.fetchall()]


def organisations_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, OrganisationRow]:
    with store.read() as cur:
        cur.execute(f"{_ORGANISATIONS} WHERE o.id IN ({placeholders(ids)})", list(ids))
        return {row.id: row for row in map(_organisation, cur.fetchall())}


def members_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, MemberRow]:
    with store.read() as cur:
        cur.execute(f"{_MEMBERS} WHERE m.id IN ({placeholders(ids)})", list(ids))
        result: dict[str, MemberRow] = {}
        for raw in cur.fetchall():
            values = list(raw)
            values[2] = json.loads(values[2])
            values[4], values[5] = bool(values[4]), bool(values[5])
            row = MemberRow(*values)
            result[row.id] = row
        return result


def all_rounds(store: ReadStore) -> list[RoundRow]:
    with store.read() as cur:
        cur.execute(f"{_ROUNDS} ORDER BY r.opened_at DESC, r.id")
        return [RoundRow(*raw) for raw in cur.fetchall()]


def rounds_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, RoundRow]:
    with store.read() as cur:
        cur.execute(f"{_ROUNDS} WHERE r.id IN ({placeholders(ids)})", list(ids))
        return {row.id: row for row in (RoundRow(*raw) for raw in cur.fetchall())}


def round_recommendation_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {round_id: [] for round_id in ids}
    with store.read() as cur:
        cur.execute(
            "SELECT rr.round_id, rr.recommendation_id FROM round_recommendations rr"
            " JOIN recommendations r ON r.id = rr.recommendation_id"
            f" WHERE rr.round_id IN ({placeholders(ids)})"
            " ORDER BY rr.round_id, r.sort_key, r.id",
            list(ids),
        )
        for round_id, recommendation_id in cur.fetchall():
            result[round_id].append(recommendation_id)
    return result


@dataclass(frozen=True, slots=True)
class ActingMemberRow:
    """What the rules need to know of a member who acts: their organisation and roles."""

    organisation_id: str
    organisation_kind: str
    platform: bool
    roles: list[str]
    active: bool


def acting_member(store: ReadStore, member_id: str) -> tuple[ActingMemberRow | None, int]:
    """The member (None: unknown here) and the directory's position they were read at.

    One statement, so the row and the position come from the same snapshot: while the
    directory stays at that position, the row stays what it is.
    """
    with store.read() as cur:
        cur.execute(
            "SELECT t.position, o.id, o.kind, o.platform, m.roles, m.active"
            " FROM projection_tracking t"
            " LEFT JOIN members m ON m.id = ?"
            " LEFT JOIN organisations o ON o.id = m.organisation_id"
            " WHERE t.projection = ?",
            [member_id, "directory"],
        )
        raw = cur.fetchone()
    if raw is None:  # the directory has applied nothing yet: nobody is known
        return None, -1
    position, organisation_id, kind, platform, roles, active = raw
    if organisation_id is None:
        return None, int(position)
    member = ActingMemberRow(
        organisation_id=str(organisation_id),
        organisation_kind=str(kind),
        platform=bool(platform),
        roles=json.loads(roles),
        active=bool(active),
    )
    return member, int(position)
