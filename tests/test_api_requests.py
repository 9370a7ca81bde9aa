"""Requests: who may ask (tokens), how much (limits), what goes wrong (masking), what is logged."""

from __future__ import annotations

import dataclasses
import inspect
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import structlog
from starlette.testclient import TestClient

from graphql_api import tokens
from graphql_api.app import create_app
from graphql_api.logging import configure_logging
from projections.queries import assessments as assessment_queries
from projections.queries import catalogue as catalogue_queries
from projections.queries import directory as directory_queries
from tests.test_api_support import Api, api_fixture  # noqa: F401


def _post(api: Api, body: Any, **headers: str) -> Any:
    return api.client.post("/graphql", json=body, headers=headers)


def _queries_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The read-model queries the resolvers call from now on, recorded instead of run."""
    ran: list[str] = []
    for module in (directory_queries, catalogue_queries, assessment_queries):
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                monkeypatch.setattr(module, name, lambda *a, _name=name, **k: ran.append(_name))
    return ran


def _refused_before_anything_runs(
    api: Api, monkeypatch: pytest.MonkeyPatch, query: str
) -> dict[str, Any]:
    ran = _queries_run(monkeypatch)
    response = _post(api, {"query": query})
    assert ran == [], "a resolver ran"
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    return body


def test_a_refused_document_is_told_apart_from_one_that_runs(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check the refusals below rely on: an accepted query does reach its read model."""
    ran = _queries_run(monkeypatch)
    _post(api, {"query": "{ organisations { id } }"})
    assert ran == ["all_organisations"]


def test_an_alias_bomb_is_refused_before_anything_runs(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliases = " ".join(f"a{i}: recommendations {{ totalCount }}" for i in range(500))
    body = _refused_before_anything_runs(api, monkeypatch, f"{{ {aliases} }}")
    assert "aliases" in body["errors"][0]["message"]


def test_a_fifty_deep_query_is_refused_before_anything_runs(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = "id"
    for _ in range(25):
        inner = f"recommendation {{ jointPositions: comments {{ parent {{ {inner} }} }} }}"
    query = (
        "{ assessments { edges { node { "
        + inner.replace("recommendation {", "recommendation {", 1)
        + " } } } }"
    )
    body = _refused_before_anything_runs(api, monkeypatch, query)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_a_two_megabyte_body_is_refused_with_413_before_parsing(api: Api) -> None:
    padding = "x" * (2 * 1024 * 1024)
    response = api.client.post(
        "/graphql",
        content=json.dumps({"query": "{ me { id } }", "padding": padding}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_document_of_too_many_tokens_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = " ".join("id" for _ in range(6000))
    body = _refused_before_anything_runs(api, monkeypatch, f"{{ organisations {{ {fields} }} }}")
    assert "token" in body["errors"][0]["message"].lower()


def test_a_page_larger_than_a_hundred_is_refused_naming_first(api: Api) -> None:
    body = _post(api, {"query": "{ recommendations(first: 101) { totalCount } }"}).json()
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "first"}
    assert body["errors"][0]["message"] == "first: must be between 0 and 100; it is 101"


def test_a_cursor_the_api_did_not_give_out_is_refused_naming_after(api: Api) -> None:
    body = _post(api, {"query": '{ recommendations(after: "bogus!") { totalCount } }'}).json()
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "after"}


def test_pages_follow_each_other_by_cursor_without_gaps(api: Api) -> None:
    query = "query R($after: String) { recommendations(first: 1, after: $after) { edges { cursor node { paragraph } } pageInfo { hasNextPage endCursor } } }"
    first = api.data(None, query)["recommendations"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = api.data(None, query, after=first["pageInfo"]["endCursor"])["recommendations"]
    assert [e["node"]["paragraph"] for e in first["edges"] + second["edges"]] == ["131.4", "132.10"]
    assert second["pageInfo"]["hasNextPage"] is False


def test_the_catalogue_is_searched_without_regard_to_accents_or_script(api: Api) -> None:
    query = "query S($s: String!) { recommendations(search: $s) { edges { node { paragraph } } } }"
    for words in ("ćirilica", "Ћирилица", "CIRILICA schools", "minority languag"):
        edges = api.data(None, query, s=words)["recommendations"]["edges"]
        assert [e["node"]["paragraph"] for e in edges] == ["132.10"], words
    filtered = api.data(
        None,
        '{ recommendations(filter: {theme: "Education", stateResponse: NOTED, cycle: 2}) { totalCount } }',
    )
    assert filtered["recommendations"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer not.a.jwt", "the token is not valid"),
        ("Basic dXNlcjpwYXNz", "the Authorization header must read: Bearer <token>"),
        ("Bearer", "the Authorization header must read: Bearer <token>"),
    ],
)
def test_a_malformed_token_is_a_401_with_a_clear_message(
    api: Api, header: str, message: str
) -> None:
    response = _post(api, {"query": "{ me { id } }"}, Authorization=header)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["message"].startswith(message)


def test_an_expired_a_forged_and_a_foreign_token_are_each_a_401(api: Api) -> None:
    member = api.world.cso_a.member_id
    long_ago = datetime.now(UTC) - timedelta(days=2)
    expired = tokens.issue(api.settings, member, timedelta(hours=1), now=long_ago)
    forged = jwt.encode(
        {
            "sub": str(member),
            "iss": "council-ledger",
            "aud": tokens.audience(api.settings),
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
        },
        "somebody-else's-key-somebody-else's-key",
        algorithm="HS256",
    )
    elsewhere = dataclasses.replace(api.settings.database, schema="another_council")
    other = dataclasses.replace(api.settings, database=elsewhere)
    foreign = tokens.issue(other, member, timedelta(hours=1))
    for token, message in (
        (expired, "the token has expired"),
        (forged, "the token is not valid: Signature verification failed"),
        (foreign, "the token is for another council"),
    ):
        response = _post(api, {"query": "{ me { id } }"}, Authorization=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == message


def test_a_token_of_an_erased_member_no_longer_opens_the_api(api: Api) -> None:
    world = api.world
    token = api.token(world.cso_c)
    api.settle(
        api.runtime.council.erase_personal_data(
            world.secretariat,
            world.cso_c.member_id,
            expected_revision=1,
            reason="Left the organisation",
        ).log_position
    )
    response = _post(api, {"query": "{ me { id } }"}, Authorization=f"Bearer {token}")
    assert response.status_code == 401
    assert "no longer active" in response.json()["errors"][0]["message"]


def test_an_unexpected_failure_is_masked_and_logged_under_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections.queries import directory

    def broken(store: Any) -> Any:
        raise RuntimeError("the database password is hunter2")

    monkeypatch.setattr(directory, "all_organisations", broken)
    with structlog.testing.capture_logs() as logs:
        response = _post(api, {"query": "{ organisations { id } }"}, **{"X-Request-Id": "req-42"})
    error = response.json()["errors"][0]
    assert "hunter2" not in response.text
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-42"}
    assert "req-42" in error["message"]
    assert response.headers["X-Request-Id"] == "req-42"
    [logged] = [entry for entry in logs if entry["event"] == "unexpected error"]
    assert logged["request_id"] == "req-42"
    assert "hunter2" in str(logged["exc_info"])


def test_each_request_is_one_json_log_line_with_member_operation_duration_and_log_position(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(dataclasses.replace(api.settings, log_format="json"))
    try:
        capsys.readouterr()
        round_id = api.open_round()
        api.data(
            api.world.cso_a,
            """mutation Propose($round: ID!, $rec: ID!) { proposeAssessment(roundId: $round,
               recommendationId: $rec, rating: NOT_IMPLEMENTED, narrative: "Nothing yet.")
               { __typename } }""",
            round=str(round_id),
            rec=str(api.world.recommendation_id),
        )
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    finally:
        structlog.reset_defaults()
    [line] = [entry for entry in lines if entry.get("event") == "request"]
    assert line["operation"] == "Propose"
    assert line["member"] == str(api.world.cso_a.member_id)
    assert line["log_position"] == api.log_position()
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert len(line["request_id"]) == 32


def test_graphiql_and_introspection_can_be_switched_off(api: Api) -> None:
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    introspect = {"query": "{ __schema { queryType { name } } }"}
    assert _post(api, introspect).json()["data"]["__schema"]["queryType"]["name"] == "Query"

    closed = dataclasses.replace(api.settings, graphiql=False, introspection=False)
    runtime = type(api.runtime)(closed)
    with TestClient(create_app(runtime)) as client:
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 404
        body = client.post("/graphql", json=introspect).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        assert client.post("/graphql", json={"query": "{ organisations { name } }"}).json()["data"]
