"""Joint positions: revisions, amendments and their fate, endorsements, dissents, adoptions."""

from __future__ import annotations

from typing import Any

from domain.joint_position import JointPosition
from domain.rules import position_visibility
from domain.values import AmendmentState, PositionState
from projections.base import Projection, handles, opt, to_json, ts, update_row
from projections.db import Cursor


class JointPositionsProjection(Projection):
    name = "joint_positions"
    tables = (
        "joint_positions",
        "position_revisions",
        "amendments",
        "position_stances",
        "adoptions",
    )

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS joint_positions ("
            " id TEXT PRIMARY KEY, round_id TEXT NOT NULL, recommendation_id TEXT NOT NULL,"
            " state TEXT NOT NULL, visibility TEXT NOT NULL, cycle INTEGER NOT NULL,"
            " revision INTEGER NOT NULL, text TEXT NOT NULL, proposed_status TEXT NOT NULL,"
            " based_on TEXT NOT NULL, adopted_revision INTEGER, published_revision INTEGER,"
            " published_text TEXT, drafted_by TEXT NOT NULL, drafted_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, version INTEGER NOT NULL, log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS joint_positions_round ON joint_positions (round_id, id)",
            "CREATE INDEX IF NOT EXISTS joint_positions_recommendation"
            " ON joint_positions (recommendation_id)",
            "CREATE TABLE IF NOT EXISTS position_revisions ("
            " position_id TEXT NOT NULL, revision INTEGER NOT NULL, cycle INTEGER NOT NULL,"
            " text TEXT NOT NULL, proposed_status TEXT NOT NULL, note TEXT NOT NULL,"
            " author_id TEXT NOT NULL, amendment_id TEXT, at TEXT NOT NULL,"
            " log_position BIGINT NOT NULL, PRIMARY KEY (position_id, revision))",
            "CREATE TABLE IF NOT EXISTS amendments ("
            " id TEXT PRIMARY KEY, position_id TEXT NOT NULL, organisation_id TEXT NOT NULL,"
            " proposed_by TEXT NOT NULL, revision INTEGER NOT NULL, text TEXT NOT NULL,"
            " rationale TEXT NOT NULL, state TEXT NOT NULL, decided_by TEXT,"
            " decision_reason TEXT, resulting_revision INTEGER, proposed_at TEXT NOT NULL,"
            " decided_at TEXT, log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS amendments_position ON amendments (position_id)",
            "CREATE TABLE IF NOT EXISTS position_stances ("
            " position_id TEXT NOT NULL, log_position BIGINT NOT NULL, kind TEXT NOT NULL,"
            " organisation_id TEXT NOT NULL, member_id TEXT NOT NULL, revision INTEGER NOT NULL,"
            " statement TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (position_id, log_position))",
            "CREATE TABLE IF NOT EXISTS adoptions ("
            " position_id TEXT NOT NULL, log_position BIGINT NOT NULL, revision INTEGER NOT NULL,"
            " cycle INTEGER NOT NULL, session TEXT NOT NULL, adopted_on TEXT NOT NULL,"
            " method TEXT NOT NULL, votes_for INTEGER, votes_against INTEGER, abstentions INTEGER,"
            " divergent_views TEXT NOT NULL, actor_id TEXT NOT NULL, at TEXT NOT NULL,"
            " PRIMARY KEY (position_id, log_position))",
        ]

    @handles(JointPosition.Drafted)
    def drafted(self, cur: Cursor, event: JointPosition.Drafted, position: int) -> None:
        at = ts(event.timestamp)
        position_id = str(event.originator_id)
        cur.execute(
            "INSERT INTO joint_positions (id, round_id, recommendation_id, state, visibility,"
            " cycle, revision, text, proposed_status, based_on, adopted_revision,"
            " published_revision, published_text, drafted_by, drafted_at, updated_at, version,"
            " log_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                position_id,
                str(event.round_id),
                str(event.recommendation_id),
                PositionState.DRAFTING.value,
                position_visibility(PositionState.DRAFTING, ever_published=False).value,
                1,
                1,
                event.text,
                event.proposed_status.value,
                to_json(event.based_on),
                None,
                None,
                None,
                str(event.actor_id),
                at,
                at,
                event.originator_version,
                position,
            ),
        )
        self._revision(
            cur,
            position_id,
            1,
            1,
            event.text,
            event.proposed_status.value,
            "",
            event,
            None,
            position,
        )

    @handles(JointPosition.Revised)
    def revised(self, cur: Cursor, event: JointPosition.Revised, position: int) -> None:
        cycle = self._value(cur, event, "cycle")
        update_row(
            cur,
            "joint_positions",
            event,
            position,
            revision=event.revision,
            text=event.text,
            proposed_status=event.proposed_status.value,
        )
        self._revision(
            cur,
            str(event.originator_id),
            event.revision,
            cycle,
            event.text,
            event.proposed_status.value,
            event.note,
            event,
            None,
            position,
        )

    @handles(JointPosition.AmendmentProposed)
    def amendment_proposed(
        self, cur: Cursor, event: JointPosition.AmendmentProposed, position: int
    ) -> None:
        cur.execute(
            "INSERT INTO amendments (id, position_id, organisation_id, proposed_by, revision, text,"
            " rationale, state, proposed_at, log_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.amendment_id),
                str(event.originator_id),
                str(event.organisation_id),
                str(event.actor_id),
                event.revision,
                event.text,
                event.rationale,
                AmendmentState.PROPOSED.value,
                ts(event.timestamp),
                position,
            ),
        )
        update_row(cur, "joint_positions", event, position)

    @handles(JointPosition.AmendmentAccepted)
    def amendment_accepted(
        self, cur: Cursor, event: JointPosition.AmendmentAccepted, position: int
    ) -> None:
        self._decide(cur, event, position, AmendmentState.ACCEPTED, event.revision)
        cur.execute("SELECT text FROM amendments WHERE id = ?", (str(event.amendment_id),))
        text = str(cur.fetchone()[0])
        cycle = self._value(cur, event, "cycle")
        status = self._value(cur, event, "proposed_status")
        note = f"amendment accepted: {event.reason}" if event.reason else "amendment accepted"
        update_row(cur, "joint_positions", event, position, revision=event.revision, text=text)
        self._revision(
            cur,
            str(event.originator_id),
            event.revision,
            cycle,
            text,
            status,
            note,
            event,
            str(event.amendment_id),
            position,
        )

    @handles(JointPosition.AmendmentRejected)
    def amendment_rejected(
        self, cur: Cursor, event: JointPosition.AmendmentRejected, position: int
    ) -> None:
        self._decide(cur, event, position, AmendmentState.REJECTED, None)
        update_row(cur, "joint_positions", event, position)

    @handles(JointPosition.Endorsed, JointPosition.DissentRecorded)
    def stance(self, cur: Cursor, event: Any, position: int) -> None:
        kind = "endorsement" if isinstance(event, JointPosition.Endorsed) else "dissent"
        cur.execute(
            "INSERT INTO position_stances (position_id, log_position, kind, organisation_id,"
            " member_id, revision, statement, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                position,
                kind,
                str(event.organisation_id),
                str(event.actor_id),
                event.revision,
                event.statement,
                ts(event.timestamp),
            ),
        )
        update_row(cur, "joint_positions", event, position)

    @handles(JointPosition.Adopted)
    def adopted(self, cur: Cursor, event: JointPosition.Adopted, position: int) -> None:
        cycle = self._value(cur, event, "cycle")
        cur.execute(
            "INSERT INTO adoptions (position_id, log_position, revision, cycle, session,"
            " adopted_on, method, votes_for, votes_against, abstentions, divergent_views,"
            " actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                position,
                event.revision,
                cycle,
                event.session,
                opt(event.adopted_on),
                event.method.value,
                event.votes_for,
                event.votes_against,
                event.abstentions,
                event.divergent_views,
                str(event.actor_id),
                ts(event.timestamp),
            ),
        )
        self._state(cur, event, position, PositionState.ADOPTED, adopted_revision=event.revision)

    @handles(JointPosition.Published)
    def published(self, cur: Cursor, event: JointPosition.Published, position: int) -> None:
        text = self._value(cur, event, "text")
        self._state(
            cur,
            event,
            position,
            PositionState.PUBLISHED,
            published_revision=event.revision,
            published_text=text,
        )

    @handles(JointPosition.Reopened)
    def reopened(self, cur: Cursor, event: JointPosition.Reopened, position: int) -> None:
        self._state(cur, event, position, PositionState.DRAFTING, cycle=event.cycle)

    def _state(
        self, cur: Cursor, event: Any, position: int, state: PositionState, **columns: Any
    ) -> None:
        published = self._value(cur, event, "published_revision") is not None
        published = published or "published_revision" in columns
        visibility = position_visibility(state, ever_published=published)
        update_row(
            cur,
            "joint_positions",
            event,
            position,
            state=state.value,
            visibility=visibility.value,
            **columns,
        )

    def _value(self, cur: Cursor, event: Any, column: str) -> Any:
        cur.execute(
            f"SELECT {column} FROM joint_positions WHERE id = ?",  # noqa: S608
            (str(event.originator_id),),
        )
        return cur.fetchone()[0]

    def _decide(
        self, cur: Cursor, event: Any, position: int, state: AmendmentState, revision: int | None
    ) -> None:
        cur.execute(
            "UPDATE amendments SET state = ?, decided_by = ?, decision_reason = ?,"
            " resulting_revision = ?, decided_at = ?, log_position = ? WHERE id = ?",
            (
                state.value,
                str(event.actor_id),
                event.reason,
                revision,
                ts(event.timestamp),
                position,
                str(event.amendment_id),
            ),
        )

    def _revision(
        self,
        cur: Cursor,
        position_id: str,
        number: int,
        cycle: int,
        text: str,
        status: str,
        note: str,
        event: Any,
        amendment_id: str | None,
        position: int,
    ) -> None:
        cur.execute(
            "INSERT INTO position_revisions (position_id, revision, cycle, text, proposed_status,"
            " note, author_id, amendment_id, at, log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                position_id,
                number,
                cycle,
                text,
                status,
                note,
                str(event.actor_id),
                amendment_id,
                ts(event.timestamp),
                position,
            ),
        )
