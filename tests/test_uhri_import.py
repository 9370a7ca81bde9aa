"""Importing UHRI exports and the Government's annex into the Council's record."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import openpyxl  # type: ignore[import-untyped]
import pytest

import graphql_api
from domain.application import Council
from domain.recommendation import Recommendation, recommendation_id
from domain.values import Actor, AssessmentState, ImplementationStatus, Track
from graphql_api.importing import (
    ImportRefused,
    ImportReport,
    Rejection,
    import_government_annex,
    import_uhri,
)
from graphql_api.runtime import Runtime
from projections.open_data import catalogue

DATA = Path(graphql_api.__file__).parent / "data"
SERBIA = DATA / "serbia-upr.csv"
ANNEX = DATA / "serbia-government-annex-cycle2.csv"
SYMBOL = "A/HRC/38/17"

UHRI_HEADER = [
    "OHCHR Annotation Id",
    "Text",
    "Countries Concerned",
    "Regions Concerned",
    "Reccomending Body",
    "Type",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "Document Symbol",
    "Document Publication Date",
    "UPR Session",
    "UPR Reccomending States",
    "UPR Position",
]


def uhri_row(**cells: str) -> dict[str, str]:
    """A good UHRI row; keyword arguments replace cells ("UPR_Position" is "UPR Position")."""
    row = {
        "OHCHR Annotation Id": "",
        "Text": "6.1. Ratify the Optional Protocol (summary)",
        "Countries Concerned": "Serbia",
        "Regions Concerned": "Eastern European States",
        "Reccomending Body": "UPR",
        "Type": "Recommendation",
        "Themes": "- Ratification of international instruments",
        "Affected Persons": "- General",
        "Sdgs": "- 16",
        "Document Symbol": SYMBOL,
        "Document Publication Date": "2018-04-05",
        "UPR Session": "29",
        "UPR Reccomending States": "- Norway",
        "UPR Position": "Supported",
    }
    row.update({name.replace("_", " "): value for name, value in cells.items()})
    return row


def write_uhri_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    columns = header or UHRI_HEADER
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[row.get(column, "") for column in columns] for row in rows])
    path.write_bytes(buffer.getvalue().encode("utf-8").replace(b"BROKEN", b"\xff\xfe"))
    return path


def every_kind_of_bad_row(text_of_6_2: str = "Adopt a law on national minorities") -> list[Any]:
    """Good rows 2, 7 and 10 among every kind of bad row; row numbers as a spreadsheet shows."""
    return [
        uhri_row(),  # row 2
        uhri_row(Text="Ratify the Optional Protocol"),  # 3: no paragraph number
        uhri_row(Reccomending_Body="Committee on Everything"),  # 4: unknown mechanism
        uhri_row(Text="6.4. Protect BROKEN journalists"),  # 5: invalid UTF-8
        uhri_row(Text="6.5. Fund shelters", Themes="x" * 10_000_000),  # 6: a 10 MB cell
        uhri_row(
            Text=f"6.2. {text_of_6_2}", UPR_Reccomending_States="- Hungary\n- Romania"
        ),  # 7: a joint recommendation
        uhri_row(),  # 8: row 2 again
        uhri_row(Text=""),  # 9: empty text
        uhri_row(Text="6.3. Strengthen the Ombudsman", Reccomending_Body="UPR"),  # 10
    ]


EXPECTED_REJECTIONS = {
    3: ("Text", "does not start with a paragraph number"),
    4: ("Reccomending Body", "not a known mechanism"),
    5: ("Text", "broken encoding"),
    6: ("Themes", "10,000,000 characters long"),
    8: ("Text", "A/HRC/38/17 paragraph 6.1 already appears in row 2"),
    9: ("Text", "is empty"),
}


def assert_rejected(report: ImportReport, expected: dict[int, tuple[str, str]]) -> None:
    found = {r.row_number: r for r in report.rejections}
    assert sorted(found) == sorted(expected)
    assert report.rejected == len(expected)
    for row_number, (column, reason) in expected.items():
        assert found[row_number].column == column
        assert reason in found[row_number].reason


def catalogue_rows(runtime: Runtime) -> list[dict[str, Any]]:
    runtime.runner.catch_up()
    return list(catalogue(runtime.database))


def events_after(council: Council, position: int) -> list[Any]:
    notifications = council.recorder.select_notifications(
        start=position, limit=100, inclusive_of_start=False
    )
    return [council.mapper.to_domain_event(n) for n in notifications]


# --- the bundled export ----------------------------------------------------------------------


def test_importing_the_bundled_serbia_export_twice_records_nothing_the_second_time(
    runtime: Runtime,
) -> None:
    first = import_uhri(runtime.council, SERBIA)
    assert (first.rows, first.new, first.updated, first.rejected) == (144, 144, 0, 0)
    before = catalogue_rows(runtime)
    position = runtime.council.log_position()

    second = import_uhri(runtime.council, SERBIA)

    assert (second.new, second.updated, second.unchanged, second.rejected) == (0, 0, 144, 0)
    assert runtime.council.log_position() == position
    assert catalogue_rows(runtime) == before
    assert len(before) == 144


def test_a_joint_recommendation_of_two_states_is_one_recommendation(runtime: Runtime) -> None:
    import_uhri(runtime.council, SERBIA)
    rows = [r for r in catalogue_rows(runtime) if r["paragraph"] == "131.1"]
    assert len(rows) == 1
    assert rows[0]["recommending_states"] == ["Egypt", "Philippines"]
    assert rows[0]["id"] == str(recommendation_id("A/HRC/23/15", "131.1"))


def test_the_import_names_its_file_as_the_source_of_the_catalogue_entries(
    runtime: Runtime,
) -> None:
    import_uhri(runtime.council, SERBIA)
    entry = runtime.council.recommendation(recommendation_id("A/HRC/23/15", "131.4"))
    assert entry.source == "serbia-upr.csv"


# --- bad rows --------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_row_number_column_and_reason_and_good_rows_imported(
    runtime: Runtime, tmp_path: Path
) -> None:
    path = write_uhri_csv(tmp_path / "export.csv", every_kind_of_bad_row())

    report = import_uhri(runtime.council, path)

    assert_rejected(report, EXPECTED_REJECTIONS)
    assert (report.rows, report.new, report.updated, report.unchanged) == (9, 3, 0, 0)
    rows = {r["paragraph"]: r for r in catalogue_rows(runtime)}
    assert sorted(rows) == ["6.1", "6.2", "6.3"]
    assert rows["6.2"]["recommending_states"] == ["Hungary", "Romania"]
    assert str(Rejection(3, "Text", "is empty")) == "row 3, column 'Text': is empty"


def test_a_changed_field_on_reimport_is_exactly_one_update_event_naming_the_new_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    import_uhri(runtime.council, write_uhri_csv(tmp_path / "export.csv", every_kind_of_bad_row()))
    position = runtime.council.log_position()
    changed = every_kind_of_bad_row(text_of_6_2="Adopt and apply a law on national minorities")
    path = write_uhri_csv(tmp_path / "export-2026-02.csv", changed)

    report = import_uhri(runtime.council, path)

    assert (report.new, report.updated, report.unchanged) == (0, 1, 2)
    assert_rejected(report, EXPECTED_REJECTIONS)
    [event] = events_after(runtime.council, position)
    assert isinstance(event, Recommendation.Updated)
    assert event.originator_id == recommendation_id(SYMBOL, "6.2")
    assert event.source == "export-2026-02.csv"
    assert event.changes == {"text": "Adopt and apply a law on national minorities"}
    row = next(r for r in catalogue_rows(runtime) if r["paragraph"] == "6.2")
    assert row["text"] == "Adopt and apply a law on national minorities"


def test_a_row_repeated_in_a_later_batch_is_reported_and_recorded_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    rows = [uhri_row(Text=f"6.{n}. Recommendation {n}") for n in range(1, 6)]
    rows.append(uhri_row(Text="6.1. Recommendation 1"))  # row 7 repeats row 2
    path = write_uhri_csv(tmp_path / "export.csv", rows)
    calls: list[int] = []
    council = runtime.council
    record = council.record_recommendations

    def spy(actor: Actor, entries: Any, *, source: str) -> Any:
        batch = list(entries)
        calls.append(len(batch))
        return record(actor, batch, source=source)

    council.record_recommendations = spy  # type: ignore[method-assign]
    progress: list[int] = []

    report = import_uhri(council, path, batch_size=2, progress=progress.append)

    assert calls == [2, 2, 1]
    assert progress == [2, 4, 6]
    assert report.new == 5
    assert_rejected(report, {7: ("Text", "paragraph 6.1 already appears in row 2")})


# --- file formats and refusals ---------------------------------------------------------------


def test_the_same_export_as_xlsx_and_json_changes_nothing_after_the_csv(
    runtime: Runtime, tmp_path: Path
) -> None:
    rows = [
        uhri_row(Text="6.1. Ratify the Optional Protocol", UPR_Reccomending_States="- Chile"),
        uhri_row(Text="6.2. Adopt a law", UPR_Position="Noted"),
    ]
    workbook = openpyxl.Workbook()
    workbook.active.append(UHRI_HEADER)
    for row in rows:
        workbook.active.append([row[column] for column in UHRI_HEADER])
    workbook.save(tmp_path / "export.xlsx")
    (tmp_path / "export.json").write_text(json.dumps({"data": rows}), encoding="utf-8")

    assert import_uhri(runtime.council, write_uhri_csv(tmp_path / "export.csv", rows)).new == 2
    position = runtime.council.log_position()
    for name in ("export.xlsx", "export.json"):
        report = import_uhri(runtime.council, tmp_path / name)
        assert (report.rows, report.unchanged, report.rejected) == (2, 2, 0), name
    assert runtime.council.log_position() == position


def test_a_file_whose_header_lacks_required_columns_is_refused_as_a_whole(
    runtime: Runtime, tmp_path: Path
) -> None:
    header = [c for c in UHRI_HEADER if c not in ("Reccomending Body", "Document Symbol")]
    path = write_uhri_csv(tmp_path / "export.csv", [uhri_row()], header=header)

    with pytest.raises(ImportRefused) as refused:
        import_uhri(runtime.council, path)

    message = str(refused.value)
    assert "export.csv" in message
    assert "lacks the required column(s) Document Symbol, Reccomending Body" in message
    assert runtime.council.log_position() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("empty.csv", "", "empty.csv: holds no rows"),
        ("export.txt", "Text\n", "cannot read .txt"),
        ("export.json", "{not json", "export.json is not valid JSON"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_message_naming_it(
    runtime: Runtime, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportRefused, match=message):
        import_uhri(runtime.council, path)
    assert runtime.council.log_position() == 0


# --- the Government's annex ------------------------------------------------------------------


class AnnexWorld:
    def __init__(self, council: Council) -> None:
        operator = Actor.operator()
        import_uhri(council, SERBIA)
        self.ministry = council.register_organisation(
            operator, name="Ministry of Human and Minority Rights", kind="state_body"
        ).id
        self.editor = council.register_member(
            operator,
            organisation_id=self.ministry,
            name="Nikola Šablon",
            email="editor@example.org",
            roles=["editor"],
        ).id
        self.reader = council.register_member(
            operator,
            organisation_id=self.ministry,
            name="Luka Model",
            email="reader@example.org",
            roles=["reader"],
        ).id
        self.cso = council.register_organisation(
            operator, name="Roma Inclusion Network", kind="cso", platform=True
        ).id
        self.cso_editor = council.register_member(
            operator,
            organisation_id=self.cso,
            name="Marko Uzorak",
            email="cso@example.org",
            roles=["editor"],
        ).id
        covered = ["131.1", "131.2", "132.1", "133.2", "132.94"]
        self.round_id = council.open_round(
            operator,
            title="UPR cycle 2 review",
            recommendation_ids=[recommendation_id("A/HRC/23/15", p) for p in covered],
            assessments_due=date(2026, 4, 1),
            co_signing_due=date(2026, 4, 15),
            council_session_on=date(2026, 5, 1),
            co_sign_quorum=1,
            cycle=2,
        ).id

    def import_annex(self, council: Council, path: Path = ANNEX, **options: Any) -> ImportReport:
        arguments: dict[str, Any] = {
            "member_id": self.editor,
            "organisation_id": self.ministry,
            "round_id": self.round_id,
        }
        arguments.update(options)
        return import_government_annex(council, path, **arguments)

    def assessment_of(self, runtime: Runtime, paragraph: str) -> Any:
        runtime.runner.catch_up()
        with runtime.database.transaction() as cur:
            cur.execute(
                "SELECT id FROM assessments WHERE recommendation_id = ? AND organisation_id = ?",
                (str(recommendation_id("A/HRC/23/15", paragraph)), str(self.ministry)),
            )
            [(assessment_id,)] = cur.fetchall()
        return runtime.council.assessment(UUID(assessment_id))


@pytest.fixture
def annex_world(runtime: Runtime) -> AnnexWorld:
    return AnnexWorld(runtime.council)


def test_the_governments_ratings_become_draft_government_assessments_marked_as_its_annex(
    runtime: Runtime, annex_world: AnnexWorld
) -> None:
    council = runtime.council
    report = annex_world.import_annex(council)

    assert (report.rows, report.new, report.rejected) == (4, 4, 0)
    first = annex_world.assessment_of(runtime, "131.1")
    assert first.organisation_id == annex_world.ministry
    assert first.track is Track.GOVERNMENT
    assert first.state is AssessmentState.DRAFT
    assert first.current.rating is ImplementationStatus.FULLY_IMPLEMENTED
    assert first.current.author_id == annex_world.editor
    assert first.current.narrative == (
        "Government's annex: Rated full though ICRMW not ratified; ratification judged too costly"
    )
    partial = annex_world.assessment_of(runtime, "131.2")
    assert partial.current.rating is ImplementationStatus.PARTIALLY_IMPLEMENTED


def test_importing_the_annex_again_records_nothing_and_a_changed_rating_revises_the_draft(
    runtime: Runtime, annex_world: AnnexWorld, tmp_path: Path
) -> None:
    council = runtime.council
    annex_world.import_annex(council)
    position = council.log_position()

    again = annex_world.import_annex(council)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    assert council.log_position() == position

    changed = tmp_path / "annex-corrected.csv"
    changed.write_text(
        ANNEX.read_text(encoding="utf-8").replace(
            "131.2,Partial implementation", "131.2,No implementation"
        )
        + "A/HRC/23/15,131.3,Full implementation,not in the round\n"
        + "A/HRC/23/15,999.1,Full implementation,not catalogued\n"
        + "A/HRC/23/15,132.1,Done,bad status\n",
        encoding="utf-8",
    )
    report = annex_world.import_annex(council, changed)

    assert (report.new, report.updated, report.unchanged) == (0, 1, 3)
    assert_rejected(
        report,
        {
            6: ("Paragraph", "is not part of the monitoring round"),
            7: ("Paragraph", "not in the catalogue"),
            8: ("Government Status", "'Done' is not Full implementation"),
        },
    )
    revised = annex_world.assessment_of(runtime, "131.2")
    assert (revised.revision, revised.current.rating) == (2, ImplementationStatus.NOT_IMPLEMENTED)


def test_the_annex_can_open_the_new_assessments_for_signature(
    runtime: Runtime, annex_world: AnnexWorld
) -> None:
    annex_world.import_annex(runtime.council, open_for_signature=True)
    assessment = annex_world.assessment_of(runtime, "133.2")
    assert assessment.state is AssessmentState.OPEN_FOR_SIGNATURE


@pytest.mark.parametrize(
    ("member", "organisation", "message"),
    [
        ("cso_editor", "cso", "is a cso, not a state body"),
        ("cso_editor", "ministry", "does not act for Ministry of Human and Minority Rights"),
        ("reader", "ministry", "is not an editor of Ministry of Human and Minority Rights"),
    ],
)
def test_the_annex_is_refused_unless_an_editor_of_a_state_body_gives_it(
    runtime: Runtime, annex_world: AnnexWorld, member: str, organisation: str, message: str
) -> None:
    position = runtime.council.log_position()
    with pytest.raises(ImportRefused, match=message):
        annex_world.import_annex(
            runtime.council,
            member_id=getattr(annex_world, member),
            organisation_id=getattr(annex_world, organisation),
        )
    assert runtime.council.log_position() == position


def test_an_annex_file_without_a_government_status_column_is_refused(
    runtime: Runtime, annex_world: AnnexWorld, tmp_path: Path
) -> None:
    path = tmp_path / "annex.csv"
    path.write_text("Document Symbol,Paragraph,Note\nA/HRC/23/15,131.1,x\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="lacks the required column"):
        annex_world.import_annex(runtime.council, path)
