"""What reports read beyond the API's queries: whole rounds, positions in the log, audit leaves,
and the list of reports with their versions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from projections.queries.history import HistoryRow
from projections.queries.paging import Scope, placeholders
from projections.queries.store import ReadStore

_NOT_A_REPORT = "event_type NOT LIKE 'Report.%'"

# --- where the read models stand --------------------------------------------------------------


def tracking_positions(store: ReadStore, names: Sequence[str]) -> dict[str, int]:
    """How far each named projection has applied the log (0 when it has not started)."""
    with store.read() as cur:
        cur.execute(
            "SELECT projection, position FROM projection_tracking"
            f" WHERE projection IN ({placeholders(names)})",
            list(names),
        )
        found = {str(name): int(position) for name, position in cur.fetchall()}
    return {name: found.get(name, 0) for name in names}


def last_recorded_position(store: ReadStore, *, at_or_below: int) -> int:
    """The log position of the last event of the record at or below a log position (0: none).

    Every event of the record has a line in the history; report generations are not part of the
    record a report shows, so two log positions with only report generations between them show
    the same record.
    """
    with store.read() as cur:
        cur.execute(
            f"SELECT MAX(log_position) FROM history WHERE log_position <= ? AND {_NOT_A_REPORT}",
            (at_or_below,),
        )
        row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def recorded_between(store: ReadStore, *, after: int, until: int) -> bool:
    """Whether the record has any event after ``after`` and at or below ``until``."""
    with store.read() as cur:
        cur.execute(
            "SELECT 1 FROM history WHERE log_position > ? AND log_position <= ?"
            f" AND {_NOT_A_REPORT} LIMIT 1",
            (after, until),
        )
        return cur.fetchone() is not None


def recorded_at(store: ReadStore, log_position: int) -> str | None:
    """The time of the event at a log position (ISO 8601, UTC), if it is an event of the record."""
    with store.read() as cur:
        cur.execute("SELECT at FROM history WHERE log_position = ?", (log_position,))
        row = cur.fetchone()
    return str(row[0]) if row else None


# --- what a round or a recommendation holds ---------------------------------------------------


def assessment_ids(
    store: ReadStore, *, round_id: str | None = None, recommendation_id: str | None = None
) -> list[str]:
    where, params = _of(round_id, recommendation_id)
    with store.read() as cur:
        cur.execute(f"SELECT id FROM assessments{where} ORDER BY proposed_at, id", params)
        return [str(row[0]) for row in cur.fetchall()]


def joint_position_ids(
    store: ReadStore, *, round_id: str | None = None, recommendation_id: str | None = None
) -> list[str]:
    where, params = _of(round_id, recommendation_id)
    with store.read() as cur:
        cur.execute(f"SELECT id FROM joint_positions{where} ORDER BY drafted_at, id", params)
        return [str(row[0]) for row in cur.fetchall()]


def rounds_of_recommendation(store: ReadStore, recommendation_id: str) -> list[str]:
    with store.read() as cur:
        cur.execute(
            "SELECT round_id FROM round_recommendations WHERE recommendation_id = ?"
            " ORDER BY added_at, round_id",
            (recommendation_id,),
        )
        return [str(row[0]) for row in cur.fetchall()]


def _of(round_id: str | None, recommendation_id: str | None) -> tuple[str, list[str]]:
    where: list[str] = []
    params: list[str] = []
    if round_id is not None:
        where.append("round_id = ?")
        params.append(round_id)
    if recommendation_id is not None:
        where.append("recommendation_id = ?")
        params.append(recommendation_id)
    return (f" WHERE {' AND '.join(where)}" if where else ""), params


@dataclass(frozen=True, slots=True)
class LifecycleRow:
    log_position: int
    subject_id: str
    event: str
    revision: int | None
    cycle: int | None
    reason: str
    actor_id: str
    at: str


def lifecycle_by_subject(store: ReadStore, ids: Sequence[str]) -> dict[str, list[LifecycleRow]]:
    """Withdrawals of assessments, publications and reopenings of joint positions, in log order."""
    result: dict[str, list[LifecycleRow]] = {key: [] for key in ids}
    if not ids:
        return result
    with store.read() as cur:
        cur.execute(
            "SELECT log_position, subject_id, event, revision, cycle, reason, actor_id, at"
            f" FROM report_lifecycle WHERE subject_id IN ({placeholders(ids)})"
            " ORDER BY log_position",
            list(ids),
        )
        for raw in cur.fetchall():
            row = LifecycleRow(*raw)
            result[row.subject_id].append(row)
    return result


# --- the history about some subjects -----------------------------------------------------------


@dataclass(frozen=True)
class Subjects:
    """What "about" means: events of these subjects, or of anything of these recommendations or
    rounds (their assessments, joint positions and comments)."""

    subject_ids: tuple[str, ...] = ()
    recommendation_ids: tuple[str, ...] = ()
    round_ids: tuple[str, ...] = ()


def history_about(
    store: ReadStore,
    subjects: Subjects,
    *,
    after: int,
    until: int,
    scope: Scope | None = None,
) -> list[HistoryRow]:
    """History rows about ``subjects`` in (after, until], in log order; ``scope`` None: all."""
    alternatives: list[str] = []
    params: list[object] = [after, until]
    for column, values in (
        ("h.subject_id", subjects.subject_ids),
        ("h.recommendation_id", subjects.recommendation_ids),
        ("h.round_id", subjects.round_ids),
    ):
        if values:
            alternatives.append(f"{column} IN ({placeholders(values)})")
            params.extend(values)
    if not alternatives:
        return []
    where = ["h.log_position > ?", "h.log_position <= ?", f"({' OR '.join(alternatives)})"]
    if scope is not None:
        condition, scope_params = scope.sql("s.visibility", "s.owner_id")
        where.append(condition)
        params.extend(scope_params)
    with store.read() as cur:
        cur.execute(
            "SELECT h.log_position, h.subject_id, h.subject_kind, h.round_id,"
            " h.recommendation_id, h.event_type, h.summary, h.actor_id, h.organisation_id,"
            " h.revision, h.at FROM history h"
            " JOIN history_subjects s ON s.subject_id = h.subject_id"
            f" WHERE {' AND '.join(where)} ORDER BY h.log_position",
            params,
        )
        return [HistoryRow(*raw) for raw in cur.fetchall()]


# --- the audit tree -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeafRow:
    log_position: int
    leaf_index: int
    leaf_hash: str


def audit_leaves_at(store: ReadStore, positions: Sequence[int]) -> dict[int, LeafRow]:
    """The audit tree's leaf of each event, by log position (missing: not yet in the tree)."""
    result: dict[int, LeafRow] = {}
    for start in range(0, len(positions), 500):
        chunk = list(positions[start : start + 500])
        with store.read() as cur:
            cur.execute(
                "SELECT log_position, leaf_index, leaf_hash FROM audit_leaves"
                f" WHERE log_position IN ({placeholders(chunk)})",
                chunk,
            )
            for raw in cur.fetchall():
                row = LeafRow(int(raw[0]), int(raw[1]), str(raw[2]))
                result[row.log_position] = row
    return result


def audit_tree_size_at(store: ReadStore, log_position: int) -> tuple[int, int]:
    """(leaves at or below ``log_position``, the last log position the tree holds)."""
    with store.read() as cur:
        cur.execute(
            "SELECT MAX(leaf_index) FROM audit_leaves WHERE log_position <= ?", (log_position,)
        )
        row = cur.fetchone()
        size = int(row[0]) + 1 if row and row[0] is not None else 0
        cur.execute("SELECT log_position FROM audit_tracking WHERE id = 1")
        tracked = cur.fetchone()
    return size, int(tracked[0]) if tracked else 0


# --- reports and their versions -----------------------------------------------------------------

REPORT_COLUMNS = (
    "id, kind, parameters, language, subject_id, latest_version, registered_by, registered_at,"
    " updated_at, log_position"
)
VERSION_COLUMNS = (
    "report_id, version, log_position, input_digest, pdf_sha256, actor_id, generated_at,"
    " event_log_position"
)


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: str
    kind: str
    parameters: dict[str, str]
    language: str
    subject_id: str | None
    latest_version: int
    registered_by: str
    registered_at: str
    updated_at: str
    log_position: int


@dataclass(frozen=True, slots=True)
class ReportVersionRow:
    report_id: str
    version: int
    log_position: int
    input_digest: str
    pdf_sha256: str
    actor_id: str
    generated_at: str
    event_log_position: int


def _report(raw: Sequence[object]) -> ReportRow:
    values = list(raw)
    values[2] = json.loads(str(values[2]))
    return ReportRow(*values)  # type: ignore[arg-type]


def list_reports(
    store: ReadStore, *, kind: str | None = None, subject_id: str | None = None
) -> list[ReportRow]:
    where: list[str] = []
    params: list[str] = []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if subject_id is not None:
        where.append("subject_id = ?")
        params.append(subject_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with store.read() as cur:
        cur.execute(
            f"SELECT {REPORT_COLUMNS} FROM reports{clause} ORDER BY updated_at DESC, id", params
        )
        return [_report(raw) for raw in cur.fetchall()]


def reports_by_ids(store: ReadStore, ids: Sequence[str]) -> dict[str, ReportRow]:
    if not ids:
        return {}
    with store.read() as cur:
        cur.execute(
            f"SELECT {REPORT_COLUMNS} FROM reports WHERE id IN ({placeholders(ids)})", list(ids)
        )
        return {row.id: row for row in map(_report, cur.fetchall())}


def report_versions(store: ReadStore, report_id: str) -> list[ReportVersionRow]:
    with store.read() as cur:
        cur.execute(
            f"SELECT {VERSION_COLUMNS} FROM report_versions WHERE report_id = ? ORDER BY version",
            (report_id,),
        )
        return [ReportVersionRow(*raw) for raw in cur.fetchall()]


def report_version_at(
    store: ReadStore, report_id: str, *, log_position: int
) -> ReportVersionRow | None:
    """The version of a report made of the record at exactly this log position."""
    with store.read() as cur:
        cur.execute(
            f"SELECT {VERSION_COLUMNS} FROM report_versions"
            " WHERE report_id = ? AND log_position = ?",
            (report_id, log_position),
        )
        raw = cur.fetchone()
    return ReportVersionRow(*raw) if raw else None


def latest_report_version(store: ReadStore, report_id: str) -> ReportVersionRow | None:
    """The version made of the most recent state of the record."""
    with store.read() as cur:
        cur.execute(
            f"SELECT {VERSION_COLUMNS} FROM report_versions WHERE report_id = ?"
            " ORDER BY log_position DESC LIMIT 1",
            (report_id,),
        )
        raw = cur.fetchone()
    return ReportVersionRow(*raw) if raw else None
