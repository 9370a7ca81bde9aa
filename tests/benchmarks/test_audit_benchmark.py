"""Benchmark: the audit log at a million events (PostgreSQL).

In one fresh schema: the scenario's organisations and members, then 1,000,000 stored events
written straight into the event store with COPY (the audit log hashes stored bytes and never
decodes them, so the events' content does not change its cost). It measures

- taking the whole log into the Merkle tree (`AuditLog.catch_up`, as `council project` does),
- signing a checkpoint at that size, and its text,
- inclusion proofs (size, time to build from the stored subtrees, time to verify) for random
  events, and consistency proofs between random earlier sizes and the head,
- what the audit log adds to each write: comments posted through `Council`'s commands, each
  followed by the tree taking in that one event (its worst case: a worker woken for every
  write), interleaved, so that both are measured under the same load; and the same cost when
  the tree takes the events in batches.

It prints the figures and writes them to the "Audit log" section of docs/benchmarks.md. The
targets are reported, met or not, never asserted.

Run: make benchmark PYTEST_ARGS="-k audit"
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from domain.merkle import verify_consistency, verify_inclusion
from domain.values import SubjectKind
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.audit.keeper import GATHER_SECONDS, AdvisoryLock, AuditKeeper
from projections.audit.log import AuditLog
from projections.audit.service import consistency_proof, inclusion_proof, make_checkpoint
from projections.worker import advisory_key
from tests.benchmarks.results import write_section
from tests.benchmarks.support import fresh_env, fresh_runtime
from tests.conftest import postgres_url_or_skip
from tests.scenario import World, build_world

SECTION = "## Audit log"
COMMAND = 'make benchmark PYTEST_ARGS="-k audit"'
EVENTS = int(os.environ.get("COUNCIL_BENCH_AUDIT_EVENTS", "1000000"))
PROOFS = 200
CHECKPOINTS = 5
WRITES = 1000
BLOCKS = 3
BATCHED_WRITES = 2000
TOPIC = "domain.comment:Comment.Posted"


@dataclass
class Figures:
    events: int
    seed_seconds: float
    catch_up_seconds: float
    checkpoint_ms: list[float]
    checkpoint_bytes: int
    inclusion_ms: list[float]
    inclusion_verify_ms: list[float]
    inclusion_hashes: list[int]
    consistency_ms: list[float]
    consistency_verify_ms: list[float]
    consistency_hashes: list[int]
    alone_ms: list[float]
    followed_ms: list[float]
    batched_command_ms: list[float]
    batched_append_ms_per_event: float
    database_bytes: int

    @property
    def write_path_cost(self) -> float:
        return statistics.median(self.followed_ms) / statistics.median(self.alone_ms) - 1

    @property
    def batched_ratio(self) -> float:
        return self.batched_append_ms_per_event / statistics.median(self.batched_command_ms)


def seed(runtime: Runtime, url: str, count: int) -> float:
    """Write ``count`` stored events with COPY: 10,000 aggregates of count/10,000 versions."""
    recorder: Any = runtime.council.recorder
    table = sql.Identifier(runtime.settings.schema, recorder.events_table_name)
    rng = random.Random(1)
    aggregates = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(10_000)]
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        copy = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(table)
        with cur.copy(copy) as pipe:
            for n in range(count):
                aggregate = aggregates[n % len(aggregates)]
                version = n // len(aggregates) + 1
                state = (
                    '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-05-01T10:00:00+00:00"},'
                    f'"text":"Synthetic comment {n} on the implementation of recommendation'
                    f' {n % 2000}.","subject_id":"{aggregate}","actor_id":"{aggregates[n % 97]}"}}'
                ).encode()
                pipe.write_row((aggregate, version, TOPIC, state))
    return time.perf_counter() - started


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - started) * 1000


def follow(env: dict[str, str], ready: Any, stop: Any) -> None:
    """A separate process keeping the tree as ``council project`` does: the product's
    ``AuditKeeper`` under its advisory lock, woken by the event store's NOTIFY."""
    settings = Settings.from_env(env)
    runtime = Runtime(settings)
    halt = threading.Event()
    keeper = AuditKeeper(
        runtime.audit,
        halt,
        lock=AdvisoryLock(settings.database.conninfo(), advisory_key(settings.schema, "audit")),
    )
    thread = threading.Thread(target=keeper.run)
    thread.start()
    try:
        keeper.active.wait(120)
        ready.set()
        stop.wait()
    finally:
        halt.set()
        thread.join()
        runtime.close()


def measure_writes(runtime: Runtime, world: World, env: dict[str, str]) -> tuple[list[float], ...]:
    """Write latency alone and with a follower process taking each write into the tree, in
    alternating blocks so that both see the same load."""
    council, audit = runtime.council, runtime.audit
    alone: list[float] = []
    followed: list[float] = []
    written = 0
    processes = multiprocessing.get_context("spawn")
    for _ in range(BLOCKS):
        alone.extend(timed(partial(post, council, world, written + n))[1] for n in range(WRITES))
        written += WRITES
        audit.catch_up()  # the follower starts with nothing to do
        ready, stop = processes.Event(), processes.Event()
        follower = processes.Process(target=follow, args=(env, ready, stop))
        follower.start()
        try:
            assert ready.wait(120), "the follower process did not start"
            for n in range(WRITES):
                followed.append(timed(partial(post, council, world, written + n))[1])
        finally:
            stop.set()
            follower.join(60)
        written += WRITES
    audit.catch_up()
    return alone, followed


def measure_batched_writes(runtime: Runtime, world: World) -> tuple[list[float], float]:
    council, audit = runtime.council, runtime.audit
    commands = [timed(partial(post, council, world, n))[1] for n in range(BATCHED_WRITES)]
    appended, append = timed(audit.catch_up)
    assert appended == BATCHED_WRITES
    return commands, append / BATCHED_WRITES


def post(council: Any, world: World, n: int) -> None:
    council.post_comment(
        world.cso_a,
        subject_kind=SubjectKind.RECOMMENDATION,
        subject_id=world.recommendation_id,
        text=f"Comment {n} on how the recommendation is being implemented.",
    )


def measure_proofs(audit: AuditLog, size: int, url: str) -> dict[str, list[float] | list[int]]:
    rng = random.Random(7)
    with psycopg.connect(url) as conn:
        conn.execute(f"SET search_path TO {audit.database.url.read_schema}")
        positions = [
            int(row[0])
            for row in conn.execute(
                "SELECT log_position FROM audit_leaves WHERE leaf_index = ANY(%s)",
                ([rng.randrange(size) for _ in range(PROOFS)],),
            ).fetchall()
        ]
    _, _, root = audit.head()
    found: dict[str, Any] = {k: [] for k in ("im", "iv", "ih", "cm", "cv", "ch")}
    for position in positions:
        proof, took = timed(partial(inclusion_proof, audit, position, size))
        ok, checked = timed(
            partial(verify_inclusion, proof.leaf_hash, proof.leaf_index, size, proof.path, root)
        )
        assert ok
        found["im"].append(took)
        found["iv"].append(checked)
        found["ih"].append(len(proof.path))
    for _ in range(PROOFS):
        old = rng.randrange(1, size)
        old_root = audit.root_at(old)
        proof, took = timed(partial(consistency_proof, audit, old, size))
        ok, checked = timed(partial(verify_consistency, old, size, old_root, root, proof.path))
        assert ok
        found["cm"].append(took)
        found["cv"].append(checked)
        found["ch"].append(len(proof.path))
    return found


@pytest.mark.timeout(7200)
def test_the_audit_log_at_a_million_events() -> None:
    url = postgres_url_or_skip()
    env = fresh_env(url)
    with fresh_runtime(env) as runtime:
        world = build_world(runtime.council)
        seed_seconds = seed(runtime, url, EVENTS)
        audit = runtime.audit
        taken, catch_up_ms = timed(audit.catch_up)
        size = audit.size()
        assert size == taken >= EVENTS
        key = Ed25519PrivateKey.generate()
        checkpoints: list[float] = []
        note = ""
        for _ in range(CHECKPOINTS):
            note, took = timed(
                lambda: make_checkpoint(
                    audit,
                    origin="benchmark.council-ledger",
                    signer="secretariat",
                    key=key,
                    now=datetime.now(UTC),
                )
            )
            checkpoints.append(took)
        proofs = measure_proofs(audit, size, url)
        alone, followed = measure_writes(runtime, world, env)
        batched_commands, batched_append = measure_batched_writes(runtime, world)
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname LIKE 'audit%%' AND c.relkind = 'r'",
                (runtime.database.url.read_schema,),
            ).fetchone()
        figures = Figures(
            events=size,
            seed_seconds=seed_seconds,
            catch_up_seconds=catch_up_ms / 1000,
            checkpoint_ms=checkpoints,
            checkpoint_bytes=len(note.encode()),
            inclusion_ms=proofs["im"],  # type: ignore[arg-type]
            inclusion_verify_ms=proofs["iv"],  # type: ignore[arg-type]
            inclusion_hashes=proofs["ih"],  # type: ignore[arg-type]
            consistency_ms=proofs["cm"],  # type: ignore[arg-type]
            consistency_verify_ms=proofs["cv"],  # type: ignore[arg-type]
            consistency_hashes=proofs["ch"],  # type: ignore[arg-type]
            alone_ms=alone,
            followed_ms=followed,
            batched_command_ms=batched_commands,
            batched_append_ms_per_event=batched_append,
            database_bytes=int(row[0]) if row else 0,
        )
    report = _report(figures, url)
    print("\n" + report)
    write_section(SECTION, report)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(values):.2f} ms (p99 {p99:.2f})"


def _report(f: Figures, url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = row[0] if row else "?"
    load = os.getloadavg()[0]
    write_path = f.write_path_cost
    batched = f.batched_ratio
    hashes = statistics.median(f.inclusion_hashes)
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{COMMAND}` (tests/benchmarks/test_audit_benchmark.py), run on"
            f" {date.today().isoformat()}: Python {platform.python_version()},"
            f" PostgreSQL {server}, {os.cpu_count()} CPUs (load average {load:.1f} at the end;"
            " the machine is shared).",
            "",
            f"A fresh schema: the scenario's organisations and members, then {EVENTS:,} stored"
            f" events written with COPY in {f.seed_seconds:.0f} s (the audit log hashes the stored"
            " bytes and never decodes them). Proof figures are medians over"
            f" {PROOFS} random events or earlier sizes; the write path is measured with"
            f" {BLOCKS * WRITES:,} comments posted through `Council.post_comment` alone and as"
            " many while a separate process keeps the tree as `council project` does (its"
            f" `AuditKeeper`, woken by the event store's NOTIFY), in {BLOCKS} alternating"
            f" blocks of {WRITES}; the figures are medians.",
            "",
            "| measure | value | target |",
            "| --- | ---: | --- |",
            f"| tree size | {f.events:,} leaves | |",
            f"| taking the whole log into the tree | {f.catch_up_seconds:.1f} s"
            f" ({f.events / f.catch_up_seconds:,.0f} events/s) | |",
            f"| audit tables on disk (leaves, nodes, checkpoints) |"
            f" {f.database_bytes / 1024 / 1024:,.0f} MiB | |",
            f"| signed checkpoint at that size (median of {len(f.checkpoint_ms)}) |"
            f" {_ms(f.checkpoint_ms)}; {f.checkpoint_bytes} bytes of text | |",
            f"| inclusion proof: build from stored subtrees | {_ms(f.inclusion_ms)} | |",
            f"| inclusion proof: size | {hashes:.0f} hashes, {hashes * 32:.0f} bytes | |",
            f"| inclusion proof: verify offline | {_ms(f.inclusion_verify_ms)} | |",
            f"| consistency proof: build | {_ms(f.consistency_ms)} | |",
            f"| consistency proof: size | {statistics.median(f.consistency_hashes):.0f} hashes | |",
            f"| consistency proof: verify offline | {_ms(f.consistency_verify_ms)} | |",
            f"| a write, `post_comment`, alone | {_ms(f.alone_ms)} | |",
            f"| the same with the tree following each write | {_ms(f.followed_ms)} | |",
            f"| what the log adds to a write | {write_path:+.1%} |"
            f" < 10%: {_met(write_path < 0.10)} |",
            f"| the tree's work per event, taking {BATCHED_WRITES:,} writes at once |"
            f" {f.batched_append_ms_per_event:.3f} ms, {batched:.1%} of a write | |",
            "",
            "The tree is not on the write path: a command commits its events and returns, and"
            " `council project` (or, embedded, the process after each command) appends them to"
            " the tree afterwards, so a write waits for none of it; what it adds is the"
            " competition for the same processors and database. The keeper lets the writes of"
            f" {GATHER_SECONDS * 1000:.0f} ms gather after each wake and appends them in one"
            " transaction, so its work per event stays near the batched figure under load, and"
            " the tree is at most a fraction of a second behind the log. A checkpoint or proof"
            " reads only O(log n) stored subtree roots (complete subtrees are kept as nodes), so"
            " they cost the same at any size.",
            "",
        ]
    )


def _met(met: bool) -> str:
    return "met" if met else "**not met**"
