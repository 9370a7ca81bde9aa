"""Tokens from an OpenID Connect provider: verified with the provider's published keys (JWKS),
mapped to a member of this council through a claim the provider sets.

Configured by ``OidcConfig``; the API accepts both its own tokens (issuer ``council-ledger``) and
the provider's. Key fetches are cached by PyJWKClient and run in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import jwt

from graphql_api.tokens import TokenError


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str
    member_claim: str = "council_member_id"
    algorithms: tuple[str, ...] = ("RS256", "ES256", "PS256")


class OidcVerifier:
    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._keys = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=10)

    def issued(self, token: str) -> bool:
        """Whether the (not yet verified) token says it comes from the provider."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == self.config.issuer

    def verify(self, token: str) -> UUID:
        """The member the provider's token names; blocking (it may fetch the keys)."""
        config = self.config
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(config.algorithms),
                audience=config.audience,
                issuer=config.issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.PyJWKClientError as error:
            raise TokenError(f"the identity provider's keys cannot be used: {error}") from None
        except jwt.PyJWTError as error:
            raise TokenError(f"the token is not valid: {error}") from None
        try:
            return UUID(str(claims[config.member_claim]))
        except (KeyError, ValueError):
            raise TokenError(
                f"the token's {config.member_claim!r} claim names no member of this council"
            ) from None
