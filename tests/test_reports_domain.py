"""The Report aggregate: each generation is an event, numbered per report, one per log position."""

from __future__ import annotations

import pytest

from domain.errors import Invalid, NotAllowed
from domain.report import Report, record_generation, report_id
from graphql_api.runtime import Runtime
from tests.scenario import build_world

SHA_A = "a" * 64
SHA_B = "b" * 64
PARAMETERS = {"round": "6f1c1b1e-7a2b-4c3d-9e8f-0a1b2c3d4e5f"}


def test_generations_of_one_report_are_its_numbered_versions_one_per_log_position(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    council = runtime.council
    position = council.log_position()

    def generation(at: int, pdf: str) -> tuple[int | None, bool]:
        outcome = record_generation(
            council,
            world.secretariat,
            kind="round_summary",
            parameters=PARAMETERS,
            language="sr-Cyrl",
            log_position=at,
            input_digest=SHA_A,
            pdf_sha256=pdf,
        )
        assert outcome.id == report_id("round_summary", PARAMETERS, "sr-Cyrl")
        return outcome.revision, outcome.changed

    assert generation(position, SHA_A) == (1, True)
    assert generation(position, SHA_B) == (1, False)
    assert generation(position - 5, SHA_B) == (2, True)
    head = council.log_position()
    assert generation(head, SHA_B) == (3, True)
    report = council.repository.get(report_id("round_summary", PARAMETERS, "sr-Cyrl"))
    assert isinstance(report, Report)
    assert [(v.version, v.log_position, v.pdf_sha256) for v in report.versions] == [
        (1, position, SHA_A),
        (2, position - 5, SHA_B),
        (3, head, SHA_B),
    ]
    assert report.versions[0].actor_id == world.secretariat.member_id
    assert report.parameters == PARAMETERS


def test_the_report_id_depends_on_kind_parameters_and_language_only() -> None:
    assert report_id("dossier", {"a": "1", "b": "2"}, "en") == report_id(
        "dossier", {"b": "2", "a": "1"}, "en"
    )
    assert report_id("dossier", {"a": "1"}, "en") != report_id("dossier", {"a": "1"}, "sr-Latn")
    assert report_id("dossier", {"a": "1"}, "en") != report_id("audit_trail", {"a": "1"}, "en")


def test_a_generation_is_refused_to_auditors_and_for_a_log_position_not_yet_written(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    council = runtime.council
    arguments = {
        "kind": "dossier",
        "parameters": {"recommendation": str(world.recommendation_id), "audience": "council"},
        "language": "en",
        "input_digest": SHA_A,
        "pdf_sha256": SHA_A,
    }
    with pytest.raises(NotAllowed):
        record_generation(council, world.auditor, log_position=1, **arguments)
    with pytest.raises(Invalid) as caught:
        record_generation(
            council,
            world.secretariat,
            log_position=council.log_position() + 1,
            **arguments,
        )
    assert caught.value.field == "log_position"
    with pytest.raises(Invalid) as caught:
        record_generation(
            council,
            world.secretariat,
            log_position=1,
            **{**arguments, "pdf_sha256": "not a digest"},
        )
    assert caught.value.field == "pdf_sha256"
