"""The read models as they stood at a past log position, rebuilt into scratch space.

The live read models hold the present. A report of an earlier moment projects the log again, up
to exactly that log position, into a scratch file (SQLite) or a scratch schema (PostgreSQL) of its
own, reads it like the live read models, and removes it. Only the projections a report reads are
rebuilt.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.assessments import AssessmentsProjection
from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.db import Database, DatabaseUrl
from projections.directory import DirectoryProjection
from projections.history import HistoryProjection
from projections.joint_positions import JointPositionsProjection
from projections.queries.store import ReadStore
from projections.reports import ReportsProjection
from projections.rounds import RoundsProjection
from projections.runner import ProjectionRunner, create_tables

READ_MODELS: tuple[type[Projection], ...] = (
    CatalogueProjection,
    DirectoryProjection,
    RoundsProjection,
    AssessmentsProjection,
    JointPositionsProjection,
    HistoryProjection,
    ReportsProjection,
)
"""The projections a report reads."""

READ_MODEL_NAMES = tuple(cls.name for cls in READ_MODELS)


def _scratch(live: Database) -> Database:
    url = live.url
    if url.engine == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="council-report-"))
        return Database(DatabaseUrl(engine="sqlite", path=folder / "as-of.db"))
    name = f"{url.read_schema}_report_{uuid.uuid4().hex[:12]}"
    return Database(replace(url, read_schema_name=name))


@contextmanager
def rebuilt_at(
    live: Database, recorder: ApplicationRecorder, mapper: Mapper[Any], log_position: int
) -> Iterator[ReadStore]:
    """A read store over the read models a report reads, as they stood at ``log_position``."""
    scratch = _scratch(live)
    store = ReadStore(scratch.url, max_connections=2)
    try:
        scratch.ensure_schemas()
        projections = [cls(scratch.engine) for cls in READ_MODELS]
        create_tables(scratch, projections)
        runner = ProjectionRunner(scratch, recorder, mapper, projections, batch_size=2000)
        for projection in projections:
            runner.catch_up(projection, until=log_position)
        yield store
    finally:
        store.close()
        if scratch.engine == "postgres":
            scratch.drop_read_schema()
        else:
            scratch.drop_schemas()
            assert scratch.url.path is not None
            scratch.url.path.parent.rmdir()
