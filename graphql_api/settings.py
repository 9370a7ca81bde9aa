"""Settings: the one place that reads the environment. Every wrong value fails loudly, by name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from projections.db import DatabaseUrl, DatabaseUrlError

DEFAULT_DATABASE_URL = "sqlite:///council.db"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    database: DatabaseUrl
    schema: str
    secret_key: str | None
    production: bool
    log_level: str
    log_format: str
    projection_wait_seconds: float
    graphiql: bool
    introspection: bool
    origin: str
    audit_key_file: Path | None
    audit_signer: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        production = _flag(env, "COUNCIL_PRODUCTION", default=False)
        url = env.get("COUNCIL_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        schema = env.get("COUNCIL_SCHEMA", "").strip() or "public"
        try:
            database = DatabaseUrl.parse(url, schema=schema)
        except DatabaseUrlError as error:
            raise SettingsError(f"COUNCIL_DATABASE_URL: {error}") from None
        secret = env.get("COUNCIL_SECRET_KEY", "").strip() or None
        if production and not secret:
            raise SettingsError("COUNCIL_SECRET_KEY must be set when COUNCIL_PRODUCTION is on")
        if secret is not None and len(secret) < 32:
            raise SettingsError("COUNCIL_SECRET_KEY must be at least 32 characters long")
        if production and database.engine == "sqlite":
            raise SettingsError(
                "COUNCIL_DATABASE_URL must name a PostgreSQL database when COUNCIL_PRODUCTION is on"
            )
        level = env.get("COUNCIL_LOG_LEVEL", "info").strip().lower()
        if level not in ("debug", "info", "warning", "error"):
            raise SettingsError(
                f"COUNCIL_LOG_LEVEL: {level!r} is not debug, info, warning or error"
            )
        log_format = env.get("COUNCIL_LOG_FORMAT", "json" if production else "console").strip()
        if log_format not in ("json", "console"):
            raise SettingsError(f"COUNCIL_LOG_FORMAT: {log_format!r} is not json or console")
        return cls(
            database_url=url,
            database=database,
            schema=schema,
            secret_key=secret,
            production=production,
            log_level=level,
            log_format=log_format,
            projection_wait_seconds=_number(env, "COUNCIL_PROJECTION_WAIT_SECONDS", 10.0),
            graphiql=_flag(env, "COUNCIL_GRAPHIQL", default=not production),
            introspection=_flag(env, "COUNCIL_INTROSPECTION", default=not production),
            origin=_line(env, "COUNCIL_ORIGIN", "council-ledger"),
            audit_key_file=_audit_key_file(env, production),
            audit_signer=_word(env, "COUNCIL_AUDIT_SIGNER", "secretariat"),
        )

    @property
    def embedded(self) -> bool:
        return self.database.engine == "sqlite"

    @property
    def data_dir(self) -> Path:
        """Where embedded mode keeps its files (the directory of the SQLite file)."""
        if self.database.path is not None:
            return self.database.path.resolve().parent
        return Path.cwd()


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: {raw!r} is not on/off (1, true, yes, on / 0, false, no, off)")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}: must be greater than 0")
    return value


def _line(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if "\n" in value or len(value) > 200:
        raise SettingsError(f"{name}: must be one line of at most 200 characters")
    return value


def _word(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if any(ch.isspace() for ch in value) or len(value) > 64:
        raise SettingsError(f"{name}: must be one word (no spaces) of at most 64 characters")
    return value


def _audit_key_file(env: Mapping[str, str], production: bool) -> Path | None:
    raw = env.get("COUNCIL_AUDIT_KEY_FILE", "").strip()
    if not raw:
        if production:
            raise SettingsError(
                "COUNCIL_AUDIT_KEY_FILE must name the Ed25519 checkpoint signing key (PEM)"
                " when COUNCIL_PRODUCTION is on"
            )
        return None
    path = Path(raw)
    if not path.is_file():
        raise SettingsError(f"COUNCIL_AUDIT_KEY_FILE: no such file: {raw}")
    return path
