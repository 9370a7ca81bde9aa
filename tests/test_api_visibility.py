"""Staged visibility through the API: who sees drafts, signatures, positions, names and the log."""

from __future__ import annotations

from typing import Any

from tests.scenario import play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

ASSESSMENT = "query A($id: ID!) { assessment(id: $id) { state revision } }"
POSITION = """query P($id: ID!) { jointPosition(id: $id) {
  state revision text amendments { text } dissents { statement } comments { text }
  revisions { revision } adoptions { votesFor divergentViews } } }"""


def _ids(nodes: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in nodes["edges"]]


def test_the_public_sees_the_catalogue_and_published_positions_and_nothing_else(api: Api) -> None:
    record = play_round(api.world)
    api.settle(api.log_position())
    data = api.data(
        None,
        """{ me { id } recommendations { totalCount edges { node { paragraph comments { id }
             commentCount } } }
           rounds { id } assessments { edges { node { id } } }
           jointPositions { edges { node { id state text revision amendments { id }
             dissents { statement } endorsements { statement } basedOn { revision }
             revisions { revision text } draftedBy { id } round { id } comments { id } } } }
           history(first: 100) { edges { node { subjectKind actor { id } } } } }""",
    )
    assert data["me"] is None
    assert data["recommendations"]["totalCount"] == 2
    assert all(e["node"]["commentCount"] is None for e in data["recommendations"]["edges"])
    assert data["rounds"] == []
    assert data["assessments"]["edges"] == []
    [position] = [edge["node"] for edge in data["jointPositions"]["edges"]]
    assert position["id"] == str(record.position_id)
    assert position["state"] == "PUBLISHED"
    assert position["revision"] == 2
    assert "regular sessions since 2020" in position["text"]
    assert position["revisions"] == [{"revision": 2, "text": position["text"]}]
    for hidden in ("amendments", "dissents", "endorsements", "basedOn", "comments"):
        assert position[hidden] == [], hidden
    assert position["draftedBy"] is None
    assert position["round"] is None
    kinds = {edge["node"]["subjectKind"] for edge in data["history"]["edges"]}
    assert kinds <= {"recommendation", "organisation", "joint_position"}
    assert all(edge["node"]["actor"] is None for edge in data["history"]["edges"])
    assert api.data(None, ASSESSMENT, id=str(record.assessment_id))["assessment"] is None


def test_a_draft_is_seen_by_its_organisation_then_the_platform_then_the_council(api: Api) -> None:
    world, council = api.world, api.runtime.council
    round_id = api.open_round()
    a = council.propose_assessment(
        world.cso_a,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        rating="not_implemented",
        narrative="Nothing yet.",
    )
    api.settle(a.log_position)

    def who_sees() -> set[str]:
        everyone = {
            "cso_a": world.cso_a,
            "cso_b": world.cso_b,
            "state_body": world.state_body,
            "secretariat": world.secretariat,
            "outsider": world.outsider,
            "auditor": world.auditor,
        }
        seen = set()
        for name, actor in everyone.items():
            one = api.data(actor, ASSESSMENT, id=str(a.id))["assessment"]
            listed = api.data(actor, "{ assessments { edges { node { id } } } }")["assessments"]
            assert (one is not None) == (str(a.id) in _ids(listed)), name
            if one is not None:
                seen.add(name)
        return seen

    assert who_sees() == {"cso_a", "auditor"}
    api.settle(
        council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1).log_position
    )
    assert who_sees() == {"cso_a", "cso_b", "auditor"}
    api.settle(council.co_sign_assessment(world.cso_b, a.id, revision=1).log_position)
    api.settle(council.submit_assessment(world.cso_a, a.id, expected_revision=1).log_position)
    assert who_sees() == {"cso_a", "cso_b", "state_body", "secretariat", "auditor"}


def test_a_draft_position_is_for_council_participants_and_an_adopted_one_for_all_members(
    api: Api,
) -> None:
    world, council = api.world, api.runtime.council
    round_id = api.open_round()
    p = council.draft_joint_position(
        world.secretariat,
        round_id=round_id,
        recommendation_id=world.recommendation_id,
        text="Partially implemented.",
        proposed_status="partially_implemented",
    )
    api.settle(p.log_position)
    assert api.data(world.cso_b, POSITION, id=str(p.id))["jointPosition"]["text"]
    assert api.data(world.outsider, POSITION, id=str(p.id))["jointPosition"] is None
    assert api.data(None, POSITION, id=str(p.id))["jointPosition"] is None
    api.settle(
        council.adopt_joint_position(
            world.secretariat, p.id, revision=1, session="12th", adopted_on=p_date()
        ).log_position
    )
    seen = api.data(world.outsider, POSITION, id=str(p.id))["jointPosition"]
    assert seen["state"] == "ADOPTED"
    assert seen["revisions"] == [{"revision": 1}]
    assert api.data(None, POSITION, id=str(p.id))["jointPosition"] is None


def p_date() -> Any:
    from datetime import date

    return date(2026, 5, 1)


def test_a_reopened_position_shows_the_public_its_last_published_text(api: Api) -> None:
    world, council = api.world, api.runtime.council
    record = play_round(world)
    reopened = council.reopen_joint_position(
        world.secretariat, record.position_id, expected_revision=2, reason="A new law in 2027"
    )
    revised = council.revise_joint_position(
        world.secretariat,
        record.position_id,
        expected_revision=2,
        text="A draft that is not public.",
        proposed_status="fully_implemented",
    )
    api.settle(max(reopened.log_position, revised.log_position))
    public = api.data(None, POSITION, id=str(record.position_id))["jointPosition"]
    assert public["state"] == "DRAFTING"
    assert public["revision"] == 2
    assert "regular sessions since 2020" in public["text"]
    council_view = api.data(world.cso_b, POSITION, id=str(record.position_id))["jointPosition"]
    assert council_view["text"] == "A draft that is not public."
    assert council_view["revision"] == 3


NAMES = "query M($id: ID!) { me { id } history(subjectId: $id) { edges { node { actor { name email displayName } } } } }"


def _member_name(api: Api, viewer: Any, member_of: Any) -> dict[str, Any]:
    data = api.data(
        viewer,
        "{ assessments { edges { node { proposedBy { name email displayName } } } } }",
    )
    node: dict[str, Any] = data["assessments"]["edges"][0]["node"]["proposedBy"]
    return node


def test_names_are_shown_to_the_own_organisation_the_secretariat_and_auditors_only(
    api: Api,
) -> None:
    world = api.world
    play_round(world)
    api.settle(api.log_position())
    name = "Member of Belgrade Centre for Human Rights"
    for viewer in (world.cso_a, world.secretariat, world.auditor):
        assert _member_name(api, viewer, world.cso_a) == {
            "name": name,
            "email": "cso_a@example.org",
            "displayName": name,
        }
    for viewer in (world.cso_b, world.state_body):
        assert _member_name(api, viewer, world.cso_a) == {
            "name": None,
            "email": None,
            "displayName": "a member of Belgrade Centre for Human Rights",
        }


def test_an_erased_member_shows_as_an_erased_member_of_the_organisation(api: Api) -> None:
    world = api.world
    play_round(world)
    result = api.data(
        world.secretariat,
        """mutation E($id: ID!) { erasePersonalData(memberId: $id, expectedRevision: 1,
           reason: "Asked by the person")
           { __typename ... on MemberPayload { member { name email erased } } } }""",
        id=str(world.cso_a.member_id),
    )["erasePersonalData"]
    assert result["member"] == {
        "name": "erased member of Belgrade Centre for Human Rights",
        "email": None,
        "erased": True,
    }
    assert _member_name(api, world.auditor, world.cso_a)["displayName"] == (
        "erased member of Belgrade Centre for Human Rights"
    )


def test_auditors_read_the_raw_log_with_a_hash_of_each_event_and_others_may_not(
    api: Api,
) -> None:
    world = api.world
    api.runtime.audit.catch_up()  # embedded mode does it itself; see test_api_audit
    query = "{ events(after: 2, first: 3) { logPosition topic originatorVersion timestamp state hash leafIndex } }"
    events = api.data(world.auditor, query)["events"]
    assert [e["logPosition"] for e in events] == [3, 4, 5]
    for event in events:
        assert len(bytes.fromhex(event["hash"])) == 32  # its leaf: see test_api_audit
        assert isinstance(event["leafIndex"], int)
        assert event["topic"].startswith("domain.")
    for viewer in (None, world.secretariat, world.cso_a):
        body = api.post(viewer, query)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
        assert body["errors"][0]["message"] == "only auditors read the raw log"


def test_retracted_comment_text_is_hidden_except_from_auditors(api: Api) -> None:
    world, council = api.world, api.runtime.council
    comment = council.post_comment(
        world.cso_a,
        subject_kind="recommendation",
        subject_id=world.recommendation_id,
        text="A remark to take back.",
    )
    retracted = council.retract_comment(
        world.cso_a, comment.id, expected_revision=1, reason="Wrong place"
    )
    api.settle(retracted.log_position)
    query = "{ recommendations { edges { node { comments { state text versions { text } } } } } }"

    def comments(viewer: Any) -> list[Any]:
        edges = api.data(viewer, query)["recommendations"]["edges"]
        return [c for e in edges for c in e["node"]["comments"]]

    assert comments(world.cso_b) == [
        {"state": "RETRACTED", "text": None, "versions": [{"text": None}]}
    ]
    assert comments(world.auditor)[0]["text"] == "A remark to take back."
    assert comments(None) == []
