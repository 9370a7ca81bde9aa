"""A page of assessments with organisations, co-signatures and comment counts costs a constant
number of SQL statements, whatever its size."""

from __future__ import annotations

from tests.test_api_support import Api, api_fixture  # noqa: F401

LIST = """query List($first: Int!) { assessments(first: $first) { edges { node {
  id state revision rating organisation { name platform }
  coSignatures { revision status organisation { name } }
  commentCount } } } }"""


def _many_assessments(api: Api, rounds: int) -> None:
    """Two assessments per round (one per recommendation), each co-signed and commented on."""
    council, world = api.runtime.council, api.world
    last = 0
    for _ in range(rounds):
        round_id = api.open_round()
        for rec in (world.recommendation_id, world.other_recommendation_id):
            a = council.propose_assessment(
                world.cso_a,
                round_id=round_id,
                recommendation_id=rec,
                rating="partially_implemented",
                narrative="Some progress.",
            )
            council.open_assessment_for_signature(world.cso_a, a.id, expected_revision=1)
            council.co_sign_assessment(world.cso_b, a.id, revision=1)
            last = council.post_comment(
                world.cso_c, subject_kind="assessment", subject_id=a.id, text="Agreed."
            ).log_position
    api.settle(last)


def _statements(api: Api, first: int) -> int:
    before = api.store.statements
    edges = api.data(api.world.cso_b, LIST, first=first)["assessments"]["edges"]
    assert len(edges) == first
    assert all(e["node"]["commentCount"] == 1 for e in edges)
    assert all(len(e["node"]["coSignatures"]) == 1 for e in edges)
    return api.store.statements - before


def test_fifty_assessments_cost_as_many_statements_as_ten(api: Api) -> None:
    _many_assessments(api, rounds=25)
    _statements(api, 1)  # the member is read once, then kept while the directory stays put
    ten = _statements(api, 10)
    fifty = _statements(api, 50)
    assert fifty == ten
    # the positions, the page, its organisations, co-signatures with theirs, comment counts
    assert fifty <= 5
