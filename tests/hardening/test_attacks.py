"""Hostile clients (OWASP GraphQL cheat sheet): each attack is refused with a clear error.

Already covered elsewhere and not repeated here: alias bombs, a fifty-deep query, bodies over
1 MB, documents of too many tokens and introspection switched off (test_api_requests); expired
tokens, tokens signed with another key and tokens of another council's schema
(test_api_requests); writes on behalf of another organisation, for every mutation
(test_api_mutations); drafts of another organisation and names of its members
(test_api_visibility). See docs/hardening.md.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from starlette.testclient import TestClient

from graphql_api import tokens
from graphql_api.app import create_app
from graphql_api.limits import MAX_BODY_BYTES
from tests.scenario import play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

ME = {"query": "{ me { id } }"}


def _post(client: TestClient, body: Any, **headers: str) -> Any:
    return client.post("/graphql", json=body, headers=headers)


def _refused(body: dict[str, Any]) -> str:
    """The first error's message of an answer that carries no data."""
    assert body.get("data") is None, body
    assert body["errors"], body
    return str(body["errors"][0]["message"])


# --- introspection and field suggestions ---------------------------------------------------------


@pytest.fixture(name="closed")
def closed_fixture(api: Api) -> Iterator[TestClient]:
    """The app as production serves it: no GraphiQL, no introspection."""
    settings = dataclasses.replace(api.settings, graphiql=False, introspection=False)
    with TestClient(create_app(type(api.runtime)(settings))) as client:
        yield client


INTROSPECTION_PROBES = [
    "{ __schema { types { name } } }",
    '{ __type(name: "Member") { fields { name } } }',
    "query { ...F } fragment F on Query { __schema { queryType { name } } }",
    "{ organisations { id } a: __schema { queryType { name } } }",
]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_way_of_asking_for_the_schema_is_refused_when_introspection_is_off(
    closed: TestClient,
) -> None:
    for query in INTROSPECTION_PROBES:
        message = _refused(_post(closed, {"query": query}).json())
        assert "introspection" in message.lower(), (query, message)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_misspelt_fields_and_arguments_get_no_suggestions_when_introspection_is_off(
    api: Api, closed: TestClient
) -> None:
    probes = {
        "{ organisatons { id } }": "organisatons",
        "{ organisations { nme } }": "nme",
        "{ recommendations(frist: 1) { totalCount } }": "frist",
        "{ recommendations(filter: {stateRespons: NOTED}) { totalCount } }": "stateRespons",
        "{ recommendations(filter: {stateResponse: NOTE}) { totalCount } }": "NOTE",
        "{ ...F } fragment F on Organisaton { id }": "Organisaton",
        "mutation { postComent { __typename } }": "postComent",
    }
    for query, misspelt in probes.items():
        open_answer = _refused(_post(api.client, {"query": query}).json())
        assert "Did you mean" in open_answer, (query, open_answer)  # the probe is a real one
        message = _refused(_post(closed, {"query": query}).json())
        assert "Did you mean" not in message, (query, message)
        assert f"'{misspelt}'" in message, (query, message)  # still says what is wrong


# --- batching, fragments, variables --------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_batch_of_operations_in_one_json_array_is_refused(api: Api) -> None:
    batch = [ME] * 500
    before = api.log_position()
    response = _post(api.client, batch, Authorization=f"Bearer {api.token(api.world.cso_a)}")
    assert response.status_code == 400
    assert response.text
    assert (
        "me" not in response.json()
        if response.headers["content-type"].startswith("application/json")
        else True
    )
    assert api.log_position() == before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fragment_cycles_are_refused(api: Api) -> None:
    cycles = [
        "{ ...A } fragment A on Query { ...A }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...C }"
        " fragment C on Query { ...A }",
        "{ organisations { ...O } } fragment O on Organisation { members { organisation { ...O } } }",
    ]
    for query in cycles:
        message = _refused(_post(api.client, {"query": query}).json())
        assert "Cannot spread fragment" in message, message


@pytest.mark.parametrize("backend", ["sqlite"])
def test_depth_hidden_in_nested_fragments_is_refused(api: Api) -> None:
    fragments = [
        "fragment F0 on Organisation { id }",
        *(
            f"fragment F{i} on Organisation {{ members {{ organisation {{ ...F{i - 1} }} }} }}"
            for i in range(1, 30)
        ),
    ]
    query = "{ organisations { ...F29 } } " + " ".join(fragments)
    message = _refused(_post(api.client, {"query": query}).json())
    assert "exceeds maximum operation depth" in message


def _doubling(levels: int) -> str:
    """Fragments each spreading the previous one twice: 2**levels spreads of the first."""
    fragments = ["fragment F0 on Query { organisations { id } }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ ...F{levels} }} " + " ".join(fragments)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fragments_that_double_at_every_level_are_refused_by_their_spread_size(api: Api) -> None:
    # Forty levels stand for 2**41 selections in about 2 kB; before the spread limit the depth
    # and alias rules walked every one of them and the request never finished.
    message = _refused(_post(api.client, {"query": _doubling(40)}).json())
    assert message == (
        "the document spreads to more than 20,000 selections once its fragments are spread out"
    )
    # Ten levels (2,048 selections) are a legitimate, if odd, query and are answered.
    body = _post(api.client, {"query": _doubling(10)}).json()
    assert not body.get("errors"), body
    assert len(body["data"]["organisations"]) == len(api.world.organisations)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_aliases_hidden_in_fragments_count_against_the_alias_limit(api: Api) -> None:
    aliases = " ".join(f"a{i}: organisations {{ id }}" for i in range(40))
    query = f"{{ ...F }} fragment F on Query {{ {aliases} }}"
    message = _refused(_post(api.client, {"query": query}).json())
    assert "aliases" in message


@pytest.mark.parametrize("backend", ["sqlite"])
def test_oversized_and_unused_variables_are_refused_or_harmless(api: Api) -> None:
    query = "query S($s: String!) { recommendations(search: $s) { totalCount } }"
    # Just under the body limit: a search for 900,000 characters finds nothing, quickly.
    big = api.post(None, query, s="ç" * 450_000)
    assert big.get("errors") is None, big
    assert big["data"]["recommendations"]["totalCount"] == 0
    # Over the body limit in the variables alone: 413 before anything parses.
    response = _post(api.client, {"query": query, "variables": {"s": "x" * (MAX_BODY_BYTES + 1)}})
    assert response.status_code == 413
    # A thousand unused variables change nothing.
    unused = {f"v{i}": i for i in range(1000)}
    body = _post(api.client, {"query": "{ me { id } }", "variables": unused}).json()
    assert body == {"data": {"me": None}}
    # A variable of the wrong type is a clear coercion error.
    body = _post(api.client, {"query": query, "variables": {"s": {"$where": "1"}}}).json()
    assert "String cannot represent a non string value" in _refused(body)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_json_nested_a_hundred_thousand_deep_is_a_client_error_not_a_crash(api: Api) -> None:
    depth = 100_000
    nested = "[" * depth + "]" * depth
    content = '{"query": "{ me { id } }", "variables": {"x": ' + nested + "}}"
    assert len(content) < MAX_BODY_BYTES
    response = api.client.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text
    assert api.client.post("/graphql", json=ME).status_code == 200  # still serving


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_body_that_is_not_json_or_not_an_object_is_a_400(api: Api) -> None:
    for content in (b"{", b"\xff\xfe\x00", b"null", b"42", b'"{ me { id } }"', b"{}"):
        response = api.client.post(
            "/graphql", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (content, response.status_code, response.text)
        assert "Traceback" not in response.text


# --- forged tokens -------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(api: Api, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(api.world.cso_a.member_id),
        "iss": tokens.ISSUER,
        "aud": tokens.audience(api.settings),
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def forged_tokens(api: Api) -> dict[str, tuple[str, str]]:
    """Each forgery with the start of the message it must be refused with."""
    key = api.settings.secret_key
    assert key is not None
    world = api.world
    genuine = api.token(world.cso_a)
    header, payload, signature = genuine.split(".")
    # The genuine token with its subject changed to the secretariat's member, signature kept.
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(world.secretariat.member_id)
    tampered = f"{header}.{_b64(claims)}.{signature}"
    # Another council on the same server: its own schema and its own secret.
    elsewhere = dataclasses.replace(api.settings.database, schema="another_council")
    other = dataclasses.replace(
        api.settings, database=elsewhere, secret_key="another-council's-own-secret-0123456789abcd"
    )
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    invalid = "the token is not valid"
    return {
        "alg none": (
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(api))}.",
            invalid,
        ),
        "alg none, upper case": (
            f"{_b64({'alg': 'NONE', 'typ': 'JWT'})}.{_b64(_claims(api))}.",
            invalid,
        ),
        "tampered subject": (tampered, invalid),
        "tampered expiry": (
            f"{header}.{_b64({**claims, 'sub': str(world.cso_a.member_id), 'exp': 4102444800})}"
            f".{signature}",
            invalid,
        ),
        "signature stripped": (f"{header}.{payload}.", invalid),
        "another council, another secret": (
            tokens.issue(other, world.cso_a.member_id, timedelta(hours=1)),
            invalid,
        ),
        "HS512 with the right key": (jwt.encode(_claims(api), key, algorithm="HS512"), invalid),
        "RS256 with a key of its own": (jwt.encode(_claims(api), rsa, algorithm="RS256"), invalid),
        "no expiry": (jwt.encode(_claims(api, exp=None), key, algorithm="HS256"), invalid),
        "another issuer": (
            jwt.encode(_claims(api, iss="someone-else"), key, algorithm="HS256"),
            invalid,
        ),
        "no audience": (jwt.encode(_claims(api, aud=None), key, algorithm="HS256"), invalid),
        "a subject that is no member": (
            jwt.encode(_claims(api, sub="00000000-0000-0000-0000-000000000000"), key, "HS256"),
            "the token's member cannot act",
        ),
        "a subject that is no id": (
            jwt.encode(_claims(api, sub="admin"), key, algorithm="HS256"),
            "the token names no member",
        ),
        "issued in the future": (
            jwt.encode(_claims(api, iat=int(time.time()) + 86_400), key, algorithm="HS256"),
            invalid,
        ),
        "not a JWT": ("eyJhbGciOiJIUzI1NiJ9.e30", invalid),
        "a huge token": ("a" * 20_000, invalid),
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_forged_token_is_a_401_with_a_clear_message_and_opens_nothing(api: Api) -> None:
    round_id = api.open_round()
    mutation = {
        "query": """mutation M($round: ID!, $rec: ID!) { proposeAssessment(roundId: $round,
                 recommendationId: $rec, rating: NOT_IMPLEMENTED, narrative: "Forged.")
                 { __typename } }""",
        "variables": {"round": str(round_id), "rec": str(api.world.recommendation_id)},
    }
    forged = forged_tokens(api)
    for name, (token, message) in forged.items():
        before = api.log_position()
        for body in (ME, mutation):
            response = _post(api.client, body, Authorization=f"Bearer {token}")
            assert response.status_code == 401, (name, response.text)
            error = response.json()["errors"][0]["message"]
            assert error.startswith(message), (name, error)
            assert api.settings.secret_key not in response.text
        assert api.log_position() == before, name
    assert len(forged) >= 15


# --- personal data -------------------------------------------------------------------------------


def test_the_public_and_other_organisations_never_see_names_or_e_mail(api: Api) -> None:
    world = api.world
    play_round(world)
    api.settle(api.log_position())
    query = """{ organisations { name members { name email displayName } }
                assessments { edges { node { proposedBy: history { edges { node {
                  actor { name email } } } } } } } }"""
    own = {
        "cso_a": world.cso_a,
        "cso_b": world.cso_b,
        "state_body": world.state_body,
        "outsider": world.outsider,
    }
    for viewer in (None, *own.values()):
        body = api.post(viewer, query)
        people: list[dict[str, Any]] = []

        def collect(value: Any, into: list[dict[str, Any]] = people) -> None:
            if isinstance(value, dict):
                if "email" in value:
                    into.append(value)
                for item in value.values():
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)

        collect(body.get("data"))
        own_domain = None
        if viewer is not None:
            own_domain = next(k for k, v in own.items() if v == viewer)
        for person in people:
            if person["email"] is not None:
                assert own_domain is not None, person
                assert person["email"].startswith(own_domain), (viewer, person)
    # The public sees no member at all.
    public = api.post(None, "{ organisations { members { email } } }")
    emails = [
        m["email"]
        for o in (public.get("data") or {}).get("organisations") or []
        for m in o.get("members") or []
    ]
    assert all(e is None for e in emails)
