"""The composition root: one database, the Council application, its read models and runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.application import Council
from graphql_api.settings import Settings
from projections.audit.checkpoint import load_private_key, private_pem
from projections.audit.log import AuditLog
from projections.db import Database
from projections.personal_keys import KeyStoreVault
from projections.registry import all_projections, migrate
from projections.runner import ProjectionRunner
from reports.storage import create_tables as create_report_tables


class Runtime:
    """Everything a process needs, built from settings; nothing connects until used."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        create_tables: bool | None = None,
    ) -> None:
        self.settings = settings
        self.database = Database(settings.database)
        self.vault = KeyStoreVault(self.database)
        # Embedded mode creates what it needs; PostgreSQL tables come from `council db init`.
        create = settings.embedded if create_tables is None else create_tables
        if create:
            self.database.ensure_schemas()
        self.council = Council(
            env=settings.database.eventsourcing_env(create_tables=create),
            vault=self.vault,
            clock=clock,
        )
        if create:
            migrate(self.database)
            create_report_tables(self.database)
        self.projections = all_projections(self.database.engine)
        self.runner = ProjectionRunner(
            self.database, self.council.recorder, self.council.mapper, self.projections
        )
        self.audit = AuditLog(self.database, self.council.recorder)

    @classmethod
    def initialise(cls, settings: Settings) -> Runtime:
        """`council db init`: create every table for the configured database (safe twice)."""
        return cls(settings, create_tables=True)

    def settle(self, log_position: int) -> None:
        """Return once every read model reflects ``log_position``.

        Embedded mode has no projection worker: it catches up here, in-process. With PostgreSQL
        the workers of `council project` do the work and this waits for them (bounded).
        """
        if self.settings.embedded:
            self.runner.catch_up()
            self.audit.catch_up()
        else:
            self.runner.wait_for(log_position, timeout=self.settings.projection_wait_seconds)

    def audit_signing_key(self) -> Ed25519PrivateKey:
        """The checkpoint signing key: the configured file, or one kept beside the database."""
        path = self.settings.audit_key_file
        if path is None:
            path = self.settings.data_dir / ".council-audit-key.pem"
            if not path.exists():
                path.write_bytes(private_pem(Ed25519PrivateKey.generate()))
                path.chmod(0o600)
        return load_private_key(path.read_bytes())

    def close(self) -> None:
        self.council.close()
        self.database.close()
