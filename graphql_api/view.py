"""The GraphQL endpoints: HTTP (GraphiQL in a browser) and graphql-transport-ws at /graphql.

Authentication happens before strawberry sees the request: a bad, expired or forged token is an
HTTP 401 with a JSON message (a websocket: the handshake is refused, or, for a token sent in
``connection_init``, the socket is closed with 4403). Each HTTP request logs one line.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

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

NO_ACK_PAYLOAD = cast(UnsetType, UNSET)
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
            context.viewer = await authenticate(self.services.runtime, str(header), self.oidc)
        except AuthError as error:
            raise ConnectionRejectionError({"message": str(error)}) from None
        return NO_ACK_PAYLOAD

    async def http(self, request: Request) -> Response:
        request_id = request_id_of(request.headers)
        started = time.perf_counter()
        context: Context | None = None
        try:
            viewer = await authenticate(
                self.services.runtime, request.headers.get("authorization"), self.oidc
            )
        except AuthError as error:
            response: Response = unauthorised(str(error), request_id)
        else:
            context = Context.create(self.services, viewer, request_id, request=request)
            response = await self._answer(request, context)
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

    async def _answer(self, request: Request, context: Context) -> Response:
        """From the response cache when the read models have not moved, else executed."""
        lookup = await self._cache_lookup(request, context)
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
        self, request: Request, context: Context
    ) -> tuple[tuple[Any, ...], Positions, bytes | None] | None:
        control = request.headers.get("cache-control", "")
        if request.method != "POST" or "no-cache" in control or "no-store" in control:
            return None
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):  # bad JSON is answered by ``run`` with a 400
            return None
        key = self.cache.key(context.viewer.actor, body)
        if key is None:
            return None
        positions = await self.cache.positions()
        hit = self.cache.get(key, positions)
        if hit is not None:
            context.operation_name = cacheable(key[1], key[2])[1]
        return key, positions, hit

    async def websocket(self, websocket: WebSocket) -> None:
        request_id = request_id_of(websocket.headers)
        try:
            viewer = await authenticate(
                self.services.runtime, websocket.headers.get("authorization"), self.oidc
            )
        except AuthError:
            await websocket.close(code=4401)
            return
        context = Context.create(
            self.services, viewer or PUBLIC, request_id, request=websocket, response=websocket
        )
        await self.run(websocket, context=context)


__all__ = ["GRAPHQL_TRANSPORT_WS_PROTOCOL", "CouncilGraphQL"]
