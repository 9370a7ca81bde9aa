"""Reports: the ones the viewer may read, their versions and what changed between two; and
`generateReport`, which draws a new version (in a worker thread: rendering a PDF takes a while)
or returns the stored one when the record has not changed.

Who may read and who may generate which kind is decided by ``reports.access``, whose every answer
comes from ``domain.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.errors import DomainError
from domain.values import Actor
from graphql_api.as_of import AsOf, as_of_position
from graphql_api.commands import SIGN_IN, settle
from graphql_api.context import Info, Services
from graphql_api.errors import (
    ClientError,
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    WrongState,
    invalid_argument,
    problem_from,
)
from graphql_api.limits import page_size
from graphql_api.types import described
from graphql_api.types.paging import Edge, PageInfo
from graphql_api.types.reports import Report, ReportConnection, ReportVersion
from projections.queries.paging import BadCursor, decode_cursor, encode_cursor
from projections.runner import ProjectionTimeout
from reports import service
from reports.service import GeneratedReport, ReportInfo, VersionInfo


@strawberry.input(
    description="What a report is about. A dossier takes `recommendation` (and `audience`), a"
    " round summary `round`, an audit trail `subject`; any other is an `Invalid` error naming it."
)
class ReportParametersInput:
    recommendation: str | None = strawberry.field(
        default=None,
        description="Dossier: the recommendation's id, or SYMBOL#PARAGRAPH (A/HRC/23/15#131.4).",
    )
    audience: str | None = strawberry.field(
        default=None,
        description="Dossier: `council` (the working record; the default) or `public`.",
    )
    round: strawberry.ID | None = strawberry.field(
        default=None, description="Round summary: the monitoring round's id."
    )
    subject: strawberry.ID | None = strawberry.field(
        default=None,
        description="Audit trail: the id of a recommendation, round, assessment, joint position"
        " or comment.",
    )

    def as_dict(self) -> dict[str, str]:
        given = {
            "recommendation": self.recommendation,
            "audience": self.audience,
            "round": self.round,
            "subject": self.subject,
        }
        return {name: str(value) for name, value in given.items() if value is not None}


@strawberry.type
class ReportPayload:
    log_position: int = strawberry.field(
        description="The log position of the event that recorded the version (of the stored"
        " version's event when nothing new was recorded)."
    )
    changed: bool = strawberry.field(
        description="False when the record had not changed: the stored version is returned."
    )
    report: Report | None
    version: ReportVersion | None


ReportResult = Annotated[
    ReportPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState,
    strawberry.union("ReportResult"),
]


@dataclass(frozen=True)
class _Generated:
    generated: GeneratedReport
    changed: bool


def _generate(
    services: Services,
    actor: Actor,
    kind: str,
    parameters: dict[str, str],
    language: str,
    as_of: int | None,
) -> _Generated:
    """Runs in a worker thread: settles, reads, renders and records."""
    head = services.runtime.council.log_position()
    generated = service.generate(
        services.runtime,
        services.store,
        actor,
        kind=kind,
        parameters=parameters,
        language=language,
        as_of=as_of,
    )
    return _Generated(generated, changed=generated.event_log_position > head)


def _stored(
    services: Services, actor: Actor, generated: GeneratedReport
) -> tuple[ReportInfo | None, VersionInfo | None]:
    report = service.report(services.store, actor, generated.report_id)
    if report is None:
        return None, None
    for version in service.versions(services.store, actor, generated.report_id):
        if version.version == generated.version:
            return report, version
    return report, None


@strawberry.type
class ReportMutation:
    @described.mutation(
        "Draw the PDF report of the record as it is now (or as it stood at `asOf`) and record"
        " it as the report's next version; when the record has not changed since the latest"
        " version, that version is returned and nothing is recorded. Who may generate which"
        " kind: the secretariat and Council participants who edit or sign (audit trails: the"
        " secretariat); auditors and readers do not write."
    )
    async def generate_report(
        self,
        info: Info,
        kind: str,
        parameters: ReportParametersInput | None = None,
        language: str = "en",
        as_of: AsOf | None = None,
    ) -> ReportResult:
        actor = info.context.viewer.actor
        if actor is None:
            return NotAllowed(message=SIGN_IN)
        try:
            log_position = await as_of_position(info, as_of)
        except ClientError as error:
            return Invalid(message=error.message, field="asOf")
        services = info.context.services
        given = parameters.as_dict() if parameters is not None else {}
        try:
            done = await run_in_threadpool(
                _generate, services, actor, kind, given, language, log_position
            )
        except DomainError as error:
            return problem_from(error)
        except ProjectionTimeout:
            raise ClientError(
                "the read models did not reach the record in time; ask again shortly"
                " (a version already recorded is then returned as it is)",
                code="PROJECTION_TIMEOUT",
            ) from None
        generated = done.generated
        await settle(info, generated.event_log_position)
        report, version = await run_in_threadpool(_stored, services, actor, generated)
        return ReportPayload(
            log_position=generated.event_log_position,
            changed=done.changed,
            report=Report.from_info(report) if report is not None else None,
            version=ReportVersion.from_info(version) if version is not None else None,
        )


def _cursor(report: ReportInfo) -> str:
    return encode_cursor(report.updated_at, str(report.id))


def _after(found: list[ReportInfo], after: str | None) -> list[ReportInfo]:
    """The reports after a cursor, in the list's order (most recently generated first)."""
    if after is None:
        return found
    try:
        updated_at, report_id = decode_cursor(after, 2)
    except BadCursor as error:
        raise invalid_argument("after", str(error)) from None
    if not isinstance(updated_at, str) or not isinstance(report_id, str):
        raise invalid_argument("after", "is not a cursor given out by this API")

    def later_in_list(report: ReportInfo) -> bool:
        # The list runs by updated_at descending, then id ascending.
        return report.updated_at < updated_at or (
            report.updated_at == updated_at and str(report.id) > report_id
        )

    return [report for report in found if later_in_list(report)]


@strawberry.type
class ReportQuery:
    @described.field(
        "The reports you may read, most recently generated first. The public reads the public"
        " edition of dossiers; Council participants, auditors and the secretariat the others"
        " (audit trails: auditors and the secretariat)."
    )
    async def reports(
        self,
        info: Info,
        kind: str | None = None,
        subject_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ReportConnection:
        size = page_size(first)
        for name, value in (("kind", kind), ("subjectId", subject_id)):
            if value is not None and not value.isprintable():
                raise invalid_argument(name, "holds a character no report kind or id holds")
        found = await run_in_threadpool(
            lambda: service.reports(
                info.context.services.store,
                info.context.viewer.actor,
                kind=kind,
                subject_id=str(subject_id) if subject_id is not None else None,
            )
        )
        rest = _after(found, after)
        page = rest[:size]
        edges = [Edge(cursor=_cursor(r), node=Report.from_info(r)) for r in page]
        return ReportConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rest) > size, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=len(found),
        )

    @described.field("One report; null when there is none or you may not read it.")
    async def report(self, info: Info, id: strawberry.ID) -> Report | None:
        if not str(id).isprintable():  # no stored id holds a NUL or a lone surrogate
            return None
        found = await run_in_threadpool(
            service.report, info.context.services.store, info.context.viewer.actor, str(id)
        )
        return Report.from_info(found) if found is not None else None
