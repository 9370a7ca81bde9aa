"""Production on PostgreSQL: the processes of deploy/compose.yaml as real processes.

One fresh schema; `council db init`, then the two API processes and two replicas of the projection
worker, each started with the arguments its compose service declares (the API processes listen on a
free local port instead of 0.0.0.0:8000) and the settings of deploy/council.env.example. Writes go
through both APIs at once; the active worker is killed with SIGKILL half-way; the standby takes
every read model over. At the end every read model equals its rebuild from the log, and a
websocket subscriber on each API process has seen every history item of the round once, in order.

A second test keeps two councils (two COUNCIL_SCHEMA values) in one database and finds nothing of
one in the other, and no token of one accepted by the other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from domain.values import Actor
from graphql_api import tokens
from graphql_api.app import create_app
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.audit import service as audit_service
from projections.audit.checkpoint import private_pem
from projections.db import Database
from projections.registry import all_projections
from projections.replay import replay
from projections.worker import advisory_key
from tests.conftest import SteppingClock, postgres_url_or_skip
from tests.deploy_support import Process, council_processes, env_example_lines
from tests.processes import stop_all
from tests.scenario import build_world, catalogue_entries, play_round
from tests.test_e2e_http import Client, Subscriber, _cli, _free_port, _start, _wait_until_up

pytestmark = pytest.mark.postgres

SECRET = "a-multi-process-signing-key-0123456789abcdef"
RECOMMENDATIONS = 24  # each gets a proposal and a revision: 48 writes and the round's opening
KILL_AFTER_WRITES = 12
WAIT_SECONDS = 60.0

PROPOSE = """mutation($r: ID!, $rec: ID!) { proposeAssessment(roundId: $r, recommendationId: $rec,
    rating: NOT_IMPLEMENTED, narrative: "No body has been designated yet.")
    { __typename ... on AssessmentPayload { assessment { id revision } } ... on Problem { message } } }"""
REVISE = """mutation($a: ID!) { reviseAssessment(assessmentId: $a, expectedRevision: 1,
    rating: PARTIALLY_IMPLEMENTED, narrative: "A body was designated; it meets rarely.")
    { __typename ... on AssessmentPayload { assessment { id revision } } ... on Problem { message } } }"""


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


def _lock_holders(settings: Settings) -> dict[str, int]:
    """Projection name -> the PostgreSQL backend pid that holds its advisory lock."""
    with psycopg.connect(settings.database.conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT classid::bigint, objid::bigint, pid FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    held = {(int(high) << 32) | int(low): int(pid) for high, low, pid in rows}
    holders = {}
    for projection in all_projections("postgres"):
        key = advisory_key(settings.schema, projection.name) & 0xFFFF_FFFF_FFFF_FFFF
        if key in held:
            holders[projection.name] = held[key]
    return holders


@dataclasses.dataclass
class Deployment:
    """The council processes of deploy/compose.yaml, started against one fresh schema."""

    settings: Settings
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = dataclasses.field(default_factory=list)

    def start(self, process: Process, replica: int, *extra: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{process.service}-{replica}.log"
        started = _start(self.env, log, *process.args, *extra)
        self.processes.append(started)
        return started


@contextlib.contextmanager
def deploy(tmp_path: Path) -> Iterator[Deployment]:
    """A fresh schema configured as deploy/council.env.example; its processes stop at the end."""
    url = postgres_url_or_skip()
    audit_key = tmp_path / "audit-key.pem"
    audit_key.write_bytes(private_pem(Ed25519PrivateKey.generate()))
    configured = {name: value for name, value, is_set in env_example_lines() if is_set}
    council_env = {
        **configured,
        "COUNCIL_DATABASE_URL": url,
        "COUNCIL_SCHEMA": f"mp_{uuid.uuid4().hex[:12]}",
        "COUNCIL_SECRET_KEY": SECRET,
        "COUNCIL_AUDIT_KEY_FILE": str(audit_key),
        # Writes wait for the standby to take over; a busy machine must not turn that into errors.
        "COUNCIL_PROJECTION_WAIT_SECONDS": "30",
    }
    settings = Settings.from_env(council_env)
    assert settings.production  # as the example configures it
    logs = tmp_path / "logs"
    logs.mkdir()
    deployment = Deployment(settings, {**os.environ, **council_env}, logs)
    try:
        yield deployment
    finally:
        stop_all(deployment.processes)
        Database(settings.database).drop_schemas()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with deploy(tmp_path) as started:
        yield started


def _catalogue() -> list[Any]:
    first = catalogue_entries()[0]
    return [dataclasses.replace(first, paragraph=f"140.{n}") for n in range(1, RECOMMENDATIONS + 1)]


def test_two_apis_and_two_workers_one_killed_on_one_schema(deployment: Deployment) -> None:
    settings = deployment.settings
    processes = council_processes()
    for process in processes:
        assert process.kind in ("migrate", "serve", "project"), process
    for process in processes:
        if process.one_shot:
            _cli(deployment.env, *process.args)

    runtime = Runtime(settings)
    try:
        # The people and the catalogue, recorded directly; the workers project them.
        world = build_world(runtime.council)
        catalogue = _catalogue()
        runtime.council.record_recommendations(Actor.operator(), catalogue, source="test")
        token = {
            who: tokens.issue(settings, getattr(world, who).member_id, timedelta(hours=1))
            for who in ("secretariat", "cso_a", "cso_b", "auditor")
        }

        # The projection workers: the first replica takes every lock, the others wait as standbys.
        names = {p.name for p in runtime.projections}
        workers = []
        for process in (p for p in processes if p.kind == "project"):
            assert process.replicas >= 2, "a standby worker is part of the deployment"
            for replica in range(process.replicas):
                workers.append(deployment.start(process, replica))
                if replica == 0:
                    _wait_until(
                        lambda: set(_lock_holders(settings)) == names,
                        "the first worker to take every projection's lock",
                    )
        active, standbys = workers[0], workers[1:]
        active_backends = set(_lock_holders(settings).values())
        for replica in range(1, len(workers)):
            log = deployment.logs / f"worker-{replica}.log"
            _wait_until(
                lambda log=log: "projection workers started" in log.read_text(),
                f"standby worker {replica} to start",
            )
        runtime.runner.wait_for(runtime.council.log_position(), timeout=WAIT_SECONDS)

        servers = {}
        for process in (p for p in processes if p.kind == "serve"):
            port = _free_port()
            server = deployment.start(process, 0, "--host", "127.0.0.1", "--port", str(port))
            servers[f"http://127.0.0.1:{port}"] = server
        for base, server in servers.items():
            _wait_until_up(base, server)
        bases = list(servers)
        assert len(bases) == 2

        clients = [Client(base, token) for base in bases]
        rec_ids = [str(entry.id) for entry in catalogue]
        opened = clients[0].act(
            "secretariat",
            """mutation O($recs: [ID!]!) { openRound(title: "UPR cycle 4 mid-term review",
               recommendationIds: $recs, assessmentsDue: "2026-04-01", coSigningDue: "2026-04-15",
               councilSessionOn: "2026-05-01", coSignQuorum: 1, cycle: 4)
               { __typename ... on RoundPayload { round { id } } } }""",
            recs=rec_ids,
        )
        round_id = opened["round"]["id"]
        subscribers = [Subscriber(base, token["auditor"], round_id) for base in bases]
        for subscriber in subscribers:
            subscriber.start()
            assert subscriber.ready.wait(10), "the subscriber did not connect"

        # Two members write at once, each through its own API process.
        written: list[str] = []
        errors: list[BaseException] = []

        def write(client: Client, who: str, recs: list[str]) -> None:
            try:
                for rec in recs:
                    proposed = client.act(who, PROPOSE, r=round_id, rec=rec)
                    written.append(proposed["assessment"]["id"])
                    revised = client.act(who, REVISE, a=proposed["assessment"]["id"])
                    assert revised["assessment"]["revision"] == 2
                    written.append(revised["assessment"]["id"])
            except BaseException as error:
                errors.append(error)

        half = len(rec_ids) // 2
        writers = [
            threading.Thread(target=write, args=(clients[0], "cso_a", rec_ids[:half])),
            threading.Thread(target=write, args=(clients[1], "cso_b", rec_ids[half:])),
        ]
        for writer in writers:
            writer.start()

        _wait_until(lambda: len(written) >= KILL_AFTER_WRITES or bool(errors), "the first writes")
        assert not errors, errors
        # The standbys hold no lock: every read model is still the first worker's.
        assert set(_lock_holders(settings).values()) == active_backends
        active.send_signal(signal.SIGKILL)
        # A write returns once the read models reflect it: the rest wait for the standby.
        assert len(written) < 2 * RECOMMENDATIONS - 2, "the writes were over before the kill"
        assert active.wait(timeout=10) == -signal.SIGKILL
        _wait_until(
            lambda: (
                set(holders := _lock_holders(settings)) == names
                and not set(holders.values()) & active_backends
            ),
            "the standby worker to take every projection's lock",
        )
        assert all(standby.poll() is None for standby in standbys)
        # The standby says so in its log, one JSON object a line as production logs are.
        took_over = {
            entry.get("projection")
            for line in (deployment.logs / "worker-1.log").read_text().splitlines()
            if line.startswith("{")
            and (entry := json.loads(line))["event"] == "projection runner active"
        }
        assert took_over == names

        for writer in writers:
            writer.join(timeout=WAIT_SECONDS)
            assert not writer.is_alive(), "a writer did not finish"
        assert not errors, errors
        assert len(written) == 2 * RECOMMENDATIONS

        head = runtime.council.log_position()
        runtime.runner.wait_for(head, timeout=WAIT_SECONDS)
        report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
        assert report.equal, "\n".join(report.lines())
        assert set(report.positions.values()) == {head}

        history = clients[1].call(
            "auditor",
            "query($r: ID!) { history(roundId: $r, first: 100) { edges { node { logPosition summary } } } }",
            r=round_id,
        )
        expected = [edge["node"] for edge in history["history"]["edges"]]
        assert len(expected) == 1 + 2 * RECOMMENDATIONS
        positions = [item["logPosition"] for item in expected]
        assert positions == sorted(set(positions))
        for subscriber in subscribers:
            _wait_until(
                lambda s=subscriber: len(s.items) >= len(expected),
                f"the subscriber on {subscriber.url} to receive {len(expected)} items",
            )
        time.sleep(0.5)  # an item delivered twice would arrive now
        for subscriber in subscribers:
            subscriber.stop.set()
            subscriber.join(timeout=5)
        for subscriber in subscribers:
            assert subscriber.items == expected, subscriber.url
        for client in clients:
            client.http.close()
    finally:
        runtime.close()


# --- two councils in one database ---------------------------------------------------------------

EVERY_QUERY = """query($round: ID!, $rec: ID!, $a: ID!, $p: ID!) {
  me { displayName }
  organisations { id name }
  rounds { id }
  round(id: $round) { id }
  recommendations(first: 100) { totalCount edges { node { id } } }
  recommendation(id: $rec) { id }
  assessments(first: 100) { nodes { id } }
  assessment(id: $a) { id }
  jointPositions(first: 100) { nodes { id } }
  jointPosition(id: $p) { id }
  history(first: 100) { nodes { logPosition summary } }
  events(after: 0, first: 100) { logPosition originatorId }
  auditCheckpoint { treeSize }
}"""


def _contents(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the council's two schemas (events; read models) with its rows."""
    schemas = (settings.schema, settings.database.read_schema)
    contents = {}
    with psycopg.connect(settings.database.conninfo(), autocommit=True) as conn:
        names = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE'",
            (list(schemas),),
        ).fetchall()
        for schema, table in names:
            rows = conn.execute(
                psycopg.sql.SQL("SELECT * FROM {}.{}").format(
                    psycopg.sql.Identifier(schema), psycopg.sql.Identifier(table)
                )
            ).fetchall()
            kind = "events" if schema == settings.schema else "read"
            contents[f"{kind}:{table}"] = sorted(rows, key=repr)
    return contents


def _post(client: TestClient, token: str | None, query: str, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def test_two_councils_in_one_database_see_nothing_of_each_other() -> None:
    url = postgres_url_or_skip()
    suffix = uuid.uuid4().hex[:10]
    # The same signing key for both: the token's audience alone must keep them apart.
    first, second = (
        Settings.from_env(
            {
                "COUNCIL_DATABASE_URL": url,
                "COUNCIL_SCHEMA": f"{name}_{suffix}",
                "COUNCIL_SECRET_KEY": SECRET,
            }
        )
        for name in ("council_a", "council_b")
    )
    runtimes: list[Runtime] = []
    try:
        for settings in (first, second):
            Runtime.initialise(settings).close()
        initial = _contents(second)
        one = Runtime(first, clock=SteppingClock())
        runtimes.append(one)
        world = build_world(one.council)
        record = play_round(world)
        one.runner.catch_up()
        key = Ed25519PrivateKey.generate()
        now = datetime.now(UTC)
        audit_service.add_trusted_key(one.audit, "secretariat", key.public_key(), now)
        audit_service.make_checkpoint(
            one.audit, origin="first council", signer="secretariat", key=key, now=now
        )

        written, untouched = _contents(first), _contents(second)
        assert set(written) == set(untouched)  # the same tables, in their own schemas
        assert written["events:council_events"]
        assert sum(1 for rows in written.values() if rows) >= 10, written
        # The second council's tables are as `council db init` left them: only the tracking rows.
        assert untouched == initial
        assert {table for table, rows in untouched.items() if rows} <= {
            "read:projection_tracking",
            "read:audit_tracking",
        }

        # The second council's own auditor sees none of the first council through the API.
        two = Runtime(second, clock=SteppingClock())
        runtimes.append(two)
        operator = Actor.operator()
        org = two.council.register_organisation(
            operator, name="Ombudsman of the second council", kind="observer", platform=False
        )
        member = two.council.register_member(
            operator,
            organisation_id=org.id,
            name="Auditor of the second council",
            email="auditor@example.org",
            roles=["auditor"],
        )
        two.runner.catch_up()
        own_events = two.council.log_position()
        first_token = tokens.issue(first, world.auditor.member_id, timedelta(hours=1))
        second_token = tokens.issue(second, member.id, timedelta(hours=1))
        ids = {
            "round": str(record.round_id),
            "rec": str(world.recommendation_id),
            "a": str(record.assessment_id),
            "p": str(record.position_id),
        }
        with TestClient(create_app(one)) as app_one, TestClient(create_app(two)) as app_two:
            mine = _post(app_one, first_token, EVERY_QUERY, **ids)
            assert mine.status_code == 200, mine.text
            seen = mine.json()["data"]
            assert seen["round"] == {"id": ids["round"]}
            assert seen["recommendations"]["totalCount"] == 2
            assert seen["assessments"]["nodes"]
            assert seen["jointPosition"] == {"id": ids["p"]}
            assert seen["events"]
            assert seen["auditCheckpoint"] is not None

            for app, token in ((app_two, first_token), (app_one, second_token)):
                refused = _post(app, token, "{ me { displayName } }")
                assert refused.status_code == 401, refused.text
                assert "another council" in refused.text

            answer = _post(app_two, second_token, EVERY_QUERY, **ids)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert not body.get("errors"), body["errors"]
            data = body["data"]
            assert data["me"] == {"displayName": "Auditor of the second council"}
            assert data["organisations"] == [
                {"id": str(org.id), "name": "Ombudsman of the second council"}
            ]
            assert data["rounds"] == []
            assert data["round"] is None
            assert data["recommendations"] == {"totalCount": 0, "edges": []}
            assert data["recommendation"] is None
            assert data["assessments"] == {"nodes": []}
            assert data["assessment"] is None
            assert data["jointPositions"] == {"nodes": []}
            assert data["jointPosition"] is None
            for argument in (f'roundId: "{ids["round"]}"', f'subjectId: "{ids["a"]}"'):
                query = f"{{ history({argument}, first: 100) {{ nodes {{ logPosition }} }} }}"
                found = _post(app_two, second_token, query).json()
                assert found.get("data") is None, found
                [error] = found["errors"]
                assert error["extensions"]["code"] == "NOT_FOUND", error
            assert len(data["history"]["nodes"]) <= own_events
            assert {e["originatorId"] for e in data["events"]} == {str(org.id), str(member.id)}
            assert len(data["events"]) == own_events
            assert data["auditCheckpoint"] is None
            proof = _post(app_two, second_token, "{ inclusionProof(logPosition: 1) { treeSize } }")
            assert not (proof.json().get("data") or {}).get("inclusionProof")
            for dataset in ("catalogue.json", "positions.json"):
                exported = app_two.get(f"/export/{dataset}")
                assert exported.status_code == 200
                assert exported.json() == [], dataset
    finally:
        for runtime in runtimes:
            runtime.close()  # the apps close them too; closing twice is harmless
        for settings in (first, second):
            Database(settings.database).drop_schemas()
