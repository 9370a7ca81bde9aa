"""Rebuild and replay: the read models recomputed from the log, and compared with the live ones.

`council replay` rebuilds every read model into a scratch schema (PostgreSQL) or a scratch file
(SQLite), each projection up to the log position its live twin has reached, then compares the two
table by table. `rebuild` empties the live read models and projects the whole log again.
"""

from __future__ import annotations

import gc
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog
from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.base import Projection
from projections.db import Database, DatabaseUrl
from projections.registry import REBUILT_IN_PARTS, all_projections, part_names
from projections.runner import REBUILD_BATCH_SIZE, ProjectionRunner, create_tables

log = structlog.get_logger("council.project")

SAMPLE = 5
# Memory for building an index at the end of a rebuild (PostgreSQL; for that transaction only),
# and how many indexes are built at once.
INDEX_MEMORY = "256MB"
INDEX_BUILDERS = 2


@dataclass(frozen=True)
class TableComparison:
    table: str
    live_rows: int
    rebuilt_rows: int
    only_live: list[tuple[Any, ...]] = field(default_factory=list)
    only_rebuilt: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.only_live and not self.only_rebuilt


@dataclass(frozen=True)
class ReplayReport:
    positions: dict[str, int]
    tables: list[TableComparison]

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    def lines(self) -> list[str]:
        out = []
        for t in self.tables:
            verdict = "equal" if t.equal else "DIFFERS"
            out.append(f"{t.table}: {verdict} ({t.live_rows} live rows, {t.rebuilt_rows} rebuilt)")
            out.extend(f"  only in the live table:    {row!r}" for row in t.only_live)
            out.extend(f"  only in the rebuilt table: {row!r}" for row in t.only_rebuilt)
        return out


def _rows(database: Database, tables: Sequence[str]) -> dict[str, Counter[tuple[Any, ...]]]:
    result = {}
    with database.transaction(snapshot=True) as cur:
        for table in tables:
            cur.execute(f"SELECT * FROM {table}")  # noqa: S608 - table names are our own
            result[table] = Counter(tuple(row) for row in cur.fetchall())
    return result


def _snapshot(
    database: Database, projections: Sequence[Projection]
) -> tuple[dict[str, int], dict[str, Counter[tuple[Any, ...]]]]:
    """Live positions and rows, read in one consistent snapshot."""
    tables = [t for p in projections for t in p.tables]
    with database.transaction(snapshot=True) as cur:
        cur.execute("SELECT projection, position FROM projection_tracking")
        positions = {str(name): int(pos) for name, pos in cur.fetchall()}
        rows = {}
        for table in tables:
            cur.execute(f"SELECT * FROM {table}")  # noqa: S608 - table names are our own
            rows[table] = Counter(tuple(row) for row in cur.fetchall())
    return {p.name: positions.get(p.name, 0) for p in projections}, rows


def scratch_database(live: Database, directory: Path | None = None) -> Database:
    """An empty place to rebuild into, beside the live read models."""
    url = live.url
    if url.engine == "sqlite":
        folder = directory or (url.path.resolve().parent if url.path else Path.cwd())
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the file outlives this function
            prefix="council-replay-", suffix=".db", dir=folder, delete=False
        )
        handle.close()
        Path(handle.name).unlink()
        return Database(DatabaseUrl(engine="sqlite", path=Path(handle.name)))
    # A name of its own, so that two replays at once never rebuild into each other's tables.
    name = f"{url.read_schema}_replay_{secrets.token_hex(4)}"
    scratch = Database(replace(url, read_schema_name=name))
    scratch.drop_read_schema()
    scratch.ensure_schemas()
    return scratch


def replay(live: Database, recorder: ApplicationRecorder, mapper: Mapper[Any]) -> ReplayReport:
    """Rebuild every read model into scratch space and compare it with the live one."""
    projections = all_projections(live.engine)
    positions, live_rows = _snapshot(live, projections)
    scratch = scratch_database(live)
    try:
        create_tables(scratch, projections)
        # Nothing queries the scratch tables but the comparison, which reads them whole.
        with scratch.transaction() as cur:
            for projection in projections:
                for name, _ in projection.secondary_indexes():
                    cur.execute(f"DROP INDEX IF EXISTS {name}")
        runner = ProjectionRunner(scratch, recorder, mapper, projections)
        # Projections that stand at the same live position are rebuilt together, the log read once.
        with _no_cycle_collection():
            for target in sorted(set(positions.values())):
                group = [p for p in projections if positions[p.name] >= target]
                runner.catch_up(*group, until=target, batch_size=REBUILD_BATCH_SIZE, durable=False)
        rebuilt_rows = _rows(scratch, [t for p in projections for t in p.tables])
    finally:
        if scratch.engine == "postgres":
            scratch.drop_read_schema()
        else:
            scratch.drop_schemas()
    tables = []
    for table, live_counter in live_rows.items():
        rebuilt_counter = rebuilt_rows[table]
        only_live = list((live_counter - rebuilt_counter).elements())
        only_rebuilt = list((rebuilt_counter - live_counter).elements())
        tables.append(
            TableComparison(
                table,
                sum(live_counter.values()),
                sum(rebuilt_counter.values()),
                sorted(only_live, key=repr)[:SAMPLE],
                sorted(only_rebuilt, key=repr)[:SAMPLE],
            )
        )
    return ReplayReport(positions, tables)


def rebuild(live: Database, runner: ProjectionRunner) -> int:
    """Empty every live read model and project the log again; returns how far the read models
    moved (log positions summed over them, as ``ProjectionRunner.run_batch``).

    The log is read once for all the read models, in large batches of one transaction each, up to
    the event that was last when the rebuild began: later ones are the workers' to apply (with a
    worker running beside it, a rebuild chasing new events would take turns with it forever).

    On PostgreSQL the tables' non-unique indexes (the full-text GIN indexes among them) are
    dropped with the emptying and created again at the end, in one pass over full tables, rather
    than kept up to date row by row. They only serve reads, so the batches in between, a worker's
    included, are correct without them. Should the rebuild die before its end, the indexes are
    created again by the next rebuild or migration (``CREATE INDEX IF NOT EXISTS``). Its batches
    commit without waiting for the disk (``durable=False``): a rebuild can be done again.

    ``empty`` and ``rebuild_group`` are its two halves, for a rebuild shared between processes
    (``split``): one empties, then each process projects its group.
    """
    head = empty(live, runner.projections, runner.recorder)
    return rebuild_group(live, runner, head)


def empty(
    live: Database,
    projections: Sequence[Projection],
    recorder: ApplicationRecorder,
    *,
    head: int | None = None,
) -> int:
    """Empty the read models and move their positions back to the start; returns where their
    rebuild ends: ``head``, by default the position of the last event in the log."""
    if head is None:
        head = recorder.max_notification_id() or 0
    tables = [t for p in projections for t in (*p.tables, *p.search_tables())]
    postgres = live.engine == "postgres"
    names = sorted((projection.name,) for projection in projections)
    with live.transaction() as cur:
        # The tracking rows first (by name), then the tables: the order a runner's batch takes
        # its locks in, so that a rebuild beside a running worker waits rather than deadlocks.
        cur.executemany("UPDATE projection_tracking SET position = 0 WHERE projection = ?", names)
        # Parts left by a rebuild that did not end start again from the beginning, as new.
        cur.executemany(
            "DELETE FROM projection_tracking WHERE projection = ?",
            [(name,) for name in part_names(projections)],
        )
        if postgres:
            cur.execute(f"TRUNCATE {', '.join(tables)}")
            schema = live.url.read_schema
            for projection in projections:
                for name, _ in projection.secondary_indexes():
                    cur.execute(f'DROP INDEX IF EXISTS "{schema}".{name}')
        else:
            for table in tables:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are our own
    return head


def reset_unfinished_parts(live: Database, projections: Sequence[Projection]) -> list[Projection]:
    """Empty again, at position 0, those of ``projections`` that a rebuild in parts left
    unfinished, and return them.

    A rebuild that shares a read model out in parts (``projections.registry.REBUILT_IN_PARTS``)
    gives each part a tracking row of its own, and deletes those rows when it sets the read
    model's position at its end, or empties the read model again when it fails. Should the
    rebuild die before either (killed, the machine lost), the rows remain: the read model holds
    lines its parts wrote at a position of 0, which applying the log from there would write twice.
    Its parts cannot carry on from where they stopped (they keep in memory what they learn), so
    the read model starts again from empty. The caller keeps the read models from being applied
    meanwhile: a worker holds their locks, which a rebuild in parts holds for its whole length.
    """
    names = part_names(projections)
    if not names:
        return []
    marks = ", ".join("?" * len(names))
    with live.transaction() as cur:
        cur.execute(
            f"SELECT projection FROM projection_tracking WHERE projection IN ({marks})",  # noqa: S608
            tuple(names),
        )
        left = {str(name) for (name,) in cur.fetchall()}
        unfinished = [
            projection
            for projection in projections
            if any(part.name in left for part in REBUILT_IN_PARTS.get(projection.name, ()))
        ]
        if not unfinished:
            return []
        cur.executemany(
            "UPDATE projection_tracking SET position = 0 WHERE projection = ?",
            sorted((projection.name,) for projection in unfinished),
        )
        tables = [t for p in unfinished for t in (*p.tables, *p.search_tables())]
        if live.engine == "postgres":
            cur.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are our own
        cur.executemany(
            "DELETE FROM projection_tracking WHERE projection = ?", [(name,) for name in names]
        )
    return unfinished


def split(projections: Sequence[Projection], parts: int) -> list[list[Projection]]:
    """The projections in at most ``parts`` groups of about the same ``rebuild_cost``: the
    costliest first, each to the group that has the least so far. A projection rebuilt beside
    another (``rebuilt_beside``: it handles the same events, which a group reads once) goes with
    it, the two weighed as one."""
    names = {p.name for p in projections}
    bundles: dict[str, list[Projection]] = {}
    for projection in projections:
        if projection.rebuilt_beside not in names:
            bundles[projection.name] = [projection]
    for projection in projections:
        if projection.rebuilt_beside in names:
            bundles[projection.rebuilt_beside].append(projection)
    groups: list[list[Projection]] = [[] for _ in range(max(1, min(parts, len(bundles))))]
    costs = [0.0] * len(groups)
    for bundle in sorted(bundles.values(), key=_cost, reverse=True):
        lightest = costs.index(min(costs))
        groups[lightest].extend(bundle)
        costs[lightest] += _cost(bundle)
    return [group for group in groups if group]


def _cost(projections: Sequence[Projection]) -> float:
    return sum(p.rebuild_cost for p in projections)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for the length of a rebuild.

    A batch keeps tens of thousands of notifications, events and rows alive at once, and the
    collector, woken every few hundred allocations, would walk them again and again (a tenth of a
    rebuild's time, measured on the benchmark's log). Reference counting frees a batch when it
    ends; the rebuild makes no reference cycles of its own (its peak memory is the same with the
    collector paused), and whatever other cycles there are wait for the collector's return.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rebuild_group(
    live: Database, runner: ProjectionRunner, head: int, *, stop: Callable[[], bool] | None = None
) -> int:
    """Project the log up to ``head`` into the runner's emptied read models, then create their
    indexes; returns how far they moved (as ``rebuild``). ``stop``, asked after each batch, ends
    the projecting early (another part of the rebuild has failed); the indexes are still made."""
    group = runner.projections
    indexes = [i for p in group for i in p.secondary_indexes()] if live.engine == "postgres" else []
    names = [p.name for p in group]
    started = time.perf_counter()
    try:
        with _no_cycle_collection():
            return runner.catch_up(
                *group, until=head, batch_size=REBUILD_BATCH_SIZE, durable=False, stop=stop
            )
    finally:
        projected = time.perf_counter()
        log.debug("read models projected", projections=names, seconds=round(projected - started, 2))
        if indexes:
            with live.transaction() as cur:
                # The order a runner's batch takes its locks in: a worker's batch waits until
                # the indexes are back.
                cur.execute(
                    "SELECT position FROM projection_tracking WHERE projection = ANY(?)"
                    " ORDER BY projection FOR UPDATE",
                    (sorted(p.name for p in group),),
                )
                # It waits, idle, while other transactions build the indexes.
                cur.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                _create_indexes(live, [statement for _, statement in indexes])
            log.debug(
                "read models' indexes built",
                projections=names,
                seconds=round(time.perf_counter() - projected, 2),
            )


def _create_indexes(live: Database, statements: Sequence[str]) -> None:
    """Build the indexes ``INDEX_BUILDERS`` at a time, each in a transaction of its own, the
    full-text ones (the costliest) first: a server builds one index on one CPU (a full-text one
    always), and at the end of a rebuild the others are often idle."""

    def create(statement: str) -> None:
        with live.transaction() as cur:
            cur.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
            cur.execute(statement)

    ordered = sorted(statements, key=lambda statement: " USING GIN " not in statement)
    with ThreadPoolExecutor(INDEX_BUILDERS) as pool:
        for built in [pool.submit(create, statement) for statement in ordered]:
            built.result()
