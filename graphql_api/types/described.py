"""Typed spellings of ``strawberry.field(description=...)`` and friends.

Called with keyword arguments only, strawberry's decorators are typed as returning ``Any``, which
``mypy --strict`` rejects; these keep the decorated resolver's own type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def mutation(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))


def subscription(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.subscription(description=description))


def answered(graphql_type: Any, description: str | None = None) -> Callable[[F], F]:
    """A field whose resolver answers at once or returns an awaitable; ``graphql_type`` says
    what it resolves to."""
    return cast(
        Callable[[F], F], strawberry.field(graphql_type=graphql_type, description=description)
    )
