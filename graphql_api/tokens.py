"""Bearer tokens: signed JWTs naming a member of one council."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import jwt

from graphql_api.settings import Settings, SettingsError

ALGORITHM = "HS256"
ISSUER = "council-ledger"
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class TokenError(ValueError):
    """A token that cannot be accepted; the message says why (never which secret)."""


@dataclass(frozen=True)
class TokenClaims:
    member_id: UUID
    expires_at: datetime


def parse_ttl(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"--ttl {text!r}: write a number and a unit, like 30m, 8h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    ttl = timedelta(**{_UNITS[unit]: amount})
    if not timedelta(minutes=1) <= ttl <= timedelta(days=365):
        raise ValueError(f"--ttl {text!r}: must be between 1 minute and 365 days")
    return ttl


def signing_key(settings: Settings) -> str:
    """The configured secret, or (embedded mode) one created once and kept beside the database."""
    if settings.secret_key:
        return settings.secret_key
    if not settings.embedded:
        raise SettingsError(
            "COUNCIL_SECRET_KEY must be set with a PostgreSQL database, so that every API process"
            " signs and checks tokens with the same key"
        )
    path = settings.data_dir / ".council-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return Path(path).read_text().strip()


def audience(settings: Settings) -> str:
    """Tokens are for one council: its database and schema."""
    db = settings.database
    where = str(db.path.resolve()) if db.path is not None else f"{db.host}:{db.port}/{db.dbname}"
    return f"council:{where}#{db.schema}"


def issue(
    settings: Settings, member_id: UUID, ttl: timedelta, *, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(member_id),
        "iss": ISSUER,
        "aud": audience(settings),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def verify(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            audience=audience(settings),
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenError("the token is for another council") from None
    except jwt.PyJWTError as error:
        raise TokenError(f"the token is not valid: {error}") from None
    try:
        member_id = UUID(str(claims["sub"]))
    except ValueError:
        raise TokenError("the token names no member") from None
    return TokenClaims(member_id, datetime.fromtimestamp(int(claims["exp"]), UTC))
