"""Verification: recompute the tree from the raw stored events and check every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder

from domain.merkle import MerkleAccumulator
from projections.audit import checkpoint as notes
from projections.audit.log import AuditLog, event_leaf_hash

PAGE = 2000


@dataclass
class VerifyReport:
    events_checked: int = 0
    checkpoints_checked: int = 0
    first_bad_position: int | None = None
    problems: list[str] = field(default_factory=list)
    unaudited_events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, position: int | None, message: str) -> None:
        if position is not None and (
            self.first_bad_position is None or position < self.first_bad_position
        ):
            self.first_bad_position = position
        self.problems.append(message)


def verify(
    log: AuditLog,
    recorder: ApplicationRecorder,
    trusted_keys: dict[str, Ed25519PublicKey],
) -> VerifyReport:
    """Recompute every leaf from the events as stored and compare with the recorded tree."""
    report = VerifyReport()
    checkpoints = _checkpoints(log)
    accumulator = MerkleAccumulator()
    recorded = log.leaves()
    position = 0
    while True:
        page = recorder.select_notifications(start=position, limit=PAGE, inclusive_of_start=False)
        for notification in page:
            leaf = next(recorded, None)
            if leaf is None:
                report.unaudited_events += 1
                continue
            hashed = event_leaf_hash(notification)
            if leaf.log_position != notification.id:
                report.fail(
                    min(leaf.log_position, notification.id),
                    f"the event at log position {min(leaf.log_position, notification.id)} is"
                    " missing, moved or inserted (the log and the tree disagree from there)",
                )
                return _finish(report, checkpoints, accumulator, trusted_keys, stopped=True)
            if leaf.hash != hashed:
                report.fail(
                    notification.id,
                    f"the event at log position {notification.id} was altered after it was"
                    " recorded in the tree",
                )
                return _finish(report, checkpoints, accumulator, trusted_keys, stopped=True)
            accumulator.append(hashed)
            report.events_checked += 1
            _check_checkpoint(report, checkpoints, accumulator, trusted_keys)
        if len(page) < PAGE:
            break
        position = page[-1].id
    leftover = next(recorded, None)
    if leftover is not None:
        report.fail(
            leftover.log_position,
            f"the event at log position {leftover.log_position} is in the tree but no longer in"
            " the log (deleted)",
        )
    return _finish(report, checkpoints, accumulator, trusted_keys, stopped=False)


def _checkpoints(log: AuditLog) -> dict[int, tuple[int, str]]:
    with log.database.transaction(snapshot=True) as cur:
        cur.execute("SELECT tree_size, log_position, note FROM audit_checkpoints")
        return {int(size): (int(pos), str(note)) for size, pos, note in cur.fetchall()}


def _check_checkpoint(
    report: VerifyReport,
    checkpoints: dict[int, tuple[int, str]],
    accumulator: MerkleAccumulator,
    trusted_keys: dict[str, Ed25519PublicKey],
) -> None:
    entry = checkpoints.pop(accumulator.size, None)
    if entry is None:
        return
    log_position, note = entry
    report.checkpoints_checked += 1
    try:
        checkpoint, _ = notes.parse(note)
    except notes.CheckpointError as error:
        report.fail(
            log_position, f"the checkpoint at size {accumulator.size} is malformed: {error}"
        )
        return
    if checkpoint.root != accumulator.root():
        report.fail(
            log_position,
            f"the checkpoint at size {accumulator.size} does not match the recomputed root",
        )
    if not notes.valid_signers(note, trusted_keys):
        report.fail(
            log_position,
            f"the checkpoint at size {accumulator.size} carries no valid trusted signature",
        )


def _finish(
    report: VerifyReport,
    checkpoints: dict[int, tuple[int, str]],
    accumulator: MerkleAccumulator,
    trusted_keys: dict[str, Ed25519PublicKey],
    *,
    stopped: bool,
) -> VerifyReport:
    if not stopped:
        for size, (position, _) in sorted(checkpoints.items()):
            report.fail(
                position, f"the checkpoint at size {size} covers events the log no longer holds"
            )
    return report
