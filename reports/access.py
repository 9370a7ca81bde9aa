"""Who may read and who may generate which report; every answer comes from ``domain.rules``.

* a dossier's public edition: everyone (it holds only what the public sees anyway);
* a dossier's Council edition and a round summary: Council participants, auditors, the operator;
* an audit trail: auditors, the secretariat and the operator.

Generating needs ``rules.may_generate_report`` as well as the right to read the report.
"""

from __future__ import annotations

from domain import rules
from domain.rules import Visibility
from domain.values import Actor
from projections.queries.paging import Scope
from reports.kinds import Audience, Kind, ReportSpec


def may_read(viewer: Actor | None, kind: str, parameters: dict[str, str]) -> bool:
    """Whether ``viewer`` (None: the public) may read a report of this kind and parameters."""
    if kind == Kind.AUDIT_TRAIL.value:
        return viewer is not None and (
            rules.can_read_raw_log(viewer) or rules.is_secretariat(viewer)
        )
    if kind == Kind.DOSSIER.value and parameters.get("audience") == Audience.PUBLIC.value:
        return rules.can_see(viewer, Visibility.PUBLIC)
    return rules.can_see(viewer, Visibility.COUNCIL)


def may_generate(actor: Actor, spec: ReportSpec) -> bool:
    return rules.may_generate_report(actor) and may_read(actor, spec.kind.value, spec.parameters)


def history_scope(viewer: Actor | None) -> Scope:
    """What of the history ``viewer`` sees, as a filter for the read side (as the API does)."""
    visible = frozenset(v.value for v in Visibility if rules.can_see(viewer, v))
    owner = None
    if viewer is not None and viewer.organisation_id is not None:
        owner = str(viewer.organisation_id)
    return Scope(visible, owner)
