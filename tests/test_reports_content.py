"""What the Council's reports say: each kind in each language, read back out of the PDF.

One round of the core scenario is played per backend, with a government assessment (co-signed
by a ministry whose name is written in Cyrillic), Serbian content in Latin script, an endorsement
and a signed checkpoint; then every kind of report is generated in every language once, and the
tests read the text and the embedded data back out of the PDFs.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from domain.application import Council
from domain.values import Actor
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.audit import service as audit_service
from projections.audit.log import AuditLog
from projections.db import Database
from projections.queries.reports import audit_leaves_at, recorded_at
from projections.queries.store import ReadStore
from reports import storage
from reports.canonical import sha256_hex
from reports.service import GeneratedReport, generate, pdf_bytes
from tests.conftest import SteppingClock, settings_for
from tests.scenario import RoundRecord, World, build_world, play_round

LANGUAGES = ("en", "sr-Latn", "sr-Cyrl")
MINISTRY = "Министарство за људска и мањинска права"
MINISTRY_LATIN = "Ministarstvo za ljudska i manjinska prava"
GOV_NARRATIVE = "Savet je osnovan odlukom Vlade 2014. godine i redovno zaseda; vidi A/HRC/23/15."
GOV_NARRATIVE_CYRILLIC = (
    "Савет је основан одлуком Владе 2014. године и редовно заседа; види A/HRC/23/15."
)
DISSENT = "Sessions were held, but civil society was not consulted on the agenda."
ENDORSEMENT = "Ministarstvo podržava ovaj tekst bez izmena."
ENDORSEMENT_CYRILLIC = "Министарство подржава овај текст без измена."
CHECKPOINT_TIME = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)


class InProcess:
    """The runtime, with the read models brought up to date in this process when a report
    needs them (tests run no `council project` workers, not even on PostgreSQL)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def council(self) -> Council:
        return self.runtime.council

    @property
    def database(self) -> Database:
        return self.runtime.database

    @property
    def audit(self) -> AuditLog:
        return self.runtime.audit

    def settle(self, log_position: int) -> None:
        self.runtime.runner.catch_up()
        self.runtime.audit.catch_up()


@dataclass
class ReportWorld:
    runtime: Runtime
    reports: InProcess
    store: ReadStore
    world: World
    record: RoundRecord
    ministry: Actor
    government_assessment_id: str
    other_position_id: str
    checkpoint: str

    def generate(
        self, actor: Actor, kind: str, language: str = "en", **parameters: str
    ) -> GeneratedReport:
        return generate(
            self.reports, self.store, actor, kind=kind, parameters=parameters, language=language
        )

    def pdf(self, generated: GeneratedReport) -> bytes:
        return pdf_bytes(self.store, Actor.operator(), generated.report_id, generated.version)


def open_runtime(settings: Settings) -> Runtime:
    if not settings.embedded:
        Runtime.initialise(settings).close()
    runtime = Runtime(settings, clock=SteppingClock())
    storage.create_tables(runtime.database)
    return runtime


def build_report_world(runtime: Runtime) -> ReportWorld:
    """The core scenario, then the government's track, an endorsement and a checkpoint."""
    council = runtime.council
    world = build_world(council)
    record = play_round(world)
    operator = Actor.operator()
    ministry_org = council.register_organisation(operator, name=MINISTRY, kind="state_body")
    member = council.register_member(
        operator,
        organisation_id=ministry_org.id,
        name="Member of the ministry",
        email="ministry@example.org",
        roles=["editor", "signatory"],
    )
    ministry = council.actor_for(member.id)
    gov = council.propose_assessment(
        world.state_body,
        round_id=record.round_id,
        recommendation_id=world.recommendation_id,
        rating="fully_implemented",
        narrative=GOV_NARRATIVE,
    )
    council.open_assessment_for_signature(world.state_body, gov.id, expected_revision=1)
    council.co_sign_assessment(ministry, gov.id, revision=1)
    council.submit_assessment(world.state_body, gov.id, expected_revision=1)
    other = council.draft_joint_position(
        world.secretariat,
        round_id=record.round_id,
        recommendation_id=world.other_recommendation_id,
        text="Savet nalazi da preporuka nije sprovedena.",
        proposed_status="not_implemented",
    )
    council.endorse_joint_position(ministry, other.id, revision=1, statement=ENDORSEMENT)
    reports = InProcess(runtime)
    reports.settle(council.log_position())
    checkpoint = audit_service.make_checkpoint(
        runtime.audit,
        origin="Serbia NMRF (test)",
        signer="secretariat",
        key=Ed25519PrivateKey.generate(),
        now=CHECKPOINT_TIME,
    )
    return ReportWorld(
        runtime=runtime,
        reports=reports,
        store=ReadStore(runtime.settings.database),
        world=world,
        record=record,
        ministry=ministry,
        government_assessment_id=str(gov.id),
        other_position_id=str(other.id),
        checkpoint=checkpoint,
    )


def pdf_text(pdf: bytes) -> str:
    """The text of every page, white space collapsed (lines wrap where the layout wants)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def embedded_data(pdf: bytes) -> bytes:
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == ["report-data.json"]
    return attachments["report-data.json"][0]


@dataclass
class Rendered:
    generated: GeneratedReport
    pdf: bytes
    text: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def rw(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReportWorld]:
    settings = settings_for(str(request.param), tmp_path_factory.mktemp("reports"))
    runtime = open_runtime(settings)
    world = build_report_world(runtime)
    yield world
    world.store.close()
    runtime.close()
    if not settings.embedded:
        Database(settings.database).drop_schemas()


@pytest.fixture(scope="module")
def rendered(rw: ReportWorld) -> dict[tuple[str, str], Rendered]:
    """Every kind of report in every language, generated once per backend."""
    subjects = {
        "dossier": {"recommendation": str(rw.world.recommendation_id)},
        "round_summary": {"round": str(rw.record.round_id)},
        "audit_trail": {"subject": str(rw.record.position_id)},
    }
    result = {}
    for kind, parameters in subjects.items():
        for language in LANGUAGES:
            generated = rw.generate(rw.world.secretariat, kind, language, **parameters)
            pdf = rw.pdf(generated)
            result[kind, language] = Rendered(generated, pdf, pdf_text(pdf))
    return result


def test_a_dossier_names_every_co_signatory_with_the_revision_it_signed(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["dossier", "en"].text
    assert "Lawyers' Committee for Human Rights" in text
    assert re.search(
        r"Lawyers' Committee for Human Rights \(member [0-9a-f]{8}\) signed revision 2", text
    )
    assert re.search(
        r"Lawyers' Committee for Human Rights \(member [0-9a-f]{8}\) signed revision 3", text
    )
    assert re.search(r"Civic Initiatives \(member [0-9a-f]{8}\) signed revision 2", text)
    assert f"{MINISTRY} (member" in text
    for revision in (1, 2, 3):
        assert f"Revision {revision} —" in text
    latin = rendered["dossier", "sr-Latn"].text
    assert re.search(r"Civic Initiatives \(član [0-9a-f]{8}\) potpisala je reviziju 2", latin)


def test_a_dossier_shows_a_withdrawn_co_signature_with_its_reason_and_superseded_ones(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["dossier", "en"].text
    assert "withdrawn, withdrawn on" in text
    assert "“We disagree with the rating”" in text
    assert "superseded by a signature on a later revision" in text


def test_a_dossier_keeps_the_dissent_statement_and_the_amendment_s_fate(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    for language in LANGUAGES:
        assert DISSENT in rendered["dossier", language].text
    text = rendered["dossier", "en"].text
    assert "accepted: revision 2 took its text" in text
    assert "“Factually correct”" in text
    assert "Revision 2 adopted at 12th session of the Council on 2026-05-01" in text
    assert "by vote: 14 for, 2 against, 1 abstaining" in text
    assert "Two Platform members consider the rating too generous." in text
    assert "Revision 2 published on" in text
    assert "revision 2 of the adopted joint position" in text


def test_the_cyrillic_dossier_prints_serbian_content_in_cyrillic_and_english_as_written(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["dossier", "sr-Cyrl"].text
    assert "Досије препоруке" in text
    assert "Супотписи" in text
    assert GOV_NARRATIVE_CYRILLIC in text
    assert MINISTRY in text
    assert "Consider establishing a national organ to monitor implementation" in text
    assert "A/HRC/23/15 ¶131.4" in text
    assert GOV_NARRATIVE not in text


def test_the_latin_dossier_prints_cyrillic_content_in_latin(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["dossier", "sr-Latn"].text
    assert "Dosije preporuke" in text
    assert MINISTRY_LATIN in text
    assert MINISTRY not in text
    assert GOV_NARRATIVE in text
    assert not re.search("[\u0400-\u04ff]", text)


def test_an_english_report_leaves_content_in_the_script_it_was_written_in(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["dossier", "en"].text
    assert MINISTRY in text
    assert GOV_NARRATIVE in text
    assert "Recommendation dossier" in text


def test_a_round_summary_shows_where_government_and_civil_society_ratings_diverge(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    text = rendered["round_summary", "en"].text
    assert "Where the government and civil-society ratings diverge" in text
    assert re.search(r"A/HRC/23/15 ¶131\.4 partially implemented fully implemented 1", text), (
        "the divergence row: civil society, government, gap"
    )
    assert "Recommendations with diverging ratings 1" in text
    assert "Every recommendation of the round" in text
    assert "A/HRC/23/15 ¶132.10" in text
    cyrillic = rendered["round_summary", "sr-Cyrl"].text
    assert "Где се оцене Владе и цивилног друштва разликују" in cyrillic
    assert "делимично спроведено" in cyrillic


def test_a_round_summary_draws_its_charts_as_svg_from_the_plotting_library(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    document = json.loads(embedded_data(rendered["round_summary", "en"].pdf))
    assert len(document["data"]["recommendations"]) == 2
    text = rendered["round_summary", "sr-Cyrl"].text
    # The charts' labels are text in the report's font: the legend reads back in Cyrillic.
    assert text.count("потпуно спроведено") >= 4


def test_an_audit_trail_lists_every_event_about_the_subject_with_its_leaf_hash(
    rw: ReportWorld, rendered: dict[tuple[str, str], Rendered]
) -> None:
    steps = rw.record.steps
    # Adoption saves two events: the joint position's, then the recommendation's new status.
    positions = [
        steps["drafted"],
        steps["amendment_proposed"],
        steps["amendment_accepted"],
        steps["b_dissented"],
        steps["adopted"] - 1,
        steps["published"],
    ]
    leaves = audit_leaves_at(rw.store, positions)
    for language in LANGUAGES:
        text = rendered["audit_trail", language].text
        for position in positions:
            assert leaves[position].leaf_hash in text
    document = json.loads(embedded_data(rendered["audit_trail", "en"].pdf))
    assert [e["log_position"] for e in document["data"]["events"]] == positions
    assert document["data"]["events"][3]["event_type"] == "JointPosition.DissentRecorded"
    assert document["data"]["events"][3]["revision"] == 2
    text = rendered["audit_trail", "en"].text
    assert "dissent recorded" in text
    assert "Lawyers' Committee for Human Rights (member" in text
    cyrillic = rendered["audit_trail", "sr-Cyrl"].text
    assert "издвојено мишљење забележено" in cyrillic
    assert "Ревизорски траг" in cyrillic


def test_the_embedded_data_read_back_from_the_pdf_is_the_data_the_report_was_made_from(
    rw: ReportWorld, rendered: dict[tuple[str, str], Rendered]
) -> None:
    for (kind, language), each in rendered.items():
        data = embedded_data(each.pdf)
        stored = storage.input_of(
            rw.store, str(each.generated.report_id), each.generated.log_position
        )
        assert data == stored
        assert sha256_hex(data) == each.generated.input_digest
        document = json.loads(data)
        assert document["report"] == {
            "id": str(each.generated.report_id),
            "kind": kind,
            "parameters": each.generated.parameters,
            "language": language,
        }
        assert document["record"]["log_position"] == each.generated.log_position
        assert each.generated.input_digest in each.text


def test_the_data_of_a_report_does_not_depend_on_its_language(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    for kind in ("dossier", "round_summary", "audit_trail"):
        data = [json.loads(embedded_data(rendered[kind, lang].pdf))["data"] for lang in LANGUAGES]
        assert data[0] == data[1] == data[2]


def test_every_report_carries_the_audit_tree_root_and_the_signed_checkpoint_at_its_log_position(
    rw: ReportWorld, rendered: dict[tuple[str, str], Rendered]
) -> None:
    each = rendered["dossier", "sr-Cyrl"]
    record = json.loads(embedded_data(each.pdf))["record"]
    size = record["audit"]["tree_size"]
    assert size == each.generated.log_position
    assert base64.b64decode(record["audit"]["root"]) == rw.runtime.audit.root_at(size)
    assert record["audit"]["checkpoint"] == rw.checkpoint
    assert record["recorded_at"] == recorded_at(rw.store, each.generated.log_position)
    assert record["audit"]["root"] in each.text
    assert "council-ledger checkpoint v1 origin Serbia NMRF (test)" in each.text


def test_the_pdf_is_pdf_a_3b_tagged_dated_from_the_log_and_set_only_in_the_shipped_fonts(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    for each in rendered.values():
        reader = PdfReader(io.BytesIO(each.pdf))
        root = reader.trailer["/Root"]
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp
        assert 'pdfaid:conformance="B"' in xmp
        assert "/StructTreeRoot" in root
        assert root["/Lang"] == json.loads(embedded_data(each.pdf))["report"]["language"]
        recorded = json.loads(embedded_data(each.pdf))["record"]["recorded_at"]
        stamp = datetime.fromisoformat(recorded).astimezone(UTC).strftime("%Y%m%d%H%M%S")
        assert str(reader.metadata["/CreationDate"]).startswith(f"D:{stamp}")
        fonts = set()
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
        assert fonts <= {"Council-Sans", "Council-Sans-Bold", "Council-Mono"}, fonts


def test_a_public_dossier_holds_only_what_the_public_sees(rw: ReportWorld) -> None:
    generated = rw.generate(
        rw.world.secretariat,
        "dossier",
        recommendation=str(rw.world.recommendation_id),
        audience="public",
    )
    pdf = rw.pdf(generated)
    text = pdf_text(pdf)
    data = json.loads(embedded_data(pdf))["data"]
    assert data["assessments"] == []
    [position] = data["joint_positions"]
    assert [r["revision"] for r in position["revisions"]] == [2]
    assert "amendments" not in position
    assert "dissents" not in position
    assert DISSENT not in text
    assert "Public edition" in text
    assert "the Government reports regular sessions since 2020" in text


def test_a_dossier_shows_endorsements_with_their_statements(rw: ReportWorld) -> None:
    generated = rw.generate(
        rw.world.secretariat,
        "dossier",
        "sr-Cyrl",
        recommendation=str(rw.world.other_recommendation_id),
    )
    text = pdf_text(rw.pdf(generated))
    assert "Подршке" in text
    assert ENDORSEMENT_CYRILLIC in text
    assert re.search(MINISTRY + r" \(члан [0-9a-f]{8}\), ревизија 1", text)
    assert "Није усвојен." in text


def test_a_recommendation_may_be_named_by_its_symbol_and_paragraph(rw: ReportWorld) -> None:
    by_symbol = rw.generate(rw.world.secretariat, "dossier", recommendation="A/HRC/23/15#131.4")
    by_id = rw.generate(
        rw.world.secretariat, "dossier", recommendation=str(rw.world.recommendation_id)
    )
    assert by_symbol.report_id == by_id.report_id
    assert by_symbol.version == by_id.version == 1


def test_the_fonts_shipped_with_the_reports_are_the_ones_their_licence_lists() -> None:
    fonts = Path(__file__).parent.parent / "reports" / "fonts"
    licence = (fonts / "LICENSE.txt").read_text(encoding="utf-8")
    for font in sorted(fonts.glob("*.ttf")):
        assert f"{sha256_hex(font.read_bytes())}  {font.name}" in licence
