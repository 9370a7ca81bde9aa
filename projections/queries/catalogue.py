"""The recommendation catalogue: filter by facets, accent-insensitive search, pages, batches."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.queries.paging import Page, decode_cursor, page_of, placeholders
from projections.queries.store import CountingCursor, ReadStore
from projections.text import search_terms

COLUMNS = (
    "id, mechanism, cycle, session, document_symbol, paragraph, text, recommending_states,"
    " themes, affected_persons, sdgs, state_response, document_date, kind, source, status,"
    " status_basis, responsible_body_ids, version, recorded_at, updated_at, log_position, sort_key"
)


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    id: str
    mechanism: str
    cycle: int | None
    session: str
    document_symbol: str
    paragraph: str
    text: str
    recommending_states: list[str]
    themes: list[str]
    affected_persons: list[str]
    sdgs: list[str]
    state_response: str
    document_date: str
    kind: str
    source: str
    status: str
    status_basis: dict[str, Any] | None
    responsible_body_ids: list[str]
    version: int
    recorded_at: str
    updated_at: str
    log_position: int
    sort_key: str


@dataclass(frozen=True, slots=True)
class StatusChangeRow:
    recommendation_id: str
    log_position: int
    status: str
    basis: str
    joint_position_id: str | None
    position_revision: int | None
    reason: str
    actor_id: str
    at: str


@dataclass(frozen=True)
class RecommendationFilter:
    mechanism: str | None = None
    cycle: int | None = None
    theme: str | None = None
    affected_person: str | None = None
    sdg: str | None = None
    recommending_state: str | None = None
    responsible_body_id: str | None = None
    state_response: str | None = None
    status: str | None = None


def _row(raw: Sequence[Any]) -> RecommendationRow:
    values = list(raw)
    for index in (7, 8, 9, 10, 17):
        values[index] = json.loads(values[index])
    values[16] = json.loads(values[16]) if values[16] else None
    return RecommendationRow(*values)


def _where(
    engine: str, flt: RecommendationFilter, search: str | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("mechanism", flt.mechanism),
        ("cycle", flt.cycle),
        ("state_response", flt.state_response),
        ("status", flt.status),
    ):
        if value is not None:
            where.append(f"r.{column} = ?")
            params.append(value)
    for facet, value in (
        ("theme", flt.theme),
        ("affected_person", flt.affected_person),
        ("sdg", flt.sdg),
        ("recommending_state", flt.recommending_state),
        ("responsible_body", flt.responsible_body_id),
    ):
        if value is not None:
            where.append(
                "EXISTS (SELECT 1 FROM recommendation_facets f WHERE f.recommendation_id = r.id"
                " AND f.facet = ? AND f.value = ?)"
            )
            params.extend((facet, value))
    terms = search_terms(search or "")
    if terms:
        if engine == "postgres":
            where.append("to_tsvector('simple', r.search_text) @@ to_tsquery('simple', ?)")
            params.append(" & ".join(f"{term}:*" for term in terms))
        else:
            where.append(
                "r.id IN (SELECT id FROM recommendations_fts WHERE recommendations_fts MATCH ?)"
            )
            params.append(" ".join(f'"{term}"*' for term in terms))
    return where, params


def list_recommendations(
    store: ReadStore,
    flt: RecommendationFilter,
    search: str | None,
    first: int,
    after: str | None,
) -> Page[RecommendationRow]:
    where, params = _where(store.engine, flt, search)
    if after is not None:
        sort_key, rec_id = decode_cursor(after, 2)
        where.append("(r.sort_key > ? OR (r.sort_key = ? AND r.id > ?))")
        params.extend((sort_key, sort_key, rec_id))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM recommendations r{clause} ORDER BY r.sort_key, r.id LIMIT ?",
            (*params, first + 1),
        )
        rows = [_row(raw) for raw in cur.fetchall()]
    return page_of(rows, first, lambda row: (row.sort_key, row.id))


def count_recommendations(store: ReadStore, flt: RecommendationFilter, search: str | None) -> int:
    where, params = _where(store.engine, flt, search)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with store.read() as cur:
        cur.execute(f"SELECT COUNT(*) FROM recommendations r{clause}", params)
        return int(cur.fetchone()[0])


def recommendations_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, RecommendationRow]:
    with store.read() as cur:
        return _by_ids(cur, ids)


def _by_ids(cur: CountingCursor, ids: Sequence[str]) -> dict[str, RecommendationRow]:
    cur.execute(
        f"SELECT {COLUMNS} FROM recommendations WHERE id IN ({placeholders(ids)})",
        list(ids),
    )
    return {row.id: row for row in map(_row, cur.fetchall())}


def status_timelines(store: ReadStore, ids: Sequence[str]) -> dict[str, list[StatusChangeRow]]:
    result: dict[str, list[StatusChangeRow]] = {rec_id: [] for rec_id in ids}
    with store.read() as cur:
        cur.execute(
            "SELECT recommendation_id, log_position, status, basis, joint_position_id,"
            " position_revision, reason, actor_id, at FROM status_timeline"
            f" WHERE recommendation_id IN ({placeholders(ids)})"
            " ORDER BY recommendation_id, log_position",
            list(ids),
        )
        for raw in cur.fetchall():
            row = StatusChangeRow(*raw)
            result[row.recommendation_id].append(row)
    return result
