"""Open data: the public catalogue and the published joint positions, read from the read models.

Every function takes a ``Database`` and yields one dict per row, in a stable order (the
catalogue's order of document symbol and paragraph). Rows are read a page at a time inside one
snapshot transaction, so the export is consistent and memory stays flat however large it is.
Only what the public may read leaves here: the whole catalogue, and joint positions whose
visibility is public, with their *published* text and revision (never a later draft).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import Any

from domain.rules import Visibility
from projections.db import Cursor, Database

PAGE_SIZE = 500

CATALOGUE_COLUMNS = (
    "id",
    "mechanism",
    "document_symbol",
    "paragraph",
    "text",
    "session",
    "cycle",
    "document_date",
    "recommending_states",
    "themes",
    "affected_persons",
    "sdgs",
    "state_response",
    "kind",
    "annotation_id",
    "status",
    "status_basis",
    "responsible_bodies",
    "updated_at",
)

POSITION_COLUMNS = (
    "id",
    "recommendation_id",
    "document_symbol",
    "paragraph",
    "round_id",
    "round_title",
    "published_revision",
    "published_status",
    "published_text",
    "adopted_at_session",
    "adopted_on",
    "adoption_method",
    "votes_for",
    "votes_against",
    "abstentions",
)

_CATALOGUE_SQL = (
    "SELECT id, mechanism, document_symbol, paragraph, text, session, cycle, document_date,"
    " recommending_states, themes, affected_persons, sdgs, state_response, kind, annotation_id,"
    " status, status_basis, responsible_body_ids, updated_at, sort_key"
    " FROM recommendations WHERE sort_key > ? OR (sort_key = ? AND id > ?)"
    " ORDER BY sort_key, id LIMIT ?"
)

_POSITIONS_SQL = (
    "SELECT jp.id, jp.recommendation_id, r.document_symbol, r.paragraph, jp.round_id, ro.title,"
    " jp.published_revision, pr.proposed_status, jp.published_text, a.session, a.adopted_on,"
    " a.method, a.votes_for, a.votes_against, a.abstentions, r.sort_key"
    " FROM joint_positions jp"
    " JOIN recommendations r ON r.id = jp.recommendation_id"
    " LEFT JOIN rounds ro ON ro.id = jp.round_id"
    " LEFT JOIN position_revisions pr"
    "  ON pr.position_id = jp.id AND pr.revision = jp.published_revision"
    " LEFT JOIN adoptions a ON a.position_id = jp.id AND a.log_position = ("
    "  SELECT MAX(b.log_position) FROM adoptions b"
    "  WHERE b.position_id = jp.id AND b.revision = jp.published_revision)"
    " WHERE jp.visibility = ? AND jp.published_revision IS NOT NULL"
    " AND (r.sort_key > ? OR (r.sort_key = ? AND jp.id > ?))"
    " ORDER BY r.sort_key, jp.id LIMIT ?"
)

_LIST_COLUMNS = ("recommending_states", "themes", "affected_persons", "sdgs")


def catalogue(
    database: Database, *, page_size: int = PAGE_SIZE
) -> Generator[dict[str, Any], None, None]:
    """Every catalogued recommendation with its official status and responsible bodies."""
    with database.transaction(snapshot=True) as cur:
        body_names = _organisation_names(cur)
        for record in _pages(cur, _CATALOGUE_SQL, (), page_size):
            row = dict(zip(CATALOGUE_COLUMNS, record[:-1], strict=True))
            for column in _LIST_COLUMNS:
                row[column] = json.loads(row[column])
            basis = json.loads(record[16]) if record[16] else None
            row["status_basis"] = basis["basis"] if basis else None
            row["responsible_bodies"] = [
                body_names.get(body_id, body_id) for body_id in json.loads(record[17])
            ]
            yield row


def published_positions(
    database: Database, *, page_size: int = PAGE_SIZE
) -> Generator[dict[str, Any], None, None]:
    """Every joint position the Council published, as published (text, revision, status)."""
    with database.transaction(snapshot=True) as cur:
        params = (Visibility.PUBLIC.value,)
        for record in _pages(cur, _POSITIONS_SQL, params, page_size):
            yield dict(zip(POSITION_COLUMNS, record[:-1], strict=True))


def _pages(
    cur: Cursor, sql: str, params: tuple[Any, ...], page_size: int
) -> Iterator[tuple[Any, ...]]:
    """Keyset pages of a query whose last two selected columns are ``sort_key`` and the
    first one ``id``; the query's own parameters come first, then the key and the page size."""
    after: tuple[str, str] = ("", "")
    while True:
        cur.execute(sql, (*params, after[0], after[0], after[1], page_size))
        records = [tuple(record) for record in cur.fetchall()]
        yield from records
        if len(records) < page_size:
            return
        after = (str(records[-1][-1]), str(records[-1][0]))


def _organisation_names(cur: Cursor) -> dict[str, str]:
    cur.execute("SELECT id, name FROM organisations")
    return {str(org_id): str(name) for org_id, name in cur.fetchall()}
