"""The recommendation catalogue: UHRI fields, facets for filtering, search text, status timeline."""

from __future__ import annotations

import json
from typing import Any

from domain.recommendation import Recommendation
from projections.base import Projection, handles, opt, to_json, ts, update_row
from projections.db import Cursor
from projections.text import fold

FACETS = ("theme", "affected_person", "sdg", "recommending_state", "responsible_body")


class CatalogueProjection(Projection):
    name = "catalogue"
    tables = ("recommendations", "recommendation_facets", "status_timeline")

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
        cur.execute(
            "INSERT INTO recommendations (id, mechanism, cycle, session, document_symbol, paragraph,"
            " sort_key, text, recommending_states, themes, affected_persons, sdgs, state_response,"
            " document_date, annotation_id, kind, source, status, status_basis,"
            " responsible_body_ids, version, recorded_at, updated_at, search_text, log_position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                entry["mechanism"],
                entry.get("cycle"),
                entry.get("session", ""),
                entry["document_symbol"],
                entry["paragraph"],
                sort_key(entry["document_symbol"], entry["paragraph"]),
                entry["text"],
                to_json(entry.get("recommending_states", [])),
                to_json(entry.get("themes", [])),
                to_json(entry.get("affected_persons", [])),
                to_json(entry.get("sdgs", [])),
                opt(entry.get("state_response")),
                entry.get("document_date", ""),
                entry.get("annotation_id", ""),
                entry.get("kind", "Recommendation"),
                event.source,
                "not_assessed",
                None,
                "[]",
                event.originator_version,
                at,
                at,
                search_text(entry),
                position,
            ),
        )
        self._facets(cur, str(event.originator_id), entry, [])
        self._index(cur, str(event.originator_id), search_text(entry))

    @handles(Recommendation.Updated)
    def updated(self, cur: Cursor, event: Recommendation.Updated, position: int) -> None:
        rec_id = str(event.originator_id)
        cur.execute(
            "SELECT mechanism, cycle, session, document_symbol, paragraph, text,"
            " recommending_states, themes, affected_persons, sdgs, state_response, document_date,"
            " annotation_id, kind, responsible_body_ids FROM recommendations WHERE id = ?",
            (rec_id,),
        )
        row = cur.fetchone()
        entry: dict[str, Any] = {
            "mechanism": row[0],
            "cycle": row[1],
            "session": row[2],
            "document_symbol": row[3],
            "paragraph": row[4],
            "text": row[5],
            "recommending_states": json.loads(row[6]),
            "themes": json.loads(row[7]),
            "affected_persons": json.loads(row[8]),
            "sdgs": json.loads(row[9]),
            "state_response": row[10],
            "document_date": row[11],
            "annotation_id": row[12],
            "kind": row[13],
        }
        entry.update(
            {k: opt(v) if not isinstance(v, list) else v for k, v in event.changes.items()}
        )
        text = search_text(entry)
        cur.execute(
            "UPDATE recommendations SET mechanism = ?, cycle = ?, session = ?, text = ?,"
            " recommending_states = ?, themes = ?, affected_persons = ?, sdgs = ?,"
            " state_response = ?, document_date = ?, annotation_id = ?, kind = ?, source = ?,"
            " version = ?, updated_at = ?, search_text = ?, log_position = ? WHERE id = ?",
            (
                entry["mechanism"],
                entry["cycle"],
                entry["session"],
                entry["text"],
                to_json(entry["recommending_states"]),
                to_json(entry["themes"]),
                to_json(entry["affected_persons"]),
                to_json(entry["sdgs"]),
                entry["state_response"],
                entry["document_date"],
                entry["annotation_id"],
                entry["kind"],
                event.source,
                event.originator_version,
                ts(event.timestamp),
                text,
                position,
                rec_id,
            ),
        )
        self._facets(cur, rec_id, entry, json.loads(row[14]))
        self._index(cur, rec_id, text)

    @handles(Recommendation.ResponsibleBodiesAssigned)
    def bodies(
        self, cur: Cursor, event: Recommendation.ResponsibleBodiesAssigned, position: int
    ) -> None:
        rec_id = str(event.originator_id)
        bodies = [str(b) for b in event.organisation_ids]
        update_row(cur, "recommendations", event, position, responsible_body_ids=to_json(bodies))
        cur.execute(
            "DELETE FROM recommendation_facets WHERE recommendation_id = ? AND facet = ?",
            (rec_id, "responsible_body"),
        )
        cur.executemany(
            "INSERT INTO recommendation_facets (recommendation_id, facet, value) VALUES (?, ?, ?)",
            [(rec_id, "responsible_body", b) for b in bodies],
        )

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
        update_row(
            cur,
            "recommendations",
            event,
            position,
            status=event.status.value,
            status_basis=to_json(basis),
        )
        cur.execute(
            "INSERT INTO status_timeline (recommendation_id, log_position, status, basis,"
            " joint_position_id, position_revision, reason, actor_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                position,
                event.status.value,
                event.basis.value,
                opt(event.joint_position_id),
                event.position_revision,
                event.reason,
                str(event.actor_id),
                ts(event.timestamp),
            ),
        )

    def _facets(self, cur: Cursor, rec_id: str, entry: dict[str, Any], bodies: list[str]) -> None:
        cur.execute(
            "DELETE FROM recommendation_facets WHERE recommendation_id = ? AND facet <> ?",
            (rec_id, "responsible_body"),
        )
        rows = {
            (rec_id, facet, str(value))
            for facet, key in (
                ("theme", "themes"),
                ("affected_person", "affected_persons"),
                ("sdg", "sdgs"),
                ("recommending_state", "recommending_states"),
            )
            for value in entry.get(key, [])
        }
        cur.executemany(
            "INSERT INTO recommendation_facets (recommendation_id, facet, value) VALUES (?, ?, ?)",
            sorted(rows),
        )

    def _index(self, cur: Cursor, rec_id: str, text: str) -> None:
        # PostgreSQL indexes the column itself; SQLite keeps an FTS5 table beside it.
        if self.engine == "sqlite":
            cur.execute("DELETE FROM recommendations_fts WHERE id = ?", (rec_id,))
            cur.execute(
                "INSERT INTO recommendations_fts (id, search_text) VALUES (?, ?)", (rec_id, text)
            )


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
