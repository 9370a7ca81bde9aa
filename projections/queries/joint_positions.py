"""Joint positions: pages in a viewer's scope; revisions, amendments, stances, adoptions by batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from projections.queries.paging import Page, Scope, decode_cursor, page_of, placeholders
from projections.queries.store import ReadStore

COLUMNS = (
    "id, round_id, recommendation_id, state, visibility, cycle, revision, text, proposed_status,"
    " based_on, adopted_revision, published_revision, published_text, drafted_by, drafted_at,"
    " updated_at, version, log_position"
)


@dataclass(frozen=True, slots=True)
class JointPositionRow:
    id: str
    round_id: str
    recommendation_id: str
    state: str
    visibility: str
    cycle: int
    revision: int
    text: str
    proposed_status: str
    based_on: list[dict[str, str]]
    adopted_revision: int | None
    published_revision: int | None
    published_text: str | None
    drafted_by: str
    drafted_at: str
    updated_at: str
    version: int
    log_position: int


@dataclass(frozen=True, slots=True)
class PositionRevisionRow:
    position_id: str
    revision: int
    cycle: int
    text: str
    proposed_status: str
    note: str
    author_id: str
    amendment_id: str | None
    at: str
    log_position: int


@dataclass(frozen=True, slots=True)
class AmendmentRow:
    id: str
    position_id: str
    organisation_id: str
    proposed_by: str
    revision: int
    text: str
    rationale: str
    state: str
    decided_by: str | None
    decision_reason: str | None
    resulting_revision: int | None
    proposed_at: str
    decided_at: str | None
    log_position: int


@dataclass(frozen=True, slots=True)
class StanceRow:
    position_id: str
    log_position: int
    kind: str
    organisation_id: str
    member_id: str
    revision: int
    statement: str
    at: str


@dataclass(frozen=True, slots=True)
class AdoptionRow:
    position_id: str
    log_position: int
    revision: int
    cycle: int
    session: str
    adopted_on: str
    method: str
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    divergent_views: str
    actor_id: str
    at: str


@dataclass(frozen=True)
class JointPositionFilter:
    round_id: str | None = None
    recommendation_id: str | None = None
    state: str | None = None


def _row(raw: Sequence[Any]) -> JointPositionRow:
    values = list(raw)
    values[9] = json.loads(values[9])
    return JointPositionRow(*values)


def list_joint_positions(
    store: ReadStore, scope: Scope, flt: JointPositionFilter, first: int, after: str | None
) -> Page[JointPositionRow]:
    condition, params = scope.sql("visibility", None)
    where = [condition]
    for column in ("round_id", "recommendation_id", "state"):
        value = getattr(flt, column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        drafted_at, position_id = decode_cursor(after, 2)
        where.append("(drafted_at > ? OR (drafted_at = ? AND id > ?))")
        params.extend((drafted_at, drafted_at, position_id))
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM joint_positions WHERE {' AND '.join(where)}"
            " ORDER BY drafted_at, id LIMIT ?",
            (*params, first + 1),
        )
        rows = [_row(raw) for raw in cur.fetchall()]
    return page_of(rows, first, lambda row: (row.drafted_at, row.id))


def joint_positions_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, JointPositionRow]:
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM joint_positions WHERE id IN ({placeholders(ids)})",
            list(ids),
        )
        return {row.id: row for row in map(_row, cur.fetchall())}


R = TypeVar("R")


def _grouped(
    store: ReadStore, row_type: type[R], sql: str, ids: Sequence[str]
) -> dict[str, list[R]]:
    result: dict[str, list[R]] = {key: [] for key in ids}
    with store.read() as cur:
        cur.execute(sql.format(ids=placeholders(ids)), list(ids))
        for raw in cur.fetchall():
            row = row_type(*raw)
            result[getattr(row, "position_id")].append(row)  # noqa: B009
    return result


def revisions_by_position(
    store: ReadStore, ids: Sequence[str]
) -> dict[str, list[PositionRevisionRow]]:
    sql = (
        "SELECT position_id, revision, cycle, text, proposed_status, note, author_id,"
        " amendment_id, at, log_position FROM position_revisions WHERE position_id IN ({ids})"
        " ORDER BY position_id, revision"
    )
    return _grouped(store, PositionRevisionRow, sql, ids)


def amendments_by_position(store: ReadStore, ids: Sequence[str]) -> dict[str, list[AmendmentRow]]:
    sql = (
        "SELECT id, position_id, organisation_id, proposed_by, revision, text, rationale, state,"
        " decided_by, decision_reason, resulting_revision, proposed_at, decided_at, log_position"
        " FROM amendments WHERE position_id IN ({ids}) ORDER BY position_id, proposed_at, id"
    )
    return _grouped(store, AmendmentRow, sql, ids)


def stances_by_position(store: ReadStore, ids: Sequence[str]) -> dict[str, list[StanceRow]]:
    sql = (
        "SELECT position_id, log_position, kind, organisation_id, member_id, revision, statement,"
        " at FROM position_stances WHERE position_id IN ({ids}) ORDER BY position_id, log_position"
    )
    return _grouped(store, StanceRow, sql, ids)


def adoptions_by_position(store: ReadStore, ids: Sequence[str]) -> dict[str, list[AdoptionRow]]:
    sql = (
        "SELECT position_id, log_position, revision, cycle, session, adopted_on, method,"
        " votes_for, votes_against, abstentions, divergent_views, actor_id, at FROM adoptions"
        " WHERE position_id IN ({ids}) ORDER BY position_id, log_position"
    )
    return _grouped(store, AdoptionRow, sql, ids)
