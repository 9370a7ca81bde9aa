"""The HTTP application: the GraphQL API at /graphql (HTTP and websocket), health and readiness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from graphql_api.auth import Viewers
from graphql_api.context import Services
from graphql_api.limits import MAX_BODY_BYTES, BodySizeLimit
from graphql_api.live import LiveFeed
from graphql_api.metrics import Metrics
from graphql_api.oidc import OidcConfig, OidcVerifier
from graphql_api.open_data_http import open_data_route
from graphql_api.report_http import report_pdf_route
from graphql_api.runtime import Runtime
from graphql_api.schema import build_schema
from graphql_api.view import CouncilGraphQL
from projections.queries.store import ReadStore

READY_LAG_EVENTS = 1000


def create_app(
    runtime: Runtime,
    *,
    oidc: OidcConfig | None = None,
    extra_routes: list[Route] | None = None,
) -> Starlette:
    """The app over ``runtime``; with ``oidc``, tokens of that provider are accepted too."""
    settings = runtime.settings
    store = ReadStore(settings.database)
    feed = LiveFeed(
        ReadStore(settings.database, max_connections=4),
        head=runtime.council.log_position,
        conninfo=None if settings.embedded else settings.database.conninfo(),
        channel=None if settings.embedded else _channel(runtime),
        poll_seconds=0.2 if settings.embedded else 1.0,
    )
    viewers = Viewers(store, settings)
    services = Services(runtime=runtime, store=store, feed=feed, viewers=viewers)
    view = CouncilGraphQL(
        services,
        oidc=OidcVerifier(oidc) if oidc is not None else None,
        schema=build_schema(introspection=settings.introspection),
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    metrics = Metrics(runtime, store, feed)
    view.on_request = metrics.observe_request

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> JSONResponse:
        try:
            head, positions = await run_in_threadpool(_lag, runtime)
        except Exception as error:  # readiness reports any failure as not ready
            return JSONResponse({"ready": False, "error": type(error).__name__}, status_code=503)
        lag = {name: head - position for name, position in positions.items()}
        ready = all(value <= READY_LAG_EVENTS for value in lag.values())
        return JSONResponse(
            {"ready": ready, "log_position": head, "projection_lag": lag},
            status_code=200 if ready else 503,
        )

    async def index(request: Request) -> PlainTextResponse:
        return PlainTextResponse(
            "council-ledger: the Council's monitoring record.\n"
            "GET /healthz, /readyz, /metrics (Prometheus); open data at /export/catalogue.csv,"
            " /export/catalogue.json, /export/positions.csv and /export/positions.json."
            " The GraphQL API is served at /graphql"
            " (GraphiQL in a browser, graphql-transport-ws for subscriptions).\n"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()
            feed.store.close()
            store.close()
            runtime.close()

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            Route("/graphql", view.http, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view.websocket),
            open_data_route(runtime.database),
            report_pdf_route(view),
            *(extra_routes or []),
        ],
        middleware=[Middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.metrics = metrics
    return app


def _lag(runtime: Runtime) -> tuple[int, dict[str, int]]:
    return runtime.council.log_position(), runtime.runner.positions()


def _channel(runtime: Runtime) -> str:
    """The channel the event store NOTIFYs on every save."""
    return str(getattr(runtime.council.recorder, "channel_name", "council_events"))
