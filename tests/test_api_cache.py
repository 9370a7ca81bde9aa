"""The response cache: a repeated query is answered from it until the read models move; it never
serves one member's answer to another; writes through any process invalidate it at once."""

from __future__ import annotations

from typing import Any

from domain.values import Actor
from tests.test_api_support import Api, api_fixture  # noqa: F401

QUERY = "query Mine { me { name } organisations { name platform } }"


def _ask(api: Api, actor: Actor | None, query: str = QUERY, **headers: str) -> Any:
    response = api.client.post(
        "/graphql", json={"query": query}, headers={**api.headers(actor), **headers}
    )
    assert response.status_code == 200
    return response


def test_a_repeated_query_is_answered_from_the_cache_until_a_write_is_projected(api: Api) -> None:
    world = api.world
    first = _ask(api, world.cso_a)
    assert "X-Cache" not in first.headers
    again = _ask(api, world.cso_a)
    assert again.headers["X-Cache"] == "hit"
    assert again.json() == first.json()
    outcome = api.runtime.council.set_platform_membership(
        Actor.operator(), world.organisations["outsider"], platform=True
    )
    api.settle(outcome.log_position)
    after = _ask(api, world.cso_a)
    assert "X-Cache" not in after.headers
    platform = {o["name"]: o["platform"] for o in after.json()["data"]["organisations"]}
    assert platform["Unaffiliated Association"] is True


def test_one_members_cached_answer_is_never_given_to_another(api: Api) -> None:
    world = api.world
    assert (
        _ask(api, world.cso_a)
        .json()["data"]["me"]["name"]
        .endswith("Belgrade Centre for Human Rights")
    )
    _ask(api, world.cso_a)
    other = _ask(api, world.cso_b)
    assert "X-Cache" not in other.headers
    assert other.json()["data"]["me"]["name"].endswith("Lawyers' Committee for Human Rights")
    assert _ask(api, None).json()["data"]["me"] is None


def test_no_cache_mutations_and_the_raw_log_are_never_served_from_the_cache(api: Api) -> None:
    world = api.world
    _ask(api, world.cso_a)
    assert "X-Cache" not in _ask(api, world.cso_a, **{"Cache-Control": "no-cache"}).headers
    log = "{ events(first: 2) { logPosition } }"
    _ask(api, world.auditor, log)
    assert "X-Cache" not in _ask(api, world.auditor, log).headers


def test_the_response_cache_holds_no_more_than_its_byte_budget() -> None:
    from graphql_api.cache import ResponseCache

    cache = ResponseCache(store=None, size=100, max_bytes=10_000)  # type: ignore[arg-type]
    positions = (("history", 1),)
    for n in range(50):
        cache.put(("key", n), positions, b"x" * 1_000)
    kept = [n for n in range(50) if cache.get(("key", n), positions) is not None]
    assert kept == list(range(40, 50))  # the least recently used went first
    cache.put(("key", 49), positions, b"y" * 5_000)  # a replaced answer counts once
    assert cache.get(("key", 49), positions) == b"y" * 5_000
    assert sum(cache.get(("key", n), positions) is not None for n in range(50)) == 6
