"""Checkpoints: a signed statement of the log's size and root, in a stable text form.

The text form can be published outside the system (a web page, a letter to the Ombudsman) and
checked later with nothing but this module, the Merkle module and the signers' public keys::

    council-ledger checkpoint v1
    origin Serbia NMRF
    size 1532
    root 3q2+7w...=
    log-position 1544
    time 2026-05-01T09:00:00+00:00

    — secretariat 0f1e2d3c 9dj3...==

The body is the lines before the blank line, each ending in a newline. Every signature line is
an em dash, the signer's name, the key id (8 hex digits of SHA-256 of the name and the raw
public key) and the base64 Ed25519 signature of the body. Other organisations co-sign by adding
their own line; no single party can then rewrite history unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "council-ledger checkpoint v1"
DASH = "\u2014"


class CheckpointError(ValueError):
    """The text is not a checkpoint in the documented form; the message says where."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    log_position: int
    time: datetime

    def body(self) -> str:
        if "\n" in self.origin or not self.origin.strip():
            raise CheckpointError("the origin is one non-empty line")
        return (
            f"{HEADER}\n"
            f"origin {self.origin}\n"
            f"size {self.size}\n"
            f"root {base64.b64encode(self.root).decode()}\n"
            f"log-position {self.log_position}\n"
            f"time {self.time.isoformat()}\n"
        )


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: str
    signature: bytes

    def line(self) -> str:
        return f"{DASH} {self.name} {self.key_id} {base64.b64encode(self.signature).decode()}"


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, key: Ed25519PublicKey) -> str:
    return hashlib.sha256(name.encode() + b"\n" + public_bytes(key)).hexdigest()[:8]


def sign(checkpoint: Checkpoint, name: str, key: Ed25519PrivateKey) -> Signature:
    if not name or any(ch.isspace() for ch in name):
        raise CheckpointError("a signer's name is one word without spaces")
    return Signature(name, key_id(name, key.public_key()), key.sign(checkpoint.body().encode()))


def text(checkpoint: Checkpoint, signatures: list[Signature]) -> str:
    return checkpoint.body() + "\n" + "".join(s.line() + "\n" for s in signatures)


def parse(note: str) -> tuple[Checkpoint, list[Signature]]:
    body, sep, rest = note.partition("\n\n")
    if not sep:
        raise CheckpointError("a checkpoint has a blank line between body and signatures")
    lines = body.split("\n")
    if len(lines) != 6 or lines[0] != HEADER:
        raise CheckpointError(f"the body is 6 lines starting with {HEADER!r}")
    fields: dict[str, str] = {}
    for line, name in zip(
        lines[1:], ("origin", "size", "root", "log-position", "time"), strict=True
    ):
        key, _, value = line.partition(" ")
        if key != name or not value:
            raise CheckpointError(f"expected the line {name!r}, found {line!r}")
        fields[name] = value
    try:
        checkpoint = Checkpoint(
            origin=fields["origin"],
            size=int(fields["size"]),
            root=base64.b64decode(fields["root"], validate=True),
            log_position=int(fields["log-position"]),
            time=datetime.fromisoformat(fields["time"]),
        )
    except ValueError as error:
        raise CheckpointError(f"a field of the checkpoint is malformed: {error}") from None
    if checkpoint.body() != body + "\n":
        raise CheckpointError("the body is not in its canonical form")
    signatures = []
    for line in rest.strip("\n").split("\n") if rest.strip() else []:
        parts = line.split(" ")
        if len(parts) != 4 or parts[0] != DASH:
            raise CheckpointError(f"a signature line is '{DASH} NAME KEYID SIGNATURE': {line!r}")
        try:
            raw = base64.b64decode(parts[3], validate=True)
        except ValueError:
            raise CheckpointError(f"the signature of {parts[1]} is not base64") from None
        signatures.append(Signature(parts[1], parts[2], raw))
    return checkpoint, signatures


def valid_signers(note: str, keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """The names whose signatures on the checkpoint verify with the given public keys."""
    checkpoint, signatures = parse(note)
    body = checkpoint.body().encode()
    good = []
    for signature in signatures:
        key = keys.get(signature.name)
        if key is None or key_id(signature.name, key) != signature.key_id:
            continue
        try:
            key.verify(signature.signature, body)
        except InvalidSignature:
            continue
        good.append(signature.name)
    return good


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError("the signing key must be an Ed25519 private key (PEM)")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("the public key must be an Ed25519 public key (PEM)")
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
