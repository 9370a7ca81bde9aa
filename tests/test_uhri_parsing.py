"""The UHRI export parser: the bundled Serbia data, and bad rows in CSV, XLSX and JSON files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest

import graphql_api
from domain.recommendation import MECHANISMS, CatalogueEntry, recommendation_id
from domain.uhri import (
    MAX_CELL_CHARACTERS,
    GovernmentRating,
    RowRejected,
    missing_columns,
    parse_government_row,
    parse_row,
)
from domain.values import ImplementationStatus, StateResponse
from graphql_api.uhri_files import count_rows, read_rows

DATA = Path(graphql_api.__file__).parent / "data"
SERBIA = DATA / "serbia-upr.csv"
GOVERNMENT_ANNEX = DATA / "serbia-government-annex-cycle2.csv"

HEADER = [
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


def uhri_row(**cells: object) -> dict[str, object]:
    """A good UHRI row; keyword arguments replace cells ("Reccomending_Body" -> column name)."""
    row: dict[str, object] = {
        "OHCHR Annotation Id": "",
        "Text": "6.1. Ratify the Optional Protocol (summary)",
        "Countries Concerned": "Serbia",
        "Regions Concerned": "Eastern European States",
        "Reccomending Body": "UPR",
        "Type": "Recommendation",
        "Themes": "- Ratification of international instruments",
        "Affected Persons": "- General",
        "Sdgs": "- 16",
        "Document Symbol": "A/HRC/38/17",
        "Document Publication Date": "2018-04-05",
        "UPR Session": "29",
        "UPR Reccomending States": "- Norway",
        "UPR Position": "Supported",
    }
    row.update({name.replace("_", " "): value for name, value in cells.items()})
    return row


def import_file(path: Path) -> tuple[list[CatalogueEntry], dict[int, RowRejected]]:
    """What an import does: parse each row, keep the entries and the rejections by row number."""
    entries: list[CatalogueEntry] = []
    rejected: dict[int, RowRejected] = {}
    for row_number, row in read_rows(path):
        try:
            entries.append(parse_row(row, row_number))
        except RowRejected as rejection:
            rejected[row_number] = rejection
    return entries, rejected


def assert_rejected(rejected: dict[int, RowRejected], expected: dict[int, tuple[str, str]]) -> None:
    """Each expected row was rejected, naming its row number, the column and the reason."""
    assert sorted(rejected) == sorted(expected)
    for row_number, (column, reason) in expected.items():
        rejection = rejected[row_number]
        assert rejection.row_number == row_number
        assert rejection.field == column
        assert reason in rejection.reason
        assert f"row {row_number}" in str(rejection)
        assert column in str(rejection)


@pytest.fixture(scope="module")
def serbia() -> dict[str, CatalogueEntry]:
    entries, rejected = import_file(SERBIA)
    assert rejected == {}
    return {entry.paragraph: entry for entry in entries}


# The bundled Serbia export


def test_the_bundled_serbia_export_gives_144_recommendations(
    serbia: dict[str, CatalogueEntry],
) -> None:
    assert len(serbia) == 144
    assert {entry.mechanism for entry in serbia.values()} == {"UPR"}
    assert {entry.document_symbol for entry in serbia.values()} == {"A/HRC/23/15"}


def test_every_id_is_the_annotation_id_of_the_export() -> None:
    for row_number, row in read_rows(SERBIA):
        entry = parse_row(row, row_number)
        assert str(entry.id) == row["OHCHR Annotation Id"] == entry.annotation_id
        assert entry.id == recommendation_id("A/HRC/23/15", entry.paragraph)


def test_paragraph_131_1_has_two_recommending_states_and_several_themes(
    serbia: dict[str, CatalogueEntry],
) -> None:
    entry = serbia["131.1"]
    assert entry.recommending_states == ["Egypt", "Philippines"]
    assert entry.themes == [
        "Ratification of international instruments",
        "Refugees, asylum and migrants",
    ]
    assert entry.affected_persons == ["Migrants"]
    assert entry.sdgs == ["8", "10"]
    assert entry.countries == ["Serbia"]
    assert entry.regions == ["Eastern European States"]


def test_the_text_keeps_everything_after_the_paragraph_number(
    serbia: dict[str, CatalogueEntry],
) -> None:
    text = serbia["131.1"].text
    assert text.startswith("Consider finishing ratification")
    assert text.endswith("(summary)")


def test_the_serbia_recommendations_belong_to_session_15_of_the_second_cycle(
    serbia: dict[str, CatalogueEntry],
) -> None:
    assert {(e.session, e.cycle) for e in serbia.values()} == {("15", 2)}
    assert {e.document_date for e in serbia.values()} == {"2013-03-22"}


def test_the_state_responses_follow_the_report(serbia: dict[str, CatalogueEntry]) -> None:
    noted = {p for p, e in serbia.items() if e.state_response is StateResponse.NOTED}
    supported = [e for e in serbia.values() if e.state_response is StateResponse.SUPPORTED]
    assert noted == {"133.1", "133.7", "133.8", "133.9", "133.11"}
    assert len(supported) == 139


def test_count_rows_counts_records_not_lines_when_cells_span_lines() -> None:
    assert count_rows(SERBIA) == 144


def test_the_government_annex_gives_four_ratings() -> None:
    ratings = [parse_government_row(row, n) for n, row in read_rows(GOVERNMENT_ANNEX)]
    assert [(r.paragraph, r.rating) for r in ratings] == [
        ("131.1", ImplementationStatus.FULLY_IMPLEMENTED),
        ("131.2", ImplementationStatus.PARTIALLY_IMPLEMENTED),
        ("132.1", ImplementationStatus.FULLY_IMPLEMENTED),
        ("133.2", ImplementationStatus.FULLY_IMPLEMENTED),
    ]
    assert ratings[0].recommendation_id == recommendation_id("A/HRC/23/15", "131.1")
    assert ratings[1].note.startswith("ILO C189")


# Bad rows among good ones, in each file format


def write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def as_cells(row: dict[str, object]) -> list[str]:
    return [str(row[column]) for column in HEADER]


def test_each_bad_row_of_a_csv_file_is_rejected_with_its_row_number_and_column(
    tmp_path: Path,
) -> None:
    rows = [
        uhri_row(UPR_Reccomending_States="- Norway\n- Chile"),  # row 2, spans two lines
        uhri_row(Text="Ratify the Optional Protocol"),  # 3
        uhri_row(Reccomending_Body="Committee on Everything"),  # 4
        uhri_row(Text="6.4. Protect BROKEN journalists"),  # 5, invalid UTF-8 below
        uhri_row(Themes="x" * 10_000_000),  # 6
        uhri_row(Document_Publication_Date="31/02/2018"),  # 7
        uhri_row(Text=""),  # 8
        None,  # 9, a blank line: skipped but counted
        uhri_row(Text="6.9. Adopt a law (summary)"),  # 10
    ]
    path = tmp_path / "export.csv"
    write_csv(path, [[] if row is None else as_cells(row) for row in rows])
    path.write_bytes(path.read_bytes().replace(b"BROKEN", b"\xff\xfe bad"))

    entries, rejected = import_file(path)

    assert_rejected(
        rejected,
        {
            3: ("Text", "does not start with a paragraph number"),
            4: ("Reccomending Body", "not a known mechanism"),
            5: ("Text", "broken encoding"),
            6: ("Themes", "10,000,000 characters"),
            7: ("Document Publication Date", "not a date"),
            8: ("Text", "is empty"),
        },
    )
    assert [e.paragraph for e in entries] == ["6.1", "6.9"]
    assert entries[0].recommending_states == ["Norway", "Chile"]
    assert count_rows(path) == 8


def test_each_bad_row_of_an_xlsx_file_is_rejected_with_its_row_number_and_column(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    rows = [
        uhri_row(Document_Publication_Date=41355, UPR_Session=15),  # row 2: an Excel day number
        uhri_row(Document_Publication_Date=datetime(2013, 3, 22, 10, 30)),  # 3
        uhri_row(Text="Ratify the Optional Protocol"),  # 4
        uhri_row(Reccomending_Body="Committee on Everything"),  # 5
        uhri_row(Document_Publication_Date="sometime in 2013"),  # 6
        uhri_row(Text=None),  # 7
        uhri_row(Reccomending_Body="- CAT\n- CRC"),  # 8 (openpyxl cuts cells to 32,767 characters)
        uhri_row(UPR_Session="twenty-nine"),  # 9
    ]
    for row in rows:
        sheet.append([row[column] for column in HEADER])
    sheet.append([])  # row 10, blank
    sheet.append([uhri_row(Text="6.11. Adopt a law")[column] for column in HEADER])
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    entries, rejected = import_file(path)

    assert_rejected(
        rejected,
        {
            4: ("Text", "does not start with a paragraph number"),
            5: ("Reccomending Body", "not a known mechanism"),
            6: ("Document Publication Date", "not a date"),
            7: ("Text", "is empty"),
            8: ("Reccomending Body", "names 2 bodies"),
            9: ("UPR Session", "not a UPR session number"),
        },
    )
    assert [(e.paragraph, e.document_date) for e in entries] == [
        ("6.1", "2013-03-22"),
        ("6.1", "2013-03-22"),
        ("6.11", "2018-04-05"),
    ]
    assert (entries[0].session, entries[0].cycle) == ("15", 2)
    assert count_rows(path) == 10  # the workbook's declared size, blank row 10 included


def test_each_bad_row_of_a_json_file_is_rejected_with_its_position_in_the_list(
    tmp_path: Path,
) -> None:
    good = uhri_row(
        Themes=["Ratification of international instruments", "Rights of the child"],
        UPR_Reccomending_States=["Norway", "Chile"],
    )
    items: list[dict[str, Any]] = [
        good,  # 1
        uhri_row(Text="Ratify the Optional Protocol"),  # 2
        uhri_row(Reccomending_Body="Committee on Everything"),  # 3
        uhri_row(Text="6.4. Protect \ufffd journalists"),  # 4
        uhri_row(Document_Publication_Date="2018-13-01"),  # 5
        uhri_row(Text=""),  # 6
        uhri_row(Text="6.7. Adopt a law", Document_Publication_Date=43195),  # 7
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"data": items}), encoding="utf-8")

    entries, rejected = import_file(path)

    assert_rejected(
        rejected,
        {
            2: ("Text", "does not start with a paragraph number"),
            3: ("Reccomending Body", "not a known mechanism"),
            4: ("Text", "broken encoding"),
            5: ("Document Publication Date", "not a date"),
            6: ("Text", "is empty"),
        },
    )
    assert entries[0].themes == ["Ratification of international instruments", "Rights of the child"]
    assert entries[0].recommending_states == ["Norway", "Chile"]
    assert entries[1].document_date == "2018-04-05"
    assert count_rows(path) is None


def test_a_json_file_may_be_a_plain_list_of_rows(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([uhri_row()]), encoding="utf-8")
    assert [n for n, _ in read_rows(path)] == [1]


def test_a_file_of_another_kind_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.txt.*\.csv, \.json, \.xlsx"):
        read_rows(tmp_path / "export.txt")


def test_a_json_file_without_a_list_of_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"count": 3}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected a list of rows"):
        list(read_rows(path))


# One row at a time


def test_a_row_without_a_paragraph_number_is_rejected_with_its_row_number() -> None:
    with pytest.raises(RowRejected, match=r"row 7, column 'Text': does not start with a paragraph"):
        parse_row(uhri_row(Text="Ratify the Optional Protocol"), 7)


@pytest.mark.parametrize(
    ("text", "paragraph", "rest"),
    [
        ("131.4. Consider a follow-up body", "131.4", "Consider a follow-up body"),
        ("6.12 Ratify the Convention", "6.12", "Ratify the Convention"),
        ("23. The Committee recommends", "23", "The Committee recommends"),
        ("  7.1.2.\tStrengthen the ombudsman ", "7.1.2", "Strengthen the ombudsman"),
    ],
)
def test_the_paragraph_number_is_taken_from_the_start_of_the_text(
    text: str, paragraph: str, rest: str
) -> None:
    entry = parse_row(uhri_row(Text=text), 2)
    assert (entry.paragraph, entry.text) == (paragraph, rest)


def test_a_text_with_only_a_paragraph_number_is_rejected() -> None:
    with pytest.raises(RowRejected, match=r"nothing after the paragraph number 6\.1"):
        parse_row(uhri_row(Text="6.1."), 2)


def test_a_number_glued_to_the_text_is_not_a_paragraph_number() -> None:
    with pytest.raises(RowRejected, match="does not start with a paragraph number"):
        parse_row(uhri_row(Text="6.1.Ratify"), 2)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_mechanism_is_recognised_by_its_code(mechanism: str) -> None:
    assert parse_row(uhri_row(Reccomending_Body=mechanism), 2).mechanism == mechanism


@pytest.mark.parametrize(
    ("body", "mechanism"),
    [
        ("Human Rights Committee", "CCPR"),
        ("Committee against Torture", "CAT"),
        ("Committee against Torture (CAT)", "CAT"),
        ("Committee on the Rights of the Child", "CRC"),
        ("committee on the elimination of discrimination against women", "CEDAW"),
        ("Committee on Economic, Social and Cultural Rights", "CESCR"),
        ("Committee on the Elimination of Racial Discrimination", "CERD"),
        ("Committee on the Rights of Persons with Disabilities", "CRPD"),
        ("Committee on Enforced Disappearances", "CED"),
        ("Committee on Migrant Workers", "CMW"),
        ("Subcommittee on Prevention of Torture", "SPT"),
        ("Special Rapporteur on the right to food", "SP"),
        ("Working Group on Enforced or Involuntary Disappearances", "SP"),
        ("Independent Expert on sexual orientation and gender identity", "SP"),
        ("Universal Periodic Review", "UPR"),
        ("- UPR", "UPR"),
    ],
)
def test_a_mechanism_is_recognised_by_its_full_name(body: str, mechanism: str) -> None:
    assert parse_row(uhri_row(Reccomending_Body=body), 2).mechanism == mechanism


def test_the_correct_spelling_of_recommending_is_accepted_too() -> None:
    row = uhri_row()
    row["Recommending Body"] = row.pop("Reccomending Body")
    row["UPR Recommending States"] = row.pop("UPR Reccomending States")
    entry = parse_row(row, 2)
    assert (entry.mechanism, entry.recommending_states) == ("UPR", ["Norway"])


def test_a_treaty_body_row_takes_its_session_without_a_cycle() -> None:
    row = uhri_row(Reccomending_Body="Human Rights Committee", UPR_Session="")
    row["Treaty Body Session"] = "120"
    entry = parse_row(row, 2)
    assert (entry.mechanism, entry.session, entry.cycle) == ("CCPR", "120", None)


def test_an_unknown_mechanism_is_rejected_naming_the_column() -> None:
    with pytest.raises(RowRejected, match="column 'Reccomending Body': 'ILO' is not a known"):
        parse_row(uhri_row(Reccomending_Body="ILO"), 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-03-22", "2013-03-22"),
        ("2013-03-22T00:00:00Z", "2013-03-22"),
        ("2013-03-22 14:05:00", "2013-03-22"),
        ("22/03/2013", "2013-03-22"),
        ("41355", "2013-03-22"),
        (41355, "2013-03-22"),
        (41355.75, "2013-03-22"),
        (datetime(2013, 3, 22, 9, 0), "2013-03-22"),
        ("", ""),
    ],
)
def test_a_document_date_is_read_in_any_of_the_export_forms(value: object, expected: str) -> None:
    assert parse_row(uhri_row(Document_Publication_Date=value), 2).document_date == expected


@pytest.mark.parametrize("value", ["22 March 2013", "2013-02-30", "2013", "-5", True, "x" * 10**6])
def test_a_bad_document_date_is_rejected(value: object) -> None:
    with pytest.raises(RowRejected, match="column 'Document Publication Date'") as rejection:
        parse_row(uhri_row(Document_Publication_Date=value), 4)
    assert len(str(rejection.value)) < 300


@pytest.mark.parametrize(
    ("position", "response"),
    [
        ("Supported", StateResponse.SUPPORTED),
        ("supported", StateResponse.SUPPORTED),
        ("NOTED", StateResponse.NOTED),
        ("Partially supported", StateResponse.PARTIALLY_SUPPORTED),
        ("Supported in part", StateResponse.PARTIALLY_SUPPORTED),
        ("Supported/Noted", StateResponse.PARTIALLY_SUPPORTED),
        ("", StateResponse.NOT_STATED),
    ],
)
def test_the_upr_position_gives_the_state_response(position: str, response: StateResponse) -> None:
    assert parse_row(uhri_row(UPR_Position=position), 2).state_response is response


def test_an_unknown_upr_position_is_rejected() -> None:
    with pytest.raises(RowRejected, match="column 'UPR Position'"):
        parse_row(uhri_row(UPR_Position="Maybe"), 2)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x85", "\ufffd", chr(0xD800)])
def test_text_with_broken_encoding_is_rejected(character: str) -> None:
    with pytest.raises(RowRejected, match="column 'Text': has broken encoding"):
        parse_row(uhri_row(Text=f"6.1. Ratify{character} the Protocol"), 2)


def test_text_is_normalised_to_nfc_and_keeps_tabs_and_line_breaks() -> None:
    entry = parse_row(uhri_row(Text="6.1. Cafe\u0301\r\nsecond line\tend"), 2)
    assert entry.text == "Caf\u00e9\nsecond line\tend"


def test_a_cell_over_the_size_limit_is_rejected_with_its_size() -> None:
    with pytest.raises(RowRejected, match="column 'Sdgs': is 100,001 characters long"):
        parse_row(uhri_row(Sdgs="1" * (MAX_CELL_CHARACTERS + 1)), 2)
    assert parse_row(uhri_row(Sdgs="1" * MAX_CELL_CHARACTERS), 2).sdgs


@pytest.mark.parametrize("column", ["Text", "Document Symbol", "Reccomending Body"])
def test_a_required_column_may_not_be_empty(column: str) -> None:
    row = uhri_row()
    row[column] = "   "
    with pytest.raises(RowRejected, match=f"column '{column}': is empty"):
        parse_row(row, 2)


def test_multi_value_cells_accept_a_single_value_without_the_dash() -> None:
    entry = parse_row(uhri_row(UPR_Reccomending_States="Norway", Themes="- A\n\n- B\n- A"), 2)
    assert (entry.recommending_states, entry.themes) == (["Norway"], ["A", "B"])


def test_a_header_without_the_required_columns_is_noticed() -> None:
    assert missing_columns(HEADER) == []
    assert missing_columns(["text", "Recommending Body"]) == ["Document Symbol"]


@pytest.mark.parametrize(
    ("status", "rating"),
    [
        ("Full implementation", ImplementationStatus.FULLY_IMPLEMENTED),
        ("partial implementation", ImplementationStatus.PARTIALLY_IMPLEMENTED),
        ("No implementation", ImplementationStatus.NOT_IMPLEMENTED),
        ("Not implemented", ImplementationStatus.NOT_IMPLEMENTED),
    ],
)
def test_a_government_status_gives_its_rating(status: str, rating: ImplementationStatus) -> None:
    row = {"Document Symbol": "A/HRC/23/15", "Paragraph": "131.1", "Government Status": status}
    assert parse_government_row(row, 2) == GovernmentRating("A/HRC/23/15", "131.1", rating)


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"Government Status": "Done-ish"}, "Government Status"),
        ({"Government Status": ""}, "Government Status"),
        ({"Paragraph": "para 4"}, "Paragraph"),
        ({"Document Symbol": ""}, "Document Symbol"),
    ],
)
def test_a_bad_government_row_is_rejected_naming_the_column(
    cells: dict[str, str], column: str
) -> None:
    row = {"Document Symbol": "A/HRC/23/15", "Paragraph": "131.1"}
    row["Government Status"] = "Full implementation"
    row.update(cells)
    with pytest.raises(RowRejected, match=f"row 5, column '{column}'"):
        parse_government_row(row, 5)
