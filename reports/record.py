"""Where a report stands in the log: its log position, that event's time, and the audit tree there.

The tree root at the report's log position commits to every event up to it; the latest signed
checkpoint at or below it is printed too, so that a reader can check the report against what the
Council published.
"""

from __future__ import annotations

import base64
from typing import Any

from projections.audit import service
from projections.audit.log import AuditLog
from projections.queries.reports import audit_tree_size_at, recorded_at
from projections.queries.store import ReadStore


class NotInTheRecord(LookupError):
    """No event of the record stands at a log position."""


def record_point(
    source: ReadStore, live: ReadStore, audit: AuditLog, log_position: int
) -> dict[str, Any]:
    """The ``record`` part of a report's data: position, time, tree size and root, checkpoint.

    ``source`` holds the read models at the log position; ``live`` the audit tree (append-only).
    """
    at = recorded_at(source, log_position)
    if at is None:
        raise NotInTheRecord(f"no event of the record stands at log position {log_position}")
    size, audited = audit_tree_size_at(live, log_position)
    if audited < log_position:
        audit.catch_up()
        size, _ = audit_tree_size_at(live, log_position)
    root = audit.root_at(size)
    return {
        "log_position": log_position,
        "recorded_at": at,
        "audit": {
            "tree_size": size,
            "root": base64.b64encode(root).decode(),
            "checkpoint": service.latest_checkpoint(audit, at_or_below=size),
        },
    }
