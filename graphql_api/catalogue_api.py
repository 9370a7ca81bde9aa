"""The catalogue: recommendations filtered, searched and paged; a secretariat status correction."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.application import Outcome
from domain.values import ImplementationStatus, StateResponse
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
from graphql_api.types.catalogue import Recommendation, RecommendationConnection, recommendation
from graphql_api.types.paging import edges_of
from projections.queries import catalogue as queries
from projections.queries.paging import BadCursor


@strawberry.input(description="Every given field must match.")
class RecommendationFilter:
    mechanism: str | None = None
    cycle: int | None = None
    theme: str | None = None
    affected_person: str | None = None
    sdg: str | None = None
    recommending_state: str | None = None
    responsible_body_id: strawberry.ID | None = None
    state_response: StateResponse | None = None
    status: ImplementationStatus | None = None

    def query(self) -> queries.RecommendationFilter:
        return queries.RecommendationFilter(
            mechanism=self.mechanism,
            cycle=self.cycle,
            theme=self.theme,
            affected_person=self.affected_person,
            sdg=self.sdg,
            recommending_state=self.recommending_state,
            responsible_body_id=str(self.responsible_body_id) if self.responsible_body_id else None,
            state_response=self.state_response.value if self.state_response else None,
            status=self.status.value if self.status else None,
        )


@strawberry.type
class CatalogueQuery:
    @described.field("The catalogue, in document and paragraph order.")
    async def recommendations(
        self,
        info: Info,
        filter: RecommendationFilter | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find; accents and script (Ћ/Ć/C) do not matter."
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RecommendationConnection:
        size = page_size(first)
        flt = filter.query() if filter is not None else queries.RecommendationFilter()
        store = info.context.services.store
        try:
            page = await run_in_threadpool(
                queries.list_recommendations, store, flt, search, size, after
            )
        except BadCursor as error:
            raise invalid_argument("after", str(error)) from None
        edges, page_info = edges_of(page, Recommendation.from_row)

        async def count() -> int:
            return await run_in_threadpool(queries.count_recommendations, store, flt, search)

        return RecommendationConnection(edges=edges, page_info=page_info, count=count)

    @described.field(described_as_of("One recommendation (null before it was catalogued)."))
    async def recommendation(
        self, info: Info, id: strawberry.ID, as_of: AsOf | None = None
    ) -> Recommendation | None:
        return await recommendation(info, str(id), as_of=await as_of_position(info, as_of))


@strawberry.type
class RecommendationPayload:
    log_position: int
    recommendation: Recommendation | None


RecommendationResult = Annotated[
    RecommendationPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("RecommendationResult"),
]


async def _result(info: Info, done: Outcome | ProblemType) -> RecommendationResult:
    if not isinstance(done, Outcome):
        return done
    return RecommendationPayload(
        log_position=done.log_position, recommendation=await recommendation(info, str(done.id))
    )


@strawberry.type
class CatalogueMutation:
    @described.mutation("The secretariat corrects an official status, with reason.")
    async def correct_recommendation_status(
        self,
        info: Info,
        recommendation_id: strawberry.ID,
        status: ImplementationStatus,
        reason: str,
        expected_revision: int,
    ) -> RecommendationResult:
        return await _result(
            info,
            await perform(
                info,
                lambda actor: council(info).correct_recommendation_status(
                    actor,
                    uid(recommendation_id, "recommendationId"),
                    status=status,
                    reason=reason,
                    expected_revision=expected_revision,
                ),
            ),
        )
