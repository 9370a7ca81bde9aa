"""The history in two parts, for a rebuild shared between processes.

History has a line for every event, so a process that rebuilds it whole reads and decodes the
whole log, most of which (the assessments' events) the process that rebuilds the assessments reads
and decodes too. In two parts, each beside the read models that read the same events, each part
writes the lines, names and subjects of its own events, and learns from a few of the other part's
events, without writing anything for them, what its lines name: the assessments' part learns the
names of organisations and members and the labels of recommendations; the other part learns each
assessment's label and place from its proposal. Together they write what the whole projection
writes.

A part keeps what it learns in memory only, so it is rebuilt from the start of the log in one
go: it cannot pick up its state from the tables it shares with the other part. Each has a
tracking row of its own for the length of the rebuild (two processes moving one row would take
turns), and the rebuild then sets the history's own (``graphql_api.rebuild``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol

from domain.assessment import Assessment
from domain.member import Member
from domain.organisation import Organisation
from domain.recommendation import Recommendation
from projections.base import Appends, Projection, Rows
from projections.db import Cursor, Engine
from projections.history import HistoryProjection

ASSESSMENT_EVENTS = frozenset(
    c for c in HistoryProjection.handlers if issubclass(c, Assessment.Event)
)


class HistoryPart(HistoryProjection):
    """Part of the history: the lines of the events it ``writes``, and what it ``learns_from``
    others (their names and subjects, kept in memory, not written)."""

    part_of = HistoryProjection.name
    writes: ClassVar[frozenset[type]] = frozenset()
    learns_from: ClassVar[frozenset[type]] = frozenset()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.handlers = {
            event_class: handler
            for event_class, handler in HistoryProjection.handlers.items()
            if event_class in cls.writes | cls.learns_from
        }

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # Where the writes of an event it only learns from go, to be forgotten.
        self._unwritten = (
            Appends(self.lines.table, *self.lines.columns),
            Rows(self.name_rows.table, *self.name_rows.key),
            Rows(self.subject_rows.table, *self.subject_rows.key),
        )

    def begin(self, cur: Cursor, position: int) -> None:
        if position == 0:  # nothing applied: nothing known
            self.names, self.subjects = {}, {}
            self._loaded_at = 0
        super().begin(cur, position)

    def load(self, cur: Cursor) -> None:
        raise RuntimeError(
            f"{self.name} is rebuilt from the start of the log only: the tables it shares with"
            " the rest of the history do not hold what it knew"
        )

    def apply(self, cur: Cursor, event: DomainEventProtocol[Any], position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is None:
            return
        if type(event) in self.writes:
            handler(self, cur, event, position)
            return
        kept = self.lines, self.name_rows, self.subject_rows
        self.lines, self.name_rows, self.subject_rows = self._unwritten
        try:
            handler(self, cur, event, position)
        finally:
            self.lines, self.name_rows, self.subject_rows = kept
            for buffer in self._unwritten:
                buffer.clear()


class AssessmentsHistory(HistoryPart):
    """The lines of the assessments' events, rebuilt beside the assessments read model."""

    name = "history/assessments"
    rebuilt_beside = "assessments"
    rebuild_cost = 2.2
    writes = ASSESSMENT_EVENTS
    learns_from = frozenset(
        {
            Organisation.Registered,
            Organisation.Renamed,
            Member.Registered,
            Recommendation.Recorded,
        }
    )

    def secondary_indexes(self) -> list[tuple[str, str]]:
        return []  # the other part builds them


class RestOfHistory(HistoryPart):
    """The lines of every other event."""

    name = "history/rest"
    rebuild_cost = 1.6
    writes = frozenset(HistoryProjection.handlers) - ASSESSMENT_EVENTS
    learns_from = frozenset({Assessment.Proposed})


HISTORY_PARTS: tuple[type[Projection], ...] = (AssessmentsHistory, RestOfHistory)
