"""Relay-style connections: edges with opaque cursors, and whether more follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from graphql_api.types import described
from projections.queries.paging import Page

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @described.field("The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def edges_of(page: Page[R], node: Callable[[R], T]) -> tuple[list[Edge[T]], PageInfo]:
    edges = [
        Edge(cursor=c, node=node(item)) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    end = page.cursors[-1] if page.cursors else None
    return edges, PageInfo(has_next_page=page.has_next, end_cursor=end)
