"""The Council's people and one whole monitoring round, shared by the tests of every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from domain.application import Council
from domain.recommendation import CatalogueEntry
from domain.values import Actor, StateResponse

NIL = UUID(int=0)

REC_TEXT = (
    "Consider establishing a national organ to monitor implementation of the recommendations"
    " of UN human rights mechanisms"
)


@dataclass
class World:
    """Organisations and one acting member each."""

    council: Council
    secretariat: Actor
    cso_a: Actor
    cso_b: Actor
    cso_c: Actor
    state_body: Actor
    outsider: Actor  # a CSO that is not a member of the Platform
    auditor: Actor
    organisations: dict[str, UUID] = field(default_factory=dict)
    recommendation_id: UUID = NIL
    other_recommendation_id: UUID = NIL


def catalogue_entries() -> list[CatalogueEntry]:
    return [
        CatalogueEntry(
            mechanism="UPR",
            document_symbol="A/HRC/23/15",
            paragraph="131.4",
            text=REC_TEXT,
            session="15",
            cycle=2,
            recommending_states=["Ukraine"],
            themes=["Cooperation with human rights mechanisms"],
            affected_persons=["General"],
            sdgs=["16"],
            state_response=StateResponse.SUPPORTED,
            document_date="2013-03-22",
        ),
        CatalogueEntry(
            mechanism="UPR",
            document_symbol="A/HRC/23/15",
            paragraph="132.10",
            text="Continue efforts on the use of Ćirilica and minority languages in schools",
            session="15",
            cycle=2,
            recommending_states=["Hungary", "Romania"],
            themes=["Minorities and Roma", "Education"],
            affected_persons=["National minorities"],
            state_response=StateResponse.NOTED,
            document_date="2013-03-22",
        ),
    ]


def build_world(council: Council) -> World:
    operator = Actor.operator()
    orgs: dict[str, UUID] = {}
    members: dict[str, Actor] = {}
    people = [
        (
            "secretariat",
            "Office for Human and Minority Rights",
            "secretariat",
            False,
            ["secretariat"],
        ),
        ("cso_a", "Belgrade Centre for Human Rights", "cso", True, ["editor", "signatory"]),
        ("cso_b", "Lawyers' Committee for Human Rights", "cso", True, ["editor", "signatory"]),
        ("cso_c", "Civic Initiatives", "cso", True, ["editor", "signatory"]),
        ("state_body", "Ministry of Justice", "state_body", False, ["editor", "signatory"]),
        ("outsider", "Unaffiliated Association", "cso", False, ["editor", "signatory"]),
        ("auditor", "Protector of Citizens", "observer", False, ["auditor"]),
    ]
    for key, name, kind, platform, roles in people:
        org = council.register_organisation(operator, name=name, kind=kind, platform=platform)
        orgs[key] = org.id
        member = council.register_member(
            operator,
            organisation_id=org.id,
            name=f"Member of {name}",
            email=f"{key}@example.org",
            roles=roles,
        )
        members[key] = council.actor_for(member.id)
    outcome = council.record_recommendations(operator, catalogue_entries(), source="test")
    assert outcome.new == 2
    entries = catalogue_entries()
    return World(
        council=council,
        organisations=orgs,
        recommendation_id=entries[0].id,
        other_recommendation_id=entries[1].id,
        **members,
    )


@dataclass
class RoundRecord:
    """Ids and log positions of the steps of the scenario, for later checks."""

    round_id: UUID = NIL
    assessment_id: UUID = NIL
    position_id: UUID = NIL
    amendment_id: UUID = NIL
    steps: dict[str, int] = field(default_factory=dict)


def open_round(world: World, quorum: int = 1) -> UUID:
    outcome = world.council.open_round(
        world.secretariat,
        title="UPR cycle 4 mid-term review, 2026",
        recommendation_ids=[world.recommendation_id, world.other_recommendation_id],
        assessments_due=date(2026, 4, 1),
        co_signing_due=date(2026, 4, 15),
        council_session_on=date(2026, 5, 1),
        co_sign_quorum=quorum,
        cycle=4,
    )
    return outcome.id


def play_round(world: World) -> RoundRecord:
    """The whole round of the core scenario, step by step."""
    council = world.council
    record = RoundRecord()
    record.round_id = open_round(world)
    rec = world.recommendation_id

    a = council.propose_assessment(
        world.cso_a,
        round_id=record.round_id,
        recommendation_id=rec,
        rating="not_implemented",
        narrative="No body has been designated yet.",
        evidence=[
            {
                "title": "Government decision",
                "reference": "Official Gazette 2014/49",
                "date": "2014-05-07",
                "kind": "law",
            }
        ],
    )
    record.assessment_id = a.id
    record.steps["proposed"] = a.log_position
    step = council.revise_assessment(
        world.cso_a,
        a.id,
        expected_revision=1,
        rating="partially_implemented",
        narrative="The Council was established in 2014 but meets rarely.",
    )
    record.steps["revised_2"] = step.log_position
    step = council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=2)
    record.steps["opened"] = step.log_position
    step = council.co_sign_assessment(world.cso_b, a.id, revision=2)
    record.steps["b_signed_2"] = step.log_position
    step = council.co_sign_assessment(world.cso_c, a.id, revision=2)
    record.steps["c_signed_2"] = step.log_position
    step = council.revise_assessment(
        world.cso_a,
        a.id,
        expected_revision=2,
        rating="partially_implemented",
        narrative="The Council was established in 2014; the Platform takes part since 2019.",
    )
    record.steps["revised_3"] = step.log_position
    step = council.co_sign_assessment(world.cso_b, a.id, revision=3)
    record.steps["b_signed_3"] = step.log_position
    step = council.withdraw_co_signature(
        world.cso_c, a.id, expected_revision=3, reason="We disagree with the rating"
    )
    record.steps["c_withdrew"] = step.log_position
    step = council.submit_assessment(world.cso_a, a.id, expected_revision=3)
    record.steps["submitted"] = step.log_position

    p = council.draft_joint_position(
        world.secretariat,
        round_id=record.round_id,
        recommendation_id=rec,
        text="The Council finds the recommendation partially implemented.",
        proposed_status="partially_implemented",
        based_on=[(a.id, 3)],
    )
    record.position_id = p.id
    record.steps["drafted"] = p.log_position
    amendment = council.propose_amendment(
        world.state_body,
        p.id,
        revision=1,
        text="The Council finds the recommendation partially implemented; the Government"
        " reports regular sessions since 2020.",
        rationale="Reflect the sessions held",
    )
    record.amendment_id = amendment.id
    record.steps["amendment_proposed"] = amendment.log_position
    step = council.decide_amendment(
        world.secretariat,
        p.id,
        amendment_id=amendment.id,
        accept=True,
        expected_revision=1,
        reason="Factually correct",
    )
    record.steps["amendment_accepted"] = step.log_position
    step = council.record_dissent(
        world.cso_b,
        p.id,
        revision=2,
        statement="Sessions were held, but civil society was not consulted on the agenda.",
    )
    record.steps["b_dissented"] = step.log_position
    step = council.adopt_joint_position(
        world.secretariat,
        p.id,
        revision=2,
        session="12th session of the Council",
        adopted_on=date(2026, 5, 1),
        method="vote",
        votes_for=14,
        votes_against=2,
        abstentions=1,
        divergent_views="Two Platform members consider the rating too generous.",
    )
    record.steps["adopted"] = step.log_position
    step = council.publish_joint_position(world.secretariat, p.id, expected_revision=2)
    record.steps["published"] = step.log_position
    return record
