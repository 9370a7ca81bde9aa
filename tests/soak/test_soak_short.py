"""A short soak on PostgreSQL: the driver of the soak benchmark (tests/soak/driver.py) for about
40 seconds against two API processes and the projection workers, as deploy/compose.yaml runs them.

Steady reads, writes naming the revisions they read (a lost race answers `Conflict`, which is
counted apart) and websocket subscribers that reconnect with `since`. It asserts correctness only:
no error, every subscriber received every history item of the round exactly once and in order,
and the read models equal their rebuild from the log. Latency and memory are reported by the long
form, `make benchmark PYTEST_ARGS="-k soak"`, and not asserted: the machines are shared.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.soak.driver import INITIAL_ASSESSMENTS, SoakConfig, run_soak

pytestmark = pytest.mark.postgres

SECONDS = float(os.environ.get("COUNCIL_SOAK_SHORT_SECONDS", "40"))


def test_a_short_soak_of_two_apis_and_a_worker(tmp_path: Path) -> None:
    config = SoakConfig(
        seconds=SECONDS, reconnect_seconds=8.0, interval_seconds=10.0, memory_every_seconds=2.0
    )
    result = run_soak(tmp_path, config)
    print(result.summary())

    assert result.errors == []
    assert sum(result.writes.values()) > 0
    assert set(result.reads) == {"assessment", "list", "search", "history"}
    assert result.events_written > 0
    # Every event stored is one history item of the round (after its opening, the first
    # assessments proposed and opened): nothing was stored for a write answered `Conflict`.
    assert result.history_items == 1 + 2 * INITIAL_ASSESSMENTS + result.events_written
    assert all(n >= 2 for n in result.subscriber_connections), "no reconnection"
    assert result.subscriber_items == [result.history_items] * config.subscribers
    assert all(result.subscribers_exact)
    assert result.replay_equal, "\n".join(result.replay_lines)
