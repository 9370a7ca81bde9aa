"""Checkpoints, inclusion and consistency proofs as the API shows them, read from the audit log."""

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


class BadTreeSize(ValueError):
    """A tree size asked for that no proof can have; ``field`` names the argument."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ConsistencyProofRow:
    from_tree_size: int
    to_tree_size: int
    from_root_hash: str
    to_root_hash: str
    path: list[str]
    from_checkpoint: CheckpointRow | None
    to_checkpoint: CheckpointRow | None


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


def consistency_proof(
    log: AuditLog, from_tree_size: int, to_tree_size: int | None = None
) -> ConsistencyProofRow:
    """The proof that the tree of ``to_tree_size`` events (by default the latest checkpoint's)
    extends the tree of ``from_tree_size`` unchanged, with the checkpoints of those sizes."""
    if from_tree_size < 1:
        raise BadTreeSize("from_tree_size", f"is 1 or more; it is {from_tree_size}")
    to_note = None
    if to_tree_size is None:
        to_note = service.latest_checkpoint(log)
        if to_note is None:
            raise NotCovered("no checkpoint has been signed yet")
        to_tree_size = notes.parse(to_note)[0].size
    elif to_tree_size < 1:
        raise BadTreeSize("to_tree_size", f"is 1 or more; it is {to_tree_size}")
    else:
        size = log.size()
        if to_tree_size > size:
            raise BadTreeSize(
                "to_tree_size", f"is at most the audit log's size, {size}; it is {to_tree_size}"
            )
        to_note = service.checkpoint_at(log, to_tree_size)
    if from_tree_size > to_tree_size:
        raise BadTreeSize(
            "from_tree_size",
            f"is at most the tree size proved to, {to_tree_size}; it is {from_tree_size}",
        )
    from_note = service.checkpoint_at(log, from_tree_size)
    proof = service.consistency_proof(log, from_tree_size, to_tree_size)
    return ConsistencyProofRow(
        from_tree_size=proof.old_size,
        to_tree_size=proof.new_size,
        from_root_hash=proof.old_root.hex(),
        to_root_hash=proof.new_root.hex(),
        path=[node.hex() for node in proof.path],
        from_checkpoint=checkpoint_row(log, from_note) if from_note is not None else None,
        to_checkpoint=checkpoint_row(log, to_note) if to_note is not None else None,
    )
