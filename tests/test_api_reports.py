"""Reports through GraphQL and over HTTP: generated as an allowed member, listed, versioned when
the record changes, compared, downloaded byte for byte; refused to those the rules refuse, and
bad input named; nothing stored for a refusal.

PDF rendering is slow: the main test draws two PDFs per backend and reuses them throughout.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from domain.values import Actor
from tests.scenario import REC_TEXT
from tests.test_api_support import Api, api_fixture  # noqa: F401
from tests.test_reports_content import pdf_text

GENERATE = """
mutation Generate($kind: String!, $parameters: ReportParametersInput, $language: String! = "en",
                  $asOf: AsOf) {
  generateReport(kind: $kind, parameters: $parameters, language: $language, asOf: $asOf) {
    __typename
    ... on ReportPayload {
      logPosition changed
      report { id kind language subjectId latestVersion parameters { name value } }
      version {
        number logPosition eventLogPosition sha256 dataDigest generatedAt downloadUrl
        requestedBy { id }
      }
    }
    ... on Invalid { field }
    ... on NotFound { kind id }
    ... on Problem { message }
  }
}
"""

REPORT = """
query Report($id: ID!) {
  report(id: $id) {
    id latestVersion
    versions { number logPosition sha256 downloadUrl requestedBy { id } }
    first: version(number: 1) { sha256 }
    missing: version(number: 9) { sha256 }
    diff(from: 1, to: 2) { logPosition eventType summary actor { id } }
  }
}
"""

REPORTS = "{ reports(first: 10) { totalCount nodes { id kind } pageInfo { hasNextPage } } }"

SYMBOL, PARAGRAPH = "A/HRC/23/15", "131.4"
REASON = "The Council has met every quarter since 2025."


def generate(api: Api, actor: Actor | None, kind: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.data(actor, GENERATE, kind=kind, **variables)["generateReport"]
    return result


def dossier(api: Api) -> dict[str, str]:
    return {"recommendation": str(api.world.recommendation_id)}


def stored_files(api: Api) -> int:
    with api.store.read() as cur:
        cur.execute("SELECT COUNT(*) FROM report_files")
        row = cur.fetchone()
    return int(row[0])


def download(api: Api, actor: Actor | None, path: str, **headers: str) -> Any:
    return api.client.get(path, headers={**api.headers(actor), **headers})


def test_a_dossier_is_generated_listed_versioned_compared_and_downloaded(api: Api) -> None:
    world = api.world
    head = api.log_position()

    first = generate(
        api, world.secretariat, "dossier", parameters={"recommendation": f"{SYMBOL}#{PARAGRAPH}"}
    )
    assert first["__typename"] == "ReportPayload", first
    report, v1 = first["report"], first["version"]
    assert first["changed"] is True
    assert first["logPosition"] == api.log_position() > head
    assert report["kind"] == "dossier"
    assert report["language"] == "en"
    assert report["subjectId"] == str(world.recommendation_id)
    assert {p["name"]: p["value"] for p in report["parameters"]} == {
        "audience": "council",
        "recommendation": str(world.recommendation_id),
    }
    assert v1["number"] == 1
    assert v1["logPosition"] <= head
    assert v1["eventLogPosition"] == first["logPosition"]
    assert len(v1["sha256"]) == len(v1["dataDigest"]) == 64
    assert v1["downloadUrl"] == f"/reports/{report['id']}/versions/1.pdf"
    assert v1["requestedBy"] == {"id": str(world.secretariat.member_id)}

    # Nothing changed in the record: the stored version, and nothing recorded.
    again = generate(api, world.cso_a, "dossier", parameters=dossier(api))
    assert (again["changed"], again["version"]["number"]) == (False, 1)
    assert again["version"]["sha256"] == v1["sha256"]
    assert again["logPosition"] == first["logPosition"] == api.log_position()

    listed = api.data(world.cso_a, REPORTS)["reports"]
    assert listed["totalCount"] == 1
    assert listed["nodes"] == [{"id": report["id"], "kind": "dossier"}]
    assert api.data(None, REPORTS)["reports"]["totalCount"] == 0
    assert api.data(None, REPORT, id=report["id"])["report"] is None

    # A new event about the recommendation: version 2, and the diff names it.
    revision = api.data(
        world.secretariat,
        "query($id: ID!) { recommendation(id: $id) { revision } }",
        id=str(world.recommendation_id),
    )["recommendation"]["revision"]
    correction = api.runtime.council.correct_recommendation_status(
        world.secretariat,
        world.recommendation_id,
        status="fully_implemented",
        reason=REASON,
        expected_revision=revision,
    )
    api.settle(correction.log_position)
    second = generate(api, world.cso_a, "dossier", parameters=dossier(api))
    assert second["__typename"] == "ReportPayload", second
    v2 = second["version"]
    assert second["changed"] is True
    assert second["report"]["id"] == report["id"]
    assert second["report"]["latestVersion"] == 2
    assert (v2["number"], v2["logPosition"]) == (2, correction.log_position)
    assert v2["sha256"] != v1["sha256"]
    assert v2["requestedBy"] == {"id": str(world.cso_a.member_id)}

    found = api.data(world.cso_a, REPORT, id=report["id"])["report"]
    assert found["latestVersion"] == 2
    assert [(v["number"], v["sha256"]) for v in found["versions"]] == [
        (1, v1["sha256"]),
        (2, v2["sha256"]),
    ]
    assert found["first"] == {"sha256": v1["sha256"]}
    assert found["missing"] is None
    [change] = found["diff"]
    assert change["logPosition"] == correction.log_position
    assert REASON in change["summary"]
    assert change["actor"] == {"id": str(world.secretariat.member_id)}
    unknown = api.post(
        world.cso_a,
        "query($id: ID!) { report(id: $id) { diff(from: 1, to: 3) { summary } } }",
        id=report["id"],
    )
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # The PDF over HTTP: the bytes GraphQL described, naming the recommendation.
    response = download(api, world.cso_a, v2["downloadUrl"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] == f'"{v2["sha256"]}"'
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith('-v2-en.pdf"')
    assert "dossier-" in disposition
    assert hashlib.sha256(response.content).hexdigest() == v2["sha256"]
    text = pdf_text(response.content)
    assert f"{SYMBOL} ¶{PARAGRAPH}" in text
    assert REC_TEXT[:60] in text
    older = download(api, world.auditor, v1["downloadUrl"])
    assert older.status_code == 200, older.text
    assert hashlib.sha256(older.content).hexdigest() == v1["sha256"]
    unchanged = download(
        api, world.cso_a, v2["downloadUrl"], **{"If-None-Match": f'"{v2["sha256"]}"'}
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    # Those who may not read it.
    public = download(api, None, v2["downloadUrl"])
    assert public.status_code == 401
    assert public.headers["content-type"].startswith("text/plain")
    assert "not public" in public.text
    assert b"%PDF" not in public.content
    outsider = download(api, world.outsider, v2["downloadUrl"])
    assert (outsider.status_code, outsider.text.strip()) == (403, "you may not read this report")
    forged = api.client.get(v2["downloadUrl"], headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"].startswith("Bearer")
    for path in (
        f"/reports/{report['id']}/versions/3.pdf",
        f"/reports/{report['id']}/versions/two.pdf",
        f"/reports/{uuid.uuid4()}/versions/1.pdf",
        "/reports/not-an-id/versions/1.pdf",
    ):
        missing = download(api, world.cso_a, path)
        assert missing.status_code == 404, path
        assert missing.text.strip(), path
    assert stored_files(api) == 2

    # The public edition: listed for everyone, downloaded without a token; pages of reports.
    public_edition = generate(
        api, world.secretariat, "dossier", parameters={**dossier(api), "audience": "public"}
    )
    assert public_edition["__typename"] == "ReportPayload", public_edition
    edition = public_edition["report"]["id"]
    assert api.data(None, REPORTS)["reports"]["nodes"] == [{"id": edition, "kind": "dossier"}]
    opened = download(api, None, public_edition["version"]["downloadUrl"])
    assert opened.status_code == 200, opened.text
    assert hashlib.sha256(opened.content).hexdigest() == public_edition["version"]["sha256"]
    pages = "query($after: String) { reports(first: 1, after: $after) { totalCount"
    pages += " edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    page = api.data(world.cso_a, pages)["reports"]
    assert page["totalCount"] == 2
    assert [e["node"]["id"] for e in page["edges"]] == [edition]
    assert page["pageInfo"]["hasNextPage"] is True
    page = api.data(world.cso_a, pages, after=page["pageInfo"]["endCursor"])["reports"]
    assert [e["node"]["id"] for e in page["edges"]] == [report["id"]]
    assert page["pageInfo"]["hasNextPage"] is False
    bad = api.post(world.cso_a, pages, after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["field"] == "after"


def test_members_the_rules_refuse_get_not_allowed_and_nothing_is_stored(api: Api) -> None:
    world = api.world
    reader = api.member("cso_a", "reader")
    audit_trail = {"subject": str(world.recommendation_id)}
    refused: dict[str, tuple[Actor | None, str, dict[str, str]]] = {
        "the public": (None, "dossier", dossier(api)),
        "an auditor": (world.auditor, "dossier", dossier(api)),
        "a reader": (reader, "dossier", dossier(api)),
        "a CSO outside the Platform": (world.outsider, "dossier", dossier(api)),
        "an editor, for an audit trail": (world.cso_a, "audit_trail", audit_trail),
        "a state body, for an audit trail": (world.state_body, "audit_trail", audit_trail),
        "an auditor, for an audit trail": (world.auditor, "audit_trail", audit_trail),
    }
    head = api.log_position()
    for who, (actor, kind, parameters) in refused.items():
        result = generate(api, actor, kind, parameters=parameters)
        assert result["__typename"] == "NotAllowed", (who, result)
        assert result["message"], who
    assert api.log_position() == head
    assert stored_files(api) == 0
    assert api.data(world.secretariat, REPORTS)["reports"]["totalCount"] == 0


def test_bad_input_is_invalid_naming_the_field_and_nothing_is_stored(api: Api) -> None:
    world = api.world
    rec = str(world.recommendation_id)
    head = api.log_position()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("summary", {"parameters": {"recommendation": rec}}, "kind"),
        ("dossier", {"parameters": {"recommendation": rec}, "language": "de"}, "language"),
        ("dossier", {}, "parameters.recommendation"),
        ("dossier", {"parameters": {"recommendation": "  "}}, "parameters.recommendation"),
        ("dossier", {"parameters": {"recommendation": "131.4"}}, "parameters.recommendation"),
        (
            "dossier",
            {"parameters": {"recommendation": rec, "audience": "press"}},
            "parameters.audience",
        ),
        ("audit_trail", {"parameters": {}}, "parameters.subject"),
        ("round_summary", {"parameters": {"recommendation": rec}}, "parameters.recommendation"),
        (
            "dossier",
            {"parameters": {"recommendation": rec}, "asOf": {"logPosition": head + 5}},
            "asOf",
        ),
    ]
    for kind, variables, field in cases:
        result = generate(api, world.secretariat, kind, **variables)
        assert result["__typename"] == "Invalid", (kind, variables, result)
        assert result["field"] == field, (kind, variables, result)
        assert result["message"].startswith(f"{field}: "), result
    missing = generate(
        api, world.secretariat, "dossier", parameters={"recommendation": str(uuid.uuid4())}
    )
    assert missing["__typename"] == "NotFound", missing
    assert api.log_position() == head
    assert stored_files(api) == 0
    assert api.data(world.secretariat, REPORTS)["reports"]["totalCount"] == 0
