"""The soak driver: steady mixed traffic against the processes of deploy/compose.yaml.

`run_soak` starts what the compose file declares (`council db init`, the two API processes and
the projection worker's replicas) against one fresh PostgreSQL schema, then for a set time:

- readers ask, at a steady rate and alternately of each API process, for the assessment list,
  a recommendation search and a page of the round's history;
- writers change the round through GraphQL mutations, each naming the revision it has just read:
  one Platform CSO revises its assessments and proposes new ones (opening them for signature);
  two others co-sign or withdraw their co-signatures and comment (and edit their comments). A
  mutation that lost a race to another writer answers `Conflict`: counted, but not an error;
- a few websocket subscribers (graphql-transport-ws) follow the round's `activity`, closing and
  reconnecting periodically with `since` set to the last item they received;
- a sampler reads each process's resident memory (VmRSS in /proc/<pid>/status).

At the end the traffic stops, the read models catch up, and the driver compares what every
subscriber received with the round's history and the read models with their rebuild from the log.
`SoakResult` holds the figures; the short test asserts on its counts, the benchmark prints them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from domain.values import Actor
from graphql_api import tokens
from graphql_api.runtime import Runtime
from projections.replay import replay
from tests.deploy_support import council_processes
from tests.scenario import build_world, catalogue_entries
from tests.test_e2e_http import Client, Subscriber, _cli, _free_port, _wait_until_up
from tests.test_multi_process import Deployment, _lock_holders, _wait_until, deploy

WAIT_SECONDS = 60.0
INITIAL_ASSESSMENTS = 40
WINDOW = 40  # the signers work on the latest assessments the author opened
SEARCHES = ("monitor", "cirilica", "ћирилица", "minority languages", "national organ", "schools")

A = "... on AssessmentPayload { logPosition assessment { id revision } }"
PROBLEM = "... on Conflict { currentRevision } ... on Problem { message }"
READ_ASSESSMENT = """query Read($a: ID!) { assessment(id: $a) { id revision state
  coSignatures { revision status organisation { id } } } }"""
REVISE = f"""mutation Revise($a: ID!, $e: Int!, $n: String!) {{ reviseAssessment(assessmentId: $a,
  expectedRevision: $e, rating: PARTIALLY_IMPLEMENTED, narrative: $n) {{ __typename {A} {PROBLEM} }} }}"""
PROPOSE = f"""mutation Propose($r: ID!, $rec: ID!) {{ proposeAssessment(roundId: $r,
  recommendationId: $rec, rating: NOT_IMPLEMENTED, narrative: "No body has been designated yet.")
  {{ __typename {A} {PROBLEM} }} }}"""
OPEN = f"""mutation Open($a: ID!, $e: Int!) {{ openAssessmentForSignature(assessmentId: $a,
  expectedRevision: $e) {{ __typename {A} {PROBLEM} }} }}"""
COSIGN = f"""mutation CoSign($a: ID!, $r: Int!) {{ coSignAssessment(assessmentId: $a, revision: $r)
  {{ __typename {A} {PROBLEM} }} }}"""
WITHDRAW = f"""mutation Withdraw($a: ID!, $e: Int!) {{ withdrawCoSignature(assessmentId: $a,
  expectedRevision: $e, reason: "We want to read the new text first") {{ __typename {A} {PROBLEM} }} }}"""
COMMENT = f"""mutation Comment($a: ID!, $r: Int!, $t: String!) {{ postComment(subjectKind: ASSESSMENT,
  subjectId: $a, subjectRevision: $r, text: $t) {{ __typename
  ... on CommentPayload {{ logPosition comment {{ id revision }} }} {PROBLEM} }} }}"""
EDIT_COMMENT = f"""mutation EditComment($c: ID!, $e: Int!, $t: String!) {{ editComment(commentId: $c,
  expectedRevision: $e, text: $t) {{ __typename
  ... on CommentPayload {{ logPosition comment {{ id revision }} }} {PROBLEM} }} }}"""
LIST = """query List { assessments(first: 50) { edges { node { id state revision rating
  organisation { name platform } coSignatures { revision status organisation { name } }
  commentCount } } } }"""
SEARCH = """query Search($q: String!) { recommendations(search: $q, first: 20) { totalCount
  edges { node { id documentSymbol paragraph status } } } }"""
HISTORY = """query History($r: ID!, $after: String) { history(roundId: $r, first: 50, after: $after)
  { edges { node { logPosition summary } } pageInfo { hasNextPage endCursor } } }"""


@dataclasses.dataclass(frozen=True)
class SoakConfig:
    seconds: float
    writes_per_second: float = 4.0
    reads_per_second: float = 8.0
    subscribers: int = 4  # spread over the API processes
    reconnect_seconds: float = 30.0
    interval_seconds: float = 60.0  # latency percentiles per interval of this length
    memory_every_seconds: float = 5.0

    @property
    def catalogue_size(self) -> int:
        """Enough recommendations in the round for every assessment the author may propose."""
        proposals = self.seconds * self.writes_per_second / 3 * 0.3
        return INITIAL_ASSESSMENTS + int(proposals) + 20


@dataclasses.dataclass
class Interval:
    start: float
    reads: list[float] = dataclasses.field(default_factory=list)
    writes: list[float] = dataclasses.field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def slope_per_second(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (time, value)."""
    if len(points) < 2:
        return 0.0
    xs, ys = zip(*points, strict=True)
    return statistics.linear_regression(xs, ys).slope


@dataclasses.dataclass
class SoakResult:
    config: SoakConfig
    seconds: float = 0.0
    errors: list[str] = dataclasses.field(default_factory=list)
    conflicts: int = 0
    reads: dict[str, int] = dataclasses.field(default_factory=dict)
    writes: dict[str, int] = dataclasses.field(default_factory=dict)
    intervals: list[Interval] = dataclasses.field(default_factory=list)
    memory: dict[str, list[tuple[float, float]]] = dataclasses.field(default_factory=dict)
    """Process name -> (seconds since the start, resident MiB)."""
    events_before: int = 0
    """The log's head when the traffic started, and when it stopped."""
    events_after: int = 0
    events_written: int = 0
    """Events stored meanwhile: fewer than the head moved, as an insert that lost a race to
    another writer rolls back but has used up its log position."""
    history_items: int = 0
    subscriber_items: list[int] = dataclasses.field(default_factory=list)
    subscriber_connections: list[int] = dataclasses.field(default_factory=list)
    subscribers_exact: list[bool] = dataclasses.field(default_factory=list)
    replay_equal: bool = False
    replay_lines: list[str] = dataclasses.field(default_factory=list)

    def memory_figures(self, name: str) -> tuple[float, float, float]:
        """First and last resident MiB, and MiB per 10 minutes fitted over the second half."""
        points = self.memory[name]
        half = [p for p in points if p[0] >= points[-1][0] / 2]
        return points[0][1], points[-1][1], slope_per_second(half) * 600

    def summary(self) -> str:
        lines = [
            f"soak of {self.seconds:.0f} s: {sum(self.writes.values())} writes"
            f" ({self.conflicts} conflicts), {sum(self.reads.values())} reads,"
            f" {len(self.errors)} errors, {self.events_written} events written",
            f"history items {self.history_items}; subscribers received {self.subscriber_items}"
            f" in {self.subscriber_connections} connections, exact: {self.subscribers_exact}",
            f"read models equal their rebuild: {self.replay_equal}",
        ]
        for interval in self.intervals:
            lines.append(
                f"  t={interval.start:5.0f}s reads {len(interval.reads):5d}"
                f" p50 {percentile(interval.reads, 0.5) * 1000:7.1f} ms"
                f" p99 {percentile(interval.reads, 0.99) * 1000:7.1f} ms |"
                f" writes {len(interval.writes):4d}"
                f" p50 {percentile(interval.writes, 0.5) * 1000:7.1f} ms"
                f" p99 {percentile(interval.writes, 0.99) * 1000:7.1f} ms"
            )
        for name in self.memory:
            first, last, slope = self.memory_figures(name)
            lines.append(
                f"  {name}: {first:.1f} -> {last:.1f} MiB, {slope:+.2f} MiB per 10 min (second half)"
            )
        lines.extend(f"  error: {error}" for error in self.errors[:20])
        return "\n".join(lines)


class Recorder:
    """What the traffic threads report, under one lock."""

    def __init__(self, config: SoakConfig, result: SoakResult) -> None:
        self.config = config
        self.result = result
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def _interval(self, at: float) -> Interval:
        index = int((at - self.started) // self.config.interval_seconds)
        intervals = self.result.intervals
        while len(intervals) <= index:
            intervals.append(Interval(start=len(intervals) * self.config.interval_seconds))
        return intervals[index]

    def read(self, kind: str, began: float, took: float) -> None:
        with self.lock:
            self._interval(began).reads.append(took)
            self.result.reads[kind] = self.result.reads.get(kind, 0) + 1

    def write(self, kind: str, began: float, took: float) -> None:
        with self.lock:
            self._interval(began).writes.append(took)
            self.result.writes[kind] = self.result.writes.get(kind, 0) + 1

    def conflict(self) -> None:
        with self.lock:
            self.result.conflicts += 1

    def error(self, what: str) -> None:
        with self.lock:
            self.result.errors.append(what)


class Answer(Exception):
    """A request whose answer was not the data asked for (already recorded as an error)."""


class Traffic:
    """GraphQL over HTTP to the API processes in turn, timed and classified."""

    def __init__(self, bases: list[str], token: dict[str, str], recorder: Recorder) -> None:
        self.clients = [Client(base, token) for base in bases]
        self.turn = itertools.cycle(self.clients)
        self.recorder = recorder

    def close(self) -> None:
        for client in self.clients:
            client.http.close()

    def _post(self, who: str | None, query: str, variables: dict[str, Any]) -> tuple[Any, float]:
        client = next(self.turn)
        headers = {"Authorization": f"Bearer {client.tokens[who]}"} if who else {}
        began = time.monotonic()
        try:
            response = client.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.HTTPError as error:
            self.recorder.error(f"{query.partition('(')[0]}: {type(error).__name__}: {error}")
            raise Answer from error
        took = time.monotonic() - began
        body = response.json() if response.status_code == 200 else None
        if body is None or body.get("errors"):
            what = body["errors"] if body else f"HTTP {response.status_code} {response.text[:200]}"
            self.recorder.error(f"{query.partition('(')[0]}: {what}")
            raise Answer
        return body["data"], took

    def read(self, kind: str, who: str | None, query: str, **variables: Any) -> Any:
        began = time.monotonic()
        data, took = self._post(who, query, variables)
        self.recorder.read(kind, began, took)
        return data

    def write(self, kind: str, who: str, mutation: str, **variables: Any) -> Any:
        """The mutation's payload; None after a Conflict."""
        began = time.monotonic()
        data, took = self._post(who, mutation, variables)
        [result] = data.values()
        self.recorder.write(kind, began, took)
        if result["__typename"] == "Conflict":
            self.recorder.conflict()
            return None
        if not result["__typename"].endswith("Payload"):
            self.recorder.error(f"{kind}: {result}")
            raise Answer
        return result


class ReconnectingSubscriber(Subscriber):
    """Follows the round's activity; every few seconds closes and resumes with `since`."""

    def __init__(self, base: str, token: str, round_id: str, every: float, seed: int) -> None:
        super().__init__(base, token, round_id)
        self.every = every
        self.random = random.Random(seed)
        self.connections = 0
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._connection()
            except Exception as error:  # counted; the subscriber resumes where it was
                self.errors.append(f"subscriber {self.url}: {type(error).__name__}: {error}")
                time.sleep(0.5)

    def _connection(self) -> None:
        since = self.items[-1]["logPosition"] if self.items else 0
        query = (
            "subscription F($r: ID!, $since: Int) { activity(roundId: $r, since: $since)"
            " { logPosition summary } }"
        )
        with connect(self.url, subprotocols=["graphql-transport-ws"], open_timeout=30) as ws:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}
            ws.send(json.dumps(init))
            assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
            variables = {"r": self.round_id, "since": since}
            ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": variables},
                    }
                )
            )
            self.connections += 1
            self.ready.set()
            until = time.monotonic() + self.every * self.random.uniform(0.5, 1.5)
            while not self.stop.is_set() and time.monotonic() < until:
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                except ConnectionClosed as closed:
                    raise AssertionError(f"the server closed the connection: {closed}") from None
                if message["type"] == "ping":
                    ws.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                self.items.append(message["payload"]["data"]["activity"])
            ws.send(json.dumps({"id": "1", "type": "complete"}))


class Steady:
    """Runs ``step`` every ``interval`` seconds until stopped; a late step does not cause a burst."""

    def __init__(
        self, interval: float, stop: threading.Event, seed: int, error: Callable[[str], None]
    ) -> None:
        self.interval = interval
        self.stop = stop
        self.random = random.Random(seed)
        self.error = error

    def run(self, step: Callable[[random.Random], None]) -> None:
        next_at = time.monotonic() + self.random.uniform(0, self.interval)
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                return
            try:
                step(self.random)
            except Answer:
                pass  # recorded where it was answered
            except Exception as error:  # an answer of the wrong shape: counted, and go on
                self.error(f"{type(error).__name__}: {error}")
            next_at = max(next_at + self.interval, time.monotonic() - self.interval)


@dataclasses.dataclass
class Round:
    """The round the traffic works on, shared by the threads."""

    id: str
    free: list[str]  # recommendations of the round nobody has assessed yet
    open: list[str]  # assessments open for signature, oldest first
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def pick(self, rng: random.Random) -> str:
        with self.lock:
            return rng.choice(self.open[-WINDOW:])


def _catalogue(size: int) -> list[Any]:
    monitor, languages = catalogue_entries()
    return [
        dataclasses.replace(
            monitor if n % 2 else languages,
            paragraph=f"150.{n}",
            text=f"{(monitor if n % 2 else languages).text} (item {n})",
        )
        for n in range(1, size + 1)
    ]


class Soak:
    def __init__(self, deployment: Deployment, config: SoakConfig) -> None:
        self.deployment = deployment
        self.config = config
        self.result = SoakResult(config)
        self.pids: dict[str, int] = {}

    # --- the deployment and its data -------------------------------------------------------

    def setup(self, runtime: Runtime) -> tuple[list[str], dict[str, str], Round]:
        deployment, settings = self.deployment, self.deployment.settings
        processes = council_processes()
        council = runtime.council
        world = build_world(council)
        catalogue = _catalogue(self.config.catalogue_size)
        council.record_recommendations(Actor.operator(), catalogue, source="soak")
        opened = council.open_round(
            world.secretariat,
            title="UPR cycle 4 mid-term review",
            recommendation_ids=[entry.id for entry in catalogue],
            assessments_due=date(2026, 4, 1),
            co_signing_due=date(2026, 4, 15),
            council_session_on=date(2026, 5, 1),
            co_sign_quorum=1,
            cycle=4,
        )
        open_ids = []
        for entry in catalogue[:INITIAL_ASSESSMENTS]:
            proposed = council.propose_assessment(
                world.cso_a,
                round_id=opened.id,
                recommendation_id=entry.id,
                rating="not_implemented",
                narrative="No body has been designated yet.",
            )
            council.open_assessment_for_signature(world.cso_a, proposed.id, expected_revision=1)
            open_ids.append(str(proposed.id))
        ttl = timedelta(seconds=self.config.seconds + 3600)
        token = {
            who: tokens.issue(settings, getattr(world, who).member_id, ttl)
            for who in ("cso_a", "cso_b", "cso_c", "auditor")
        }
        self.organisations = {who: str(world.organisations[who]) for who in token}

        names = {p.name for p in runtime.projections}
        for process in (p for p in processes if p.kind == "project"):
            for replica in range(process.replicas):
                started = deployment.start(process, replica)
                self.pids[f"{process.service}-{replica}"] = started.pid
                if replica == 0:
                    _wait_until(
                        lambda: set(_lock_holders(settings)) == names,
                        "the first worker to take every projection's lock",
                    )
        runtime.runner.wait_for(council.log_position(), timeout=WAIT_SECONDS)
        servers = {}
        for process in (p for p in processes if p.kind == "serve"):
            port = _free_port()
            server = deployment.start(process, 0, "--host", "127.0.0.1", "--port", str(port))
            servers[f"http://127.0.0.1:{port}"] = server
            self.pids[process.service] = server.pid
        for base, server in servers.items():
            _wait_until_up(base, server)
        free = [str(entry.id) for entry in catalogue[INITIAL_ASSESSMENTS:]]
        return list(servers), token, Round(str(opened.id), free, open_ids)

    # --- the traffic -----------------------------------------------------------------------

    def _author(self, traffic: Traffic, round_: Round) -> Callable[[random.Random], None]:
        def step(rng: random.Random) -> None:
            with round_.lock:
                rec = round_.free.pop() if round_.free and rng.random() < 0.3 else None
            if rec is not None:
                proposed = traffic.write("propose", "cso_a", PROPOSE, r=round_.id, rec=rec)
                if proposed is None:
                    return
                assessment = proposed["assessment"]
                opened = traffic.write(
                    "open", "cso_a", OPEN, a=assessment["id"], e=assessment["revision"]
                )
                if opened is not None:
                    with round_.lock:
                        round_.open.append(assessment["id"])
                return
            a = round_.pick(rng)
            read = traffic.read("assessment", "cso_a", READ_ASSESSMENT, a=a)["assessment"]
            traffic.write(
                "revise",
                "cso_a",
                REVISE,
                a=a,
                e=read["revision"],
                n=f"Revision {read['revision'] + 1}: the body met {rng.randint(1, 12)} times.",
            )

        return step

    def _signer(self, who: str, traffic: Traffic, round_: Round) -> Callable[[random.Random], None]:
        mine = self.organisations[who]
        comments: list[tuple[str, int]] = []

        def step(rng: random.Random) -> None:
            a = round_.pick(rng)
            read = traffic.read("assessment", who, READ_ASSESSMENT, a=a)["assessment"]
            revision = read["revision"]
            if rng.random() < 0.3:
                if comments and rng.random() < 0.3:
                    comment_id, expected = comments.pop()
                    text = f"Edited: sessions are still rare ({rng.randint(1, 999)})."
                    edited = traffic.write(
                        "edit", who, EDIT_COMMENT, c=comment_id, e=expected, t=text
                    )
                    if edited is not None:
                        comments.append((comment_id, edited["comment"]["revision"]))
                    return
                text = f"On revision {revision}: sessions are still rare."
                posted = traffic.write("comment", who, COMMENT, a=a, r=revision, t=text)
                if posted is None:
                    return
                comments.append((posted["comment"]["id"], posted["comment"]["revision"]))
                del comments[:-10]
                return
            signed = any(
                s["organisation"]["id"] == mine
                and s["status"] == "active"
                and s["revision"] == revision
                for s in read["coSignatures"]
            )
            if signed:
                traffic.write("withdraw", who, WITHDRAW, a=a, e=revision)
            else:
                traffic.write("co-sign", who, COSIGN, a=a, r=revision)

        return step

    def _readers(
        self, traffic: Traffic, round_: Round, runtime: Runtime
    ) -> list[Callable[[random.Random], None]]:
        start = runtime.council.log_position()
        head = [start]

        def listing(rng: random.Random) -> None:
            traffic.read("list", "cso_b", LIST)

        def search(rng: random.Random) -> None:
            who = rng.choice([None, "cso_c"])
            traffic.read("search", who, SEARCH, q=rng.choice(SEARCHES))

        def history(rng: random.Random) -> None:
            after = rng.randint(start, max(start, head[0]))
            page = traffic.read("history", "auditor", HISTORY, r=round_.id, after=str(after))
            edges = page["history"]["edges"]
            if edges:
                head[0] = max(head[0], edges[-1]["node"]["logPosition"])
            else:
                head[0] = max(start, head[0] - 10)

        return [listing, search, history]

    def _sample_memory(self, stop: threading.Event) -> None:
        began = time.monotonic()
        while True:
            at = time.monotonic() - began
            for name, pid in self.pids.items():
                rss = resident_mib(pid)
                if rss is not None:
                    self.result.memory.setdefault(name, []).append((at, rss))
            if stop.wait(self.config.memory_every_seconds):
                return

    # --- the whole run ---------------------------------------------------------------------

    def run(self) -> SoakResult:
        config, result = self.config, self.result
        for process in council_processes():
            if process.one_shot:
                _cli(self.deployment.env, *process.args)
        runtime = Runtime(self.deployment.settings)
        try:
            bases, token, round_ = self.setup(runtime)
            result.events_before = runtime.council.log_position()
            recorder = Recorder(config, result)
            traffic = Traffic(bases, token, recorder)
            subscribers = [
                ReconnectingSubscriber(
                    bases[n % len(bases)], token["auditor"], round_.id, config.reconnect_seconds, n
                )
                for n in range(config.subscribers)
            ]
            for subscriber in subscribers:
                subscriber.start()
            for subscriber in subscribers:
                assert subscriber.ready.wait(30), "a subscriber did not connect"

            stop = threading.Event()
            writers = [
                self._author(traffic, round_),
                self._signer("cso_b", traffic, round_),
                self._signer("cso_c", traffic, round_),
            ]
            readers = self._readers(traffic, round_, runtime)
            threads: list[threading.Thread] = []
            groups = ((config.writes_per_second, writers), (config.reads_per_second, readers))
            for rate, group in groups:
                for step in group:
                    steady = Steady(len(group) / rate, stop, 100 + len(threads), recorder.error)
                    threads.append(threading.Thread(target=steady.run, args=(step,), daemon=True))
            threads.append(threading.Thread(target=self._sample_memory, args=(stop,), daemon=True))
            recorder.started = time.monotonic()
            for thread in threads:
                thread.start()
            stop.wait(config.seconds)
            stop.set()
            for thread in threads:
                thread.join(timeout=WAIT_SECONDS)
                assert not thread.is_alive(), "a traffic thread did not stop"
            result.seconds = time.monotonic() - recorder.started

            self._finish(runtime, traffic, round_, subscribers)
            traffic.close()
        finally:
            runtime.close()
        return result

    def _finish(
        self,
        runtime: Runtime,
        traffic: Traffic,
        round_: Round,
        subscribers: list[ReconnectingSubscriber],
    ) -> None:
        result = self.result
        head = runtime.council.log_position()
        result.events_after = head
        with psycopg.connect(self.deployment.settings.database.conninfo()) as conn:
            events = sql.Identifier(self.deployment.settings.schema, "council_events")
            query = sql.SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(events)
            row = conn.execute(query, (result.events_before,)).fetchone()
            result.events_written = int(row[0]) if row else 0
        runtime.runner.wait_for(head, timeout=WAIT_SECONDS)
        client = traffic.clients[0]
        expected: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = client.call("auditor", HISTORY, r=round_.id, after=after)["history"]
            expected.extend(edge["node"] for edge in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        result.history_items = len(expected)
        for subscriber in subscribers:

            def received(s: ReconnectingSubscriber = subscriber) -> bool:
                return len(s.items) >= len(expected)

            with contextlib.suppress(AssertionError):  # what it missed is reported below
                _wait_until(received, f"the subscriber on {subscriber.url} to catch up")
        time.sleep(1.0)  # an item delivered twice would arrive now
        for subscriber in subscribers:
            subscriber.stop.set()
        for subscriber in subscribers:
            subscriber.join(timeout=10)
            result.errors.extend(subscriber.errors)
            result.subscriber_items.append(len(subscriber.items))
            result.subscriber_connections.append(subscriber.connections)
            result.subscribers_exact.append(subscriber.items == expected)
        report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
        result.replay_equal = report.equal and set(report.positions.values()) == {head}
        result.replay_lines = list(report.lines())


def resident_mib(pid: int) -> float | None:
    """VmRSS of a running process, in MiB (None once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def run_soak(tmp_path: Path, config: SoakConfig) -> SoakResult:
    """Starts the deployment in a fresh schema, soaks it, stops it and drops the schema."""
    with deploy(tmp_path) as deployment:
        return Soak(deployment, config).run()
