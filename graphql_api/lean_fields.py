"""A shorter call for fields whose resolver reads nothing but the context, and for plain ones.

Strawberry calls every resolver through a general path: it converts the arguments, chains the
field's extensions and builds an ``Info``. For a resolver that takes only ``self`` and ``info``,
answers at once (not a coroutine function), and has no arguments, extensions or permission
classes, that path does nothing but build the ``Info``, and costs more than most of these
resolvers' own work; a page of 50 assessments with their organisations, co-signatures and
comment counts has 200 of them. Such fields are given a resolver that builds the same ``Info``
and calls the same function. A field without a resolver (or extensions) reads the source's
attribute, as strawberry's own path does, in one call instead of three. Everything else
(errors, masking, validation, the schema) is as strawberry makes it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Any, cast

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField


def lean_resolvers(schema: strawberry.Schema) -> list[str]:
    """Gives every eligible field of ``schema`` the shorter call; returns their coordinates."""
    shortened: list[str] = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            name = schema.config.name_converter.from_field(field)
            graphql_field = graphql_type.fields.get(name)
            if graphql_field is None:
                continue
            # Strawberry marks the plain attribute path it chose as its default resolver.
            plain = getattr(graphql_field.resolve, "_is_default", False)
            if field.is_basic_field and plain and schema.config.default_resolver is getattr:
                resolve = _attribute(field.python_name)
            elif _eligible(field):
                resolve = _call(field, schema.config.info_class)
            else:
                continue
            graphql_field.resolve = resolve
            shortened.append(f"{graphql_type.name}.{name}")
    return shortened


def _attribute(name: str) -> Callable[..., Any]:
    """What strawberry does for a field without a resolver: the source's attribute."""
    read = attrgetter(name)

    def resolve(source: Any, info: Any) -> Any:
        return read(source)

    resolve._is_default = True  # type: ignore[attr-defined]
    return resolve


def _eligible(field: StrawberryField) -> bool:
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or field.is_async:
        return False
    info = resolver.info_parameter
    parameters = list(resolver.signature.parameters.values())
    return (
        info is not None
        and len(parameters) == 2
        and parameters[0].name == "self"
        and parameters[1] is info
        and info.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )


def _call(field: StrawberryField, info_class: type[strawberry.Info]) -> Callable[..., Any]:
    assert field.base_resolver is not None
    function = cast(Callable[..., Any], field.base_resolver.wrapped_func)
    info_name = field.base_resolver.info_parameter.name  # type: ignore[union-attr]

    def resolve(source: Any, info: Any) -> Any:
        return function(source, **{info_name: info_class(_raw_info=info, _field=field)})

    return resolve
