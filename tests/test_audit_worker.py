"""`council project` keeps the audit tree caught up and signs checkpoints on a schedule."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings, SettingsError
from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.keeper import AUDIT_LOCK_NAME, AuditKeeper, CheckpointSchedule
from projections.audit.verify import verify
from projections.worker import advisory_key
from tests.scenario import build_world, play_round

COUNCIL = str(Path(sys.executable).parent / "council")
PATIENCE = 60.0


class Clock:
    """Time handed to the keeper; the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _tree_follows_the_log(runtime: Runtime) -> bool:
    return runtime.audit.head()[1] == runtime.council.log_position()


def test_the_keeper_signs_a_checkpoint_only_when_due_and_only_when_the_tree_grew(
    runtime: Runtime,
) -> None:
    clock = Clock()
    key = Ed25519PrivateKey.generate()
    schedule = CheckpointSchedule(
        every=timedelta(minutes=10),
        origin="Serbia NMRF (test)",
        signer="secretariat",
        key=key,
        clock=clock,
    )
    keeper = AuditKeeper(runtime.audit, threading.Event(), schedule=schedule)
    assert keeper.step() is None, "an empty log gets no checkpoint"

    world = build_world(runtime.council)
    first = keeper.step()
    assert first is not None, "the first checkpoint is due at once"
    assert _tree_follows_the_log(runtime)
    assert notes.parse(first)[0].size == runtime.council.log_position()

    clock.advance(3600)
    assert keeper.step() is None, "the tree did not grow: no new checkpoint"

    play_round(world)
    latest = service.latest_checkpoint_head(runtime.audit)
    assert latest is not None
    clock.now = latest[1] + timedelta(minutes=9)
    assert keeper.step() is None, "the interval has not passed since the latest checkpoint"
    assert _tree_follows_the_log(runtime), "the tree follows the log between checkpoints"

    clock.advance(60)
    second = keeper.step()
    assert second is not None
    checkpoint, _ = notes.parse(second)
    assert checkpoint.size == runtime.audit.size() > notes.parse(first)[0].size
    assert checkpoint.time == clock.now
    report = verify(runtime.audit, runtime.council.recorder, service.trusted_keys(runtime.audit))
    assert report.ok, report.problems
    assert report.checkpoints_checked == 2
    assert report.unaudited_events == 0


def test_the_keeper_signs_nothing_with_a_key_other_than_the_one_trusted_for_its_signer(
    runtime: Runtime,
) -> None:
    build_world(runtime.council)
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    trusted = Ed25519PrivateKey.generate()
    service.add_trusted_key(runtime.audit, "secretariat", trusted.public_key(), now)
    schedule = CheckpointSchedule(
        every=timedelta(seconds=1),
        origin="Serbia NMRF (test)",
        signer="secretariat",
        key=Ed25519PrivateKey.generate(),
        clock=lambda: now,
    )
    keeper = AuditKeeper(runtime.audit, threading.Event(), schedule=schedule)
    assert keeper.step() is None
    assert _tree_follows_the_log(runtime), "the tree is kept all the same"
    assert service.latest_checkpoint_head(runtime.audit) is None


def test_the_checkpoint_interval_is_a_positive_number_of_seconds() -> None:
    assert Settings.from_env({}).audit_checkpoint_seconds is None
    env = {"COUNCIL_AUDIT_CHECKPOINT_SECONDS": "300"}
    assert Settings.from_env(env).audit_checkpoint_seconds == 300.0
    for wrong in ("0", "-5", "often", "nan"):
        with pytest.raises(SettingsError, match="COUNCIL_AUDIT_CHECKPOINT_SECONDS"):
            Settings.from_env({"COUNCIL_AUDIT_CHECKPOINT_SECONDS": wrong})


# --- a real `council project` on PostgreSQL ---------------------------------------------------


class Worker:
    """A `council project` process, its log kept for the failure message."""

    def __init__(self, env: dict[str, str], log: Path, *extra: str) -> None:
        self.log = log
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [COUNCIL, "project", *extra], env=env, stdout=subprocess.PIPE, stderr=stderr
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the worker says when its runners have started
        assert b"projection workers started" in line, self.tail()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until(condition: Callable[[], bool], what: str, worker: Worker) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {PATIENCE:.0f} s\n{worker.tail()}"
        time.sleep(0.05)


def _checkpoints(runtime: Runtime) -> list[tuple[int, datetime]]:
    with runtime.database.transaction(snapshot=True) as cur:
        cur.execute("SELECT tree_size, issued_at FROM audit_checkpoints ORDER BY tree_size")
        rows = cur.fetchall()
    return [(int(size), datetime.fromisoformat(str(at))) for size, at in rows]


def _checkpointed_at_head(runtime: Runtime) -> bool:
    """The last checkpoint signs the whole log.

    The tree's size and last position come from one read, after the checkpoints: read apart,
    the keeper could grow the tree between them and an older checkpoint would look current.
    """
    signed = _checkpoints(runtime)
    size, position, _ = runtime.audit.head()
    return bool(signed) and signed[-1][0] == size and position == runtime.council.log_position()


def _lock_is_held(runtime: Runtime) -> bool:
    key = advisory_key(runtime.settings.schema, AUDIT_LOCK_NAME)
    with psycopg.connect(runtime.settings.database.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        taken = bool(row and row[0])
        if taken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    return not taken


@pytest.fixture
def worker_env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "audit-key.pem"
    key_file.write_bytes(notes.private_pem(Ed25519PrivateKey.generate()))
    env = dict(os.environ)
    env.update(
        COUNCIL_DATABASE_URL=runtime.settings.database_url,
        COUNCIL_SCHEMA=runtime.settings.schema,
        COUNCIL_AUDIT_KEY_FILE=str(key_file),
        COUNCIL_ORIGIN="Serbia NMRF (test)",
    )
    env.pop("COUNCIL_AUDIT_CHECKPOINT_SECONDS", None)
    return env


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_scheduled_checkpoints_on_postgresql_need_the_shared_key_file(
    runtime: Runtime, worker_env: dict[str, str]
) -> None:
    env = {k: v for k, v in worker_env.items() if k != "COUNCIL_AUDIT_KEY_FILE"}
    refused = subprocess.run(
        [COUNCIL, "project", "--checkpoint-every", "60"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "COUNCIL_AUDIT_KEY_FILE" in refused.stderr
    assert "projection workers started" not in refused.stdout


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_council_project_keeps_the_audit_tree_and_signs_checkpoints_a_standby_takes_over(
    runtime: Runtime, worker_env: dict[str, str], tmp_path: Path
) -> None:
    council = runtime.council
    active = Worker(worker_env, tmp_path / "project-1.log", "--checkpoint-every", "1")
    standby: Worker | None = None
    try:
        world = build_world(council)
        _wait_until(lambda: _checkpointed_at_head(runtime), "a checkpoint of the log", active)
        play_round(world)
        _wait_until(lambda: _checkpointed_at_head(runtime), "a checkpoint after the round", active)
        signed = _checkpoints(runtime)
        assert len(signed) >= 2
        for (_, earlier), (_, later) in itertools.pairwise(signed):
            assert later - earlier >= timedelta(seconds=1), "checkpoints came faster than asked"

        time.sleep(3.0)  # three intervals of a quiet log
        assert _checkpoints(runtime) == signed, (
            "a checkpoint was signed of a tree that did not grow"
        )

        standby = Worker(
            {**worker_env, "COUNCIL_AUDIT_CHECKPOINT_SECONDS": "1"}, tmp_path / "project-2.log"
        )
        assert _lock_is_held(runtime), "no process holds the audit log's lock"
        active.process.kill()
        active.process.wait()
        comment = council.post_comment(
            world.cso_a,
            subject_kind="recommendation",
            subject_id=world.recommendation_id,
            text="Written while the first worker is gone.",
        )
        _wait_until(
            lambda: (
                _checkpointed_at_head(runtime) and runtime.audit.head()[1] == comment.log_position
            ),
            "the standby took over the audit log",
            standby,
        )
        assert _lock_is_held(runtime)
    finally:
        active.stop()
        if standby is not None:
            standby.stop()

    verified = subprocess.run(
        [COUNCIL, "audit", "verify", "--no-catch-up"],
        env=worker_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    head = council.log_position()
    count = len(_checkpoints(runtime))
    assert (
        f"checked {head} events and {count} checkpoints; 0 events not yet in the audit log"
        in verified.stdout
    )
    assert "the log verifies" in verified.stdout
