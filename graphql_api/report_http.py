"""GET /reports/{reportId}/versions/{n}.pdf: the stored PDF of one report version.

Authorised as /graphql is: the bearer token names the member, no token is the public. The answer
is the PDF exactly as stored (its SHA-256, which the version recorded, is the ETag), or a plain
text message: 401 for a bad token, or for the public asking for a report that is not public; 403
for a member who may not read the report; 404 for a report or version that does not exist.
``report_pdf_route`` mounts it in one line::

    routes.append(report_pdf_route(view))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from domain.errors import NotFound
from domain.values import Actor
from graphql_api.auth import AuthError, authenticate
from graphql_api.commands import SIGN_IN
from graphql_api.logging import log_request
from graphql_api.view import CouncilGraphQL, request_id_of
from projections.queries.reports import reports_by_ids
from projections.queries.store import ReadStore
from reports import access, service
from reports.canonical import sha256_hex

PATH = "/reports/{report_id}/versions/{version}.pdf"


class Refused(Exception):
    """The answer is a refusal: an HTTP status with a plain message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Download:
    pdf: bytes
    sha256: str
    filename: str


def filename_of(kind: str, subject_id: str | None, language: str, version: int) -> str:
    """``dossier-1a2b3c4d-v2-en.pdf``: the kind, the subject's id in short, version, language."""
    subject = (subject_id or "report").split("-")[0][:8]
    return f"{kind.replace('_', '-')}-{subject}-v{version}-{language}.pdf"


def find_pdf(store: ReadStore, viewer: Actor | None, report_id: str, version: str) -> Download:
    """The PDF of one version; ``Refused`` with the answer when it is not served."""
    try:
        canonical = str(UUID(report_id))
    except ValueError:
        raise Refused(404, f"there is no report with id {report_id[:60]!r}") from None
    if not (version.isascii() and version.isdigit()) or int(version) < 1:
        raise Refused(404, f"a version is a whole number from 1; {version[:20]!r} is not one")
    row = reports_by_ids(store, [canonical]).get(canonical)
    if row is None:
        raise Refused(404, f"there is no report with id {canonical}")
    if not access.may_read(viewer, row.kind, row.parameters):
        if viewer is None:
            raise Refused(401, f"this report is not public; {SIGN_IN}")
        raise Refused(403, "you may not read this report")
    number = int(version)
    try:
        pdf = service.pdf_bytes(store, viewer, canonical, number)
    except NotFound as error:
        raise Refused(404, error.message) from None
    return Download(
        pdf, sha256_hex(pdf), filename_of(row.kind, row.subject_id, row.language, number)
    )


def _plain(status: int, message: str, challenge: str = "Bearer") -> Response:
    headers = {"WWW-Authenticate": challenge} if status == 401 else {}
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    given = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in given or "*" in given


def report_pdf_route(view: CouncilGraphQL, path: str = PATH) -> Route:
    """The download route, authorising each request as ``view`` (the /graphql endpoint) does."""
    services = view.services

    async def download(request: Request) -> Response:
        request_id = request_id_of(request.headers)
        started = time.perf_counter()
        member: str | None = None
        try:
            viewer = await authenticate(
                services.viewers, request.headers.get("authorization"), view.oidc
            )
            member = str(viewer.member_id) if viewer.member_id is not None else None
            found = await run_in_threadpool(
                find_pdf,
                services.store,
                viewer.actor,
                str(request.path_params["report_id"]),
                str(request.path_params["version"]),
            )
        except AuthError as error:
            response = _plain(401, str(error), 'Bearer error="invalid_token"')
        except Refused as refused:
            response = _plain(refused.status, refused.message)
        except service.StoredFileMismatch as error:
            structlog.get_logger("council.reports").error(
                "stored report file mismatch", request_id=request_id, error=str(error)
            )
            response = _plain(500, str(error))
        else:
            etag = f'"{found.sha256}"'
            headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
            if _etag_matches(request.headers.get("if-none-match"), etag):
                response = Response(status_code=304, headers=headers)
            else:
                headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
                response = Response(found.pdf, media_type="application/pdf", headers=headers)
        response.headers["X-Request-Id"] = request_id
        log_request(
            request_id=request_id,
            member=member,
            operation="report-pdf",
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            log_position=None,
        )
        return response

    return Route(path, download, methods=["GET"])
