"""The audit log: every stored event, in log order, is a leaf of an RFC 9162 Merkle tree.

A leaf holds the event exactly as stored — its log position, originator id and version, topic and
state bytes (ciphertext where a payload is encrypted) — so no decoding is trusted. Leaves have a
dense index of their own (log positions have gaps). Complete subtrees are kept as nodes, so that a
root or a proof at any size costs O(log n) lookups, even at millions of events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder, Notification

from domain.merkle import EMPTY_ROOT, MerkleAccumulator, leaf_hash, node_hash
from projections.db import Cursor, Database

DDL = (
    "CREATE TABLE IF NOT EXISTS audit_leaves ("
    " leaf_index BIGINT PRIMARY KEY, log_position BIGINT NOT NULL UNIQUE,"
    " leaf_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_nodes ("
    " level INTEGER NOT NULL, node_index BIGINT NOT NULL, hash TEXT NOT NULL,"
    " PRIMARY KEY (level, node_index))",
    "CREATE TABLE IF NOT EXISTS audit_tracking ("
    " id INTEGER PRIMARY KEY, log_position BIGINT NOT NULL, accumulator TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_trusted_keys ("
    " name TEXT PRIMARY KEY, public_key TEXT NOT NULL, added_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_checkpoints ("
    " tree_size BIGINT PRIMARY KEY, log_position BIGINT NOT NULL, root_hash TEXT NOT NULL,"
    " issued_at TEXT NOT NULL, note TEXT NOT NULL)",
)

BATCH = 2000
EMPTY_ACCUMULATOR = json.dumps(MerkleAccumulator().to_state())


def leaf_data(notification: Notification) -> bytes:
    """The bytes a leaf commits to: the stored event, as stored."""
    head = (
        f"council-ledger leaf v1\n{notification.id}\n{notification.originator_id}\n"
        f"{notification.originator_version}\n{notification.topic}\n"
    )
    state = notification.state
    # A hand-edited row can come back as text; it is hashed as it reads, and will not match.
    raw = state if isinstance(state, bytes) else str(state).encode()
    return head.encode() + raw


def event_leaf_hash(notification: Notification) -> bytes:
    return leaf_hash(leaf_data(notification))


@dataclass(frozen=True)
class Leaf:
    index: int
    log_position: int
    hash: bytes


class AuditLog:
    """Appends leaves as events arrive and answers for roots, leaves and subtrees."""

    def __init__(self, database: Database, recorder: ApplicationRecorder) -> None:
        self.database = database
        self.recorder = recorder

    # --- appending ---------------------------------------------------------------------

    def catch_up(self) -> int:
        """Append every stored event not yet in the tree; returns how many were appended."""
        total = 0
        while appended := self.append_batch():
            total += appended
        return total

    def append_batch(self) -> int:
        with self.database.transaction() as cur:
            lock = " FOR UPDATE" if self.database.engine == "postgres" else ""
            cur.execute(f"SELECT log_position, accumulator FROM audit_tracking WHERE id = 1{lock}")  # noqa: S608
            position, state = cur.fetchone()
            notifications = self.recorder.select_notifications(
                start=int(position), limit=BATCH, inclusive_of_start=False
            )
            if not notifications:
                return 0
            accumulator = MerkleAccumulator.from_state(json.loads(state))
            leaves: list[tuple[int, int, str]] = []
            nodes: list[tuple[int, int, str]] = []
            for notification in notifications:
                index = accumulator.size
                hashed = event_leaf_hash(notification)
                leaves.append((index, notification.id, hashed.hex()))
                nodes.extend(_completed_nodes(accumulator, hashed))
                accumulator.append(hashed)
            cur.executemany(
                "INSERT INTO audit_leaves (leaf_index, log_position, leaf_hash) VALUES (?, ?, ?)",
                leaves,
            )
            cur.executemany(
                "INSERT INTO audit_nodes (level, node_index, hash) VALUES (?, ?, ?)", nodes
            )
            cur.execute(
                "UPDATE audit_tracking SET log_position = ?, accumulator = ? WHERE id = 1",
                (notifications[-1].id, json.dumps(accumulator.to_state())),
            )
            return len(notifications)

    # --- reading -----------------------------------------------------------------------

    def size(self) -> int:
        with self.database.transaction(snapshot=True) as cur:
            cur.execute("SELECT accumulator FROM audit_tracking WHERE id = 1")
            row = cur.fetchone()
        return int(json.loads(row[0])["size"]) if row else 0

    def head(self) -> tuple[int, int, bytes]:
        """(tree size, last log position in the tree, root) as the tree stands."""
        with self.database.transaction(snapshot=True) as cur:
            cur.execute("SELECT log_position, accumulator FROM audit_tracking WHERE id = 1")
            position, state = cur.fetchone()
        accumulator = MerkleAccumulator.from_state(json.loads(state))
        return accumulator.size, int(position), accumulator.root()

    def leaf_at(self, log_position: int) -> Leaf | None:
        with self.database.transaction(snapshot=True) as cur:
            cur.execute(
                "SELECT leaf_index, log_position, leaf_hash FROM audit_leaves WHERE log_position = ?",
                (log_position,),
            )
            row = cur.fetchone()
        return Leaf(int(row[0]), int(row[1]), bytes.fromhex(row[2])) if row else None

    def leaves(self, *, start: int = 0, page: int = 5000) -> Iterator[Leaf]:
        """Every recorded leaf from ``start`` (a leaf index), in order."""
        while True:
            with self.database.transaction(snapshot=True) as cur:
                cur.execute(
                    "SELECT leaf_index, log_position, leaf_hash FROM audit_leaves"
                    " WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?",
                    (start, page),
                )
                rows = cur.fetchall()
            for row in rows:
                yield Leaf(int(row[0]), int(row[1]), bytes.fromhex(row[2]))
            if len(rows) < page:
                return
            start = int(rows[-1][0]) + 1

    def subtree_roots(self, ranges: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """MTH of each leaf range, from stored leaves and complete nodes."""
        with self.database.transaction(snapshot=True) as cur:
            return {r: _subtree_root(cur, r[0], r[1]) for r in ranges}

    def root_at(self, size: int) -> bytes:
        if size == 0:
            return EMPTY_ROOT
        return self.subtree_roots([(0, size)])[(0, size)]


def _completed_nodes(accumulator: MerkleAccumulator, new_leaf: bytes) -> list[tuple[int, int, str]]:
    """The interior nodes that appending ``new_leaf`` completes, as (level, index, hex)."""
    index = accumulator.size
    peaks = list(accumulator.peaks)
    current, level, completed = new_leaf, 0, []
    while index >> level & 1:
        current = node_hash(peaks.pop(), current)
        level += 1
        completed.append((level, index >> level, current.hex()))
    return completed


def _subtree_root(cur: Cursor, start: int, end: int) -> bytes:
    width = end - start
    if width <= 0:
        raise ValueError(f"empty leaf range {start}..{end}")
    if width & (width - 1) == 0 and start % width == 0:
        level = width.bit_length() - 1
        if level == 0:
            cur.execute("SELECT leaf_hash FROM audit_leaves WHERE leaf_index = ?", (start,))
        else:
            cur.execute(
                "SELECT hash FROM audit_nodes WHERE level = ? AND node_index = ?",
                (level, start >> level),
            )
        row = cur.fetchone()
        if row is None:
            raise ValueError(f"the tree has no complete subtree over leaves {start}..{end}")
        return bytes.fromhex(row[0])
    split = 1 << ((width - 1).bit_length() - 1)
    return node_hash(
        _subtree_root(cur, start, start + split), _subtree_root(cur, start + split, end)
    )
