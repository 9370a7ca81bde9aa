"""Parse rows of an OHCHR Universal Human Rights Index (UHRI) export into catalogue entries.

Pure: standard library only, one row at a time. Reading files (CSV, JSON, XLSX) is the job of
``graphql_api.uhri_files``; a row arrives here as a mapping from UHRI's column names (matched
regardless of case and surrounding spaces) to cell values (text, numbers, dates or lists).

Every problem raises :class:`RowRejected`, naming the row number, the column and what is wrong,
so that an import can skip the row, report it and go on.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.errors import DomainError
from domain.recommendation import MECHANISMS, CatalogueEntry, recommendation_id, upr_cycle
from domain.values import ImplementationStatus, StateResponse

MAX_CELL_CHARACTERS = 100_000

# UHRI's column names, as exported. Where a tuple gives several, the first non-empty one is used;
# UHRI spells "Reccomending" so, the correct spelling is accepted too.
ANNOTATION_ID = "OHCHR Annotation Id"
TEXT = "Text"
COUNTRIES = "Countries Concerned"
REGIONS = "Regions Concerned"
BODY = ("Reccomending Body", "Recommending Body")
TYPE = "Type"
THEMES = "Themes"
AFFECTED_PERSONS = "Affected Persons"
SDGS = "Sdgs"
DOCUMENT_SYMBOL = "Document Symbol"
DOCUMENT_DATE = "Document Publication Date"
SESSION = ("UPR Session", "Treaty Body Session", "Session")
RECOMMENDING_STATES = ("UPR Reccomending States", "UPR Recommending States")
POSITION = "UPR Position"

# The government annex (see graphql_api/data/README.md).
PARAGRAPH = "Paragraph"
GOVERNMENT_STATUS = "Government Status"
NOTE = "Note"

REQUIRED_COLUMNS = (TEXT, DOCUMENT_SYMBOL, BODY)

# Control characters other than tab and newline, the replacement character that a failed decoding
# leaves behind, and lone surrogates (from JSON escapes): signs of text in the wrong encoding.
_BROKEN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_LEADING_PARAGRAPH = re.compile(r"(\d+(?:\.\d+)*)\.?(?:\s+|$)")
_PARAGRAPH_NUMBER = re.compile(r"(\d+(?:\.\d+)*)\.?")
_EXCEL_DAY_NUMBER = re.compile(r"\d{1,7}(?:\.\d*)?")
_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_EXCEL_DAY = (date.max - _EXCEL_EPOCH).days
# No UN document predates the UN; an earlier date is a mistyped cell (a year read as a day number).
_EARLIEST_DATE = date(1945, 1, 1)
_SPECIAL_PROCEDURE_PREFIXES = (
    "special procedure",
    "special rapporteur",
    "special representative",
    "independent expert",
    "working group on",
    "working group of experts",
)


class RowRejected(DomainError):
    """One row of an export cannot be catalogued; names the row, the column and the reason."""

    def __init__(self, row_number: int, field: str, reason: str) -> None:
        super().__init__(f"row {row_number}, column {field!r}: {reason}")
        self.row_number = row_number
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class GovernmentRating:
    """The Government's own rating of a recommendation's implementation, from its annex."""

    document_symbol: str
    paragraph: str
    rating: ImplementationStatus
    note: str = ""

    @property
    def recommendation_id(self) -> UUID:
        return recommendation_id(self.document_symbol, self.paragraph)


def parse_row(row: Mapping[str, object], row_number: int) -> CatalogueEntry:
    """The catalogue entry of one UHRI export row; raises :class:`RowRejected`."""
    cells = _Cells(row, row_number)
    mechanism = _mechanism(cells)
    paragraph, text = _paragraph_and_text(cells)
    session = cells.line(*SESSION)
    return CatalogueEntry(
        mechanism=mechanism,
        document_symbol=cells.line(DOCUMENT_SYMBOL, required=True),
        paragraph=paragraph,
        text=text,
        session=session,
        cycle=_cycle(cells, mechanism, session),
        recommending_states=cells.values(*RECOMMENDING_STATES),
        themes=cells.values(THEMES),
        affected_persons=cells.values(AFFECTED_PERSONS),
        sdgs=cells.values(SDGS),
        state_response=_state_response(cells),
        document_date=_document_date(cells),
        annotation_id=cells.line(ANNOTATION_ID),
        countries=cells.values(COUNTRIES),
        regions=cells.values(REGIONS),
        kind=cells.line(TYPE) or "Recommendation",
    )


def parse_government_row(row: Mapping[str, object], row_number: int) -> GovernmentRating:
    """One row of the Government's annex (Document Symbol, Paragraph, Government Status, Note)."""
    cells = _Cells(row, row_number)
    paragraph = cells.line(PARAGRAPH, required=True)
    number = _PARAGRAPH_NUMBER.fullmatch(paragraph)
    if number is None:
        raise cells.reject(PARAGRAPH, f"{_shown(paragraph)} is not a paragraph number")
    return GovernmentRating(
        document_symbol=cells.line(DOCUMENT_SYMBOL, required=True),
        paragraph=number.group(1),
        rating=_government_status(cells),
        note=cells.text(NOTE),
    )


def missing_columns(columns: Iterable[str]) -> list[str]:
    """The required UHRI columns a header lacks; lets an import refuse a wrong file up front."""
    present = {column.strip().casefold() for column in columns}
    return [
        _as_tuple(names)[0]
        for names in REQUIRED_COLUMNS
        if not any(name.casefold() in present for name in _as_tuple(names))
    ]


def mechanism_of(body: str) -> str | None:
    """The mechanism (one of ``MECHANISMS``) a "Reccomending Body" cell names, or None."""
    key = _name_key(body)
    candidates = [key]
    abbreviated = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", key)
    if abbreviated:
        candidates += [abbreviated.group(2), abbreviated.group(1)]
    for candidate in candidates:
        if candidate in _MECHANISM_BY_NAME:
            return _MECHANISM_BY_NAME[candidate]
    if key.startswith(_SPECIAL_PROCEDURE_PREFIXES):
        return "SP"
    return None


class _Cells:
    """One row's cells, looked up by column name regardless of case and surrounding spaces."""

    def __init__(self, row: Mapping[str, object], row_number: int) -> None:
        self.row_number = row_number
        self._by_key = {
            str(name).strip().casefold(): (str(name).strip(), value) for name, value in row.items()
        }

    def reject(self, column: str, reason: str) -> RowRejected:
        return RowRejected(self.row_number, column, reason)

    def get(self, *names: str) -> tuple[str, object]:
        """The column (as the file names it) and value of the first of ``names`` with a value."""
        present = [self._by_key[key] for key in map(str.casefold, names) if key in self._by_key]
        for column, value in present:
            if not _is_empty(value):
                return column, value
        return (present[0][0] if present else names[0]), None

    def text(self, *names: str, required: bool = False) -> str:
        column, value = self.get(*names)
        if isinstance(value, list | tuple) and len(value) > 1:
            raise self.reject(column, f"has {len(value)} values; one was expected")
        single = value[0] if isinstance(value, list | tuple) else value
        text = self._clean(column, self._as_text(column, single))
        if required and not text:
            raise self.reject(column, "is empty")
        return text

    def line(self, *names: str, required: bool = False) -> str:
        text = self.text(*names, required=required)
        if "\n" in text:
            raise self.reject(self.get(*names)[0], "must be a single line")
        return text

    def values(self, *names: str) -> list[str]:
        """A multi-value cell: a list, or one value per line with an optional "- " prefix."""
        column, value = self.get(*names)
        items = value if isinstance(value, list | tuple) else [value]
        lines = (
            line.strip().removeprefix("- ").strip()
            for item in items
            for line in self._clean(column, self._as_text(column, item)).split("\n")
        )
        return list(dict.fromkeys(line for line in lines if line))

    def _as_text(self, column: str, value: object) -> str:
        if _is_empty(value):
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise self.reject(column, f"holds {value}, not text")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        raise self.reject(column, f"holds a {type(value).__name__}, not text")

    def _clean(self, column: str, text: str) -> str:
        if len(text) > MAX_CELL_CHARACTERS:
            raise self.reject(
                column, f"is {len(text):,} characters long; the limit is {MAX_CELL_CHARACTERS:,}"
            )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        broken = _BROKEN_TEXT.search(text)
        if broken:
            where = f"at character {broken.start() + 1}"
            raise self.reject(column, f"has broken encoding: {_describe(broken.group())} {where}")
        return unicodedata.normalize("NFC", text).strip()


def _mechanism(cells: _Cells) -> str:
    column = cells.get(*BODY)[0]
    bodies = cells.values(*BODY)
    if not bodies:
        raise cells.reject(column, "is empty")
    if len(bodies) > 1:
        raise cells.reject(column, f"names {len(bodies)} bodies; one was expected")
    mechanism = mechanism_of(bodies[0])
    if mechanism is None:
        raise cells.reject(
            column,
            f"{_shown(bodies[0])} is not a known mechanism: expected one of "
            f"{', '.join(MECHANISMS)}, a treaty body's name or a special procedure",
        )
    return mechanism


def _paragraph_and_text(cells: _Cells) -> tuple[str, str]:
    text = cells.text(TEXT, required=True)
    number = _LEADING_PARAGRAPH.match(text)
    if number is None:
        raise cells.reject(TEXT, "does not start with a paragraph number")
    rest = text[number.end() :].strip()
    if not rest:
        raise cells.reject(TEXT, f"has nothing after the paragraph number {number.group(1)}")
    return number.group(1), rest


def _cycle(cells: _Cells, mechanism: str, session: str) -> int | None:
    if mechanism != "UPR" or not session:
        return None
    if not session.isdecimal() or int(session) < 1:
        column = cells.get(*SESSION)[0]
        raise cells.reject(column, f"{_shown(session)} is not a UPR session number")
    return upr_cycle(int(session))


def _document_date(cells: _Cells) -> str:
    column, value = cells.get(DOCUMENT_DATE)
    if _is_empty(value):
        return ""
    parsed = _as_date(value)
    if parsed is None:
        raise cells.reject(
            column,
            f"{_shown(value)} is not a date (YYYY-MM-DD, DD/MM/YYYY or an Excel day number)",
        )
    if parsed < _EARLIEST_DATE:
        raise cells.reject(column, f"{parsed.isoformat()} is before 1945, too early for a UN text")
    return parsed.isoformat()


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _excel_date(value)
    if isinstance(value, str):
        return _date_from_text(value.strip())
    return None


def _date_from_text(text: str) -> date | None:
    if _EXCEL_DAY_NUMBER.fullmatch(text):
        return _excel_date(float(text))
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def _excel_date(serial: float) -> date | None:
    """Excel's day number (1900 date system) as a date; a fraction of a day is a time, ignored."""
    if not math.isfinite(serial) or not 1 <= serial < _LAST_EXCEL_DAY + 1:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


_RESPONSES = {
    "": StateResponse.NOT_STATED,
    "pending": StateResponse.NOT_STATED,
    "not stated": StateResponse.NOT_STATED,
    "no response": StateResponse.NOT_STATED,
    "supported": StateResponse.SUPPORTED,
    "accepted": StateResponse.SUPPORTED,
    "noted": StateResponse.NOTED,
    "not supported": StateResponse.NOTED,
    "partially supported": StateResponse.PARTIALLY_SUPPORTED,
    "partly supported": StateResponse.PARTIALLY_SUPPORTED,
    "supported in part": StateResponse.PARTIALLY_SUPPORTED,
    "supported partially": StateResponse.PARTIALLY_SUPPORTED,
    "partially accepted": StateResponse.PARTIALLY_SUPPORTED,
    "accepted in part": StateResponse.PARTIALLY_SUPPORTED,
    "supported noted": StateResponse.PARTIALLY_SUPPORTED,
    "noted supported": StateResponse.PARTIALLY_SUPPORTED,
    "supported and noted": StateResponse.PARTIALLY_SUPPORTED,
    "noted and supported": StateResponse.PARTIALLY_SUPPORTED,
}


def _state_response(cells: _Cells) -> StateResponse:
    position = cells.text(POSITION)
    response = _RESPONSES.get(_words(position))
    if response is None:
        raise cells.reject(
            POSITION, f"{_shown(position)} is not Supported, Noted or Partially supported"
        )
    return response


_RATINGS = {
    "full implementation": ImplementationStatus.FULLY_IMPLEMENTED,
    "fully implemented": ImplementationStatus.FULLY_IMPLEMENTED,
    "implemented": ImplementationStatus.FULLY_IMPLEMENTED,
    "partial implementation": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "partially implemented": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "no implementation": ImplementationStatus.NOT_IMPLEMENTED,
    "not implemented": ImplementationStatus.NOT_IMPLEMENTED,
}


def _government_status(cells: _Cells) -> ImplementationStatus:
    status = cells.text(GOVERNMENT_STATUS, required=True)
    rating = _RATINGS.get(_words(status))
    if rating is None:
        raise cells.reject(
            GOVERNMENT_STATUS,
            f"{_shown(status)} is not Full implementation, Partial implementation "
            "or No implementation",
        )
    return rating


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


_MECHANISM_NAMES = {
    "UPR": (
        "universal periodic review",
        "working group on the universal periodic review",
        "upr working group",
    ),
    "CCPR": ("human rights committee",),
    "CESCR": ("committee on economic, social and cultural rights",),
    "CAT": ("committee against torture",),
    "SPT": (
        "subcommittee on prevention of torture",
        "sub-committee on prevention of torture",
        "subcommittee on prevention of torture and other cruel, inhuman or degrading treatment "
        "or punishment",
    ),
    "CERD": ("committee on the elimination of racial discrimination",),
    "CEDAW": ("committee on the elimination of discrimination against women",),
    "CRC": ("committee on the rights of the child",),
    "CRPD": ("committee on the rights of persons with disabilities",),
    "CED": ("committee on enforced disappearances",),
    "CMW": (
        "committee on migrant workers",
        "committee on the protection of the rights of all migrant workers and members of their "
        "families",
    ),
    "SP": ("special procedures",),
}
_MECHANISM_BY_NAME = {
    _name_key(name): code for code in MECHANISMS for name in (code, *_MECHANISM_NAMES.get(code, ()))
}


def _words(text: str) -> str:
    """Lower-case words only: "Supported/Noted" and "supported - noted" give "supported noted"."""
    return " ".join(re.findall(r"[^\W\d_]+", text.casefold()))


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)  # an empty cell in a pandas-made export
    if isinstance(value, str | list | tuple):
        return not value
    return False


def _as_tuple(names: str | tuple[str, ...]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else names


def _describe(character: str) -> str:
    if character == "\ufffd":
        kind = "a replacement character"
    elif unicodedata.category(character) == "Cs":
        kind = "an unpaired surrogate"
    else:
        kind = "a control character"
    return f"{kind} (U+{ord(character):04X})"


def _shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message, shortened: a rejected cell may be megabytes long."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[: limit - 3]}..."
