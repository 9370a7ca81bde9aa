"""Concurrency: many clients writing to the same few assessments at once, over real HTTP.

One `council serve` and one `council project` on a fresh schema of the shared PostgreSQL. For each
of two assessments open for signature, client threads at once: two revisers of the proposing
organisation, two co-signing organisations and two commenters of those organisations, each reading the revision and
writing with it. Asserted: every answer is a payload or a ``Conflict`` naming a later
``currentRevision``; every success is in the log at its ``logPosition``; the successful revisions
of each assessment are exactly 2, 3, … up to its final revision, each stored with the text its
client sent (no lost update); each organisation's last co-signature in the log is on the revision
of its last successful co-sign; and every read model equals its rebuild from the log.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_api import tokens
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.db import Database
from projections.replay import replay
from tests.conftest import postgres_url_or_skip
from tests.processes import stop_all
from tests.scenario import build_world
from tests.test_e2e_http import Client, _cli, _free_port, _start, _wait_until_up

pytestmark = pytest.mark.postgres

SECRET = "a-concurrency-signing-key-0123456789abcdef"
WRITES_PER_CLIENT = 4
MAX_ATTEMPTS = 40  # per client, conflicts included
WAIT_SECONDS = 60.0

A = "... on AssessmentPayload { logPosition assessment { id revision } }"
PROBLEM = "... on Conflict { currentRevision } ... on Problem { __typename message }"
READ = "query($a: ID!) { assessment(id: $a) { revision } }"
REVISE = f"""mutation($a: ID!, $e: Int!, $n: String!) {{ reviseAssessment(assessmentId: $a,
    expectedRevision: $e, rating: PARTIALLY_IMPLEMENTED, narrative: $n) {{ __typename {A} {PROBLEM} }} }}"""
SIGN = f"""mutation($a: ID!, $r: Int!) {{ coSignAssessment(assessmentId: $a, revision: $r)
    {{ __typename {A} {PROBLEM} }} }}"""
COMMENT = f"""mutation($a: ID!, $r: Int!, $t: String!) {{ postComment(subjectKind: ASSESSMENT,
    subjectId: $a, subjectRevision: $r, text: $t) {{ __typename
    ... on CommentPayload {{ logPosition comment {{ id }} }} {PROBLEM} }} }}"""


@dataclasses.dataclass
class Council:
    base: str
    settings: Settings
    token: dict[str, str]
    recommendations: list[str]
    organisation: dict[str, str]
    server: subprocess.Popen[bytes]


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": postgres_url_or_skip(),
        "COUNCIL_SCHEMA": f"conc_{uuid.uuid4().hex[:12]}",
        "COUNCIL_SECRET_KEY": SECRET,
        "COUNCIL_LOG_FORMAT": "json",
        "COUNCIL_PROJECTION_WAIT_SECONDS": "30",
    }
    settings = Settings.from_env(env)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _cli(env, "db", "init")
        runtime = Runtime(settings)
        world = build_world(runtime.council)
        people = ("secretariat", "cso_a", "cso_b", "cso_c", "state_body", "auditor")
        token = {
            who: tokens.issue(settings, getattr(world, who).member_id, timedelta(hours=1))
            for who in people
        }
        organisations = {who: str(world.organisations[who]) for who in people}
        recs = [str(world.recommendation_id), str(world.other_recommendation_id)]
        runtime.close()
        logs = tmp_path / "logs"
        logs.mkdir()
        processes.append(_start(env, logs / "project.log", "project"))
        port = _free_port()
        processes.append(_start(env, logs / "serve.log", "serve", "--port", str(port)))
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, processes[-1])
        yield Council(base, settings, token, recs, organisations, processes[-1])
    finally:
        stop_all(processes)
        Database(settings.database).drop_schemas()


@dataclasses.dataclass
class Outcomes:
    successes: list[tuple[str, str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    conflicts: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)
    wrong: list[str] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


class Revisers:
    """Tells the co-signers of an item when its revisers are done (nothing new to sign then)."""

    def __init__(self, count: int) -> None:
        self.remaining = count
        self.lock = threading.Lock()
        self.done = threading.Event()

    def finished(self) -> None:
        with self.lock:
            self.remaining -= 1
            if self.remaining == 0:
                self.done.set()


def _client(
    council: Council, item: str, kind: str, who: str, n: int, out: Outcomes, revisers: Revisers
) -> None:
    """One client: reads the revision, writes with it, until WRITES_PER_CLIENT succeeded."""
    try:
        _write(council, item, kind, who, n, out, revisers)
    finally:
        if kind == "revise":
            revisers.finished()


def _write(
    council: Council, item: str, kind: str, who: str, n: int, out: Outcomes, revisers: Revisers
) -> None:
    signed: int | None = None
    succeeded = attempts = 0
    with httpx.Client(base_url=council.base, timeout=WAIT_SECONDS) as http:
        headers = {"Authorization": f"Bearer {council.token[who]}"}

        def call(query: str, **variables: Any) -> dict[str, Any]:
            response = http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if body.get("errors"):
                raise AssertionError(f"{kind} by {who}: {body['errors']}")
            return body["data"]

        try:
            while succeeded < WRITES_PER_CLIENT and attempts < MAX_ATTEMPTS:
                read = call(READ, a=item)["assessment"]["revision"]
                if kind == "sign" and read == signed:
                    # This organisation already signs the current revision: wait for another.
                    if revisers.done.is_set():
                        return
                    time.sleep(0.01)
                    continue
                attempts += 1
                if kind == "revise":
                    text = f"revision by {who} client {n}, write {succeeded + 1}"
                    result = call(REVISE, a=item, e=read, n=text)["reviseAssessment"]
                    result["sent"] = text
                elif kind == "sign":
                    result = call(SIGN, a=item, r=read)["coSignAssessment"]
                else:
                    text = f"comment by {who} client {n} on revision {read}, {succeeded + 1}"
                    result = call(COMMENT, a=item, r=read, t=text)["postComment"]
                with out.lock:
                    if result["__typename"] == "Conflict":
                        out.conflicts.append((kind, read, result["currentRevision"]))
                    elif result["__typename"].endswith("Payload"):
                        result["read"] = read
                        out.successes.append((item, f"{kind}:{who}", result))
                        succeeded += 1
                        if kind == "sign":
                            signed = read
                    else:
                        out.wrong.append(f"{kind} by {who}: {result}")
                        return
        except (AssertionError, KeyError, TypeError) as error:
            with out.lock:
                out.wrong.append(str(error))


def test_many_clients_on_the_same_items_lose_no_update(council: Council) -> None:
    client = Client(council.base, council.token)
    opened = client.act(
        "secretariat",
        """mutation O($recs: [ID!]!) { openRound(title: "Concurrency round",
           recommendationIds: $recs, assessmentsDue: "2026-04-01", coSigningDue: "2026-04-15",
           councilSessionOn: "2026-05-01", coSignQuorum: 1, cycle: 4)
           { __typename ... on RoundPayload { round { id } } } }""",
        recs=council.recommendations,
    )
    round_id = opened["round"]["id"]
    items = []
    for rec in council.recommendations:
        proposed = client.act(
            "cso_a",
            f"""mutation($r: ID!, $rec: ID!) {{ proposeAssessment(roundId: $r,
                recommendationId: $rec, rating: NOT_IMPLEMENTED, narrative: "First text.")
                {{ __typename {A} }} }}""",
            r=round_id,
            rec=rec,
        )
        item = proposed["assessment"]["id"]
        client.act(
            "cso_a",
            f"""mutation($a: ID!) {{ openAssessmentForSignature(assessmentId: $a,
                expectedRevision: 1) {{ __typename {A} }} }}""",
            a=item,
        )
        items.append(item)
    client.http.close()

    roles = [
        ("revise", "cso_a"),
        ("revise", "cso_a"),
        ("sign", "cso_b"),
        ("sign", "cso_c"),
        ("comment", "cso_b"),
        ("comment", "cso_c"),
    ]
    out = Outcomes()
    revisers = {item: Revisers(sum(1 for kind, _ in roles if kind == "revise")) for item in items}
    threads = [
        threading.Thread(target=_client, args=(council, item, kind, who, n, out, revisers[item]))
        for item in items
        for n, (kind, who) in enumerate(roles)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)
        assert not thread.is_alive(), "a client did not finish"

    assert not out.wrong, "\n".join(out.wrong)
    # The API is done; its connections are given back before the checks open their own.
    council.server.terminate()
    council.server.wait(timeout=30)
    # Every refusal is a Conflict naming a later revision than the one the client read.
    assert all(current > read for _, read, current in out.conflicts), out.conflicts

    runtime = Runtime(council.settings)
    try:
        head = runtime.council.log_position()
        log = runtime.council.recorder.select_notifications(start=1, limit=head + 1)
        at = {n.id: n for n in log}
        for item, _, result in out.successes:
            stored = at[result["logPosition"]]
            expected = result["comment"]["id"] if "comment" in result else item
            assert str(stored.originator_id) == expected, result

        events: dict[str, list[Any]] = {item: [] for item in items}
        for n in log:
            if str(n.originator_id) in events:
                events[str(n.originator_id)].append(runtime.council.mapper.to_domain_event(n))
        for item in items:
            mine = [r for i, kind, r in out.successes if i == item and kind.startswith("revise")]
            returned = sorted(r["assessment"]["revision"] for r in mine)
            final = runtime.council.assessment(uuid.UUID(item)).revision
            # No lost update: each success made the next revision, and nothing else did.
            assert returned == list(range(2, final + 1)), returned
            assert all(r["assessment"]["revision"] == r["read"] + 1 for r in mine)
            revised = [e for e in events[item] if type(e).__name__ == "Revised"]
            assert [event.revision for event in revised] == returned
            sent = {r["assessment"]["revision"]: r["sent"] for r in mine}
            assert [event.narrative for event in revised] == [sent[r] for r in returned]
            for who in ("cso_b", "cso_c"):
                signs = [r for i, k, r in out.successes if i == item and k == f"sign:{who}"]
                last = max(signs, key=lambda r: r["logPosition"])
                signed = [
                    e
                    for e in events[item]
                    if type(e).__name__ == "CoSigned"
                    and str(e.organisation_id) == council.organisation[who]
                ]
                assert len(signed) == len(signs)
                assert signed[-1].revision == last["read"]

        runtime.runner.wait_for(head, timeout=WAIT_SECONDS)
        report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
        assert report.equal, "\n".join(report.lines())
        kinds = [kind.split(":")[0] for _, kind, _ in out.successes]
        print(
            f"\nconcurrency: {len(threads)} clients on {len(items)} assessments;"
            f" {len(out.successes)} writes acknowledged ({kinds.count('revise')} revisions,"
            f" {kinds.count('sign')} co-signatures, {kinds.count('comment')} comments), all"
            f" found in the log; {len(out.conflicts)} refused as Conflict"
            f" ({sum(1 for k, _, _ in out.conflicts if k == 'revise')} revisions,"
            f" {sum(1 for k, _, _ in out.conflicts if k == 'sign')} co-signatures),"
            f" nothing else refused; read models equal their rebuild"
        )
    finally:
        runtime.close()
