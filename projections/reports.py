"""Reports and their versions; and the lifecycle details that printed reports need.

``reports`` and ``report_versions`` list every generated report with each version's log position,
digests, who asked and when. ``report_lifecycle`` keeps what the other read models leave out but a
dossier prints: the reason an assessment was withdrawn, who published a joint position and when,
and why it was reopened.
"""

from __future__ import annotations

from typing import Any

from domain.assessment import Assessment
from domain.joint_position import JointPosition
from domain.report import Report
from projections.base import Appends, BufferedProjection, handles, to_json, ts
from projections.db import Cursor, Engine


class ReportsProjection(BufferedProjection):
    name = "reports"
    rebuild_cost = 0.15
    tables = ("reports", "report_versions", "report_lifecycle")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # Lifecycle rows are only ever added, and nothing reads them back: written in bulk.
        self.lifecycle = Appends(
            "report_lifecycle",
            "log_position",
            "subject_id",
            "event",
            "revision",
            "cycle",
            "reason",
            "actor_id",
            "at",
        )
        self.buffers = [self.lifecycle]

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS reports ("
            " id TEXT PRIMARY KEY, kind TEXT NOT NULL, parameters TEXT NOT NULL,"
            " language TEXT NOT NULL, subject_id TEXT, latest_version INTEGER NOT NULL,"
            " registered_by TEXT NOT NULL, registered_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS reports_subject ON reports (subject_id)",
            "CREATE TABLE IF NOT EXISTS report_versions ("
            " report_id TEXT NOT NULL, version INTEGER NOT NULL, log_position BIGINT NOT NULL,"
            " input_digest TEXT NOT NULL, pdf_sha256 TEXT NOT NULL, actor_id TEXT NOT NULL,"
            " generated_at TEXT NOT NULL, event_log_position BIGINT NOT NULL,"
            " PRIMARY KEY (report_id, version))",
            "CREATE UNIQUE INDEX IF NOT EXISTS report_versions_position"
            " ON report_versions (report_id, log_position)",
            "CREATE TABLE IF NOT EXISTS report_lifecycle ("
            " log_position BIGINT PRIMARY KEY, subject_id TEXT NOT NULL, event TEXT NOT NULL,"
            " revision INTEGER, cycle INTEGER, reason TEXT NOT NULL, actor_id TEXT NOT NULL,"
            " at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS report_lifecycle_subject"
            " ON report_lifecycle (subject_id, log_position)",
        ]

    @handles(Report.Registered)
    def registered(self, cur: Cursor, event: Report.Registered, position: int) -> None:
        at = ts(event.timestamp)
        cur.execute(
            "INSERT INTO reports (id, kind, parameters, language, subject_id, latest_version,"
            " registered_by, registered_at, updated_at, log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.kind,
                to_json(event.parameters),
                event.language,
                subject_of(event.parameters),
                0,
                str(event.actor_id),
                at,
                at,
                position,
            ),
        )

    @handles(Report.Generated)
    def generated(self, cur: Cursor, event: Report.Generated, position: int) -> None:
        report = str(event.originator_id)
        at = ts(event.timestamp)
        cur.execute(
            "INSERT INTO report_versions (report_id, version, log_position, input_digest,"
            " pdf_sha256, actor_id, generated_at, event_log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report,
                event.version,
                event.log_position,
                event.input_digest,
                event.pdf_sha256,
                str(event.actor_id),
                at,
                position,
            ),
        )
        cur.execute(
            "UPDATE reports SET latest_version = ?, updated_at = ?, log_position = ? WHERE id = ?",
            (event.version, at, position, report),
        )

    @handles(Assessment.Withdrawn)
    def assessment_withdrawn(self, cur: Cursor, event: Assessment.Withdrawn, position: int) -> None:
        self._lifecycle(cur, event, position, "withdrawn", event.revision, None, event.reason)

    @handles(JointPosition.Published)
    def published(self, cur: Cursor, event: JointPosition.Published, position: int) -> None:
        self._lifecycle(cur, event, position, "published", event.revision, None, "")

    @handles(JointPosition.Reopened)
    def reopened(self, cur: Cursor, event: JointPosition.Reopened, position: int) -> None:
        self._lifecycle(cur, event, position, "reopened", None, event.cycle, event.reason)

    def _lifecycle(
        self,
        cur: Cursor,
        event: Any,
        position: int,
        name: str,
        revision: int | None,
        cycle: int | None,
        reason: str,
    ) -> None:
        self.lifecycle.add(
            position,
            str(event.originator_id),
            name,
            revision,
            cycle,
            reason,
            str(event.actor_id),
            ts(event.timestamp),
        )


SUBJECT_PARAMETERS = ("recommendation", "round", "subject")


def subject_of(parameters: dict[str, str]) -> str | None:
    """The record a report is about, for finding the reports of a recommendation or round."""
    for name in SUBJECT_PARAMETERS:
        if name in parameters:
            return parameters[name]
    return None
