"""`council report ...` on the embedded database: generate, list versions, compare, download."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphql_api.cli import build_parser
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from reports.canonical import sha256_hex
from tests.conftest import SteppingClock, settings_for
from tests.scenario import build_world, play_round
from tests.test_reports_content import pdf_text


def council_report(settings: Settings, *argv: str) -> int:
    """`council report ...` through the command line's own parser."""
    args = build_parser().parse_args(["report", *argv])
    result: int = args.func(settings, args)
    return result


@pytest.fixture
def embedded(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    settings = settings_for("sqlite", tmp_path)
    runtime = Runtime(settings, clock=SteppingClock())
    try:
        world = build_world(runtime.council)
        record = play_round(world)
        runtime.settle(runtime.council.log_position())
    finally:
        runtime.close()
    return settings, {
        "round": str(record.round_id),
        "dissented": str(record.steps["b_dissented"]),
    }


def test_the_command_line_generates_a_dossier_and_prints_its_id_version_and_sha256(
    embedded: tuple[Settings, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, ids = embedded
    output = tmp_path / "dossier.pdf"
    code = council_report(
        settings,
        "generate",
        "dossier",
        "--param",
        "recommendation=A/HRC/23/15#131.4",
        "--language",
        "sr-Cyrl",
        "--output",
        str(output),
    )
    assert code == 0
    lines = dict(line.split(" ", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["version"] == "1"
    assert lines["sha256"] == sha256_hex(output.read_bytes())
    assert "Досије препоруке" in pdf_text(output.read_bytes())

    code = council_report(
        settings,
        "generate",
        "dossier",
        "--param",
        "recommendation=A/HRC/23/15#131.4",
        "--language",
        "sr-Cyrl",
        "--as-of",
        ids["dissented"],
    )
    assert code == 0
    second = dict(line.split(" ", 1) for line in capsys.readouterr().out.splitlines())
    assert (second["report"], second["version"]) == (lines["report"], "2")
    assert second["log-position"] == ids["dissented"]

    assert council_report(settings, "versions", lines["report"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["1", "2"]
    assert f"sha256 {lines['sha256']}" in listed[0]

    assert council_report(settings, "diff", lines["report"], "2", "1") == 0
    changes = capsys.readouterr().out
    assert "The Council adopted revision 2" in changes
    assert "published revision 2" in changes

    copy = tmp_path / "copy.pdf"
    assert council_report(settings, "download", lines["report"], "1", "--output", str(copy)) == 0
    assert copy.read_bytes() == output.read_bytes()


def test_the_command_line_refuses_a_parameter_without_a_value(
    embedded: tuple[Settings, dict[str, str]],
) -> None:
    settings, ids = embedded
    with pytest.raises(ValueError, match="NAME=VALUE"):
        council_report(settings, "generate", "round_summary", "--param", ids["round"])
