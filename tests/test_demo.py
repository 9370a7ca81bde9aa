"""The demo: the Serbian catalogue and a believable round, loaded once, shown by the read models."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from graphql_api import demo, tokens
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.open_data import published_positions


def rows(runtime: Runtime, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with runtime.database.transaction() as cur:
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


@pytest.fixture
def loaded(runtime: Runtime) -> demo.DemoResult:
    result = demo.load_demo(runtime.council)
    runtime.runner.catch_up()
    return result


def test_the_demo_catalogues_the_144_serbian_recommendations_of_the_second_cycle(
    runtime: Runtime, loaded: demo.DemoResult
) -> None:
    assert loaded.recommendations == 144
    assert rows(
        runtime, "SELECT document_symbol, cycle, COUNT(*) FROM recommendations GROUP BY 1, 2"
    ) == [("A/HRC/23/15", 2, 144)]
    with_bodies = rows(
        runtime, "SELECT COUNT(*) FROM recommendations WHERE responsible_body_ids <> '[]'"
    )
    assert 0 < with_bodies[0][0] < 144


def test_the_demo_shows_assessments_at_every_stage_of_both_tracks(
    runtime: Runtime, loaded: demo.DemoResult
) -> None:
    found = rows(
        runtime, "SELECT track, state, COUNT(*) FROM assessments GROUP BY 1, 2 ORDER BY 1, 2"
    )
    assert found == [
        ("civil_society", "draft", 1),
        ("civil_society", "open_for_signature", 1),
        ("civil_society", "submitted", 1),
        ("government", "draft", 4),
        ("government", "submitted", 1),
    ]
    annex = rows(
        runtime,
        "SELECT COUNT(*) FROM assessments WHERE track = 'government' AND state = 'draft'"
        " AND narrative LIKE ?",
        "Government's annex: %",
    )
    assert annex == [(4,)]


def test_the_demo_keeps_co_signatures_on_the_revisions_they_were_given_on(
    runtime: Runtime, loaded: demo.DemoResult
) -> None:
    signed = rows(
        runtime,
        "SELECT s.revision, s.status FROM co_signatures s JOIN assessments a"
        " ON a.id = s.assessment_id WHERE a.state = 'submitted' AND a.track = 'civil_society'"
        " ORDER BY s.log_position",
    )
    assert signed == [(2, "superseded"), (2, "active"), (3, "active")]


def test_the_demo_publishes_one_joint_position_with_a_dissent_and_keeps_another_in_drafting(
    runtime: Runtime, loaded: demo.DemoResult
) -> None:
    positions = rows(
        runtime, "SELECT state, visibility, published_revision FROM joint_positions ORDER BY 1"
    )
    assert positions == [("drafting", "council", None), ("published", "public", 2)]
    stances = rows(
        runtime, "SELECT kind, COUNT(*) FROM position_stances GROUP BY kind ORDER BY kind"
    )
    assert stances == [("dissent", 1), ("endorsement", 2)]
    [published] = list(published_positions(runtime.database))
    assert published["id"] == str(loaded.published_position_id)
    assert published["paragraph"] == "132.94"
    assert published["published_text"].startswith("(Demo text, not a real assessment.)")
    assert rows(
        runtime, "SELECT status FROM recommendations WHERE id = ?", published["recommendation_id"]
    ) == [("partially_implemented",)]


def test_every_demo_organisation_is_marked_as_demo_and_every_comment_says_it_is_demo_text(
    runtime: Runtime, loaded: demo.DemoResult
) -> None:
    names = [name for (name,) in rows(runtime, "SELECT name FROM organisations")]
    assert len(names) == 9
    assert all(name.endswith("(demo)") for name in names)
    kinds = rows(runtime, "SELECT kind, COUNT(*) FROM organisations GROUP BY kind ORDER BY kind")
    assert kinds == [("cso", 3), ("observer", 1), ("secretariat", 1), ("state_body", 4)]
    comments = [text for (text,) in rows(runtime, "SELECT text FROM comments")]
    assert len(comments) == 3
    assert all(text.startswith("(Demo text") for text in comments)


def test_loading_the_demo_if_empty_does_nothing_once_recommendations_are_there(
    runtime: Runtime,
) -> None:
    assert not demo.holds_recommendations(runtime.council)
    demo.load_demo(runtime.council)
    position = runtime.council.log_position()
    assert demo.holds_recommendations(runtime.council)
    out = io.StringIO()
    demo.print_lines(demo.already_loaded(), out)
    assert "the demo was not loaded" in out.getvalue()
    assert "council token issue --member" in out.getvalue()
    assert runtime.council.log_position() == position


def test_every_demo_member_gets_a_month_long_token_naming_them(
    settings: Settings, loaded: demo.DemoResult
) -> None:
    # A key of its own: on PostgreSQL the embedded key file would land in the working directory.
    settings = replace(settings, secret_key="demo-test-signing-key-" + "k" * 16)
    out = io.StringIO()
    demo.print_lines(demo.welcome(settings, loaded), out)
    lines = out.getvalue().splitlines()
    assert len(loaded.members) == 10
    for member in loaded.members:
        heading = lines.index(f"{member.name}, {member.organisation} [{', '.join(member.roles)}]")
        assert lines[heading + 1] == f"  member {member.id}"
        claims = tokens.verify(settings, lines[heading + 2].strip())
        assert claims.member_id == member.id
        assert 29 <= (claims.expires_at - datetime.now(UTC)).days <= 30
    assert demo.SAMPLE_QUERY in out.getvalue()
    assert "http://127.0.0.1:8000/graphql" in out.getvalue()
