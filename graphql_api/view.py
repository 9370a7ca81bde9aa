"""The GraphQL endpoints: HTTP (GraphiQL in a browser) and graphql-transport-ws at /graphql.

Authentication happens before strawberry sees the request: a bad, expired or forged token is an
HTTP 401 with a JSON message (a websocket: the handshake is refused, or, for a token sent in
``connection_init``, the socket is closed with 4403). Each HTTP request logs one line.
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from graphql_api.auth import PUBLIC, AuthError, authenticate
from graphql_api.cache import Positions, ResponseCache, cacheable
from graphql_api.context import Context, Services
from graphql_api.logging import log_request
from graphql_api.oidc import OidcVerifier
from projections.event_recorder import DATABASE_ERRORS

NO_ACK_PAYLOAD = cast(UnsetType, UNSET)
log = structlog.get_logger("council.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(headers: Any) -> str:
    given = headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def unauthorised(message: str, request_id: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"', "X-Request-Id": request_id},
    )


def unavailable_when_the_database_is(
    http: Callable[[CouncilGraphQL, Request], Awaitable[Response]],
) -> Callable[[CouncilGraphQL, Request], Awaitable[Response]]:
    """A database that cannot be reached before the operation runs (reading the token's member,
    the cache's positions) is a 503 saying nothing was done, not an unexpected error. Once the
    operation runs, its own errors say what happened (see ``commands.py``)."""

    @functools.wraps(http)
    async def guarded(self: CouncilGraphQL, request: Request) -> Response:
        try:
            return await http(self, request)
        except DATABASE_ERRORS as error:
            request_id = request_id_of(request.headers)
            log.warning("database unavailable", request_id=request_id, error=str(error))
            message = "the database cannot be reached; nothing was done; try again shortly"
            return JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": "UNAVAILABLE"}}]},
                status_code=503,
                headers={"Retry-After": "1", "X-Request-Id": request_id},
            )

    return guarded


class CouncilGraphQL(GraphQL[Context, None]):
    def __init__(
        self, services: Services, *, oidc: OidcVerifier | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.oidc = oidc
        self.cache = ResponseCache(services.store)
        self.on_request: Callable[[str | None, int, bool, float], None] | None = None
        """Told of every HTTP request answered: operation, status, GraphQL errors, seconds."""

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is None:
            return NO_ACK_PAYLOAD
        try:
            context.viewer = await authenticate(self.services.viewers, str(header), self.oidc)
        except AuthError as error:
            raise ConnectionRejectionError({"message": str(error)}) from None
        return NO_ACK_PAYLOAD

    @unavailable_when_the_database_is
    async def http(self, request: Request) -> Response:
        request_id = request_id_of(request.headers)
        started = time.perf_counter()
        context: Context | None = None
        # Read first: the response cache answers only at the same positions, and they tell
        # whether the member read for an earlier request still stands (see ``Viewers``). Read
        # for many requests at once, they cost less than reading the member each time.
        positions = (
            await self.cache.positions()
            if _may_be_cached(request) or "authorization" in request.headers
            else None
        )
        try:
            viewer = await authenticate(
                self.services.viewers,
                request.headers.get("authorization"),
                self.oidc,
                positions=positions,
            )
        except AuthError as error:
            response: Response = unauthorised(str(error), request_id)
        else:
            context = Context.create(self.services, viewer, request_id, request=request)
            response = await self._answer(request, context, positions)
            response.headers["X-Request-Id"] = request_id
        log_request(
            request_id=request_id,
            member=str(context.viewer.member_id) if context and context.viewer.actor else None,
            operation=context.operation_name if context else None,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            log_position=context.log_position if context else None,
        )
        if self.on_request is not None:
            self.on_request(
                context.operation_name if context else None,
                response.status_code,
                bool(getattr(request.state, "graphql_errors", False)),
                time.perf_counter() - started,
            )
        return response

    def decode_json(self, data: str | bytes) -> object:
        """JSON nested too deep to parse and bytes in no Unicode encoding are bad JSON (a 400
        over HTTP, a closed websocket), not an unexpected error."""
        try:
            return json.loads(data)
        except (RecursionError, UnicodeDecodeError) as error:
            raise json.JSONDecodeError(type(error).__name__, "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        """A body (or GET ``variables``) of JSON that is no object, like ``null`` or ``42``, is
        a 400 too."""
        body = super().parse_json(data)
        if not isinstance(body, dict | list):
            raise HTTPException(400, "expected a JSON object")
        return body

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Notes on the request whether the answer carries GraphQL errors (for ``on_request``)."""
        if result.errors:
            request.state.graphql_errors = True
        return await super().process_result(request, result)

    async def _answer(
        self, request: Request, context: Context, positions: Positions | None
    ) -> Response:
        """From the response cache when the read models have not moved, else executed."""
        lookup = await self._cache_lookup(request, context, positions)
        if lookup is not None and lookup[2] is not None:
            return Response(lookup[2], media_type="application/json", headers={"X-Cache": "hit"})
        try:
            response = await self.run(request, context=context)
        except HTTPException as error:
            return JSONResponse(
                {"errors": [{"message": error.reason}]}, status_code=error.status_code
            )
        if lookup is not None and response.status_code == 200:
            self.cache.put(lookup[0], lookup[1], bytes(response.body))
        return response

    async def _cache_lookup(
        self, request: Request, context: Context, positions: Positions | None
    ) -> tuple[tuple[Any, ...], Positions, bytes | None] | None:
        if positions is None or not _may_be_cached(request):
            return None
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):  # bad JSON is answered by ``run`` with a 400
            return None
        key = self.cache.key(context.viewer.actor, body)
        if key is None:
            return None
        hit = self.cache.get(key, positions)
        if hit is not None:
            context.operation_name = cacheable(key[1], key[2])[1]
        return key, positions, hit

    async def websocket(self, websocket: WebSocket) -> None:
        request_id = request_id_of(websocket.headers)
        try:
            viewer = await authenticate(
                self.services.viewers,
                websocket.headers.get("authorization"),
                self.oidc,
            )
        except AuthError:
            await websocket.close(code=4401)
            return
        context = Context.create(
            self.services, viewer or PUBLIC, request_id, request=websocket, response=websocket
        )
        await self.run(websocket, context=context)


def _may_be_cached(request: Request) -> bool:
    """A POST whose client did not ask to bypass the response cache."""
    control = request.headers.get("cache-control", "")
    return request.method == "POST" and "no-cache" not in control and "no-store" not in control


__all__ = ["GRAPHQL_TRANSPORT_WS_PROTOCOL", "CouncilGraphQL"]
