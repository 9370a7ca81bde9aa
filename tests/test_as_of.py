"""State as of any moment: at every step of the core scenario, the record says what it said then."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from graphql_api.runtime import Runtime
from projections.audit.as_of import position_at, version_at
from tests.scenario import build_world, play_round


def _at(runtime: Runtime, aggregate_id: UUID, position: int) -> Any:
    table = runtime.council.recorder.events_table_name  # type: ignore[attr-defined]
    version = version_at(runtime.database, table, aggregate_id, position)
    return None if version is None else runtime.council.as_of(aggregate_id, version)


def test_every_step_of_the_round_reads_back_as_it_was_at_its_log_position(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    record = play_round(world)
    runtime.runner.catch_up()
    steps = record.steps
    b, c = world.organisations["cso_b"], world.organisations["cso_c"]

    def assessment(step: str) -> Any:
        return _at(runtime, record.assessment_id, steps[step])

    assert _at(runtime, record.assessment_id, steps["proposed"] - 1) is None
    assert (assessment("proposed").revision, assessment("proposed").state.value) == (1, "draft")
    assert assessment("revised_2").revision == 2
    assert assessment("opened").state.value == "open_for_signature"
    assert {o: s.revision for o, s in assessment("b_signed_2").signatures.items()} == {b: 2}
    assert {o: s.revision for o, s in assessment("c_signed_2").signatures.items()} == {b: 2, c: 2}
    at_revision_3 = assessment("revised_3")
    assert at_revision_3.revision == 3
    assert at_revision_3.signatures_on(3) == []  # B and C are still on revision 2
    assert {o: s.revision for o, s in assessment("b_signed_3").signatures.items()} == {b: 3, c: 2}
    assert set(assessment("c_withdrew").signatures) == {b}
    assert assessment("submitted").state.value == "submitted"

    def position(step: str) -> Any:
        return _at(runtime, record.position_id, steps[step])

    assert position("drafted").revision == 1
    assert len(position("amendment_proposed").amendments) == 1
    assert position("amendment_proposed").revision == 1
    assert position("amendment_accepted").revision == 2
    assert position("b_dissented").dissents[0].statement.startswith("Sessions were held")
    assert position("adopted").state.value == "adopted"
    assert position("published").state.value == "published"

    before = _at(runtime, world.recommendation_id, steps["b_dissented"])
    after = _at(runtime, world.recommendation_id, steps["adopted"])
    assert before.status.value == "not_assessed"
    assert after.status.value == "partially_implemented"
    assert after.status_history[-1].position_revision == 2


def test_a_moment_in_time_maps_to_the_last_log_position_before_it(runtime: Runtime) -> None:
    world = build_world(runtime.council)
    record = play_round(world)
    runtime.runner.catch_up()
    adopted = runtime.council.joint_position(record.position_id).adoptions[0].at
    assert position_at(runtime.database, adopted) == record.steps["adopted"]
    assert position_at(runtime.database, adopted.replace(year=2000)) == 0
