"""The audit log: the latest signed checkpoint for everyone, inclusion and consistency proofs for
auditors and the secretariat."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from graphql_api.context import Info
from graphql_api.errors import ClientError, camel, invalid_argument, not_allowed
from graphql_api.types import described
from graphql_api.types.audit import AuditCheckpoint, ConsistencyProof, InclusionProof
from projections.queries import audit as queries


@strawberry.type
class AuditQuery:
    @described.field(
        "The latest signed checkpoint of the audit log (null before the first); checkpoints are"
        " meant to be published, so everyone may read them."
    )
    async def audit_checkpoint(self, info: Info) -> AuditCheckpoint | None:
        row = await run_in_threadpool(
            queries.latest_checkpoint, info.context.services.runtime.audit
        )
        return AuditCheckpoint.from_row(row) if row is not None else None

    @described.field(
        "Auditors and the secretariat: the proof that the event at a log position is in a signed"
        " checkpoint: the one of `treeSize`, or else the earliest that covers it. A NOT_FOUND"
        " error while no checkpoint covers it."
    )
    async def inclusion_proof(
        self, info: Info, log_position: int, tree_size: int | None = None
    ) -> InclusionProof | None:
        if not info.context.viewer.reads_inclusion_proofs():
            raise not_allowed("only auditors and the secretariat read inclusion proofs")
        if log_position < 1:
            raise invalid_argument("logPosition", f"is 1 or more; it is {log_position}")
        if tree_size is not None and tree_size < 1:
            raise invalid_argument("treeSize", f"is 1 or more; it is {tree_size}")
        audit = info.context.services.runtime.audit
        try:
            row = await run_in_threadpool(queries.inclusion_proof, audit, log_position, tree_size)
        except queries.NotCovered as error:
            raise ClientError(str(error), code="NOT_FOUND") from None
        return InclusionProof.from_row(row)

    @described.field(
        "Auditors and the secretariat: the proof that the audit log of `toTreeSize` events (by"
        " default the latest checkpoint's size) only appended to the log of `fromTreeSize` events,"
        " nothing earlier changed, with the checkpoints signed at those sizes. A NOT_FOUND error"
        " without `toTreeSize` while no checkpoint has been signed."
    )
    async def consistency_proof(
        self, info: Info, from_tree_size: int, to_tree_size: int | None = None
    ) -> ConsistencyProof | None:
        if not info.context.viewer.reads_audit_proofs():
            raise not_allowed("only auditors and the secretariat read consistency proofs")
        audit = info.context.services.runtime.audit
        try:
            row = await run_in_threadpool(
                queries.consistency_proof, audit, from_tree_size, to_tree_size
            )
        except queries.BadTreeSize as error:
            raise invalid_argument(camel(error.field), error.reason) from None
        except queries.NotCovered as error:
            raise ClientError(str(error), code="NOT_FOUND") from None
        return ConsistencyProof.from_row(row)
