"""Open data: the public catalogue and what the Council published, as CSV and JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from graphql_api.open_data_http import (
    UnknownExport,
    export_file,
    open_data_route,
    write_export,
)
from graphql_api.runtime import Runtime
from projections.open_data import (
    CATALOGUE_COLUMNS,
    POSITION_COLUMNS,
    catalogue,
    published_positions,
)
from tests.scenario import REC_TEXT, RoundRecord, World, build_world, play_round

ADOPTED_TEXT = "regular sessions since 2020"


@pytest.fixture
def played(runtime: Runtime) -> tuple[World, RoundRecord]:
    world = build_world(runtime.council)
    record = play_round(world)
    runtime.runner.catch_up()
    return world, record


def test_the_catalogue_lists_every_recommendation_with_its_official_status(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    world, _ = played
    rows = list(catalogue(runtime.database))
    assert [(r["document_symbol"], r["paragraph"]) for r in rows] == [
        ("A/HRC/23/15", "131.4"),
        ("A/HRC/23/15", "132.10"),
    ]
    first, second = rows
    assert tuple(first) == CATALOGUE_COLUMNS
    assert first["id"] == str(world.recommendation_id)
    assert first["text"] == REC_TEXT
    assert (first["status"], first["status_basis"]) == ("partially_implemented", "adopted_position")
    assert (second["status"], second["status_basis"]) == ("not_assessed", None)
    assert second["recommending_states"] == ["Hungary", "Romania"]
    assert second["themes"] == ["Minorities and Roma", "Education"]


def test_the_catalogue_names_the_responsible_state_bodies(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    world, _ = played
    runtime.council.assign_responsible_bodies(
        world.secretariat,
        world.other_recommendation_id,
        organisation_ids=[world.organisations["state_body"]],
    )
    runtime.runner.catch_up()
    rows = {r["paragraph"]: r for r in catalogue(runtime.database)}
    assert rows["132.10"]["responsible_bodies"] == ["Ministry of Justice"]
    assert rows["131.4"]["responsible_bodies"] == []


def test_the_published_positions_show_the_published_revision_not_a_later_draft(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    world, record = played
    council = runtime.council
    council.reopen_joint_position(
        world.secretariat, record.position_id, expected_revision=2, reason="New facts in 2026"
    )
    council.revise_joint_position(
        world.secretariat,
        record.position_id,
        expected_revision=2,
        text="A new draft that is not published yet.",
        proposed_status="fully_implemented",
    )
    runtime.runner.catch_up()

    [position] = list(published_positions(runtime.database))

    assert tuple(position) == POSITION_COLUMNS
    assert position["id"] == str(record.position_id)
    assert position["recommendation_id"] == str(world.recommendation_id)
    assert (position["document_symbol"], position["paragraph"]) == ("A/HRC/23/15", "131.4")
    assert position["published_revision"] == 2
    assert ADOPTED_TEXT in position["published_text"]
    assert position["published_status"] == "partially_implemented"
    assert position["adopted_at_session"] == "12th session of the Council"
    assert position["adopted_on"] == "2026-05-01"
    assert (position["votes_for"], position["votes_against"], position["abstentions"]) == (14, 2, 1)
    assert position["round_title"] == "UPR cycle 4 mid-term review, 2026"


def test_a_joint_position_not_yet_published_is_not_open_data(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    world, record = played
    runtime.council.draft_joint_position(
        world.secretariat,
        round_id=record.round_id,
        recommendation_id=world.other_recommendation_id,
        text="Still being drafted.",
        proposed_status="not_implemented",
    )
    runtime.runner.catch_up()
    assert [p["id"] for p in published_positions(runtime.database)] == [str(record.position_id)]


def test_the_catalogue_is_read_page_by_page_in_its_order(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    paged = [r["paragraph"] for r in catalogue(runtime.database, page_size=1)]
    assert paged == ["131.4", "132.10"]


def test_the_csv_file_has_one_header_and_joins_several_values_with_semicolons(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    out = io.BytesIO()
    assert write_export(runtime.database, "catalogue", "csv", out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert [r["paragraph"] for r in rows] == ["131.4", "132.10"]
    assert rows[1]["recommending_states"] == "Hungary; Romania"
    assert rows[1]["status_basis"] == ""
    assert rows[1]["text"].startswith("Continue efforts on the use of Ćirilica")


def test_the_json_file_is_an_array_of_the_same_rows(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    for dataset, rows in (
        ("catalogue", list(catalogue(runtime.database))),
        ("positions", list(published_positions(runtime.database))),
    ):
        out = io.BytesIO()
        write_export(runtime.database, dataset, "json", out)
        assert json.loads(out.getvalue()) == rows


def test_each_open_data_file_comes_with_its_content_type(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    csv_file = export_file(runtime.database, "positions.csv")
    assert csv_file.content_type == "text/csv; charset=utf-8"
    assert ADOPTED_TEXT in csv_file.body.decode("utf-8")
    assert export_file(runtime.database, "catalogue.json").content_type == "application/json"
    with pytest.raises(UnknownExport, match=r"catalogue\.csv, catalogue\.json, positions\.csv"):
        export_file(runtime.database, "members.csv")
    with pytest.raises(UnknownExport):
        export_file(runtime.database, "catalogue.xml")


def get(app: Starlette, path: str) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://council") as client:
            return await client.get(path)

    return asyncio.run(request())


def test_the_open_data_files_are_served_over_http_by_one_route(
    runtime: Runtime, played: tuple[World, RoundRecord]
) -> None:
    app = Starlette(routes=[open_data_route(runtime.database)])
    response = get(app, "/export/positions.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: list[dict[str, Any]] = response.json()
    assert [p["published_revision"] for p in body] == [2]
    assert get(app, "/export/catalogue.csv").text.startswith("id,mechanism,")
    missing = get(app, "/export/members.csv")
    assert missing.status_code == 404
    assert "the open data files are" in missing.text


def test_the_served_app_offers_the_catalogue_as_open_data(runtime: Runtime) -> None:
    from starlette.testclient import TestClient

    from graphql_api.app import create_app

    build_world(runtime.council)
    runtime.runner.catch_up()
    with TestClient(create_app(Runtime(runtime.settings))) as client:
        response = client.get("/export/catalogue.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert {row["paragraph"] for row in response.json()} == {"131.4", "132.10"}
