"""Every read model of the Council, and the tables that are not projections (keys)."""

from __future__ import annotations

from collections.abc import Sequence

from projections.assessments import AssessmentsProjection
from projections.audit.log import DDL as AUDIT_DDL
from projections.audit.log import EMPTY_ACCUMULATOR
from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.comments import CommentsProjection
from projections.db import Database, Engine
from projections.directory import DirectoryProjection
from projections.history import HistoryProjection
from projections.history_parts import HISTORY_PARTS
from projections.joint_positions import JointPositionsProjection
from projections.personal_keys import DDL as KEY_DDL
from projections.reports import ReportsProjection
from projections.rounds import RoundsProjection
from projections.runner import create_tables

PROJECTION_CLASSES: tuple[type[Projection], ...] = (
    CatalogueProjection,
    DirectoryProjection,
    RoundsProjection,
    AssessmentsProjection,
    JointPositionsProjection,
    CommentsProjection,
    HistoryProjection,
    ReportsProjection,
)


# The read models a rebuild in several processes may share out in parts, and their parts.
REBUILT_IN_PARTS: dict[str, tuple[type[Projection], ...]] = {HistoryProjection.name: HISTORY_PARTS}


def all_projections(engine: Engine) -> list[Projection]:
    return [cls(engine) for cls in PROJECTION_CLASSES]


def in_parts(projections: Sequence[Projection]) -> list[Projection]:
    """The projections, each that a rebuild may share out in parts replaced by its parts."""
    return [
        part
        for projection in projections
        for part in (
            [cls(projection.engine) for cls in REBUILT_IN_PARTS[projection.name]]
            if projection.name in REBUILT_IN_PARTS
            else [projection]
        )
    ]


def part_names(projections: Sequence[Projection]) -> list[str]:
    """The tracking names of the parts of the projections that a rebuild may share out."""
    return [cls.name for p in projections for cls in REBUILT_IN_PARTS.get(p.name, ())]


def migrate(database: Database) -> None:
    """Create every read-model table, the tracking table and the key store (idempotent)."""
    database.ensure_schemas()
    with database.transaction() as cur:
        for statement in KEY_DDL:
            cur.execute(statement)
    create_tables(database, all_projections(database.engine))
    with database.transaction() as cur:
        for statement in AUDIT_DDL:
            cur.execute(statement)
        cur.execute(
            "INSERT INTO audit_tracking (id, log_position, accumulator) VALUES (1, 0, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (EMPTY_ACCUMULATOR,),
        )
