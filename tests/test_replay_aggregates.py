"""Every aggregate reloaded from the store equals the live one, enums and dates included."""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from domain.application import Council
from graphql_api.runtime import Runtime
from tests.scenario import build_world, play_round


def test_every_aggregate_reloaded_in_a_new_process_equals_the_live_one(runtime: Runtime) -> None:
    council = runtime.council
    live: dict[UUID, Any] = {}
    save = council.save

    def capturing_save(*objs: Any, **kwargs: Any) -> Any:
        recordings = save(*objs, **kwargs)
        for obj in objs:
            live[obj.id] = copy.deepcopy(obj)
        return recordings

    council.save = capturing_save  # type: ignore[method-assign]
    world = build_world(council)
    record = play_round(world)
    council.post_comment(
        world.cso_b,
        subject_kind="joint_position",
        subject_id=record.position_id,
        subject_revision=2,
        quote="regular sessions",
        text="Which sessions?",
    )
    council.reopen_joint_position(
        world.secretariat, record.position_id, expected_revision=2, reason="New information"
    )

    fresh = Runtime(runtime.settings)
    try:
        reloaded_council: Council = fresh.council
        assert len(live) >= 20
        for aggregate_id, aggregate in live.items():
            reloaded = reloaded_council.repository.get(aggregate_id)
            assert reloaded == aggregate, f"{type(aggregate).__name__} {aggregate_id} differs"
        position = reloaded_council.joint_position(record.position_id)
        adoption = position.adoptions[0]
        assert type(adoption.method).__name__ == "DecisionMethod"
        assert type(adoption.adopted_on).__name__ == "date"
        assert position.cycle == 2
    finally:
        fresh.close()
