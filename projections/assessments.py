"""Assessments with their revisions, and every co-signature with the revision it binds to.

The projection keeps in memory each assessment's track and visibility, and which organisation's
signature on it is active, so its handlers never read the tables back; rows go out in bulk.
"""

from __future__ import annotations

from typing import Any

from domain.assessment import Assessment
from domain.rules import Visibility, assessment_visibility
from domain.values import AssessmentState, Track
from projections.base import Appends, BufferedProjection, Rows, handles, to_json, ts, uid
from projections.db import Cursor, Engine
from projections.text import fold


class AssessmentsProjection(BufferedProjection):
    name = "assessments"
    rebuild_cost = 2.9
    tables = ("assessments", "assessment_revisions", "co_signatures")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.seen: dict[str, tuple[str, str]] = {}  # assessment id: track, visibility
        self.active: dict[tuple[str, str], int] = {}  # assessment, organisation: signed at
        self.rows = Rows("assessments", "id")
        self.revisions = Appends(
            "assessment_revisions",
            "assessment_id",
            "revision",
            "rating",
            "narrative",
            "evidence",
            "author_id",
            "at",
            "log_position",
        )
        self.signatures = Rows("co_signatures", "assessment_id", "log_position")
        self.buffers = [self.rows, self.revisions, self.signatures]

    def load(self, cur: Cursor) -> None:
        cur.execute("SELECT id, track, visibility FROM assessments")
        self.seen = {str(row[0]): (str(row[1]), str(row[2])) for row in cur.fetchall()}
        cur.execute(
            "SELECT assessment_id, organisation_id, log_position FROM co_signatures"
            " WHERE status = 'active'"
        )
        self.active = {(str(a), str(o)): int(p) for a, o, p in cur.fetchall()}

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
        assessment_id = uid(event.originator_id)
        folded = fold(event.narrative)
        self.rows.insert(
            id=assessment_id,
            round_id=uid(event.round_id),
            recommendation_id=uid(event.recommendation_id),
            organisation_id=uid(event.organisation_id),
            track=event.track.value,
            state=AssessmentState.DRAFT.value,
            visibility=Visibility.ORGANISATION.value,
            revision=1,
            rating=event.rating.value,
            narrative=event.narrative,
            evidence=to_json(event.evidence),
            submitted_revision=None,
            proposed_by=uid(event.actor_id),
            proposed_at=at,
            updated_at=at,
            version=event.originator_version,
            search_text=folded,
            log_position=position,
        )
        self.seen[assessment_id] = (event.track.value, Visibility.ORGANISATION.value)
        self._revision(assessment_id, 1, event, position)
        self._index(cur, assessment_id, folded, new=True)

    @handles(Assessment.Revised)
    def revised(self, cur: Cursor, event: Assessment.Revised, position: int) -> None:
        assessment_id = uid(event.originator_id)
        folded = fold(event.narrative)
        self.rows.touch(
            event,
            position,
            revision=event.revision,
            rating=event.rating.value,
            narrative=event.narrative,
            evidence=to_json(event.evidence),
            search_text=folded,
        )
        self._revision(assessment_id, event.revision, event, position)
        self._index(cur, assessment_id, folded, new=False)

    @handles(Assessment.OpenedForSignature)
    def opened(self, cur: Cursor, event: Assessment.OpenedForSignature, position: int) -> None:
        self._state(event, position, AssessmentState.OPEN_FOR_SIGNATURE)

    @handles(Assessment.Submitted)
    def submitted(self, cur: Cursor, event: Assessment.Submitted, position: int) -> None:
        self._state(event, position, AssessmentState.SUBMITTED, submitted_revision=event.revision)

    @handles(Assessment.Withdrawn)
    def withdrawn(self, cur: Cursor, event: Assessment.Withdrawn, position: int) -> None:
        self._state(event, position, AssessmentState.WITHDRAWN)

    @handles(Assessment.CoSigned)
    def co_signed(self, cur: Cursor, event: Assessment.CoSigned, position: int) -> None:
        assessment_id = uid(event.originator_id)
        organisation_id = uid(event.organisation_id)
        at = ts(event.timestamp)
        # The organisation's signature on an earlier revision stays there, marked superseded.
        self._end_signature(
            assessment_id,
            organisation_id,
            status="superseded",
            ended_at=at,
            ended_by=uid(event.actor_id),
        )
        self.signatures.insert(
            assessment_id=assessment_id,
            log_position=position,
            organisation_id=organisation_id,
            revision=event.revision,
            signed_by=uid(event.actor_id),
            signed_at=at,
            status="active",
        )
        self.active[assessment_id, organisation_id] = position
        self.rows.touch(event, position)

    @handles(Assessment.CoSignatureWithdrawn)
    def co_signature_withdrawn(
        self, cur: Cursor, event: Assessment.CoSignatureWithdrawn, position: int
    ) -> None:
        self._end_signature(
            uid(event.originator_id),
            uid(event.organisation_id),
            status="withdrawn",
            ended_at=ts(event.timestamp),
            ended_by=uid(event.actor_id),
            end_reason=event.reason,
        )
        self.rows.touch(event, position)

    def _end_signature(self, assessment_id: str, organisation_id: str, **columns: Any) -> None:
        """End the organisation's active signature on the assessment, if it has one."""
        signed_at = self.active.pop((assessment_id, organisation_id), None)
        if signed_at is not None:
            self.signatures.update((assessment_id, signed_at), **columns)

    def _state(self, event: Any, position: int, state: AssessmentState, **columns: Any) -> None:
        assessment_id = uid(event.originator_id)
        track, previous = self.seen[assessment_id]
        visibility = assessment_visibility(state, Track(track), Visibility(previous))
        self.seen[assessment_id] = (track, visibility.value)
        self.rows.touch(event, position, state=state.value, visibility=visibility.value, **columns)

    def _revision(self, assessment_id: str, number: int, event: Any, position: int) -> None:
        self.revisions.add(
            assessment_id,
            number,
            event.rating.value,
            event.narrative,
            to_json(event.evidence),
            uid(event.actor_id),
            ts(event.timestamp),
            position,
        )

    def _index(self, cur: Cursor, assessment_id: str, folded: str, *, new: bool) -> None:
        # SQLite's FTS5 table does not index its id: the delete scans it, so only when needed.
        if self.engine == "sqlite":
            if not new:
                cur.execute("DELETE FROM assessments_fts WHERE id = ?", (assessment_id,))
            cur.execute(
                "INSERT INTO assessments_fts (id, search_text) VALUES (?, ?)",
                (assessment_id, folded),
            )
