"""`council project --rebuild`: the read models emptied and projected again, in several processes.

On PostgreSQL the read models are split into groups of about the same work (``rebuild_cost``) and
each group is rebuilt by a process of its own, reading the log for itself: the work of the
handlers, the writes and the index builds is shared between CPUs, which one Python process cannot
do. This process rebuilds the costliest group itself; the others go to processes started at the
outset, which prepare (a fresh interpreter, its imports and connections) while this one empties
the read models, and begin once it has. SQLite has a single writer, so it is rebuilt in one
process. A group that fails stops the others at the end of their batch and leaves the read models
part-built; the rebuild fails with ``RebuildFailed``, which says so (run it again: a rebuild starts
from empty tables).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.synchronize import Event

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.base import Projection
from projections.replay import empty, rebuild_group, split
from projections.runner import ProjectionRunner

# Beyond a few groups each process spends most of its time reading the log the others read too.
MAX_DEFAULT_JOBS = 4
# How often a process waiting for the emptying checks that the one doing it is still there.
PARENT_CHECK_SECONDS = 1.0


def default_jobs() -> int:
    return max(1, min(MAX_DEFAULT_JOBS, os.cpu_count() or 1))


class RebuildFailed(RuntimeError):
    """A rebuild that did not finish: which read models, why, and the state it left them in."""


def rebuild_read_models(runtime: Runtime, *, jobs: int | None = None) -> int:
    """Rebuild every read model of ``runtime`` in up to ``jobs`` processes, this one included
    (default: one per CPU, up to ``MAX_DEFAULT_JOBS``); returns how far the read models moved
    (log positions summed over them, as ``projections.replay.rebuild``).

    Raises ``RebuildFailed`` when the emptying fails (the read models are then as they were) or a
    group's rebuild does (they are part-built until a rebuild succeeds). A failing group stops the
    others at the end of their current batch, rather than letting them run to the end for nothing.
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"the number of processes must be at least 1, not {jobs}")
    groups = split(runtime.projections, jobs)
    council = runtime.council
    head = council.recorder.max_notification_id() or 0
    if runtime.database.engine != "postgres" or len(groups) == 1:
        _empty(runtime, head)
        return _rebuilt(
            runtime.projections, lambda: rebuild_group(runtime.database, runtime.runner, head)
        )
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
            parts = {
                pool.submit(_rebuild_part, runtime.settings, [p.name for p in group], head): group
                for group in elsewhere
            }
            _empty(runtime, head)
        except BaseException:
            abandoned.set()
            raise
        finally:
            emptied.set()

        def failed_elsewhere() -> bool:
            if any(part.done() and part.exception() is not None for part in parts):
                abandoned.set()  # the other groups stop too
                return True
            return False

        try:
            moved = _rebuilt(
                here,
                lambda: rebuild_group(
                    runtime.database, _runner(runtime, here), head, stop=failed_elsewhere
                ),
            )
            for part, group in parts.items():
                moved += _rebuilt(group, part.result)
        except BaseException:
            abandoned.set()
            raise
        return moved


def _empty(runtime: Runtime, head: int) -> None:
    try:
        empty(runtime.database, runtime.projections, runtime.council.recorder, head=head)
    except Exception as error:
        raise RebuildFailed(
            f"the read models could not be emptied, and are as they were: {_cause(error)}"
        ) from error


def _rebuilt(group: list[Projection], rebuilding: Callable[[], int]) -> int:
    """What ``rebuilding`` the read models of ``group`` returns, or ``RebuildFailed``."""
    try:
        return rebuilding()
    except Exception as error:
        names = ", ".join(p.name for p in group)
        raise RebuildFailed(
            f"rebuilding the read models {names} failed: {_cause(error)}. The read models stay"
            " part-built until a rebuild succeeds: run it again"
        ) from error


def _cause(error: BaseException) -> str:
    if isinstance(error, BrokenProcessPool):
        return "a process of the rebuild ended abruptly"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


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
        return rebuild_group(runtime.database, runner, head, stop=_abandoned.is_set)
    finally:
        runtime.close()
