"""The checked-in schema.graphql is the schema the code serves."""

from __future__ import annotations

from pathlib import Path

from graphql_api.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = ".venv/bin/python -m graphql_api.schema > schema.graphql"


def test_the_checked_in_schema_is_the_one_the_code_serves() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        f"schema.graphql is out of date; regenerate it with: {REGENERATE}"
    )


def test_the_schema_names_every_query_and_mutation_of_the_contract() -> None:
    text = sdl()
    for name in (
        "me: Member",
        "recommendations(",
        "recommendation(id: ID!, asOf: AsOf",
        "organisations:",
        "rounds:",
        "assessments(",
        "assessment(id: ID!, asOf: AsOf",
        "jointPositions(",
        "jointPosition(id: ID!, asOf: AsOf",
        "history(",
        "events(",
        "auditCheckpoint: AuditCheckpoint",
        "inclusionProof(logPosition: Int!",
        "consistencyProof(fromTreeSize: Int!, toTreeSize: Int",
        "input AsOf @oneOf",
        "activity(",
        "reports(",
        "report(id: ID!): Report",
        "diff(from: Int!, to: Int!): [HistoryItem!]!",
        "union ReportResult = ReportPayload | Conflict | NotAllowed | NotFound | Invalid | WrongState",
    ):
        assert name in text, name
    for mutation in [
        "openRound",
        "proposeAssessment",
        "reviseAssessment",
        "openAssessmentForSignature",
        "coSignAssessment",
        "withdrawCoSignature",
        "submitAssessment",
        "withdrawAssessment",
        "postComment",
        "editComment",
        "retractComment",
        "hideComment",
        "draftJointPosition",
        "reviseJointPosition",
        "proposeAmendment",
        "decideAmendment",
        "endorseJointPosition",
        "recordDissent",
        "adoptJointPosition",
        "publishJointPosition",
        "reopenJointPosition",
        "correctRecommendationStatus",
        "generateReport",
        "erasePersonalData",
    ]:
        assert f"  {mutation}(" in text, mutation
