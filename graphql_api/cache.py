"""A response cache for queries, valid for as long as the read models have not moved.

Queries read only read models, so the same query, with the same variables, by the same member
(as the record knows them now) gives the same answer until a projection applies another event.
Each request reads the projections' positions (one short statement, so a write made through
another process is seen at once; requests arriving together share a read that starts after each
of them arrived), and a cached answer is served only at the same positions.
Mutations, subscriptions, the raw log (read from the event store), audit checkpoints and proofs,
and answers with errors are never cached. ``asOf`` answers are: the events up to a log position
never change, and names and the time-to-position map come from the read models. A client that sends ``Cache-Control: no-cache`` bypasses it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError
from starlette.concurrency import run_in_threadpool

from domain.values import Actor
from graphql_api.coalesce import FreshRead
from projections.queries.history import projection_positions
from projections.queries.store import ReadStore

# The raw log is read from the event store, checkpoints and proofs from the audit tables: none
# of them moves the read models' positions, so none can be cached by them.
UNCACHEABLE_FIELDS = frozenset({"events", "auditCheckpoint", "inclusionProof", "consistencyProof"})
Positions = tuple[tuple[str, int], ...]
MAX_ENTRY_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    positions: Positions
    body: bytes


@lru_cache(maxsize=512)
def cacheable(query: str, operation_name: str | None) -> tuple[bool, str | None]:
    """Whether this is a query operation that reads only read models, and its name."""
    try:
        document = parse(query, max_tokens=5_000)
    except GraphQLError:
        return False, None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False, None
    operation = operations[0]
    roots = {getattr(s, "name", None) for s in operation.selection_set.selections}
    name = operation.name.value if operation.name else None
    return not any(getattr(n, "value", None) in UNCACHEABLE_FIELDS for n in roots), name


class ResponseCache:
    """At most ``size`` answers and ``max_bytes`` of them, the least recently used dropped first:
    the memory it holds is bounded whatever the queries."""

    def __init__(
        self, store: ReadStore, *, size: int = 256, max_bytes: int = MAX_TOTAL_BYTES
    ) -> None:
        self.store = store
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._positions = FreshRead(self._read_positions)

    @staticmethod
    def key(actor: Actor | None, body: Any) -> tuple[Any, ...] | None:
        if not isinstance(body, dict):
            return None
        query, name = body.get("query"), body.get("operationName")
        if not isinstance(query, str) or not (name is None or isinstance(name, str)):
            return None
        if not cacheable(query, name)[0]:
            return None
        variables = json.dumps(body.get("variables") or {}, sort_keys=True)
        return (actor, query, name, variables)

    async def positions(self) -> Positions:
        """Read after the call (never an answer read before it), shared by concurrent callers."""
        return await self._positions()

    async def _read_positions(self) -> Positions:
        return await run_in_threadpool(projection_positions, self.store)

    def get(self, key: tuple[Any, ...], positions: Positions) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry.positions != positions:
            return None
        self._entries.move_to_end(key)
        return entry.body

    def put(self, key: tuple[Any, ...], positions: Positions, body: bytes) -> None:
        if len(body) > MAX_ENTRY_BYTES or b'"errors"' in body:
            return
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self._bytes -= len(replaced.body)
        self._entries[key] = Entry(positions, body)
        self._bytes += len(body)
        while len(self._entries) > self.size or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.body)
