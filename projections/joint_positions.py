"""Joint positions: revisions, amendments and their fate, endorsements, dissents, adoptions.

The projection keeps in memory what its handlers read back (each position's cycle, proposed
status, current text and whether it was ever published; each amendment's text), so a batch never
reads the tables and its rows go out in bulk.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from domain.joint_position import JointPosition
from domain.rules import position_visibility
from domain.values import AmendmentState, PositionState
from projections.base import Appends, BufferedProjection, Rows, handles, opt, to_json, ts, uid
from projections.db import Cursor, Engine


class Known(NamedTuple):
    """What the handlers read back about a joint position."""

    cycle: int
    proposed_status: str
    text: str
    published: bool


class JointPositionsProjection(BufferedProjection):
    name = "joint_positions"
    rebuild_cost = 0.5
    tables = (
        "joint_positions",
        "position_revisions",
        "amendments",
        "position_stances",
        "adoptions",
    )

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.seen: dict[str, Known] = {}
        self.amendment_texts: dict[str, str] = {}
        self.rows = Rows("joint_positions", "id")
        self.revisions = Appends(
            "position_revisions",
            "position_id",
            "revision",
            "cycle",
            "text",
            "proposed_status",
            "note",
            "author_id",
            "amendment_id",
            "at",
            "log_position",
        )
        self.amendments = Rows("amendments", "id")
        self.stances = Appends(
            "position_stances",
            "position_id",
            "log_position",
            "kind",
            "organisation_id",
            "member_id",
            "revision",
            "statement",
            "at",
        )
        self.adoptions = Appends(
            "adoptions",
            "position_id",
            "log_position",
            "revision",
            "cycle",
            "session",
            "adopted_on",
            "method",
            "votes_for",
            "votes_against",
            "abstentions",
            "divergent_views",
            "actor_id",
            "at",
        )
        self.buffers = [self.rows, self.revisions, self.amendments, self.stances, self.adoptions]

    def load(self, cur: Cursor) -> None:
        cur.execute(
            "SELECT id, cycle, proposed_status, text, published_revision FROM joint_positions"
        )
        self.seen = {
            str(row[0]): Known(int(row[1]), str(row[2]), str(row[3]), row[4] is not None)
            for row in cur.fetchall()
        }
        cur.execute("SELECT id, text FROM amendments")
        self.amendment_texts = {str(row[0]): str(row[1]) for row in cur.fetchall()}

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
        position_id = uid(event.originator_id)
        self.rows.insert(
            id=position_id,
            round_id=uid(event.round_id),
            recommendation_id=uid(event.recommendation_id),
            state=PositionState.DRAFTING.value,
            visibility=position_visibility(PositionState.DRAFTING, ever_published=False).value,
            cycle=1,
            revision=1,
            text=event.text,
            proposed_status=event.proposed_status.value,
            based_on=to_json(event.based_on),
            adopted_revision=None,
            published_revision=None,
            published_text=None,
            drafted_by=uid(event.actor_id),
            drafted_at=at,
            updated_at=at,
            version=event.originator_version,
            log_position=position,
        )
        self.seen[position_id] = Known(1, event.proposed_status.value, event.text, False)
        self._revision(
            position_id, 1, 1, event.text, event.proposed_status.value, "", event, None, position
        )

    @handles(JointPosition.Revised)
    def revised(self, cur: Cursor, event: JointPosition.Revised, position: int) -> None:
        position_id = uid(event.originator_id)
        known = self.seen[position_id]
        status = event.proposed_status.value
        self.seen[position_id] = known._replace(text=event.text, proposed_status=status)
        self.rows.touch(
            event, position, revision=event.revision, text=event.text, proposed_status=status
        )
        self._revision(
            position_id,
            event.revision,
            known.cycle,
            event.text,
            status,
            event.note,
            event,
            None,
            position,
        )

    @handles(JointPosition.AmendmentProposed)
    def amendment_proposed(
        self, cur: Cursor, event: JointPosition.AmendmentProposed, position: int
    ) -> None:
        amendment_id = uid(event.amendment_id)
        self.amendments.insert(
            id=amendment_id,
            position_id=uid(event.originator_id),
            organisation_id=uid(event.organisation_id),
            proposed_by=uid(event.actor_id),
            revision=event.revision,
            text=event.text,
            rationale=event.rationale,
            state=AmendmentState.PROPOSED.value,
            proposed_at=ts(event.timestamp),
            log_position=position,
        )
        self.amendment_texts[amendment_id] = event.text
        self.rows.touch(event, position)

    @handles(JointPosition.AmendmentAccepted)
    def amendment_accepted(
        self, cur: Cursor, event: JointPosition.AmendmentAccepted, position: int
    ) -> None:
        self._decide(event, position, AmendmentState.ACCEPTED, event.revision)
        position_id = uid(event.originator_id)
        text = self.amendment_texts[uid(event.amendment_id)]
        known = self.seen[position_id]
        self.seen[position_id] = known._replace(text=text)
        note = f"amendment accepted: {event.reason}" if event.reason else "amendment accepted"
        self.rows.touch(event, position, revision=event.revision, text=text)
        self._revision(
            position_id,
            event.revision,
            known.cycle,
            text,
            known.proposed_status,
            note,
            event,
            uid(event.amendment_id),
            position,
        )

    @handles(JointPosition.AmendmentRejected)
    def amendment_rejected(
        self, cur: Cursor, event: JointPosition.AmendmentRejected, position: int
    ) -> None:
        self._decide(event, position, AmendmentState.REJECTED, None)
        self.rows.touch(event, position)

    @handles(JointPosition.Endorsed, JointPosition.DissentRecorded)
    def stance(self, cur: Cursor, event: Any, position: int) -> None:
        kind = "endorsement" if isinstance(event, JointPosition.Endorsed) else "dissent"
        self.stances.add(
            uid(event.originator_id),
            position,
            kind,
            uid(event.organisation_id),
            uid(event.actor_id),
            event.revision,
            event.statement,
            ts(event.timestamp),
        )
        self.rows.touch(event, position)

    @handles(JointPosition.Adopted)
    def adopted(self, cur: Cursor, event: JointPosition.Adopted, position: int) -> None:
        self.adoptions.add(
            uid(event.originator_id),
            position,
            event.revision,
            self.seen[uid(event.originator_id)].cycle,
            event.session,
            opt(event.adopted_on),
            event.method.value,
            event.votes_for,
            event.votes_against,
            event.abstentions,
            event.divergent_views,
            uid(event.actor_id),
            ts(event.timestamp),
        )
        self._state(event, position, PositionState.ADOPTED, adopted_revision=event.revision)

    @handles(JointPosition.Published)
    def published(self, cur: Cursor, event: JointPosition.Published, position: int) -> None:
        position_id = uid(event.originator_id)
        known = self.seen[position_id]
        self._state(
            event,
            position,
            PositionState.PUBLISHED,
            published_revision=event.revision,
            published_text=known.text,
        )
        self.seen[position_id] = self.seen[position_id]._replace(published=True)

    @handles(JointPosition.Reopened)
    def reopened(self, cur: Cursor, event: JointPosition.Reopened, position: int) -> None:
        position_id = uid(event.originator_id)
        self._state(event, position, PositionState.DRAFTING, cycle=event.cycle)
        self.seen[position_id] = self.seen[position_id]._replace(cycle=event.cycle)

    def _state(self, event: Any, position: int, state: PositionState, **columns: Any) -> None:
        published = self.seen[uid(event.originator_id)].published
        published = published or "published_revision" in columns
        visibility = position_visibility(state, ever_published=published)
        self.rows.touch(event, position, state=state.value, visibility=visibility.value, **columns)

    def _decide(
        self, event: Any, position: int, state: AmendmentState, revision: int | None
    ) -> None:
        self.amendments.update(
            (uid(event.amendment_id),),
            state=state.value,
            decided_by=uid(event.actor_id),
            decision_reason=event.reason,
            resulting_revision=revision,
            decided_at=ts(event.timestamp),
            log_position=position,
        )

    def _revision(
        self,
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
        self.revisions.add(
            position_id,
            number,
            cycle,
            text,
            status,
            note,
            uid(event.actor_id),
            amendment_id,
            ts(event.timestamp),
            position,
        )
