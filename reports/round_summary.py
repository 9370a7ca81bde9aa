"""The data of a round summary, and the tables drawn from it.

Every recommendation of the round with its official status, the ratings submitted in each track
(only assessments submitted to the Council count: drafts are their organisations' own) and the
state of its joint position. The tables (status by mechanism and by theme, ratings by track,
divergences) are computed from those rows when the report is drawn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from domain.errors import NotFound
from projections.queries.assessments import assessments_by_ids
from projections.queries.catalogue import recommendations_by_ids
from projections.queries.directory import round_recommendation_ids, rounds_by_ids
from projections.queries.joint_positions import joint_positions_by_ids
from projections.queries.reports import assessment_ids, joint_position_ids
from projections.queries.store import ReadStore
from reports.kinds import ReportSpec
from reports.names import Names

STATUSES = ("not_assessed", "not_implemented", "partially_implemented", "fully_implemented")
RATINGS = STATUSES[1:]
TRACKS = ("civil_society", "government")


def round_summary_data(source: ReadStore, spec: ReportSpec) -> dict[str, Any]:
    round_id = spec.subject_id
    found = rounds_by_ids(source, [round_id])
    if round_id not in found:
        raise NotFound(
            f"no monitoring round with id {round_id} at this log position",
            kind="monitoring round",
            id=round_id,
        )
    row = found[round_id]
    names = Names(source)
    rec_ids = round_recommendation_ids(source, [round_id])[round_id]
    recommendations = recommendations_by_ids(source, rec_ids) if rec_ids else {}
    ids = assessment_ids(source, round_id=round_id)
    assessments = assessments_by_ids(source, ids) if ids else {}
    submitted = [a for a in assessments.values() if a.state == "submitted"]
    ratings: dict[str, dict[str, list[dict[str, Any]]]] = {
        rec_id: {track: [] for track in TRACKS} for rec_id in rec_ids
    }
    for a in sorted(submitted, key=lambda a: (a.proposed_at, a.id)):
        if a.recommendation_id in ratings and a.submitted_revision is not None:
            ratings[a.recommendation_id][a.track].append(
                {
                    "organisation": names.organisation(a.organisation_id),
                    "rating": a.rating,
                    "revision": a.submitted_revision,
                }
            )
    position_ids = joint_position_ids(source, round_id=round_id)
    drafted = joint_positions_by_ids(source, position_ids) if position_ids else {}
    positions = {p.recommendation_id: p for p in drafted.values()}
    rows = []
    for rec_id in rec_ids:
        rec = recommendations[rec_id]
        position = positions.get(rec_id)
        rows.append(
            {
                "id": rec.id,
                "mechanism": rec.mechanism,
                "cycle": rec.cycle,
                "document_symbol": rec.document_symbol,
                "paragraph": rec.paragraph,
                "text": rec.text,
                "themes": rec.themes,
                "state_response": rec.state_response,
                "status": rec.status,
                "ratings": ratings[rec_id],
                "joint_position": None
                if position is None
                else {
                    "id": position.id,
                    "state": position.state,
                    "revision": position.revision,
                    "proposed_status": position.proposed_status,
                    "adopted_revision": position.adopted_revision,
                    "published_revision": position.published_revision,
                },
            }
        )
    return {
        "round": {
            "id": row.id,
            "title": row.title,
            "mechanism": row.mechanism,
            "cycle": row.cycle,
            "phase": row.phase,
            "assessments_due": row.assessments_due,
            "co_signing_due": row.co_signing_due,
            "council_session_on": row.council_session_on,
            "co_sign_quorum": row.co_sign_quorum,
        },
        "recommendations": rows,
    }


@dataclass(frozen=True)
class Divergence:
    recommendation: dict[str, Any]
    civil_society: list[str]
    government: list[str]
    gap: int


@dataclass(frozen=True)
class RoundTables:
    status: Counter[str]
    by_mechanism: dict[str, Counter[str]]
    by_theme: dict[str, Counter[str]]
    by_track: dict[str, Counter[str]]
    divergences: list[Divergence]
    grouped: dict[str, dict[str, list[dict[str, Any]]]]
    positions: int
    adopted: int


NO_THEME = ""


def tables(data: dict[str, Any]) -> RoundTables:
    """The summary tables of a round, from its rows."""
    rows: list[dict[str, Any]] = data["recommendations"]
    status: Counter[str] = Counter()
    by_mechanism: dict[str, Counter[str]] = {}
    by_theme: dict[str, Counter[str]] = {}
    by_track: dict[str, Counter[str]] = {track: Counter() for track in TRACKS}
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    divergences = []
    positions = adopted = 0
    for row in rows:
        status[row["status"]] += 1
        by_mechanism.setdefault(row["mechanism"], Counter())[row["status"]] += 1
        for theme in row["themes"] or [NO_THEME]:
            by_theme.setdefault(theme, Counter())[row["status"]] += 1
        primary = row["themes"][0] if row["themes"] else NO_THEME
        grouped.setdefault(row["mechanism"], {}).setdefault(primary, []).append(row)
        for track in TRACKS:
            for rating in row["ratings"][track]:
                by_track[track][rating["rating"]] += 1
        cso = sorted({r["rating"] for r in row["ratings"]["civil_society"]}, key=RATINGS.index)
        gov = sorted({r["rating"] for r in row["ratings"]["government"]}, key=RATINGS.index)
        if cso and gov and cso != gov:
            gap = max(abs(RATINGS.index(c) - RATINGS.index(g)) for c in cso for g in gov)
            divergences.append(Divergence(row, cso, gov, gap))
        if row["joint_position"] is not None:
            positions += 1
            if row["joint_position"]["state"] in ("adopted", "published"):
                adopted += 1
    divergences.sort(key=lambda d: -d.gap)
    return RoundTables(
        status=status,
        by_mechanism=dict(sorted(by_mechanism.items())),
        by_theme=dict(sorted(by_theme.items(), key=lambda item: (-item[1].total(), item[0]))),
        by_track=by_track,
        divergences=divergences,
        grouped={m: dict(sorted(themes.items())) for m, themes in sorted(grouped.items())},
        positions=positions,
        adopted=adopted,
    )
