"""Generating a report, and everything the API and the command line ask about reports.

A report is made of the record at one log position P: the read models as they stood once the
event at P was applied, and nothing after it. P is the last event of the record at or below the
log position asked for (the head of the log when none is given); report generations themselves
are not part of what a report shows, so they never move P.

Reading the record at P:

* When the live read models stand at P (the usual case: a report of the present, or of a moment
  after which only reports were generated), they are read directly, every read in one snapshot
  transaction, and only if every read model a report reads has applied exactly the same events.
* Otherwise the read models a report reads are projected again from the log up to P into scratch
  space (``reports.as_of``), read there, and dropped. That costs a replay of the log up to P;
  append-only filtering by log position was not chosen because the rows of assessments, joint
  positions and recommendations are updated in place and would show a later state.

The document of a report is ``{"format", "report", "record", "data"}``: what was asked, where in
the log (with the audit tree there) and the data read. Its canonical JSON is embedded in the PDF;
its SHA-256 is the version's input digest. A version at the same P is served from storage; a
request for the present whose data equal the latest version's data is served that version too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain import rules
from domain.application import Council
from domain.errors import Invalid, NotFound
from domain.report import record_generation
from domain.values import Actor
from projections.audit.log import AuditLog
from projections.db import Database
from projections.queries.directory import round_recommendation_ids
from projections.queries.history import HistoryRow, subjects_by_ids
from projections.queries.reports import (
    ReportRow,
    ReportVersionRow,
    Subjects,
    audit_tree_size_at,
    history_about,
    last_recorded_position,
    latest_report_version,
    list_reports,
    recorded_between,
    report_version_at,
    report_versions,
    reports_by_ids,
    tracking_positions,
)
from projections.queries.store import ReadStore
from reports import access, storage
from reports.as_of import READ_MODEL_NAMES, rebuilt_at
from reports.audit_trail import audit_trail_data
from reports.canonical import canonical_json, digest, sha256_hex
from reports.dossier import dossier_data
from reports.kinds import Kind, ReportSpec, parse_spec
from reports.record import record_point
from reports.render import FORMAT, render_pdf
from reports.round_summary import round_summary_data
from reports.snapshot import pinned

SNAPSHOT_ATTEMPTS = 5


class ReportRuntime(Protocol):
    """What generating needs of the composition root (``graphql_api.runtime.Runtime`` has it)."""

    @property
    def council(self) -> Council: ...

    @property
    def database(self) -> Database: ...

    @property
    def audit(self) -> AuditLog: ...

    def settle(self, log_position: int) -> None: ...


class StoredFileMismatch(RuntimeError):
    """A stored PDF no longer has the SHA-256 its version recorded: storage was altered."""


@dataclass(frozen=True)
class GeneratedReport:
    report_id: UUID
    kind: str
    parameters: dict[str, str]
    language: str
    version: int
    log_position: int
    """The log position of the record the report shows."""
    pdf_sha256: str
    input_digest: str
    event_log_position: int
    """The log position of the generation's event (of the existing version's, when served)."""
    from_storage: bool
    """True when no PDF was drawn: the version already existed (or its file did)."""

    @property
    def download_path(self) -> str:
        return download_path(self.report_id, self.version)


@dataclass(frozen=True)
class ReportInfo:
    id: UUID
    kind: str
    parameters: dict[str, str]
    language: str
    subject_id: str | None
    latest_version: int
    registered_at: str
    updated_at: str


@dataclass(frozen=True)
class VersionInfo:
    report_id: UUID
    version: int
    log_position: int
    input_digest: str
    pdf_sha256: str
    generated_by: UUID
    generated_at: str
    event_log_position: int

    @property
    def download_path(self) -> str:
        return download_path(self.report_id, self.version)


def download_path(report_id: UUID | str, version: int) -> str:
    return f"/reports/{report_id}/versions/{version}.pdf"


# --- generating -----------------------------------------------------------------------------------


def generate(
    runtime: ReportRuntime,
    store: ReadStore,
    actor: Actor,
    *,
    kind: str,
    parameters: dict[str, str],
    language: str = "en",
    as_of: int | None = None,
) -> GeneratedReport:
    """Generate a report of the record at ``as_of`` (default: now), or serve the stored version.

    Raises ``Invalid`` (bad kind, parameter, language or log position), ``NotAllowed`` and
    ``NotFound`` (the subject is not in the record at that log position).
    """
    spec = parse_spec(kind, parameters, language)
    rules.require(access.may_generate(actor, spec), "this member may not generate this report")
    head = runtime.council.log_position()
    if as_of is not None and not 0 < as_of <= head:
        raise Invalid("as_of", f"is a log position between 1 and {head}")
    requested = head if as_of is None else as_of
    runtime.settle(requested)
    report_id = str(spec.id)
    position = last_recorded_position(store, at_or_below=requested)
    existing = report_version_at(store, report_id, log_position=position)
    if existing is not None:
        return _served(spec, existing)
    position, data, record = _read(runtime, store, spec, requested, present=as_of is None)
    data_digest = digest(data)
    if as_of is None:
        latest = latest_report_version(store, report_id)
        kept = (
            None if latest is None else storage.stored_file(store, report_id, latest.log_position)
        )
        if latest is not None and kept is not None and kept.data_digest == data_digest:
            return _served(spec, latest)
    existing = report_version_at(store, report_id, log_position=position)
    if existing is not None:
        return _served(spec, existing)
    kept = storage.stored_file(store, report_id, position)
    drawn = kept is None
    if kept is None:
        document = {
            "format": FORMAT,
            "report": {
                "id": report_id,
                "kind": spec.kind.value,
                "parameters": spec.parameters,
                "language": spec.language,
            },
            "record": record,
            "data": data,
        }
        input_json = canonical_json(document)
        pdf = render_pdf(document)
        kept = storage.store(
            runtime.database,
            report_id=report_id,
            log_position=position,
            pdf=pdf,
            pdf_sha256=sha256_hex(pdf),
            input_json=input_json,
            input_digest=sha256_hex(input_json),
            data_digest=data_digest,
        )
    outcome = record_generation(
        runtime.council,
        actor,
        kind=spec.kind.value,
        parameters=spec.parameters,
        language=spec.language,
        log_position=position,
        input_digest=kept.input_digest,
        pdf_sha256=kept.pdf_sha256,
    )
    runtime.settle(outcome.log_position)
    if not outcome.changed:
        # Another process recorded this log position's version first.
        existing = report_version_at(store, report_id, log_position=position)
        if existing is not None:
            return _served(spec, existing)
    return GeneratedReport(
        report_id=spec.id,
        kind=spec.kind.value,
        parameters=spec.parameters,
        language=spec.language,
        version=outcome.revision or 0,
        log_position=position,
        pdf_sha256=kept.pdf_sha256,
        input_digest=kept.input_digest,
        event_log_position=outcome.log_position,
        from_storage=not drawn,
    )


def _served(spec: ReportSpec, version: ReportVersionRow) -> GeneratedReport:
    return GeneratedReport(
        report_id=spec.id,
        kind=spec.kind.value,
        parameters=spec.parameters,
        language=spec.language,
        version=version.version,
        log_position=version.log_position,
        pdf_sha256=version.pdf_sha256,
        input_digest=version.input_digest,
        event_log_position=version.event_log_position,
        from_storage=True,
    )


def _read(
    runtime: ReportRuntime, store: ReadStore, spec: ReportSpec, requested: int, *, present: bool
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(P, the report's data, its record point), read from one state of the record at P.

    ``present``: the report is of the record as it is now, which may be later than ``requested``.
    """
    for attempt in range(SNAPSHOT_ATTEMPTS):
        with pinned(store) as snapshot:
            positions = set(tracking_positions(snapshot, READ_MODEL_NAMES).values())
            tracked = min(positions)
            if present:
                requested = max(requested, tracked)
            position = last_recorded_position(snapshot, at_or_below=requested)
            steady = len(positions) == 1 and tracked >= requested
            if steady and not recorded_between(snapshot, after=position, until=tracked):
                return _gathered(runtime, snapshot, store, spec, position)
            if steady:
                break  # the live read models are already past this moment
        time.sleep(0.02 * (attempt + 1))
        runtime.settle(requested)
    position = last_recorded_position(store, at_or_below=requested)
    council = runtime.council
    with rebuilt_at(runtime.database, council.recorder, council.mapper, position) as scratch:
        return _gathered(runtime, scratch, store, spec, position)


def _gathered(
    runtime: ReportRuntime, source: ReadStore, live: ReadStore, spec: ReportSpec, position: int
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    if position == 0:
        raise NotFound("the record holds nothing yet", kind="subject", id=spec.subject_id)
    if audit_tree_size_at(live, position)[1] < position:
        runtime.audit.catch_up()
    if spec.kind is Kind.DOSSIER:
        data = dossier_data(source, spec)
    elif spec.kind is Kind.ROUND_SUMMARY:
        data = round_summary_data(source, spec)
    else:
        data = audit_trail_data(source, live, spec, position)
    return position, data, record_point(source, live, runtime.audit, position)


# --- reading ----------------------------------------------------------------------------------------


def _info(row: ReportRow) -> ReportInfo:
    return ReportInfo(
        id=UUID(row.id),
        kind=row.kind,
        parameters=row.parameters,
        language=row.language,
        subject_id=row.subject_id,
        latest_version=row.latest_version,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
    )


def reports(
    store: ReadStore,
    viewer: Actor | None,
    *,
    kind: str | None = None,
    subject_id: str | None = None,
) -> list[ReportInfo]:
    """The reports ``viewer`` may read, most recently generated first."""
    rows = list_reports(store, kind=kind, subject_id=subject_id)
    return [_info(r) for r in rows if access.may_read(viewer, r.kind, r.parameters)]


def report(store: ReadStore, viewer: Actor | None, report_id: UUID | str) -> ReportInfo | None:
    """One report; None when there is none or ``viewer`` may not read it."""
    row = reports_by_ids(store, [str(report_id)]).get(str(report_id))
    if row is None or not access.may_read(viewer, row.kind, row.parameters):
        return None
    return _info(row)


def _readable(store: ReadStore, viewer: Actor | None, report_id: UUID | str) -> ReportInfo:
    found = report(store, viewer, report_id)
    if found is None:
        raise NotFound(
            f"no report with id {report_id} is visible to you", kind="report", id=report_id
        )
    return found


def versions(store: ReadStore, viewer: Actor | None, report_id: UUID | str) -> list[VersionInfo]:
    """Every version of a report, oldest first."""
    _readable(store, viewer, report_id)
    return [
        VersionInfo(
            report_id=UUID(v.report_id),
            version=v.version,
            log_position=v.log_position,
            input_digest=v.input_digest,
            pdf_sha256=v.pdf_sha256,
            generated_by=UUID(v.actor_id),
            generated_at=v.generated_at,
            event_log_position=v.event_log_position,
        )
        for v in report_versions(store, str(report_id))
    ]


def _version(
    store: ReadStore, viewer: Actor | None, report_id: UUID | str, version: int
) -> tuple[ReportInfo, VersionInfo]:
    info = _readable(store, viewer, report_id)
    for each in versions(store, viewer, report_id):
        if each.version == version:
            return info, each
    raise NotFound(
        f"report {report_id} has no version {version}", kind="report version", id=version
    )


def diff(
    store: ReadStore,
    viewer: Actor | None,
    report_id: UUID | str,
    from_version: int,
    to_version: int,
) -> list[HistoryRow]:
    """What happened to the report's subject between two versions: the history items after the
    earlier version's log position, up to and including the later one's, that ``viewer`` sees."""
    info, first = _version(store, viewer, report_id, from_version)
    _, second = _version(store, viewer, report_id, to_version)
    low, high = sorted((first.log_position, second.log_position))
    return history_about(
        store, _subjects(store, info), after=low, until=high, scope=access.history_scope(viewer)
    )


def _subjects(store: ReadStore, info: ReportInfo) -> Subjects:
    subject = info.subject_id or ""
    if info.kind == Kind.DOSSIER.value:
        return Subjects(subject_ids=(subject,), recommendation_ids=(subject,))
    if info.kind == Kind.ROUND_SUMMARY.value:
        covered = tuple(round_recommendation_ids(store, [subject])[subject])
        return Subjects(subject_ids=(subject,), round_ids=(subject,), recommendation_ids=covered)
    row = subjects_by_ids(store, [subject]).get(subject)
    kind = row.kind if row is not None else ""
    return Subjects(
        subject_ids=(subject,),
        recommendation_ids=(subject,) if kind == "recommendation" else (),
        round_ids=(subject,) if kind == "round" else (),
    )


def pdf_bytes(store: ReadStore, viewer: Actor | None, report_id: UUID | str, version: int) -> bytes:
    """The PDF of one version, checked against the SHA-256 its generation recorded."""
    _, found = _version(store, viewer, report_id, version)
    pdf = storage.pdf_of(store, str(report_id), found.log_position)
    if pdf is None:
        raise StoredFileMismatch(f"the PDF of version {version} of report {report_id} is missing")
    if sha256_hex(pdf) != found.pdf_sha256:
        raise StoredFileMismatch(
            f"the stored PDF of version {version} of report {report_id} does not have the"
            " SHA-256 its generation recorded"
        )
    return pdf
