"""Monitoring rounds and the recommendations each covers."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.round import MonitoringRound
from projections.base import Appends, BufferedProjection, handles, opt, ts
from projections.db import Cursor, Engine


class RoundsProjection(BufferedProjection):
    name = "rounds"
    rebuild_cost = 0.3
    tables = ("rounds", "round_recommendations")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # A round covers thousands of recommendations: their rows go in bulk at the batch's end.
        self.covered = Appends("round_recommendations", "round_id", "recommendation_id", "added_at")
        self.buffers = [self.covered]

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rounds ("
            " id TEXT PRIMARY KEY, title TEXT NOT NULL, mechanism TEXT NOT NULL, cycle INTEGER,"
            " phase TEXT NOT NULL, assessments_due TEXT NOT NULL, co_signing_due TEXT NOT NULL,"
            " council_session_on TEXT NOT NULL, co_sign_quorum INTEGER NOT NULL,"
            " opened_by TEXT NOT NULL, opened_at TEXT NOT NULL, version INTEGER NOT NULL,"
            " log_position BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS round_recommendations ("
            " round_id TEXT NOT NULL, recommendation_id TEXT NOT NULL, added_at TEXT NOT NULL,"
            " PRIMARY KEY (round_id, recommendation_id))",
            "CREATE INDEX IF NOT EXISTS round_recommendations_rec"
            " ON round_recommendations (recommendation_id)",
        ]

    @handles(MonitoringRound.Opened)
    def opened(self, cur: Cursor, event: MonitoringRound.Opened, position: int) -> None:
        round_id = str(event.originator_id)
        cur.execute(
            "INSERT INTO rounds (id, title, mechanism, cycle, phase, assessments_due,"
            " co_signing_due, council_session_on, co_sign_quorum, opened_by, opened_at, version,"
            " log_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                round_id,
                event.title,
                event.mechanism,
                event.cycle,
                "assessment",
                opt(event.assessments_due),
                opt(event.co_signing_due),
                opt(event.council_session_on),
                event.co_sign_quorum,
                str(event.actor_id),
                ts(event.timestamp),
                event.originator_version,
                position,
            ),
        )
        self._add(round_id, event.recommendation_ids, ts(event.timestamp))

    @handles(MonitoringRound.RecommendationsAdded)
    def added(
        self, cur: Cursor, event: MonitoringRound.RecommendationsAdded, position: int
    ) -> None:
        round_id = str(event.originator_id)
        self._add(round_id, event.recommendation_ids, ts(event.timestamp))
        cur.execute(
            "UPDATE rounds SET version = ?, log_position = ? WHERE id = ?",
            (event.originator_version, position, round_id),
        )

    @handles(MonitoringRound.PhaseAdvanced)
    def phase(self, cur: Cursor, event: MonitoringRound.PhaseAdvanced, position: int) -> None:
        cur.execute(
            "UPDATE rounds SET phase = ?, version = ?, log_position = ? WHERE id = ?",
            (event.phase.value, event.originator_version, position, str(event.originator_id)),
        )

    def _add(self, round_id: str, ids: Sequence[UUID], at: str) -> None:
        for rec_id in ids:
            self.covered.add(round_id, str(rec_id), at)
