"""The `council` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError as PersistenceInterfaceError
from eventsourcing.persistence import OperationalError as PersistenceOperationalError

from domain.errors import DomainError
from domain.values import Actor
from graphql_api import audit_cli, report_cli, tokens
from graphql_api.oidc import OidcConfig
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings, SettingsError, parse_port


def _runtime(settings: Settings) -> Runtime:
    return Runtime(settings)


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of at least 1")
    return value


def _reached(runtime: Runtime) -> int:
    """The log position every read model has reached."""
    return min(runtime.runner.positions().values(), default=0)


def cmd_db_init(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime.initialise(settings)
    runtime.close()
    where = settings.database.path or f"{settings.database.dbname} (schema {settings.schema})"
    print(f"database ready: {where}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import signal

    import uvicorn

    from graphql_api.app import create_app
    from graphql_api.limits import MAX_BODY_BYTES
    from graphql_api.logging import configure_logging

    tokens.signing_key(settings)  # a missing key stops the start, not the first request
    configure_logging(settings)
    runtime = _runtime(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime, oidc=oidc_config(settings)),
            host=args.host,
            port=args.port,
            log_level="warning",
            ws_max_size=MAX_BODY_BYTES,
            timeout_graceful_shutdown=args.shutdown_timeout,
        )
    )

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # While it serves, uvicorn takes SIGTERM and SIGINT itself: it stops accepting connections,
    # lets the requests in flight finish (for at most --shutdown-timeout seconds), closes open
    # websockets with 1012 (service restart) and then runs the app's shutdown, which stops the
    # activity feed. These handlers cover the start, and take the signal that uvicorn raises
    # again once it has stopped, so that a graceful stop exits 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    if settings.embedded:
        runtime.runner.catch_up()
    print(f"serving the Council's record on http://{args.host}:{args.port}/", flush=True)
    server.run()
    if not server.started:
        runtime.close()
        print("council: serve: the server did not start", file=sys.stderr)
        return 1
    return 0


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The OpenID Connect provider of the settings, as the app takes it (None: none)."""
    if settings.oidc is None:
        return None
    return OidcConfig(
        issuer=settings.oidc.issuer,
        audience=settings.oidc.audience,
        jwks_url=settings.oidc.jwks_url,
        member_claim=settings.oidc.member_claim,
    )


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

    from graphql_api.logging import configure_logging
    from projections.worker import supervise, unkept

    if args.jobs is not None and not args.rebuild:
        print("council: project: --jobs goes with --rebuild", file=sys.stderr)
        return 2
    configure_logging(settings)  # COUNCIL_LOG_LEVEL/FORMAT apply to the workers' log lines too
    runtime = _runtime(settings)
    try:
        if args.rebuild:
            from graphql_api.rebuild import RebuildFailed, rebuild_read_models

            # Stopped (SIGTERM, as by `docker stop`) like Ctrl-C: its other processes stop too.
            previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                rebuild_read_models(runtime, jobs=args.jobs)
            except RebuildFailed as error:
                # Where it failed, with each process's traceback: at COUNCIL_LOG_LEVEL=debug.
                structlog.get_logger("council.project").debug("rebuild failed", exc_info=error)
                print(f"council: project: {error}", file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                print(
                    "council: project: the rebuild was stopped; the read models may be"
                    " part-built until a rebuild succeeds: run it again",
                    file=sys.stderr,
                )
                return 130
            finally:
                signal.signal(signal.SIGTERM, previous)
            print(f"read models rebuilt from the log, up to log position {_reached(runtime)}")
            return 0
        if args.once:
            conninfo = None if settings.embedded else settings.database.conninfo()
            with unkept(
                runtime.database, runtime.projections, conninfo=conninfo, schema=settings.schema
            ) as mine:
                runtime.runner.catch_up(*mine)
            print(f"projections caught up to log position {_reached(runtime)}")
            print(f"audit log caught up ({runtime.audit.catch_up()} events appended)")
            return 0
        every = args.checkpoint_every or settings.audit_checkpoint_seconds
        checkpoints = audit_cli.checkpoint_schedule(runtime, every) if every else None
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        names = ", ".join(p.name for p in runtime.projections)
        print(f"projection workers started: {names}", flush=True)
        conninfo = None if settings.embedded else settings.database.conninfo()
        supervise(
            runtime.runner,
            runtime.projections,
            stop,
            conninfo=conninfo,
            schema=settings.schema,
            audit=runtime.audit,
            checkpoints=checkpoints,
        )
        return 0
    finally:
        runtime.close()


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from projections.replay import replay

    runtime = _runtime(settings)
    try:
        report = replay(runtime.database, runtime.council.recorder, runtime.council.mapper)
    finally:
        runtime.close()
    for line in report.lines():
        print(line)
    if report.equal:
        print("every read model equals its rebuild from the log")
        return 0
    print("some read models differ from their rebuild: see above", file=sys.stderr)
    return 1


# --- import, demo, export ----------------------------------------------------------------------

PROGRESS_EVERY = 10_000  # rows between progress lines when stderr is not a terminal


class ImportProgress:
    """A progress bar on stderr when it is a terminal; otherwise a line every PROGRESS_EVERY rows."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label
        self.total = total
        self.tty = sys.stderr.isatty()
        self.reported = 0

    def __call__(self, rows: int) -> None:
        if self.tty:
            sys.stderr.write(f"\r{self.label}: {self._bar(rows)}")
            sys.stderr.flush()
        elif rows - self.reported >= PROGRESS_EVERY:
            print(f"{self.label}: {rows:,} rows read", file=sys.stderr, flush=True)
            self.reported = rows

    def _bar(self, rows: int) -> str:
        if not self.total:
            return f"{rows:,} rows"
        done = min(rows / self.total, 1.0)
        filled = int(done * 30)
        return f"[{'#' * filled}{'.' * (30 - filled)}] {done:4.0%} {rows:,}/{self.total:,} rows"

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _settle_or_say(runtime: Runtime, log_position: int) -> None:
    """Let the read models catch up; on PostgreSQL without workers, say so instead of failing."""
    from projections.runner import ProjectionTimeout

    try:
        runtime.settle(log_position)
    except ProjectionTimeout:
        print("the read models show this once `council project` has caught up", file=sys.stderr)


def cmd_import_uhri(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.importing import import_uhri
    from graphql_api.uhri_files import count_rows

    path = Path(args.file)
    runtime = _runtime(settings)
    try:
        total = count_rows(path) if path.is_file() and sys.stderr.isatty() else None
        progress = ImportProgress(f"importing {path.name}", total)
        try:
            report = import_uhri(
                runtime.council,
                path,
                source=args.source,
                batch_size=args.batch_size,
                progress=progress,
            )
        finally:
            progress.finish()
        _settle_or_say(runtime, report.log_position)
    finally:
        runtime.close()
    print("\n".join(report.summary(shown=args.show_rejected)))
    return 1 if report.stopped else 0


def cmd_import_annex(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.importing import import_government_annex

    runtime = _runtime(settings)
    try:
        report = import_government_annex(
            runtime.council,
            Path(args.file),
            member_id=_uuid("--member", args.member),
            organisation_id=_uuid("--org", args.org),
            round_id=_uuid("--round", args.round),
            open_for_signature=args.open_for_signature,
        )
        _settle_or_say(runtime, report.log_position)
    finally:
        runtime.close()
    print("\n".join(report.summary(shown=args.show_rejected)))
    return 1 if report.stopped else 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api import demo

    if settings.production:
        print(
            "council: demo: refused because COUNCIL_PRODUCTION is on; demo data does not belong"
            " in a production record",
            file=sys.stderr,
        )
        return 1
    runtime = _runtime(settings)
    try:
        if args.if_empty and demo.holds_recommendations(runtime.council):
            demo.print_lines(demo.already_loaded(), sys.stdout)
            return 0
        result = demo.load_demo(runtime.council)
        _settle_or_say(runtime, runtime.council.log_position())
    finally:
        runtime.close()
    try:
        demo.print_lines(demo.welcome(settings, result), sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_stopped_early()
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.open_data_http import write_export

    runtime = _runtime(settings)
    try:
        if settings.embedded:
            runtime.settle(runtime.council.log_position())
        if args.output is None:
            try:
                count = write_export(runtime.database, args.dataset, args.format, sys.stdout.buffer)
                sys.stdout.flush()
            except BrokenPipeError:
                return _reader_stopped_early()
        else:
            output = Path(args.output)
            partial = output.with_name(f".{output.name}.partial")
            with partial.open("wb") as file:
                count = write_export(runtime.database, args.dataset, args.format, file)
            partial.replace(output)
    finally:
        runtime.close()
    print(f"{args.dataset}: {count:,} rows exported as {args.format}", file=sys.stderr)
    return 0


def _reader_stopped_early() -> int:
    """Standard output was closed by its reader (`| head`): not an error; say nothing more."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _uuid(option: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not an id (a UUID)") from None


def _add_data_commands(sub: Any) -> None:
    """`council import uhri|government-annex`, `council demo`, `council export`."""
    imports = sub.add_parser("import", help="import UHRI exports and the Government's annex")
    kinds = imports.add_subparsers(dest="import_kind", required=True)
    uhri = kinds.add_parser(
        "uhri", help="import a UHRI export (.csv, .xlsx, .json) into the catalogue"
    )
    uhri.add_argument("file")
    uhri.add_argument("--source", help="the name recorded as the source (default: the file name)")
    uhri.add_argument("--batch-size", type=int, default=500, help="entries per transaction")
    uhri.add_argument("--show-rejected", type=int, default=20, help="rejected rows to list")
    uhri.set_defaults(func=cmd_import_uhri)
    annex = kinds.add_parser(
        "government-annex",
        help="import the Government's ratings as a state body's assessments in a round",
    )
    annex.add_argument("file")
    annex.add_argument("--org", required=True, help="the state body's id")
    annex.add_argument("--round", required=True, help="the monitoring round's id")
    annex.add_argument(
        "--member", required=True, help="the id of the state body's editor who proposes them"
    )
    annex.add_argument(
        "--open-for-signature", action="store_true", help="open new assessments for signature"
    )
    annex.add_argument("--show-rejected", type=int, default=20, help="rejected rows to list")
    annex.set_defaults(func=cmd_import_annex)

    demo = sub.add_parser("demo", help="load the demo data and print a token per demo member")
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the database already holds recommendations",
    )
    demo.set_defaults(func=cmd_demo)

    export = sub.add_parser("export", help="open data: the catalogue or the published positions")
    export.add_argument("dataset", choices=["catalogue", "positions"])
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", help="write to this file (default: standard output)")
    export.set_defaults(func=cmd_export)


def _port(text: str) -> int:
    try:
        return parse_port(text)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _seconds(text: str) -> int:
    raw = text.strip()
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds (1 or more)")
    return int(raw)


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
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument(
        "--shutdown-timeout",
        type=_seconds,
        default=30,
        metavar="SECONDS",
        help="on SIGTERM, how long requests in flight may take to finish (default 30)",
    )
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
    project.add_argument(
        "--rebuild", action="store_true", help="empty every read model, project the log again, exit"
    )
    project.add_argument(
        "--jobs",
        type=_positive_count,
        metavar="N",
        help="with --rebuild on PostgreSQL: rebuild in up to N processes"
        " (default: one per CPU, up to 4)",
    )
    project.add_argument(
        "--checkpoint-every",
        type=audit_cli.positive_seconds,
        metavar="SECONDS",
        help="sign a checkpoint of the audit log at most this often, when it grew"
        " (default: COUNCIL_AUDIT_CHECKPOINT_SECONDS; unset: none)",
    )
    project.set_defaults(func=cmd_project)
    sub.add_parser(
        "replay", help="rebuild every read model into scratch space and compare with the live one"
    ).set_defaults(func=cmd_replay)
    _add_data_commands(sub)

    audit_cli.register(sub)
    report_cli.register(sub)
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
    except (
        PersistenceOperationalError,
        PersistenceInterfaceError,
        psycopg.OperationalError,
    ) as error:
        # The database cannot be reached (or went away): the reason, on one line.
        print(f"council: database: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
