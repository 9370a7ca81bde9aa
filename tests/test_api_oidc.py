"""Members signing in through the Council's OpenID Connect provider: the provider's keys verify
its tokens, a claim names the member; a token the provider did not sign is a 401."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.oidc import OidcConfig
from tests.test_api_support import Api, api_fixture  # noqa: F401

ISSUER = "https://login.example.org/realms/council"
AUDIENCE = "council-ledger"


@pytest.fixture
def provider() -> Iterator[tuple[Any, str]]:
    """A signing key and the URL where its JWKS is published (loopback only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()


def _token(key: Any, member: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f:1234:ana",
        "iat": now,
        "exp": now + 600,
        "council_member_id": member,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_member_signed_in_through_the_provider_is_recognised(
    api: Api, provider: tuple[Any, str]
) -> None:
    key, jwks_url = provider
    app = create_app(
        api.runtime, oidc=OidcConfig(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    )
    member = str(api.world.cso_a.member_id)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # Not entered: its lifespan would close the runtime the `api` fixture still serves.
    client = TestClient(app)

    def me(token: str) -> Any:
        return client.post(
            "/graphql",
            json={"query": "{ me { id name } }"},
            headers={"Authorization": f"Bearer {token}"},
        )

    answer = me(_token(key, member))
    assert answer.status_code == 200
    assert answer.json()["data"]["me"]["id"] == member
    assert me(api.token(api.world.cso_b)).json()["data"]["me"]["id"] == str(
        api.world.cso_b.member_id
    )
    for token, message in (
        (_token(other_key, member), "the token is not valid: Signature verification failed"),
        (_token(key, member, exp=int(time.time()) - 60), "the token has expired"),
        (_token(key, member, aud="another-app"), "the token is not valid: Audience"),
        (_token(key, "not-a-member"), "the token's 'council_member_id' claim names no"),
    ):
        refused = me(token)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["message"].startswith(message)
