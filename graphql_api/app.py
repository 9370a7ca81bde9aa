"""The HTTP application: health and readiness today; the GraphQL API mounts here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from graphql_api.runtime import Runtime

READY_LAG_EVENTS = 1000


def create_app(runtime: Runtime) -> Starlette:
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
            "GET /healthz, /readyz. The GraphQL API is served at /graphql.\n"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        runtime.close()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )


def _lag(runtime: Runtime) -> tuple[int, dict[str, int]]:
    return runtime.council.log_position(), runtime.runner.positions()
