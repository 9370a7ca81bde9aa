"""Fuzzing the GraphQL API with schemathesis: every query and mutation, generated from the schema.

The schema is read from the running app by introspection; schemathesis (GraphQL mode, which
draws documents with hypothesis-graphql) generates a bounded number of documents per operation
from a fixed seed, and each is sent to the app as a member of the secretariat and as the
public. Every answer must be a client answer (never a 5xx); none may be an unexpected error
(the app masks those with a request id, but bad input must get a clear answer instead); no
error text may show internals (exception names, SQL, source files); and a call that was refused
(an error, or a mutation that returned a `Problem`) must not have stored anything.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.generation.case import Case
from schemathesis.graphql import nodes
from schemathesis.specs.graphql import scalars

from domain.values import Actor
from tests.scenario import play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

SEED = 20260301
EXAMPLES_PER_OPERATION = 25
PROBLEMS = {"Conflict", "NotAllowed", "NotFound", "Invalid", "WrongState"}
# What an unmasked failure would show: exception names, tracebacks, SQL, file paths.
LEAKS = re.compile(
    r"Traceback|File \"|Error\(|Exception\b|psycopg|sqlite3|SELECT |INSERT |\.py\b|"
    r"eventsourcing|strawberry\.|NoneType|KeyError|AttributeError|TypeError"
)
MASKED = re.compile(r"^Unexpected error; the operator can find it under request id \S+\.$")


def _schema(api: Api) -> Any:
    introspection = api.client.post(
        "/graphql", json={"query": graphql.get_introspection_query()}
    ).json()
    return schemathesis.graphql.from_dict(introspection)


def _with_typename(document: str) -> str:
    """The generated document with `__typename` asked of its root field, to tell a payload
    from a `Problem` without guessing from the fields that were drawn."""
    ast = graphql.parse(document)
    operation = ast.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = operation.selection_set.selections[0]
    assert isinstance(root, graphql.FieldNode)
    if root.selection_set is None:
        return document
    typename = graphql.FieldNode(name=graphql.NameNode(value="__typename"))
    fields = replace(root.selection_set, selections=(*root.selection_set.selections, typename))
    roots = (replace(root, selection_set=fields), *operation.selection_set.selections[1:])
    operation = replace(operation, selection_set=replace(operation.selection_set, selections=roots))
    return graphql.print_ast(replace(ast, definitions=(operation, *ast.definitions[1:])))


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []

    def check(self, api: Api, case: Case[Any], actor: Actor | None, who: str) -> None:
        assert isinstance(case.body, str)
        document = _with_typename(case.body)
        mutation = case.operation.label.startswith("Mutation.")
        before = api.log_position()
        response = api.client.post("/graphql", json={"query": document}, headers=api.headers(actor))
        after = api.log_position()
        label = f"{case.operation.label} as {who}"
        self.counts["cases"] += 1
        if response.status_code >= 500:
            self.failures.append(f"{label}: HTTP {response.status_code}: {response.text[:300]}")
            return
        body: dict[str, Any] = response.json()
        errors = body.get("errors") or []
        for error in errors:
            message = str(error.get("message", ""))
            if error.get("extensions", {}).get("code") == "INTERNAL":
                # Masked as it should be, but bad input must get a clear answer, not a crash.
                self.counts["masked"] += 1
                kind = "masked" if MASKED.match(message) else "NOT masked"
                self.failures.append(f"{label}: unexpected error ({kind}): {message}")
            elif LEAKS.search(message):
                self.failures.append(f"{label}: internal detail in an error: {message}")
        result = (body.get("data") or {}).get(case.operation.label.split(".")[1])
        problem = isinstance(result, dict) and result.get("__typename") in PROBLEMS
        if errors or problem:
            self.counts["refused"] += 1
            if after != before:
                self.failures.append(f"{label}: refused but the log moved {before} -> {after}")
        elif mutation:
            self.counts["accepted mutations"] += 1
        elif after != before:
            self.failures.append(f"{label}: a query moved the log {before} -> {after}")


def _known_ids(api: Api) -> list[str]:
    """Ids of things that exist (a played round, its assessment, position and amendment, every
    organisation and every member but the one fuzzing), so generated calls reach the domain."""
    world = api.world
    record = play_round(world)
    api.settle(api.log_position())
    members = [world.cso_a, world.cso_b, world.state_body, world.outsider, world.auditor]
    ids = [
        record.round_id,
        record.assessment_id,
        record.position_id,
        record.amendment_id,
        world.recommendation_id,
        world.other_recommendation_id,
        *world.organisations.values(),
        *(member.member_id for member in members),
    ]
    return [str(i) for i in ids]


def test_generated_calls_to_every_operation_never_fail_the_server_leak_or_store_on_refusal(
    api: Api, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # IDs are drawn from real ids three times in four, and from any text otherwise.
    known = st.sampled_from(_known_ids(api))
    ids = st.one_of(known, known, known, st.text(max_size=40))
    monkeypatch.setitem(scalars.CUSTOM_SCALARS, "ID", ids.map(nodes.String))
    schema = _schema(api)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    identities: dict[str, Actor | None] = {"secretariat": api.world.secretariat, "public": None}
    tally = Tally()
    for operation in operations:

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Case[Any]) -> None:
            for who, actor in identities.items():
                tally.check(api, case, actor, who)

        fuzz()
    report = ", ".join(f"{count} {name}" for name, count in sorted(tally.counts.items()))
    print(f"\n{request.node.name}: {len(operations)} operations: {report}")
    assert tally.failures == []
    assert tally.counts["cases"] >= len(operations) * len(identities)
