"""Reports and their versions: each version the PDF of the record at one log position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from domain.errors import NotFound
from graphql_api.context import Info
from graphql_api.errors import ClientError
from graphql_api.types import described
from graphql_api.types.history import HistoryItem
from graphql_api.types.paging import Connection
from graphql_api.types.people import Member, member
from reports import service
from reports.service import ReportInfo, VersionInfo


@strawberry.type(description="One parameter of a report, e.g. recommendation = <id>.")
class ReportParameter:
    name: str
    value: str


@strawberry.type(
    description="One version of a report: the PDF of the record at one log position, with the"
    " digests that let anyone check it."
)
class ReportVersion:
    number: int = strawberry.field(description="1 for the first version, then 2, 3, ...")
    log_position: int = strawberry.field(
        description="The last event of the record the report shows."
    )
    event_log_position: int = strawberry.field(
        description="The log position of the event that recorded this version."
    )
    sha256: str = strawberry.field(
        description="SHA-256 of the PDF (hex); the download's ETag carries it too."
    )
    data_digest: str = strawberry.field(
        description="SHA-256 (hex) of the canonical JSON the PDF was drawn from, which the PDF"
        " carries as its attachment report-data.json."
    )
    generated_at: datetime
    download_url: str = strawberry.field(
        description="Where to GET the PDF on this server (a path from the API's origin), with"
        " the same Authorization header as for /graphql."
    )
    row: strawberry.Private[VersionInfo]

    @described.field("The member who asked for this version.")
    async def requested_by(self, info: Info) -> Member | None:
        return await member(info, str(self.row.generated_by))

    @classmethod
    def from_info(cls, version: VersionInfo) -> ReportVersion:
        return cls(
            number=version.version,
            log_position=version.log_position,
            event_log_position=version.event_log_position,
            sha256=version.pdf_sha256,
            data_digest=version.input_digest,
            generated_at=datetime.fromisoformat(version.generated_at),
            download_url=version.download_path,
            row=version,
        )


@strawberry.type(
    description="A report: one kind, with its parameters, in one language. Generating it again"
    " after the record changed adds a version; the earlier ones stay."
)
class Report:
    id: strawberry.ID
    kind: str = strawberry.field(description="dossier, round_summary or audit_trail.")
    parameters: list[ReportParameter]
    language: str = strawberry.field(description="en, sr-Latn or sr-Cyrl.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The recommendation, round or other subject the report is about."
    )
    latest_version: int
    registered_at: datetime
    updated_at: datetime
    row: strawberry.Private[ReportInfo]

    @described.field("Every version, oldest first.")
    async def versions(self, info: Info) -> list[ReportVersion]:
        return [ReportVersion.from_info(v) for v in await report_versions(info, self.row.id)]

    @described.field("One version by its number; null when there is no such version.")
    async def version(self, info: Info, number: int) -> ReportVersion | None:
        for found in await report_versions(info, self.row.id):
            if found.version == number:
                return ReportVersion.from_info(found)
        return None

    @described.field(
        "What happened to the report's subject between two versions, in log order: the history"
        " items after the earlier version's log position, up to and including the later one's,"
        " as you may see them. A NOT_FOUND error names a version that does not exist."
    )
    async def diff(
        self,
        info: Info,
        from_: Annotated[int, strawberry.argument(name="from")],
        to: int,
    ) -> list[HistoryItem]:
        store = info.context.services.store
        viewer = info.context.viewer.actor
        try:
            rows = await run_in_threadpool(service.diff, store, viewer, self.row.id, from_, to)
        except NotFound as error:
            raise ClientError(error.message, code="NOT_FOUND") from None
        return [HistoryItem.from_row(row) for row in rows]

    @classmethod
    def from_info(cls, report: ReportInfo) -> Report:
        return cls(
            id=strawberry.ID(str(report.id)),
            kind=report.kind,
            parameters=[
                ReportParameter(name=name, value=value)
                for name, value in sorted(report.parameters.items())
            ],
            language=report.language,
            subject_id=strawberry.ID(report.subject_id) if report.subject_id else None,
            latest_version=report.latest_version,
            registered_at=datetime.fromisoformat(report.registered_at),
            updated_at=datetime.fromisoformat(report.updated_at),
            row=report,
        )


@strawberry.type
class ReportConnection(Connection[Report]):
    total_count: int = strawberry.field(description="How many reports match, on every page.")


async def report_versions(info: Info, report_id: object) -> list[VersionInfo]:
    """The versions of a report the viewer may read (none when they may not)."""
    store = info.context.services.store
    viewer = info.context.viewer.actor
    try:
        return await run_in_threadpool(service.versions, store, viewer, str(report_id))
    except NotFound:
        return []
