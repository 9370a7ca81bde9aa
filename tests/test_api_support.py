"""Helpers for the API tests: an in-process app over a real runtime, one token per member.

On PostgreSQL the read models are caught up by projection workers running beside the app, as
`council project` runs them in production; in embedded mode the app catches up itself.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from starlette.testclient import TestClient

from domain.values import Actor
from graphql_api import tokens
from graphql_api.app import create_app
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.queries.store import ReadStore
from projections.worker import supervise
from tests.conftest import SteppingClock
from tests.scenario import World, build_world

SECRET = "a-test-signing-key-that-is-long-enough-0123456789"


class Api:
    """Talks to the app as one member or another (None: the public)."""

    def __init__(self, client: TestClient, runtime: Runtime, world: World) -> None:
        self.client = client
        self.runtime = runtime
        self.world = world
        self.actors: dict[str, Actor] = {}

    @property
    def store(self) -> ReadStore:
        """The app's read store, which counts the statements it executes."""
        store: ReadStore = self.client.app.state.services.store  # type: ignore[attr-defined]
        return store

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def token(self, actor: Actor) -> str:
        return tokens.issue(self.settings, actor.member_id, timedelta(hours=1))

    def headers(self, actor: Actor | None) -> dict[str, str]:
        return {} if actor is None else {"Authorization": f"Bearer {self.token(actor)}"}

    def post(self, actor: Actor | None, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers(actor)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, actor: Actor | None, query: str, **variables: Any) -> dict[str, Any]:
        body = self.post(actor, query, **variables)
        assert not body.get("errors"), body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    def settle(self, log_position: int) -> None:
        self.runtime.settle(log_position)

    def log_position(self) -> int:
        return self.runtime.council.log_position()

    def member(self, organisation: str, *roles: str) -> Actor:
        """An extra member of one of the world's organisations, with the given roles."""
        council = self.runtime.council
        outcome = council.register_member(
            Actor.operator(),
            organisation_id=self.world.organisations[organisation],
            name=f"{' and '.join(roles).title()} of {organisation}",
            email=f"{'-'.join(roles)}.{organisation}@example.org",
            roles=list(roles),
        )
        self.settle(outcome.log_position)
        return council.actor_for(outcome.id)

    def open_round(self, quorum: int = 1) -> UUID:
        outcome = self.runtime.council.open_round(
            self.world.secretariat,
            title="UPR cycle 4 mid-term review, 2026",
            recommendation_ids=[self.world.recommendation_id, self.world.other_recommendation_id],
            assessments_due=date(2026, 4, 1),
            co_signing_due=date(2026, 4, 15),
            council_session_on=date(2026, 5, 1),
            co_sign_quorum=quorum,
            cycle=4,
        )
        self.settle(outcome.log_position)
        return outcome.id


def secured(settings: Settings) -> Settings:
    """The test settings with a signing key (so no key file is written anywhere)."""
    return dataclasses.replace(settings, secret_key=SECRET)


@pytest.fixture(name="api")
def api_fixture(settings: Settings) -> Iterator[Api]:
    settings = secured(settings)
    if not settings.embedded:
        Runtime.initialise(settings).close()
    runtime = Runtime(settings, clock=SteppingClock())
    stop = threading.Event()
    workers = None
    if not settings.embedded:
        workers = threading.Thread(
            target=supervise,
            args=(runtime.runner, runtime.projections, stop),
            kwargs={"conninfo": settings.database.conninfo(), "schema": settings.schema},
            daemon=True,
        )
        workers.start()
    world = build_world(runtime.council)
    runtime.settle(runtime.council.log_position())
    with TestClient(create_app(runtime)) as client:
        yield Api(client, runtime, world)
        stop.set()
        if workers is not None:
            workers.join(timeout=30)
