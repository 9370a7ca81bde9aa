"""Who is who and the rounds: `me`, `organisations`, `rounds`; `openRound`, `erasePersonalData`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.application import Outcome
from graphql_api.commands import council, perform, uid
from graphql_api.context import Info
from graphql_api.errors import Conflict, Invalid, NotAllowed, NotFound, ProblemType, WrongState
from graphql_api.types import described
from graphql_api.types.people import Member, Organisation, member
from graphql_api.types.rounds import MonitoringRound, monitoring_round
from projections.queries import directory as queries


@strawberry.type
class DirectoryQuery:
    @described.field("The member the bearer token names; null for the public.")
    async def me(self, info: Info) -> Member | None:
        member_id = info.context.viewer.member_id
        return await member(info, str(member_id)) if member_id is not None else None

    @strawberry.field
    async def organisations(self, info: Info) -> list[Organisation]:
        rows = await run_in_threadpool(queries.all_organisations, info.context.services.store)
        viewer = info.context.viewer
        return [Organisation.from_row(row) for row in rows if viewer.sees(row.visibility)]

    @described.field("Monitoring rounds, newest first.")
    async def rounds(self, info: Info) -> list[MonitoringRound]:
        rows = await run_in_threadpool(queries.all_rounds, info.context.services.store)
        viewer = info.context.viewer
        return [MonitoringRound.from_row(row) for row in rows if viewer.sees(row.visibility)]

    @strawberry.field
    async def round(self, info: Info, id: strawberry.ID) -> MonitoringRound | None:
        return await monitoring_round(info, str(id))


@strawberry.type
class RoundPayload:
    log_position: int
    round: MonitoringRound | None


@strawberry.type
class MemberPayload:
    log_position: int
    member: Member | None


RoundResult = Annotated[
    RoundPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("RoundResult"),
]
MemberResult = Annotated[
    MemberPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("MemberResult"),
]


@strawberry.type
class DirectoryMutation:
    @described.mutation("The secretariat opens a monitoring round.")
    async def open_round(
        self,
        info: Info,
        title: str,
        recommendation_ids: list[strawberry.ID],
        assessments_due: date,
        co_signing_due: date,
        council_session_on: date,
        co_sign_quorum: int,
        mechanism: str = "UPR",
        cycle: int | None = None,
    ) -> RoundResult:
        done = await perform(
            info,
            lambda actor: council(info).open_round(
                actor,
                title=title,
                recommendation_ids=[uid(r, "recommendationIds") for r in recommendation_ids],
                assessments_due=assessments_due,
                co_signing_due=co_signing_due,
                council_session_on=council_session_on,
                co_sign_quorum=co_sign_quorum,
                mechanism=mechanism,
                cycle=cycle,
            ),
        )
        if not isinstance(done, Outcome):
            return done
        return RoundPayload(
            log_position=done.log_position, round=await monitoring_round(info, str(done.id))
        )

    @described.mutation(
        "The secretariat erases a member's name and e-mail; the history stays whole."
    )
    async def erase_personal_data(
        self, info: Info, member_id: strawberry.ID, expected_revision: int, reason: str
    ) -> MemberResult:
        done: Outcome | ProblemType = await perform(
            info,
            lambda actor: council(info).erase_personal_data(
                actor,
                uid(member_id, "memberId"),
                expected_revision=expected_revision,
                reason=reason,
            ),
        )
        if not isinstance(done, Outcome):
            return done
        return MemberPayload(
            log_position=done.log_position, member=await member(info, str(done.id))
        )
