"""The core scenario: one whole monitoring round, on SQLite and on PostgreSQL."""

from __future__ import annotations

from domain.values import (
    AmendmentState,
    AssessmentState,
    ImplementationStatus,
    PositionState,
    StatusBasis,
)
from graphql_api.runtime import Runtime
from tests.scenario import build_world, open_round, play_round


def test_a_whole_round_ends_with_a_published_position_and_a_status_on_its_basis(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    record = play_round(world)
    council = runtime.council

    assessment = council.assessment(record.assessment_id)
    assert assessment.state is AssessmentState.SUBMITTED
    assert assessment.submitted_revision == 3
    assert [r.number for r in assessment.revisions] == [1, 2, 3]
    b = world.organisations["cso_b"]
    c = world.organisations["cso_c"]
    assert assessment.signatures[b].revision == 3
    assert c not in assessment.signatures

    position = council.joint_position(record.position_id)
    assert position.state is PositionState.PUBLISHED
    assert position.revision == 2
    assert position.amendments[record.amendment_id].state is AmendmentState.ACCEPTED
    assert position.amendments[record.amendment_id].resulting_revision == 2
    assert "regular sessions since 2020" in position.current.text
    assert [(d.organisation_id, d.revision) for d in position.dissents] == [(b, 2)]
    adoption = position.adoption
    assert adoption is not None
    assert (adoption.revision, adoption.votes_for, adoption.votes_against) == (2, 14, 2)
    assert position.published_revision == 2

    recommendation = council.recommendation(world.recommendation_id)
    assert recommendation.status is ImplementationStatus.PARTIALLY_IMPLEMENTED
    change = recommendation.status_history[-1]
    assert change.basis is StatusBasis.ADOPTED_POSITION
    assert (change.joint_position_id, change.position_revision) == (record.position_id, 2)


def test_a_revision_leaves_earlier_signatures_on_the_old_revision(runtime: Runtime) -> None:
    world = build_world(runtime.council)
    council = runtime.council
    round_id = open_round(world)
    a = council.propose_assessment(
        world.cso_a,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        rating="not_implemented",
        narrative="Nothing yet.",
    )
    council.revise_assessment(
        world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative="Still nothing."
    )
    council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=2)
    council.co_sign_assessment(world.cso_b, a.id, revision=2)
    council.revise_assessment(
        world.cso_a, a.id, expected_revision=2, rating="partially_implemented", narrative="Some."
    )

    assessment = council.assessment(a.id)
    signature = assessment.signatures[world.organisations["cso_b"]]
    assert signature.revision == 2
    assert assessment.revision == 3
    assert assessment.signatures_on(3) == []
