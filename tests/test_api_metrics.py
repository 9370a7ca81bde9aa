"""`/metrics`: Prometheus text with requests by operation and outcome, the log head, each read
model's lag, live subscribers and report generations; every app has a registry of its own."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from starlette.testclient import TestClient

from domain.report import record_generation
from graphql_api.app import create_app
from graphql_api.metrics import MAX_OPERATIONS, Metrics
from tests.test_api_support import Api, api_fixture  # noqa: F401

ME = "query Me { me { id } }"
CATALOGUE = "query Catalogue { recommendations(first: 2) { totalCount } }"
COMMENT = """mutation Comment($id: ID!) { postComment(subjectKind: RECOMMENDATION, subjectId: $id,
    text: "Seen in the 2026 review.") { __typename ... on CommentPayload { logPosition } } }"""


def scrape(client: TestClient) -> dict[str, list[Sample]]:
    """Every sample of /metrics, by family name; the text must parse."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    """The one sample called ``name`` with exactly ``labels``."""
    found = [
        sample.value
        for family in samples.values()
        for sample in family
        if sample.name == name and sample.labels == labels
    ]
    assert len(found) == 1, f"{name}{labels}: {found} in {sorted(samples)}"
    return found[0]


def post(api: Api, body: dict[str, Any], **headers: str) -> Any:
    return api.client.post("/graphql", json=body, headers=headers)


def test_requests_the_log_head_lag_and_reports_are_exposed(api: Api) -> None:
    cso = api.world.cso_a
    auth = api.headers(cso)
    before = scrape(api.client)
    assert value(before, "council_live_subscribers") == 0
    assert value(before, "council_report_generations_total", kind="dossier") == 0

    for _ in range(3):
        assert post(api, {"query": ME}, **auth).status_code == 200
    for _ in range(2):
        assert post(api, {"query": CATALOGUE}).json()["data"]["recommendations"]["totalCount"]
    commented = post(
        api,
        {"query": COMMENT, "variables": {"id": str(api.world.recommendation_id)}},
        **auth,
    ).json()
    assert commented["data"]["postComment"]["__typename"] == "CommentPayload", commented
    assert post(api, {"query": "{ nosuchfield }"}).json()["errors"]
    assert post(api, {"query": ME}, Authorization="Bearer forged").status_code == 401

    head = api.log_position()
    outcome = record_generation(
        api.runtime.council,
        api.world.secretariat,
        kind="dossier",
        parameters={"recommendation": str(api.world.recommendation_id), "audience": "council"},
        language="en",
        log_position=head,
        input_digest="a" * 64,
        pdf_sha256="b" * 64,
    )
    api.settle(outcome.log_position)

    samples = scrape(api.client)
    requests = "council_graphql_requests_total"
    assert value(samples, requests, operation="Me", outcome="ok") == 3
    assert value(samples, requests, operation="Catalogue", outcome="ok") == 2
    assert value(samples, requests, operation="Comment", outcome="ok") == 1
    assert value(samples, requests, operation="anonymous", outcome="error") == 1
    assert value(samples, requests, operation="anonymous", outcome="unauthenticated") == 1
    duration = "council_graphql_request_duration_seconds"
    assert value(samples, f"{duration}_count", operation="Me", outcome="ok") == 3
    assert value(samples, f"{duration}_bucket", operation="Comment", outcome="ok", le="+Inf") == 1
    assert value(samples, f"{duration}_sum", operation="Comment", outcome="ok") > 0

    assert value(samples, "council_record_readable") == 1
    assert value(samples, "council_log_head") == api.log_position() == outcome.log_position
    names = {projection.name for projection in api.runtime.projections}
    lag = {s.labels["projection"]: s.value for s in samples["council_projection_lag_events"]}
    position = {s.labels["projection"]: s.value for s in samples["council_projection_position"]}
    assert set(lag) == set(position) == names
    assert set(lag.values()) == {0}
    assert set(position.values()) == {outcome.log_position}
    assert value(samples, "council_report_generations_total", kind="dossier") == 1
    assert value(samples, "council_report_generations_total", kind="round_summary") == 0


def test_lag_is_read_when_scraped(api: Api) -> None:
    """An event the read models have not applied yet shows as lag of every projection."""
    runtime = api.runtime
    if runtime.settings.embedded:
        runtime.council.register_organisation(
            api.world.secretariat, name="Not yet projected", kind="cso", platform=True
        )
        samples = scrape(api.client)
        head = runtime.council.log_position()
        assert value(samples, "council_log_head") == head
        for projection in runtime.projections:
            assert value(samples, "council_projection_lag_events", projection=projection.name) == 1
        runtime.settle(head)
    samples = scrape(api.client)
    for projection in runtime.projections:
        assert value(samples, "council_projection_lag_events", projection=projection.name) == 0


def test_an_open_subscription_is_a_live_subscriber(api: Api) -> None:
    round_id = api.open_round()
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {api.token(api.world.auditor)}"},
            }
        )
        assert ws.receive_json()["type"] == "connection_ack"
        query = "subscription($r: ID!) { activity(roundId: $r, since: 0) { logPosition } }"
        for id_ in ("1", "2"):
            ws.send_json(
                {
                    "id": id_,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"r": str(round_id)}},
                }
            )
            assert ws.receive_json()["type"] == "next"  # the round's opening
        assert value(scrape(api.client), "council_live_subscribers") == 2
        ws.send_json({"id": "1", "type": "complete"})
        wait_for_subscribers(api.client, 1)
    # The client went away without completing the second one.
    wait_for_subscribers(api.client, 0)


def wait_for_subscribers(client: TestClient, expected: int) -> None:
    """The gauge reaches ``expected`` after a bounded number of scrapes."""
    for _ in range(500):
        if value(scrape(client), "council_live_subscribers") == expected:
            return
        time.sleep(0.01)
    raise AssertionError(f"council_live_subscribers never became {expected}")


def test_operation_names_beyond_the_limit_count_as_other(api: Api) -> None:
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    for i in range(MAX_OPERATIONS + 5):
        metrics.observe_request(f"Op{i}", 200, False, 0.01)
    metrics.observe_request("not a name!", 200, False, 0.01)
    samples = scrape(api.client)
    requests = "council_graphql_requests_total"
    assert value(samples, requests, operation=f"Op{MAX_OPERATIONS - 1}", outcome="ok") == 1
    assert value(samples, requests, operation="other", outcome="ok") == 6


def test_every_app_has_a_registry_of_its_own(api: Api) -> None:
    """Two apps in one process count apart (neither uses the global default registry)."""
    other = TestClient(create_app(api.runtime))  # not entered: its lifespan would close the runtime
    assert post(api, {"query": CATALOGUE}).status_code == 200
    other_metrics: Metrics = other.app.state.metrics  # type: ignore[attr-defined]
    mine: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    assert other_metrics.registry is not mine.registry
    requests = "council_graphql_requests_total"
    assert value(scrape(api.client), requests, operation="Catalogue", outcome="ok") == 1
    try:
        assert not scrape(other).get("council_graphql_requests")
    finally:
        other_metrics_store = other.app.state.services.store  # type: ignore[attr-defined]
        other_metrics_store.close()


def test_a_scrape_answers_when_the_record_cannot_be_read(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable() -> int:
        raise OSError("the database went away")

    monkeypatch.setattr(api.runtime.council, "log_position", unreadable)
    samples = scrape(api.client)
    assert value(samples, "council_record_readable") == 0
    assert value(samples, "council_live_subscribers") == 0
    assert "council_projection_lag_events" not in samples
