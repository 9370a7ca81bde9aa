"""Import UHRI exports into the catalogue, and the Government's annex as government assessments.

A UHRI export (CSV, XLSX or JSON, with UHRI's own column names) is read one row at a time. Each
row becomes a catalogue entry or a rejection naming its row number, column and reason; good rows
are recorded in batches, each batch one ``Council.record_recommendations`` call and so one
transaction. Re-importing the same file records nothing; a changed field becomes one update event
whose ``source`` names the file. Memory stays flat: only a batch, the ids already seen (to report a
row that appears twice) and the first rejections are kept.

The Government's annex (Document Symbol, Paragraph, Government Status, Note) becomes one
government-track assessment per rating, proposed in a monitoring round by a named editor of the
state body that gives it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid5

from domain import rules
from domain.application import Council
from domain.assessment import Assessment
from domain.errors import DomainError, Invalid, NotFound
from domain.recommendation import CatalogueEntry
from domain.round import MonitoringRound
from domain.uhri import (
    BODY,
    DOCUMENT_DATE,
    DOCUMENT_SYMBOL,
    GOVERNMENT_STATUS,
    PARAGRAPH,
    REQUIRED_COLUMNS,
    TEXT,
    GovernmentRating,
    RowRejected,
    missing_columns,
    parse_government_row,
    parse_row,
)
from domain.values import Actor, AssessmentState, OrganisationKind
from graphql_api.uhri_files import NumberedRow, read_rows

DEFAULT_BATCH_SIZE = 500
# Rejections kept for the report; beyond these only the count grows, so memory stays flat.
KEPT_REJECTIONS = 1_000
ANNEX_COLUMNS = (DOCUMENT_SYMBOL, PARAGRAPH, GOVERNMENT_STATUS)
ANNEX_MARK = "Government's annex"

# The UHRI column behind each catalogue field that CatalogueEntry.validate() may name.
_COLUMN_OF_FIELD = {
    "mechanism": BODY[0],
    "document_symbol": DOCUMENT_SYMBOL,
    "paragraph": TEXT,
    "text": TEXT,
    "document_date": DOCUMENT_DATE,
}

Progress = Callable[[int], None]


class ImportRefused(ValueError):
    """A whole file is refused: missing, unreadable, empty or without the required columns."""


@dataclass(frozen=True)
class Rejection:
    """One skipped row: its number as a person sees it, the column, and what is wrong."""

    row_number: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_number}, column {self.column!r}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did. ``stopped`` says why reading ended early, if it did."""

    file: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    log_position: int = 0
    stopped: str | None = None

    def reject(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < KEPT_REJECTIONS:
            self.rejections.append(rejection)

    def summary(self, shown: int = 20) -> list[str]:
        """The lines an operator reads at the end: the counts, then the first rejections."""
        lines = [
            f"{self.file}: {self.rows:,} rows read: {self.new:,} new, {self.updated:,} updated,"
            f" {self.unchanged:,} unchanged, {self.rejected:,} rejected"
        ]
        if self.rejected:
            first = self.rejections[:shown]
            lines.append(f"rejected rows (the first {len(first)} of {self.rejected:,}):")
            lines.extend(f"  {rejection}" for rejection in first)
        if self.stopped:
            lines.append(f"reading stopped early: {self.stopped}")
            lines.append("the rows before that point were imported; importing again is safe")
        return lines


# --- UHRI exports ----------------------------------------------------------------------------


def import_uhri(
    council: Council,
    path: Path,
    *,
    actor: Actor | None = None,
    source: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a UHRI export into the catalogue; ``source`` (the file name by default) is recorded.

    Raises :class:`ImportRefused` before recording anything when the file cannot be used at all.
    ``progress`` is called with the number of rows read after each batch.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    actor = actor or Actor.operator()
    rows = _open_rows(path, missing_columns, REQUIRED_COLUMNS)
    report = ImportReport(file=path.name)
    source = source or path.name
    first_row_of: dict[int, int] = {}
    batch: list[CatalogueEntry] = []
    for row_number, row in _until_unreadable(rows, report):
        report.rows += 1
        entry = _entry(row, row_number, first_row_of, report)
        if entry is not None:
            batch.append(entry)
        if len(batch) >= batch_size:
            _record(council, actor, batch, source, report)
            batch = []
            if progress is not None:
                progress(report.rows)
    _record(council, actor, batch, source, report)
    if report.log_position == 0:
        report.log_position = council.log_position()
    if progress is not None:
        progress(report.rows)
    return report


def _entry(
    row: dict[str, object], row_number: int, first_row_of: dict[int, int], report: ImportReport
) -> CatalogueEntry | None:
    try:
        entry = parse_row(row, row_number)
        entry.validate()
    except RowRejected as rejection:
        report.reject(Rejection(rejection.row_number, rejection.field, rejection.reason))
        return None
    except Invalid as invalid:
        column = _COLUMN_OF_FIELD.get(invalid.field, invalid.field)
        report.reject(Rejection(row_number, column, invalid.reason))
        return None
    # UUIDs as ints: about a hundred bytes per row remembered, for 100,000 rows some 10 MB.
    first = first_row_of.setdefault(entry.id.int, row_number)
    if first != row_number:
        where = f"{entry.document_symbol} paragraph {entry.paragraph}"
        report.reject(Rejection(row_number, TEXT, f"{where} already appears in row {first}"))
        return None
    return entry


def _record(
    council: Council,
    actor: Actor,
    batch: list[CatalogueEntry],
    source: str,
    report: ImportReport,
) -> None:
    if not batch:
        return
    outcome = council.record_recommendations(actor, batch, source=source)
    report.new += outcome.new
    report.updated += outcome.updated
    report.unchanged += outcome.unchanged
    report.log_position = outcome.log_position


# --- the Government's annex ------------------------------------------------------------------


@dataclass(frozen=True)
class AnnexTarget:
    """Who gives the Government's ratings, and in which monitoring round."""

    member: Actor
    organisation_id: UUID
    organisation_name: str
    monitoring_round: MonitoringRound


def import_government_annex(
    council: Council,
    path: Path,
    *,
    member_id: UUID,
    organisation_id: UUID,
    round_id: UUID,
    open_for_signature: bool = False,
) -> ImportReport:
    """Each rating of the annex becomes a government-track assessment in the round.

    The assessment is proposed by ``member_id``, an editor of the state body ``organisation_id``;
    the annex's ``Note`` goes into the narrative, marked as the Government's annex. New assessments
    stay drafts unless ``open_for_signature``. Importing the same annex again records nothing; a
    changed rating or note revises the state body's assessment while it is a draft or open for
    signature, and is rejected once it was submitted.
    """
    target = annex_target(council, member_id, organisation_id, round_id)
    rows = _open_rows(path, _lacking(ANNEX_COLUMNS), ANNEX_COLUMNS)
    report = ImportReport(file=path.name)
    first_row_of: dict[int, int] = {}
    for row_number, row in _until_unreadable(rows, report):
        report.rows += 1
        try:
            rating = parse_government_row(row, row_number)
        except RowRejected as rejection:
            report.reject(Rejection(rejection.row_number, rejection.field, rejection.reason))
            continue
        first = first_row_of.setdefault(rating.recommendation_id.int, row_number)
        if first != row_number:
            where = f"{rating.document_symbol} paragraph {rating.paragraph}"
            report.reject(
                Rejection(row_number, PARAGRAPH, f"{where} already appears in row {first}")
            )
            continue
        try:
            _assess(council, target, rating, open_for_signature, report)
        except Invalid as invalid:
            report.reject(Rejection(row_number, invalid.field, invalid.reason))
        except DomainError as error:
            report.reject(Rejection(row_number, PARAGRAPH, error.message))
    report.log_position = council.log_position()
    return report


def annex_target(
    council: Council, member_id: UUID, organisation_id: UUID, round_id: UUID
) -> AnnexTarget:
    """Check, before reading the file, that this member may give this state body's ratings."""
    organisation = council.organisation(organisation_id)
    if organisation.kind is not OrganisationKind.STATE_BODY:
        raise ImportRefused(
            f"{organisation.name} ({organisation_id}) is a {organisation.kind.value}, not a state"
            " body: the Government's ratings are given by a state body"
        )
    member = council.actor_for(member_id)
    if member.organisation_id != organisation_id:
        raise ImportRefused(
            f"member {member_id} does not act for {organisation.name}; name an editor of it"
        )
    if not rules.may_propose_assessment(member):
        raise ImportRefused(
            f"member {member_id} is not an editor of {organisation.name}; only editors propose"
            " assessments"
        )
    monitoring_round = council.round(round_id)
    monitoring_round.ensure_open()
    return AnnexTarget(member, organisation_id, organisation.name, monitoring_round)


def annex_narrative(rating: GovernmentRating) -> str:
    """The narrative of an imported rating: the annex's note, marked as the Government's."""
    if rating.note:
        return f"{ANNEX_MARK}: {rating.note}"
    return f"{ANNEX_MARK}: rated without a note."


def _assess(
    council: Council,
    target: AnnexTarget,
    rating: GovernmentRating,
    open_for_signature: bool,
    report: ImportReport,
) -> None:
    where = f"{rating.document_symbol} paragraph {rating.paragraph}"
    try:
        council.recommendation(rating.recommendation_id)
    except NotFound:
        raise Invalid(
            PARAGRAPH, f"{where} is not in the catalogue; import its UHRI export first"
        ) from None
    round_ = target.monitoring_round
    if not round_.covers(rating.recommendation_id):
        raise Invalid(PARAGRAPH, f"{where} is not part of the monitoring round {round_.title!r}")
    narrative = annex_narrative(rating)
    existing = _existing_assessment(council, target, rating.recommendation_id)
    if existing is None:
        outcome = council.propose_assessment(
            target.member,
            round_id=round_.id,
            recommendation_id=rating.recommendation_id,
            rating=rating.rating,
            narrative=narrative,
        )
        if open_for_signature:
            council.open_assessment_for_signature(target.member, outcome.id, expected_revision=1)
        report.new += 1
        return
    same = existing.current.rating is rating.rating and existing.current.narrative == narrative
    opens = open_for_signature and existing.state is AssessmentState.DRAFT
    if same and not opens:
        report.unchanged += 1
        return
    if existing.state not in (AssessmentState.DRAFT, AssessmentState.OPEN_FOR_SIGNATURE):
        raise Invalid(
            GOVERNMENT_STATUS,
            f"{target.organisation_name}'s assessment of {where} is {existing.state.value};"
            " a re-import changes only drafts and assessments open for signature",
        )
    revision = existing.revision
    if not same:
        council.revise_assessment(
            target.member,
            existing.id,
            expected_revision=revision,
            rating=rating.rating,
            narrative=narrative,
        )
        revision += 1
    if opens:
        council.open_assessment_for_signature(
            target.member, existing.id, expected_revision=revision
        )
    report.updated += 1


def _existing_assessment(
    council: Council, target: AnnexTarget, recommendation_id: UUID
) -> Assessment | None:
    # The id Council.propose_assessment gives the one assessment of an organisation per
    # recommendation and round (see domain/application.py).
    assessment_id = uuid5(
        target.monitoring_round.id, f"assessment:{target.organisation_id}:{recommendation_id}"
    )
    try:
        return council.assessment(assessment_id)
    except NotFound:
        return None


# --- reading files ---------------------------------------------------------------------------


def _open_rows(
    path: Path,
    lacking: Callable[[list[str]], list[str]],
    required: tuple[str | tuple[str, ...], ...],
) -> Iterator[NumberedRow]:
    """The file's rows, once its header has been checked; refuses the file as a whole."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    try:
        rows = read_rows(path)
        first = next(rows, None)
    except ValueError as error:
        raise ImportRefused(str(error)) from error
    except OSError as error:
        raise ImportRefused(f"{path}: cannot be read: {error.strerror or error}") from error
    if first is None:
        raise ImportRefused(f"{path.name}: holds no rows")
    header = list(first[1])
    missing = lacking(header)
    if missing:
        names = ", ".join(n if isinstance(n, str) else n[0] for n in required)
        raise ImportRefused(
            f"{path.name}: the header lacks the required column(s) {', '.join(missing)}"
            f" (required: {names}); no row was imported"
        )
    return itertools.chain([first], rows)


def _until_unreadable(rows: Iterator[NumberedRow], report: ImportReport) -> Iterator[NumberedRow]:
    """The rows up to the point where the file cannot be read any further (noted in the report)."""
    try:
        yield from rows
    except ValueError as error:
        report.stopped = str(error)


def _lacking(required: tuple[str, ...]) -> Callable[[list[str]], list[str]]:
    def lacking(header: list[str]) -> list[str]:
        present = {column.strip().casefold() for column in header}
        return [name for name in required if name.casefold() not in present]

    return lacking
