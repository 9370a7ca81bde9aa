"""`council audit ...`: checkpoints, verification, proofs and the offline proof verifier."""

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


def check_bundle(bundle: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> list[str]:
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
    bundle = json.loads(Path(args.bundle).read_text())
    problems = check_bundle(bundle, _named_keys(args.public_key))
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1
    print(f"log position {bundle['log_position']} is in the log at tree size {bundle['tree_size']}")
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
    offline = audit.add_parser(
        "verify-proof", help="check a proof bundle offline, without a database"
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
