"""Consistency proofs on the command line: a bundle between two signed checkpoints, checked
offline with nothing but the signers' public keys; any tampering with it is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import merkle
from graphql_api.audit_cli import check_bundle
from graphql_api.runtime import Runtime
from projections.audit import checkpoint as notes
from projections.audit import service
from tests.scenario import build_world, play_round

COUNCIL = str(Path(sys.executable).parent / "council")
OFFLINE = {"PATH": "/usr/bin:/bin", "COUNCIL_DATABASE_URL": "sqlite:////nonexistent/x.db"}


def _env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "audit-key.pem"
    if not key_file.exists():
        key_file.write_bytes(notes.private_pem(Ed25519PrivateKey.generate()))
        key_file.chmod(0o600)
    return {
        "PATH": "/usr/bin:/bin",
        "COUNCIL_DATABASE_URL": runtime.settings.database_url,
        "COUNCIL_SCHEMA": runtime.settings.schema,
        "COUNCIL_AUDIT_KEY_FILE": str(key_file),
        "COUNCIL_ORIGIN": "Serbia NMRF (test)",
    }


def _council(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COUNCIL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(env: dict[str, str], *args: str) -> str:
    done = _council(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _flip(node: str) -> str:
    return node[:-1] + ("1" if node[-1] == "0" else "0")


@pytest.fixture
def bundle(runtime: Runtime, tmp_path: Path) -> tuple[dict[str, Any], bytes]:
    """A consistency bundle from the first checkpoint to the latest, and the council's key."""
    env = _env(runtime, tmp_path)
    world = build_world(runtime.council)
    first = notes.parse(_ok(env, "audit", "checkpoint"))[0]
    play_round(world)
    second = notes.parse(_ok(env, "audit", "checkpoint"))[0]
    assert first.size < second.size == runtime.council.log_position()
    text = _ok(env, "audit", "prove-consistency", "--from", str(first.size))
    assert text == _ok(
        env, "audit", "prove-consistency", "--from", str(first.size), "--to", str(second.size)
    )
    return json.loads(text), _ok(env, "audit", "public-key").encode()


def test_a_consistency_bundle_verifies_offline_with_the_public_key_alone(
    runtime: Runtime, tmp_path: Path, bundle: tuple[dict[str, Any], bytes]
) -> None:
    proof, pem = bundle
    first, _ = notes.parse(proof["from_checkpoint"])
    second, _ = notes.parse(proof["to_checkpoint"])
    assert proof["kind"] == "consistency"
    assert (proof["from_tree_size"], proof["to_tree_size"]) == (first.size, second.size)
    assert (proof["from_root"], proof["to_root"]) == (first.root.hex(), second.root.hex())
    stored = service.consistency_proof(runtime.audit, first.size, second.size)
    assert proof["path"] == [node.hex() for node in stored.path]
    assert proof["path"]
    (tmp_path / "council.pem").write_bytes(pem)
    (tmp_path / "consistency.json").write_text(json.dumps(proof))
    key = f"secretariat={tmp_path / 'council.pem'}"
    done = _council(
        OFFLINE, "audit", "verify-proof", str(tmp_path / "consistency.json"), "--public-key", key
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"the log at tree size {second.size} extends the log at tree size {first.size}: the first"
        f" {first.size} events are unchanged, and both checkpoints are signed\n"
    )

    # one hash of the path changed: refused on the command line, with the reason
    tampered = dict(proof, path=[_flip(proof["path"][0]), *proof["path"][1:]])
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    done = _council(
        OFFLINE, "audit", "verify-proof", str(tmp_path / "tampered.json"), "--public-key", key
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"FAILED: the tree of size {second.size} is not an extension of the tree of size"
        f" {first.size}: the consistency proof does not hold between the two checkpoints' roots\n"
    )

    # not a bundle at all: a message, not a traceback
    (tmp_path / "broken.json").write_text(json.dumps({"kind": "consistency"}))
    done = _council(
        OFFLINE, "audit", "verify-proof", str(tmp_path / "broken.json"), "--public-key", key
    )
    assert done.returncode == 1
    assert done.stderr == "council: the bundle's 'from_checkpoint' is missing or not a str\n"


def test_any_tampering_with_a_consistency_bundle_is_refused(
    bundle: tuple[dict[str, Any], bytes],
) -> None:
    proof, pem = bundle
    keys = {"secretariat": notes.load_public_key(pem)}
    assert check_bundle(proof, keys) == []
    old, _ = notes.parse(proof["from_checkpoint"])
    new, _ = notes.parse(proof["to_checkpoint"])
    not_consistent = (
        f"the tree of size {new.size} is not an extension of the tree of size {old.size}:"
        " the consistency proof does not hold between the two checkpoints' roots"
    )
    for at in range(len(proof["path"])):  # each hash of the path
        path = [*proof["path"][:at], _flip(proof["path"][at]), *proof["path"][at + 1 :]]
        assert check_bundle(dict(proof, path=path), keys) == [not_consistent], at
    assert check_bundle(dict(proof, path=proof["path"][:-1]), keys) == [not_consistent]
    assert check_bundle(dict(proof, path=[*proof["path"], proof["path"][0]]), keys) == [
        not_consistent
    ]

    # a size or a root of the bundle changed: it no longer says what the checkpoints say
    assert check_bundle(dict(proof, to_tree_size=new.size + 1), keys) == [
        f"to_tree_size {new.size + 1} is not the 'to' checkpoint's tree size {new.size}"
    ]
    assert check_bundle(dict(proof, from_tree_size=old.size - 1), keys) == [
        f"from_tree_size {old.size - 1} is not the 'from' checkpoint's tree size {old.size}"
    ]
    assert check_bundle(dict(proof, from_root=_flip(proof["from_root"])), keys) == [
        "from_root is not the 'from' checkpoint's root"
    ]

    # a checkpoint's size or root edited: its signature no longer holds
    grown = proof["to_checkpoint"].replace(f"size {new.size}\n", f"size {new.size + 1}\n")
    problems = check_bundle(dict(proof, to_checkpoint=grown, to_tree_size=new.size + 1), keys)
    assert problems[0] == (
        f"the 'to' checkpoint (tree size {new.size + 1}) carries no valid signature from the"
        " given keys"
    )
    other_root = notes.Checkpoint(old.origin, old.size, bytes(32), old.log_position, old.time)
    rerooted = proof["from_checkpoint"].replace(old.body(), other_root.body())
    problems = check_bundle(dict(proof, from_checkpoint=rerooted, from_root="00" * 32), keys)
    assert problems == [
        f"the 'from' checkpoint (tree size {old.size}) carries no valid signature from the given"
        " keys",
        not_consistent,
    ]

    # the checkpoints swapped: the later one is not the earlier
    swapped = dict(
        proof,
        from_checkpoint=proof["to_checkpoint"],
        to_checkpoint=proof["from_checkpoint"],
        from_tree_size=new.size,
        to_tree_size=old.size,
        from_root=proof["to_root"],
        to_root=proof["from_root"],
    )
    assert check_bundle(swapped, keys) == ["the 'from' checkpoint is not the earlier of the two"]

    # a forged history, consistent in itself, signed with another key under the council's name
    forger = Ed25519PrivateKey.generate()
    leaves = [merkle.leaf_hash(f"forged {n}".encode()) for n in range(new.size)]
    forged: dict[str, Any] = {"kind": "consistency", "path": []}
    for end, real in (("from", old), ("to", new)):
        fake = notes.Checkpoint(
            real.origin,
            real.size,
            merkle.root_hash(leaves[: real.size]),
            real.log_position,
            real.time,
        )
        forged[f"{end}_checkpoint"] = notes.text(fake, [notes.sign(fake, "secretariat", forger)])
        forged[f"{end}_tree_size"] = fake.size
        forged[f"{end}_root"] = fake.root.hex()
    path = merkle.consistency_proof_from_leaves(old.size, new.size, leaves)
    forged["path"] = [node.hex() for node in path]
    assert check_bundle(forged, {"secretariat": forger.public_key()}) == []
    assert check_bundle(forged, keys) == [
        f"the 'from' checkpoint (tree size {old.size}) carries no valid signature from the given"
        " keys",
        f"the 'to' checkpoint (tree size {new.size}) carries no valid signature from the given"
        " keys",
    ]

    # a checkpoint of another log
    elsewhere = notes.Checkpoint("Another council", new.size, new.root, new.log_position, new.time)
    foreign = notes.text(elsewhere, [notes.sign(elsewhere, "secretariat", forger)])
    keys_of_both = {"secretariat": forger.public_key()}
    problems = check_bundle(dict(proof, to_checkpoint=foreign), keys_of_both)
    assert "the checkpoints are of two logs: 'Serbia NMRF (test)' and 'Another council'" in problems

    # a checkpoint that is not one
    problems = check_bundle(dict(proof, from_checkpoint="not a checkpoint"), keys)
    assert problems == [
        "the 'from' checkpoint is malformed: a checkpoint has a blank line between body and"
        " signatures"
    ]


def test_a_bundle_needs_both_checkpoints_and_sizes_in_order(
    runtime: Runtime, tmp_path: Path
) -> None:
    env = _env(runtime, tmp_path)
    done = _council(env, "audit", "prove-consistency", "--from", "1")
    assert done.returncode == 1
    assert done.stderr == "council: no checkpoint yet: run `council audit checkpoint` first\n"
    build_world(runtime.council)
    size = notes.parse(_ok(env, "audit", "checkpoint"))[0].size
    done = _council(env, "audit", "prove-consistency", "--from", "2")
    assert done.returncode == 1
    assert done.stderr == (
        "council: --from 2: there is no checkpoint of tree size 2; a bundle proves one signed"
        " checkpoint against another\n"
    )
    same = json.loads(_ok(env, "audit", "prove-consistency", "--from", str(size)))
    assert same["path"] == []
    assert same["from_checkpoint"] == same["to_checkpoint"]
    pem = _ok(env, "audit", "public-key").encode()
    assert check_bundle(same, {"secretariat": notes.load_public_key(pem)}) == []
