"""State as of any moment: which version of an aggregate the log held at a log position or time."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from projections.db import Database


def version_at(
    database: Database, events_table: str, originator_id: UUID, log_position: int
) -> int | None:
    """The aggregate's last version recorded at or before ``log_position`` (None: not yet born)."""
    if database.engine == "sqlite":
        sql = f"SELECT MAX(originator_version) FROM {events_table} WHERE originator_id = ? AND rowid <= ?"  # noqa: S608
        params: tuple[object, ...] = (originator_id.hex, log_position)
    else:
        sql = f"SELECT MAX(originator_version) FROM {events_table} WHERE originator_id = ? AND notification_id <= ?"  # noqa: S608
        params = (originator_id, log_position)
    with database.transaction(snapshot=True) as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else None


def position_at(database: Database, moment: datetime) -> int:
    """The last log position recorded at or before ``moment`` (0 before the first event)."""
    if moment.tzinfo is None:
        raise ValueError("a moment in the record's history needs its time zone")
    with database.transaction(snapshot=True) as cur:
        cur.execute(
            "SELECT MAX(log_position) FROM history WHERE at <= ?",
            (moment.astimezone(UTC).isoformat(),),
        )
        row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0
