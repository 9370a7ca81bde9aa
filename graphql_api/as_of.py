"""`asOf`: a recommendation, assessment or joint position as it stood at a log position or a moment.

The answer is computed from the events, not the read models, and seen as the viewer would have
seen it then (``domain.rules`` on the state of that moment). Names of organisations and members
are as they are now: names are not versioned.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from starlette.concurrency import run_in_threadpool

from graphql_api.context import Info
from graphql_api.errors import invalid_argument
from projections.audit.as_of import position_at

HELP = (
    " With `asOf`, as it stood then, computed from the events: `asOf: {logPosition: N}` is just"
    ' after the event at log position N, `asOf: {at: "2026-05-01T12:00:00+02:00"}` just after'
    " the last event recorded by that moment (ISO 8601 with its zone). Null before it existed"
    " or where you would not have seen it then; names of organisations and members are today's,"
    " comments those posted by then. A log position after the last event is an `Invalid` error"
    " naming `asOf`."
)


def described_as_of(summary: str) -> str:
    """A field description: what the field gives, then what ``asOf`` does."""
    return summary + HELP


@strawberry.input(
    one_of=True,
    description="A moment in the record's history: exactly one of a log position or a time.",
)
class AsOf:
    log_position: int | None = strawberry.field(
        default=strawberry.UNSET, description="Just after the event at this log position."
    )
    at: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="Just after the last event recorded at or before this time (with its zone).",
    )


async def log_position_of(info: Info, as_of: AsOf) -> int:
    """The log position ``as_of`` names; an ``asOf`` error when it names none."""
    runtime = info.context.services.runtime
    if isinstance(as_of.at, datetime):
        moment = as_of.at
        if moment.tzinfo is None:
            raise invalid_argument("asOf", "a time needs its zone, e.g. 2026-05-01T12:00:00+02:00")
        return await run_in_threadpool(position_at, runtime.database, moment)
    log_position = as_of.log_position
    if not isinstance(log_position, int):
        raise invalid_argument("asOf", "give a logPosition or a time (at)")
    if log_position < 0:
        raise invalid_argument("asOf", f"a log position is 0 or more; it is {log_position}")
    head = await run_in_threadpool(runtime.council.log_position)
    if log_position > head:
        raise invalid_argument(
            "asOf", f"log position {log_position} is after the last event ({head})"
        )
    return log_position


async def as_of_position(info: Info, as_of: AsOf | None) -> int | None:
    """None for the current state, else the log position to read at."""
    return None if as_of is None else await log_position_of(info, as_of)
