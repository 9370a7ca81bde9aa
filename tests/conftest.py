"""Fixtures: every contract test runs on the embedded SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.db import Database

POSTGRES_URL = os.environ.get("COUNCIL_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("COUNCIL_REQUIRE_POSTGRES", "") == "1"


def postgres_url_or_skip() -> str:
    """The test server's URL; a failure (never a skip) when CI requires PostgreSQL."""
    url = POSTGRES_URL or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but cannot be reached at {url}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {url}")
    return url


def settings_for(backend: str, tmp_path: Path) -> Settings:
    if backend == "sqlite":
        env = {"COUNCIL_DATABASE_URL": f"sqlite:///{tmp_path / 'council.db'}"}
    else:
        env = {
            "COUNCIL_DATABASE_URL": postgres_url_or_skip(),
            "COUNCIL_SCHEMA": f"t_{uuid.uuid4().hex[:12]}",
            "COUNCIL_SECRET_KEY": "a-test-signing-key-for-postgresql-0123456789",
        }
    return Settings.from_env(env)


class SteppingClock:
    """Time passed into the application: each reading is one second after the previous."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    settings = settings_for(backend, tmp_path)
    yield settings
    if backend == "postgres":
        Database(settings.database).drop_schemas()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.initialise(settings) if not settings.embedded else None
    if rt is not None:
        rt.close()
    runtime = Runtime(settings, clock=SteppingClock())
    yield runtime
    runtime.close()
