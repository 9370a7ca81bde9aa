"""The `council` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from uuid import UUID

from domain.errors import DomainError
from domain.values import Actor
from graphql_api import audit_cli, tokens
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings, SettingsError


def _runtime(settings: Settings) -> Runtime:
    return Runtime(settings)


def cmd_db_init(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime.initialise(settings)
    runtime.close()
    where = settings.database.path or f"{settings.database.dbname} (schema {settings.schema})"
    print(f"database ready: {where}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from graphql_api.app import create_app

    runtime = _runtime(settings)
    if settings.embedded:
        runtime.runner.catch_up()
    print(f"serving the Council's record on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(create_app(runtime), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_org_add(settings: Settings, args: argparse.Namespace) -> int:
    runtime = _runtime(settings)
    try:
        outcome = runtime.council.register_organisation(
            Actor.operator(), name=args.name, kind=args.kind, platform=args.platform
        )
        runtime.settle(outcome.log_position)
    finally:
        runtime.close()
    print(outcome.id)
    return 0


def cmd_member_add(settings: Settings, args: argparse.Namespace) -> int:
    runtime = _runtime(settings)
    try:
        outcome = runtime.council.register_member(
            Actor.operator(),
            organisation_id=UUID(args.org),
            name=args.name,
            email=args.email,
            roles=args.role,
        )
        runtime.settle(outcome.log_position)
    finally:
        runtime.close()
    print(outcome.id)
    return 0


def cmd_token_issue(settings: Settings, args: argparse.Namespace) -> int:
    ttl = tokens.parse_ttl(args.ttl)
    runtime = _runtime(settings)
    try:
        member_id = UUID(args.member)
        runtime.council.actor_for(member_id)
    finally:
        runtime.close()
    print(tokens.issue(settings, member_id, ttl))
    return 0


def cmd_project(settings: Settings, args: argparse.Namespace) -> int:
    import signal
    import threading

    from projections.worker import supervise

    runtime = _runtime(settings)
    try:
        if args.once:
            read = runtime.runner.catch_up()
            print(f"projections caught up ({read} event applications)")
            return 0
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        names = ", ".join(p.name for p in runtime.projections)
        print(f"projection workers started: {names}", flush=True)
        conninfo = None if settings.embedded else settings.database.conninfo()
        supervise(
            runtime.runner, runtime.projections, stop, conninfo=conninfo, schema=settings.schema
        )
        return 0
    finally:
        runtime.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="council",
        description="The Council's monitoring record: an event-sourced ledger of assessments,"
        " co-signatures and joint positions on UN human-rights recommendations.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database set-up").add_subparsers(dest="db", required=True)
    db.add_parser("init", help="create every table; safe to run twice").set_defaults(
        func=cmd_db_init
    )

    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    org = sub.add_parser("org", help="organisations").add_subparsers(dest="org", required=True)
    org_add = org.add_parser("add", help="register an organisation; prints its id")
    org_add.add_argument("--name", required=True)
    org_add.add_argument(
        "--kind", required=True, choices=["cso", "state_body", "secretariat", "observer"]
    )
    org_add.add_argument("--platform", action="store_true", help="a member of the CSO Platform")
    org_add.set_defaults(func=cmd_org_add)

    member = sub.add_parser("member", help="members").add_subparsers(dest="member", required=True)
    member_add = member.add_parser("add", help="register a member; prints the member's id")
    member_add.add_argument("--org", required=True, help="the organisation's id")
    member_add.add_argument("--name", required=True)
    member_add.add_argument("--email", required=True)
    member_add.add_argument(
        "--role",
        required=True,
        action="append",
        choices=["secretariat", "editor", "signatory", "auditor", "reader"],
    )
    member_add.set_defaults(func=cmd_member_add)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(
        dest="token", required=True
    )
    token_issue = token.add_parser("issue", help="print a bearer token for a member")
    token_issue.add_argument("--member", required=True)
    token_issue.add_argument("--ttl", default="8h")
    token_issue.set_defaults(func=cmd_token_issue)

    project = sub.add_parser("project", help="run the projection workers")
    project.add_argument("--once", action="store_true", help="catch up once and exit")
    project.set_defaults(func=cmd_project)

    audit_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        result: int = args.func(settings, args)
    except SettingsError as error:
        print(f"council: configuration: {error}", file=sys.stderr)
        return 2
    except (DomainError, ValueError) as error:
        print(f"council: {error}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
