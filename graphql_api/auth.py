"""Who is asking: a bearer token names a member; the record says what that member is now."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from domain import rules
from domain.errors import NotAllowed
from domain.rules import Visibility
from domain.values import Actor, PositionState
from graphql_api import tokens
from graphql_api.oidc import OidcVerifier
from graphql_api.runtime import Runtime
from projections.queries.paging import Scope


class AuthError(Exception):
    """The request carries credentials that cannot be accepted (HTTP 401)."""


@dataclass(frozen=True)
class Viewer:
    """The acting member (None: the public). Every question is answered by ``domain.rules``."""

    actor: Actor | None = None

    @property
    def member_id(self) -> UUID | None:
        return self.actor.member_id if self.actor is not None else None

    def sees(self, visibility: str | None, owner_id: str | None = None) -> bool:
        """Whether the viewer sees something of this recorded visibility."""
        if visibility is None:
            return rules.can_see(self.actor, Visibility.ORGANISATION)
        owner = UUID(owner_id) if owner_id else None
        return rules.can_see(self.actor, Visibility(visibility), owner)

    def sees_members(self) -> bool:
        return rules.can_see(self.actor, Visibility.MEMBERS)

    def sees_position_in_full(self, state: str) -> bool:
        """Beyond what publication shows: the drafts, amendments and stances.

        That is what the position's visibility would be had it never been published: a
        published position was adopted first, a reopened one is drafting again.
        """
        current = PositionState(state)
        if current is PositionState.PUBLISHED:
            current = PositionState.ADOPTED
        visibility = rules.position_visibility(current, ever_published=False)
        return rules.can_see(self.actor, visibility)

    def sees_personal_data(self, organisation_id: str) -> bool:
        return rules.can_see_personal_data(self.actor, UUID(organisation_id))

    def reads_raw_log(self) -> bool:
        return rules.can_read_raw_log(self.actor)

    def reads_inclusion_proofs(self) -> bool:
        return rules.can_read_inclusion_proofs(self.actor)

    def sees_hidden_text(self) -> bool:
        return rules.can_see_hidden_text(self.actor)

    @cached_property
    def scope(self) -> Scope:
        """The same answers as ``sees``, as a filter the read side can put in SQL."""
        visible = frozenset(v.value for v in Visibility if rules.can_see(self.actor, v))
        owner = None
        actor = self.actor
        if (
            actor is not None
            and actor.organisation_id is not None
            and rules.can_see(actor, Visibility.ORGANISATION, actor.organisation_id)
        ):
            owner = str(actor.organisation_id)
        return Scope(visible, owner)


PUBLIC = Viewer()


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header; None when there is no header."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must read: Bearer <token>")
    return token.strip()


async def authenticate(
    runtime: Runtime, header: str | None, oidc: OidcVerifier | None = None
) -> Viewer:
    """The viewer named by an Authorization header; the public when there is none.

    Tokens of this council are verified with its key; with ``oidc``, tokens issued by the
    OpenID Connect provider are verified with the provider's keys.
    """
    token = bearer_token(header)
    if token is None:
        return PUBLIC
    try:
        if oidc is not None and oidc.issued(token):
            member_id = await run_in_threadpool(oidc.verify, token)
        else:
            member_id = tokens.verify(runtime.settings, token).member_id
    except tokens.TokenError as error:
        raise AuthError(str(error)) from None
    return await viewer_for(runtime, member_id)


async def viewer_for(runtime: Runtime, member_id: UUID) -> Viewer:
    try:
        actor = await run_in_threadpool(runtime.council.actor_for, member_id)
    except NotAllowed as error:
        raise AuthError(f"the token's member cannot act: {error.message}") from None
    return Viewer(actor)
