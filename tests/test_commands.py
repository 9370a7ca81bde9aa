"""Commands: stale writes conflict, bad input is refused by name, and nothing is stored."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, WrongState
from domain.values import Actor
from graphql_api.runtime import Runtime
from tests.scenario import World, build_world, open_round, play_round


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime.council)


def _refused(runtime: Runtime, error: type[DomainError], command: Callable[[], Any]) -> DomainError:
    before = runtime.council.log_position()
    with pytest.raises(error) as caught:
        command()
    assert runtime.council.log_position() == before, "a refused command stored an event"
    return caught.value


def _assessment(world: World, round_id: Any) -> Any:
    return world.council.propose_assessment(
        world.cso_a,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        rating="not_implemented",
        narrative="Nothing yet.",
    )


def test_a_stale_expected_revision_is_a_conflict_that_stores_nothing(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    a = _assessment(world, open_round(world))
    council.revise_assessment(
        world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative="Second."
    )
    error = _refused(
        runtime,
        Conflict,
        lambda: council.revise_assessment(
            world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative="Stale."
        ),
    )
    assert isinstance(error, Conflict)
    assert error.current_revision == 2


def test_withdrawing_a_co_signature_from_a_revision_no_longer_current_is_a_conflict(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    a = _assessment(world, open_round(world))
    council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
    council.co_sign_assessment(world.cso_b, a.id, revision=1)
    council.revise_assessment(
        world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative="Second."
    )
    error = _refused(
        runtime,
        Conflict,
        lambda: council.withdraw_co_signature(
            world.cso_b, a.id, expected_revision=1, reason="We disagree"
        ),
    )
    assert isinstance(error, Conflict)
    assert error.current_revision == 2
    assert error.message == "the assessment is at revision 2, not 1"
    council.withdraw_co_signature(world.cso_b, a.id, expected_revision=2, reason="We disagree")
    assert world.organisations["cso_b"] not in council.assessment(a.id).signatures


def test_retracting_or_hiding_a_comment_edited_since_it_was_read_is_a_conflict(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    comment = council.post_comment(
        world.cso_a,
        subject_kind="recommendation",
        subject_id=world.recommendation_id,
        text="First thoughts.",
    )
    council.edit_comment(world.cso_a, comment.id, expected_revision=1, text="Second thoughts.")
    for command in (
        lambda: council.retract_comment(
            world.cso_a, comment.id, expected_revision=1, reason="Withdrawn"
        ),
        lambda: council.hide_comment(
            world.secretariat, comment.id, expected_revision=1, reason="Off topic"
        ),
    ):
        error = _refused(runtime, Conflict, command)
        assert isinstance(error, Conflict)
        assert error.current_revision == 2
        assert error.message == "the comment is at version 2, not 1"
    council.hide_comment(world.secretariat, comment.id, expected_revision=2, reason="Off topic")
    assert council.comment(comment.id).state.value == "hidden"


def test_erasing_personal_data_of_a_member_changed_since_it_was_read_is_a_conflict(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    member_id = world.cso_a.member_id
    council.change_member_roles(Actor.operator(), member_id, roles=["editor"])
    error = _refused(
        runtime,
        Conflict,
        lambda: council.erase_personal_data(
            world.secretariat, member_id, expected_revision=1, reason="Asked by the person"
        ),
    )
    assert isinstance(error, Conflict)
    assert error.current_revision == 2
    assert error.message == "the member is at revision 2, not 1"
    assert council.personal_data(member_id) is not None, "a refused erasure destroyed the key"


def test_of_two_threads_revising_the_same_assessment_at_once_exactly_one_wins(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    a = _assessment(world, open_round(world))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def revise(text: str) -> None:
        barrier.wait()
        try:
            council.revise_assessment(
                world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative=text
            )
            results.append("won")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=revise, args=(f"Writer {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "won"]
    assert council.assessment(a.id).revision == 2


def test_two_organisations_co_signing_at_once_both_succeed(runtime: Runtime, world: World) -> None:
    council = world.council
    a = _assessment(world, open_round(world))
    council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def sign(actor: Actor) -> None:
        barrier.wait()
        try:
            council.co_sign_assessment(actor, a.id, revision=1)
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=sign, args=(x,)) for x in (world.cso_b, world.cso_c)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(council.assessment(a.id).signatures_on(1)) == 2


def test_empty_text_is_refused_naming_the_field(runtime: Runtime, world: World) -> None:
    round_id = open_round(world)
    error = _refused(
        runtime,
        Invalid,
        lambda: world.council.propose_assessment(
            world.cso_a,
            round_id=round_id,
            recommendation_id=world.recommendation_id,
            rating="not_implemented",
            narrative="   ",
        ),
    )
    assert isinstance(error, Invalid)
    assert error.field == "narrative"


def test_a_rating_outside_the_scale_is_refused(runtime: Runtime, world: World) -> None:
    round_id = open_round(world)
    for rating in ("excellent", "not_assessed"):
        error = _refused(
            runtime,
            Invalid,
            lambda rating=rating: world.council.propose_assessment(
                world.cso_a,
                round_id=round_id,
                recommendation_id=world.recommendation_id,
                rating=rating,
                narrative="Text",
            ),
        )
        assert isinstance(error, Invalid)
        assert error.field == "rating"


def test_unknown_ids_are_not_found(runtime: Runtime, world: World) -> None:
    import uuid

    unknown = uuid.uuid4()
    error = _refused(
        runtime,
        NotFound,
        lambda: world.council.co_sign_assessment(world.cso_b, unknown, revision=1),
    )
    assert isinstance(error, NotFound)
    assert error.id == unknown
    _refused(
        runtime,
        NotFound,
        lambda: world.council.propose_assessment(
            world.cso_a,
            round_id=unknown,
            recommendation_id=world.recommendation_id,
            rating="not_implemented",
            narrative="Text",
        ),
    )


def test_an_organisation_outside_the_platform_cannot_co_sign(
    runtime: Runtime, world: World
) -> None:
    a = _assessment(world, open_round(world))
    world.council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
    for actor in (world.outsider, world.state_body, world.auditor, world.secretariat, world.cso_a):
        _refused(
            runtime,
            NotAllowed,
            lambda actor=actor: world.council.co_sign_assessment(actor, a.id, revision=1),
        )


def test_signing_a_withdrawn_assessment_is_in_the_wrong_state(
    runtime: Runtime, world: World
) -> None:
    a = _assessment(world, open_round(world))
    world.council.withdraw_assessment(
        world.cso_a, a.id, expected_revision=1, reason="Superseded by a joint assessment"
    )
    error = _refused(
        runtime,
        WrongState,
        lambda: world.council.co_sign_assessment(world.cso_b, a.id, revision=1),
    )
    assert isinstance(error, WrongState)
    assert error.state == "withdrawn"


def test_an_amendment_to_an_adopted_revision_is_in_the_wrong_state(
    runtime: Runtime, world: World
) -> None:
    record = play_round(world)
    _refused(
        runtime,
        WrongState,
        lambda: world.council.propose_amendment(
            world.state_body, record.position_id, revision=2, text="Another text"
        ),
    )


def test_submission_waits_for_the_co_signing_quorum_on_the_current_revision(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    a = _assessment(world, open_round(world, quorum=1))
    council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
    _refused(
        runtime,
        WrongState,
        lambda: council.submit_assessment(world.cso_a, a.id, expected_revision=1),
    )
    council.co_sign_assessment(world.cso_b, a.id, revision=1)
    council.revise_assessment(
        world.cso_a, a.id, expected_revision=1, rating="not_implemented", narrative="Changed."
    )
    # B's signature is on revision 1, not on the text being submitted.
    _refused(
        runtime,
        WrongState,
        lambda: council.submit_assessment(world.cso_a, a.id, expected_revision=2),
    )
    council.co_sign_assessment(world.cso_b, a.id, revision=2)
    council.submit_assessment(world.cso_a, a.id, expected_revision=2)


def test_auditors_read_and_never_write(runtime: Runtime, world: World) -> None:
    council = world.council
    round_id = open_round(world)
    _refused(
        runtime,
        NotAllowed,
        lambda: council.open_round(
            world.auditor,
            title="x",
            recommendation_ids=[world.recommendation_id],
            assessments_due=date(2026, 1, 1),
            co_signing_due=date(2026, 1, 2),
            council_session_on=date(2026, 1, 3),
            co_sign_quorum=0,
        ),
    )
    _refused(
        runtime,
        NotAllowed,
        lambda: council.post_comment(
            world.auditor,
            subject_kind="recommendation",
            subject_id=world.recommendation_id,
            text="A remark",
        ),
    )
    _refused(
        runtime,
        NotAllowed,
        lambda: council.propose_assessment(
            world.auditor,
            round_id=round_id,
            recommendation_id=world.recommendation_id,
            rating="not_implemented",
            narrative="x",
        ),
    )


def test_control_characters_in_text_are_refused(runtime: Runtime, world: World) -> None:
    error = _refused(
        runtime,
        Invalid,
        lambda: world.council.post_comment(
            world.cso_a,
            subject_kind="recommendation",
            subject_id=world.recommendation_id,
            text="Hello\x00world",
        ),
    )
    assert "U+0000" in str(error)


def test_a_status_correction_must_give_its_reason(runtime: Runtime, world: World) -> None:
    _refused(
        runtime,
        Invalid,
        lambda: world.council.correct_recommendation_status(
            world.secretariat,
            world.recommendation_id,
            status="fully_implemented",
            reason="",
            expected_revision=1,
        ),
    )
    world.council.correct_recommendation_status(
        world.secretariat,
        world.recommendation_id,
        status="fully_implemented",
        reason="The law was adopted on 2 March",
        expected_revision=1,
    )
    assert world.council.recommendation(world.recommendation_id).status.value == "fully_implemented"


def test_erasing_a_member_keeps_the_history_but_not_the_name(
    runtime: Runtime, world: World
) -> None:
    council = world.council
    member_id = world.cso_a.member_id
    assert council.personal_data(member_id) == {
        "name": "Member of Belgrade Centre for Human Rights",
        "email": "cso_a@example.org",
    }
    council.erase_personal_data(
        world.secretariat, member_id, expected_revision=1, reason="Asked by the person"
    )
    assert council.personal_data(member_id) is None
    assert council.member(member_id).erased
    _refused(runtime, NotAllowed, lambda: council.actor_for(member_id))
