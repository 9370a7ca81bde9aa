"""`council serve` and `council project` as real processes: the OpenID Connect provider named by
the settings, and a graceful stop on SIGTERM (requests in flight finish, subscriptions are closed
with a close frame, batches are never cut in half, exit code 0)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from domain.recommendation import CatalogueEntry
from domain.values import Actor
from graphql_api import tokens
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.db import Database
from projections.replay import replay
from tests.conftest import postgres_url_or_skip
from tests.scenario import World, build_world, open_round
from tests.test_api_oidc import AUDIENCE, ISSUER, _token, provider  # noqa: F401

COUNCIL = str(Path(sys.executable).with_name("council"))
SECRET = "a-process-test-signing-key-0123456789abcdef"
PATIENCE = 60.0  # seconds any one step may take before the test fails, saying which


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(**council: str) -> dict[str, str]:
    """This process's environment without its COUNCIL_ settings, with ``council`` instead."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COUNCIL_")}
    return {**env, **council}


def _wait(condition: Callable[[], bool], what: str, patience: float = PATIENCE) -> None:
    deadline = time.monotonic() + patience
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


class Serve:
    """`council serve` on a free port, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [COUNCIL, "serve", "--port", str(self.port), *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait(self._up, "council serve answering /healthz")

    def _up(self) -> bool:
        assert self.process.poll() is None, f"council serve stopped:\n{self.output()}"
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"council serve did not stop on SIGTERM:\n{self.output()}"
            ) from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serving() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.kill()


def test_serve_accepts_the_provider_its_settings_name(
    tmp_path: Path,
    provider: tuple[Any, str],  # noqa: F811  (the fixture imported above)
    serving: list[Serve],
) -> None:
    key, jwks_url = provider
    env = _environment(
        COUNCIL_DATABASE_URL=f"sqlite:///{tmp_path / 'council.db'}",
        COUNCIL_OIDC_ISSUER=ISSUER,
        COUNCIL_OIDC_AUDIENCE=AUDIENCE,
        COUNCIL_OIDC_JWKS_URL=jwks_url,
        COUNCIL_OIDC_MEMBER_CLAIM="nmrf_member",
    )
    runtime = Runtime(Settings.from_env(env))
    try:
        world = build_world(runtime.council)
        runtime.settle(runtime.council.log_position())
    finally:
        runtime.close()
    member = str(world.cso_a.member_id)
    # The configured claim names the member; the default claim is ignored.
    token = _token(key, "not-a-member", nmrf_member=member)
    serve = Serve(env, tmp_path / "serve.log")
    serving.append(serve)

    answer = httpx.post(
        f"{serve.base}/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"]["id"] == member
    refused = httpx.post(
        f"{serve.base}/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {_token(key, member)}"},
        timeout=30,
    )
    assert refused.status_code == 401
    assert "'nmrf_member' claim names no member" in refused.json()["errors"][0]["message"]
    # The provider's token is accepted in a websocket's handshake too.
    url = f"ws://127.0.0.1:{serve.port}/graphql"
    with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"

    assert serve.stop() == 0


# --- graceful stop on PostgreSQL ---------------------------------------------------------------


@pytest.fixture
def pg_env() -> Iterator[dict[str, str]]:
    """A council of its own on the test server: its tables created, its schema dropped after."""
    env = _environment(
        COUNCIL_DATABASE_URL=postgres_url_or_skip(),
        COUNCIL_SCHEMA=f"stop_{uuid.uuid4().hex[:12]}",
        COUNCIL_SECRET_KEY=SECRET,
        COUNCIL_LOG_FORMAT="json",
        COUNCIL_PROJECTION_WAIT_SECONDS=str(PATIENCE),
    )
    settings = Settings.from_env(env)
    Runtime.initialise(settings).close()
    try:
        yield env
    finally:
        Database(settings.database).drop_schemas()


class Subscriber(threading.Thread):
    """Follows a round's activity over graphql-transport-ws and notes how the socket closed."""

    def __init__(self, port: int, token: str, round_id: str) -> None:
        super().__init__(daemon=True)
        self.url = f"ws://127.0.0.1:{port}/graphql"
        self.token = token
        self.round_id = round_id
        self.items: list[dict[str, Any]] = []
        self.closed: ConnectionClosed | None = None
        self.failed: BaseException | None = None

    def run(self) -> None:
        try:
            with connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                init = {"type": "connection_init", "payload": {"Authorization": self.token}}
                ws.send(json.dumps(init))
                assert json.loads(ws.recv(timeout=PATIENCE))["type"] == "connection_ack"
                query = "subscription($r: ID!) { activity(roundId: $r, since: 0) { logPosition } }"
                payload = {"query": query, "variables": {"r": self.round_id}}
                ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                while True:
                    message = json.loads(ws.recv(timeout=PATIENCE))
                    assert message["type"] == "next", message
                    self.items.append(message["payload"]["data"]["activity"])
        except ConnectionClosed as closed:
            self.closed = closed
        except BaseException as error:
            self.failed = error


def _world(env: dict[str, str]) -> tuple[Runtime, World, str]:
    runtime = Runtime(Settings.from_env(env))
    world = build_world(runtime.council)
    round_id = open_round(world)
    runtime.runner.catch_up()
    return runtime, world, str(round_id)


@pytest.mark.postgres
def test_sigterm_lets_a_request_finish_and_closes_subscriptions(
    tmp_path: Path, pg_env: dict[str, str], serving: list[Serve]
) -> None:
    runtime, world, round_id = _world(pg_env)
    try:
        serve = Serve(pg_env, tmp_path / "serve.log", "--shutdown-timeout", str(int(PATIENCE)))
        serving.append(serve)
        settings = runtime.settings
        token = tokens.issue(settings, world.auditor.member_id, tokens.parse_ttl("1h"))
        subscriber = Subscriber(serve.port, f"Bearer {token}", round_id)
        subscriber.start()
        _wait(lambda: bool(subscriber.items), "the subscription's first item")

        # No projection worker runs: the mutation is stored, then waits for the read models.
        head = runtime.council.log_position()
        cso = tokens.issue(settings, world.cso_a.member_id, tokens.parse_ttl("1h"))
        mutation = """mutation($id: ID!) { postComment(subjectKind: RECOMMENDATION,
            subjectId: $id, text: "Asked while the server stops.")
            { __typename ... on CommentPayload { logPosition } } }"""
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(
                httpx.post,
                f"{serve.base}/graphql",
                json={"query": mutation, "variables": {"id": str(world.recommendation_id)}},
                headers={"Authorization": f"Bearer {cso}"},
                timeout=3 * PATIENCE,
            )
            _wait(lambda: runtime.council.log_position() > head, "the mutation's event")
            assert not answer.done()

            serve.process.send_signal(signal.SIGTERM)
            _wait(lambda: not subscriber.is_alive(), "the subscription to be closed")
            assert subscriber.failed is None, repr(subscriber.failed)
            assert subscriber.closed is not None
            assert subscriber.closed.rcvd is not None, "no close frame from the server"
            assert subscriber.closed.rcvd.code == 1012  # service restart: come back later
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"{serve.base}/healthz", timeout=5)  # no new connections
            assert not answer.done()
            assert serve.process.poll() is None, "stopped with a request in flight"

            runtime.runner.catch_up()  # the read models catch up: the request can finish
            response = answer.result(timeout=PATIENCE)
        assert response.status_code == 200, response.text
        payload = response.json()["data"]["postComment"]
        assert payload == {"__typename": "CommentPayload", "logPosition": head + 1}
        try:
            code = serve.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"council serve did not exit:\n{serve.output()}") from None
        assert code == 0, serve.output()
        assert "Traceback" not in serve.output()
    finally:
        runtime.close()


def _entries(batch: int, size: int) -> list[CatalogueEntry]:
    return [
        CatalogueEntry(
            mechanism="UPR",
            document_symbol="A/HRC/99/2",
            paragraph=f"{batch}.{i + 1}",
            text=f"Synthetic recommendation {batch}.{i + 1}",
            session="43",
            cycle=4,
            themes=["Education"],
        )
        for i in range(size)
    ]


@pytest.mark.postgres
def test_project_stops_after_its_batch_on_sigterm_and_exits_0(
    tmp_path: Path, pg_env: dict[str, str]
) -> None:
    runtime = Runtime(Settings.from_env(pg_env))
    council = runtime.council
    stop_writing = threading.Event()
    batches = iter(range(1, 10_000))

    def write() -> None:  # keeps the worker busy: it can only stop by the signal
        while not stop_writing.is_set():
            council.record_recommendations(
                Actor.operator(), _entries(next(batches), 50), source="stop test"
            )
            stop_writing.wait(0.02)

    for _ in range(20):
        council.record_recommendations(
            Actor.operator(), _entries(next(batches), 50), source="stop test"
        )
    writer = threading.Thread(target=write)
    writer.start()
    log = tmp_path / "project.err"
    try:
        with log.open("wb") as err:
            worker = subprocess.Popen(
                [COUNCIL, "project"], env=pg_env, stdout=subprocess.PIPE, stderr=err
            )
        try:
            assert worker.stdout is not None
            assert b"projection workers started" in worker.stdout.readline()
            _wait(
                lambda: min(runtime.runner.positions().values()) > 0,
                "the worker to apply a first batch to every read model",
            )
            worker.send_signal(signal.SIGTERM)
            try:
                code = worker.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                raise AssertionError("council project did not stop on SIGTERM") from None
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        assert code == 0, log.read_text(errors="replace")
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        stop_writing.set()
        writer.join()

    try:
        # Nothing applies the log now: what the worker left must be whole batches.
        council.record_recommendations(Actor.operator(), _entries(0, 5), source="stop test")
        head = council.log_position()
        positions = runtime.runner.positions()
        assert all(0 < position < head for position in positions.values()), positions
        with runtime.database.transaction() as cur:
            cur.execute("SELECT COUNT(*), COUNT(DISTINCT log_position) FROM history")
            rows, distinct = cur.fetchone()
            cur.execute("SELECT COUNT(*) FROM recommendations")
            (catalogued,) = cur.fetchone()
        assert rows == distinct == positions["history"]  # every event a row, none twice
        assert catalogued == positions["catalogue"]
        runtime.runner.catch_up()
        assert set(runtime.runner.positions().values()) == {head}
        report = replay(runtime.database, council.recorder, council.mapper)
        assert report.equal, "\n".join(report.lines())
    finally:
        runtime.close()
