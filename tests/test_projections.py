"""Read models: what the scenario leaves in them, exactly once, and equal to a rebuild."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import Notification

from domain.organisation import Organisation
from domain.values import SYSTEM_ACTOR_ID, Actor
from graphql_api import rebuild as rebuild_module
from graphql_api.cli import main
from graphql_api.rebuild import RebuildFailed, rebuild_read_models
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.base import BINARY_ROWS, Writer
from projections.history_parts import HistoryPart
from projections.registry import in_parts
from projections.replay import (
    empty,
    rebuild,
    rebuild_group,
    replay,
    reset_unfinished_parts,
    split,
)
from projections.runner import ProjectionRunner
from projections.worker import Supervisor, advisory_key
from tests.scenario import World, build_world, play_round


def rows(runtime: Runtime, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with runtime.database.transaction() as cur:
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


@pytest.fixture
def played(runtime: Runtime) -> tuple[World, Any]:
    world = build_world(runtime.council)
    record = play_round(world)
    runtime.runner.catch_up()
    return world, record


def test_every_projection_reaches_the_head_of_the_log_even_through_events_it_ignores(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    head = runtime.council.log_position()
    assert set(runtime.runner.positions().values()) == {head}


def test_co_signatures_stay_on_the_revision_they_were_given_on(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    world, record = played
    found = rows(
        runtime,
        "SELECT organisation_id, revision, status FROM co_signatures WHERE assessment_id = ?"
        " ORDER BY log_position",
        str(record.assessment_id),
    )
    b, c = str(world.organisations["cso_b"]), str(world.organisations["cso_c"])
    assert found == [(b, 2, "superseded"), (c, 2, "withdrawn"), (b, 3, "active")]
    assessment = rows(
        runtime,
        "SELECT state, revision, submitted_revision, visibility FROM assessments WHERE id = ?",
        str(record.assessment_id),
    )
    assert assessment == [("submitted", 3, 3, "council")]
    revisions = rows(
        runtime,
        "SELECT revision, rating FROM assessment_revisions WHERE assessment_id = ? ORDER BY 1",
        str(record.assessment_id),
    )
    assert revisions == [
        (1, "not_implemented"),
        (2, "partially_implemented"),
        (3, "partially_implemented"),
    ]


def test_the_published_position_and_the_status_that_rests_on_it(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    world, record = played
    position = rows(
        runtime,
        "SELECT state, visibility, revision, adopted_revision, published_revision"
        " FROM joint_positions WHERE id = ?",
        str(record.position_id),
    )
    assert position == [("published", "public", 2, 2, 2)]
    amendment = rows(
        runtime,
        "SELECT state, resulting_revision FROM amendments WHERE id = ?",
        str(record.amendment_id),
    )
    assert amendment == [("accepted", 2)]
    stances = rows(
        runtime,
        "SELECT kind, organisation_id, revision FROM position_stances WHERE position_id = ?",
        str(record.position_id),
    )
    assert stances == [("dissent", str(world.organisations["cso_b"]), 2)]
    timeline = rows(
        runtime,
        "SELECT status, basis, joint_position_id, position_revision FROM status_timeline"
        " WHERE recommendation_id = ?",
        str(world.recommendation_id),
    )
    assert timeline == [("partially_implemented", "adopted_position", str(record.position_id), 2)]
    status = rows(
        runtime, "SELECT status FROM recommendations WHERE id = ?", str(world.recommendation_id)
    )
    assert status == [("partially_implemented",)]


def test_the_history_tells_who_did_what_in_words_a_person_reads(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    _, record = played
    lines = [
        r[0]
        for r in rows(
            runtime,
            "SELECT summary FROM history WHERE subject_id = ? ORDER BY log_position",
            str(record.assessment_id),
        )
    ]
    label = "the assessment of A/HRC/23/15 ¶131.4 by Belgrade Centre for Human Rights"
    assert f"Lawyers' Committee for Human Rights co-signed revision 3 of {label}" in lines
    assert any(
        line.startswith("Civic Initiatives withdrew its co-signature of revision 2")
        for line in lines
    )
    assert (
        f"Belgrade Centre for Human Rights submitted revision 3 of {label} with 1 co-signature(s)"
        in lines
    )
    positions = rows(
        runtime, "SELECT summary FROM history WHERE subject_id = ?", str(record.position_id)
    )
    assert any("recorded dissent on revision 2" in r[0] for r in positions)
    assert any(r[0].startswith("The Council adopted revision 2") for r in positions)
    count = rows(runtime, "SELECT COUNT(*) FROM history")[0][0]
    assert count == runtime.council.log_position()


def test_catching_up_again_applies_nothing_twice(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    before = rows(runtime, "SELECT COUNT(*) FROM history")
    assert runtime.runner.catch_up() == 0
    assert rows(runtime, "SELECT COUNT(*) FROM history") == before


def test_replay_finds_the_read_models_equal_to_a_rebuild_and_names_an_altered_row(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    council = runtime.council
    report = replay(runtime.database, council.recorder, council.mapper)
    assert report.equal, "\n".join(report.lines())
    assert {t.table for t in report.tables} >= {"recommendations", "co_signatures", "history"}

    _, record = played
    with runtime.database.transaction() as cur:
        cur.execute(
            "UPDATE co_signatures SET revision = 4 WHERE assessment_id = ? AND status = 'active'",
            (str(record.assessment_id),),
        )
    report = replay(runtime.database, council.recorder, council.mapper)
    assert not report.equal
    differing = [t for t in report.tables if not t.equal]
    assert [t.table for t in differing] == ["co_signatures"]
    assert differing[0].only_live[0][3] == 4
    assert any("co_signatures: DIFFERS" in line for line in report.lines())


def test_a_rebuild_from_scratch_gives_the_same_read_models(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    before = rows(runtime, "SELECT * FROM history ORDER BY log_position")
    applied = rebuild(runtime.database, runtime.runner)
    assert applied == runtime.council.log_position() * len(runtime.projections)
    assert rows(runtime, "SELECT * FROM history ORDER BY log_position") == before
    report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
    assert report.equal


def test_two_replays_at_once_each_rebuild_in_a_place_of_their_own(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    council = runtime.council
    with ThreadPoolExecutor(2) as pool:
        reports = list(
            pool.map(lambda _: replay(runtime.database, council.recorder, council.mapper), [1, 2])
        )
    assert all(report.equal for report in reports), [r.lines() for r in reports]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_council_replay_reports_equality_and_then_the_altered_table(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    council = str(Path(sys.executable).parent / "council")
    env = {"COUNCIL_DATABASE_URL": runtime.settings.database_url, "PATH": "/usr/bin:/bin"}
    same = subprocess.run([council, "replay"], env=env, capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    assert "history: equal" in same.stdout
    with runtime.database.transaction() as cur:
        cur.execute("UPDATE organisations SET name = 'Someone else' WHERE kind = 'observer'")
    differs = subprocess.run([council, "replay"], env=env, capture_output=True, text=True)
    assert differs.returncode == 1
    assert "organisations: DIFFERS (7 live rows, 7 rebuilt)" in differs.stdout
    assert "Someone else" in differs.stdout


def test_every_lookup_by_ids_answers_an_empty_list_with_nothing(runtime: Runtime) -> None:
    from projections.queries import (
        assessments,
        catalogue,
        comments,
        directory,
        history,
        joint_positions,
        reports,
    )
    from projections.queries.store import ReadStore

    lookups = [
        assessments.assessments_by_ids,
        catalogue.recommendations_by_ids,
        catalogue.status_timelines,
        comments.comments_by_subject,
        comments.comments_by_ids,
        comments.comment_versions,
        comments.comment_counts,
        directory.organisations_by_ids,
        directory.members_by_ids,
        directory.rounds_by_ids,
        directory.round_recommendation_ids,
        history.subjects_by_ids,
        joint_positions.joint_positions_by_ids,
        joint_positions.revisions_by_position,
        joint_positions.amendments_by_position,
        joint_positions.stances_by_position,
        joint_positions.adoptions_by_position,
        reports.lifecycle_by_subject,
        reports.reports_by_ids,
    ]
    store = ReadStore(runtime.settings.database)
    try:
        for lookup in lookups:
            assert not lookup(store, []), lookup.__name__
    finally:
        store.close()


def test_a_rebuild_leaves_every_index_of_the_read_models_in_place(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    def indexes() -> set[str]:
        if runtime.database.engine == "postgres":
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
        return {str(row[0]) for row in rows(runtime, sql)}

    secondary = {name for p in runtime.projections for name, _ in p.secondary_indexes()}
    before = indexes()
    assert secondary
    assert secondary <= before
    rebuild(runtime.database, runtime.runner)
    assert indexes() == before


def test_a_rebuild_in_several_processes_gives_the_same_read_models_and_indexes(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    def everything() -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: sorted(rows(runtime, f"SELECT * FROM {table}"), key=repr)
            for p in runtime.projections
            for table in p.tables
        }

    before = everything()
    index_sql = (
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        if runtime.database.engine == "postgres"
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    indexes = rows(runtime, index_sql)
    # On PostgreSQL: three processes; SQLite has one writer, and rebuilds in this one.
    applied = rebuild_read_models(runtime, jobs=3)
    head = runtime.council.log_position()
    assert applied == head * len(runtime.projections)
    assert set(runtime.runner.positions().values()) == {head}
    assert everything() == before
    assert sorted(rows(runtime, index_sql)) == sorted(indexes)
    assert replay(runtime.database, runtime.council.recorder, runtime.council.mapper).equal


def test_a_rebuild_is_shared_between_processes_by_the_cost_of_each_read_model(
    runtime: Runtime,
) -> None:
    projections = runtime.projections
    two = split(projections, 2)
    assert len(two) == 2
    assert sorted(p.name for group in two for p in group) == sorted(p.name for p in projections)
    costs = [sum(p.rebuild_cost for p in group) for group in two]
    assert max(costs) - min(costs) <= max(p.rebuild_cost for p in projections)
    assert "history" not in {p.name for p in two[0]} & {p.name for p in two[1]}
    assert len(split(projections, 1)) == 1
    assert len(split(projections, 50)) == len(projections), "never more groups than read models"


def _organisation(actor: Actor) -> UUID:
    assert actor.organisation_id is not None
    return actor.organisation_id


def test_the_history_rebuilt_in_two_parts_writes_what_it_writes_whole(runtime: Runtime) -> None:
    """An organisation renamed before it co-signs shows that each part learns what its lines name
    from the other's events: the assessments' part gives the name it had at each line."""
    world = build_world(runtime.council)
    organisation: Organisation = runtime.council.repository.get(_organisation(world.cso_b))
    organisation.rename(name="Renamed Centre", actor_id=SYSTEM_ACTOR_ID, at=datetime.now(UTC))
    runtime.council.save(organisation)
    play_round(world)
    runtime.runner.catch_up()
    history = next(p for p in runtime.projections if p.name == "history")
    whole = {t: sorted(rows(runtime, f"SELECT * FROM {t}"), key=repr) for t in history.tables}
    assert any("Renamed Centre co-signed" in str(row) for row in whole["history"])

    parts = [p for p in in_parts(runtime.projections) if isinstance(p, HistoryPart)]
    assert [p.name for p in parts] == ["history/assessments", "history/rest"]
    written = [event_class for p in parts for event_class in p.writes]
    assert sorted(map(str, written)) == sorted(map(str, history.handlers)), "each once"
    for part in parts:
        assert part.learns_from <= set(history.handlers) - part.writes

    head = empty(runtime.database, [history], runtime.council.recorder)
    council = runtime.council
    for part in parts:  # one after the other: each reads only its own tracking row
        ProjectionRunner(runtime.database, council.recorder, council.mapper, [part]).catch_up(
            until=head
        )
    assert {t: sorted(rows(runtime, f"SELECT * FROM {t}"), key=repr) for t in history.tables} == (
        whole
    )


def test_a_part_of_the_history_is_rebuilt_from_the_start_of_the_log_only(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    part = next(p for p in in_parts(runtime.projections) if p.name == "history/rest")
    runner = ProjectionRunner(
        runtime.database, runtime.council.recorder, runtime.council.mapper, [part]
    )
    with runtime.database.transaction() as cur:
        cur.execute(
            "INSERT INTO projection_tracking (projection, position) VALUES (?, 3)", (part.name,)
        )
    with pytest.raises(RuntimeError, match="rebuilt from the start of the log only"):
        runner.run_batch([part])


def _left_in_parts(runtime: Runtime) -> int:
    """The history as a rebuild in parts leaves it when killed: emptied, at position 0, one part
    at the head of the log and the other halfway. Returns the head."""
    history = next(p for p in runtime.projections if p.name == "history")
    head = empty(runtime.database, [history], runtime.council.recorder)
    council = runtime.council
    for part, until in zip(in_parts([history]), (head, head // 2), strict=True):
        runner = ProjectionRunner(runtime.database, council.recorder, council.mapper, [part])
        runner.catch_up(until=until)
    assert runtime.runner.positions()["history"] == 0
    assert rows(runtime, "SELECT COUNT(*) FROM history")[0][0] > 0
    return head


def test_a_read_model_a_rebuild_in_parts_left_unfinished_is_emptied_to_start_again(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    before = _read_models(runtime)
    _left_in_parts(runtime)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        runtime.runner.catch_up()  # its lines again, over those of its parts

    reset = reset_unfinished_parts(runtime.database, runtime.projections)
    assert [p.name for p in reset] == ["history"]
    assert rows(runtime, "SELECT COUNT(*) FROM history") == [(0,)]
    assert rows(
        runtime, "SELECT projection FROM projection_tracking WHERE projection LIKE 'h%'"
    ) == [("history",)]
    runtime.runner.catch_up()
    assert _read_models(runtime) == before
    assert reset_unfinished_parts(runtime.database, runtime.projections) == []
    assert _read_models(runtime) == before


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_worker_starts_again_a_read_model_a_killed_rebuild_left_in_parts(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    before = _read_models(runtime)
    head = _left_in_parts(runtime)
    stop = threading.Event()
    worker = Supervisor(
        runtime.runner,
        runtime.projections,
        stop,
        conninfo=runtime.settings.database.conninfo(),
        schema=runtime.settings.schema,
    )
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        assert _eventually(lambda: runtime.runner.positions()["history"] == head)
    finally:
        stop.set()
        thread.join()
    assert worker.failing == {}
    assert _read_models(runtime) == before


@pytest.mark.parametrize("backend", ["postgres"])
def test_catching_up_once_leaves_a_read_model_in_parts_to_its_keeper_or_starts_it_again(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """`council project --once` after a rebuild in parts was killed: while another process
    keeps the history (here, as a rebuild would, by its lock), it leaves it be; once no one does,
    it empties it and applies the log to it from the start."""
    before = _read_models(runtime)
    head = _left_in_parts(runtime)
    written = rows(runtime, "SELECT COUNT(*) FROM history")
    monkeypatch.setenv("COUNCIL_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("COUNCIL_SCHEMA", runtime.settings.schema)
    key = advisory_key(runtime.settings.schema, "history")
    with psycopg.connect(runtime.settings.database.conninfo(), autocommit=True) as keeper:
        keeper.execute("SELECT pg_advisory_lock(%s)", (key,))
        assert main(["project", "--once"]) == 0
        assert rows(runtime, "SELECT COUNT(*) FROM history") == written
        assert runtime.runner.positions()["history"] == 0
    assert main(["project", "--once"]) == 0
    assert f"projections caught up to log position {head}" in capsys.readouterr().out
    assert _read_models(runtime) == before
    assert rows(
        runtime, "SELECT COUNT(*) FROM projection_tracking WHERE projection LIKE '%/%'"
    ) == [(0,)]


def test_the_history_s_parts_are_rebuilt_beside_the_read_models_that_read_the_same_events(
    runtime: Runtime,
) -> None:
    two = split(in_parts(runtime.projections), 2)
    assert len(two) == 2
    groups = [{p.name for p in group} for group in two]
    beside = next(g for g in groups if "history/assessments" in g)
    assert "assessments" in beside
    assert "history/rest" not in beside
    assert {"catalogue", "comments", "joint_positions"}.isdisjoint(beside), "read once"


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_beside_a_worker_that_keeps_the_history_rebuilds_it_whole(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `council project` that holds the history's lock would apply its events beside parts that
    do not move its tracking row: the rebuild leaves it whole, in one of its groups."""
    before = _read_models(runtime)
    shared: list[list[str]] = []
    real_split = split

    def recorded(projections: Any, parts: int) -> list[Any]:
        groups = real_split(projections, parts)
        shared.append(sorted(p.name for group in groups for p in group))
        return groups

    monkeypatch.setattr(rebuild_module, "split", recorded)
    key = advisory_key(runtime.settings.schema, "history")
    with psycopg.connect(runtime.settings.database.conninfo(), autocommit=True) as worker:
        worker.execute("SELECT pg_advisory_lock(%s)", (key,))
        rebuild_read_models(runtime, jobs=2)
    assert "history" in shared[-1]
    assert not any(name.startswith("history/") for name in shared[-1])
    assert _read_models(runtime) == before

    rebuild_read_models(runtime, jobs=2)  # the lock is free: in parts
    assert {"history/assessments", "history/rest"} <= set(shared[-1])
    assert _read_models(runtime) == before
    head = runtime.council.log_position()
    assert set(runtime.runner.positions().values()) == {head}
    tracked = rows(runtime, "SELECT projection FROM projection_tracking")
    assert not any(str(name).startswith("history/") for (name,) in tracked)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_council_project_takes_jobs_only_with_rebuild_and_only_a_count_of_one_or_more(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("COUNCIL_DATABASE_URL", runtime.settings.database_url)
    assert main(["project", "--jobs", "2"]) == 2
    assert "--jobs goes with --rebuild" in capsys.readouterr().err
    for wrong in ("0", "two"):
        with pytest.raises(SystemExit):
            main(["project", "--rebuild", "--jobs", wrong])
        assert "--jobs" in capsys.readouterr().err
    assert main(["project", "--rebuild", "--jobs", "2"]) == 0
    assert "read models rebuilt from the log" in capsys.readouterr().out


def test_a_read_model_rebuilt_alone_reads_only_its_events_and_still_reaches_the_head(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    council = runtime.council
    rounds = [p for p in runtime.projections if p.name == "rounds"]
    before = {t: sorted(rows(runtime, f"SELECT * FROM {t}")) for t in rounds[0].tables}
    read: list[int] = []
    plain = council.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Sequence[Notification]:
        found = plain(*args, **kwargs)
        read.extend(n.id for n in found)
        return found

    monkeypatch.setattr(council.recorder, "select_notifications", counted)
    skipping = getattr(council.recorder, "select_notifications_skipping", None)
    if skipping is not None:

        def counted_skipping(*args: Any) -> list[Notification]:
            found: list[Notification] = skipping(*args)
            read.extend(n.id for n in found)
            return found

        monkeypatch.setattr(council.recorder, "select_notifications_skipping", counted_skipping)
    head = empty(runtime.database, rounds, council.recorder)
    runner = ProjectionRunner(runtime.database, council.recorder, council.mapper, rounds)
    rebuild_group(runtime.database, runner, head)

    assert runtime.runner.positions()["rounds"] == head
    assert {t: sorted(rows(runtime, f"SELECT * FROM {t}")) for t in rounds[0].tables} == before
    if runtime.database.engine == "postgres":
        # The round's own events, not the assessments, signatures and positions after them.
        assert 0 < len(read) < head / 4
        assert max(read) < head
    else:
        assert sorted(read) == list(range(1, head + 1))


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_reaches_the_head_across_log_positions_no_event_took(
    runtime: Runtime,
) -> None:
    """A transaction that rolled back leaves its positions unused: the rebuild passes over them."""
    council = runtime.council
    world = build_world(council)
    recorder: Any = council.recorder
    table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    with psycopg.connect(runtime.settings.database_url, autocommit=True) as conn:
        for _ in range(7):
            conn.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))", (table,))
    play_round(world)
    runtime.runner.catch_up()
    head = council.log_position()
    tables = [t for p in runtime.projections for t in p.tables]
    before = {t: sorted(rows(runtime, f"SELECT * FROM {t}"), key=repr) for t in tables}

    rebuild_read_models(runtime, jobs=3)

    assert set(runtime.runner.positions().values()) == {head}
    assert {t: sorted(rows(runtime, f"SELECT * FROM {t}"), key=repr) for t in tables} == before


def test_a_rebuild_pauses_the_cycle_collector_and_always_restores_it(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    catch_up = runtime.runner.catch_up

    def failing(*args: Any, **kwargs: Any) -> int:
        seen.append(gc.isenabled())
        raise RuntimeError("the log went away")

    assert gc.isenabled()
    rebuild(runtime.database, runtime.runner)
    assert gc.isenabled()
    monkeypatch.setattr(runtime.runner, "catch_up", failing)
    with pytest.raises(RuntimeError, match="the log went away"):
        rebuild(runtime.database, runtime.runner)
    assert seen == [False]
    assert gc.isenabled()
    monkeypatch.setattr(runtime.runner, "catch_up", catch_up)
    rebuild(runtime.database, runtime.runner)
    assert replay(runtime.database, runtime.council.recorder, runtime.council.mapper).equal


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_whose_emptying_fails_leaves_the_read_models_as_they_were(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other processes wait for the emptying; when it fails they rebuild nothing, not even
    the event the read models have not applied yet (PostgreSQL: no worker runs here)."""

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the database refused the emptying")

    world, record = played
    runtime.council.post_comment(
        world.cso_b, subject_kind="assessment", subject_id=record.assessment_id, text="Fair."
    )
    before = _read_models(runtime)
    positions = runtime.runner.positions()
    monkeypatch.setattr("graphql_api.rebuild.empty", broken)
    with pytest.raises(
        RebuildFailed, match="which are as they were: RuntimeError: the database refused"
    ):
        rebuild_read_models(runtime, jobs=3)
    assert runtime.runner.positions() == positions
    assert _read_models(runtime) == before


def test_bulk_rows_whose_values_are_not_of_their_columns_types_are_written_as_text(
    runtime: Runtime,
) -> None:
    """Large inserts go in COPY's binary format, which wants each value of its column's type;
    should one not be, the rows are written as text, as they always could be, in the same
    transaction."""
    many = [(f"row {n}", n) for n in range(BINARY_ROWS + 5)]
    odd = [*many[:-1], (7, "8")]  # a number into the text column, text into the number column
    with runtime.database.transaction() as cur:
        cur.execute("CREATE TABLE bulk_types (label TEXT, amount BIGINT)")
        writer = Writer(cur, cur.execute("SELECT 1"))
        writer.insert("bulk_types", ("label", "amount"), many)
        writer.insert("bulk_types", ("label", "amount"), odd)
        cur.execute("SELECT count(*), sum(amount) FROM bulk_types")
        counted = tuple(cur.fetchall()[0])
        cur.execute("SELECT label, amount FROM bulk_types WHERE label = '7'")
        stored = [tuple(row) for row in cur.fetchall()]
        cur.execute("DROP TABLE bulk_types")
    total = sum(n for _, n in many)
    assert counted == (2 * len(many), 2 * total - many[-1][1] + 8)
    assert stored == [("7", 8)]


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_bulk_number_too_large_for_its_column_is_refused_not_cut_down(
    runtime: Runtime,
) -> None:
    """COPY's binary format would store 2**40 in an INTEGER column as 0; the text format, which
    such rows take, has the server refuse it."""
    rows = [(n, n) for n in range(BINARY_ROWS)] + [(1, 2**40)]
    with runtime.database.transaction() as cur:
        cur.execute("CREATE TABLE bulk_range (small INTEGER, large BIGINT)")
        writer = Writer(cur, cur.execute("SELECT 1"))
        writer.insert("bulk_range", ("small", "large"), rows)  # fits: the big one is BIGINT
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            writer.insert("bulk_range", ("large", "small"), rows)


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_other_processes_of_a_rebuild_end_when_the_command_is_killed(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    """`council project --rebuild` is killed as soon as it has started its other process: that
    one ends on its own, rather than wait forever for the emptying."""
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": runtime.settings.database_url,
        "COUNCIL_SCHEMA": runtime.settings.schema,
        "COUNCIL_SECRET_KEY": runtime.settings.secret_key or "",
    }
    command = subprocess.Popen(
        [sys.executable, "-m", "graphql_api.cli", "project", "--rebuild", "--jobs", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        children = _eventually(lambda: _children_of(command.pid))
    finally:
        command.kill()
        command.wait()
    assert children, "the command started no other process"
    assert _eventually(lambda: not any(_running(pid) for pid in children)), children


@pytest.mark.parametrize("backend", ["postgres"])
def test_every_process_of_a_rebuild_logs_how_long_its_read_models_took_at_the_debug_level(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": runtime.settings.database_url,
        "COUNCIL_SCHEMA": runtime.settings.schema,
        "COUNCIL_SECRET_KEY": runtime.settings.secret_key or "",
        "COUNCIL_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "graphql_api.cli", "project", "--rebuild", "--jobs", "2"]
    logged: dict[str, list[dict[str, Any]]] = {}
    for level in ("info", "debug"):
        done = subprocess.run(
            command,
            env={**env, "COUNCIL_LOG_LEVEL": level},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        head = runtime.council.log_position()
        assert done.stdout.splitlines()[-1] == (
            f"read models rebuilt from the log, up to log position {head}"
        )
        logged[level] = [json.loads(line) for line in done.stdout.splitlines()[:-1]]
    assert logged["info"] == []
    groups = sorted(sorted(p.name for p in g) for g in split(in_parts(runtime.projections), 2))
    for event in ("read models projected", "read models' indexes built"):
        lines = [line for line in logged["debug"] if line["event"] == event]
        assert sorted(sorted(line["projections"]) for line in lines) == groups, event
        assert all(line["level"] == "debug" and line["seconds"] >= 0 for line in lines)


def _eventually(probe: Any, limit: float = 60.0) -> Any:
    """What ``probe`` answers, once it answers something true (or after ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while not (answer := probe()) and time.monotonic() < deadline:
        time.sleep(0.005)
    return answer


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(pid)]:
            found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])  # gone, or a zombie no one has reaped


def _stat(pid: int) -> list[str]:
    """State and parent of a process, as /proc gives them ([] when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()[:2]


def test_a_rebuild_process_ends_itself_once_the_process_that_started_it_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited, ended = [], []

    class Parent:
        def join(self) -> None:
            waited.append(True)

    monkeypatch.setattr(rebuild_module, "parent_process", Parent)
    rebuild_module._exit_when_parent_gone(ended.append)
    assert (waited, ended) == ([True], [1])
    monkeypatch.setattr(rebuild_module, "parent_process", lambda: None)
    rebuild_module._exit_when_parent_gone(ended.append)
    assert ended == [1, 1]


def test_catching_up_stops_where_a_batch_left_the_projection_when_asked_to(
    runtime: Runtime, played: tuple[World, Any]
) -> None:
    head = runtime.council.log_position()
    rounds = next(p for p in runtime.projections if p.name == "rounds")
    empty(runtime.database, [rounds], runtime.council.recorder)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(runtime.runner.positions()["rounds"])
        return len(asked) == 2

    moved = runtime.runner.catch_up(rounds, batch_size=10, stop=stop)
    assert moved == 20 == runtime.runner.positions()["rounds"]
    assert asked == [10, 20]
    assert runtime.runner.catch_up(rounds, batch_size=10, stop=lambda: False) == head - 20
    assert runtime.runner.positions()["rounds"] == head


def _read_models(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    tables = [t for p in runtime.projections for t in p.tables]
    return {t: sorted(rows(runtime, f"SELECT * FROM {t}"), key=repr) for t in tables}


def _rebuild_restores(runtime: Runtime, before: dict[str, list[tuple[Any, ...]]]) -> None:
    """After a failed rebuild, one that succeeds gives back the read models as they were."""
    rebuild_read_models(runtime, jobs=2)
    assert _read_models(runtime) == before


def _own_group(runtime: Runtime) -> list[Any]:
    """The group a two-process rebuild keeps in the calling process (the history in parts)."""
    groups = split(in_parts(runtime.projections), 2)
    return max(groups, key=lambda g: sum(p.rebuild_cost for p in g))


def _other_group(runtime: Runtime) -> list[Any]:
    own = [p.name for p in _own_group(runtime)]
    return next(g for g in split(in_parts(runtime.projections), 2) if [p.name for p in g] != own)


def _named(group: list[Any]) -> str:
    """The read models of a group, as a failed rebuild names them (a part by its read model)."""
    return ", ".join(dict.fromkeys(p.part_of or p.name for p in group))


def _record_signals(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The events a rebuild shares with its other processes (emptied, abandoned), as it makes
    them."""
    signals: list[Any] = []
    spawn = get_context("spawn")

    class Recorded:
        def __getattr__(self, name: str) -> Any:
            return getattr(spawn, name)

        def Event(self) -> Any:  # the context's own name
            signals.append(spawn.Event())
            return signals[-1]

    monkeypatch.setattr(rebuild_module, "get_context", lambda method: Recorded())
    return signals


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_whose_other_process_is_killed_fails_with_a_message_and_can_be_run_again(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process is killed while it starts; this one, held before its emptying until it
    has heard of it, stops after the first of its small batches."""
    before = _read_models(runtime)
    head = runtime.council.log_position()
    monkeypatch.setattr("projections.replay.REBUILD_BATCH_SIZE", 5)
    signals = _record_signals(monkeypatch)
    already = set(multiprocessing.active_children())
    about_to_empty, killed = threading.Event(), threading.Event()
    real_empty = rebuild_module._empty

    def emptying(runtime: Runtime, head: int) -> None:
        about_to_empty.set()
        assert killed.wait(60)
        real_empty(runtime, head)

    monkeypatch.setattr(rebuild_module, "_empty", emptying)
    outcome: list[BaseException] = []

    def rebuilding() -> None:
        try:
            rebuild_read_models(runtime, jobs=2)
        except BaseException as error:  # handed to the test's thread
            outcome.append(error)

    thread = threading.Thread(target=rebuilding)
    thread.start()
    assert about_to_empty.wait(60)
    for child in set(multiprocessing.active_children()) - already:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    assert signals[1].wait(60), "the other processes were told to stop"
    killed.set()
    thread.join()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RebuildFailed), outcome
    names = _named(_other_group(runtime))
    assert str(outcome[0]) == (
        f"rebuilding the read models {names} failed: a process of the rebuild ended abruptly."
        " Every read model was emptied, and they stay part-built until a rebuild succeeds: run"
        " it again"
    )
    positions = runtime.runner.positions()
    whole = [p for p in _own_group(runtime) if p.part_of is None]
    assert all(positions[p.name] == 5 for p in whole), positions
    assert head > 5
    # The history, rebuilt in parts, is emptied again: a worker can rebuild it alone.
    assert positions["history"] == 0
    assert rows(runtime, "SELECT COUNT(*) FROM history") == [(0,)]
    assert (
        rows(
            runtime, "SELECT projection FROM projection_tracking WHERE projection LIKE 'history/%'"
        )
        == []
    )

    monkeypatch.undo()
    _rebuild_restores(runtime, before)


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_whose_other_process_fails_names_its_read_models_and_the_error_in_one_line(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other process is given a schema with no read models in it: its first query fails, with
    PostgreSQL's message of several lines."""
    before = _read_models(runtime)
    elsewhere = Settings.from_env(
        {
            "COUNCIL_DATABASE_URL": runtime.settings.database_url,
            "COUNCIL_SCHEMA": "no_such_schema",
            "COUNCIL_SECRET_KEY": runtime.settings.secret_key or "",
        }
    )
    monkeypatch.setattr(runtime, "settings", elsewhere)  # only handed to the other process
    with pytest.raises(RebuildFailed) as failed:
        rebuild_read_models(runtime, jobs=2)
    message = str(failed.value)
    names = _named(_other_group(runtime))
    assert message.startswith(
        f'rebuilding the read models {names} failed: UndefinedTable: relation "projection_tracking"'
        " does not exist LINE 1: "
    ), message
    assert "\n" not in message
    assert message.endswith("part-built until a rebuild succeeds: run it again")
    monkeypatch.undo()
    _rebuild_restores(runtime, before)


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_process_stops_after_the_batch_in_which_it_is_told_to(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class ToldAfterItsFirstBatch:
        asked = 0

        def is_set(self) -> bool:  # asked once before the first batch, then after each
            self.asked += 1
            return self.asked > 1

    monkeypatch.setattr("projections.replay.REBUILD_BATCH_SIZE", 5)
    ready = get_context("spawn").Event()
    ready.set()
    monkeypatch.setattr(rebuild_module, "_emptied", ready)
    monkeypatch.setattr(rebuild_module, "_abandoned", ToldAfterItsFirstBatch())
    history = next(p for p in runtime.projections if p.name == "history")  # reads every event
    empty(runtime.database, [history], runtime.council.recorder)
    head = runtime.council.log_position()
    assert rebuild_module._rebuild_part(runtime.settings, ["history"], head) == 5
    assert runtime.runner.positions()["history"] == 5 < head


def test_a_group_that_fails_tells_the_others_to_stop() -> None:
    abandoned = get_context("spawn").Event()
    done = rebuild_module._abandon_on_failure(abandoned)
    finished: Future[int] = Future()
    finished.set_result(7)
    done(finished)
    assert not abandoned.is_set()
    failed: Future[int] = Future()
    failed.set_exception(RuntimeError("lost"))
    done(failed)
    assert abandoned.is_set()


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_whose_own_group_fails_names_it_and_stops_the_others(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group this process rebuilds fails (the other processes import their own, unbroken
    rebuild_group); the others are told to stop, and the error names the failed read models."""
    before = _read_models(runtime)
    signals = _record_signals(monkeypatch)

    def broken(live: Any, runner: ProjectionRunner, head: int, **kwargs: Any) -> int:
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    rebuild_read_models(runtime, jobs=2)
    emptied, abandoned = signals
    assert emptied.is_set()
    assert not abandoned.is_set()

    signals.clear()
    monkeypatch.setattr(rebuild_module, "rebuild_group", broken)
    with pytest.raises(RebuildFailed) as failed:
        rebuild_read_models(runtime, jobs=2)
    names = _named(_own_group(runtime))
    assert f"rebuilding the read models {names} failed: DiskFull: could not extend" in str(
        failed.value
    )
    emptied, abandoned = signals
    assert emptied.is_set()
    assert abandoned.is_set(), "the other processes were told to stop"

    def interrupted(live: Any, runner: ProjectionRunner, head: int, **kwargs: Any) -> int:
        raise KeyboardInterrupt

    signals.clear()
    monkeypatch.setattr(rebuild_module, "rebuild_group", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rebuild_read_models(runtime, jobs=2)
    emptied, abandoned = signals
    assert abandoned.is_set(), "the other processes were told to stop"
    monkeypatch.undo()
    _rebuild_restores(runtime, before)


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_rebuild_that_cannot_start_its_processes_leaves_the_read_models_as_they_were(
    runtime: Runtime, played: tuple[World, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoProcesses(ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            raise BlockingIOError(11, "Resource temporarily unavailable")

    before = _read_models(runtime)
    positions = runtime.runner.positions()
    monkeypatch.setattr(rebuild_module, "ProcessPoolExecutor", NoProcesses)
    with pytest.raises(RebuildFailed) as failed:
        rebuild_read_models(runtime, jobs=2)
    assert str(failed.value) == (
        "the rebuild failed before it emptied the read models, which are as they were:"
        " BlockingIOError: [Errno 11] Resource temporarily unavailable"
    )
    assert runtime.runner.positions() == positions
    assert _read_models(runtime) == before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_council_project_says_in_one_line_that_a_rebuild_failed(
    runtime: Runtime,
    played: tuple[World, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk I/O error")

    monkeypatch.setenv("COUNCIL_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setattr(rebuild_module, "rebuild_group", broken)
    assert main(["project", "--rebuild"]) == 1
    out = capsys.readouterr()
    assert out.err.strip().splitlines() == [
        "council: project: rebuilding the read models "
        + ", ".join(p.name for p in runtime.projections)
        + " failed: OSError: disk I/O error. Every read model was emptied, and they stay"
        " part-built until a rebuild succeeds: run it again"
    ]
    assert "read models rebuilt" not in out.out
    assert "Traceback" not in out.out

    monkeypatch.setenv("COUNCIL_LOG_LEVEL", "debug")
    assert main(["project", "--rebuild"]) == 1
    out = capsys.readouterr()
    assert len(out.err.strip().splitlines()) == 1
    assert "rebuild failed" in out.out
    assert "Traceback" in out.out
    assert "OSError: disk I/O error" in out.out


@pytest.mark.parametrize("backend", ["sqlite"])
def test_council_project_stopped_during_a_rebuild_says_so_and_puts_back_its_signal_handler(
    runtime: Runtime,
    played: tuple[World, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    def stopped(*args: Any, **kwargs: Any) -> int:
        os.kill(os.getpid(), signal.SIGTERM)  # as `docker stop` does
        raise AssertionError("SIGTERM did not stop the rebuild")

    monkeypatch.setenv("COUNCIL_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setattr(rebuild_module, "rebuild_group", stopped)
    handler = signal.getsignal(signal.SIGTERM)
    assert main(["project", "--rebuild"]) == 130
    assert capsys.readouterr().err.strip().splitlines() == [
        "council: project: the rebuild was stopped; the read models may be part-built until a"
        " rebuild succeeds: run it again"
    ]
    assert signal.getsignal(signal.SIGTERM) is handler


def test_council_says_in_one_line_that_its_database_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("COUNCIL_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'council.db'}")
    for command in (["project", "--once"], ["project", "--rebuild"]):
        assert main(command) == 1
        assert capsys.readouterr().err.strip().splitlines() == [
            "council: database: unable to open database file"
        ]
