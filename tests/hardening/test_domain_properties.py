"""Properties of the domain under random command sequences (hypothesis).

On one assessment and one joint position, random sequences of commands by random members, with
random revisions and random text (some of it empty or with control characters), are run against
the Council. Whatever is refused raises a `DomainError` and stores nothing (the log position is
unchanged); whatever is accepted stores events and leaves the aggregate at a revision the store
gives back. Nothing else may be raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from graphql_api.runtime import Runtime
from tests.scenario import World, build_world, open_round

SEED = 20260302
EXAMPLES = 60
WHO = ("cso_a", "cso_b", "cso_c", "outsider", "state_body", "secretariat", "auditor")

good_texts = st.sampled_from(["Some progress.", "Нема напретка.", "Cafe\u0301 <b>x</b>"])
# Mostly acceptable text; otherwise empty, blank or anything at all (control characters too).
texts = st.one_of(
    good_texts, good_texts, good_texts, st.sampled_from(["", "  ", "a\x00b"]), st.text(max_size=30)
)
# None stands for the subject's current revision (filled in when the command runs).
revisions = st.one_of(st.none(), st.none(), st.integers(min_value=0, max_value=4))
who = st.sampled_from(WHO)
ratings = st.sampled_from(["not_implemented", "partially_implemented", "fully_implemented", "x"])

Command = tuple[str, str, dict[str, Any]]

# Each command with the member most likely to be allowed it (tried three times in four).
LIKELY = {
    "revise_assessment": "cso_a",
    "open_assessment_for_signature": "cso_a",
    "co_sign_assessment": "cso_b",
    "withdraw_co_signature": "cso_b",
    "submit_assessment": "cso_a",
    "withdraw_assessment": "cso_a",
    "propose_amendment": "state_body",
    "endorse_joint_position": "state_body",
    "record_dissent": "cso_b",
}
ASSESSMENT_COMMANDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "revise_assessment": st.fixed_dictionaries(
        {"expected_revision": revisions, "rating": ratings, "narrative": texts}
    ),
    "open_assessment_for_signature": st.fixed_dictionaries({"expected_revision": revisions}),
    "co_sign_assessment": st.fixed_dictionaries({"revision": revisions}),
    "withdraw_co_signature": st.fixed_dictionaries(
        {"expected_revision": revisions, "reason": texts}
    ),
    "submit_assessment": st.fixed_dictionaries({"expected_revision": revisions}),
    "withdraw_assessment": st.fixed_dictionaries({"expected_revision": revisions, "reason": texts}),
}
POSITION_COMMANDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "revise_joint_position": st.fixed_dictionaries(
        {"expected_revision": revisions, "text": texts, "proposed_status": ratings}
    ),
    "propose_amendment": st.fixed_dictionaries({"revision": revisions, "text": texts}),
    "endorse_joint_position": st.fixed_dictionaries({"revision": revisions, "statement": texts}),
    "record_dissent": st.fixed_dictionaries({"revision": revisions, "statement": texts}),
    "adopt_joint_position": st.fixed_dictionaries(
        {
            "revision": revisions,
            "session": texts,
            "adopted_on": st.just(date(2026, 5, 1)),
            "method": st.sampled_from(["consensus", "vote", "lottery"]),
        }
    ),
    "publish_joint_position": st.fixed_dictionaries({"expected_revision": revisions}),
    "reopen_joint_position": st.fixed_dictionaries(
        {"expected_revision": revisions, "reason": texts}
    ),
}


def _commands(table: dict[str, st.SearchStrategy[dict[str, Any]]]) -> st.SearchStrategy[Command]:
    def by(name: str) -> st.SearchStrategy[str]:
        likely = st.just(LIKELY.get(name, "secretariat"))
        return st.one_of(likely, likely, likely, who)

    return st.one_of(
        *(st.tuples(st.just(name), by(name), arguments) for name, arguments in table.items())
    )


sequences = st.lists(
    st.one_of(_commands(ASSESSMENT_COMMANDS), _commands(POSITION_COMMANDS)),
    min_size=5,
    max_size=20,
)


class Tally:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime.council)


def _subjects(world: World) -> tuple[UUID, UUID]:
    council = world.council
    round_id = open_round(world)
    assessment = council.propose_assessment(
        world.cso_a,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        rating="not_implemented",
        narrative="Nothing yet.",
    )
    position = council.draft_joint_position(
        world.secretariat,
        round_id=round_id,
        recommendation_id=world.other_recommendation_id,
        text="The Council finds the recommendation not implemented.",
        proposed_status="not_implemented",
    )
    return assessment.id, position.id


def test_random_command_sequences_store_nothing_for_any_refused_command(
    runtime: Runtime, world: World, request: pytest.FixtureRequest
) -> None:
    council = world.council
    tally = Tally()

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=sequences)
    def run(steps: list[Command]) -> None:
        assessment_id, position_id = _subjects(world)
        for name, member, drawn in steps:
            subject = assessment_id if name in ASSESSMENT_COMMANDS else position_id
            command: Callable[..., Any] = getattr(council, name)
            current = (
                council.assessment(assessment_id)
                if name in ASSESSMENT_COMMANDS
                else council.joint_position(position_id)
            ).revision
            arguments = {k: current if v is None else v for k, v in drawn.items()}
            before = council.log_position()
            refused: DomainError | None = None
            try:
                outcome = command(getattr(world, member), subject, **arguments)
            except DomainError as error:
                refused = error
            if refused is not None:
                tally.outcomes[f"refused: {type(refused).__name__}"] += 1
                assert council.log_position() == before, (name, member, arguments, refused)
                continue
            tally.outcomes["accepted"] += 1
            assert council.log_position() >= before
            if outcome.changed:
                assert outcome.log_position > before
            stored = (
                council.assessment(assessment_id)
                if name in ASSESSMENT_COMMANDS
                else council.joint_position(position_id)
            )
            assert stored.revision == outcome.revision, (name, stored.revision, outcome)

    run()
    print(f"\n{request.node.name}: {dict(sorted(tally.outcomes.items()))}")
    assert tally.outcomes["accepted"] > 0
    assert sum(tally.outcomes.values()) > tally.outcomes["accepted"]
