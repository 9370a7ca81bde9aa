"""The recommendation catalogue: UHRI fields, facets for filtering, search text, status timeline.

Rows are buffered and written in bulk at the end of each batch; the one handler that reads a row
back (an update of the catalogue entry) reads it through the batch's buffer.
"""

from __future__ import annotations

import json
from typing import Any

from domain.recommendation import Recommendation
from projections.base import (
    Appends,
    BufferedProjection,
    Rows,
    Writer,
    handles,
    opt,
    to_json,
    ts,
    uid,
)
from projections.db import Cursor, Engine
from projections.text import fold

FACETS = ("theme", "affected_person", "sdg", "recommending_state", "responsible_body")


class CatalogueProjection(BufferedProjection):
    name = "catalogue"
    rebuild_cost = 2.6
    tables = ("recommendations", "recommendation_facets", "status_timeline")

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.rows = Rows("recommendations", "id")
        self.facets = Facets()
        self.timeline = Appends(
            "status_timeline",
            "recommendation_id",
            "log_position",
            "status",
            "basis",
            "joint_position_id",
            "position_revision",
            "reason",
            "actor_id",
            "at",
        )
        self.buffers = [self.rows, self.facets, self.timeline]

    def search_tables(self) -> tuple[str, ...]:
        return ("recommendations_fts",) if self.engine == "sqlite" else ()

    def ddl(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS recommendations ("
            " id TEXT PRIMARY KEY, mechanism TEXT NOT NULL, cycle INTEGER, session TEXT NOT NULL,"
            " document_symbol TEXT NOT NULL, paragraph TEXT NOT NULL, sort_key TEXT NOT NULL,"
            " text TEXT NOT NULL, recommending_states TEXT NOT NULL, themes TEXT NOT NULL,"
            " affected_persons TEXT NOT NULL, sdgs TEXT NOT NULL, state_response TEXT NOT NULL,"
            " document_date TEXT NOT NULL, annotation_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " source TEXT NOT NULL, status TEXT NOT NULL, status_basis TEXT,"
            " responsible_body_ids TEXT NOT NULL, version INTEGER NOT NULL,"
            " recorded_at TEXT NOT NULL, updated_at TEXT NOT NULL, search_text TEXT NOT NULL,"
            " log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS recommendations_sort ON recommendations (sort_key, id)",
            "CREATE TABLE IF NOT EXISTS recommendation_facets ("
            " recommendation_id TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL,"
            " PRIMARY KEY (recommendation_id, facet, value))",
            "CREATE INDEX IF NOT EXISTS recommendation_facets_value"
            " ON recommendation_facets (facet, value)",
            "CREATE TABLE IF NOT EXISTS status_timeline ("
            " recommendation_id TEXT NOT NULL, log_position BIGINT NOT NULL, status TEXT NOT NULL,"
            " basis TEXT NOT NULL, joint_position_id TEXT, position_revision INTEGER,"
            " reason TEXT NOT NULL, actor_id TEXT NOT NULL, at TEXT NOT NULL,"
            " PRIMARY KEY (recommendation_id, log_position))",
        ]
        if self.engine == "postgres":
            statements.append(
                "CREATE INDEX IF NOT EXISTS recommendations_search ON recommendations"
                " USING GIN (to_tsvector('simple', search_text))"
            )
        else:
            statements.append(
                "CREATE VIRTUAL TABLE IF NOT EXISTS recommendations_fts USING fts5("
                " id UNINDEXED, search_text, tokenize = 'unicode61 remove_diacritics 2')"
            )
        return statements

    @handles(Recommendation.Recorded)
    def recorded(self, cur: Cursor, event: Recommendation.Recorded, position: int) -> None:
        entry = event.entry
        at = ts(event.timestamp)
        rec_id = uid(event.originator_id)
        text = search_text(entry)
        self.rows.insert(
            id=rec_id,
            mechanism=entry["mechanism"],
            cycle=entry.get("cycle"),
            session=entry.get("session", ""),
            document_symbol=entry["document_symbol"],
            paragraph=entry["paragraph"],
            sort_key=sort_key(entry["document_symbol"], entry["paragraph"]),
            text=entry["text"],
            recommending_states=to_json(entry.get("recommending_states", [])),
            themes=to_json(entry.get("themes", [])),
            affected_persons=to_json(entry.get("affected_persons", [])),
            sdgs=to_json(entry.get("sdgs", [])),
            state_response=opt(entry.get("state_response")),
            document_date=entry.get("document_date", ""),
            annotation_id=entry.get("annotation_id", ""),
            kind=entry.get("kind", "Recommendation"),
            source=event.source,
            status="not_assessed",
            status_basis=None,
            responsible_body_ids="[]",
            version=event.originator_version,
            recorded_at=at,
            updated_at=at,
            search_text=text,
            log_position=position,
        )
        # A new recommendation has no facets yet: nothing to replace.
        self.facets.set(rec_id, ENTRY, entry_facets(entry), replace=False)
        self._index(cur, rec_id, text, new=True)

    @handles(Recommendation.Updated)
    def updated(self, cur: Cursor, event: Recommendation.Updated, position: int) -> None:
        rec_id = uid(event.originator_id)
        entry = self._entry(cur, rec_id)
        entry.update(
            {k: opt(v) if not isinstance(v, list) else v for k, v in event.changes.items()}
        )
        text = search_text(entry)
        self.rows.touch(
            event,
            position,
            mechanism=entry["mechanism"],
            cycle=entry["cycle"],
            session=entry["session"],
            text=entry["text"],
            recommending_states=to_json(entry["recommending_states"]),
            themes=to_json(entry["themes"]),
            affected_persons=to_json(entry["affected_persons"]),
            sdgs=to_json(entry["sdgs"]),
            state_response=entry["state_response"],
            document_date=entry["document_date"],
            annotation_id=entry["annotation_id"],
            kind=entry["kind"],
            source=event.source,
            search_text=text,
        )
        self.facets.set(rec_id, ENTRY, entry_facets(entry), replace=True)
        self._index(cur, rec_id, text, new=False)

    @handles(Recommendation.ResponsibleBodiesAssigned)
    def bodies(
        self, cur: Cursor, event: Recommendation.ResponsibleBodiesAssigned, position: int
    ) -> None:
        bodies = [uid(b) for b in event.organisation_ids]
        self.rows.touch(event, position, responsible_body_ids=to_json(bodies))
        rows = [("responsible_body", b) for b in bodies]
        self.facets.set(uid(event.originator_id), RESPONSIBLE, rows, replace=True)

    @handles(Recommendation.StatusChanged)
    def status_changed(
        self, cur: Cursor, event: Recommendation.StatusChanged, position: int
    ) -> None:
        basis = {
            "basis": event.basis.value,
            "joint_position_id": opt(event.joint_position_id),
            "position_revision": event.position_revision,
            "reason": event.reason,
            "log_position": position,
        }
        self.rows.touch(
            event,
            position,
            status=event.status.value,
            status_basis=to_json(basis),
        )
        self.timeline.add(
            uid(event.originator_id),
            position,
            event.status.value,
            event.basis.value,
            opt(event.joint_position_id),
            event.position_revision,
            event.reason,
            uid(event.actor_id),
            ts(event.timestamp),
        )

    def _entry(self, cur: Cursor, rec_id: str) -> dict[str, Any]:
        """The catalogue fields of a recommendation as they stand now, this batch included."""
        row = self.rows.new.get((rec_id,))
        if row is None:
            cur.execute(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM recommendations WHERE id = ?",  # noqa: S608
                (rec_id,),
            )
            row = dict(zip(ENTRY_COLUMNS, cur.fetchone(), strict=True))
            row.update(self.rows.changed.get((rec_id,), {}))
        entry = {column: row[column] for column in ENTRY_COLUMNS}
        for column in LIST_COLUMNS:
            entry[column] = json.loads(entry[column])
        return entry

    def _index(self, cur: Cursor, rec_id: str, text: str, *, new: bool) -> None:
        # PostgreSQL indexes the column itself; SQLite keeps an FTS5 table beside it. Its id is
        # not indexed, so the delete scans the table: only a recommendation seen before needs it.
        if self.engine == "sqlite":
            if not new:
                cur.execute("DELETE FROM recommendations_fts WHERE id = ?", (rec_id,))
            cur.execute(
                "INSERT INTO recommendations_fts (id, search_text) VALUES (?, ?)", (rec_id, text)
            )


ENTRY_COLUMNS = (
    "mechanism",
    "cycle",
    "session",
    "document_symbol",
    "paragraph",
    "text",
    "recommending_states",
    "themes",
    "affected_persons",
    "sdgs",
    "state_response",
    "document_date",
    "annotation_id",
    "kind",
)
LIST_COLUMNS = ("recommending_states", "themes", "affected_persons", "sdgs")
# The two groups of facets a recommendation's rows are replaced in: its entry's, and its bodies'.
ENTRY, RESPONSIBLE = "entry", "responsible_body"


def entry_facets(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """The facet rows (facet, value) of a catalogue entry, in order."""
    rows = {
        (facet, str(value))
        for facet, key in (
            ("theme", "themes"),
            ("affected_person", "affected_persons"),
            ("sdg", "sdgs"),
            ("recommending_state", "recommending_states"),
        )
        for value in entry.get(key, [])
    }
    return sorted(rows)


class Facets:
    """The facet rows a batch writes. A recommendation's facets change a group at a time (its
    entry's, its responsible bodies'); a group that existed before the batch is deleted first."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.stale: set[tuple[str, str]] = set()

    def set(self, rec_id: str, group: str, rows: list[tuple[str, str]], *, replace: bool) -> None:
        self.groups[rec_id, group] = rows
        if replace:
            self.stale.add((rec_id, group))

    def clear(self) -> None:
        self.groups.clear()
        self.stale.clear()

    def flush(self, writer: Writer) -> None:
        for group, comparison in ((ENTRY, "<>"), (RESPONSIBLE, "=")):
            stale = sorted((rec_id, RESPONSIBLE) for rec_id, g in self.stale if g == group)
            if stale:
                delete = f"DELETE FROM recommendation_facets WHERE recommendation_id = ? AND facet {comparison} ?"  # noqa: S608
                writer.cur.executemany(delete, stale)
        rows = [
            (rec_id, facet, value)
            for (rec_id, _), pairs in self.groups.items()
            for facet, value in pairs
        ]
        writer.insert("recommendation_facets", ("recommendation_id", "facet", "value"), rows)
        self.clear()


def search_text(entry: dict[str, Any]) -> str:
    parts = [
        entry.get("document_symbol", ""),
        entry.get("paragraph", ""),
        entry.get("text", ""),
        " ".join(entry.get("themes", [])),
        " ".join(entry.get("affected_persons", [])),
        " ".join(entry.get("recommending_states", [])),
    ]
    return fold(" ".join(str(p) for p in parts))


def sort_key(symbol: str, paragraph: str) -> str:
    """Orders A/HRC/23/15 ¶131.2 before ¶131.10."""
    numbers = ".".join(
        f"{int(part):06d}" if part.isdigit() else part for part in paragraph.split(".")
    )
    return f"{symbol}#{numbers}"
