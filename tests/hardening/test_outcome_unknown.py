"""A write whose database connection broke is answered OUTCOME_UNKNOWN, and is never run twice.

The crash test (test_crash_safety.py) meets these cases only when a kill lands inside a write; here
they are made to happen every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from projections import event_recorder
from projections.event_recorder import CouncilRecorder, WriteOutcomeUnknown
from tests.test_api_support import Api, api_fixture  # noqa: F401

POST = """mutation($rec: ID!) { postComment(subjectKind: RECOMMENDATION, subjectId: $rec,
    text: "Is this stored?") { __typename ... on CommentPayload { logPosition } } }"""


def test_a_write_whose_connection_broke_is_answered_outcome_unknown(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(stored_events: Sequence[Any], **kwargs: Any) -> None:
        raise WriteOutcomeUnknown(
            "server closed the connection unexpectedly",
            originator_id=str(stored_events[0].originator_id),
        )

    before = api.log_position()
    monkeypatch.setattr(api.runtime.council.recorder, "insert_events", broken)
    body = api.post(api.world.cso_a, POST, rec=str(api.world.recommendation_id))
    [error] = body["errors"]
    assert error["extensions"]["code"] == "OUTCOME_UNKNOWN", error
    assert error["extensions"]["id"]
    assert "whether it was stored is unknown" in error["message"]
    assert "server closed" not in error["message"]  # the database's own words stay in the log
    assert api.log_position() == before


class _Recorder(CouncilRecorder):
    def __init__(self) -> None:  # no database: only insert_events is exercised
        pass


def _failing(error: Exception, calls: list[int]) -> Any:
    def insert(self: CouncilRecorder, stored_events: Sequence[Any], **kwargs: Any) -> None:
        calls.append(1)
        raise OperationalError(str(error)) from error

    return insert


def test_an_insert_is_not_retried_after_the_connection_broke(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    lost = psycopg.OperationalError("server closed the connection unexpectedly")
    monkeypatch.setattr(event_recorder, "_insert_once", _failing(lost, calls))
    with pytest.raises(WriteOutcomeUnknown):
        _Recorder().insert_events([])
    assert calls == [1]


def test_an_insert_the_server_refused_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    refused = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    monkeypatch.setattr(event_recorder, "_insert_once", _failing(refused, calls))
    monkeypatch.setattr(event_recorder, "RETRY_SECONDS", 0)
    with pytest.raises(OperationalError) as raised:
        _Recorder().insert_events([])
    assert not isinstance(raised.value, WriteOutcomeUnknown)
    assert len(calls) == event_recorder.ATTEMPTS
