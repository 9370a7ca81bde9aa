"""Cursor pagination: opaque cursors over a stable sort key, one row more to know if more follow."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class BadCursor(ValueError):
    """A cursor that this API did not give out."""


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: these visibility values, plus anything owned by ``owner_id``."""

    visibilities: frozenset[str]
    owner_id: str | None = None

    def sql(self, visibility_column: str, owner_column: str | None) -> tuple[str, list[Any]]:
        """A condition (and its parameters) that keeps only the rows in scope."""
        values = sorted(self.visibilities)
        parts: list[str] = []
        params: list[Any] = []
        if values:
            parts.append(f"{visibility_column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        if owner_column is not None and self.owner_id is not None:
            parts.append(f"{owner_column} = ?")
            params.append(self.owner_id)
        if not parts:
            return "1 = 0", []
        return f"({' OR '.join(parts)})", params


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise BadCursor("is not a cursor given out by this API") from None
    if not isinstance(parts, list) or len(parts) != arity:
        raise BadCursor("is not a cursor given out by this API")
    return parts


def page_of(rows: Sequence[T], first: int, key: Callable[[T], Sequence[Any]]) -> Page[T]:
    """Rows fetched with ``LIMIT first + 1``, cut to ``first``."""
    items = list(rows[:first])
    return Page(items, [encode_cursor(*key(item)) for item in items], len(rows) > first)


def placeholders(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list; ``NULL`` (matching nothing) for no values, since
    PostgreSQL refuses an empty ``IN ()``."""
    return ", ".join("?" for _ in values) or "NULL"
