"""Open data files: the catalogue and the published joint positions as CSV or JSON.

``write_export`` streams a dataset to a binary file (the command line); ``export_file`` returns the
bytes and content type of ``catalogue.csv``, ``positions.json`` and so on, and ``open_data_route``
mounts them over HTTP in one line::

    routes.append(open_data_route(runtime.database))   # GET /export/catalogue.csv, ...

CSV is UTF-8 (RFC 4180) with one header row; cells with several values (themes, recommending
States, ...) hold them separated by "; ". JSON is one array of objects, lists as arrays.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from projections.db import Database
from projections.open_data import (
    CATALOGUE_COLUMNS,
    POSITION_COLUMNS,
    catalogue,
    published_positions,
)

LIST_SEPARATOR = "; "
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True)
class Dataset:
    columns: tuple[str, ...]
    rows: Callable[[Database], Generator[dict[str, Any], None, None]]


DATASETS = {
    "catalogue": Dataset(CATALOGUE_COLUMNS, catalogue),
    "positions": Dataset(POSITION_COLUMNS, published_positions),
}


@dataclass(frozen=True)
class OpenDataFile:
    body: bytes
    content_type: str
    filename: str


class UnknownExport(ValueError):
    """No such open data file; the message lists the ones there are."""


def write_export(database: Database, dataset: str, fmt: str, out: IO[bytes]) -> int:
    """Write ``dataset`` (catalogue, positions) as ``fmt`` (csv, json); returns the row count."""
    chosen = _dataset(dataset)
    if fmt not in CONTENT_TYPES:
        raise UnknownExport(f"format {fmt!r}: use one of {', '.join(CONTENT_TYPES)}")
    # Closed at once, even when writing fails: the rows hold a database transaction open.
    with closing(chosen.rows(database)) as rows:
        if fmt == "csv":
            return _write_csv(chosen.columns, rows, out)
        return _write_json(rows, out)


def export_file(database: Database, filename: str) -> OpenDataFile:
    """The bytes and content type of ``<dataset>.<format>``, e.g. ``catalogue.csv``."""
    dataset, _, fmt = filename.partition(".")
    if fmt not in CONTENT_TYPES:
        raise UnknownExport(f"{filename!r}: {_known_files()}")
    buffer = io.BytesIO()
    write_export(database, dataset, fmt, buffer)
    return OpenDataFile(buffer.getvalue(), CONTENT_TYPES[fmt], filename)


def open_data_route(database: Database, path: str = "/export/{filename}") -> Route:
    """GET /export/catalogue.csv, /export/catalogue.json, /export/positions.csv, ...json."""

    async def export(request: Request) -> Response:
        filename = str(request.path_params["filename"])
        try:
            file = await run_in_threadpool(export_file, database, filename)
        except UnknownExport as error:
            return PlainTextResponse(str(error), status_code=404)
        return Response(
            file.body,
            media_type=file.content_type,
            headers={"Content-Disposition": f'inline; filename="{file.filename}"'},
        )

    return Route(path, export, methods=["GET"])


def _dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownExport(f"dataset {name!r}: {_known_files()}") from None


def _known_files() -> str:
    names = [f"{d}.{f}" for d in DATASETS for f in CONTENT_TYPES]
    return f"the open data files are {', '.join(names)}"


def _write_csv(columns: tuple[str, ...], rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow(columns)
        count = 0
        for row in rows:
            writer.writerow([_csv_cell(row[column]) for column in columns])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return count


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def _write_json(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    count = 0
    out.write(b"[")
    for row in rows:
        out.write(b",\n" if count else b"\n")
        out.write(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        count += 1
    out.write(b"\n]\n")
    return count
