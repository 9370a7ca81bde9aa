"""Running a command for a mutation: in a thread, translated, then waited for in the read models."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from domain.application import Council, Outcome
from domain.errors import DomainError, Invalid
from domain.values import Actor
from graphql_api.context import Info
from graphql_api.errors import ClientError, NotAllowed, ProblemType, problem_from
from projections.event_recorder import DATABASE_ERRORS, WriteOutcomeUnknown
from projections.runner import ProjectionTimeout

SIGN_IN = "the public reads; members act: send Authorization: Bearer <token>"


def council(info: Info) -> Council:
    return info.context.services.runtime.council


def uid(value: str, field: str) -> UUID:
    """An id argument as the domain takes it; a malformed one is Invalid, naming the argument."""
    try:
        return UUID(str(value))
    except ValueError:
        raise Invalid(field, f"{str(value)[:60]!r} is not an id") from None


async def perform(info: Info, command: Callable[[Actor], Outcome]) -> Outcome | ProblemType:
    """Run ``command`` as the viewer; once stored, wait until the read models reflect it."""
    actor = info.context.viewer.actor
    if actor is None:
        return NotAllowed(message=SIGN_IN)
    try:
        outcome = await run_in_threadpool(command, actor)
    except DomainError as error:
        return problem_from(error)
    except (WriteOutcomeUnknown, *DATABASE_ERRORS) as error:
        raise outcome_unknown(error) from None
    await settle(info, outcome.log_position)
    return outcome


async def settle(info: Info, log_position: int) -> None:
    runtime = info.context.services.runtime
    try:
        await run_in_threadpool(runtime.settle, log_position)
    except (ProjectionTimeout, *DATABASE_ERRORS):
        # Stored: only the wait for the read models failed (a broken connection included).
        info.context.log_position = log_position
        raise ClientError(
            f"the write was stored at log position {log_position}, but the read models did not"
            " reflect it in time; read it again shortly",
            code="PROJECTION_TIMEOUT",
            logPosition=log_position,
        ) from None
    info.context.after_write(log_position)


def outcome_unknown(error: Exception) -> ClientError:
    """The database connection broke during the command: it may or may not have been stored."""
    known = getattr(error, "originator_id", "")
    return ClientError(
        "the connection to the database broke while the write was being stored, so whether it"
        " was stored is unknown; before sending it again, read the item (its revision, or the"
        " log) to see whether it happened",
        code="OUTCOME_UNKNOWN",
        **({"id": known} if known else {}),
    )
