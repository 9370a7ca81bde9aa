"""The kinds of report, their parameters and languages: parsed, checked and put in canonical form.

The canonical parameters (defaults filled in, ids in one spelling) decide the report's id, so the
same request always names the same report.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from domain.errors import Invalid
from domain.recommendation import recommendation_id
from domain.report import report_id


class Kind(Enum):
    DOSSIER = "dossier"
    ROUND_SUMMARY = "round_summary"
    AUDIT_TRAIL = "audit_trail"


class Audience(Enum):
    """Who a dossier is written for: Council participants see the working record."""

    COUNCIL = "council"
    PUBLIC = "public"


LANGUAGES = ("en", "sr-Latn", "sr-Cyrl")

_REQUIRED = {
    Kind.DOSSIER: "recommendation",
    Kind.ROUND_SUMMARY: "round",
    Kind.AUDIT_TRAIL: "subject",
}
_ALLOWED = {
    Kind.DOSSIER: {"recommendation", "audience"},
    Kind.ROUND_SUMMARY: {"round"},
    Kind.AUDIT_TRAIL: {"subject"},
}


@dataclass(frozen=True)
class ReportSpec:
    """One report: its kind, canonical parameters and language."""

    kind: Kind
    parameters: dict[str, str]
    language: str

    @property
    def id(self) -> UUID:
        return report_id(self.kind.value, self.parameters, self.language)

    @property
    def subject_id(self) -> str:
        """The recommendation, round or subject the report is about."""
        return self.parameters[_REQUIRED[self.kind]]

    @property
    def audience(self) -> Audience:
        return Audience(self.parameters.get("audience", Audience.COUNCIL.value))


def parse_spec(kind: str, parameters: dict[str, str], language: str) -> ReportSpec:
    """Check a request for a report; raises ``Invalid`` naming the bad field."""
    try:
        parsed_kind = Kind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in Kind)
        raise Invalid("kind", f"{kind!r} is not one of: {allowed}") from None
    if language not in LANGUAGES:
        raise Invalid("language", f"{language!r} is not one of: {', '.join(LANGUAGES)}")
    unknown = sorted(set(parameters) - _ALLOWED[parsed_kind])
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED[parsed_kind]))
        raise Invalid(
            f"parameters.{unknown[0]}", f"a {parsed_kind.value} report takes only: {allowed}"
        )
    required = _REQUIRED[parsed_kind]
    if not parameters.get(required, "").strip():
        raise Invalid(f"parameters.{required}", "is required")
    canonical = {required: _id(required, parameters[required].strip(), parsed_kind)}
    if parsed_kind is Kind.DOSSIER:
        audience = parameters.get("audience", Audience.COUNCIL.value).strip()
        try:
            canonical["audience"] = Audience(audience).value
        except ValueError:
            raise Invalid("parameters.audience", "is council or public") from None
    return ReportSpec(parsed_kind, dict(sorted(canonical.items())), language)


def _id(name: str, value: str, kind: Kind) -> str:
    """An id in its canonical spelling; a recommendation may also be named SYMBOL#PARAGRAPH."""
    try:
        return str(UUID(value))
    except ValueError:
        pass
    if kind is Kind.DOSSIER and "#" in value:
        symbol, _, paragraph = value.rpartition("#")
        if symbol.strip() and paragraph.strip():
            return str(recommendation_id(symbol.strip(), paragraph.strip()))
    hint = " or SYMBOL#PARAGRAPH (A/HRC/23/15#131.4)" if kind is Kind.DOSSIER else ""
    raise Invalid(f"parameters.{name}", f"{value!r} is not an id{hint}")
