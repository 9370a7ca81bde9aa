"""How domain values are written into stored events, so that a replay gives them back as they were."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding, UUIDAsHex

from domain.comment import CommentState
from domain.round import RoundPhase
from domain.values import ALL_ENUMS


class EnumAsValue(Transcoding):
    """A plain Enum stored as its value under a stable name."""

    def __init__(self, enum: type[Enum]) -> None:
        self.type = enum
        self.name = f"enum:{enum.__name__}"
        self.members: dict[Any, Enum] = {member.value: member for member in enum}

    def encode(self, obj: Any) -> str:
        return str(obj.value)

    def decode(self, data: Any) -> Enum:
        member = self.members.get(data)
        if member is None:
            member = self.type(data)  # a value the enum no longer has: its own error
        return member


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class RecurringUUIDAsHex(UUIDAsHex):
    """UUIDs as the library stores them (``uuid_hex``), decoded once per id: the same ids (members,
    organisations, recommendations) recur in event after event, and building a ``UUID`` from its
    text costs more than the rest of decoding an id. UUIDs are immutable, so events may share one.
    """

    MAX_REMEMBERED = 100_000

    def __init__(self) -> None:
        self.decoded: dict[str, UUID] = {}

    def decode(self, data: str) -> UUID:
        value = self.decoded.get(data)
        if value is None:
            if len(self.decoded) >= self.MAX_REMEMBERED:
                self.decoded.clear()
            value = self.decoded[data] = UUID(data)
        return value


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(RecurringUUIDAsHex())  # in place of the library's, under the same name
    transcoder.register(DateAsISO())
    enums: tuple[type[Enum], ...] = (*ALL_ENUMS, RoundPhase, CommentState)
    for enum in enums:
        transcoder.register(EnumAsValue(enum))
