"""End to end over real HTTP: `council serve` and `council project` as processes on PostgreSQL,
one token per member from the command line, the whole round of tests/scenario.py played through
GraphQL alone, and a websocket subscriber that receives every history item of the round, in order.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from domain.values import Actor
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.db import Database
from tests.conftest import postgres_url_or_skip
from tests.processes import stop_all
from tests.scenario import catalogue_entries

pytestmark = pytest.mark.postgres

COUNCIL = str(Path(sys.executable).with_name("council"))
PEOPLE = [
    ("secretariat", "Office for Human and Minority Rights", "secretariat", False, ["secretariat"]),
    ("cso_a", "Belgrade Centre for Human Rights", "cso", True, ["editor", "signatory"]),
    ("cso_b", "Lawyers' Committee for Human Rights", "cso", True, ["editor", "signatory"]),
    ("cso_c", "Civic Initiatives", "cso", True, ["editor", "signatory"]),
    ("state_body", "Ministry of Justice", "state_body", False, ["editor", "signatory"]),
    ("auditor", "Protector of Citizens", "observer", False, ["auditor"]),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [COUNCIL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"council {' '.join(args)}: {done.stderr}"
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = postgres_url_or_skip()
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": url,
        "COUNCIL_SCHEMA": f"e2e_{uuid.uuid4().hex[:12]}",
        "COUNCIL_SECRET_KEY": "an-end-to-end-signing-key-0123456789abcdef",
        "COUNCIL_LOG_FORMAT": "json",
    }
    settings = Settings.from_env(env)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _cli(env, "db", "init")
        runtime = Runtime(settings)
        runtime.council.record_recommendations(Actor.operator(), catalogue_entries(), source="test")
        runtime.close()
        logs = tmp_path / "logs"
        logs.mkdir()
        processes.append(_start(env, logs / "project.log", "project"))
        port = _free_port()
        processes.append(_start(env, logs / "serve.log", "serve", "--port", str(port)))
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, processes[-1])
        yield base, {key: env[key] for key in env if key.startswith("COUNCIL_")}
    finally:
        stop_all(processes)
        Database(settings.database).drop_schemas()


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([COUNCIL, *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "council serve stopped"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("council serve did not answer within 30 s")


def _tokens(env: dict[str, str]) -> dict[str, str]:
    """Organisations, members and tokens made with the command line, as an operator would."""
    full = {**os.environ, **env}
    with ThreadPoolExecutor(max_workers=len(PEOPLE)) as pool:
        args = [
            ["org", "add", "--name", name, "--kind", kind, *(["--platform"] if platform else [])]
            for _, name, kind, platform, _ in PEOPLE
        ]
        orgs = list(pool.map(lambda a: _cli(full, *a), args))
        args = [
            [
                "member",
                "add",
                "--org",
                org,
                "--name",
                f"Member of {name}",
                "--email",
                f"{key}@example.org",
                *[x for role in roles for x in ("--role", role)],
            ]
            for org, (key, name, _, _, roles) in zip(orgs, PEOPLE, strict=True)
        ]
        members = list(pool.map(lambda a: _cli(full, *a), args))
        tokens = list(pool.map(lambda m: _cli(full, "token", "issue", "--member", m), members))
    return {key: token for (key, *_), token in zip(PEOPLE, tokens, strict=True)}


class Client:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.tokens = tokens

    def call(self, who: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def act(self, who: str, mutation: str, **variables: Any) -> dict[str, Any]:
        """One mutation; it must succeed, and its payload is returned."""
        data = self.call(who, mutation, **variables)
        [result] = data.values()
        assert result["__typename"].endswith("Payload"), result
        return result


class Subscriber(threading.Thread):
    """Follows the round's activity over graphql-transport-ws, as a browser would."""

    def __init__(self, base: str, token: str, round_id: str) -> None:
        super().__init__(daemon=True)
        self.url = base.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.round_id = round_id
        self.items: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"Authorization": f"Bearer {self.token}"},
                    }
                )
            )
            assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
            query = "subscription F($r: ID!) { activity(roundId: $r, since: 0) { logPosition summary } }"
            ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": {"r": self.round_id}},
                    }
                )
            )
            self.ready.set()
            while not self.stop.is_set():
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    return
                assert message["type"] == "next", message
                self.items.append(message["payload"]["data"]["activity"])


A = "... on AssessmentPayload { assessment { id revision state } } ... on Problem { message }"
P = "... on JointPositionPayload { jointPosition { id revision state } } ... on Problem { message }"


def test_a_whole_round_over_http_with_a_live_subscriber_of_its_history(
    server: tuple[str, dict[str, str]],
) -> None:
    base, env = server
    client = Client(base, _tokens(env))
    recommendations = client.call(None, "{ recommendations { edges { node { id paragraph } } } }")
    rec_ids = [edge["node"]["id"] for edge in recommendations["recommendations"]["edges"]]
    rec = rec_ids[0]

    opened = client.act(
        "secretariat",
        """mutation O($recs: [ID!]!) { openRound(title: "UPR cycle 4 mid-term review, 2026",
           recommendationIds: $recs, assessmentsDue: "2026-04-01", coSigningDue: "2026-04-15",
           councilSessionOn: "2026-05-01", coSignQuorum: 1, cycle: 4)
           { __typename ... on RoundPayload { round { id } } } }""",
        recs=rec_ids,
    )
    round_id = opened["round"]["id"]
    subscriber = Subscriber(base, client.tokens["auditor"], round_id)
    subscriber.start()
    assert subscriber.ready.wait(10)

    proposed = client.act(
        "cso_a",
        f"""mutation($r: ID!, $rec: ID!) {{ proposeAssessment(roundId: $r, recommendationId: $rec,
            rating: NOT_IMPLEMENTED, narrative: "No body has been designated yet.",
            evidence: [{{title: "Government decision", reference: "Official Gazette 2014/49",
            date: "2014-05-07", kind: "law"}}]) {{ __typename {A} }} }}""",
        r=round_id,
        rec=rec,
    )
    a = proposed["assessment"]["id"]
    revise = f"""mutation($a: ID!, $e: Int!, $n: String!) {{ reviseAssessment(assessmentId: $a,
        expectedRevision: $e, rating: PARTIALLY_IMPLEMENTED, narrative: $n) {{ __typename {A} }} }}"""
    sign = f"""mutation($a: ID!, $r: Int!) {{ coSignAssessment(assessmentId: $a, revision: $r)
        {{ __typename {A} }} }}"""
    client.act("cso_a", revise, a=a, e=1, n="The Council was established in 2014 but meets rarely.")
    client.act(
        "cso_a",
        f"mutation($a: ID!) {{ openAssessmentForSignature(assessmentId: $a, expectedRevision: 2) {{ __typename {A} }} }}",
        a=a,
    )
    client.act("cso_b", sign, a=a, r=2)
    client.act("cso_c", sign, a=a, r=2)
    client.act(
        "cso_a",
        revise,
        a=a,
        e=2,
        n="The Council was established in 2014; the Platform takes part since 2019.",
    )
    client.act("cso_b", sign, a=a, r=3)
    client.act(
        "cso_c",
        f'mutation($a: ID!) {{ withdrawCoSignature(assessmentId: $a, expectedRevision: 3, reason: "We disagree with the rating") {{ __typename {A} }} }}',
        a=a,
    )
    client.act(
        "cso_b",
        'mutation($a: ID!) { postComment(subjectKind: ASSESSMENT, subjectId: $a, subjectRevision: 3, text: "Sessions are still rare.") { __typename } }',
        a=a,
    )
    submitted = client.act(
        "cso_a",
        f"mutation($a: ID!) {{ submitAssessment(assessmentId: $a, expectedRevision: 3) {{ __typename {A} }} }}",
        a=a,
    )
    assert submitted["assessment"]["state"] == "SUBMITTED"

    drafted = client.act(
        "secretariat",
        f"""mutation($r: ID!, $rec: ID!, $a: ID!) {{ draftJointPosition(roundId: $r, recommendationId: $rec,
            text: "The Council finds the recommendation partially implemented.",
            proposedStatus: PARTIALLY_IMPLEMENTED, basedOn: [{{assessmentId: $a, revision: 3}}])
            {{ __typename {P} }} }}""",
        r=round_id,
        rec=rec,
        a=a,
    )
    p = drafted["jointPosition"]["id"]
    amendment = client.act(
        "state_body",
        """mutation($p: ID!) { proposeAmendment(jointPositionId: $p, revision: 1,
           text: "The Council finds the recommendation partially implemented; the Government reports regular sessions since 2020.",
           rationale: "Reflect the sessions held") { __typename ... on AmendmentPayload { amendment { id } } } }""",
        p=p,
    )["amendment"]["id"]
    client.act(
        "secretariat",
        f'mutation($p: ID!, $m: ID!) {{ decideAmendment(jointPositionId: $p, amendmentId: $m, accept: true, expectedRevision: 1, reason: "Factually correct") {{ __typename {P} }} }}',
        p=p,
        m=amendment,
    )
    client.act(
        "cso_b",
        f'mutation($p: ID!) {{ recordDissent(jointPositionId: $p, revision: 2, statement: "Sessions were held, but civil society was not consulted on the agenda.") {{ __typename {P} }} }}',
        p=p,
    )
    client.act(
        "secretariat",
        f'mutation($p: ID!) {{ adoptJointPosition(jointPositionId: $p, revision: 2, session: "12th session of the Council", adoptedOn: "2026-05-01", method: VOTE, votesFor: 14, votesAgainst: 2, abstentions: 1, divergentViews: "Two Platform members consider the rating too generous.") {{ __typename {P} }} }}',
        p=p,
    )
    published = client.act(
        "secretariat",
        f"mutation($p: ID!) {{ publishJointPosition(jointPositionId: $p, expectedRevision: 2) {{ __typename {P} }} }}",
        p=p,
    )
    assert published["jointPosition"]["state"] == "PUBLISHED"

    public = client.call(
        None,
        "query($p: ID!, $rec: ID!) { jointPosition(id: $p) { text revision } recommendation(id: $rec) { status statusTimeline { basis positionRevision } } }",
        p=p,
        rec=rec,
    )
    assert "regular sessions since 2020" in public["jointPosition"]["text"]
    assert public["recommendation"]["status"] == "PARTIALLY_IMPLEMENTED"
    assert public["recommendation"]["statusTimeline"] == [
        {"basis": "ADOPTED_POSITION", "positionRevision": 2}
    ]

    history = client.call(
        "auditor",
        "query($r: ID!) { history(roundId: $r, first: 100) { edges { node { logPosition summary } } } }",
        r=round_id,
    )
    expected = [edge["node"] for edge in history["history"]["edges"]]
    assert len(expected) == 17  # the opening, 9 assessment steps, a comment, 6 on the position
    deadline = time.monotonic() + 15
    while len(subscriber.items) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    subscriber.stop.set()
    subscriber.join(timeout=5)
    assert subscriber.items == expected
