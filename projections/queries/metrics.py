"""What `/metrics` reads from the read models when it is scraped."""

from __future__ import annotations

from projections.queries.store import ReadStore


def report_generations_by_kind(store: ReadStore) -> dict[str, int]:
    """How many report versions were generated, by kind of report (a new version is a new PDF)."""
    with store.read() as cur:
        cur.execute(
            "SELECT r.kind, COUNT(*) FROM report_versions v JOIN reports r ON r.id = v.report_id"
            " GROUP BY r.kind ORDER BY r.kind"
        )
        return {str(kind): int(count) for kind, count in cur.fetchall()}
