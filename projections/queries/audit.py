"""Checkpoints and inclusion proofs as the API shows them, read from the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.log import AuditLog


class NotCovered(LookupError):
    """No stored checkpoint includes the event asked about; the message says why."""


@dataclass(frozen=True, slots=True)
class SignatureRow:
    name: str
    key_id: str
    verified: bool


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    origin: str
    tree_size: int
    root_hash: str
    log_position: int
    time: datetime
    signatures: list[SignatureRow]
    text: str


@dataclass(frozen=True, slots=True)
class InclusionProofRow:
    log_position: int
    leaf_index: int
    leaf_hash: str
    tree_size: int
    root_hash: str
    audit_path: list[str]
    checkpoint: CheckpointRow


def checkpoint_row(log: AuditLog, note: str) -> CheckpointRow:
    """A stored checkpoint, with which of its signatures verify with the keys this log trusts."""
    checkpoint, signatures = notes.parse(note)
    verified = set(notes.valid_signers(note, service.trusted_keys(log)))
    return CheckpointRow(
        origin=checkpoint.origin,
        tree_size=checkpoint.size,
        root_hash=checkpoint.root.hex(),
        log_position=checkpoint.log_position,
        time=checkpoint.time,
        signatures=[SignatureRow(s.name, s.key_id, s.name in verified) for s in signatures],
        text=note,
    )


def latest_checkpoint(log: AuditLog) -> CheckpointRow | None:
    note = service.latest_checkpoint(log)
    return checkpoint_row(log, note) if note is not None else None


def inclusion_proof(
    log: AuditLog, log_position: int, tree_size: int | None = None
) -> InclusionProofRow:
    """The proof that the event at ``log_position`` is in a checkpoint: the one of
    ``tree_size``, or else the earliest that covers it (as `council audit prove` gives)."""
    if tree_size is None:
        note = service.checkpoint_covering(log, log_position)
        if note is None:
            raise NotCovered(f"no checkpoint covers log position {log_position} yet")
    else:
        note = service.latest_checkpoint(log, at_or_below=tree_size)
        if note is None or notes.parse(note)[0].size != tree_size:
            raise NotCovered(f"there is no checkpoint of tree size {tree_size}")
    checkpoint = checkpoint_row(log, note)
    if checkpoint.log_position < log_position:
        raise NotCovered(
            f"the checkpoint of tree size {checkpoint.tree_size} ends at log position"
            f" {checkpoint.log_position}, before {log_position}"
        )
    if log.leaf_at(log_position) is None:
        raise NotCovered(f"there is no event at log position {log_position}")
    proof = service.inclusion_proof(log, log_position, checkpoint.tree_size)
    return InclusionProofRow(
        log_position=proof.log_position,
        leaf_index=proof.leaf_index,
        leaf_hash=proof.leaf_hash.hex(),
        tree_size=proof.tree_size,
        root_hash=proof.root.hex(),
        audit_path=[node.hex() for node in proof.path],
        checkpoint=checkpoint,
    )
