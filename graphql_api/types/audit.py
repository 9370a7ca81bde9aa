"""The audit log as published: signed checkpoints, proofs that an event is in one, and proofs
that a later tree only appended to an earlier one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from projections.queries.audit import CheckpointRow, ConsistencyProofRow, InclusionProofRow


@strawberry.type(description="One signature line of a checkpoint.")
class CheckpointSignature:
    name: str = strawberry.field(description="The signer, e.g. the secretariat or an observer.")
    key_id: str
    verified: bool = strawberry.field(
        description="The signature verifies with the key this council trusts for that name."
    )


@strawberry.type(
    description="A signed statement of the audit log's size and root (RFC 9162 Merkle tree)."
)
class AuditCheckpoint:
    origin: str
    tree_size: int = strawberry.field(description="How many events the tree holds.")
    root_hash: str = strawberry.field(description="The tree's root hash, hex.")
    log_position: int = strawberry.field(description="The last log position in the tree.")
    time: datetime = strawberry.field(description="When it was signed.")
    signatures: list[CheckpointSignature]
    text: str = strawberry.field(
        description="The checkpoint exactly as signed, to publish and to check offline."
    )

    @classmethod
    def from_row(cls, row: CheckpointRow) -> AuditCheckpoint:
        return cls(
            origin=row.origin,
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            log_position=row.log_position,
            time=row.time,
            signatures=[
                CheckpointSignature(name=s.name, key_id=s.key_id, verified=s.verified)
                for s in row.signatures
            ],
            text=row.text,
        )


@strawberry.type(
    description="That one event is in a checkpoint's tree: RFC 9162 inclusion proof, hex hashes."
)
class InclusionProof:
    log_position: int
    leaf_index: int
    leaf_hash: str
    tree_size: int
    root_hash: str
    audit_path: list[str] = strawberry.field(
        description="The sibling hashes from the leaf up to the root."
    )
    checkpoint: AuditCheckpoint = strawberry.field(description="The checkpoint it proves against.")

    @classmethod
    def from_row(cls, row: InclusionProofRow) -> InclusionProof:
        return cls(
            log_position=row.log_position,
            leaf_index=row.leaf_index,
            leaf_hash=row.leaf_hash,
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            audit_path=row.audit_path,
            checkpoint=AuditCheckpoint.from_row(row.checkpoint),
        )


@strawberry.type(
    description="That the later tree only appended to the earlier one: RFC 9162 consistency"
    " proof between two sizes of the audit log, hex hashes."
)
class ConsistencyProof:
    from_tree_size: int
    to_tree_size: int
    from_root_hash: str = strawberry.field(description="The earlier tree's root hash, hex.")
    to_root_hash: str = strawberry.field(description="The later tree's root hash, hex.")
    path: list[str] = strawberry.field(
        description="The consistency proof's hashes, in RFC 9162 order (empty for equal sizes)."
    )
    from_checkpoint: AuditCheckpoint | None = strawberry.field(
        description="The signed checkpoint of the earlier size, if one was signed at that size."
    )
    to_checkpoint: AuditCheckpoint | None = strawberry.field(
        description="The signed checkpoint of the later size, if one was signed at that size."
    )

    @classmethod
    def from_row(cls, row: ConsistencyProofRow) -> ConsistencyProof:
        return cls(
            from_tree_size=row.from_tree_size,
            to_tree_size=row.to_tree_size,
            from_root_hash=row.from_root_hash,
            to_root_hash=row.to_root_hash,
            path=row.path,
            from_checkpoint=(
                AuditCheckpoint.from_row(row.from_checkpoint) if row.from_checkpoint else None
            ),
            to_checkpoint=(
                AuditCheckpoint.from_row(row.to_checkpoint) if row.to_checkpoint else None
            ),
        )
