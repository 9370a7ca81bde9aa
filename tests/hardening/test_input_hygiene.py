"""Bad input: control characters, oversized and non-NFC text, markup, NUL bytes, broken UTF-8.

Each is refused with an `Invalid` naming the field (nothing stored), or stored normalised, or
shown as literal text; none is an unexpected error. Already covered elsewhere: NUL in a comment
refused by the domain (test_commands), invalid UTF-8 in a UHRI CSV and lone surrogates in a UHRI
JSON export named by row (test_uhri_import, test_uhri_parsing).
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import graphql
import pytest
from pypdf import PdfReader

from domain.values import Actor
from graphql_api.importing import import_uhri
from graphql_api.limits import MAX_BODY_BYTES
from graphql_api.runtime import Runtime
from projections.queries.store import ReadStore
from reports.service import generate, pdf_bytes
from tests.scenario import build_world, open_round
from tests.test_api_support import Api, api_fixture  # noqa: F401
from tests.test_reports_content import InProcess, open_runtime, pdf_text
from tests.test_uhri_import import catalogue_rows, uhri_row, write_uhri_csv

POST = """mutation Post($subject: ID!, $text: String!) {
  postComment(subjectKind: RECOMMENDATION, subjectId: $subject, text: $text) {
    __typename ... on Problem { message } ... on Invalid { field }
    ... on CommentPayload { comment { id text } } } }"""

# What a member might paste, and what must come of it.
REFUSED_TEXT = {
    "NUL": "a\x00b",
    "BEL": "ring\x07",
    "ESC (terminal escape)": "\x1b[31mred\x1b[0m",
    "C1 control (NEL)": "next\x85line",
    "DEL": "x\x7fy",
    "lone surrogate": "half \ud800 a pair",
    "only white space": " \n\t ",
    "over the length limit (20,000), 900 kB": "x" * 900_000,
}


def _post(api: Api, actor: Actor | None, query: str, **variables: Any) -> dict[str, Any]:
    """Posts with JSON escapes (``\\ud800``), as a client may send a lone surrogate."""
    response = api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={**api.headers(actor), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:300]
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def test_control_characters_surrogates_and_oversized_text_are_invalid_and_store_nothing(
    api: Api,
) -> None:
    subject = str(api.world.recommendation_id)
    for name, text in REFUSED_TEXT.items():
        before = api.log_position()
        result = _post(api, api.world.cso_a, POST, subject=subject, text=text)["postComment"]
        assert result["__typename"] == "Invalid", (name, result)
        assert result["field"] == "text", name
        assert result["message"].startswith("text: "), name
        assert api.log_position() == before, name


def test_a_text_over_one_megabyte_is_refused_before_parsing_and_stores_nothing(api: Api) -> None:
    before = api.log_position()
    body = {"query": POST, "variables": {"subject": "x", "text": "a" * MAX_BODY_BYTES}}
    response = api.client.post("/graphql", json=body, headers=api.headers(api.world.cso_a))
    assert response.status_code == 413
    assert api.log_position() == before


def test_text_is_stored_in_nfc_so_the_same_words_compare_equal(api: Api) -> None:
    subject = str(api.world.recommendation_id)
    decomposed = "Roma in Novi Sad: Cafe\u0301, s\u030cola, Ћ\u0301"
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    result = api.data(api.world.cso_a, POST, subject=subject, text=decomposed)["postComment"]
    assert result["__typename"] == "CommentPayload", result
    stored = result["comment"]["text"]
    assert stored == unicodedata.normalize("NFC", decomposed)
    assert unicodedata.is_normalized("NFC", stored)


def _string_arguments(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, argument, type) of every String or ID argument of every query field."""
    types = {t["name"]: t for t in schema["types"]}
    query = types[schema["queryType"]["name"]]
    found = []
    for field in query["fields"]:
        for argument in field["args"]:
            kind = argument["type"]
            spelled = ""
            while kind["kind"] in ("NON_NULL", "LIST"):
                spelled = "!" if kind["kind"] == "NON_NULL" else spelled
                kind = kind["ofType"]
            if kind["name"] in ("String", "ID"):
                found.append((field["name"], argument["name"], f"{kind['name']}{spelled}"))
    return found


def test_nul_surrogates_and_huge_strings_in_any_query_argument_are_never_an_unexpected_error(
    api: Api,
) -> None:
    introspection = api.client.post(
        "/graphql", json={"query": graphql.get_introspection_query()}
    ).json()["data"]["__schema"]
    types = {t["name"]: t for t in introspection["types"]}
    query_fields = {f["name"]: f for f in types["Query"]["fields"]}
    arguments = _string_arguments(introspection)
    assert len(arguments) >= 10
    values = ["\x00", "a\x00b", "\ud800", "\udfff\ud800", "\u0000" * 100, "x" * 500_000]
    tried = 0
    for field, argument, kind in arguments:
        returns = query_fields[field]["type"]
        while returns.get("ofType"):
            returns = returns["ofType"]
        selection = "" if returns["kind"] in ("SCALAR", "ENUM") else "{ __typename }"
        # Other required arguments of the field get a harmless value of their type.
        others = [
            a
            for a in query_fields[field]["args"]
            if a["name"] != argument and a["type"]["kind"] == "NON_NULL"
        ]
        extra = "".join(f', {a["name"]}: "0"' for a in others)
        document = f"query Q($v: {kind}) {{ {field}({argument}: $v{extra}) {selection} }}"
        for value in values:
            for viewer in (None, api.world.auditor):
                response = api.client.post(
                    "/graphql",
                    content=json.dumps({"query": document, "variables": {"v": value}}),
                    headers={**api.headers(viewer), "Content-Type": "application/json"},
                )
                tried += 1
                assert response.status_code in (200, 400), (field, argument, response.text[:300])
                for error in response.json().get("errors") or []:
                    code = (error.get("extensions") or {}).get("code")
                    assert code != "INTERNAL", (field, argument, repr(value[:10]), error)
    print(f"\n{len(arguments)} string arguments, {tried} calls")


# --- markup in a report --------------------------------------------------------------------------

MARKUP = '<script>alert("x")</script><b>bold</b><img src=x onerror=alert(1)> &amp; {{ 7*7 }}'


@pytest.mark.parametrize("backend", ["sqlite"])
def test_markup_in_an_assessment_narrative_is_literal_text_in_the_pdf_and_never_runs(
    settings: Any,
) -> None:
    runtime = open_runtime(settings)
    store = ReadStore(runtime.settings.database)
    try:
        council = runtime.council
        world = build_world(council)
        assessment = council.propose_assessment(
            world.cso_a,
            round_id=open_round(world),
            recommendation_id=world.recommendation_id,
            rating="not_implemented",
            narrative=f"Platform view. {MARKUP}",
        )
        council.open_assessment_for_signature(world.cso_a, assessment.id, expected_revision=1)
        council.co_sign_assessment(world.cso_b, assessment.id, revision=1)
        council.submit_assessment(world.cso_a, assessment.id, expected_revision=1)
        reports = InProcess(runtime)
        reports.settle(council.log_position())
        generated = generate(
            reports,
            store,
            world.secretariat,
            kind="dossier",
            parameters={"recommendation": str(world.recommendation_id)},
            language="en",
        )
        pdf = pdf_bytes(store, Actor.operator(), generated.report_id, generated.version)
    finally:
        store.close()
        runtime.close()
    text = pdf_text(pdf)
    assert 'Platform view. <script>alert("x")</script><b>bold</b>' in text
    assert "<img src=x onerror=alert(1)> &amp; {{ 7*7 }}" in text  # not 49: no template ran
    raw = PdfReader(io.BytesIO(pdf))
    for page in raw.pages:
        assert "/AA" not in page  # no page actions
    root = raw.trailer["/Root"].get_object()
    assert isinstance(root, dict)
    assert "/OpenAction" not in root
    assert "/JavaScript" not in (root.get("/Names") or {})
    for action in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/SubmitForm"):
        assert action not in pdf, action


# --- broken UTF-8 in a UHRI export ---------------------------------------------------------------


def test_raw_invalid_utf8_in_a_uhri_json_export_is_named_by_row_and_not_stored(
    runtime: Runtime, tmp_path: Path
) -> None:
    items = [uhri_row(Text="6.1. Adopt a law"), uhri_row(Text="6.2. Protect BROKEN journalists")]
    path = tmp_path / "export.json"
    path.write_bytes(
        json.dumps({"data": items}, ensure_ascii=False).encode().replace(b"BROKEN", b"\xc3\x28\xff")
    )
    report = import_uhri(runtime.council, path)
    assert [(r.row_number, r.column) for r in report.rejections] == [(2, "Text")]  # 1-based
    assert "broken encoding" in report.rejections[0].reason
    assert [r["paragraph"] for r in catalogue_rows(runtime)] == ["6.1"]


def test_a_uhri_csv_of_nothing_but_broken_rows_stores_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    rows = [uhri_row(Text=f"6.{i}. Protect BROKEN journalists") for i in range(1, 6)]
    path = write_uhri_csv(tmp_path / "export.csv", rows)
    before = runtime.council.log_position()
    report = import_uhri(runtime.council, path)
    assert sorted(r.row_number for r in report.rejections) == [2, 3, 4, 5, 6]
    assert all("broken encoding" in r.reason for r in report.rejections)
    assert runtime.council.log_position() == before
    assert catalogue_rows(runtime) == []
