"""The record as it stood: at every step of the round, `asOf` answers what the Council saw then."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from tests.scenario import RoundRecord, play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

B, C = "Lawyers' Committee for Human Rights", "Civic Initiatives"

ASSESSMENT = """query A($id: ID!, $asOf: AsOf) { assessment(id: $id, asOf: $asOf) {
  id state revision rating narrative submittedRevision logPosition proposedAt updatedAt
  evidence { title } organisation { name } proposedBy { displayName } round { title }
  revisions { revision rating narrative at logPosition author { id } }
  coSignatures { revision status signedAt endedAt endReason logPosition organisation { name }
    signedBy { id } }
  recommendation { status }
  comments { text } commentCount } }"""

POSITION = """query P($id: ID!, $asOf: AsOf) { jointPosition(id: $id, asOf: $asOf) {
  id state cycle revision text proposedStatus adoptedRevision publishedRevision logPosition
  draftedAt updatedAt draftedBy { id } basedOn { revision assessment { state revision } }
  revisions { revision cycle text proposedStatus note amendmentId at logPosition }
  amendments { id revision text state decisionReason resultingRevision decidedAt logPosition
    organisation { name } }
  endorsements { revision statement organisation { name } }
  dissents { revision statement organisation { name } member { id } }
  adoptions { revision session method votesFor votesAgainst abstentions divergentViews }
  recommendation { status } comments { text } commentCount } }"""

RECOMMENDATION = """query R($id: ID!, $asOf: AsOf) { recommendation(id: $id, asOf: $asOf) {
  id documentSymbol paragraph text status revision logPosition recordedAt updatedAt
  responsibleBodies { name }
  statusBasis { status basis jointPositionId positionRevision reason }
  statusTimeline { status basis positionRevision logPosition actor { id } }
  comments { text } commentCount } }"""

# What the scenario asserts at each step: state, revision, and who had signed which revision.
ASSESSMENT_AT = {
    "proposed": ("DRAFT", 1, {}),
    "revised_2": ("DRAFT", 2, {}),
    "opened": ("OPEN_FOR_SIGNATURE", 2, {}),
    "b_signed_2": ("OPEN_FOR_SIGNATURE", 2, {B: 2}),
    "c_signed_2": ("OPEN_FOR_SIGNATURE", 2, {B: 2, C: 2}),
    "revised_3": ("OPEN_FOR_SIGNATURE", 3, {B: 2, C: 2}),
    "b_signed_3": ("OPEN_FOR_SIGNATURE", 3, {B: 3, C: 2}),
    "c_withdrew": ("OPEN_FOR_SIGNATURE", 3, {B: 3}),
    "submitted": ("SUBMITTED", 3, {B: 3}),
}
# State, revision, amendments' fate, dissents, adoptions, published revision.
POSITION_AT = {
    "drafted": ("DRAFTING", 1, [], 0, [], None),
    "amendment_proposed": ("DRAFTING", 1, [("PROPOSED", None)], 0, [], None),
    "amendment_accepted": ("DRAFTING", 2, [("ACCEPTED", 2)], 0, [], None),
    "b_dissented": ("DRAFTING", 2, [("ACCEPTED", 2)], 1, [], None),
    "adopted": ("ADOPTED", 2, [("ACCEPTED", 2)], 1, [2], None),
    "published": ("PUBLISHED", 2, [("ACCEPTED", 2)], 1, [2], 2),
}


def _at(api: Api, viewer: Any, query: str, subject: Any, log_position: int | None) -> Any:
    as_of = None if log_position is None else {"logPosition": log_position}
    data = api.data(viewer, query, id=str(subject), asOf=as_of)
    return next(iter(data.values()))


def _signed(view: dict[str, Any]) -> dict[str, int]:
    return {
        s["organisation"]["name"]: s["revision"]
        for s in view["coSignatures"]
        if s["status"] == "active"
    }


def _played(api: Api) -> RoundRecord:
    record = play_round(api.world)
    api.settle(api.log_position())
    return record


def test_at_every_step_of_the_round_an_assessment_reads_as_the_scenario_recorded_it(
    api: Api,
) -> None:
    record = _played(api)
    auditor, steps = api.world.auditor, record.steps
    assert _at(api, auditor, ASSESSMENT, record.assessment_id, steps["proposed"] - 1) is None
    last: tuple[str, int, dict[str, int]] = ASSESSMENT_AT["proposed"]
    for step, log_position in steps.items():
        last = ASSESSMENT_AT.get(step, last)
        view = _at(api, auditor, ASSESSMENT, record.assessment_id, log_position)
        assert (view["state"], view["revision"], _signed(view)) == last, step
        assert [r["revision"] for r in view["revisions"]] == list(range(1, last[1] + 1)), step
    withdrew = _at(api, auditor, ASSESSMENT, record.assessment_id, steps["c_withdrew"])
    assert [
        (s["organisation"]["name"], s["revision"], s["status"]) for s in withdrew["coSignatures"]
    ] == [
        (B, 2, "superseded"),
        (C, 2, "withdrawn"),
        (B, 3, "active"),
    ]
    assert withdrew["coSignatures"][1]["endReason"] == "We disagree with the rating"
    assert withdrew["submittedRevision"] is None
    submitted = _at(api, auditor, ASSESSMENT, record.assessment_id, steps["submitted"])
    assert submitted["submittedRevision"] == 3


def test_at_every_step_a_joint_position_and_its_recommendations_status_read_as_they_were(
    api: Api,
) -> None:
    record = _played(api)
    auditor, steps = api.world.auditor, record.steps
    for step, log_position in steps.items():
        view = _at(api, auditor, POSITION, record.position_id, log_position)
        expected = POSITION_AT.get(step)
        if expected is None:  # the assessment's steps, before the joint position was drafted
            assert view is None, step
            continue
        state, revision, amendments, dissents, adoptions, published = expected
        assert (view["state"], view["revision"]) == (state, revision), step
        fate = [(a["state"], a["resultingRevision"]) for a in view["amendments"]]
        assert fate == amendments, step
        assert len(view["dissents"]) == dissents, step
        assert [a["revision"] for a in view["adoptions"]] == adoptions, step
        assert view["publishedRevision"] == published, step
    dissented = _at(api, auditor, POSITION, record.position_id, steps["b_dissented"])
    assert dissented["dissents"][0]["statement"].startswith("Sessions were held")
    assert dissented["dissents"][0]["organisation"]["name"] == B

    for step, log_position in steps.items():
        status = _at(api, None, RECOMMENDATION, api.world.recommendation_id, log_position)
        if step not in ("adopted", "published"):
            assert (status["status"], status["statusBasis"], status["statusTimeline"]) == (
                "NOT_ASSESSED",
                None,
                [],
            ), step
            continue
        assert status["status"] == "PARTIALLY_IMPLEMENTED"
        assert status["statusBasis"] == {
            "status": "PARTIALLY_IMPLEMENTED",
            "basis": "ADOPTED_POSITION",
            "jointPositionId": str(record.position_id),
            "positionRevision": 2,
            "reason": "",
        }


def test_at_the_last_log_position_the_past_reads_exactly_as_the_present(api: Api) -> None:
    record = _played(api)
    world, head = api.world, api.log_position()
    comment = api.runtime.council.post_comment(
        world.cso_b,
        subject_kind="assessment",
        subject_id=record.assessment_id,
        text="The rating is fair.",
    )
    api.settle(comment.log_position)
    head = comment.log_position
    for viewer in (world.auditor, world.cso_a, world.cso_b, world.outsider, None):
        for query, subject in (
            (ASSESSMENT, record.assessment_id),
            (POSITION, record.position_id),
            (RECOMMENDATION, world.recommendation_id),
        ):
            now = _at(api, viewer, query, subject, None)
            assert _at(api, viewer, query, subject, head) == now, (query[:8], viewer)
    assert _at(api, world.cso_b, ASSESSMENT, record.assessment_id, head)["commentCount"] == 1


def test_nested_things_read_as_of_the_same_moment_and_later_comments_are_not_there_yet(
    api: Api,
) -> None:
    record = _played(api)
    world, steps = api.world, record.steps
    api.settle(
        api.runtime.council.post_comment(
            world.cso_b,
            subject_kind="joint_position",
            subject_id=record.position_id,
            text="We will dissent.",
        ).log_position
    )
    drafted = _at(api, world.secretariat, POSITION, record.position_id, steps["drafted"])
    assert drafted["recommendation"] == {"status": "NOT_ASSESSED"}
    assert drafted["basedOn"] == [
        {"revision": 3, "assessment": {"state": "SUBMITTED", "revision": 3}}
    ]
    assert (drafted["comments"], drafted["commentCount"]) == ([], 0)
    now = _at(api, world.secretariat, POSITION, record.position_id, None)
    assert now["recommendation"] == {"status": "PARTIALLY_IMPLEMENTED"}
    assert [c["text"] for c in now["comments"]] == ["We will dissent."]


def test_a_moment_in_time_reads_as_the_last_log_position_at_or_before_it(api: Api) -> None:
    record = _played(api)
    world, steps = api.world, record.steps
    adopted_at = api.runtime.council.joint_position(record.position_id).adoptions[0].at
    belgrade = adopted_at.astimezone(timezone(timedelta(hours=2))).isoformat()
    by_time = api.data(world.auditor, POSITION, id=str(record.position_id), asOf={"at": belgrade})
    by_position = _at(api, world.auditor, POSITION, record.position_id, steps["adopted"])
    assert by_time["jointPosition"] == by_position
    assert by_position["state"] == "ADOPTED"
    year_2000 = adopted_at.replace(year=2000).isoformat()
    long_ago = api.data(
        None, RECOMMENDATION, id=str(world.recommendation_id), asOf={"at": year_2000}
    )
    assert long_ago["recommendation"] is None


def _refusal(api: Api, as_of: dict[str, Any]) -> dict[str, Any]:
    body = api.post(api.world.auditor, ASSESSMENT, id=str(api.world.recommendation_id), asOf=as_of)
    assert body["data"] == {"assessment": None}
    error: dict[str, Any] = body["errors"][0]
    return error


def test_a_log_position_after_the_last_event_or_a_time_without_its_zone_is_invalid_as_of(
    api: Api,
) -> None:
    head = api.log_position()
    for as_of in ({"logPosition": head + 1}, {"logPosition": -1}, {"at": "2026-03-01T09:00:00"}):
        error = _refusal(api, as_of)
        assert error["extensions"] == {"code": "INVALID", "field": "asOf"}, as_of
        assert error["message"].startswith("asOf: ")
    assert str(head) in _refusal(api, {"logPosition": head + 1})["message"]
    both = api.post(
        None, RECOMMENDATION, id="x", asOf={"logPosition": 1, "at": "2026-03-01T09:00:00Z"}
    )
    assert "exactly one" in both["errors"][0]["message"]


def test_a_draft_then_is_seen_only_by_its_organisation_and_auditors_though_submitted_now(
    api: Api,
) -> None:
    record = _played(api)
    world, steps = api.world, record.steps
    viewers = {
        "cso_a": world.cso_a,
        "cso_b": world.cso_b,
        "secretariat": world.secretariat,
        "outsider": world.outsider,
        "auditor": world.auditor,
        "public": None,
    }

    def who_sees(log_position: int | None) -> set[str]:
        return {
            name
            for name, viewer in viewers.items()
            if _at(api, viewer, ASSESSMENT, record.assessment_id, log_position) is not None
        }

    assert who_sees(steps["revised_2"]) == {"cso_a", "auditor"}
    assert who_sees(steps["opened"]) == {"cso_a", "cso_b", "auditor"}
    assert who_sees(steps["submitted"]) == {"cso_a", "cso_b", "secretariat", "auditor"}
    assert who_sees(None) == who_sees(steps["submitted"])


def test_the_public_sees_a_joint_position_of_the_past_only_once_published_and_only_its_text(
    api: Api,
) -> None:
    record = _played(api)
    world, council, steps = api.world, api.runtime.council, record.steps
    council.reopen_joint_position(
        world.secretariat, record.position_id, expected_revision=2, reason="A new law in 2027"
    )
    revised = council.revise_joint_position(
        world.secretariat,
        record.position_id,
        expected_revision=2,
        text="A draft that is not public.",
        proposed_status="fully_implemented",
    )
    api.settle(revised.log_position)
    for step in ("drafted", "b_dissented", "adopted"):
        assert _at(api, None, POSITION, record.position_id, steps[step]) is None, step
    assert _at(api, world.outsider, POSITION, record.position_id, steps["b_dissented"]) is None
    adopted = _at(api, world.outsider, POSITION, record.position_id, steps["adopted"])
    assert (adopted["state"], adopted["revision"]) == ("ADOPTED", 2)  # every member, then
    for log_position in (steps["published"], revised.log_position):
        public = _at(api, None, POSITION, record.position_id, log_position)
        assert public["revision"] == 2
        assert "regular sessions since 2020" in public["text"]
        assert [r["revision"] for r in public["revisions"]] == [2]
        assert (public["amendments"], public["dissents"], public["draftedBy"]) == ([], [], None)
    reopened = _at(api, None, POSITION, record.position_id, revised.log_position)
    assert reopened["state"] == "DRAFTING"
    council_view = _at(api, world.cso_b, POSITION, record.position_id, revised.log_position)
    assert (council_view["revision"], council_view["text"]) == (3, "A draft that is not public.")


def test_an_id_of_another_kind_of_thing_or_no_id_at_all_reads_as_nothing(api: Api) -> None:
    record = _played(api)
    head = api.log_position()
    auditor = api.world.auditor
    assert _at(api, auditor, ASSESSMENT, record.position_id, head) is None
    assert _at(api, auditor, POSITION, record.assessment_id, head) is None
    assert _at(api, auditor, RECOMMENDATION, "not-an-id", head) is None
