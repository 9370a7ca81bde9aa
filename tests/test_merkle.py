"""The event log's Merkle tree (domain.merkle) against known answers and RFC 9162 properties.

Known answers come from tests/data/merkle_vectors.json: the Certificate Transparency
vectors of google/certificate-transparency (cpp/merkletree/merkle_tree_test.cc) and
transparency-dev/merkle (proof/verify_test.go, proof/proof_test.go,
testonly/constants.go); its "_about" entry names the files and commits.

Property tests compare the module with ``ReferenceTree`` below, a literal transcription of
the recursive definitions of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF)
that hashes with hashlib directly, so it shares no code with the module under test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleAccumulator,
    consistency_proof,
    consistency_proof_from_leaves,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_from_leaves,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    root_hash,
    subtree_root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "merkle_vectors.json").read_text(encoding="utf-8")
)


def unhex(text: str) -> bytes:
    return bytes.fromhex(text)


LEAF_INPUTS = [unhex(data) for data in VECTORS["leaf_inputs"]]
LEAF_HASHES = [leaf_hash(data) for data in LEAF_INPUTS]
# ROOTS[n] is the root of the first n reference leaves.
ROOTS = [unhex(VECTORS["empty_root"]), *(unhex(root) for root in VECTORS["roots"])]
NODE_HASHES = [[unhex(node) for node in level] for level in VECTORS["node_hashes"]]
SOME_HASH = unhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def node_range(level: int, index: int) -> tuple[int, int]:
    return index << level, (index + 1) << level


def shape_ranges(shape: dict[str, Any], tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges named by a transparency-dev/merkle node list with its rehash span."""
    ranges = [node_range(level, index) for level, index in shape["nodes"]]
    ranges = [(start, min(end, tree_size)) for start, end in ranges]
    if "rehash" in shape:
        begin, end = shape["rehash"]
        group = ranges[begin:end]
        merged = (min(start for start, _ in group), max(stop for _, stop in group))
        ranges[begin:end] = [merged]
    return ranges


# --- an independent oracle -------------------------------------------------------------


class ReferenceTree:
    """RFC 9162 §2.1 transcribed literally, over leaf *data*, with memoised MTH."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = tuple(leaves)
        self._heads: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def split(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end])."""
        key = (start, end)
        if key not in self._heads:
            n = end - start
            if n == 0:
                head = hashlib.sha256(b"").digest()
            elif n == 1:
                head = hashlib.sha256(b"\x00" + self.leaves[start]).digest()
            else:
                k = self.split(n)
                left, right = self.mth(start, start + k), self.mth(start + k, end)
                head = hashlib.sha256(b"\x01" + left + right).digest()
            self._heads[key] = head
        return self._heads[key]

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        """PATH(m, D[start:end])."""
        n = end - start
        if n == 1:
            return []
        k = self.split(n)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[start:end], b)."""
        n = end - start
        if m == n:
            return [] if b else [self.mth(start, end)]
        k = self.split(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, b), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]


POOL_SIZE = 300
POOL = ReferenceTree([f"event {i}".encode() for i in range(POOL_SIZE)])
POOL_LEAF_HASHES = [leaf_hash(data) for data in POOL.leaves]
REFERENCE = ReferenceTree(LEAF_INPUTS)

tree_sizes = st.integers(min_value=1, max_value=POOL_SIZE)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(tree_sizes)
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn, *, strictly_growing: bool = False) -> tuple[int, int]:
    new_size = draw(st.integers(min_value=2 if strictly_growing else 1, max_value=POOL_SIZE))
    low = 1 if strictly_growing else 0
    high = new_size - 1 if strictly_growing else new_size
    return draw(st.integers(min_value=low, max_value=high)), new_size


def flip_bit(value: bytes, position: int) -> bytes:
    position %= len(value) * 8
    changed = bytearray(value)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def flip_in_proof(proof: list[bytes], element: int, position: int) -> list[bytes]:
    element %= len(proof)
    return [*proof[:element], flip_bit(proof[element], position), *proof[element + 1 :]]


# --- hashing -------------------------------------------------------------------------


def test_leaf_and_node_hashes_carry_the_rfc_domain_separation_prefixes() -> None:
    left, right = hashlib.sha256(b"l").digest(), hashlib.sha256(b"r").digest()

    assert leaf_hash(b"data") == hashlib.sha256(b"\x00data").digest()
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_root() -> None:
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]
    assert MerkleAccumulator().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_every_prefix_of_the_reference_leaves_has_the_known_root(size: int) -> None:
    assert root_hash(LEAF_HASHES[:size]) == ROOTS[size]


def test_every_complete_subtree_of_the_reference_tree_has_the_known_hash() -> None:
    subtree_root = subtree_root_from_leaves(LEAF_HASHES)

    for level, hashes in enumerate(NODE_HASHES):
        for index, expected in enumerate(hashes):
            assert subtree_root(*node_range(level, index)) == expected, (level, index)


@given(st.lists(st.binary(max_size=40), max_size=POOL_SIZE))
@settings(deadline=None)
def test_the_root_of_any_tree_matches_the_rfc_definition(leaves: list[bytes]) -> None:
    assert root_hash([leaf_hash(data) for data in leaves]) == ReferenceTree(leaves).mth(
        0, len(leaves)
    )


# --- known inclusion proofs -------------------------------------------------------------

INCLUSION_VECTORS = [
    pytest.param(
        v["leaf"] - 1,
        v["tree_size"],
        [unhex(p) for p in v["path"]],
        id=f"{v['leaf']}/{v['tree_size']}",
    )
    for v in VECTORS["inclusion_proofs"]
]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_the_inclusion_proofs_of_the_reference_tree_are_the_known_paths(
    index: int, size: int, path: list[bytes]
) -> None:
    assert inclusion_proof_from_leaves(index, size, LEAF_HASHES) == path


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_the_known_inclusion_proofs_verify_against_the_known_roots(
    index: int, size: int, path: list[bytes]
) -> None:
    assert verify_inclusion(LEAF_HASHES[index], index, size, path, ROOTS[size])


def corrupted_inclusions(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> list[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]]:
    """The probes of the Certificate Transparency verifier tests, as (label, arguments)."""
    probes: list[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]] = [
        ("index - 1", (leaf, index - 1, size, path, root)),
        ("index + 1", (leaf, index + 1, size, path, root)),
        ("index ^ 2", (leaf, index ^ 2, size, path, root)),
        ("size * 2", (leaf, index, size * 2, path, root)),
        ("size // 2", (leaf, index, size // 2, path, root)),
        ("wrong leaf", (leaf_hash(b"WrongLeaf"), index, size, path, root)),
        ("empty root", (leaf, index, size, path, EMPTY_ROOT)),
        ("some root", (leaf, index, size, path, SOME_HASH)),
        ("trailing garbage", (leaf, index, size, [*path, b""], root)),
        ("trailing root", (leaf, index, size, [*path, root], root)),
        ("preceding garbage", (leaf, index, size, [b"", *path], root)),
        ("preceding root", (leaf, index, size, [root, *path], root)),
    ]
    for element in range(len(path)):
        probes.append(
            (
                f"bit flipped in path[{element}]",
                (leaf, index, size, flip_in_proof(path, element, 3), root),
            )
        )
        replaced = [*path[:element], EMPTY_ROOT, *path[element + 1 :]]
        probes.append((f"path[{element}] replaced", (leaf, index, size, replaced, root)))
    if path:
        probes.append(("last element removed", (leaf, index, size, path[:-1], root)))
    if len(path) > 1:
        probes.append(
            ("element inserted", (leaf, index, size, [path[0], SOME_HASH, *path[1:]], root))
        )
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_corrupting_a_known_inclusion_proof_makes_it_fail(
    index: int, size: int, path: list[bytes]
) -> None:
    probes = corrupted_inclusions(LEAF_HASHES[index], index, size, path, ROOTS[size])

    accepted = [label for label, arguments in probes if verify_inclusion(*arguments)]

    assert accepted == []


def test_inclusion_in_a_one_leaf_tree_holds_only_when_the_leaf_is_the_root() -> None:
    leaf = leaf_hash(b"data")

    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    assert not verify_inclusion(leaf, 0, 1, [], SOME_HASH)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (5, 5)])
def test_inclusion_is_never_shown_for_a_position_outside_the_tree(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(EMPTY_ROOT, index, size, [], EMPTY_ROOT)


# --- known consistency proofs -----------------------------------------------------------

CONSISTENCY_VECTORS = [
    pytest.param(
        v["old_size"],
        v["new_size"],
        [unhex(p) for p in v["proof"]],
        id=f"{v['old_size']}->{v['new_size']}",
    )
    for v in VECTORS["consistency_proofs"]
]


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_the_consistency_proofs_of_the_reference_tree_are_the_known_proofs(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    assert consistency_proof_from_leaves(old_size, new_size, LEAF_HASHES) == proof


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_the_known_consistency_proofs_verify_against_the_known_roots(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    assert verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)


def corrupted_consistencies(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]]:
    """The probes of the Certificate Transparency verifier tests, as (label, arguments)."""
    probes: list[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]] = [
        ("old size - 1", (old_size - 1, new_size, old_root, new_root, proof)),
        ("old size + 1", (old_size + 1, new_size, old_root, new_root, proof)),
        ("old size ^ 2", (old_size ^ 2, new_size, old_root, new_root, proof)),
        ("new size * 2", (old_size, new_size * 2, old_root, new_root, proof)),
        ("new size // 2", (old_size, new_size // 2, old_root, new_root, proof)),
        ("short old root", (old_size, new_size, b"WrongRoot", new_root, proof)),
        ("short new root", (old_size, new_size, old_root, b"WrongRoot", proof)),
        ("wrong old root", (old_size, new_size, SOME_HASH, new_root, proof)),
        ("wrong new root", (old_size, new_size, old_root, SOME_HASH, proof)),
        ("swapped roots", (old_size, new_size, new_root, old_root, proof)),
        ("empty proof", (old_size, new_size, old_root, new_root, [])),
        ("trailing garbage", (old_size, new_size, old_root, new_root, [*proof, b""])),
        ("trailing old root", (old_size, new_size, old_root, new_root, [*proof, old_root])),
        ("trailing new root", (old_size, new_size, old_root, new_root, [*proof, new_root])),
        ("trailing last", (old_size, new_size, old_root, new_root, [*proof, proof[-1]])),
        ("preceding garbage", (old_size, new_size, old_root, new_root, [b"", *proof])),
        ("preceding old root", (old_size, new_size, old_root, new_root, [old_root, *proof])),
        ("preceding new root", (old_size, new_size, old_root, new_root, [new_root, *proof])),
        ("preceding proof[0]", (old_size, new_size, old_root, new_root, [proof[0], *proof])),
        ("truncated", (old_size, new_size, old_root, new_root, proof[:-1])),
    ]
    for element in range(len(proof)):
        flipped = flip_in_proof(proof, element, 4)
        probes.append(
            (f"bit flipped in proof[{element}]", (old_size, new_size, old_root, new_root, flipped))
        )
        replaced = [*proof[:element], EMPTY_ROOT, *proof[element + 1 :]]
        probes.append(
            (f"proof[{element}] replaced", (old_size, new_size, old_root, new_root, replaced))
        )
    return probes


@pytest.mark.parametrize(
    ("old_size", "new_size", "proof"), [p for p in CONSISTENCY_VECTORS if p.values[2]]
)
def test_corrupting_a_known_consistency_proof_makes_it_fail(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    probes = corrupted_consistencies(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)

    accepted = [label for label, arguments in probes if verify_consistency(*arguments)]

    assert accepted == []


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof", "expected"),
    [
        # From the Certificate Transparency verifier tests.
        pytest.param(1, 1, SOME_HASH, SOME_HASH, [], True, id="same size, same root"),
        pytest.param(1, 1, EMPTY_ROOT, SOME_HASH, [], False, id="same size, other root"),
        pytest.param(1, 0, SOME_HASH, EMPTY_ROOT, [], False, id="shrinking to empty"),
        pytest.param(2, 1, SOME_HASH, SOME_HASH, [], False, id="shrinking"),
        pytest.param(1, 2, SOME_HASH, EMPTY_ROOT, [], False, id="growing with no proof"),
        pytest.param(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="same size, proof"),
        pytest.param(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="empty, proof"),
        pytest.param(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="from empty, proof"),
        # Stricter than those tests: the empty tree has a known root, so it is checked.
        pytest.param(0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True, id="empty to empty"),
        pytest.param(0, 5, EMPTY_ROOT, SOME_HASH, [], True, id="from empty"),
        pytest.param(0, 0, SOME_HASH, SOME_HASH, [], False, id="empty under a non-empty root"),
        pytest.param(0, 5, SOME_HASH, SOME_HASH, [], False, id="from empty, non-empty root"),
    ],
)
def test_trivial_consistency_claims_hold_only_with_an_empty_proof_and_matching_roots(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: list[bytes],
    expected: bool,
) -> None:
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) is expected


# --- which subtrees the proofs are made of ------------------------------------------------


@pytest.mark.parametrize(
    "shape", VECTORS["inclusion_shapes"], ids=lambda s: f"{s['index']}/{s['tree_size']}"
)
def test_inclusion_proofs_are_made_of_the_subtrees_transparency_dev_names(
    shape: dict[str, Any],
) -> None:
    size = shape["tree_size"]

    assert inclusion_proof_ranges(shape["index"], size) == shape_ranges(shape, size)


@pytest.mark.parametrize(
    "shape",
    VECTORS["consistency_shapes"],
    ids=lambda s: f"{s['old_size']}->{s['new_size']}",
)
def test_consistency_proofs_are_made_of_the_subtrees_transparency_dev_names(
    shape: dict[str, Any],
) -> None:
    size = shape["new_size"]

    assert consistency_proof_ranges(shape["old_size"], size) == shape_ranges(shape, size)


@pytest.mark.parametrize(
    "request_",
    VECTORS["invalid_inclusion_requests"],
    ids=lambda r: f"{r['index']}/{r['tree_size']}",
)
def test_an_inclusion_proof_for_a_leaf_outside_the_tree_is_refused(
    request_: dict[str, int],
) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(request_["index"], request_["tree_size"], POOL.mth)


@pytest.mark.parametrize(
    "request_",
    VECTORS["invalid_consistency_requests"],
    ids=lambda r: f"{r['old_size']}->{r['new_size']}",
)
def test_a_consistency_proof_towards_a_smaller_tree_is_refused(request_: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="larger than"):
        consistency_proof(request_["old_size"], request_["new_size"], POOL.mth)


@pytest.mark.parametrize("bad", [-1, True, 1.0, "3", None])
def test_proof_requests_with_sizes_that_are_not_counts_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        inclusion_proof_ranges(bad, 5)
    with pytest.raises(ValueError, match="non-negative integer"):
        inclusion_proof_ranges(0, bad)
    with pytest.raises(ValueError, match="non-negative integer"):
        consistency_proof_ranges(bad, 5)
    with pytest.raises(ValueError, match="non-negative integer"):
        consistency_proof_ranges(1, bad)


def is_complete_subtree(start: int, end: int) -> bool:
    width = end - start
    return width > 0 and width & (width - 1) == 0 and start % width == 0


@given(size_and_index())
def test_inclusion_proofs_ask_only_for_complete_subtrees_or_ranges_ending_at_the_tree_size(
    case: tuple[int, int],
) -> None:
    size, index = case

    for start, end in inclusion_proof_ranges(index, size):
        assert is_complete_subtree(start, end) or (0 <= start < end == size)


@given(two_sizes())
def test_consistency_proofs_ask_only_for_complete_subtrees_or_ranges_ending_at_the_new_size(
    sizes: tuple[int, int],
) -> None:
    old_size, new_size = sizes

    for start, end in consistency_proof_ranges(old_size, new_size):
        assert is_complete_subtree(start, end) or (0 <= start < end == new_size)


def test_a_subtree_source_that_returns_something_other_than_a_hash_is_caught() -> None:
    with pytest.raises(ValueError, match="subtree_root"):
        inclusion_proof(0, 8, lambda start, end: b"short")
    with pytest.raises(ValueError, match="subtree_root"):
        consistency_proof(3, 8, lambda start, end: "00" * 32)  # type: ignore[arg-type, return-value]


def test_the_list_wrappers_refuse_a_tree_larger_than_the_leaves_given() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        inclusion_proof_from_leaves(0, 9, LEAF_HASHES)
    with pytest.raises(ValueError, match="exceeds"):
        consistency_proof_from_leaves(1, 9, LEAF_HASHES)


def test_the_list_wrappers_prove_against_earlier_sizes_of_a_longer_log() -> None:
    proof = inclusion_proof_from_leaves(2, 5, LEAF_HASHES)

    assert verify_inclusion(LEAF_HASHES[2], 2, 5, proof, ROOTS[5])
    assert verify_consistency(
        2, 5, ROOTS[2], ROOTS[5], consistency_proof_from_leaves(2, 5, LEAF_HASHES)
    )


# --- properties of proofs -----------------------------------------------------------------


@given(tree_sizes)
@settings(deadline=None, max_examples=60)
def test_an_inclusion_proof_for_every_leaf_verifies_against_the_root(size: int) -> None:
    root = POOL.mth(0, size)
    for index in range(size):
        proof = inclusion_proof(index, size, POOL.mth)

        assert proof == POOL.path(index, 0, size)
        assert verify_inclusion(POOL_LEAF_HASHES[index], index, size, proof, root)


@given(size_and_index(), st.integers(min_value=0), st.integers(min_value=0), st.data())
@settings(deadline=None)
def test_a_tampered_inclusion_proof_leaf_root_or_position_fails(
    case: tuple[int, int], element: int, bit: int, data: st.DataObject
) -> None:
    size, index = case
    leaf, root = POOL_LEAF_HASHES[index], POOL.mth(0, size)
    proof = inclusion_proof(index, size, POOL.mth)

    assert verify_inclusion(leaf, index, size, proof, root)
    assert not verify_inclusion(flip_bit(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip_bit(root, bit))
    assert not verify_inclusion(leaf, index, size, [*proof, SOME_HASH], root)
    if proof:
        assert not verify_inclusion(leaf, index, size, flip_in_proof(proof, element, bit), root)
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
    if size > 1:
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
        assert not verify_inclusion(leaf, other, size, proof, root)
        assert not verify_inclusion(POOL_LEAF_HASHES[other], index, size, proof, root)


@given(two_sizes())
@settings(deadline=None)
def test_every_consistency_proof_between_two_sizes_verifies(sizes: tuple[int, int]) -> None:
    old_size, new_size = sizes
    proof = consistency_proof(old_size, new_size, POOL.mth)

    expected = POOL.subproof(old_size, 0, new_size, True) if old_size else []
    assert proof == expected
    assert verify_consistency(
        old_size, new_size, POOL.mth(0, old_size), POOL.mth(0, new_size), proof
    )


@given(two_sizes(strictly_growing=True), st.integers(min_value=0), st.integers(min_value=0))
@settings(deadline=None)
def test_a_tampered_consistency_proof_or_root_fails(
    sizes: tuple[int, int], element: int, bit: int
) -> None:
    old_size, new_size = sizes
    old_root, new_root = POOL.mth(0, old_size), POOL.mth(0, new_size)
    proof = consistency_proof(old_size, new_size, POOL.mth)
    forked = ReferenceTree([*POOL.leaves[: old_size - 1], b"forged", *POOL.leaves[old_size:]])

    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert not verify_consistency(
        old_size, new_size, old_root, new_root, flip_in_proof(proof, element, bit)
    )
    assert not verify_consistency(old_size, new_size, flip_bit(old_root, bit), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, flip_bit(new_root, bit), proof)
    assert not verify_consistency(old_size, new_size, new_root, old_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, SOME_HASH])
    # A log that rewrote history cannot prove that it extends the old checkpoint.
    assert not verify_consistency(old_size, new_size, old_root, forked.mth(0, new_size), proof)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=33), max_size=3),
)
proofs = st.one_of(
    junk, st.lists(st.one_of(st.binary(min_size=32, max_size=32), junk), max_size=12)
)


@given(junk, junk, junk, proofs, junk)
def test_the_inclusion_verifier_answers_false_rather_than_raising_on_junk(
    leaf: Any, index: Any, size: Any, proof: Any, root: Any
) -> None:
    assert verify_inclusion(leaf, index, size, proof, root) is False


@given(junk, junk, junk, junk, proofs)
def test_the_consistency_verifier_answers_false_rather_than_raising_on_junk(
    old_size: Any, new_size: Any, old_root: Any, new_root: Any, proof: Any
) -> None:
    assert verify_consistency(old_size, new_size, old_root, new_root, proof) is False


@given(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.lists(st.binary(min_size=32, max_size=32), max_size=70),
)
def test_the_verifiers_answer_false_for_well_typed_but_wrong_proofs(
    first: int, second: int, proof: list[bytes]
) -> None:
    assert verify_inclusion(SOME_HASH, first, second, proof, EMPTY_ROOT) is False
    assert verify_consistency(first, second, SOME_HASH, EMPTY_ROOT, proof) is False


@pytest.mark.parametrize(
    "proof", [None, 7, "ab" * 32, SOME_HASH, bytearray(SOME_HASH), [bytearray(SOME_HASH)], [None]]
)
def test_a_proof_that_is_not_a_list_of_hashes_is_rejected(proof: Any) -> None:
    leaf = LEAF_HASHES[0]

    assert verify_inclusion(leaf, 0, 2, proof, ROOTS[2]) is False
    assert verify_consistency(1, 2, ROOTS[1], ROOTS[2], proof) is False


def test_a_proof_given_as_a_tuple_or_generator_is_accepted() -> None:
    path = inclusion_proof_from_leaves(6, 8, LEAF_HASHES)

    assert verify_inclusion(LEAF_HASHES[6], 6, 8, tuple(path), ROOTS[8])
    assert verify_inclusion(LEAF_HASHES[6], 6, 8, (p for p in path), ROOTS[8])  # type: ignore[arg-type]


# --- the accumulator ----------------------------------------------------------------------


def test_the_accumulator_holds_the_known_compact_range_for_every_size() -> None:
    accumulator = MerkleAccumulator()
    for size, nodes in enumerate(VECTORS["compact_ranges"]):
        if size:
            accumulator.append(LEAF_HASHES[size - 1])

        assert accumulator.size == size
        assert accumulator.peaks == tuple(NODE_HASHES[level][index] for level, index in nodes)
        assert accumulator.root() == ROOTS[size]


@given(st.lists(st.binary(max_size=40), max_size=POOL_SIZE))
@settings(deadline=None)
def test_the_accumulator_root_equals_root_hash_for_every_prefix(leaves: list[bytes]) -> None:
    reference = ReferenceTree(leaves)
    hashes = [leaf_hash(data) for data in leaves]
    accumulator = MerkleAccumulator()

    for size, leaf in enumerate(hashes, start=1):
        accumulator.append(leaf)

        assert accumulator.root() == reference.mth(0, size)
        assert len(accumulator.peaks) == size.bit_count()
    assert accumulator.root() == root_hash(hashes)


@given(st.integers(min_value=0, max_value=POOL_SIZE), st.integers(min_value=0, max_value=POOL_SIZE))
@settings(deadline=None)
def test_a_resumed_accumulator_gives_the_same_roots_as_one_that_never_stopped(
    stop: int, total: int
) -> None:
    stop, total = min(stop, total), max(stop, total)
    uninterrupted = MerkleAccumulator()
    uninterrupted.extend(POOL_LEAF_HASHES[:stop])
    stored = json.dumps(uninterrupted.to_state())

    resumed = MerkleAccumulator.from_state(json.loads(stored))

    assert resumed == uninterrupted
    assert resumed.root() == uninterrupted.root() == POOL.mth(0, stop)
    for leaf in POOL_LEAF_HASHES[stop:total]:
        uninterrupted.append(leaf)
        resumed.append(leaf)
        assert resumed.root() == uninterrupted.root()
    assert resumed.root() == POOL.mth(0, total)


def test_the_stored_state_is_a_size_and_hex_hashes_largest_subtree_first() -> None:
    accumulator = MerkleAccumulator()
    accumulator.extend(LEAF_HASHES[:7])

    assert accumulator.to_state() == {
        "size": 7,
        "hashes": [NODE_HASHES[2][0].hex(), NODE_HASHES[1][2].hex(), NODE_HASHES[0][6].hex()],
    }


def test_the_accumulator_state_grows_with_the_logarithm_of_the_log() -> None:
    huge = 2**40 + 2**20 + 5  # far beyond what the log will hold; no leaves needed
    accumulator = MerkleAccumulator.from_peaks(huge, [SOME_HASH] * huge.bit_count())

    accumulator.extend(POOL_LEAF_HASHES[:3])

    assert accumulator.size == huge + 3
    assert len(accumulator.peaks) == (huge + 3).bit_count() == 3
    assert len(json.dumps(accumulator.to_state())) < 300


def test_copying_an_accumulator_leaves_the_original_untouched() -> None:
    original = MerkleAccumulator()
    original.extend(LEAF_HASHES[:3])

    copy = original.copy()
    copy.append(LEAF_HASHES[3])

    assert original.root() == ROOTS[3]
    assert copy.root() == ROOTS[4]
    assert original != copy


def test_compact_range_is_another_name_for_the_accumulator() -> None:
    assert CompactRange is MerkleAccumulator


@pytest.mark.parametrize(
    "state",
    [
        {"size": 3, "hashes": [SOME_HASH.hex()]},
        {"size": 1, "hashes": [SOME_HASH.hex(), SOME_HASH.hex()]},
        {"size": 0, "hashes": [SOME_HASH.hex()]},
        {"size": 1, "hashes": ["zz" * 32]},
        {"size": 1, "hashes": ["ab" * 31]},
        {"size": 1, "hashes": [SOME_HASH]},
        {"size": 1, "hashes": SOME_HASH.hex()},
        {"size": -1, "hashes": []},
        {"size": "1", "hashes": [SOME_HASH.hex()]},
        {"size": True, "hashes": [SOME_HASH.hex()]},
        {"hashes": []},
        {"size": 0},
    ],
)
def test_a_stored_state_that_is_not_a_valid_compact_range_is_rejected(
    state: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match=r"size|hashes|subtree root"):
        MerkleAccumulator.from_state(state)


@pytest.mark.parametrize("leaf", [b"", b"x" * 31, b"x" * 33, "x" * 32, bytearray(32)])
def test_the_accumulator_only_takes_leaf_hashes(leaf: Any) -> None:
    accumulator = MerkleAccumulator()

    with pytest.raises(ValueError, match="leaf hash"):
        accumulator.append(leaf)
    assert accumulator.size == 0


def test_proofs_from_a_subtree_callable_match_those_from_the_leaf_list() -> None:
    calls: list[tuple[int, int]] = []

    def counting(start: int, end: int) -> bytes:
        calls.append((start, end))
        return REFERENCE.mth(start, end)

    source: Callable[[int, int], bytes] = counting

    assert inclusion_proof(5, 8, source) == inclusion_proof_from_leaves(5, 8, LEAF_HASHES)
    assert calls == inclusion_proof_ranges(5, 8)
