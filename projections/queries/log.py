"""The raw log for auditors: the event store's notifications with a hash of each stored event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from eventsourcing.persistence import ApplicationRecorder, Mapper


@dataclass(frozen=True, slots=True)
class RawEventRow:
    log_position: int
    originator_id: str
    originator_version: int
    topic: str
    timestamp: datetime
    state: str
    hash: str


def raw_events(
    recorder: ApplicationRecorder, mapper: Mapper[Any], *, after: int, first: int
) -> list[RawEventRow]:
    """Events after log position ``after``; ``hash`` is the SHA-256 of the stored state."""
    notifications = recorder.select_notifications(
        start=after, limit=first, inclusive_of_start=False
    )
    rows = []
    for notification in notifications:
        event = mapper.to_domain_event(notification)
        rows.append(
            RawEventRow(
                log_position=notification.id,
                originator_id=str(notification.originator_id),
                originator_version=notification.originator_version,
                topic=notification.topic,
                timestamp=cast(Any, event).timestamp,
                state=bytes(notification.state).decode("utf-8", errors="replace"),
                hash=hashlib.sha256(bytes(notification.state)).hexdigest(),
            )
        )
    return rows
