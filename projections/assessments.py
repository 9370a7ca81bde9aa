"""Assessments with their revisions, and every co-signature with the revision it binds to."""

from __future__ import annotations

from typing import Any

from domain.assessment import Assessment
from domain.rules import Visibility, assessment_visibility
from domain.values import AssessmentState, Track
from projections.base import Projection, handles, to_json, ts, update_row
from projections.db import Cursor
from projections.text import fold


class AssessmentsProjection(Projection):
    name = "assessments"
    tables = ("assessments", "assessment_revisions", "co_signatures")

    def search_tables(self) -> tuple[str, ...]:
        return ("assessments_fts",) if self.engine == "sqlite" else ()

    def ddl(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS assessments ("
            " id TEXT PRIMARY KEY, round_id TEXT NOT NULL, recommendation_id TEXT NOT NULL,"
            " organisation_id TEXT NOT NULL, track TEXT NOT NULL, state TEXT NOT NULL,"
            " visibility TEXT NOT NULL, revision INTEGER NOT NULL, rating TEXT NOT NULL,"
            " narrative TEXT NOT NULL, evidence TEXT NOT NULL, submitted_revision INTEGER,"
            " proposed_by TEXT NOT NULL, proposed_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
            " version INTEGER NOT NULL, search_text TEXT NOT NULL, log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS assessments_round ON assessments (round_id, id)",
            "CREATE INDEX IF NOT EXISTS assessments_recommendation"
            " ON assessments (recommendation_id)",
            "CREATE INDEX IF NOT EXISTS assessments_organisation ON assessments (organisation_id)",
            "CREATE TABLE IF NOT EXISTS assessment_revisions ("
            " assessment_id TEXT NOT NULL, revision INTEGER NOT NULL, rating TEXT NOT NULL,"
            " narrative TEXT NOT NULL, evidence TEXT NOT NULL, author_id TEXT NOT NULL,"
            " at TEXT NOT NULL, log_position BIGINT NOT NULL,"
            " PRIMARY KEY (assessment_id, revision))",
            "CREATE TABLE IF NOT EXISTS co_signatures ("
            " assessment_id TEXT NOT NULL, log_position BIGINT NOT NULL,"
            " organisation_id TEXT NOT NULL, revision INTEGER NOT NULL, signed_by TEXT NOT NULL,"
            " signed_at TEXT NOT NULL, status TEXT NOT NULL, ended_at TEXT, ended_by TEXT,"
            " end_reason TEXT, PRIMARY KEY (assessment_id, log_position))",
            "CREATE INDEX IF NOT EXISTS co_signatures_org ON co_signatures (organisation_id)",
        ]
        if self.engine == "postgres":
            statements.append(
                "CREATE INDEX IF NOT EXISTS assessments_search ON assessments"
                " USING GIN (to_tsvector('simple', search_text))"
            )
        else:
            statements.append(
                "CREATE VIRTUAL TABLE IF NOT EXISTS assessments_fts USING fts5("
                " id UNINDEXED, search_text, tokenize = 'unicode61 remove_diacritics 2')"
            )
        return statements

    @handles(Assessment.Proposed)
    def proposed(self, cur: Cursor, event: Assessment.Proposed, position: int) -> None:
        at = ts(event.timestamp)
        assessment_id = str(event.originator_id)
        cur.execute(
            "INSERT INTO assessments (id, round_id, recommendation_id, organisation_id, track,"
            " state, visibility, revision, rating, narrative, evidence, submitted_revision,"
            " proposed_by, proposed_at, updated_at, version, search_text, log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assessment_id,
                str(event.round_id),
                str(event.recommendation_id),
                str(event.organisation_id),
                event.track.value,
                AssessmentState.DRAFT.value,
                Visibility.ORGANISATION.value,
                1,
                event.rating.value,
                event.narrative,
                to_json(event.evidence),
                None,
                str(event.actor_id),
                at,
                at,
                event.originator_version,
                fold(event.narrative),
                position,
            ),
        )
        self._revision(cur, assessment_id, 1, event, position)
        self._index(cur, assessment_id, event.narrative)

    @handles(Assessment.Revised)
    def revised(self, cur: Cursor, event: Assessment.Revised, position: int) -> None:
        assessment_id = str(event.originator_id)
        update_row(
            cur,
            "assessments",
            event,
            position,
            revision=event.revision,
            rating=event.rating.value,
            narrative=event.narrative,
            evidence=to_json(event.evidence),
            search_text=fold(event.narrative),
        )
        self._revision(cur, assessment_id, event.revision, event, position)
        self._index(cur, assessment_id, event.narrative)

    @handles(Assessment.OpenedForSignature)
    def opened(self, cur: Cursor, event: Assessment.OpenedForSignature, position: int) -> None:
        self._state(cur, event, position, AssessmentState.OPEN_FOR_SIGNATURE)

    @handles(Assessment.Submitted)
    def submitted(self, cur: Cursor, event: Assessment.Submitted, position: int) -> None:
        self._state(
            cur, event, position, AssessmentState.SUBMITTED, submitted_revision=event.revision
        )

    @handles(Assessment.Withdrawn)
    def withdrawn(self, cur: Cursor, event: Assessment.Withdrawn, position: int) -> None:
        self._state(cur, event, position, AssessmentState.WITHDRAWN)

    @handles(Assessment.CoSigned)
    def co_signed(self, cur: Cursor, event: Assessment.CoSigned, position: int) -> None:
        assessment_id = str(event.originator_id)
        at = ts(event.timestamp)
        # The organisation's signature on an earlier revision stays there, marked superseded.
        cur.execute(
            "UPDATE co_signatures SET status = 'superseded', ended_at = ?, ended_by = ?"
            " WHERE assessment_id = ? AND organisation_id = ? AND status = 'active'",
            (at, str(event.actor_id), assessment_id, str(event.organisation_id)),
        )
        cur.execute(
            "INSERT INTO co_signatures (assessment_id, log_position, organisation_id, revision,"
            " signed_by, signed_at, status) VALUES (?, ?, ?, ?, ?, ?, 'active')",
            (
                assessment_id,
                position,
                str(event.organisation_id),
                event.revision,
                str(event.actor_id),
                at,
            ),
        )
        update_row(cur, "assessments", event, position)

    @handles(Assessment.CoSignatureWithdrawn)
    def co_signature_withdrawn(
        self, cur: Cursor, event: Assessment.CoSignatureWithdrawn, position: int
    ) -> None:
        cur.execute(
            "UPDATE co_signatures SET status = 'withdrawn', ended_at = ?, ended_by = ?,"
            " end_reason = ? WHERE assessment_id = ? AND organisation_id = ? AND status = 'active'",
            (
                ts(event.timestamp),
                str(event.actor_id),
                event.reason,
                str(event.originator_id),
                str(event.organisation_id),
            ),
        )
        update_row(cur, "assessments", event, position)

    def _state(
        self,
        cur: Cursor,
        event: Any,
        position: int,
        state: AssessmentState,
        **columns: Any,
    ) -> None:
        cur.execute(
            "SELECT track, visibility FROM assessments WHERE id = ?", (str(event.originator_id),)
        )
        track, previous = cur.fetchone()
        visibility = assessment_visibility(state, Track(track), Visibility(previous))
        update_row(
            cur,
            "assessments",
            event,
            position,
            state=state.value,
            visibility=visibility.value,
            **columns,
        )

    def _revision(
        self, cur: Cursor, assessment_id: str, number: int, event: Any, position: int
    ) -> None:
        cur.execute(
            "INSERT INTO assessment_revisions (assessment_id, revision, rating, narrative,"
            " evidence, author_id, at, log_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assessment_id,
                number,
                event.rating.value,
                event.narrative,
                to_json(event.evidence),
                str(event.actor_id),
                ts(event.timestamp),
                position,
            ),
        )

    def _index(self, cur: Cursor, assessment_id: str, narrative: str) -> None:
        if self.engine == "sqlite":
            cur.execute("DELETE FROM assessments_fts WHERE id = ?", (assessment_id,))
            cur.execute(
                "INSERT INTO assessments_fts (id, search_text) VALUES (?, ?)",
                (assessment_id, fold(narrative)),
            )
