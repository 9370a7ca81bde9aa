"""`council audit ...`: checkpoints, verification, inclusion and consistency proofs, and the
offline proof verifier."""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain import merkle
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.keeper import CheckpointSchedule
from projections.audit.log import leaf_data
from projections.audit.verify import verify


def _named_keys(values: list[str]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--public-key {value!r}: write NAME=FILE.pem")
        keys[name] = notes.load_public_key(Path(path).read_bytes())
    return keys


def positive_seconds(text: str) -> float:
    """An interval in seconds, for `council project --checkpoint-every`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds greater than 0")
    return value


def checkpoint_schedule(runtime: Runtime, every_seconds: float) -> CheckpointSchedule:
    """Checkpoints signed by `council project` as `council audit checkpoint` signs them."""
    settings = runtime.settings
    if not settings.embedded and settings.audit_key_file is None:
        raise ValueError(
            "scheduled checkpoints on PostgreSQL need COUNCIL_AUDIT_KEY_FILE: every"
            " `council project` process must sign with the same key"
        )
    return CheckpointSchedule(
        every=timedelta(seconds=every_seconds),
        origin=settings.origin,
        signer=settings.audit_signer,
        key=runtime.audit_signing_key(),
    )


def cmd_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        key = runtime.audit_signing_key()
        now = datetime.now(UTC)
        service.add_trusted_key(runtime.audit, settings.audit_signer, key.public_key(), now)
        note = service.make_checkpoint(
            runtime.audit, origin=settings.origin, signer=settings.audit_signer, key=key, now=now
        )
    finally:
        runtime.close()
    print(note, end="")
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        if args.catch_up:
            runtime.audit.catch_up()
        keys = service.trusted_keys(runtime.audit) | _named_keys(args.public_key)
        report = verify(runtime.audit, runtime.council.recorder, keys)
    finally:
        runtime.close()
    print(
        f"checked {report.events_checked} events and {report.checkpoints_checked} checkpoints;"
        f" {report.unaudited_events} events not yet in the audit log"
    )
    if report.ok:
        print("the log verifies: nothing was altered, removed, reordered or inserted")
        return 0
    for problem in report.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"first bad log position: {report.first_bad_position}", file=sys.stderr)
    return 1


def cmd_prove(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        note = service.checkpoint_covering(runtime.audit, args.log_position)
        if note is None:
            raise ValueError(
                f"no checkpoint covers log position {args.log_position} yet:"
                " run `council audit checkpoint` first"
            )
        checkpoint, _ = notes.parse(note)
        proof = service.inclusion_proof(runtime.audit, args.log_position, checkpoint.size)
        (stored,) = runtime.council.recorder.select_notifications(start=args.log_position, limit=1)
    finally:
        runtime.close()
    bundle = {
        "kind": "inclusion",
        "log_position": proof.log_position,
        "leaf_index": proof.leaf_index,
        "leaf_data": base64.b64encode(leaf_data(stored)).decode(),
        "tree_size": proof.tree_size,
        "path": [p.hex() for p in proof.path],
        "checkpoint": note,
    }
    print(json.dumps(bundle, indent=2))
    return 0


def cmd_prove_consistency(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        new_size = args.to_size
        if new_size is None:
            latest = service.latest_checkpoint(runtime.audit)
            if latest is None:
                raise ValueError("no checkpoint yet: run `council audit checkpoint` first")
            new_size = notes.parse(latest)[0].size
        checkpoints = []
        for option, size in (("--from", args.from_size), ("--to", new_size)):
            note = service.checkpoint_at(runtime.audit, size)
            if note is None:
                raise ValueError(
                    f"{option} {size}: there is no checkpoint of tree size {size};"
                    " a bundle proves one signed checkpoint against another"
                )
            checkpoints.append(note)
        if args.from_size > new_size:
            raise ValueError(f"--from {args.from_size} is larger than --to {new_size}")
        proof = service.consistency_proof(runtime.audit, args.from_size, new_size)
    finally:
        runtime.close()
    bundle = {
        "kind": "consistency",
        "from_tree_size": proof.old_size,
        "to_tree_size": proof.new_size,
        "from_root": proof.old_root.hex(),
        "to_root": proof.new_root.hex(),
        "path": [p.hex() for p in proof.path],
        "from_checkpoint": checkpoints[0],
        "to_checkpoint": checkpoints[1],
    }
    print(json.dumps(bundle, indent=2))
    return 0


def _field(bundle: dict[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"the bundle's {name!r} is missing or not a {kind.__name__}")
    return value


def _hashes(bundle: dict[str, Any], name: str) -> list[bytes]:
    values = _field(bundle, name, list)
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"the bundle's {name!r} is not a list of hex hashes") from None


def check_bundle(bundle: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """Offline: the problems with a proof bundle of either kind (none means it verifies).

    Raises ``ValueError`` when the text is not a bundle at all."""
    if not isinstance(bundle, dict):
        raise ValueError("the bundle is not a JSON object")
    kind = bundle.get("kind", "inclusion")
    if kind == "inclusion":
        return check_inclusion_bundle(bundle, keys)
    if kind == "consistency":
        return check_consistency_bundle(bundle, keys)
    raise ValueError(f"unknown kind of proof bundle {kind!r}: 'inclusion' or 'consistency'")


def check_consistency_bundle(
    bundle: dict[str, Any], keys: dict[str, Ed25519PublicKey]
) -> list[str]:
    """Offline: both checkpoints are signed with the given keys, and the later tree only
    appended to the earlier one (RFC 9162 consistency proof between their roots)."""
    problems = []
    parsed = []
    for end in ("from", "to"):
        note = _field(bundle, f"{end}_checkpoint", str)
        try:
            checkpoint, _ = notes.parse(note)
        except notes.CheckpointError as error:
            problems.append(f"the {end!r} checkpoint is malformed: {error}")
            continue
        parsed.append(checkpoint)
        if not notes.valid_signers(note, keys):
            problems.append(
                f"the {end!r} checkpoint (tree size {checkpoint.size}) carries no valid"
                " signature from the given keys"
            )
        if checkpoint.size != _field(bundle, f"{end}_tree_size", int):
            problems.append(
                f"{end}_tree_size {bundle[f'{end}_tree_size']} is not the {end!r} checkpoint's"
                f" tree size {checkpoint.size}"
            )
        if checkpoint.root.hex() != _field(bundle, f"{end}_root", str).lower():
            problems.append(f"{end}_root is not the {end!r} checkpoint's root")
    path = _hashes(bundle, "path")
    if len(parsed) < 2:
        return problems
    old, new = parsed
    if old.origin != new.origin:
        problems.append(f"the checkpoints are of two logs: {old.origin!r} and {new.origin!r}")
    if old.size > new.size or old.log_position > new.log_position:
        problems.append("the 'from' checkpoint is not the earlier of the two")
    elif not merkle.verify_consistency(old.size, new.size, old.root, new.root, path):
        problems.append(
            f"the tree of size {new.size} is not an extension of the tree of size {old.size}:"
            " the consistency proof does not hold between the two checkpoints' roots"
        )
    return problems


def check_inclusion_bundle(bundle: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """Offline: the problems with an inclusion-proof bundle (none means it verifies)."""
    problems = []
    checkpoint, _ = notes.parse(bundle["checkpoint"])
    signers = notes.valid_signers(bundle["checkpoint"], keys)
    if not signers:
        problems.append("the checkpoint carries no valid signature from the given keys")
    if checkpoint.size != bundle["tree_size"]:
        problems.append("the proof is for another tree size than the checkpoint's")
    leaf = merkle.leaf_hash(base64.b64decode(bundle["leaf_data"]))
    path = [bytes.fromhex(p) for p in bundle["path"]]
    if not merkle.verify_inclusion(
        leaf, bundle["leaf_index"], checkpoint.size, path, checkpoint.root
    ):
        problems.append("the event is not included in the checkpointed tree")
    return problems


def cmd_verify_proof(settings: Settings | None, args: argparse.Namespace) -> int:
    try:
        bundle = json.loads(Path(args.bundle).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{args.bundle} is not a JSON proof bundle: {error}") from None
    problems = check_bundle(bundle, _named_keys(args.public_key))
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    if bundle.get("kind") == "consistency":
        print(
            f"the log at tree size {bundle['to_tree_size']} extends the log at tree size"
            f" {bundle['from_tree_size']}: the first {bundle['from_tree_size']} events are"
            " unchanged, and both checkpoints are signed"
        )
    else:
        print(
            f"log position {bundle['log_position']} is in the log at tree size"
            f" {bundle['tree_size']}"
        )
    return 0


def cmd_cosign(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        key = notes.load_private_key(Path(args.key).read_bytes())
        note = service.cosign(runtime.audit, args.tree_size, args.name, key)
        service.add_trusted_key(runtime.audit, args.name, key.public_key(), datetime.now(UTC))
    finally:
        runtime.close()
    print(note, end="")
    return 0


def cmd_public_key(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        key = runtime.audit_signing_key()
    finally:
        runtime.close()
    print(notes.public_pem(key.public_key()).decode(), end="")
    return 0


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the verifiable log").add_subparsers(
        dest="audit", required=True
    )
    audit.add_parser("checkpoint", help="sign and store a checkpoint of the log").set_defaults(
        func=cmd_checkpoint
    )
    check = audit.add_parser("verify", help="recompute the whole log and check every checkpoint")
    check.add_argument("--public-key", action="append", default=[], metavar="NAME=FILE.pem")
    check.add_argument("--no-catch-up", dest="catch_up", action="store_false")
    check.set_defaults(func=cmd_verify)
    prove = audit.add_parser("prove", help="print an inclusion-proof bundle (JSON) for an event")
    prove.add_argument("--log-position", type=int, required=True)
    prove.set_defaults(func=cmd_prove)
    consistency = audit.add_parser(
        "prove-consistency",
        help="print a consistency-proof bundle (JSON) between two signed checkpoints",
    )
    consistency.add_argument("--from", dest="from_size", type=int, required=True, metavar="N")
    consistency.add_argument(
        "--to", dest="to_size", type=int, metavar="M", help="default: the latest checkpoint's size"
    )
    consistency.set_defaults(func=cmd_prove_consistency)
    offline = audit.add_parser(
        "verify-proof",
        help="check a proof bundle (inclusion or consistency) offline, without a database",
    )
    offline.add_argument("bundle")
    offline.add_argument("--public-key", action="append", required=True, metavar="NAME=FILE.pem")
    offline.set_defaults(func=cmd_verify_proof, offline=True)
    cosign = audit.add_parser("cosign", help="add your organisation's signature to a checkpoint")
    cosign.add_argument("--tree-size", type=int, required=True)
    cosign.add_argument("--name", required=True)
    cosign.add_argument("--key", required=True, help="your Ed25519 private key (PEM)")
    cosign.set_defaults(func=cmd_cosign)
    audit.add_parser("public-key", help="print the council's checkpoint public key").set_defaults(
        func=cmd_public_key
    )
