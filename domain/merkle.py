"""Merkle trees for the event log, hashed as in RFC 9162 (Certificate Transparency v2).

Everything here is pure and uses only the standard library, so an auditor can
check the log offline with this one file.

Hashing (RFC 9162 §2.1.1, identical to RFC 6962 §2.1):

* a leaf is ``SHA-256(0x00 || data)`` (:func:`leaf_hash`);
* an interior node is ``SHA-256(0x01 || left || right)`` (:func:`node_hash`);
* the tree head ``MTH(D[n])`` splits ``D[n]`` at ``k``, the largest power of two
  smaller than ``n``, and the empty tree's head is ``SHA-256()``
  (:func:`root_hash`).

Leaf positions are 0-based and ranges are half-open: ``(start, end)`` means the
leaves ``D[start:end]``.

Proof generators never read leaves themselves.  They ask a callable
``subtree_root(start, end)`` for ``MTH(D[start:end])``; every range they ask for
is either a *complete* subtree ``(j * 2**h, (j + 1) * 2**h)``, which never changes
once the log has grown past it and can be cached for ever, or a range that ends at
the tree size in question.  :func:`inclusion_proof_ranges` and
:func:`consistency_proof_ranges` give those ranges up front so that a storage layer
can fetch them in one query.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 and return ``False`` for any
malformed input instead of raising.  A proof binds a leaf (or an older tree) to a
*root*; the tree size is not hashed into the root, so the pair (size, root) must
come from a checkpoint the verifier already trusts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypedDict

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AccumulatorState",
    "CompactRange",
    "MerkleAccumulator",
    "SubtreeRoot",
    "consistency_proof",
    "consistency_proof_from_leaves",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_from_leaves",
    "inclusion_proof_ranges",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "subtree_root_from_leaves",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: the SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

SubtreeRoot = Callable[[int, int], bytes]
"""``subtree_root(start, end)`` returns ``MTH(D[start:end])`` for ``0 <= start < end``."""


# --- hashing ---------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf holding ``data``: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_hash(leaf_hashes: Iterable[bytes]) -> bytes:
    """``MTH`` of the tree whose leaves have the given hashes, in order.

    Runs in linear time and keeps only O(log n) hashes, so it also accepts a
    generator that streams the leaf hashes from storage.
    """
    accumulator = MerkleAccumulator()
    accumulator.extend(leaf_hashes)
    return accumulator.root()


def _split(width: int) -> int:
    """The largest power of two strictly smaller than ``width`` (``width >= 2``)."""
    return 1 << ((width - 1).bit_length() - 1)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _require_hash(value: object, what: str) -> bytes:
    if isinstance(value, bytes) and len(value) == HASH_SIZE:
        return value
    raise ValueError(f"{what} must be {HASH_SIZE} bytes")


def _require_size(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"{what} must be a non-negative integer")


# --- incremental tree head --------------------------------------------------------------


class AccumulatorState(TypedDict):
    """A :class:`MerkleAccumulator` as plain JSON-compatible data.

    ``hashes`` are lowercase hex, one per set bit of ``size``, from the largest
    (leftmost) complete subtree to the smallest.
    """

    size: int
    hashes: list[str]


class MerkleAccumulator:
    """The head of an append-only tree, kept in O(log n) space.

    The state is the compact range ``[0, size)``: the roots of the complete subtrees
    that the binary representation of ``size`` cuts the leaves into, largest first.
    :meth:`append` is amortised O(1) and at worst O(log n) hashes; :meth:`root`
    costs at most ``log2(size)`` hashes.  :meth:`to_state` and :meth:`from_state`
    turn it into a database-friendly value and back, so that checkpointing can
    resume where it stopped.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []

    @classmethod
    def from_peaks(cls, size: int, peaks: Sequence[bytes]) -> MerkleAccumulator:
        """Rebuild from a size and its subtree roots (largest subtree first)."""
        size = _require_size(size, "size")
        if len(peaks) != size.bit_count():
            raise ValueError(
                f"a tree of {size} leaves has {size.bit_count()} subtree roots, not {len(peaks)}"
            )
        accumulator = cls()
        accumulator._size = size
        accumulator._peaks = [_require_hash(peak, "a subtree root") for peak in peaks]
        return accumulator

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> MerkleAccumulator:
        """Rebuild from the value returned by :meth:`to_state` (e.g. read from JSON)."""
        try:
            size = _require_size(state["size"], "size")
            hex_hashes = state["hashes"]
        except (KeyError, TypeError) as error:
            raise ValueError("an accumulator state needs 'size' and 'hashes'") from error
        if not isinstance(hex_hashes, list) or not all(isinstance(h, str) for h in hex_hashes):
            raise ValueError("'hashes' must be a list of hex strings")
        try:
            peaks = [bytes.fromhex(h) for h in hex_hashes]
        except ValueError as error:
            raise ValueError("'hashes' must be a list of hex strings") from error
        return cls.from_peaks(size, peaks)

    def to_state(self) -> AccumulatorState:
        """The state as ``{"size": n, "hashes": [hex, ...]}``, ready for ``json.dumps``."""
        return {"size": self._size, "hashes": [peak.hex() for peak in self._peaks]}

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """The roots of the complete subtrees covering ``[0, size)``, largest first."""
        return tuple(self._peaks)

    def append(self, leaf: bytes) -> None:
        """Add the next leaf, given by its *leaf hash* (see :func:`leaf_hash`)."""
        carry = _require_hash(leaf, "a leaf hash")
        size = self._size
        # Every trailing 1-bit of the old size is a subtree of the same width as the
        # one being carried, so they merge, exactly like binary addition of 1.
        while size & 1:
            carry = node_hash(self._peaks.pop(), carry)
            size >>= 1
        self._peaks.append(carry)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """``MTH`` of the leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        # MTH splits at the largest power of two, which is the leftmost peak, and
        # recurses into the remainder, so the head is a right fold over the peaks.
        result = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            result = node_hash(peak, result)
        return result

    def copy(self) -> MerkleAccumulator:
        """An independent accumulator in the same state."""
        return MerkleAccumulator.from_peaks(self._size, self._peaks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MerkleAccumulator):
            return NotImplemented
        return self._size == other._size and self._peaks == other._peaks

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"MerkleAccumulator(size={self._size}, root={self.root().hex()})"


CompactRange = MerkleAccumulator
"""The same class under the name used by transparency-dev/merkle (``compact.Range``)."""


# --- proof generation ---------------------------------------------------------------------


def inclusion_proof_ranges(leaf_index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose heads form ``PATH(leaf_index, D[tree_size])``.

    RFC 9162 §2.1.3.1, listed from the leaf's sibling up to the root's child.
    Raises ``ValueError`` unless ``0 <= leaf_index < tree_size``.
    """
    leaf_index = _require_size(leaf_index, "leaf_index")
    tree_size = _require_size(tree_size, "tree_size")
    if leaf_index >= tree_size:
        raise ValueError(f"leaf {leaf_index} is not in a tree of {tree_size} leaves")
    ranges: list[tuple[int, int]] = []
    start, end = 0, tree_size
    while end - start > 1:
        middle = start + _split(end - start)
        if leaf_index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose heads form ``PROOF(old_size, D[new_size])``.

    RFC 9162 §2.1.4.1 (``SUBPROOF`` with ``b = true``), in the RFC's order.  The
    proof is empty when ``old_size`` is 0 or equals ``new_size``.  Raises
    ``ValueError`` unless ``0 <= old_size <= new_size``.
    """
    old_size = _require_size(old_size, "old_size")
    new_size = _require_size(new_size, "new_size")
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is larger than new_size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end = 0, new_size
    whole_old_tree = True  # the RFC's ``b``: this subtree's head is the old root
    while end != old_size:
        middle = start + _split(end - start)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _fetch(ranges: Iterable[tuple[int, int]], subtree_root: SubtreeRoot) -> list[bytes]:
    return [_require_hash(subtree_root(start, end), "subtree_root()") for start, end in ranges]


def inclusion_proof(leaf_index: int, tree_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """The audit path of RFC 9162 §2.1.3.1 for leaf ``leaf_index`` in a tree of ``tree_size``.

    ``subtree_root(start, end)`` must return ``MTH(D[start:end])``; see the module
    notes for which ranges it is asked for.
    """
    return _fetch(inclusion_proof_ranges(leaf_index, tree_size), subtree_root)


def consistency_proof(old_size: int, new_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """The consistency proof of RFC 9162 §2.1.4.1 between two sizes of the same log.

    ``subtree_root(start, end)`` must return ``MTH(D[start:end])``.
    """
    return _fetch(consistency_proof_ranges(old_size, new_size), subtree_root)


def subtree_root_from_leaves(leaf_hashes: Sequence[bytes]) -> SubtreeRoot:
    """A ``subtree_root`` callable over leaf hashes held in memory."""

    def subtree_root(start: int, end: int) -> bytes:
        if not 0 <= start < end <= len(leaf_hashes):
            raise ValueError(f"no leaves [{start}, {end}) among {len(leaf_hashes)}")
        return root_hash(leaf_hashes[index] for index in range(start, end))

    return subtree_root


def inclusion_proof_from_leaves(
    leaf_index: int, tree_size: int, leaf_hashes: Sequence[bytes]
) -> list[bytes]:
    """:func:`inclusion_proof` over the first ``tree_size`` of ``leaf_hashes``."""
    if _is_size(tree_size) and tree_size > len(leaf_hashes):
        raise ValueError(f"tree_size {tree_size} exceeds the {len(leaf_hashes)} leaves given")
    return inclusion_proof(leaf_index, tree_size, subtree_root_from_leaves(leaf_hashes))


def consistency_proof_from_leaves(
    old_size: int, new_size: int, leaf_hashes: Sequence[bytes]
) -> list[bytes]:
    """:func:`consistency_proof` over the first ``new_size`` of ``leaf_hashes``."""
    if _is_size(new_size) and new_size > len(leaf_hashes):
        raise ValueError(f"new_size {new_size} exceeds the {len(leaf_hashes)} leaves given")
    return consistency_proof(old_size, new_size, subtree_root_from_leaves(leaf_hashes))


# --- verification -------------------------------------------------------------------------


def _as_hashes(proof: object) -> list[bytes] | None:
    """The proof as a list of hashes, or ``None`` if it is not one."""
    if isinstance(proof, (bytes, bytearray, str)) or not isinstance(proof, Iterable):
        return None
    items = list(proof)
    if not all(_is_hash(item) for item in items):
        return None
    return items


def verify_inclusion(
    leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash at ``leaf_index`` in the tree with head ``root``.

    RFC 9162 §2.1.3.2.  Returns ``False`` (never raises) for a proof of the wrong
    length, an index outside the tree, hashes of the wrong size or type, etc.
    """
    path = _as_hashes(proof)
    if (
        path is None
        or not _is_hash(leaf_hash)
        or not _is_hash(root)
        or not _is_size(leaf_index)
        or not _is_size(tree_size)
        or leaf_index >= tree_size
    ):
        return False
    fn, sn = leaf_index, tree_size - 1
    result = leaf_hash
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``.  For equal sizes the proof
    must be empty and the roots equal; for ``old_size == 0`` the proof must be
    empty and ``old_root`` must be the empty tree's head.  Returns ``False`` (never
    raises) for any malformed input.
    """
    path = _as_hashes(proof)
    if (
        path is None
        or not _is_hash(old_root)
        or not _is_hash(new_root)
        or not _is_size(old_size)
        or not _is_size(new_size)
        or old_size > new_size
    ):
        return False
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one, so its head is the
        # first node of the path and the proof leaves it out.
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(node, old_result)
            new_result = node_hash(node, new_result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root
