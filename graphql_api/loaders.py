"""DataLoaders: one batched read per kind of thing per request, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from graphql_api.runtime import Runtime
from projections.queries import assessments, catalogue, comments, directory, history
from projections.queries import joint_positions as positions
from projections.queries.as_of.assessments import assessment_at
from projections.queries.as_of.catalogue import recommendation_at
from projections.queries.as_of.positions import joint_position_at
from projections.queries.as_of.timeline import EventSource, born_by
from projections.queries.store import ReadStore

V = TypeVar("V")
Batch = Callable[[ReadStore, Sequence[str]], Mapping[str, Any]]


def _loader(store: ReadStore, batch: Batch, default: Any = None) -> DataLoader[str, Any]:
    async def load(keys: list[str]) -> list[Any]:
        # No stored id holds a NUL or a lone surrogate, and the databases refuse them outright.
        wanted = [key for key in keys if _storable(key)]
        found = await run_in_threadpool(batch, store, wanted) if wanted else {}
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


def _storable(key: str) -> bool:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in key


class Loaders:
    """Fresh for every request (and after every mutation, so a payload reads the new state)."""

    def __init__(self, runtime: Runtime, store: ReadStore) -> None:
        self.organisations = _loader(store, directory.organisations_by_ids)
        self.members = _loader(store, directory.members_by_ids)
        self.rounds = _loader(store, directory.rounds_by_ids)
        self.round_recommendations = _loader(store, directory.round_recommendation_ids, [])
        self.recommendations = _loader(store, catalogue.recommendations_by_ids)
        self.status_timelines = _loader(store, catalogue.status_timelines, [])
        self.assessments = _loader(store, assessments.assessments_by_ids)
        self.assessment_revisions = _loader(store, assessments.revisions_by_assessment, [])
        self.co_signatures = _loader(store, assessments.co_signatures_by_assessment, [])
        self.joint_positions = _loader(store, positions.joint_positions_by_ids)
        self.position_revisions = _loader(store, positions.revisions_by_position, [])
        self.amendments = _loader(store, positions.amendments_by_position, [])
        self.stances = _loader(store, positions.stances_by_position, [])
        self.adoptions = _loader(store, positions.adoptions_by_position, [])
        self.comments = _loader(store, comments.comments_by_ids)
        self.comments_by_subject = _loader(store, comments.comments_by_subject, [])
        self.comment_versions = _loader(store, comments.comment_versions, [])
        self.comment_counts = _loader(store, comments.comment_counts, 0)
        self.subjects = _loader(store, history.subjects_by_ids)
        self.viewed: dict[tuple[str, str], Any] = {}
        """Objects already made from loaded rows for this viewer: a list names the same
        organisation on many of its rows, and each is made and checked once."""
        self.personal_data = _personal_data_loader(runtime)
        # As of a log position, from the events: keyed by (id, log position).
        source = event_source(runtime)
        self.recommendations_as_of = _past_loader(source, recommendation_at)
        self.assessments_as_of = _past_loader(source, assessment_at)
        self.joint_positions_as_of = _past_loader(source, joint_position_at)
        self.born_by = _born_by_loader(source)


def event_source(runtime: Runtime) -> EventSource:
    table: str = runtime.council.recorder.events_table_name  # type: ignore[attr-defined]
    return EventSource(runtime.council, runtime.database, table)


Snapshot = Callable[[EventSource, UUID, int], Any]


def _past_loader(source: EventSource, snapshot: Snapshot) -> DataLoader[tuple[str, int], Any]:
    """The thing as of a log position (None before it existed, or for an id that is no id)."""

    def read_all(keys: Sequence[tuple[str, int]]) -> list[Any]:
        found: list[Any] = []
        for key, log_position in keys:
            try:
                aggregate_id = UUID(key)
            except ValueError:
                found.append(None)
                continue
            found.append(snapshot(source, aggregate_id, log_position))
        return found

    async def load(keys: list[tuple[str, int]]) -> list[Any]:
        return await run_in_threadpool(read_all, keys)

    return DataLoader(load_fn=load)


def _born_by_loader(source: EventSource) -> DataLoader[tuple[str, int], bool]:
    """Whether the thing with this id existed at that log position."""

    def read_all(keys: Sequence[tuple[str, int]]) -> list[bool]:
        by_position: dict[int, list[str]] = defaultdict(list)
        for key, log_position in keys:
            by_position[log_position].append(key)
        born = {
            (key, log_position)
            for log_position, ids in by_position.items()
            for key in born_by(source, ids, log_position)
        }
        return [key in born for key in keys]

    async def load(keys: list[tuple[str, int]]) -> list[bool]:
        return await run_in_threadpool(read_all, keys)

    return DataLoader(load_fn=load)


def _personal_data_loader(runtime: Runtime) -> DataLoader[tuple[str, str], Any]:
    """Names and e-mail, unsealed with each person's own key (absent once erased)."""

    def unseal_all(keys: Sequence[tuple[str, str]]) -> list[dict[str, str] | None]:
        return [
            runtime.vault.unseal(UUID(member_id), sealed) if sealed else None
            for member_id, sealed in keys
        ]

    async def load(keys: list[tuple[str, str]]) -> list[Any]:
        return await run_in_threadpool(unseal_all, keys)

    return DataLoader(load_fn=load)


T = TypeVar("T")


def now_or_later(
    loader: DataLoader[Any, Any], key: Any, convert: Callable[[Any], T]
) -> T | Awaitable[T]:
    """The converted value at once if the loader already has it (primed by a list), else later.

    A value returned at once spares GraphQL execution a coroutine per field, which is most of
    the cost of a long list.
    """
    future = loader.cache_map.get(key)
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return convert(future.result())

    async def later() -> T:
        return convert(await loader.load(key))

    return later()
