"""Report versions: every generation an event, the same log position the same PDF, in any process;
a report of an earlier moment shows the record as it stood then; who may read and generate what."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import Invalid, NotAllowed, NotFound
from domain.values import Actor
from graphql_api.settings import Settings
from projections.db import Database
from reports import access, service, storage
from reports.canonical import sha256_hex
from tests.conftest import settings_for
from tests.test_reports_content import (
    ReportWorld,
    build_report_world,
    embedded_data,
    open_runtime,
    pdf_text,
)

ROOT = Path(__file__).parent.parent


@pytest.fixture
def rw(settings: Settings) -> Iterator[ReportWorld]:
    runtime = open_runtime(settings)
    world = build_report_world(runtime)
    yield world
    world.store.close()
    runtime.close()


def _dossier(rw: ReportWorld, **extra: str) -> dict[str, str]:
    return {"recommendation": str(rw.world.recommendation_id), **extra}


def test_generating_again_at_the_same_log_position_serves_the_stored_version_and_records_nothing(
    rw: ReportWorld,
) -> None:
    first = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    head = rw.runtime.council.log_position()
    again = rw.generate(rw.world.cso_a, "dossier", **_dossier(rw))
    as_of = service.generate(
        rw.reports,
        rw.store,
        rw.world.secretariat,
        kind="dossier",
        parameters=_dossier(rw),
        as_of=head,
    )
    assert not first.from_storage
    assert first.event_log_position == head
    assert again.event_log_position == first.event_log_position
    assert (again.version, again.pdf_sha256, again.from_storage) == (1, first.pdf_sha256, True)
    assert (as_of.version, as_of.log_position) == (1, first.log_position)
    assert rw.runtime.council.log_position() == head
    [version] = service.versions(rw.store, rw.world.secretariat, first.report_id)
    assert version.generated_by == rw.world.secretariat.member_id
    assert version.pdf_sha256 == first.pdf_sha256


def test_a_new_event_about_the_subject_makes_version_2_with_another_hash_and_the_diff_lists_it(
    rw: ReportWorld,
) -> None:
    first = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    correction = rw.runtime.council.correct_recommendation_status(
        rw.world.secretariat,
        rw.world.recommendation_id,
        status="fully_implemented",
        reason="The Council meets every quarter since 2025.",
        expected_revision=2,
    )
    second = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    assert (first.version, second.version) == (1, 2)
    assert second.log_position == correction.log_position > first.log_position
    assert second.pdf_sha256 != first.pdf_sha256
    changes = service.diff(rw.store, rw.world.secretariat, first.report_id, 1, 2)
    assert [row.log_position for row in changes] == [correction.log_position]
    assert "The Council meets every quarter since 2025." in changes[0].summary
    assert service.diff(rw.store, rw.world.secretariat, first.report_id, 2, 1) == changes
    versions = service.versions(rw.store, rw.world.secretariat, first.report_id)
    assert [(v.version, v.log_position) for v in versions] == [
        (1, first.log_position),
        (2, second.log_position),
    ]
    assert "The Council meets every quarter since 2025." in pdf_text(rw.pdf(second))


def test_events_about_other_recommendations_do_not_make_a_new_version_of_a_dossier(
    rw: ReportWorld,
) -> None:
    first = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    rw.runtime.council.correct_recommendation_status(
        rw.world.secretariat,
        rw.world.other_recommendation_id,
        status="not_implemented",
        reason="No progress reported.",
        expected_revision=1,
    )
    again = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    assert (again.version, again.log_position, again.pdf_sha256) == (
        1,
        first.log_position,
        first.pdf_sha256,
    )
    summary = rw.generate(rw.world.secretariat, "round_summary", round=str(rw.record.round_id))
    assert summary.log_position > first.log_position


def test_a_report_of_an_earlier_log_position_shows_the_record_as_it_stood_then(
    rw: ReportWorld,
) -> None:
    dissented = rw.record.steps["b_dissented"]
    earlier = service.generate(
        rw.reports,
        rw.store,
        rw.world.secretariat,
        kind="dossier",
        parameters=_dossier(rw),
        as_of=dissented,
    )
    assert earlier.log_position == dissented
    pdf = rw.pdf(earlier)
    document = json.loads(embedded_data(pdf))
    [position] = document["data"]["joint_positions"]
    assert position["state"] == "drafting"
    assert position["adoptions"] == []
    assert [d["statement"] for d in position["dissents"]] == [
        "Sessions were held, but civil society was not consulted on the agenda."
    ]
    assert document["data"]["recommendation"]["status"] == "not_assessed"
    assert [a["track"] for a in document["data"]["assessments"]] == ["civil_society"]
    assert document["record"]["audit"]["tree_size"] == dissented
    text = pdf_text(pdf)
    assert f"The record as it stood at log position {dissented}" in text
    assert "Not adopted." in text


def test_the_record_rebuilt_for_an_earlier_log_position_equals_what_the_live_read_models_showed(
    rw: ReportWorld,
) -> None:
    live = rw.generate(rw.world.secretariat, "round_summary", round=str(rw.record.round_id))
    rw.runtime.council.correct_recommendation_status(
        rw.world.secretariat,
        rw.world.recommendation_id,
        status="fully_implemented",
        reason="Corrected after the session.",
        expected_revision=2,
    )
    rebuilt = service.generate(
        rw.reports,
        rw.store,
        rw.world.secretariat,
        kind="round_summary",
        parameters={"round": str(rw.record.round_id)},
        language="sr-Latn",
        as_of=live.log_position,
    )
    first = json.loads(embedded_data(rw.pdf(live)))
    second = json.loads(embedded_data(rw.pdf(rebuilt)))
    assert second["record"] == first["record"]
    assert second["data"] == first["data"]
    assert first["data"]["recommendations"][0]["status"] == "partially_implemented"


def test_regenerating_at_the_same_log_position_in_a_new_process_gives_the_same_sha256(
    rw: ReportWorld, settings: Settings
) -> None:
    first = rw.generate(
        rw.world.secretariat, "audit_trail", "sr-Cyrl", subject=str(rw.record.round_id)
    )
    script = (
        "import sys\n"
        "from domain.values import Actor\n"
        "from graphql_api.runtime import Runtime\n"
        "from graphql_api.settings import Settings\n"
        "from projections.queries.store import ReadStore\n"
        "from reports import service, storage\n"
        "from reports.canonical import sha256_hex\n"
        "from reports.render import render_pdf\n"
        "import json\n"
        "settings = Settings.from_env()\n"
        "runtime = Runtime(settings, create_tables=False)\n"
        "store = ReadStore(settings.database)\n"
        "report_id, position = sys.argv[1], int(sys.argv[2])\n"
        "document = json.loads(storage.input_of(store, report_id, position))\n"
        "print(sha256_hex(render_pdf(document)))\n"
        "again = service.generate(runtime, store, Actor.operator(), kind='audit_trail',\n"
        "    parameters={'subject': sys.argv[3]}, language='sr-Cyrl')\n"
        "print(again.version, again.pdf_sha256, again.from_storage)\n"
    )
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": settings.database_url,
        "COUNCIL_SCHEMA": settings.schema,
        "COUNCIL_PROJECTION_WAIT_SECONDS": "0.5",
    }
    if not settings.embedded:
        rw.reports.settle(rw.runtime.council.log_position())
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(first.report_id),
            str(first.log_position),
            str(rw.record.round_id),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rendered, served = result.stdout.split("\n")[:2]
    assert rendered == first.pdf_sha256
    assert served == f"1 {first.pdf_sha256} True"
    assert sha256_hex(rw.pdf(first)) == first.pdf_sha256


def test_a_stored_pdf_that_was_altered_is_refused(rw: ReportWorld) -> None:
    first = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    with rw.runtime.database.transaction() as cur:
        cur.execute(
            "UPDATE report_files SET pdf = ? WHERE report_id = ?",
            (b"%PDF-1.7 forged", str(first.report_id)),
        )
    with pytest.raises(service.StoredFileMismatch):
        service.pdf_bytes(rw.store, rw.world.secretariat, first.report_id, 1)


def test_a_file_stored_before_a_crash_is_the_one_the_next_generation_records(
    rw: ReportWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died before the event was saved")

    with monkeypatch.context() as patched:
        patched.setattr(service, "record_generation", crash)
        with pytest.raises(RuntimeError):
            rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    assert service.reports(rw.store, rw.world.secretariat) == []
    after = rw.generate(rw.world.secretariat, "dossier", **_dossier(rw))
    assert (after.version, after.from_storage) == (1, True)
    assert sha256_hex(rw.pdf(after)) == after.pdf_sha256


def test_who_may_read_which_report(rw: ReportWorld) -> None:
    world = rw.world
    council_edition = {"recommendation": "x", "audience": "council"}
    public_edition = {"recommendation": "x", "audience": "public"}
    assert access.may_read(None, "dossier", public_edition)
    assert not access.may_read(None, "dossier", council_edition)
    assert not access.may_read(world.outsider, "dossier", council_edition)
    assert access.may_read(world.cso_a, "dossier", council_edition)
    assert access.may_read(world.state_body, "round_summary", {"round": "x"})
    assert access.may_read(world.auditor, "round_summary", {"round": "x"})
    assert not access.may_read(world.outsider, "round_summary", {"round": "x"})
    assert access.may_read(world.auditor, "audit_trail", {"subject": "x"})
    assert access.may_read(world.secretariat, "audit_trail", {"subject": "x"})
    assert not access.may_read(world.cso_a, "audit_trail", {"subject": "x"})
    assert not access.may_read(None, "audit_trail", {"subject": "x"})


def test_only_members_who_may_generate_reports_generate_them(rw: ReportWorld) -> None:
    world = rw.world
    round_id = str(rw.record.round_id)
    with pytest.raises(NotAllowed):
        rw.generate(world.auditor, "round_summary", round=round_id)
    with pytest.raises(NotAllowed):
        rw.generate(world.outsider, "round_summary", round=round_id)
    with pytest.raises(NotAllowed):
        rw.generate(world.cso_a, "audit_trail", subject=round_id)
    assert service.reports(rw.store, world.secretariat) == []


def test_the_council_edition_is_not_served_to_the_public_and_the_public_edition_is(
    rw: ReportWorld,
) -> None:
    council = rw.generate(rw.world.cso_a, "dossier", **_dossier(rw))
    public = rw.generate(rw.world.cso_a, "dossier", **_dossier(rw, audience="public"))
    with pytest.raises(NotFound):
        service.pdf_bytes(rw.store, None, council.report_id, 1)
    assert service.pdf_bytes(rw.store, None, public.report_id, 1)[:5] == b"%PDF-"
    assert [r.id for r in service.reports(rw.store, None)] == [public.report_id]
    assert service.report(rw.store, None, council.report_id) is None
    listed = {r.id for r in service.reports(rw.store, rw.world.auditor)}
    assert listed == {council.report_id, public.report_id}
    assert public.download_path == f"/reports/{public.report_id}/versions/1.pdf"


def test_bad_requests_are_refused_naming_what_is_wrong(rw: ReportWorld) -> None:
    secretariat = rw.world.secretariat
    cases: list[tuple[str, dict[str, str], str, int | None, str]] = [
        ("minutes", {}, "en", None, "kind"),
        ("dossier", _dossier(rw), "de", None, "language"),
        ("dossier", {}, "en", None, "parameters.recommendation"),
        ("dossier", _dossier(rw, audience="press"), "en", None, "parameters.audience"),
        ("round_summary", {"round": "the last one"}, "en", None, "parameters.round"),
        ("round_summary", {"round": "x", "theme": "y"}, "en", None, "parameters.theme"),
        ("dossier", _dossier(rw), "en", 10**9, "as_of"),
    ]
    for kind, parameters, language, as_of, field in cases:
        with pytest.raises(Invalid) as caught:
            service.generate(
                rw.reports,
                rw.store,
                secretariat,
                kind=kind,
                parameters=parameters,
                language=language,
                as_of=as_of,
            )
        assert caught.value.field == field
    with pytest.raises(NotFound):
        rw.generate(secretariat, "round_summary", round=str(rw.world.recommendation_id))
    with pytest.raises(NotFound):
        service.generate(
            rw.reports, rw.store, secretariat, kind="dossier", parameters=_dossier(rw), as_of=1
        )
    assert service.reports(rw.store, Actor.operator()) == []


def _keep(database: Database, pdf: bytes) -> storage.StoredFile:
    return storage.store(
        database,
        report_id="5b1d0c4e-0000-5000-8000-000000000001",
        log_position=7,
        pdf=pdf,
        pdf_sha256=sha256_hex(pdf),
        input_json=b"{}\n",
        input_digest=sha256_hex(b"{}\n"),
        data_digest=sha256_hex(b"{}\n"),
    )


def test_the_first_file_stored_for_a_report_and_log_position_stays(settings: Settings) -> None:
    database = Database(settings.database)
    try:
        storage.create_tables(database)
        first = _keep(database, b"%PDF-1.7 first")
        second = _keep(database, b"%PDF-1.7 second")
        assert second == first
        assert first.pdf_sha256 == sha256_hex(b"%PDF-1.7 first")
    finally:
        database.close()


@pytest.mark.postgres
def test_report_files_outlive_a_rebuild_of_the_read_models(tmp_path: Path) -> None:
    settings = settings_for("postgres", tmp_path)
    database = Database(settings.database)
    try:
        storage.create_tables(database)
        kept = _keep(database, b"%PDF-1.7 kept")
        database.drop_read_schema()
        with database.transaction() as cur:
            cur.execute(f'SELECT pdf, pdf_sha256 FROM "{settings.schema}".report_files')
            pdf, sha = cur.fetchone()
        assert (bytes(pdf), sha) == (b"%PDF-1.7 kept", kept.pdf_sha256)
    finally:
        database.drop_schemas()
