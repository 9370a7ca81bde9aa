"""The PDFs themselves, kept beside the event store, one per report and log position.

A file is written before the event that records it, keyed by (report, log position) rather than
by version number: whatever happens between the two, an event never names a file that is not
there. A file whose event was never saved is harmless; the next generation of that report at that
log position uses it. Files are never changed: the first one stored for a key stays.

On PostgreSQL the table lives in the event store's schema, not the read models' (which can be
dropped and rebuilt from the log): a PDF is a record of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from projections.db import Database
from projections.queries.store import ReadStore


def _table(database: Database) -> str:
    if database.engine == "postgres":
        return f'"{database.url.schema}".report_files'
    return "report_files"


def create_tables(database: Database) -> None:
    """Create the table of report files (idempotent); ``council db init`` calls this."""
    blob = "BYTEA" if database.engine == "postgres" else "BLOB"
    database.ensure_schemas()
    with database.transaction() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(database)} ("
            " report_id TEXT NOT NULL, log_position BIGINT NOT NULL,"
            f" pdf {blob} NOT NULL, pdf_sha256 TEXT NOT NULL, input_json TEXT NOT NULL,"
            " input_digest TEXT NOT NULL, data_digest TEXT NOT NULL, stored_at TEXT NOT NULL,"
            " PRIMARY KEY (report_id, log_position))"
        )


@dataclass(frozen=True)
class StoredFile:
    report_id: str
    log_position: int
    pdf_sha256: str
    input_digest: str
    data_digest: str


def store(
    database: Database,
    *,
    report_id: str,
    log_position: int,
    pdf: bytes,
    pdf_sha256: str,
    input_json: bytes,
    input_digest: str,
    data_digest: str,
) -> StoredFile:
    """Keep a PDF; when one is already kept for this report and log position, that one stays."""
    table = _table(database)
    with database.transaction() as cur:
        cur.execute(
            f"INSERT INTO {table} (report_id, log_position, pdf, pdf_sha256, input_json,"  # noqa: S608
            " input_digest, data_digest, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (report_id, log_position) DO NOTHING",
            (
                report_id,
                log_position,
                pdf,
                pdf_sha256,
                input_json.decode("utf-8"),
                input_digest,
                data_digest,
                datetime.now(UTC).isoformat(),
            ),
        )
        cur.execute(
            f"SELECT pdf_sha256, input_digest, data_digest FROM {table}"  # noqa: S608
            " WHERE report_id = ? AND log_position = ?",
            (report_id, log_position),
        )
        sha, stored_input, stored_data = cur.fetchone()
    return StoredFile(report_id, log_position, str(sha), str(stored_input), str(stored_data))


def stored_file(store: ReadStore, report_id: str, log_position: int) -> StoredFile | None:
    with store.read() as cur:
        cur.execute(
            "SELECT pdf_sha256, input_digest, data_digest FROM report_files"
            " WHERE report_id = ? AND log_position = ?",
            (report_id, log_position),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return StoredFile(report_id, log_position, str(row[0]), str(row[1]), str(row[2]))


def pdf_of(store: ReadStore, report_id: str, log_position: int) -> bytes | None:
    with store.read() as cur:
        cur.execute(
            "SELECT pdf FROM report_files WHERE report_id = ? AND log_position = ?",
            (report_id, log_position),
        )
        row = cur.fetchone()
    return bytes(row[0]) if row else None


def input_of(store: ReadStore, report_id: str, log_position: int) -> bytes | None:
    """The canonical JSON a stored PDF was rendered from (also embedded in the PDF)."""
    with store.read() as cur:
        cur.execute(
            "SELECT input_json FROM report_files WHERE report_id = ? AND log_position = ?",
            (report_id, log_position),
        )
        row = cur.fetchone()
    return str(row[0]).encode("utf-8") if row else None
