"""Every mutation, tried by every role and by another organisation; and given bad input.

Allowed calls succeed and the read models already show the write; every other call returns
`NotAllowed` (or, where the rules allow the actor but the record does not, `WrongState`), and
nothing is stored. Bad input returns `Invalid` naming the argument, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.values import Actor
from tests.test_api_support import Api, api_fixture  # noqa: F401

ROLES = (
    "secretariat",
    "editor",
    "signatory",
    "reader",
    "auditor",
    "other_cso",
    "state_body",
    "outsider",
)


def cast_of(api: Api) -> dict[str, Actor]:
    """One member per role (editor, signatory, reader of the owning CSO), and outsiders."""
    if not api.actors:
        world = api.world
        api.actors.update(
            secretariat=world.secretariat,
            editor=api.member("cso_a", "editor"),
            signatory=api.member("cso_a", "signatory"),
            reader=api.member("cso_a", "reader"),
            auditor=world.auditor,
            other_cso=world.cso_b,
            state_body=world.state_body,
            outsider=world.outsider,
        )
    return api.actors


@dataclass
class Case:
    """A mutation, how to bring the record to where it applies, who may call it."""

    name: str
    arguments: str
    prepare: Callable[[Api], dict[str, Any]]
    allowed: tuple[str, ...]
    wrong_state: tuple[str, ...] = ()
    bad_input: dict[str, Any] = field(default_factory=dict)
    bad_field: str = ""

    def document(self) -> str:
        signature = ", ".join(f"${name}: {kind}" for name, kind in _types(self.arguments))
        call = ", ".join(f"{name}: ${name}" for name, _ in _types(self.arguments))
        return (
            f"mutation Try({signature}) {{ result: {self.name}({call}) {{"
            f" __typename ... on Problem {{ message }} ... on Invalid {{ field }}"
            f" ... on Conflict {{ currentRevision }} }} }}"
        )


def _types(arguments: str) -> list[tuple[str, str]]:
    return [tuple(part.split(":")) for part in arguments.split()]  # type: ignore[misc]


# --- bringing the record to where each mutation applies -----------------------------------------


def _assessment(api: Api, *, open_it: bool = False, signed: bool = False) -> dict[str, Any]:
    council, world = api.runtime.council, api.world
    round_id = api.open_round(quorum=1)
    a = council.propose_assessment(
        world.cso_a,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        rating="not_implemented",
        narrative="No body has been designated yet.",
    )
    last = a.log_position
    if open_it or signed:
        last = council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
        last = last.log_position
    if signed:
        last = council.co_sign_assessment(world.cso_b, a.id, revision=1).log_position
    api.settle(last)
    return {"assessmentId": str(a.id), "roundId": str(round_id)}


def _position(
    api: Api, *, amendment: bool = False, adopted: bool = False, published: bool = False
) -> dict[str, Any]:
    council, world = api.runtime.council, api.world
    round_id = api.open_round()
    p = council.draft_joint_position(
        world.secretariat,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        text="The Council finds the recommendation partially implemented.",
        proposed_status="partially_implemented",
    )
    ids = {"jointPositionId": str(p.id)}
    last = p.log_position
    if amendment:
        outcome = council.propose_amendment(world.state_body, p.id, revision=1, text="Amended.")
        ids["amendmentId"] = str(outcome.id)
        last = outcome.log_position
    if adopted or published:
        last = council.adopt_joint_position(
            world.secretariat, p.id, revision=1, session="12th session", adopted_on=date(2026, 5, 1)
        ).log_position
    if published:
        last = council.publish_joint_position(world.secretariat, p.id, expected_revision=1)
        last = last.log_position
    api.settle(last)
    return ids


def _comment(api: Api) -> dict[str, Any]:
    outcome = api.runtime.council.post_comment(
        cast_of(api)["editor"],
        subject_kind="recommendation",
        subject_id=api.world.recommendation_id,
        text="The 2014 decision is the basis.",
    )
    api.settle(outcome.log_position)
    return {"commentId": str(outcome.id)}


def _round(api: Api) -> dict[str, Any]:
    return {"roundId": str(api.open_round())}


def _member(api: Api) -> dict[str, Any]:
    return {"memberId": str(api.member("cso_c", "editor").member_id)}


PARTICIPANTS = ("secretariat", "editor", "signatory", "other_cso", "state_body")
ASSESSMENT_EDITORS = ("editor", "other_cso", "state_body")
STANCE_TAKERS = ("signatory", "other_cso", "state_body")

CASES = [
    Case(
        "openRound",
        "title:String! recommendationIds:[ID!]! assessmentsDue:Date! coSigningDue:Date!"
        " councilSessionOn:Date! coSignQuorum:Int!",
        lambda api: {
            "title": "Treaty bodies follow-up, 2027",
            "recommendationIds": [str(api.world.recommendation_id)],
            "assessmentsDue": "2027-01-10",
            "coSigningDue": "2027-01-20",
            "councilSessionOn": "2027-02-01",
            "coSignQuorum": 2,
        },
        ("secretariat",),
        bad_input={"title": "  "},
        bad_field="title",
    ),
    Case(
        "proposeAssessment",
        "roundId:ID! recommendationId:ID! rating:ImplementationStatus! narrative:String!",
        lambda api: {
            **_round(api),
            "recommendationId": str(api.world.recommendation_id),
            "rating": "PARTIALLY_IMPLEMENTED",
            "narrative": "The Council meets, but rarely.",
        },
        ASSESSMENT_EDITORS,
        bad_input={"narrative": "   "},
        bad_field="narrative",
    ),
    Case(
        "reviseAssessment",
        "assessmentId:ID! expectedRevision:Int! rating:ImplementationStatus! narrative:String!",
        lambda api: {
            **_assessment(api),
            "expectedRevision": 1,
            "rating": "PARTIALLY_IMPLEMENTED",
            "narrative": "Established in 2014.",
        },
        ("editor",),
        bad_input={"rating": "NOT_ASSESSED"},
        bad_field="rating",
    ),
    Case(
        "openAssessmentForSignature",
        "assessmentId:ID! expectedRevision:Int!",
        lambda api: {**_assessment(api), "expectedRevision": 1},
        ("editor",),
        bad_input={"assessmentId": "not-an-id"},
        bad_field="assessmentId",
    ),
    Case(
        "coSignAssessment",
        "assessmentId:ID! revision:Int!",
        lambda api: {**_assessment(api, open_it=True), "revision": 1},
        ("other_cso",),
        bad_input={"assessmentId": "42"},
        bad_field="assessmentId",
    ),
    Case(
        "withdrawCoSignature",
        "assessmentId:ID! expectedRevision:Int! reason:String!",
        lambda api: {
            **_assessment(api, signed=True),
            "expectedRevision": 1,
            "reason": "We disagree with the rating",
        },
        ("other_cso",),
        wrong_state=("signatory", "state_body"),
        bad_input={"reason": "bad\x00reason"},
        bad_field="reason",
    ),
    Case(
        "submitAssessment",
        "assessmentId:ID! expectedRevision:Int!",
        lambda api: {**_assessment(api, signed=True), "expectedRevision": 1},
        ("editor",),
        bad_input={"assessmentId": "x"},
        bad_field="assessmentId",
    ),
    Case(
        "withdrawAssessment",
        "assessmentId:ID! expectedRevision:Int! reason:String!",
        lambda api: {**_assessment(api), "expectedRevision": 1, "reason": "Superseded"},
        ("editor",),
        bad_input={"reason": ""},
        bad_field="reason",
    ),
    Case(
        "postComment",
        "subjectKind:SubjectKind! subjectId:ID! text:String!",
        lambda api: {
            "subjectKind": "RECOMMENDATION",
            "subjectId": str(api.world.recommendation_id),
            "text": "Who monitors the monitors?",
        },
        PARTICIPANTS,
        bad_input={"text": ""},
        bad_field="text",
    ),
    Case(
        "editComment",
        "commentId:ID! expectedRevision:Int! text:String!",
        lambda api: {
            **_comment(api),
            "expectedRevision": 1,
            "text": "The 2014 decision, Gazette 49.",
        },
        ("editor",),
        bad_input={"text": " "},
        bad_field="text",
    ),
    Case(
        "retractComment",
        "commentId:ID! expectedRevision:Int! reason:String!",
        lambda api: {
            **_comment(api),
            "expectedRevision": 1,
            "reason": "Posted on the wrong recommendation",
        },
        ("editor",),
        bad_input={"reason": "\x1b[31m"},
        bad_field="reason",
    ),
    Case(
        "hideComment",
        "commentId:ID! expectedRevision:Int! reason:String!",
        lambda api: {**_comment(api), "expectedRevision": 1, "reason": "Names a private person"},
        ("secretariat",),
        bad_input={"reason": ""},
        bad_field="reason",
    ),
    Case(
        "draftJointPosition",
        "roundId:ID! recommendationId:ID! text:String! proposedStatus:ImplementationStatus!",
        lambda api: {
            **_round(api),
            "recommendationId": str(api.world.recommendation_id),
            "text": "Partially implemented.",
            "proposedStatus": "PARTIALLY_IMPLEMENTED",
        },
        ("secretariat",),
        bad_input={"proposedStatus": "NOT_ASSESSED"},
        bad_field="proposedStatus",
    ),
    Case(
        "reviseJointPosition",
        "jointPositionId:ID! expectedRevision:Int! text:String! proposedStatus:ImplementationStatus!",
        lambda api: {
            **_position(api),
            "expectedRevision": 1,
            "text": "Partially implemented; sessions are rare.",
            "proposedStatus": "PARTIALLY_IMPLEMENTED",
        },
        ("secretariat",),
        bad_input={"text": ""},
        bad_field="text",
    ),
    Case(
        "proposeAmendment",
        "jointPositionId:ID! revision:Int! text:String!",
        lambda api: {**_position(api), "revision": 1, "text": "Add: sessions since 2020."},
        ASSESSMENT_EDITORS,
        bad_input={"text": ""},
        bad_field="text",
    ),
    Case(
        "decideAmendment",
        "jointPositionId:ID! amendmentId:ID! accept:Boolean! expectedRevision:Int! reason:String!",
        lambda api: {
            **_position(api, amendment=True),
            "accept": True,
            "expectedRevision": 1,
            "reason": "Factually correct",
        },
        ("secretariat",),
        bad_input={"accept": False, "reason": ""},
        bad_field="reason",
    ),
    Case(
        "endorseJointPosition",
        "jointPositionId:ID! revision:Int! statement:String!",
        lambda api: {**_position(api), "revision": 1, "statement": "We endorse it."},
        STANCE_TAKERS,
        bad_input={"statement": "bell\x07"},
        bad_field="statement",
    ),
    Case(
        "recordDissent",
        "jointPositionId:ID! revision:Int! statement:String!",
        lambda api: {**_position(api), "revision": 1, "statement": "Civil society was not heard."},
        STANCE_TAKERS,
        bad_input={"statement": ""},
        bad_field="statement",
    ),
    Case(
        "adoptJointPosition",
        "jointPositionId:ID! revision:Int! session:String! adoptedOn:Date! method:DecisionMethod!",
        lambda api: {
            **_position(api),
            "revision": 1,
            "session": "12th session of the Council",
            "adoptedOn": "2026-05-01",
            "method": "CONSENSUS",
        },
        ("secretariat",),
        bad_input={"method": "VOTE"},
        bad_field="votes",
    ),
    Case(
        "publishJointPosition",
        "jointPositionId:ID! expectedRevision:Int!",
        lambda api: {**_position(api, adopted=True), "expectedRevision": 1},
        ("secretariat",),
        bad_input={"jointPositionId": "p-1"},
        bad_field="jointPositionId",
    ),
    Case(
        "reopenJointPosition",
        "jointPositionId:ID! expectedRevision:Int! reason:String!",
        lambda api: {**_position(api, published=True), "expectedRevision": 1, "reason": "New law"},
        ("secretariat",),
        bad_input={"reason": ""},
        bad_field="reason",
    ),
    Case(
        "correctRecommendationStatus",
        "recommendationId:ID! status:ImplementationStatus! reason:String! expectedRevision:Int!",
        lambda api: {
            "recommendationId": str(api.world.other_recommendation_id),
            "status": "FULLY_IMPLEMENTED",
            "reason": "The law was adopted on 2 March",
            "expectedRevision": 1,
        },
        ("secretariat",),
        bad_input={"reason": ""},
        bad_field="reason",
    ),
    Case(
        "erasePersonalData",
        "memberId:ID! expectedRevision:Int! reason:String!",
        lambda api: {**_member(api), "expectedRevision": 1, "reason": "Asked by the person"},
        ("secretariat",),
        bad_input={"reason": ""},
        bad_field="reason",
    ),
]


def _try(api: Api, case: Case, actor: Actor, variables: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api.data(actor, case.document(), **variables)["result"]
    return result


def test_every_mutation_is_refused_to_every_role_the_rules_do_not_allow_and_stores_nothing(
    api: Api,
) -> None:
    cast = cast_of(api)
    mismatches: list[str] = []
    for case in CASES:
        variables = case.prepare(api)
        order = [r for r in ROLES if r not in case.allowed] + list(case.allowed)
        for role in order:
            before = api.log_position()
            result = _try(api, case, cast[role], variables)
            typename = result["__typename"]
            if role in case.allowed:
                if not typename.endswith("Payload"):
                    mismatches.append(f"{case.name} by {role}: {typename} {result.get('message')}")
                continue
            expected = "WrongState" if role in case.wrong_state else "NotAllowed"
            if typename != expected:
                mismatches.append(f"{case.name} by {role}: {typename}, expected {expected}")
            if api.log_position() != before:
                mismatches.append(f"{case.name} by {role} stored an event")
    assert mismatches == []


def test_the_public_may_not_call_any_mutation(api: Api) -> None:
    for case in CASES:
        variables = case.prepare(api)
        before = api.log_position()
        result = api.data(None, case.document(), **variables)["result"]
        assert result["__typename"] == "NotAllowed", case.name
        assert "Bearer" in result["message"]
        assert api.log_position() == before


def test_bad_input_to_every_mutation_is_invalid_naming_the_argument_and_stores_nothing(
    api: Api,
) -> None:
    cast = cast_of(api)
    for case in CASES:
        variables = {**case.prepare(api), **case.bad_input}
        before = api.log_position()
        result = _try(api, case, cast[case.allowed[0]], variables)
        assert result["__typename"] == "Invalid", (case.name, result)
        assert result["field"] == case.bad_field, (case.name, result)
        assert result["message"].startswith(f"{case.bad_field}: ")
        assert api.log_position() == before, f"{case.name} stored an event"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_stale_expected_revision_is_a_conflict_carrying_the_current_revision(api: Api) -> None:
    case = next(c for c in CASES if c.name == "reviseAssessment")
    variables = case.prepare(api)
    editor = cast_of(api)["editor"]
    assert _try(api, case, editor, variables)["__typename"] == "AssessmentPayload"
    before = api.log_position()
    result = _try(api, case, editor, variables)
    assert result == {
        "__typename": "Conflict",
        "message": "the assessment is at revision 2, not 1",
        "currentRevision": 2,
    }
    assert api.log_position() == before


def _moved_on(api: Api, case: str, variables: dict[str, Any]) -> int:
    """Someone else changes the subject after the caller read it at revision 1."""
    council, world = api.runtime.council, api.world
    if case == "withdrawCoSignature":
        outcome = council.revise_assessment(
            world.cso_a,
            UUID(variables["assessmentId"]),
            expected_revision=1,
            rating="partially_implemented",
            narrative="Established in 2014; it meets rarely.",
        )
    elif case == "erasePersonalData":
        outcome = council.change_member_roles(
            Actor.operator(), UUID(variables["memberId"]), roles=["editor", "signatory"]
        )
    else:
        outcome = council.edit_comment(
            cast_of(api)["editor"],
            UUID(variables["commentId"]),
            expected_revision=1,
            text="The 2014 decision, Gazette 49.",
        )
    api.settle(outcome.log_position)
    return 2


STALE_CASES = ("withdrawCoSignature", "retractComment", "hideComment", "erasePersonalData")


@pytest.mark.parametrize("name", STALE_CASES)
def test_a_stale_expected_revision_to_every_edit_is_a_conflict_and_stores_nothing(
    api: Api, name: str
) -> None:
    case = next(c for c in CASES if c.name == name)
    caller = cast_of(api)[case.allowed[0]]
    variables = case.prepare(api)
    current = _moved_on(api, name, variables)
    before = api.log_position()
    result = _try(api, case, caller, variables)
    assert result["__typename"] == "Conflict", (name, result)
    assert result["currentRevision"] == current, (name, result)
    assert result["message"].endswith(f" {current}, not 1"), (name, result)
    assert api.log_position() == before, f"{name} stored an event"
    variables["expectedRevision"] = current
    done = _try(api, case, caller, variables)
    assert done["__typename"].endswith("Payload"), (name, done)
