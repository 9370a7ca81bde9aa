"""A projection worker killed mid-batch, again and again, still applies every event exactly once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from domain.recommendation import CatalogueEntry
from domain.values import Actor
from graphql_api.runtime import Runtime
from projections.replay import replay

COUNCIL = str(Path(sys.executable).parent / "council")


def _worker(runtime: Runtime) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["COUNCIL_DATABASE_URL"] = runtime.settings.database_url
    env["COUNCIL_SCHEMA"] = runtime.settings.schema
    process = subprocess.Popen(
        [COUNCIL, "project"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the worker says when its runners have started
    assert b"projection workers started" in line
    return process


def _entries(batch: int, size: int) -> list[CatalogueEntry]:
    return [
        CatalogueEntry(
            mechanism="UPR",
            document_symbol="A/HRC/99/1",
            paragraph=f"{batch}.{i + 1}",
            text=f"Synthetic recommendation {batch}.{i + 1} about ćirilica",
            session="43",
            cycle=4,
            themes=["Education"],
        )
        for i in range(size)
    ]


def _wait_for_progress(runtime: Runtime, since: int, patience: float = 60.0) -> None:
    """Return once the projections have moved past `since`; fail if they never do."""
    deadline = time.monotonic() + patience
    while sum(runtime.runner.positions().values()) <= since:
        assert time.monotonic() < deadline, "the worker applied nothing after it started"
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_many_times_leaves_read_models_equal_to_a_rebuild(
    runtime: Runtime,
) -> None:
    council = runtime.council
    rng = random.Random(20260301)
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        batch = 0
        while not stop.is_set() and batch < 2000:
            batch += 1
            outcome = council.record_recommendations(
                Actor.operator(), _entries(batch, 50), source="crash test"
            )
            written.append(outcome.log_position)
            stop.wait(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    kills = 0
    worker = _worker(runtime)
    try:
        while kills < 6:
            # Kill only once this worker has applied something, at a random moment
            # while the writer keeps it busy: a kill then lands mid-batch however
            # slowly the machine starts the process.
            _wait_for_progress(runtime, since=sum(runtime.runner.positions().values()))
            time.sleep(rng.uniform(0.0, 0.3))
            worker.kill()
            worker.wait()
            kills += 1
            worker = _worker(runtime)
    finally:
        stop.set()
        writer.join()
        time.sleep(0.5)
        worker.kill()
        worker.wait()

    runtime.runner.catch_up()
    head = council.log_position()
    assert head == written[-1]
    assert set(runtime.runner.positions().values()) == {head}
    with runtime.database.transaction() as cur:
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT log_position) FROM history")
        total, distinct = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM recommendations")
        (catalogued,) = cur.fetchone()
    assert total == distinct == head
    assert catalogued == head
    report = replay(runtime.database, council.recorder, council.mapper)
    assert report.equal, "\n".join(report.lines())
