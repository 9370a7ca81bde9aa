"""The Council's vocabulary as GraphQL enums: the domain's own enums, registered with strawberry.

GraphQL names are the members' names (``PARTIALLY_IMPLEMENTED``); resolvers receive and return
the domain's enum members, so nothing is translated by hand.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import values
from domain.comment import CommentState
from domain.round import RoundPhase

ENUMS: tuple[type[Enum], ...] = (*values.ALL_ENUMS, CommentState, RoundPhase)

for _enum in ENUMS:
    if not hasattr(_enum, "__strawberry_definition__"):
        strawberry.enum(_enum)
