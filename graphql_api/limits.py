"""Limits on what one request may ask: page size, depth, aliases, tokens, body size; masking.

Everything refused here is refused quickly, before any resolver runs, with a clear message.
Unexpected exceptions are masked: the client gets the request id, the log gets the exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import structlog
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    ValidationContext,
    ValidationRule,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from graphql_api.errors import invalid_argument
from projections.event_recorder import DATABASE_ERRORS

MAX_PAGE = 100
DEFAULT_PAGE = 20
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_BODY_BYTES = 1_048_576
# Selections once every fragment is spread where it is used: a few hundred tokens of fragments
# that each spread the previous one twice would otherwise stand for billions of fields.
MAX_SPREAD_SELECTIONS = 20_000

log = structlog.get_logger("council.api")


def page_size(first: int | None, *, default: int = DEFAULT_PAGE) -> int:
    if first is None:
        return default
    if not 0 <= first <= MAX_PAGE:
        raise invalid_argument("first", f"must be between 0 and {MAX_PAGE}; it is {first}")
    return first


def validation_rules(*, introspection: bool) -> list[type[ASTValidationRule]]:
    """Built once per schema, so the validation cache recognises them on every request."""
    rules: list[type[ASTValidationRule]] = [
        SpreadLimit,
        *map(_unless_spread_too_far, QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules),
        *map(
            _unless_spread_too_far, MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules
        ),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def spread_selections(document: DocumentNode) -> int:
    """How many selections the document's operations hold with every fragment spread out.

    Each fragment is counted once and its count reused, so this takes time linear in the
    document however far it would spread. Spreads in a cycle count nothing here (GraphQL's own
    validation refuses cycles)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}
    counting: set[str] = set()

    def count(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                total += 1 + count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += spread(selection.name.value)
            if total > MAX_SPREAD_SELECTIONS:
                break
        return total

    def spread(name: str) -> int:
        if name not in counted:
            if name in counting or name not in fragments:
                return 0
            counting.add(name)
            counted[name] = count(fragments[name].selection_set)
            counting.discard(name)
        return counted[name]

    return sum(
        count(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


class SpreadLimit(ValidationRule):
    """Refuses documents whose fragments spread to more than ``MAX_SPREAD_SELECTIONS``."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        if spread_selections(context.document) > MAX_SPREAD_SELECTIONS:
            context.report_error(
                GraphQLError(
                    f"the document spreads to more than {MAX_SPREAD_SELECTIONS:,} selections"
                    " once its fragments are spread out"
                )
            )


def _unless_spread_too_far(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """The depth and alias rules walk every spread of every fragment, which takes exponential
    time on fragments that spread each other twice; they run only where ``SpreadLimit`` passes.
    They do all their work when they are built, so building them is running them."""

    class Guarded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if spread_selections(context.document) <= MAX_SPREAD_SELECTIONS:
                rule(context)

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{rule.__name__}"
    return Guarded


def should_mask_error(error: GraphQLError) -> bool:
    """Keep GraphQL's own errors (syntax, validation, coercion) and our ClientErrors."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpected(MaskErrors):
    """Masks unexpected errors, logging each with the request id the client receives."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        stored = getattr(self.execution_context.context, "log_position", None)
        if stored is not None and isinstance(error.original_error, DATABASE_ERRORS):
            # A mutation was stored; only reading its payload back failed.
            log.warning("stored, payload unread", request_id=request_id, log_position=stored)
            return GraphQLError(
                f"the write was stored at log position {stored}, but the connection to the"
                " database broke while reading it back; read it again shortly",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "STORED_NOT_READ", "logPosition": stored},
            )
        log.error(
            "unexpected error",
            request_id=request_id,
            path=list(error.path or []),
            exc_info=error.original_error,
        )
        return GraphQLError(
            f"Unexpected error; the operator can find it under request id {request_id}.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


class RecordOperation(SchemaExtension):
    """Notes the operation's name on the context for the request log."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if hasattr(context, "operation_name"):
            try:
                context.operation_name = self.execution_context.operation_name
            except Exception:  # an unparsable document has no name
                context.operation_name = None


def extensions(*, introspection: bool) -> list[Callable[[], SchemaExtension]]:
    rules = validation_rules(introspection=introspection)
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        MaskUnexpected,
        RecordOperation,
    ]


class BodySizeLimit:
    """Refuses request bodies over ``max_bytes`` with 413, before anything parses them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"the request body is larger than {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            }
        ).encode()
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
