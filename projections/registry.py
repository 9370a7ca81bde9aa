"""Every read model of the Council, and the tables that are not projections (keys)."""

from __future__ import annotations

from projections.assessments import AssessmentsProjection
from projections.audit.log import DDL as AUDIT_DDL
from projections.audit.log import EMPTY_ACCUMULATOR
from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.comments import CommentsProjection
from projections.db import Database, Engine
from projections.directory import DirectoryProjection
from projections.history import HistoryProjection
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


def all_projections(engine: Engine) -> list[Projection]:
    return [cls(engine) for cls in PROJECTION_CLASSES]


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
