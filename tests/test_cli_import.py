"""`council import`, `council demo` and `council export`, run as the operator runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import graphql_api
from domain.recommendation import recommendation_id
from domain.values import Actor
from graphql_api.cli import ImportProgress
from graphql_api.importing import import_uhri
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from tests.test_uhri_import import UHRI_HEADER, every_kind_of_bad_row, uhri_row, write_uhri_csv

DATA = Path(graphql_api.__file__).parent / "data"
COUNCIL = Path(sys.executable).parent / "council"


def council(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env["COUNCIL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'council.db'}"
    command = [str(COUNCIL)] if COUNCIL.exists() else [sys.executable, "-m", "graphql_api.cli"]
    return subprocess.run(
        [*command, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_council_import_uhri_prints_a_summary_and_succeeds_with_rejected_rows(
    tmp_path: Path,
) -> None:
    path = write_uhri_csv(tmp_path / "export.csv", every_kind_of_bad_row())

    done = council(tmp_path, "import", "uhri", str(path), "--show-rejected", "4")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "export.csv: 9 rows read: 3 new, 0 updated, 0 unchanged, 6 rejected"
    assert lines[1] == "rejected rows (the first 4 of 6):"
    assert lines[2] == "  row 3, column 'Text': does not start with a paragraph number"
    assert len(lines) == 6


def test_council_import_uhri_of_the_same_file_again_reports_everything_unchanged(
    tmp_path: Path,
) -> None:
    serbia = str(DATA / "serbia-upr.csv")
    assert council(tmp_path, "import", "uhri", serbia).returncode == 0
    again = council(tmp_path, "import", "uhri", serbia)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "serbia-upr.csv: 144 rows read: 0 new, 0 updated, 144 unchanged, 0 rejected"
    ]


def test_council_import_uhri_of_a_missing_file_fails_naming_it(tmp_path: Path) -> None:
    done = council(tmp_path, "import", "uhri", "no-such-export.csv")
    assert done.returncode != 0
    assert "no-such-export.csv: no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_council_import_uhri_refuses_a_file_missing_required_columns_and_records_nothing(
    tmp_path: Path,
) -> None:
    header = [c for c in UHRI_HEADER if c != "Text"]
    path = write_uhri_csv(tmp_path / "export.csv", [uhri_row()], header=header)

    done = council(tmp_path, "import", "uhri", str(path))

    assert done.returncode != 0
    assert "export.csv: the header lacks the required column(s) Text" in done.stderr
    exported = council(tmp_path, "export", "catalogue", "--format", "json")
    assert json.loads(exported.stdout) == []


def test_council_demo_loads_once_and_if_empty_keeps_the_data(tmp_path: Path) -> None:
    loaded = council(tmp_path, "demo", "--if-empty")

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("Demo loaded: 144 recommendations of A/HRC/23/15")
    assert loaded.stdout.count("\n  member ") == 10
    assert loaded.stdout.count("\n  eyJ") == 10
    assert 'recommendations(first: 5, search: "roma")' in loaded.stdout

    again = council(tmp_path, "demo", "--if-empty")

    assert again.returncode == 0, again.stderr
    assert "the demo was not loaded" in again.stdout
    assert "council token issue --member" in again.stdout
    catalogue = json.loads(council(tmp_path, "export", "catalogue", "--format", "json").stdout)
    assert len(catalogue) == 144
    positions = council(tmp_path, "export", "positions", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(positions)))) == 1


def test_council_export_writes_the_file_named_by_output(tmp_path: Path) -> None:
    assert council(tmp_path, "import", "uhri", str(DATA / "serbia-upr.csv")).returncode == 0
    output = tmp_path / "catalogue.csv"

    done = council(tmp_path, "export", "catalogue", "--format", "csv", "--output", str(output))

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "catalogue: 144 rows exported as csv" in done.stderr
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert len(rows) == 144


def test_council_import_government_annex_proposes_the_state_bodys_assessments(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"COUNCIL_DATABASE_URL": f"sqlite:///{tmp_path / 'council.db'}"})
    runtime = Runtime(settings)
    try:
        operator = Actor.operator()
        import_uhri(runtime.council, DATA / "serbia-upr.csv")
        ministry = runtime.council.register_organisation(
            operator, name="Ministry of Justice", kind="state_body"
        ).id
        editor = runtime.council.register_member(
            operator,
            organisation_id=ministry,
            name="Vesna Obrazac",
            email="vesna@example.org",
            roles=["editor"],
        ).id
        round_id = runtime.council.open_round(
            operator,
            title="UPR cycle 2 review",
            recommendation_ids=[
                recommendation_id("A/HRC/23/15", p) for p in ("131.1", "131.2", "132.1")
            ],
            assessments_due=date(2026, 4, 1),
            co_signing_due=date(2026, 4, 15),
            council_session_on=date(2026, 5, 1),
            co_sign_quorum=0,
            cycle=2,
        ).id
    finally:
        runtime.close()
    annex = str(DATA / "serbia-government-annex-cycle2.csv")
    options = ["--org", str(ministry), "--round", str(round_id), "--member", str(editor)]

    done = council(tmp_path, "import", "government-annex", annex, *options)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "serbia-government-annex-cycle2.csv: 4 rows read: 3 new, 0 updated, 0 unchanged,"
        " 1 rejected",
        "rejected rows (the first 1 of 1):",
        "  row 5, column 'Paragraph': A/HRC/23/15 paragraph 133.2 is not part of the monitoring"
        " round 'UPR cycle 2 review'",
    ]
    wrong = council(tmp_path, "import", "government-annex", annex, *options[:-1], "nobody")
    assert wrong.returncode != 0
    assert "--member 'nobody' is not an id (a UUID)" in wrong.stderr


def test_without_a_terminal_import_progress_is_a_line_every_ten_thousand_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = ImportProgress("importing export.csv", total=None)
    for rows in (500, 9_500, 10_000, 15_000, 20_500):
        progress(rows)
    progress.finish()
    assert capsys.readouterr().err.splitlines() == [
        "importing export.csv: 10,000 rows read",
        "importing export.csv: 20,500 rows read",
    ]
