"""Crash safety: PostgreSQL killed with SIGKILL under load, then the API process killed mid-request.

A private cluster (tests/hardening/private_postgres.py), `council serve` and `council project` as
processes, and client threads posting comments over real HTTP, each with a text of its own. A
comment cannot conflict with anything, so every answer is one of: stored (a payload with its
``logPosition``), stored but not shown (``PROJECTION_TIMEOUT`` or ``STORED_NOT_READ`` with its
``logPosition``), outcome unknown (``OUTCOME_UNKNOWN``, the connection to the database broke during the write) or,
while the API process is down, a connection error; and, when the database cannot be reached before
the operation runs (reading the token's member), HTTP 503 ``UNAVAILABLE``, nothing done. Anything
else fails the test.

Afterwards every acknowledged comment is in the log at the position it was given, no text is
stored twice (no write was silently repeated), the API answered /readyz again once PostgreSQL was
back without being restarted, and every read model equals its rebuild from the log.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_api import tokens
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.replay import replay
from tests.hardening.private_postgres import PrivatePostgres, private_postgres
from tests.processes import stop_all
from tests.scenario import build_world
from tests.test_e2e_http import _cli, _free_port, _start, _wait_until_up

pytestmark = pytest.mark.postgres

SECRET = "a-crash-safety-signing-key-0123456789abcdef"
CLIENTS = 4
POSTGRES_KILLS = 3
API_KILLS = 1
LOAD_SECONDS = 1.5  # of writes before each kill and after each restart
WAIT_SECONDS = 60.0

POST = """mutation($rec: ID!, $text: String!) { postComment(subjectKind: RECOMMENDATION,
    subjectId: $rec, text: $text) { __typename
    ... on CommentPayload { logPosition comment { id } } ... on Problem { message } } }"""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PrivatePostgres]:
    yield from private_postgres(tmp_path)


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


@dataclasses.dataclass
class Tally:
    """What the clients were told, by text; guarded by ``lock``."""

    acknowledged: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)
    not_projected: dict[str, int] = dataclasses.field(default_factory=dict)
    unknown: dict[str, str] = dataclasses.field(default_factory=dict)
    connection_errors: list[str] = dataclasses.field(default_factory=list)
    unavailable: list[str] = dataclasses.field(default_factory=list)
    not_connected: int = 0
    wrong: list[str] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


def _post(http: httpx.Client, token: str, rec: str, text: str, tally: Tally) -> None:
    try:
        response = http.post(
            "/graphql",
            json={"query": POST, "variables": {"rec": rec, "text": text}},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.ConnectError:  # nothing sent: the API is down
        with tally.lock:
            tally.not_connected += 1
        time.sleep(0.1)
        return
    except httpx.TransportError:  # sent, and the connection broke before an answer
        with tally.lock:
            tally.connection_errors.append(text)
        return
    body = response.json() if response.status_code in (200, 503) else None
    with tally.lock:
        if response.status_code == 503 and body is not None:
            [error] = body["errors"]
            assert error["extensions"]["code"] == "UNAVAILABLE", body
            tally.unavailable.append(text)
            return
        if body is None:
            tally.wrong.append(f"{text}: HTTP {response.status_code} {response.text[:300]}")
            return
        result = (body.get("data") or {}).get("postComment")
        if result is not None and result["__typename"] == "CommentPayload":
            tally.acknowledged[text] = (result["logPosition"], result["comment"]["id"])
            return
        codes = [error.get("extensions", {}).get("code") for error in body.get("errors") or []]
        if codes == ["OUTCOME_UNKNOWN"]:
            [error] = body["errors"]
            assert "whether it was stored is unknown" in error["message"]
            tally.unknown[text] = error["extensions"].get("id", "")
        elif codes in (["PROJECTION_TIMEOUT"], ["STORED_NOT_READ"]):
            tally.not_projected[text] = body["errors"][0]["extensions"]["logPosition"]
        else:
            tally.wrong.append(f"{text}: {body}")


class Writers:
    """``CLIENTS`` threads posting comments until stopped, each over its own connection."""

    def __init__(self, base: str, token: dict[str, str], rec: str, tally: Tally, tag: str) -> None:
        self.stop = threading.Event()
        self.sent = 0
        self.threads = [
            threading.Thread(target=self._run, args=(base, token[who], rec, tally, f"{tag}{n}"))
            for n, who in enumerate(["cso_a", "cso_b", "cso_c", "state_body"][:CLIENTS])
        ]

    def _run(self, base: str, token: str, rec: str, tally: Tally, tag: str) -> None:
        with httpx.Client(base_url=base, timeout=WAIT_SECONDS) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                self.sent += 1
                _post(http, token, rec, f"crash-safety comment {tag}-{n}", tally)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=WAIT_SECONDS)
            assert not thread.is_alive(), "a client did not finish"


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_postgres_and_the_api_killed_under_load_lose_no_acknowledged_write(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": cluster.url,
        "COUNCIL_SCHEMA": f"crash_{uuid.uuid4().hex[:10]}",
        "COUNCIL_SECRET_KEY": SECRET,
        "COUNCIL_LOG_FORMAT": "json",
    }
    settings = Settings.from_env(env)
    _cli(env, "db", "init")
    runtime = Runtime(settings)
    world = build_world(runtime.council)
    token = {
        who: tokens.issue(settings, getattr(world, who).member_id, timedelta(hours=1))
        for who in ("cso_a", "cso_b", "cso_c", "state_body")
    }
    rec = str(world.recommendation_id)
    runtime.close()

    logs = tmp_path / "logs"
    logs.mkdir()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []

    def serve() -> subprocess.Popen[bytes]:
        server = _start(env, logs / f"serve-{len(processes)}.log", "serve", "--port", str(port))
        processes.append(server)
        _wait_until_up(base, server)
        return server

    tally = Tally()
    try:
        processes.append(_start(env, logs / "project.log", "project"))
        server = serve()
        _wait_until(lambda: _ready(base), "the API to be ready")

        # 1. PostgreSQL killed under load, started again; the API and the workers stay up.
        with Writers(base, token, rec, tally, "pg"):
            for _ in range(POSTGRES_KILLS):
                time.sleep(LOAD_SECONDS)
                cluster.kill()
                time.sleep(0.3)
                cluster.start()
            time.sleep(LOAD_SECONDS)
        assert server.poll() is None, "council serve stopped when PostgreSQL did"
        assert all(process.poll() is None for process in processes)
        _wait_until(lambda: _ready(base), "/readyz to answer 200 again after PostgreSQL returned")
        during_outages = len(tally.acknowledged)

        # 2. The API process killed mid-request and started again on the same port.
        with Writers(base, token, rec, tally, "api") as writers:
            for _ in range(API_KILLS):
                before = writers.sent
                _wait_until(lambda b=before: writers.sent > b + 20, "writes before the kill")  # type: ignore[misc]
                server.send_signal(signal.SIGKILL)
                assert server.wait(timeout=10) == -signal.SIGKILL
                time.sleep(0.3)
                server = serve()
            time.sleep(LOAD_SECONDS)
        _wait_until(lambda: _ready(base), "/readyz after the API restarted")
    finally:
        stop_all(processes)

    assert not tally.wrong, "\n".join(tally.wrong[:10])
    assert len(tally.acknowledged) > during_outages > 0
    assert tally.connection_errors, "the API was killed with no request in flight"

    runtime = Runtime(settings)
    try:
        head = runtime.council.log_position()
        stored: dict[int, Any] = {}
        position = 0
        while position < head:
            page = runtime.council.recorder.select_notifications(start=position + 1, limit=500)
            stored.update((n.id, n) for n in page)
            position = page[-1].id
        texts = Counter(
            text
            for n in stored.values()
            if n.topic.endswith("Comment.Posted")
            for text in [_comment_text(n.state)]
        )
        # Every acknowledged write is in the log where it was said to be, exactly once.
        for text, (log_position, comment_id) in tally.acknowledged.items():
            assert str(stored[log_position].originator_id) == comment_id, text
            assert texts[text] == 1, text
        for text, log_position in tally.not_projected.items():
            assert texts[text] == 1, text
            assert _comment_text(stored[log_position].state) == text
        # Refused before anything ran: not stored.
        for text in tally.unavailable:
            assert not texts[text], text
        # The rest may or may not be stored, but none twice; an unknown one names its id.
        assert max(texts.values()) == 1
        unknown_stored = sum(1 for text in tally.unknown if texts[text])
        lost_in_api = sum(1 for text in tally.connection_errors if texts[text])
        assert all(tally.unknown.values())
        for text, comment_id in tally.unknown.items():
            assert bool(texts[text]) == bool(
                runtime.council.recorder.select_events(uuid.UUID(comment_id))
            )

        runtime.runner.wait_for(head, timeout=WAIT_SECONDS)
        report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
        assert report.equal, "\n".join(report.lines())
        print(
            f"\ncrash safety: PostgreSQL killed {cluster.kills} times, the API {API_KILLS} times;"
            f" {len(tally.acknowledged) + len(tally.not_projected)} comments acknowledged"
            f" ({len(tally.not_projected)} of them before the read models showed them), all"
            f" found in the log; {len(tally.unknown)} answered OUTCOME_UNKNOWN"
            f" ({unknown_stored} of them stored); {len(tally.connection_errors)} requests in"
            f" flight cut by the API's death ({lost_in_api} of them stored),"
            f" {tally.not_connected} refused connections while it was down;"
            f" {len(tally.unavailable)} refused with 503 UNAVAILABLE (none stored);"
            f" {len(stored)} events; read models equal their rebuild"
        )
    finally:
        runtime.close()  # the private cluster is deleted as a whole


def _comment_text(state: bytes) -> str:
    return str(json.loads(state).get("text", ""))
