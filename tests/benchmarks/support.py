"""What several benchmarks set up: a council of their own on the PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.db import Database

SECRET = "a-benchmark-signing-key-0123456789abcdef"


def fresh_env(url: str) -> dict[str, str]:
    """The settings of a new council in a schema of its own on ``url``."""
    return {
        "COUNCIL_DATABASE_URL": url,
        "COUNCIL_SCHEMA": f"b_{uuid.uuid4().hex[:12]}",
        "COUNCIL_SECRET_KEY": SECRET,
    }


@contextmanager
def fresh_runtime(env: dict[str, str]) -> Iterator[Runtime]:
    """The council of ``env``, its tables created; its schemas are dropped at the end."""
    settings = Settings.from_env(env)
    try:
        Runtime.initialise(settings).close()
        runtime = Runtime(settings)
        try:
            yield runtime
        finally:
            runtime.close()
    finally:
        Database(settings.database).drop_schemas()
