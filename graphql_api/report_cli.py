"""`council report ...`: generate a report version, list versions, show what changed, download.

The command line acts as the operator unless ``--member`` names the member to act as.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.values import Actor
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.queries.store import ReadStore
from projections.runner import ProjectionTimeout
from reports import storage
from reports.kinds import LANGUAGES, Kind


def _parameters(values: list[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for value in values:
        name, sep, given = value.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {value!r}: write NAME=VALUE")
        parameters[name.strip()] = given.strip()
    return parameters


def _actor(runtime: Runtime, member: str | None) -> Actor:
    if member is None:
        return Actor.operator()
    try:
        member_id = UUID(member)
    except ValueError:
        raise ValueError(f"--member {member!r} is not an id (a UUID)") from None
    return runtime.council.actor_for(member_id)


def _open(settings: Settings) -> tuple[Runtime, ReadStore]:
    runtime = Runtime(settings)
    if settings.embedded:
        storage.create_tables(runtime.database)
    return runtime, ReadStore(settings.database)


def cmd_generate(settings: Settings, args: argparse.Namespace) -> int:
    from reports import service  # WeasyPrint loads only for report commands

    runtime, store = _open(settings)
    try:
        actor = _actor(runtime, args.member)
        try:
            generated = service.generate(
                runtime,
                store,
                actor,
                kind=args.kind,
                parameters=_parameters(args.param),
                language=args.language,
                as_of=args.as_of,
            )
        except ProjectionTimeout:
            print(
                "council: report: the read models have not reached that log position;"
                " is `council project` running?",
                file=sys.stderr,
            )
            return 1
        if args.output is not None:
            pdf = service.pdf_bytes(store, actor, generated.report_id, generated.version)
            _write(Path(args.output), pdf)
    finally:
        store.close()
        runtime.close()
    print(f"report {generated.report_id}")
    print(f"version {generated.version}")
    print(f"sha256 {generated.pdf_sha256}")
    print(f"log-position {generated.log_position}")
    if generated.from_storage:
        print("(this version already existed: served from storage)", file=sys.stderr)
    return 0


def cmd_versions(settings: Settings, args: argparse.Namespace) -> int:
    from reports import service  # WeasyPrint loads only for report commands

    runtime, store = _open(settings)
    try:
        found = service.versions(store, _actor(runtime, args.member), args.report_id)
    finally:
        store.close()
        runtime.close()
    for v in found:
        print(
            f"{v.version}\tlog-position {v.log_position}\tsha256 {v.pdf_sha256}"
            f"\tgenerated {v.generated_at} by {v.generated_by}"
        )
    return 0


def cmd_diff(settings: Settings, args: argparse.Namespace) -> int:
    from reports import service  # WeasyPrint loads only for report commands

    runtime, store = _open(settings)
    try:
        rows = service.diff(
            store, _actor(runtime, args.member), args.report_id, args.from_version, args.to_version
        )
    finally:
        store.close()
        runtime.close()
    for row in rows:
        print(f"{row.log_position}\t{row.at}\t{row.summary}")
    if not rows:
        print("nothing happened to the report's subject between these versions", file=sys.stderr)
    return 0


def cmd_download(settings: Settings, args: argparse.Namespace) -> int:
    from reports import service  # WeasyPrint loads only for report commands

    runtime, store = _open(settings)
    try:
        pdf = service.pdf_bytes(store, _actor(runtime, args.member), args.report_id, args.version)
    finally:
        store.close()
        runtime.close()
    _write(Path(args.output), pdf)
    print(f"{args.output}: {len(pdf):,} bytes", file=sys.stderr)
    return 0


def _write(path: Path, pdf: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(pdf)
    partial.replace(path)


def register(sub: Any) -> None:
    """Add `council report generate|versions|diff|download` to the `council` parser."""
    report = sub.add_parser(
        "report", help="PDF reports: generate versions, list, compare, download"
    )
    commands = report.add_subparsers(dest="report_command", required=True)

    generate = commands.add_parser(
        "generate", help="generate a report version; prints its id, version and SHA-256"
    )
    generate.add_argument("kind", choices=[k.value for k in Kind])
    generate.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="dossier: recommendation=ID (or SYMBOL#PARAGRAPH), audience=council|public;"
        " round_summary: round=ID; audit_trail: subject=ID",
    )
    generate.add_argument("--language", choices=LANGUAGES, default="en")
    generate.add_argument(
        "--as-of", type=int, metavar="LOG_POSITION", help="the record as it stood then"
    )
    generate.add_argument("--output", help="also write the PDF to this file")
    generate.set_defaults(func=cmd_generate)

    versions = commands.add_parser("versions", help="list the versions of a report")
    versions.add_argument("report_id")
    versions.set_defaults(func=cmd_versions)

    diff = commands.add_parser("diff", help="what happened between two versions of a report")
    diff.add_argument("report_id")
    diff.add_argument("from_version", type=int)
    diff.add_argument("to_version", type=int)
    diff.set_defaults(func=cmd_diff)

    download = commands.add_parser("download", help="write the PDF of one version to a file")
    download.add_argument("report_id")
    download.add_argument("version", type=int)
    download.add_argument("--output", required=True)
    download.set_defaults(func=cmd_download)

    for command in (generate, versions, diff, download):
        command.add_argument("--member", help="act as this member (default: the operator)")
