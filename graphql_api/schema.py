"""The schema: the root types assembled from each feature area, with the request limits.

`python -m graphql_api.schema > schema.graphql` prints the SDL that is checked in.
"""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api import types as _types  # noqa: F401 - registers the enums first
from graphql_api.assessments_api import AssessmentMutation, AssessmentQuery
from graphql_api.audit_api import AuditQuery
from graphql_api.catalogue_api import CatalogueMutation, CatalogueQuery
from graphql_api.comments_api import CommentMutation
from graphql_api.decisions_api import DecisionMutation
from graphql_api.directory_api import DirectoryMutation, DirectoryQuery
from graphql_api.history_api import HistoryQuery, HistorySubscription
from graphql_api.lean_fields import lean_resolvers
from graphql_api.limits import extensions
from graphql_api.positions_api import JointPositionMutation, JointPositionQuery
from graphql_api.reports_api import ReportMutation, ReportQuery
from graphql_api.types import enums as _enums  # noqa: F401 - domain enums as GraphQL enums

Query = merge_types(
    "Query",
    (
        DirectoryQuery,
        CatalogueQuery,
        AssessmentQuery,
        JointPositionQuery,
        HistoryQuery,
        AuditQuery,
        ReportQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        DirectoryMutation,
        CatalogueMutation,
        AssessmentMutation,
        CommentMutation,
        JointPositionMutation,
        DecisionMutation,
        ReportMutation,
    ),
)

Subscription = merge_types("Subscription", (HistorySubscription,))


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class CouncilSchema(strawberry.Schema):
    """Errors are logged where they are understood: unexpected ones by ``MaskUnexpected``,
    with the request id; expected ones (validation, refusals) are the client's business.

    With introspection off, "Did you mean …?" is cut from every message: those suggestions
    (of fields, arguments, input fields, enum values, types) would spell out the schema."""

    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        if self.hide_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    schema = CouncilSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(introspection=introspection),
    )
    schema.hide_suggestions = not introspection
    lean_resolvers(schema)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
