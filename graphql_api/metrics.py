"""Prometheus metrics at ``/metrics``, in the text exposition format, one registry per app.

Counted as they happen, in this process: GraphQL requests over HTTP and their duration, by
operation name and outcome. Read when scraped, so that every process tells the same truth about
the shared database: the head of the log, how far each projection has applied it and how far it
lags, and the report versions generated; and, of this process, the open subscriptions to the
activity feed.

Operation names come from clients: past ``MAX_OPERATIONS`` distinct names, further ones are
counted under ``other`` so that a client cannot grow the series without bound.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from graphql_api.live import LiveFeed
from graphql_api.runtime import Runtime
from projections.queries.history import projection_positions
from projections.queries.metrics import report_generations_by_kind
from projections.queries.store import ReadStore
from reports.kinds import Kind

log = structlog.get_logger("council.metrics")

MAX_OPERATIONS = 100
ANONYMOUS = "anonymous"
OTHER = "other"
OUTCOMES = ("ok", "error", "unauthenticated", "rejected", "failed")
"""ok: answered without errors; error: answered with GraphQL errors (syntax, validation, limits,
a masked failure); unauthenticated: a bad token (401); rejected: another 4xx; failed: a 5xx."""
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")


def outcome_of(status: int, *, errors: bool) -> str:
    """The outcome label of an HTTP answer with ``status`` (``errors``: it carries GraphQL errors)."""
    if status == 401:
        return "unauthenticated"
    if status >= 500:
        return "failed"
    if status >= 400:
        return "rejected"
    return "error" if errors else "ok"


class Metrics:
    """The app's registry, what the GraphQL view reports to it, and the ``/metrics`` endpoint."""

    def __init__(self, runtime: Runtime, store: ReadStore, feed: LiveFeed) -> None:
        self.registry = CollectorRegistry()
        self._operations: set[str] = set()
        self._lock = threading.Lock()
        self.requests = Counter(
            "council_graphql_requests",
            "GraphQL requests over HTTP, by operation name and outcome",
            ("operation", "outcome"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "council_graphql_request_duration_seconds",
            "Time to answer a GraphQL request over HTTP, by operation name and outcome",
            ("operation", "outcome"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(RecordCollector(runtime, store, feed))

    def operation_label(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if not _OPERATION_NAME.match(name):
            return OTHER
        with self._lock:
            if name in self._operations:
                return name
            if len(self._operations) >= MAX_OPERATIONS:
                return OTHER
            self._operations.add(name)
            return name

    def observe_request(
        self, operation: str | None, status: int, errors: bool, seconds: float
    ) -> None:
        """One GraphQL request over HTTP was answered (``CouncilGraphQL.on_request``)."""
        label = self.operation_label(operation)
        outcome = outcome_of(status, errors=errors)
        self.requests.labels(label, outcome).inc()
        self.duration.labels(label, outcome).observe(seconds)

    def exposition(self) -> bytes:
        """The text format; blocking (it reads the database)."""
        return generate_latest(self.registry)

    async def endpoint(self, request: Request) -> Response:
        body = await run_in_threadpool(self.exposition)
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


class RecordCollector:
    """What is read at scrape time: the log, the projections, reports, live subscribers."""

    def __init__(self, runtime: Runtime, store: ReadStore, feed: LiveFeed) -> None:
        self.runtime = runtime
        self.store = store
        self.feed = feed

    def describe(self) -> Iterator[Metric]:
        """The families this collector yields (without reading anything)."""
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        subscribers, readable, head_family, position, lag, generations = families
        subscribers.add_metric([], self.feed.subscribers)
        try:
            head = self.runtime.council.log_position()
            found = dict(projection_positions(self.store))
            reports = report_generations_by_kind(self.store)
        except Exception:  # a scrape still answers what this process knows
            log.exception("metrics could not read the record")
            readable.add_metric([], 0)
            yield subscribers
            yield readable
            return
        readable.add_metric([], 1)
        head_family.add_metric([], head)
        for projection in self.runtime.projections:
            at = found.get(projection.name, 0)
            position.add_metric([projection.name], at)
            lag.add_metric([projection.name], max(head - at, 0))
        for kind in sorted({k.value for k in Kind} | set(reports)):
            generations.add_metric([kind], reports.get(kind, 0))
        yield from families

    @staticmethod
    def _families() -> tuple[
        GaugeMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
        CounterMetricFamily,
    ]:
        return (
            GaugeMetricFamily(
                "council_live_subscribers", "Open activity subscriptions served by this process"
            ),
            GaugeMetricFamily(
                "council_record_readable",
                "1 when this scrape could read the log and the read models, else 0",
            ),
            GaugeMetricFamily(
                "council_log_head",
                "Log position of the last event stored, by any process (events written so far)",
            ),
            GaugeMetricFamily(
                "council_projection_position",
                "Log position up to which a read model has applied the log",
                labels=["projection"],
            ),
            GaugeMetricFamily(
                "council_projection_lag_events",
                "Events stored that a read model has not applied yet (log head minus its position)",
                labels=["projection"],
            ),
            CounterMetricFamily(
                "council_report_generations",
                "Report versions generated, by kind of report (from the reports read model)",
                labels=["kind"],
            ),
        )
