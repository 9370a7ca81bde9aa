"""The activity subscription: the round's history so far, then each new item live, in order;
resuming from a log position repeats nothing and skips nothing."""

from __future__ import annotations

from typing import Any

from starlette.testclient import WebSocketTestSession

from domain.values import Actor
from tests.scenario import play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

ACTIVITY = """subscription Follow($round: ID, $since: Int) {
  activity(roundId: $round, since: $since) { logPosition summary actor { displayName } } }"""
HISTORY = """query H($round: ID!) { history(roundId: $round, first: 100) {
  edges { node { logPosition summary } } } }"""


def _subscribe(ws: WebSocketTestSession, api: Api, actor: Actor | None, **variables: Any) -> None:
    payload = {} if actor is None else {"Authorization": f"Bearer {api.token(actor)}"}
    ws.send_json({"type": "connection_init", "payload": payload})
    assert ws.receive_json()["type"] == "connection_ack"
    ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": ACTIVITY, "variables": variables}}
    )


def _items(ws: WebSocketTestSession, count: int) -> list[dict[str, Any]]:
    items = []
    for _ in range(count):
        message = ws.receive_json()
        assert message["type"] == "next", message
        items.append(message["payload"]["data"]["activity"])
    return items


def _comment(api: Api, assessment_id: Any) -> int:
    result = api.data(
        api.world.cso_b,
        """mutation C($id: ID!) { postComment(subjectKind: ASSESSMENT, subjectId: $id,
           text: "The sessions are still rare.") { ... on CommentPayload { logPosition } } }""",
        id=str(assessment_id),
    )
    position: int = result["postComment"]["logPosition"]
    return position


def test_a_subscriber_receives_the_rounds_history_then_each_new_item_live(api: Api) -> None:
    record = play_round(api.world)
    api.settle(api.log_position())
    history = api.data(api.world.auditor, HISTORY, round=str(record.round_id))["history"]
    expected = [edge["node"]["logPosition"] for edge in history["edges"]]
    assert len(expected) > 10
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        _subscribe(ws, api, api.world.auditor, round=str(record.round_id), since=0)
        received = _items(ws, len(expected))
        assert [item["logPosition"] for item in received] == expected
        assert (
            received[0]["actor"]["displayName"] == "Member of Office for Human and Minority Rights"
        )
        position = _comment(api, record.assessment_id)
        [live] = _items(ws, 1)
        assert live["logPosition"] == position
        assert live["summary"].startswith("Lawyers' Committee for Human Rights commented on")


def test_resuming_from_a_log_position_repeats_nothing_and_skips_nothing(api: Api) -> None:
    record = play_round(api.world)
    api.settle(api.log_position())
    history = api.data(api.world.auditor, HISTORY, round=str(record.round_id))["history"]
    positions = [edge["node"]["logPosition"] for edge in history["edges"]]
    since = positions[len(positions) // 2]
    later = _comment(api, record.assessment_id)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        _subscribe(ws, api, api.world.secretariat, round=str(record.round_id), since=since)
        wanted = [p for p in positions if p > since] + [later]
        assert [item["logPosition"] for item in _items(ws, len(wanted))] == wanted


def test_the_public_cannot_follow_a_round_and_a_bad_token_closes_the_socket(api: Api) -> None:
    record = play_round(api.world)
    api.settle(api.log_position())
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        _subscribe(ws, api, None, round=str(record.round_id), since=0)
        message = ws.receive_json()
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}})
        closed = ws.receive()
        assert closed["type"] == "websocket.close"
        assert closed["code"] == 4403
