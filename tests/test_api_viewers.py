"""The viewer of a request is read from the directory read model: the same actor the record
knows, read once and kept while the directory has not moved, and never kept past a change."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.values import Actor, Role
from graphql_api import tokens
from graphql_api.auth import AuthError, Viewers
from tests.test_api_support import Api, api_fixture  # noqa: F401

ME = "query Me { me { id } }"


def _viewers(api: Api) -> Viewers:
    viewers: Viewers = api.client.app.state.services.viewers  # type: ignore[attr-defined]
    return viewers


def _ask(api: Api, actor: Actor, **headers: str) -> Any:
    return api.client.post(
        "/graphql", json={"query": ME}, headers={**api.headers(actor), **headers}
    )


def test_the_viewer_is_the_actor_the_record_knows(api: Api) -> None:
    world = api.world
    viewers = _viewers(api)
    for actor in (world.secretariat, world.cso_a, world.state_body, world.auditor):
        viewer = asyncio.run(viewers.viewer(actor.member_id))
        assert viewer.actor == api.runtime.council.actor_for(actor.member_id)


def test_a_kept_viewer_costs_no_statement_until_the_directory_moves(api: Api) -> None:
    world = api.world
    assert _ask(api, world.cso_a).status_code == 200
    before = api.store.statements
    assert _ask(api, world.cso_a).headers["X-Cache"] == "hit"
    assert api.store.statements - before == 1  # the positions, nothing else
    api.settle(
        api.runtime.council.change_member_roles(
            world.secretariat, world.cso_a.member_id, roles=["reader"]
        ).log_position
    )
    before = api.store.statements
    assert "X-Cache" not in _ask(api, world.cso_a).headers
    assert api.store.statements - before > 2  # the member was read again, the query executed
    viewer = asyncio.run(_viewers(api).viewer(world.cso_a.member_id))
    assert viewer.actor is not None
    assert viewer.actor.roles == frozenset({Role.READER})
    assert viewer.actor == api.runtime.council.actor_for(world.cso_a.member_id)


def test_an_erased_member_is_refused_at_once_though_kept_before(api: Api) -> None:
    world = api.world
    for _ in range(2):
        assert _ask(api, world.cso_c).status_code == 200
    api.settle(
        api.runtime.council.erase_personal_data(
            world.secretariat,
            world.cso_c.member_id,
            expected_revision=1,
            reason="Left the organisation",
        ).log_position
    )
    for headers in ({}, {"Cache-Control": "no-cache"}):
        response = _ask(api, world.cso_c, **headers)
        assert response.status_code == 401
        assert "no longer active" in response.json()["errors"][0]["message"]


def test_an_unknown_member_cannot_act(api: Api) -> None:
    with pytest.raises(AuthError, match="not known to this council"):
        asyncio.run(_viewers(api).viewer(uuid4()))


def test_a_token_is_checked_once_and_its_expiry_every_time(api: Api) -> None:
    viewers = _viewers(api)
    member = api.world.cso_a.member_id
    token = tokens.issue(api.settings, member, timedelta(seconds=1))
    assert viewers.member_of(token) == member
    assert viewers.member_of(token) == member  # the kept claims
    time.sleep(1.1)
    with pytest.raises(tokens.TokenError, match="expired"):
        viewers.member_of(token)
    with pytest.raises(tokens.TokenError, match="expired"):
        viewers.member_of(token)  # checked in full again: still expired
