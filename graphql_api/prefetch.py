"""Reading ahead for a list: what its nodes will ask for, loaded in one batch per kind up front.

A list resolver knows its rows and which nested fields the query selected; priming the loaders
lets those fields answer at once instead of each awaiting the loader. The number of statements
stays the same (one per kind); only the waiting goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from starlette.concurrency import run_in_threadpool

from graphql_api.context import Info
from projections.queries import assessments, comments, directory
from projections.queries.assessments import AssessmentRow


def selected_paths(info: Info) -> set[str]:
    """Dotted paths of every field the query selected below this one: ``edges.node.id``."""
    paths: set[str] = set()

    def walk(selections: Iterable[Any], prefix: str) -> None:
        for selection in selections:
            name = getattr(selection, "name", None)
            children = getattr(selection, "selections", None) or []
            if name is None or not hasattr(selection, "arguments"):  # a fragment
                walk(children, prefix)
                continue
            path = f"{prefix}{name}"
            paths.add(path)
            walk(children, f"{path}.")

    for field in info.selected_fields:
        walk(field.selections, "")
    return paths


def _wants(paths: set[str], *fields: str) -> bool:
    return any(f"{node}.{field}" in paths for node in ("edges.node", "nodes") for field in fields)


async def prefetch_assessments(info: Info, rows: list[AssessmentRow]) -> None:
    if not rows:
        return
    paths = selected_paths(info)
    store = info.context.services.store
    loaders = info.context.loaders
    ids = [row.id for row in rows]
    org_ids = {row.organisation_id for row in rows} if _wants(paths, "organisation") else set()
    jobs: dict[str, Any] = {}
    if _wants(paths, "coSignatures"):
        jobs["signatures"] = run_in_threadpool(assessments.co_signatures_by_assessment, store, ids)
    if _wants(paths, "commentCount") and info.context.viewer.sees_members():
        jobs["counts"] = run_in_threadpool(comments.comment_counts, store, ids)
    signed_by_orgs = _wants(paths, "coSignatures.organisation")
    if org_ids and not signed_by_orgs:
        jobs["orgs"] = run_in_threadpool(directory.organisations_by_ids, store, sorted(org_ids))
    found = dict(zip(jobs, await asyncio.gather(*jobs.values()), strict=True))
    if "signatures" in found:
        loaders.co_signatures.prime_many(found["signatures"])
        if signed_by_orgs:
            org_ids |= {s.organisation_id for each in found["signatures"].values() for s in each}
    if "counts" in found:
        loaders.comment_counts.prime_many(found["counts"])
    if org_ids and signed_by_orgs:
        found["orgs"] = await run_in_threadpool(
            directory.organisations_by_ids, store, sorted(org_ids)
        )
    if "orgs" in found:
        loaders.organisations.prime_many(found["orgs"])
