"""Checkpoints made and stored, proofs given, keys kept: what `council audit` and the API call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.merkle import consistency_proof_ranges, inclusion_proof_ranges
from projections.audit import checkpoint as notes
from projections.audit.log import AuditLog


@dataclass(frozen=True)
class InclusionProof:
    log_position: int
    leaf_index: int
    leaf_hash: bytes
    tree_size: int
    root: bytes
    path: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]


def make_checkpoint(
    log: AuditLog, *, origin: str, signer: str, key: Ed25519PrivateKey, now: datetime
) -> str:
    """Bring the tree up to date, sign its head and store the checkpoint; returns its text."""
    log.catch_up()
    size, log_position, root = log.head()
    checkpoint = notes.Checkpoint(origin, size, root, log_position, now)
    note = notes.text(checkpoint, [notes.sign(checkpoint, signer, key)])
    with log.database.transaction() as cur:
        cur.execute(
            "INSERT INTO audit_checkpoints (tree_size, log_position, root_hash, issued_at, note)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
            (size, log_position, root.hex(), now.isoformat(), note),
        )
        cur.execute("SELECT note FROM audit_checkpoints WHERE tree_size = ?", (size,))
        stored: str = cur.fetchone()[0]
    return stored


def latest_checkpoint_head(log: AuditLog) -> tuple[int, datetime] | None:
    """The tree size and signing time of the latest stored checkpoint (None before the first)."""
    with log.database.transaction(snapshot=True) as cur:
        cur.execute(
            "SELECT tree_size, issued_at FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1"
        )
        row = cur.fetchone()
    return (int(row[0]), datetime.fromisoformat(str(row[1]))) if row else None


def latest_checkpoint(log: AuditLog, *, at_or_below: int | None = None) -> str | None:
    with log.database.transaction(snapshot=True) as cur:
        if at_or_below is None:
            cur.execute("SELECT note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1")
        else:
            cur.execute(
                "SELECT note FROM audit_checkpoints WHERE tree_size <= ?"
                " ORDER BY tree_size DESC LIMIT 1",
                (at_or_below,),
            )
        row = cur.fetchone()
    return str(row[0]) if row else None


def checkpoint_at(log: AuditLog, tree_size: int) -> str | None:
    """The stored checkpoint of exactly ``tree_size`` events (None when there is none)."""
    with log.database.transaction(snapshot=True) as cur:
        cur.execute("SELECT note FROM audit_checkpoints WHERE tree_size = ?", (tree_size,))
        row = cur.fetchone()
    return str(row[0]) if row else None


def checkpoint_covering(log: AuditLog, log_position: int) -> str | None:
    """The earliest checkpoint whose tree includes the event at ``log_position``."""
    with log.database.transaction(snapshot=True) as cur:
        cur.execute(
            "SELECT note FROM audit_checkpoints WHERE log_position >= ? ORDER BY tree_size LIMIT 1",
            (log_position,),
        )
        row = cur.fetchone()
    return str(row[0]) if row else None


def cosign(log: AuditLog, tree_size: int, signer: str, key: Ed25519PrivateKey) -> str:
    """Add another organisation's signature to a stored checkpoint."""
    with log.database.transaction() as cur:
        cur.execute("SELECT note FROM audit_checkpoints WHERE tree_size = ?", (tree_size,))
        row = cur.fetchone()
        if row is None:
            raise notes.CheckpointError(f"there is no checkpoint at tree size {tree_size}")
        checkpoint, signatures = notes.parse(str(row[0]))
        signatures = [s for s in signatures if s.name != signer]
        signatures.append(notes.sign(checkpoint, signer, key))
        note = notes.text(checkpoint, signatures)
        cur.execute("UPDATE audit_checkpoints SET note = ? WHERE tree_size = ?", (note, tree_size))
    return note


def inclusion_proof(log: AuditLog, log_position: int, tree_size: int) -> InclusionProof:
    leaf = log.leaf_at(log_position)
    if leaf is None:
        raise ValueError(f"log position {log_position} is not (yet) in the audit log")
    if not leaf.index < tree_size <= log.size():
        raise ValueError(f"tree size {tree_size} does not include log position {log_position}")
    ranges = inclusion_proof_ranges(leaf.index, tree_size)
    roots = log.subtree_roots([*ranges, (0, tree_size)])
    return InclusionProof(
        log_position,
        leaf.index,
        leaf.hash,
        tree_size,
        roots[(0, tree_size)],
        [roots[r] for r in ranges],
    )


def consistency_proof(log: AuditLog, old_size: int, new_size: int) -> ConsistencyProof:
    if not 0 < old_size <= new_size <= log.size():
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    ranges = consistency_proof_ranges(old_size, new_size)
    roots = log.subtree_roots([*ranges, (0, old_size), (0, new_size)])
    return ConsistencyProof(
        old_size,
        new_size,
        roots[(0, old_size)],
        roots[(0, new_size)],
        [roots[r] for r in ranges],
    )


def add_trusted_key(log: AuditLog, name: str, key: Ed25519PublicKey, now: datetime) -> None:
    """Trust ``name``'s key for checkpoint signatures (a key already trusted is kept)."""
    with log.database.transaction() as cur:
        cur.execute(
            "INSERT INTO audit_trusted_keys (name, public_key, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, notes.public_pem(key).decode(), now.isoformat()),
        )


def trusted_keys(log: AuditLog) -> dict[str, Ed25519PublicKey]:
    with log.database.transaction(snapshot=True) as cur:
        cur.execute("SELECT name, public_key FROM audit_trusted_keys")
        rows = cur.fetchall()
    return {str(name): notes.load_public_key(str(pem).encode()) for name, pem in rows}
