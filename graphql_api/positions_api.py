"""Joint positions: listed as each viewer may see them; drafted, revised and amended."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.application import Outcome
from domain.values import ImplementationStatus, PositionState
from graphql_api.as_of import AsOf, as_of_position, described_as_of
from graphql_api.commands import council, perform, uid
from graphql_api.context import Info
from graphql_api.errors import (
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    ProblemType,
    WrongState,
    invalid_argument,
)
from graphql_api.limits import page_size
from graphql_api.types import described
from graphql_api.types.paging import Edge, PageInfo
from graphql_api.types.position_parts import Amendment
from graphql_api.types.positions import (
    JointPosition,
    JointPositionConnection,
    position_view,
    visible_position,
)
from projections.queries import joint_positions as queries
from projections.queries.paging import BadCursor


@strawberry.input
class JointPositionFilter:
    round_id: strawberry.ID | None = None
    recommendation_id: strawberry.ID | None = None
    state: PositionState | None = None


@strawberry.input(description="An assessment revision a joint position is drafted from.")
class AssessmentRevisionInput:
    assessment_id: strawberry.ID
    revision: int


@strawberry.type
class JointPositionQuery:
    @described.field("Joint positions as you may see them, oldest first.")
    async def joint_positions(
        self,
        info: Info,
        filter: JointPositionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> JointPositionConnection:
        f = filter or JointPositionFilter()
        flt = queries.JointPositionFilter(
            round_id=str(f.round_id) if f.round_id else None,
            recommendation_id=str(f.recommendation_id) if f.recommendation_id else None,
            state=f.state.value if f.state else None,
        )
        size = page_size(first)
        scope = info.context.viewer.scope
        try:
            page = await run_in_threadpool(
                queries.list_joint_positions, info.context.services.store, scope, flt, size, after
            )
        except BadCursor as error:
            raise invalid_argument("after", str(error)) from None
        edges = []
        for row, cursor in zip(page.items, page.cursors, strict=True):
            view = position_view(info, row)
            if view is not None:
                edges.append(Edge(cursor=cursor, node=view))
        end = page.cursors[-1] if page.cursors else None
        return JointPositionConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end)
        )

    @described.field(
        described_as_of("One joint position as you may see it: in full, as published, or null.")
    )
    async def joint_position(
        self, info: Info, id: strawberry.ID, as_of: AsOf | None = None
    ) -> JointPosition | None:
        return await visible_position(info, str(id), as_of=await as_of_position(info, as_of))


@strawberry.type
class JointPositionPayload:
    log_position: int
    joint_position: JointPosition | None


@strawberry.type
class AmendmentPayload:
    log_position: int
    amendment: Amendment | None
    joint_position: JointPosition | None


JointPositionResult = Annotated[
    JointPositionPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("JointPositionResult"),
]
AmendmentResult = Annotated[
    AmendmentPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("AmendmentResult"),
]


async def position_result(info: Info, done: Outcome | ProblemType) -> JointPositionResult:
    if not isinstance(done, Outcome):
        return done
    return JointPositionPayload(
        log_position=done.log_position, joint_position=await visible_position(info, str(done.id))
    )


def _pid(value: strawberry.ID) -> str:
    return str(value)


@strawberry.type
class JointPositionMutation:
    @described.mutation("The secretariat drafts the Council's position.")
    async def draft_joint_position(
        self,
        info: Info,
        round_id: strawberry.ID,
        recommendation_id: strawberry.ID,
        text: str,
        proposed_status: ImplementationStatus,
        based_on: list[AssessmentRevisionInput] | None = None,
    ) -> JointPositionResult:
        basis = based_on or []
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).draft_joint_position(
                    actor,
                    round_id=uid(round_id, "roundId"),
                    recommendation_id=uid(recommendation_id, "recommendationId"),
                    text=text,
                    proposed_status=proposed_status,
                    based_on=[(uid(b.assessment_id, "basedOn"), b.revision) for b in basis],
                ),
            ),
        )

    @strawberry.mutation
    async def revise_joint_position(
        self,
        info: Info,
        joint_position_id: strawberry.ID,
        expected_revision: int,
        text: str,
        proposed_status: ImplementationStatus,
        note: str = "",
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).revise_joint_position(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    expected_revision=expected_revision,
                    text=text,
                    proposed_status=proposed_status,
                    note=note,
                ),
            ),
        )

    @described.mutation("A change proposed to the named revision.")
    async def propose_amendment(
        self,
        info: Info,
        joint_position_id: strawberry.ID,
        revision: int,
        text: str,
        rationale: str = "",
    ) -> AmendmentResult:
        done = await perform(
            info,
            lambda actor: council(info).propose_amendment(
                actor,
                uid(joint_position_id, "jointPositionId"),
                revision=revision,
                text=text,
                rationale=rationale,
            ),
        )
        if not isinstance(done, Outcome):
            return done
        position = await visible_position(info, _pid(joint_position_id))
        amendment = None
        if position is not None and position.full:
            found = await info.context.loaders.amendments.load(_pid(joint_position_id))
            amendment = next((Amendment.from_row(a) for a in found if a.id == str(done.id)), None)
        return AmendmentPayload(
            log_position=done.log_position, amendment=amendment, joint_position=position
        )

    @described.mutation("The secretariat accepts or rejects (with reason).")
    async def decide_amendment(
        self,
        info: Info,
        joint_position_id: strawberry.ID,
        amendment_id: strawberry.ID,
        accept: bool,
        expected_revision: int,
        reason: str = "",
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).decide_amendment(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    amendment_id=uid(amendment_id, "amendmentId"),
                    accept=accept,
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )
