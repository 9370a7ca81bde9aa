"""`council project --rebuild`: the read models emptied and projected again, in several processes.

On PostgreSQL the read models are split into groups of about the same work (``rebuild_cost``) and
each group is rebuilt by a process of its own, reading the log for itself: the work of the
handlers, the writes and the index builds is shared between CPUs, which one Python process cannot
do. This process rebuilds the costliest group itself; the others go to processes started at the
outset, which prepare (a fresh interpreter, its imports and connections) while this one empties
the read models, and begin once it has. SQLite has a single writer, so it is rebuilt in one
process. A group that fails leaves its read models part-built and the rebuild fails (run it again:
a rebuild starts from empty tables).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context, parent_process
from multiprocessing.synchronize import Event

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.base import Projection
from projections.replay import empty, rebuild, rebuild_group, split
from projections.runner import ProjectionRunner

# Beyond a few groups each process spends most of its time reading the log the others read too.
MAX_DEFAULT_JOBS = 4
# How often a process waiting for the emptying checks that the one doing it is still there.
PARENT_CHECK_SECONDS = 1.0


def default_jobs() -> int:
    return max(1, min(MAX_DEFAULT_JOBS, os.cpu_count() or 1))


def rebuild_read_models(runtime: Runtime, *, jobs: int | None = None) -> int:
    """Rebuild every read model of ``runtime`` in up to ``jobs`` processes, this one included
    (default: one per CPU, up to ``MAX_DEFAULT_JOBS``); returns how far the read models moved
    (log positions summed over them, as ``projections.replay.rebuild``)."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"the number of processes must be at least 1, not {jobs}")
    groups = split(runtime.projections, jobs)
    if runtime.database.engine != "postgres" or len(groups) == 1:
        return rebuild(runtime.database, runtime.runner)
    council = runtime.council
    head = council.recorder.max_notification_id() or 0
    here = max(groups, key=lambda group: sum(p.rebuild_cost for p in group))
    elsewhere = [group for group in groups if group is not here]
    # Spawned, not forked: a child starts without the parent's connections and threads.
    context = get_context("spawn")
    emptied, abandoned = context.Event(), context.Event()
    with ProcessPoolExecutor(
        max_workers=len(elsewhere),
        mp_context=context,
        initializer=_child_started,
        initargs=(emptied, abandoned),
    ) as pool:
        try:
            parts = [
                pool.submit(_rebuild_part, runtime.settings, [p.name for p in group], head)
                for group in elsewhere
            ]
            empty(runtime.database, runtime.projections, council.recorder, head=head)
        except BaseException:
            abandoned.set()
            raise
        finally:
            emptied.set()
        moved = rebuild_group(runtime.database, _runner(runtime, here), head)
        return moved + sum(part.result() for part in parts)


def _runner(runtime: Runtime, group: list[Projection]) -> ProjectionRunner:
    council = runtime.council
    return ProjectionRunner(runtime.database, council.recorder, council.mapper, group)


# In a child: set when the read models are empty, and when they will not be (the parent failed).
_emptied: Event | None = None
_abandoned: Event | None = None


def _child_started(emptied: Event, abandoned: Event) -> None:
    global _emptied, _abandoned  # what the pool hands each child as it starts
    _emptied, _abandoned = emptied, abandoned


def _rebuild_part(settings: Settings, names: list[str], head: int) -> int:
    """In a process of its own: once the parent has emptied the read models, project the log up
    to ``head`` into ``names``."""
    runtime = Runtime(settings)
    try:
        runner = _runner(runtime, [p for p in runtime.projections if p.name in names])
        if _emptied is None or _abandoned is None:
            raise RuntimeError("a rebuild's process started without its parent's signals")
        # Until the parent has emptied the read models, or has gone without saying so.
        while not _emptied.wait(PARENT_CHECK_SECONDS):
            parent = parent_process()
            if parent is None or not parent.is_alive():
                return 0
        if _abandoned.is_set():
            return 0
        return rebuild_group(runtime.database, runner, head)
    finally:
        runtime.close()
