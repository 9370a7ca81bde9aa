"""Fields that read only the context, and plain attributes, are resolved by a shorter call; the
answers are the same (every API test runs through it)."""

from __future__ import annotations

from graphql_api.lean_fields import lean_resolvers
from graphql_api.schema import build_schema


def test_only_fields_without_arguments_or_coroutines_are_shortened() -> None:
    shortened = set(lean_resolvers(build_schema()))
    assert {
        "Assessment.id",
        "Assessment.organisation",
        "Assessment.coSignatures",
        "Assessment.commentCount",
        "CoSignature.organisation",
    } <= shortened
    # a resolver with arguments, and coroutine resolvers, keep strawberry's own path
    assert "Query.assessments" not in shortened
    assert "Assessment.recommendation" not in shortened
    assert "Assessment.revisions" not in shortened
