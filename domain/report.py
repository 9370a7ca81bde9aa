"""Reports: every generation of a PDF report is an event, and its versions are one aggregate's.

A report is one kind, with its parameters, in one language; its id is derived from those, so
generating it again adds a version (1, 2, 3 ...) to the same aggregate. A version is the report of
the record at one log position: asking again at a log position that already has a version gives
that version and records nothing.

The PDF itself is stored beside the log before the event is saved (see ``reports.storage``); the
event carries its SHA-256 and the digest of the input data it was rendered from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import rules
from domain.application import Council, Outcome, retried_on_conflict
from domain.errors import Invalid, NotFound
from domain.values import Actor

REPORTS_NAMESPACE = UUID("0b6f4a58-3c1e-5d8e-9a51-6c2d7f0e4b13")
_SHA256_HEX = frozenset("0123456789abcdef")


def report_id(kind: str, parameters: dict[str, str], language: str) -> UUID:
    """The id of a report: the same kind, parameters and language always give the same id."""
    canonical = json.dumps(
        {"kind": kind, "language": language, "parameters": parameters},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return uuid5(REPORTS_NAMESPACE, canonical)


@dataclass(frozen=True)
class ReportVersion:
    version: int
    log_position: int
    input_digest: str
    pdf_sha256: str
    actor_id: UUID
    at: datetime


class Report(Aggregate):
    class Registered(Aggregate.Created):
        actor_id: UUID
        kind: str
        parameters: dict[str, str]
        language: str

        def apply(self, aggregate: Report) -> None:
            aggregate.kind = self.kind
            aggregate.parameters = dict(self.parameters)
            aggregate.language = self.language

    class Generated(Aggregate.Event):
        actor_id: UUID
        kind: str
        parameters: dict[str, str]
        language: str
        version: int
        log_position: int
        input_digest: str
        pdf_sha256: str

        def apply(self, aggregate: Report) -> None:
            aggregate.versions.append(
                ReportVersion(
                    self.version,
                    self.log_position,
                    self.input_digest,
                    self.pdf_sha256,
                    self.actor_id,
                    self.timestamp,
                )
            )

    def __init__(self) -> None:
        self.kind = ""
        self.parameters: dict[str, str] = {}
        self.language = ""
        self.versions: list[ReportVersion] = []

    @classmethod
    def register(
        cls,
        *,
        kind: str,
        parameters: dict[str, str],
        language: str,
        actor_id: UUID,
        at: datetime,
    ) -> Report:
        return cls._create(
            cls.Registered,
            id=report_id(kind, parameters, language),
            actor_id=actor_id,
            kind=kind,
            parameters=dict(parameters),
            language=language,
            timestamp=at,
        )

    def version_at(self, log_position: int) -> ReportVersion | None:
        for version in self.versions:
            if version.log_position == log_position:
                return version
        return None

    def generated(
        self,
        *,
        log_position: int,
        input_digest: str,
        pdf_sha256: str,
        actor_id: UUID,
        at: datetime,
    ) -> tuple[ReportVersion, bool]:
        """Record a new version; at a log position that has one already, that one (False)."""
        existing = self.version_at(log_position)
        if existing is not None:
            return existing, False
        self.trigger_event(
            self.Generated,
            actor_id=actor_id,
            kind=self.kind,
            parameters=dict(self.parameters),
            language=self.language,
            version=len(self.versions) + 1,
            log_position=log_position,
            input_digest=input_digest,
            pdf_sha256=pdf_sha256,
            timestamp=at,
        )
        return self.versions[-1], True


def _check_digest(field: str, value: str) -> str:
    if len(value) != 64 or not set(value) <= _SHA256_HEX:
        raise Invalid(field, "must be a SHA-256 digest in lower-case hexadecimal")
    return value


@retried_on_conflict
def record_generation(
    council: Council,
    actor: Actor,
    *,
    kind: str,
    parameters: dict[str, str],
    language: str,
    log_position: int,
    input_digest: str,
    pdf_sha256: str,
) -> Outcome:
    """Record that ``actor`` generated a report of the record at ``log_position``.

    Returns the report's id, the version (as ``revision``) and the log position of the event;
    ``changed`` is False when that log position already had a version (nothing is recorded).
    """
    rules.require(rules.may_generate_report(actor), "this member may not generate reports")
    if not 0 < log_position <= council.log_position():
        raise Invalid("log_position", f"there is no event at log position {log_position}")
    _check_digest("input_digest", input_digest)
    _check_digest("pdf_sha256", pdf_sha256)
    now = council.clock()
    identity = report_id(kind, parameters, language)
    try:
        loaded: Aggregate = council.repository.get(identity)
    except AggregateNotFoundError:
        report = Report.register(
            kind=kind, parameters=parameters, language=language, actor_id=actor.member_id, at=now
        )
    else:
        if not isinstance(loaded, Report):
            raise NotFound(f"no report with id {identity}", kind="report", id=identity)
        report = loaded
    version, changed = report.generated(
        log_position=log_position,
        input_digest=input_digest,
        pdf_sha256=pdf_sha256,
        actor_id=actor.member_id,
        at=now,
    )
    if not changed:
        return Outcome(report.id, council.log_position(), version.version, changed=False)
    recordings = council.save(report)
    return Outcome(report.id, recordings[-1].notification.id, version.version)
