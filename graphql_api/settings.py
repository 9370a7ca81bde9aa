"""Settings: the one place that reads the environment. Every wrong value fails loudly, by name."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from projections.db import DatabaseUrl, DatabaseUrlError

DEFAULT_DATABASE_URL = "sqlite:///council.db"
DEFAULT_OIDC_MEMBER_CLAIM = "council_member_id"
"""The claim that names the member (``graphql_api.oidc.OidcConfig.member_claim``)."""
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_OIDC_REQUIRED = ("COUNCIL_OIDC_ISSUER", "COUNCIL_OIDC_AUDIENCE", "COUNCIL_OIDC_JWKS_URL")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class OidcSettings:
    """An OpenID Connect provider whose tokens the API accepts besides its own."""

    issuer: str
    audience: str
    jwks_url: str
    member_claim: str = DEFAULT_OIDC_MEMBER_CLAIM


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
    oidc: OidcSettings | None = None
    audit_checkpoint_seconds: float | None = None
    """How often `council project` signs a checkpoint of a grown audit tree (None: never)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        production = _flag(env, "COUNCIL_PRODUCTION", default=False)
        url = env.get("COUNCIL_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        schema = env.get("COUNCIL_SCHEMA", "").strip() or "public"
        _check_schema(schema)
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
            oidc=_oidc(env),
            audit_checkpoint_seconds=(
                _number(env, "COUNCIL_AUDIT_CHECKPOINT_SECONDS", 0.0)
                if env.get("COUNCIL_AUDIT_CHECKPOINT_SECONDS", "").strip()
                else None
            ),
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
    if not math.isfinite(value):
        raise SettingsError(f"{name}: {raw!r} is not a finite number")
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


def parse_port(text: str) -> int:
    """A TCP port to listen on, as given on the command line."""
    raw = text.strip()
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"{text!r} is not a port number (a whole number from 1 to 65535)")
    return int(raw)


def _check_schema(schema: str) -> None:
    if not _SCHEMA.fullmatch(schema):
        raise SettingsError(
            f"COUNCIL_SCHEMA: {schema!r} must start with a lower-case letter or _, hold only"
            " lower-case letters, digits and _, and be at most 41 characters long"
        )


def _oidc(env: Mapping[str, str]) -> OidcSettings | None:
    """The provider: all of issuer, audience and key URL, or none of them."""
    given = {name: env.get(name, "").strip() for name in _OIDC_REQUIRED}
    claim = env.get("COUNCIL_OIDC_MEMBER_CLAIM", "").strip()
    if not any(given.values()):
        if claim:
            raise SettingsError(
                "COUNCIL_OIDC_MEMBER_CLAIM is set, but an OpenID Connect provider is used only"
                f" when {', '.join(_OIDC_REQUIRED)} are set too"
            )
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        present = [name for name, value in given.items() if value]
        raise SettingsError(
            f"{' and '.join(missing)} must be set too: {', '.join(present)} names an OpenID"
            f" Connect provider, which needs all of {', '.join(_OIDC_REQUIRED)}"
        )
    return OidcSettings(
        issuer=_http_url(env, "COUNCIL_OIDC_ISSUER"),
        audience=_line(env, "COUNCIL_OIDC_AUDIENCE", ""),
        jwks_url=_http_url(env, "COUNCIL_OIDC_JWKS_URL"),
        member_claim=_word(env, "COUNCIL_OIDC_MEMBER_CLAIM", DEFAULT_OIDC_MEMBER_CLAIM),
    )


def _http_url(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if any(ch.isspace() for ch in raw):
        raise SettingsError(f"{name}: {raw!r} must not contain spaces")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{name}: {raw!r} is not an http(s) URL, like https://login.example.org/realms/council"
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number from 0 to 65535)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} has a port that is not a number") from None
    return raw
