"""The demo: the bundled Serbia catalogue and a believable monitoring round, all marked as demo.

``load_demo`` imports the bundled UHRI export (A/HRC/23/15, 144 recommendations), registers the
Council's demo organisations with fictional members, assigns responsible state bodies, opens a
round over the recommendations on minorities and Roma plus the four the Government's annex rates,
imports the annex, and plays a round's worth of activity: assessments at every stage, co-signatures
on different revisions, comments, a dissent, and one adopted and published joint position.

Every organisation's name ends in "(demo)" and every narrative says it is demo text. The same
steps run each time, so what the read models show is the same (only ids and times differ).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO
from uuid import UUID

from eventsourcing.utils import get_topic

import graphql_api
from domain.application import Council
from domain.recommendation import CatalogueEntry, Recommendation, recommendation_id
from domain.uhri import parse_row
from domain.values import Actor
from graphql_api import tokens
from graphql_api.importing import import_government_annex, import_uhri
from graphql_api.settings import Settings
from graphql_api.uhri_files import read_rows

DATA = Path(graphql_api.__file__).parent / "data"
SERBIA_UPR = DATA / "serbia-upr.csv"
GOVERNMENT_ANNEX = DATA / "serbia-government-annex-cycle2.csv"
SYMBOL = "A/HRC/23/15"
ROUND_THEME = "Minorities and Roma"
TOKEN_TTL = timedelta(days=30)
GRAPHIQL_URL = "http://127.0.0.1:8000/graphql"
SAMPLE_QUERY = (
    '{ recommendations(first: 5, search: "roma") '
    "{ edges { node { documentSymbol paragraph text status } } } }"
)
DEMO = "(Demo text, not a real assessment.)"

SECRETARIAT = "Office for Human and Minority Rights (demo)"
ROMA_NETWORK = "Roma Inclusion Network (demo)"
EQUAL_RIGHTS = "Equal Rights Forum (demo)"
WOMEN_LEGAL_AID = "Women's Legal Aid Collective (demo)"
MINORITY_RIGHTS = "Ministry of Human and Minority Rights (demo)"
JUSTICE = "Ministry of Justice (demo)"
EDUCATION = "Ministry of Education (demo)"
FOREIGN_AFFAIRS = "Ministry of Foreign Affairs (demo)"
OMBUDSMAN = "Protector of Citizens (demo)"

# (organisation, kind, Platform member)
ORGANISATIONS = (
    (SECRETARIAT, "secretariat", False),
    (ROMA_NETWORK, "cso", True),
    (EQUAL_RIGHTS, "cso", True),
    (WOMEN_LEGAL_AID, "cso", True),
    (MINORITY_RIGHTS, "state_body", False),
    (JUSTICE, "state_body", False),
    (EDUCATION, "state_body", False),
    (FOREIGN_AFFAIRS, "state_body", False),
    (OMBUDSMAN, "observer", False),
)

# (key, name, e-mail, organisation, roles). The surnames are Serbian for "example", "sample",
# "draft" and the like: no real person is meant.
MEMBERS = (
    ("secretary", "Ana Primer", "ana.primer", SECRETARIAT, ("secretariat",)),
    ("roma", "Marko Uzorak", "marko.uzorak", ROMA_NETWORK, ("editor", "signatory")),
    ("equal_editor", "Jelena Ogled", "jelena.ogled", EQUAL_RIGHTS, ("editor",)),
    ("equal_signatory", "Ivan Proba", "ivan.proba", EQUAL_RIGHTS, ("signatory",)),
    ("women", "Mila Nacrt", "mila.nacrt", WOMEN_LEGAL_AID, ("editor", "signatory")),
    ("minority", "Nikola Šablon", "nikola.sablon", MINORITY_RIGHTS, ("editor", "signatory")),
    ("justice", "Vesna Obrazac", "vesna.obrazac", JUSTICE, ("editor", "signatory")),
    ("education", "Luka Model", "luka.model", EDUCATION, ("editor", "signatory")),
    ("foreign", "Sara Predložak", "sara.predlozak", FOREIGN_AFFAIRS, ("editor", "signatory")),
    ("auditor", "Dragan Revizor", "dragan.revizor", OMBUDSMAN, ("auditor",)),
)

# Themes whose recommendations get a responsible state body.
RESPONSIBILITIES = {
    "Minorities and Roma": MINORITY_RIGHTS,
    "Non-discrimination": MINORITY_RIGHTS,
    "Justice and rule of law": JUSTICE,
    "Torture and ill-treatment": JUSTICE,
    "Transitional justice and war crimes": JUSTICE,
    "Education": EDUCATION,
    "Rights of the child": EDUCATION,
    "Ratification of international instruments": FOREIGN_AFFAIRS,
    "Cooperation with human rights mechanisms": FOREIGN_AFFAIRS,
}

# The paragraphs the Government's annex rates; the round covers them.
ANNEX_PARAGRAPHS = ("131.1", "131.2", "132.1", "133.2")


@dataclass(frozen=True)
class DemoMember:
    id: UUID
    name: str
    organisation: str
    roles: tuple[str, ...]


@dataclass
class DemoResult:
    """What the demo created, for printing tokens and for tests."""

    recommendations: int
    round_id: UUID
    members: list[DemoMember] = field(default_factory=list)
    organisations: dict[str, UUID] = field(default_factory=dict)
    published_position_id: UUID | None = None


def holds_recommendations(council: Council) -> bool:
    """Whether the record already holds a catalogued recommendation (read from the event log)."""
    topic = get_topic(Recommendation.Recorded)
    return bool(council.recorder.select_notifications(start=None, limit=1, topics=[topic]))


def load_demo(council: Council) -> DemoResult:
    """Load the whole demo into ``council`` (see the module's docstring)."""
    operator = Actor.operator()
    imported = import_uhri(council, SERBIA_UPR, actor=operator)
    orgs = {
        name: council.register_organisation(operator, name=name, kind=kind, platform=platform).id
        for name, kind, platform in ORGANISATIONS
    }
    actors: dict[str, Actor] = {}
    members: list[DemoMember] = []
    for key, name, mail, organisation, roles in MEMBERS:
        outcome = council.register_member(
            operator,
            organisation_id=orgs[organisation],
            name=name,
            email=f"{mail}@demo.example.org",
            roles=roles,
        )
        actors[key] = council.actor_for(outcome.id)
        members.append(DemoMember(outcome.id, name, organisation, roles))
    entries = _bundled_entries()
    _assign_responsibilities(council, actors["secretary"], orgs, entries)
    round_id = _open_round(council, actors["secretary"], entries)
    import_government_annex(
        council,
        GOVERNMENT_ANNEX,
        member_id=actors["minority"].member_id,
        organisation_id=orgs[MINORITY_RIGHTS],
        round_id=round_id,
    )
    position_id = _play(council, actors, round_id)
    return DemoResult(
        recommendations=imported.new + imported.updated + imported.unchanged,
        round_id=round_id,
        members=members,
        organisations=orgs,
        published_position_id=position_id,
    )


def welcome(settings: Settings, result: DemoResult) -> Iterator[str]:
    """The lines printed after loading: one bearer token per member, and a query to try."""
    yield (
        f"Demo loaded: {result.recommendations} recommendations of {SYMBOL},"
        f" {len(result.organisations)} organisations, {len(result.members)} members,"
        f" monitoring round {result.round_id}."
    )
    yield ""
    yield f"Bearer tokens, valid {TOKEN_TTL.days} days (header  Authorization: Bearer TOKEN):"
    for member in result.members:
        token = tokens.issue(settings, member.id, TOKEN_TTL)
        yield ""
        yield f"{member.name}, {member.organisation} [{', '.join(member.roles)}]"
        yield f"  member {member.id}"
        yield f"  {token}"
    yield ""
    yield from try_it()


def already_loaded() -> Iterator[str]:
    yield "The database already holds recommendations: the demo was not loaded (--if-empty)."
    yield "For a bearer token:  council token issue --member MEMBER_ID --ttl 30d"
    yield "(the demo members' ids were printed when the demo was loaded)"
    yield ""
    yield from try_it()


def try_it() -> Iterator[str]:
    yield f"Try this query in GraphiQL at {GRAPHIQL_URL}:"
    yield f"  {SAMPLE_QUERY}"


def print_lines(lines: Iterator[str], out: IO[str]) -> None:
    for line in lines:
        print(line, file=out)


# --- the steps -------------------------------------------------------------------------------


def _rec(paragraph: str) -> UUID:
    return recommendation_id(SYMBOL, paragraph)


def _bundled_entries() -> list[CatalogueEntry]:
    return [parse_row(row, row_number) for row_number, row in read_rows(SERBIA_UPR)]


def _assign_responsibilities(
    council: Council, secretary: Actor, orgs: dict[str, UUID], entries: list[CatalogueEntry]
) -> None:
    for entry in entries:
        bodies = sorted({orgs[RESPONSIBILITIES[t]] for t in entry.themes if t in RESPONSIBILITIES})
        if bodies:
            council.assign_responsible_bodies(secretary, entry.id, organisation_ids=bodies)


def _open_round(council: Council, secretary: Actor, entries: list[CatalogueEntry]) -> UUID:
    themed = [entry.paragraph for entry in entries if ROUND_THEME in entry.themes]
    paragraphs = dict.fromkeys([*ANNEX_PARAGRAPHS, *themed])
    today = council.clock().date()
    return council.open_round(
        secretary,
        title="Demo round: minorities, Roma and the Government's annex (UPR cycle 2)",
        recommendation_ids=[_rec(p) for p in paragraphs],
        assessments_due=today + timedelta(days=30),
        co_signing_due=today + timedelta(days=45),
        council_session_on=today + timedelta(days=60),
        co_sign_quorum=1,
        mechanism="UPR",
        cycle=2,
    ).id


def _play(council: Council, a: dict[str, Actor], round_id: UUID) -> UUID:
    """Assessments at every stage, comments, and one joint position adopted and published."""
    roma_access, integration, segregation = _rec("132.94"), _rec("132.92"), _rec("132.25")

    # A civil-society assessment, revised after co-signing began, and submitted.
    cso = council.propose_assessment(
        a["roma"],
        round_id=round_id,
        recommendation_id=roma_access,
        rating="not_implemented",
        narrative=f"{DEMO} Roma settlements still lack legal tenure and school places.",
        evidence=[
            {
                "title": "Demo survey of Roma settlements",
                "reference": "demo-report-2025",
                "date": "2025-11-15",
                "kind": "report",
            }
        ],
    ).id
    council.revise_assessment(
        a["roma"],
        cso,
        expected_revision=1,
        rating="partially_implemented",
        narrative=f"{DEMO} Enrolment rose, but housing and tenure did not improve.",
    )
    council.open_assessment_for_signature(a["roma"], cso, expected_revision=2)
    council.co_sign_assessment(a["equal_signatory"], cso, revision=2)
    council.co_sign_assessment(a["women"], cso, revision=2)
    council.revise_assessment(
        a["roma"],
        cso,
        expected_revision=2,
        rating="partially_implemented",
        narrative=f"{DEMO} Enrolment rose; housing, tenure and employment did not improve.",
    )
    council.co_sign_assessment(a["equal_signatory"], cso, revision=3)
    council.submit_assessment(a["roma"], cso, expected_revision=3)

    # The state body's assessment of the same recommendation, co-signed and submitted.
    government = council.propose_assessment(
        a["minority"],
        round_id=round_id,
        recommendation_id=roma_access,
        rating="partially_implemented",
        narrative=f"{DEMO} The Roma inclusion strategy funds school mediators in 40 towns.",
    ).id
    council.open_assessment_for_signature(a["minority"], government, expected_revision=1)
    council.co_sign_assessment(a["education"], government, revision=1)
    council.submit_assessment(a["minority"], government, expected_revision=1)

    # One open for signature, one still a draft.
    open_one = council.propose_assessment(
        a["equal_editor"],
        round_id=round_id,
        recommendation_id=integration,
        rating="partially_implemented",
        narrative=f"{DEMO} Local action plans exist in half of the municipalities.",
    ).id
    council.open_assessment_for_signature(a["equal_editor"], open_one, expected_revision=1)
    council.co_sign_assessment(a["roma"], open_one, revision=1)
    council.propose_assessment(
        a["women"],
        round_id=round_id,
        recommendation_id=segregation,
        rating="not_implemented",
        narrative=f"{DEMO} Segregated classes persist in several schools.",
    )

    _comment(council, a, cso)
    return _joint_position(council, a, round_id, roma_access, [(cso, 3), (government, 1)])


def _comment(council: Council, a: dict[str, Actor], assessment_id: UUID) -> None:
    question = council.post_comment(
        a["education"],
        subject_kind="assessment",
        subject_id=assessment_id,
        subject_revision=3,
        quote="Enrolment rose",
        text=f"{DEMO} Which school years does the enrolment figure cover?",
    ).id
    council.post_comment(
        a["roma"],
        subject_kind="assessment",
        subject_id=assessment_id,
        subject_revision=3,
        parent_id=question,
        text=f"{DEMO} 2022/23 to 2024/25, from the ministry's own statistics.",
    )
    council.post_comment(
        a["women"],
        subject_kind="recommendation",
        subject_id=_rec("132.97"),
        text=f"{DEMO} Evictions continued in 2025; we suggest this for the next round.",
    )


def _joint_position(
    council: Council,
    a: dict[str, Actor],
    round_id: UUID,
    recommendation: UUID,
    based_on: list[tuple[UUID, int]],
) -> UUID:
    secretary = a["secretary"]
    position = council.draft_joint_position(
        secretary,
        round_id=round_id,
        recommendation_id=recommendation,
        text=f"{DEMO} The Council finds the recommendation partially implemented.",
        proposed_status="partially_implemented",
        based_on=based_on,
    ).id
    amendment = council.propose_amendment(
        a["minority"],
        position,
        revision=1,
        text=f"{DEMO} The Council finds the recommendation partially implemented: enrolment"
        " rose, while housing and tenure remain to be addressed.",
        rationale="Name what improved and what did not",
    ).id
    council.decide_amendment(
        secretary, position, amendment_id=amendment, accept=True, expected_revision=1
    )
    council.endorse_joint_position(a["equal_signatory"], position, revision=2)
    council.endorse_joint_position(a["minority"], position, revision=2)
    council.record_dissent(
        a["women"],
        position,
        revision=2,
        statement=f"{DEMO} Without secure tenure the rating is too generous.",
    )
    council.adopt_joint_position(
        secretary,
        position,
        revision=2,
        session="Demo session of the Council",
        adopted_on=council.clock().date(),
        method="vote",
        votes_for=11,
        votes_against=1,
        abstentions=2,
        divergent_views=f"{DEMO} One Platform member finds the rating too generous.",
    )
    council.publish_joint_position(secretary, position, expected_revision=2)

    # A second position, still being drafted: not public.
    council.draft_joint_position(
        secretary,
        round_id=round_id,
        recommendation_id=_rec("132.92"),
        text=f"{DEMO} Draft: the Council is still weighing the assessments.",
        proposed_status="partially_implemented",
    )
    return position
