"""The rules as pure functions: who may read the audit log's inclusion proofs."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain import rules
from domain.values import Actor, OrganisationKind, Role


def _member(kind: OrganisationKind, *roles: Role, platform: bool = False) -> Actor:
    return Actor(
        member_id=uuid4(),
        organisation_id=uuid4(),
        organisation_kind=kind,
        platform=platform,
        roles=frozenset(roles),
    )


@pytest.mark.parametrize(
    ("who", "actor", "reads"),
    [
        ("the public", None, False),
        ("the operator", Actor.operator(), True),
        ("an auditor", _member(OrganisationKind.OBSERVER, Role.AUDITOR), True),
        ("the secretariat", _member(OrganisationKind.SECRETARIAT, Role.SECRETARIAT), True),
        ("an editor of the secretariat", _member(OrganisationKind.SECRETARIAT, Role.EDITOR), False),
        (
            "a Platform CSO's signatory",
            _member(OrganisationKind.CSO, Role.EDITOR, Role.SIGNATORY, platform=True),
            False,
        ),
        ("a state body's editor", _member(OrganisationKind.STATE_BODY, Role.EDITOR), False),
        ("a reader", _member(OrganisationKind.CSO, Role.READER, platform=True), False),
    ],
)
def test_auditors_and_the_secretariat_read_inclusion_proofs_and_no_one_else(
    who: str, actor: Actor | None, reads: bool
) -> None:
    assert rules.can_read_inclusion_proofs(actor) is reads, who


def test_whoever_reads_the_raw_log_also_reads_inclusion_proofs() -> None:
    auditor = _member(OrganisationKind.STATE_BODY, Role.AUDITOR)
    assert rules.can_read_raw_log(auditor)
    assert rules.can_read_inclusion_proofs(auditor)
    secretariat = _member(OrganisationKind.SECRETARIAT, Role.SECRETARIAT)
    assert not rules.can_read_raw_log(secretariat)
    assert rules.can_read_inclusion_proofs(secretariat)
