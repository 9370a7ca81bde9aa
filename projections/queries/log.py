"""The raw log for auditors: the event store's notifications, each with its audit-log leaf."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, cast

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.audit.log import AuditLog, Leaf


@dataclass(frozen=True, slots=True)
class RawEventRow:
    log_position: int
    originator_id: str
    originator_version: int
    topic: str
    timestamp: datetime
    state: str
    leaf_index: int | None
    hash: str | None


def raw_events(
    recorder: ApplicationRecorder,
    mapper: Mapper[Any],
    audit: AuditLog,
    *,
    after: int,
    first: int,
) -> list[RawEventRow]:
    """Events after log position ``after``; ``hash`` is the event's RFC 9162 leaf hash in the
    audit log (None, with its leaf index, for an event the audit log has not taken in yet)."""
    notifications = recorder.select_notifications(
        start=after, limit=first, inclusive_of_start=False
    )
    leaves = leaves_at(audit, [n.id for n in notifications])
    rows = []
    for notification in notifications:
        event = mapper.to_domain_event(notification)
        leaf = leaves.get(notification.id)
        rows.append(
            RawEventRow(
                log_position=notification.id,
                originator_id=str(notification.originator_id),
                originator_version=notification.originator_version,
                topic=notification.topic,
                timestamp=cast(Any, event).timestamp,
                state=bytes(notification.state).decode("utf-8", errors="replace"),
                leaf_index=leaf.index if leaf else None,
                hash=leaf.hash.hex() if leaf else None,
            )
        )
    return rows


def leaves_at(audit: AuditLog, log_positions: Sequence[int]) -> dict[int, Leaf]:
    """The leaves of these consecutive log positions, by log position, in two reads.

    The tree takes the log in order, so from the first position's leaf on the leaves are the
    following events'; a position not in the tree yet has no leaf, nor has any after it.
    """
    if not log_positions:
        return {}
    first = audit.leaf_at(log_positions[0])
    if first is None:
        return {}
    following = islice(audit.leaves(start=first.index, page=len(log_positions)), len(log_positions))
    wanted = set(log_positions)
    return {leaf.log_position: leaf for leaf in following if leaf.log_position in wanted}
