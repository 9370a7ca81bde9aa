"""Assessments: pages in a viewer's scope, and batches of revisions, co-signatures, comment counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.queries.paging import Page, Scope, decode_cursor, page_of, placeholders
from projections.queries.store import ReadStore

COLUMNS = (
    "id, round_id, recommendation_id, organisation_id, track, state, visibility, revision,"
    " rating, narrative, evidence, submitted_revision, proposed_by, proposed_at, updated_at,"
    " version, log_position"
)


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: str
    round_id: str
    recommendation_id: str
    organisation_id: str
    track: str
    state: str
    visibility: str
    revision: int
    rating: str
    narrative: str
    evidence: list[dict[str, str]]
    submitted_revision: int | None
    proposed_by: str
    proposed_at: str
    updated_at: str
    version: int
    log_position: int


@dataclass(frozen=True, slots=True)
class AssessmentRevisionRow:
    assessment_id: str
    revision: int
    rating: str
    narrative: str
    evidence: list[dict[str, str]]
    author_id: str
    at: str
    log_position: int


@dataclass(frozen=True, slots=True)
class CoSignatureRow:
    assessment_id: str
    log_position: int
    organisation_id: str
    revision: int
    signed_by: str
    signed_at: str
    status: str
    ended_at: str | None
    ended_by: str | None
    end_reason: str | None


@dataclass(frozen=True)
class AssessmentFilter:
    round_id: str | None = None
    recommendation_id: str | None = None
    organisation_id: str | None = None
    state: str | None = None
    track: str | None = None


def _row(raw: Sequence[Any]) -> AssessmentRow:
    values = list(raw)
    values[10] = json.loads(values[10])
    return AssessmentRow(*values)


def list_assessments(
    store: ReadStore, scope: Scope, flt: AssessmentFilter, first: int, after: str | None
) -> Page[AssessmentRow]:
    condition, params = scope.sql("visibility", "organisation_id")
    where = [condition]
    for column in ("round_id", "recommendation_id", "organisation_id", "state", "track"):
        value = getattr(flt, column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        proposed_at, assessment_id = decode_cursor(after, 2)
        where.append("(proposed_at > ? OR (proposed_at = ? AND id > ?))")
        params.extend((proposed_at, proposed_at, assessment_id))
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM assessments WHERE {' AND '.join(where)}"
            " ORDER BY proposed_at, id LIMIT ?",
            (*params, first + 1),
        )
        rows = [_row(raw) for raw in cur.fetchall()]
    return page_of(rows, first, lambda row: (row.proposed_at, row.id))


def assessments_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, AssessmentRow]:
    with store.read() as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM assessments WHERE id IN ({placeholders(ids)})",
            list(ids),
        )
        return {row.id: row for row in map(_row, cur.fetchall())}


def revisions_by_assessment(
    store: ReadStore, ids: Sequence[str]
) -> dict[str, list[AssessmentRevisionRow]]:
    result: dict[str, list[AssessmentRevisionRow]] = {key: [] for key in ids}
    with store.read() as cur:
        cur.execute(
            "SELECT assessment_id, revision, rating, narrative, evidence, author_id, at,"
            " log_position FROM assessment_revisions"
            f" WHERE assessment_id IN ({placeholders(ids)})"
            " ORDER BY assessment_id, revision",
            list(ids),
        )
        for raw in cur.fetchall():
            values = list(raw)
            values[4] = json.loads(values[4])
            row = AssessmentRevisionRow(*values)
            result[row.assessment_id].append(row)
    return result


def co_signatures_by_assessment(
    store: ReadStore, ids: Sequence[str]
) -> dict[str, list[CoSignatureRow]]:
    result: dict[str, list[CoSignatureRow]] = {key: [] for key in ids}
    with store.read() as cur:
        cur.execute(
            "SELECT assessment_id, log_position, organisation_id, revision, signed_by,"
            " signed_at, status, ended_at, ended_by, end_reason FROM co_signatures"
            f" WHERE assessment_id IN ({placeholders(ids)})"
            " ORDER BY assessment_id, log_position",
            list(ids),
        )
        for raw in cur.fetchall():
            row = CoSignatureRow(*raw)
            result[row.assessment_id].append(row)
    return result
