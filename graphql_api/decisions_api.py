"""The Council's decisions on a joint position: endorsements, dissents, adoption, publication,
reopening."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.values import DecisionMethod
from graphql_api.commands import council, perform, uid
from graphql_api.context import Info
from graphql_api.positions_api import JointPositionResult, position_result
from graphql_api.types import described


@strawberry.type
class DecisionMutation:
    @described.mutation("Your organisation endorses the named revision.")
    async def endorse_joint_position(
        self, info: Info, joint_position_id: strawberry.ID, revision: int, statement: str = ""
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).endorse_joint_position(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    revision=revision,
                    statement=statement,
                ),
            ),
        )

    @described.mutation("Your organisation dissents from the named revision.")
    async def record_dissent(
        self, info: Info, joint_position_id: strawberry.ID, revision: int, statement: str
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).record_dissent(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    revision=revision,
                    statement=statement,
                ),
            ),
        )

    @described.mutation("Adoption at a Council session; the status follows it.")
    async def adopt_joint_position(
        self,
        info: Info,
        joint_position_id: strawberry.ID,
        revision: int,
        session: str,
        adopted_on: date,
        method: DecisionMethod = DecisionMethod.CONSENSUS,
        votes_for: int | None = None,
        votes_against: int | None = None,
        abstentions: int | None = None,
        divergent_views: str = "",
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).adopt_joint_position(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    revision=revision,
                    session=session,
                    adopted_on=adopted_on,
                    method=method,
                    votes_for=votes_for,
                    votes_against=votes_against,
                    abstentions=abstentions,
                    divergent_views=divergent_views,
                ),
            ),
        )

    @strawberry.mutation
    async def publish_joint_position(
        self, info: Info, joint_position_id: strawberry.ID, expected_revision: int
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).publish_joint_position(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    expected_revision=expected_revision,
                ),
            ),
        )

    @described.mutation("A new cycle of revisions; the past is not edited.")
    async def reopen_joint_position(
        self, info: Info, joint_position_id: strawberry.ID, expected_revision: int, reason: str
    ) -> JointPositionResult:
        return await position_result(
            info,
            await perform(
                info,
                lambda actor: council(info).reopen_joint_position(
                    actor,
                    uid(joint_position_id, "jointPositionId"),
                    expected_revision=expected_revision,
                    reason=reason,
                ),
            ),
        )
