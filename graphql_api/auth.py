"""Who is asking: a bearer token names a member; the record says what that member is now."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from domain import rules
from domain.rules import Visibility
from domain.values import Actor, OrganisationKind, PositionState, Role
from graphql_api import tokens
from graphql_api.oidc import OidcVerifier
from graphql_api.settings import Settings
from projections.queries.directory import acting_member
from projections.queries.paging import Scope
from projections.queries.store import ReadStore


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

    def reads_audit_proofs(self) -> bool:
        return rules.can_read_audit_proofs(self.actor)

    reads_inclusion_proofs = reads_audit_proofs

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


Positions = Sequence[tuple[str, int]]
"""Every read model's position, as ``projections.queries.history.projection_positions`` reads."""


class Viewers:
    """Acting members as the directory read model knows them, kept while it stays where it is.

    A member is read with the directory's position in one statement, and that reading is used
    again only for a request whose freshly read positions show the directory at the same place:
    a member suspended, erased or given other roles is seen by the next request after the
    directory applies it, through whichever process it was written.
    """

    def __init__(self, store: ReadStore, settings: Settings, *, size: int = 4096) -> None:
        self.store = store
        self.settings = settings
        self.size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[UUID, tuple[int, Actor | str]] = OrderedDict()
        self._verified: OrderedDict[str, tokens.TokenClaims] = OrderedDict()

    def member_of(self, token: str) -> UUID:
        """The member a token of this council names; TokenError when it cannot be accepted.

        A token's signature and claims are checked once; after that only its expiry, which
        is all that can change about it."""
        claims = self._verified.get(token)
        if claims is None:
            claims = tokens.verify(self.settings, token)
            self._verified[token] = claims
            while len(self._verified) > self.size:
                self._verified.popitem(last=False)
        elif claims.expires_at.timestamp() <= time.time():
            del self._verified[token]
            raise tokens.TokenError("the token has expired")
        return claims.member_id

    async def viewer(self, member_id: UUID, positions: Positions | None = None) -> Viewer:
        """The viewer acting as ``member_id``; AuthError when that member cannot act.

        With ``positions`` just read, a reading made at the same directory position answers
        without a statement."""
        found = self._kept(member_id, positions)
        if found is None:
            found = await run_in_threadpool(self._read, member_id)
        if isinstance(found, str):
            raise AuthError(f"the token's member cannot act: {found}")
        return Viewer(found)

    def _kept(self, member_id: UUID, positions: Positions | None) -> Actor | str | None:
        if positions is None:
            return None
        directory = next((p for name, p in positions if name == "directory"), None)
        with self._lock:
            kept = self._known.get(member_id)
            if kept is None or kept[0] != directory:
                return None
            self._known.move_to_end(member_id)
            return kept[1]

    def _read(self, member_id: UUID) -> Actor | str:
        row, position = acting_member(self.store, str(member_id))
        found: Actor | str
        if row is None:
            found = "the member is not known to this council"
        elif not row.active:
            found = "the member is no longer active"
        else:
            found = Actor(
                member_id=member_id,
                organisation_id=UUID(row.organisation_id),
                organisation_kind=OrganisationKind(row.organisation_kind),
                platform=row.platform,
                roles=frozenset(Role(role) for role in row.roles),
            )
        with self._lock:
            self._known[member_id] = (position, found)
            self._known.move_to_end(member_id)
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        return found


async def authenticate(
    viewers: Viewers,
    header: str | None,
    oidc: OidcVerifier | None = None,
    *,
    positions: Positions | None = None,
) -> Viewer:
    """The viewer named by an Authorization header; the public when there is none.

    Tokens of this council are verified with its key; with ``oidc``, tokens issued by the
    OpenID Connect provider are verified with the provider's keys. The member is read from the
    directory read model (see ``Viewers``); ``positions``, when the caller has just read them,
    spare that read while the directory has not moved.
    """
    token = bearer_token(header)
    if token is None:
        return PUBLIC
    try:
        if oidc is not None and oidc.issued(token):
            member_id = await run_in_threadpool(oidc.verify, token)
        else:
            member_id = viewers.member_of(token)
    except tokens.TokenError as error:
        raise AuthError(str(error)) from None
    return await viewers.viewer(member_id, positions)
