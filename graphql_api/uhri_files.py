"""Read UHRI export files (CSV, JSON, XLSX) as streams of ``(row number, row)`` pairs.

A row is a dict from the file's column names to cell values; ``domain.uhri.parse_row`` turns it
into a catalogue entry. Row numbers are what a person sees: in a spreadsheet or CSV file the header
is row 1 and the first data row is row 2 (blank rows are skipped but still counted); in JSON, the
1-based position in the list of rows.

CSV and XLSX files are read one row at a time, so memory stays flat however long the file is.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

Row = dict[str, object]
NumberedRow = tuple[int, Row]

# The csv module refuses fields over 128 KiB by default, which would end the whole import at one
# oversized cell. Such a cell is read (up to this bound) and rejected by parse_row instead.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
# Where an object-shaped JSON export keeps its list of rows.
JSON_LIST_KEYS = ("data", "results", "items", "rows", "records")


def read_rows(path: Path) -> Iterator[NumberedRow]:
    """The data rows of a ``.csv``, ``.json`` or ``.xlsx`` UHRI export, with their row numbers."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(
            f"{path.name}: cannot read {path.suffix or 'a file without a suffix'}; "
            f"an export must be one of: {', '.join(_READERS)}"
        )
    return reader(path)


def count_rows(path: Path) -> int | None:
    """How many data rows ``read_rows`` will give, for a progress bar; None when unknown.

    For CSV the file is parsed once without building rows (cells may span lines, so counting
    lines would overshoot). For XLSX it is the size the workbook declares, which may include
    blank rows. For JSON it is None: counting would mean loading the whole file twice.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _count_csv(path)
    if suffix == ".xlsx":
        return _count_xlsx(path)
    return None


def _csv_rows(path: Path) -> Iterator[NumberedRow]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    # Invalid UTF-8 becomes U+FFFD in its own row, which parse_row rejects as broken encoding.
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as file:
        yield from _numbered(_checked_csv(path, csv.reader(file)))


def _checked_csv(path: Path, records: Iterator[list[str]]) -> Iterator[list[str]]:
    """The CSV records, turning the csv module's errors into a ValueError naming the file."""
    row_number = 0
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as error:
            raise ValueError(f"{path.name}: cannot read row {row_number + 1}: {error}") from error
        row_number += 1
        yield record


def _xlsx_rows(path: Path) -> Iterator[NumberedRow]:
    workbook = _open_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size; without this, rows past it would be dropped.
        sheet.reset_dimensions()
        yield from _numbered(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _json_rows(path: Path) -> Iterator[NumberedRow]:
    """JSON is loaded whole with the standard json module (no streaming): fine for exports of
    100,000 rows, but memory grows with the file, unlike CSV and XLSX."""
    with path.open(encoding="utf-8-sig", errors="replace") as file:
        try:
            document = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name} is not valid JSON: {error}") from error
    for index, item in enumerate(_json_list(path, document), start=1):
        if not isinstance(item, dict):
            raise ValueError(f"{path.name}: row {index} is a {type(item).__name__}, not an object")
        yield index, {str(name): value for name, value in item.items()}


def _json_list(path: Path, document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in JSON_LIST_KEYS:
            if isinstance(document.get(key), list):
                return list(document[key])
    raise ValueError(
        f"{path.name}: expected a list of rows, or an object with the list under one of: "
        f"{', '.join(JSON_LIST_KEYS)}"
    )


def _numbered(records: Iterable[Sequence[object]]) -> Iterator[NumberedRow]:
    """Rows after the header (the first non-blank record), numbered from 1 as in a spreadsheet."""
    header: list[str] | None = None
    for row_number, cells in enumerate(records, start=1):
        if _is_blank(cells):
            continue
        if header is None:
            header = [_column_name(cell) for cell in cells]
            continue
        yield row_number, _row(header, cells)


def _row(header: list[str], cells: Sequence[object]) -> Row:
    """The cells by column name; missing trailing cells are empty, cells past the header dropped."""
    row: Row = dict.fromkeys(header, "")
    row.update(zip(header, cells, strict=False))
    return row


def _column_name(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _is_blank(cells: Sequence[object]) -> bool:
    return all(cell is None or cell == "" for cell in cells)


def _count_csv(path: Path) -> int | None:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as file:
        try:
            records = sum(1 for record in csv.reader(file) if not _is_blank(record))
        except csv.Error:
            return None
    return max(records - 1, 0)


def _count_xlsx(path: Path) -> int | None:
    workbook = _open_workbook(path)
    try:
        last_row = workbook.worksheets[0].max_row
    finally:
        workbook.close()
    return None if last_row is None else max(int(last_row) - 1, 0)


def _open_workbook(path: Path) -> Any:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException) as error:
        raise ValueError(f"{path.name} is not an Excel (.xlsx) workbook: {error}") from error


_READERS: dict[str, Callable[[Path], Iterator[NumberedRow]]] = {
    ".csv": _csv_rows,
    ".json": _json_rows,
    ".xlsx": _xlsx_rows,
}
