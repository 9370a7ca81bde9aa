"""How domain values are written into stored events, so that a replay gives them back as they were."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.comment import CommentState
from domain.round import RoundPhase
from domain.values import ALL_ENUMS


class EnumAsValue(Transcoding):
    """A plain Enum stored as its value under a stable name."""

    def __init__(self, enum: type[Enum]) -> None:
        self.type = enum
        self.name = f"enum:{enum.__name__}"

    def encode(self, obj: Any) -> str:
        return str(obj.value)

    def decode(self, data: Any) -> Enum:
        value: Enum = self.type(data)
        return value


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    enums: tuple[type[Enum], ...] = (*ALL_ENUMS, RoundPhase, CommentState)
    for enum in enums:
        transcoder.register(EnumAsValue(enum))
