"""`council project --rebuild`: the read models emptied and projected again, in several processes.

On PostgreSQL the read models are split into groups of about the same work (``rebuild_cost``) and
each group is rebuilt by a process of its own, reading the log for itself: the work of the
handlers, the writes and the index builds is shared between CPUs, which one Python process cannot
do. SQLite has a single writer, so it is rebuilt in one process. The emptying comes first, once, in
this process; a group that fails leaves its read models part-built and the rebuild fails (run it
again: a rebuild starts from empty tables).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.replay import empty, rebuild, rebuild_group, split
from projections.runner import ProjectionRunner

# Beyond a few groups each process spends most of its time reading the log the others read too.
MAX_DEFAULT_JOBS = 4


def default_jobs() -> int:
    return max(1, min(MAX_DEFAULT_JOBS, os.cpu_count() or 1))


def rebuild_read_models(runtime: Runtime, *, jobs: int | None = None) -> int:
    """Rebuild every read model of ``runtime`` in up to ``jobs`` processes (default: one per CPU,
    up to ``MAX_DEFAULT_JOBS``); returns how far the read models moved (log positions summed over
    them, as ``projections.replay.rebuild``)."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"the number of processes must be at least 1, not {jobs}")
    groups = split(runtime.projections, jobs)
    if runtime.database.engine != "postgres" or len(groups) == 1:
        return rebuild(runtime.database, runtime.runner)
    council = runtime.council
    head = empty(runtime.database, runtime.projections, council.recorder)
    # Spawned, not forked: a child starts without the parent's connections and threads.
    with ProcessPoolExecutor(max_workers=len(groups), mp_context=get_context("spawn")) as pool:
        parts = [
            pool.submit(_rebuild_part, runtime.settings, [p.name for p in group], head)
            for group in groups
        ]
        return sum(part.result() for part in parts)


def _rebuild_part(settings: Settings, names: list[str], head: int) -> int:
    """In a process of its own: project the log up to ``head`` into the emptied ``names``."""
    runtime = Runtime(settings)
    try:
        group = [p for p in runtime.projections if p.name in names]
        council = runtime.council
        runner = ProjectionRunner(runtime.database, council.recorder, council.mapper, group)
        return rebuild_group(runtime.database, runner, group, head)
    finally:
        runtime.close()
