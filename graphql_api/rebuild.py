"""`council project --rebuild`: the read models emptied and projected again, in several processes.

On PostgreSQL the read models are split into groups of about the same work (``rebuild_cost``) and
each group is rebuilt by a process of its own, reading the log for itself: the work of the
handlers, the writes and the index builds is shared between CPUs, which one Python process cannot
do. This process rebuilds the costliest group itself; the others go to processes started at the
outset, which prepare (a fresh interpreter, its imports and connections) while this one empties
the read models, and begin once it has. SQLite has a single writer, so it is rebuilt in one
process. The history, which has a line for every event, is rebuilt in two parts, each in the
group of the read models that read the same events (``projections.history_parts``), unless a
`council project` is keeping it: this process holds its worker's lock for the length of the
rebuild, so that no worker applies its events beside the parts. A group that fails stops the
others at the end of their batch and leaves the read models part-built (the history emptied, for
a worker to rebuild alone); the rebuild fails with ``RebuildFailed``, which says so (run it again:
a rebuild starts from empty tables). An interrupted rebuild stops the others the same way; the
other processes of one that is killed end on their own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.synchronize import Event
from typing import Any

import psycopg
import structlog

from graphql_api.logging import configure_logging
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.base import Projection
from projections.registry import REBUILT_IN_PARTS, in_parts, part_names
from projections.replay import empty, rebuild_group, reset_unfinished_parts, split
from projections.runner import ProjectionRunner
from projections.worker import try_lock

log = structlog.get_logger("council.project")

# Beyond a few groups each process spends most of its time reading the log the others read too.
MAX_DEFAULT_JOBS = 4


def default_jobs() -> int:
    return max(1, min(MAX_DEFAULT_JOBS, os.cpu_count() or 1))


class RebuildFailed(RuntimeError):
    """A rebuild that did not finish: which read models, why, and the state it left them in."""


class PartFailed(Exception):
    """A group's failure in a process of its own, as one line: it always travels back to the
    parent, where the exception it stands for might not unpickle."""


def rebuild_read_models(runtime: Runtime, *, jobs: int | None = None) -> int:
    """Rebuild every read model of ``runtime`` in up to ``jobs`` processes, this one included
    (default: one per CPU, up to ``MAX_DEFAULT_JOBS``); returns how far the read models moved
    (log positions summed over them, as ``projections.replay.rebuild``).

    Raises ``RebuildFailed``, in one line: either the rebuild failed before it emptied anything
    (the read models are as they were), or a group's rebuild failed, which stops the others after
    their current batch (the read models are part-built until a rebuild succeeds).
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"the number of processes must be at least 1, not {jobs}")
    try:
        head = runtime.council.recorder.max_notification_id() or 0
    except Exception as error:
        raise _as_they_were(error) from error
    if runtime.database.engine != "postgres" or len(split(runtime.projections, jobs)) == 1:
        _empty(runtime, head)
        try:
            return rebuild_group(runtime.database, runtime.runner, head)
        except Exception as error:
            raise _part_built([(runtime.projections, error)]) from error
    try:
        locks = psycopg.connect(runtime.settings.database.conninfo(), autocommit=True)
    except Exception as error:
        raise _as_they_were(error) from error
    with locks:
        splittable = [p for p in runtime.projections if p.name in REBUILT_IN_PARTS]
        parted = _unkept(locks, runtime, splittable)
        units = [*(p for p in runtime.projections if p not in parted), *in_parts(parted)]
        moved = _rebuild_in_groups(runtime, split(units, jobs), head, parted)
    # Each part moved as far as the read model it is part of.
    return moved - head * (len(units) - len(runtime.projections))


def _unkept(
    locks: psycopg.Connection[Any], runtime: Runtime, projections: list[Projection]
) -> list[Projection]:
    """Those of ``projections`` that no `council project` is keeping: this process takes their
    workers' locks, kept until ``locks`` closes, so that none starts to apply their events while
    their parts rebuild them (under tracking rows of their own). One that a worker keeps is
    rebuilt whole."""
    schema = runtime.settings.schema
    try:
        return [projection for projection in projections if try_lock(locks, schema, projection)]
    except Exception as error:
        raise _as_they_were(error) from error


def _join_parts(runtime: Runtime, parted: list[Projection], head: int) -> None:
    """Every part has reached ``head``: so has the read model it is part of."""
    if not parted:
        return
    with runtime.database.transaction() as cur:
        cur.executemany(
            "UPDATE projection_tracking SET position = ? WHERE projection = ?",
            [(head, p.name) for p in parted],
        )
        cur.executemany(
            "DELETE FROM projection_tracking WHERE projection = ?",
            [(name,) for name in part_names(parted)],
        )


def _undo_parts(runtime: Runtime, parted: list[Projection]) -> None:
    """After a failed rebuild, the read models rebuilt in parts are emptied again, at position 0
    (a worker can then rebuild them alone): their parts cannot carry on from where they
    stopped. Should this fail too, the next worker or rebuild to take them empties them."""
    try:
        reset_unfinished_parts(runtime.database, parted)
    except Exception:
        log.warning("the read models rebuilt in parts could not be emptied again", exc_info=True)


def _rebuild_in_groups(
    runtime: Runtime, groups: list[list[Projection]], head: int, parted: list[Projection]
) -> int:
    """Empty the read models, then rebuild the costliest group here and each other in a
    process of its own; the read models ``parted`` are rebuilt by their parts, among the groups."""
    here = max(groups, key=lambda group: sum(p.rebuild_cost for p in group))
    elsewhere = [group for group in groups if group is not here]
    failures: list[tuple[list[Projection], Exception]] = []
    moved = 0
    try:
        # Spawned, not forked: a child starts without the parent's connections and threads.
        context = get_context("spawn")
        emptied, abandoned = context.Event(), context.Event()
        pool = ProcessPoolExecutor(
            max_workers=len(elsewhere),
            mp_context=context,
            initializer=_child_started,
            initargs=(emptied, abandoned),
        )
    except Exception as error:
        raise _as_they_were(error) from error
    cleared = joined = False
    try:
        with pool:
            parts: dict[Future[int], list[Projection]] = {}
            try:
                for group in elsewhere:
                    names = [p.name for p in group]
                    part = pool.submit(_rebuild_part, runtime.settings, names, head)
                    part.add_done_callback(_abandon_on_failure(abandoned))
                    parts[part] = group
                _empty(runtime, head)
                cleared = True
            except BaseException as error:
                abandoned.set()
                if isinstance(error, RebuildFailed) or not isinstance(error, Exception):
                    raise
                raise _as_they_were(error) from error
            finally:
                emptied.set()
            try:
                try:
                    moved = rebuild_group(
                        runtime.database, _runner(runtime, here), head, stop=abandoned.is_set
                    )
                except Exception as error:
                    abandoned.set()
                    failures.append((here, error))
                for part, group in parts.items():
                    try:
                        moved += part.result()
                    except Exception as error:
                        failures.append((group, error))
            except BaseException:  # interrupted: the other processes stop after their batch
                abandoned.set()
                raise
        if failures:
            raise _part_built(failures) from _chained([error for _, error in failures])
        try:
            _join_parts(runtime, parted, head)
        except Exception as error:
            raise _part_built([(parted, error)]) from error
        joined = True
    finally:
        if cleared and not joined:  # every process has stopped
            _undo_parts(runtime, parted)
    return moved


def _chained(errors: list[Exception]) -> Exception:
    """What a rebuild's error is raised from: each process's error, with its traceback."""
    return errors[0] if len(errors) == 1 else ExceptionGroup("the groups that failed", errors)


def _abandon_on_failure(abandoned: Event) -> Callable[[Future[int]], None]:
    """A callback for a group's future: when it fails, every other group stops after its batch."""

    def done(part: Future[int]) -> None:
        if not part.cancelled() and part.exception() is not None:
            abandoned.set()

    return done


def _empty(runtime: Runtime, head: int) -> None:
    try:
        empty(runtime.database, runtime.projections, runtime.council.recorder, head=head)
    except Exception as error:
        raise _as_they_were(error) from error


def _as_they_were(error: BaseException) -> RebuildFailed:
    return RebuildFailed(
        f"the rebuild failed before it emptied the read models, which are as they were:"
        f" {_cause(error)}"
    )


def _part_built(failures: list[tuple[list[Projection], Exception]]) -> RebuildFailed:
    names = ", ".join(dict.fromkeys(p.part_of or p.name for group, _ in failures for p in group))
    causes = "; ".join(dict.fromkeys(_cause(error) for _, error in failures))
    return RebuildFailed(
        f"rebuilding the read models {names} failed: {causes}. Every read model was emptied,"
        " and they stay part-built until a rebuild succeeds: run it again"
    )


def _cause(error: BaseException) -> str:
    """The error in one line."""
    if isinstance(error, BrokenProcessPool) and error.__cause__ is None:
        return "a process of the rebuild ended abruptly"
    if isinstance(error, PartFailed):
        return str(error)
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _runner(runtime: Runtime, group: list[Projection]) -> ProjectionRunner:
    council = runtime.council
    return ProjectionRunner(runtime.database, council.recorder, council.mapper, group)


# In a child: set when the read models are empty, and when they will not be (the parent failed).
_emptied: Event | None = None
_abandoned: Event | None = None


def _child_started(emptied: Event, abandoned: Event) -> None:
    global _emptied, _abandoned  # what the pool hands each child as it starts
    _emptied, _abandoned = emptied, abandoned
    threading.Thread(target=_exit_when_parent_gone, daemon=True).start()


def _exit_when_parent_gone(exit: Callable[[int], object] = os._exit) -> None:
    """In a child, for its whole life: end it when the process that started it is gone (killed,
    say), rather than let it rebuild, then wait for work, with no one to report to. A batch it
    was in the middle of is rolled back with its connection."""
    parent = parent_process()
    if parent is not None:
        parent.join()
    exit(1)


def _rebuild_part(settings: Settings, names: list[str], head: int) -> int:
    """In a process of its own: once the parent has emptied the read models, project the log up
    to ``head`` into ``names``."""
    if _emptied is None or _abandoned is None:
        raise PartFailed("a rebuild's process started without its parent's signals")
    try:
        configure_logging(settings)  # its log lines as the command's
        runtime = Runtime(settings)
        try:
            known = {p.name: p for p in [*runtime.projections, *in_parts(runtime.projections)]}
            runner = _runner(runtime, [known[name] for name in names])
            _emptied.wait()  # or the parent failed to empty them (abandoned), or it is gone
            if _abandoned.is_set():
                return 0
            return rebuild_group(runtime.database, runner, head, stop=_abandoned.is_set)
        finally:
            runtime.close()
    except BaseException as error:
        _abandoned.set()  # the other groups stop too, without waiting for the parent to hear
        raise PartFailed(_cause(error)) from error
