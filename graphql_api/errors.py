"""Expected errors as results: each domain error becomes a GraphQL type a client selects on.

Mutations return a union of their payload and these types. Queries raise ``ClientError`` for
clear, expected refusals (a page too large, a bad cursor, a read only auditors may do); those keep
their message, while every other exception is masked (see ``limits.py``).
"""

from __future__ import annotations

import re
from typing import Any

import strawberry
from graphql import GraphQLError

from domain import errors as domain

_SNAKE = re.compile(r"_([a-z0-9])")


def camel(field: str) -> str:
    """A domain field name as the GraphQL argument is spelled: ``based_on`` → ``basedOn``."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), field)


@strawberry.interface(description="Why a mutation did not happen; nothing was stored.")
class Problem:
    message: str


@strawberry.type(description="The write was based on a stale revision.")
class Conflict(Problem):
    current_revision: int


@strawberry.type(description="Who you are may not do this.")
class NotAllowed(Problem):
    pass


@strawberry.type(description="The named thing does not exist or is not visible to you.")
class NotFound(Problem):
    kind: str
    id: str


@strawberry.type(description="Bad input: `field` names the argument.")
class Invalid(Problem):
    field: str


@strawberry.type(description="The thing exists but its lifecycle does not allow this now.")
class WrongState(Problem):
    state: str


ProblemType = Conflict | NotAllowed | NotFound | Invalid | WrongState


def problem_from(error: domain.DomainError) -> ProblemType:
    """The result type of a domain error."""
    if isinstance(error, domain.Conflict):
        return Conflict(message=error.message, current_revision=error.current_revision)
    if isinstance(error, domain.NotFound):
        return NotFound(message=error.message, kind=error.kind, id=str(error.id))
    if isinstance(error, domain.Invalid):
        field = camel(error.field)
        return Invalid(message=f"{field}: {error.reason}", field=field)
    if isinstance(error, domain.WrongState):
        return WrongState(message=error.message, state=error.state)
    return NotAllowed(message=error.message)


class ClientError(GraphQLError):
    """An expected refusal with a clear message and a code; never masked."""

    def __init__(self, message: str, *, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def invalid_argument(field: str, reason: str) -> ClientError:
    return ClientError(f"{field}: {reason}", code="INVALID", field=field)


def not_allowed(message: str) -> ClientError:
    return ClientError(message, code="NOT_ALLOWED")
