"""A report's document (its input data) drawn as an archival PDF: Jinja2 templates, WeasyPrint.

The PDF is a function of the document alone: the same document gives the same bytes, in any
process. What would otherwise differ between runs is fixed here:

* dates: the document's creation and modification dates, the embedded data's dates and the
  timestamps inside the embedded font subsets are all the time of the event at the report's log
  position (``SOURCE_DATE_EPOCH`` for the font subsetter);
* fonts: only the fonts in ``reports/fonts``. Fontconfig is given an empty configuration while a
  report is drawn, so no font the machine happens to have can be used, not even as a fallback;
* charts: SVG without dates and with fixed ids (see ``reports.charts``).

The PDF is PDF/A-3b with tagged structure (PDF/UA-style tags, a document language, a title and
alternative text for the charts); the document is embedded as ``report-data.json`` (canonical
JSON, relationship "Source"), so the data can be read back out of the PDF.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import jinja2
from weasyprint import HTML, Attachment  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

from reports import charts
from reports.canonical import canonical_json, sha256_hex
from reports.i18n import translator
from reports.round_summary import RATINGS, STATUSES, tables
from reports.script import in_script

TEMPLATES = Path(__file__).parent / "templates"
ATTACHMENT_NAME = "report-data.json"
FORMAT = "council-ledger report v1"
THEMES_IN_CHART = 12

_LOCK = threading.Lock()
_NO_SYSTEM_FONTS = (
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
    "<fontconfig></fontconfig>\n"
)


def render_pdf(document: dict[str, Any]) -> bytes:
    """The PDF of a report's document (see ``reports.service`` for what a document holds)."""
    data = canonical_json(document)
    html = render_html(document, input_digest=sha256_hex(data))
    moment = datetime.fromisoformat(document["record"]["recorded_at"]).astimezone(UTC)
    attachment_time = moment.replace(tzinfo=None)
    with _LOCK, _only_our_fonts(moment):
        fonts = FontConfiguration()
        attachment = Attachment(
            file_obj=io.BytesIO(data),
            name=ATTACHMENT_NAME,
            description="The data this report was made from (canonical JSON)",
            created=attachment_time,
            modified=attachment_time,
            relationship="Source",
        )
        pdf = HTML(string=html, base_url=f"{TEMPLATES}/").write_pdf(
            font_config=fonts,
            pdf_variant="pdf/a-3b",
            pdf_tags=True,
            attachments=[attachment],
        )
    return cast(bytes, pdf)


def render_html(document: dict[str, Any], *, input_digest: str) -> str:
    report = document["report"]
    template = _environment().get_template(f"{report['kind']}.html")
    return template.render(_context(document, input_digest))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@contextmanager
def _only_our_fonts(moment: datetime) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("FONTCONFIG_FILE", "SOURCE_DATE_EPOCH")}
    os.environ["FONTCONFIG_FILE"] = str(_empty_fontconfig())
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@cache
def _empty_fontconfig() -> Path:
    """A fontconfig configuration that names no font directory at all."""
    _quiet_subsetter_warning()
    path = Path(tempfile.gettempdir()) / "council-ledger-no-system-fonts.conf"
    if not path.exists() or path.read_text(encoding="utf-8") != _NO_SYSTEM_FONTS:
        handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".conf")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(_NO_SYSTEM_FONTS)
        os.replace(partial, path)
    return path


class _SubsetterNotice(logging.Filter):
    """WeasyPrint says on every report that HarfBuzz's subsetter is missing; fontTools does the
    same work here (with the fixed timestamp above), so that notice is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "instead of HarfBuzz-Subset" not in str(record.msg)


def _quiet_subsetter_warning() -> None:
    logging.getLogger("weasyprint").addFilter(_SubsetterNotice())


# --- what the templates are given ----------------------------------------------------------------


def _context(document: dict[str, Any], input_digest: str) -> dict[str, Any]:
    report = document["report"]
    language: str = report["language"]
    t = translator(language)

    def c(text: str | None) -> str:
        return in_script(text or "", language)

    def member_ref(actor: dict[str, Any] | None) -> str:
        if actor is None:
            return ""
        if actor["operator"]:
            return t("operator")
        return t("member", ref=str(actor["member"] or "")[:8])

    def who(actor: dict[str, Any] | None) -> str:
        if actor is None:
            return ""
        if actor["operator"]:
            return t("operator")
        organisation = actor["organisation"]
        name = c(organisation["name"]) if organisation and organisation["name"] else ""
        name = name or t("unknown_org")
        return f"{name} ({member_ref(actor)})" if actor["member"] else name

    def listed(values: list[str]) -> str:
        return ", ".join(c(v) for v in values) or t("none")

    context: dict[str, Any] = {
        "report": report,
        "record": document["record"],
        "data": document["data"],
        "input_digest": input_digest,
        "t": t,
        "c": c,
        "who": who,
        "member_ref": member_ref,
        "listed": listed,
        "when": when,
        "title": t(f"kind.{report['kind']}"),
    }
    builders: dict[str, Callable[[dict[str, Any], Callable[..., str], Any], dict[str, Any]]] = {
        "dossier": _dossier,
        "round_summary": _round_summary,
        "audit_trail": _audit_trail,
    }
    context |= builders[report["kind"]](document["data"], t, c)
    return context


def when(moment: str | None) -> str:
    """An ISO 8601 time as the reports print it, in UTC: 2026-03-01 09:00:05 UTC."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _dossier(data: dict[str, Any], t: Callable[..., str], c: Any) -> dict[str, Any]:
    rec = data["recommendation"]
    tracks: list[tuple[str, list[dict[str, Any]]]] = []
    for track in ("civil_society", "government"):
        items = []
        for a in data["assessments"]:
            if a["track"] != track:
                continue
            revisions = [
                r
                | {"signatures": [s for s in a["co_signatures"] if s["revision"] == r["revision"]]}
                for r in a["revisions"]
            ]
            items.append(a | {"revisions": revisions})
        tracks.append((track, items))
    return {
        "subtitle": f"{rec['document_symbol']} ¶{rec['paragraph']} — {t('audience.' + data['audience'])}",
        "tracks": tracks,
        "round_titles": {r["id"]: r["title"] for r in data["rounds"]},
        "assessment_orgs": {
            a["id"]: (a["organisation"] or {}).get("name", "") for a in data["assessments"]
        },
    }


def _round_summary(data: dict[str, Any], t: Callable[..., str], c: Any) -> dict[str, Any]:
    summary = tables(data)

    def share(count: int, of: int) -> str:
        return f"{100 * count / of:.1f} %" if of else "—"

    def rated(ratings: list[dict[str, Any]]) -> str:
        """The ratings of one track, each once, in the scale's order (who rated what is in the
        dossier and in the embedded data)."""
        given = {r["rating"] for r in ratings}
        return ", ".join(t(f"status.{r}") for r in RATINGS if r in given) or "—"

    themes = list(summary.by_theme.items())[:THEMES_IN_CHART]
    charts_svg = {
        "status": charts.status_bars(
            [t(f"status.{s}") for s in STATUSES], [summary.status[s] for s in STATUSES], STATUSES
        ),
        "tracks": charts.grouped_bars(
            [t(f"status.{r}") for r in RATINGS],
            [
                (t(f"track.{track}"), [summary.by_track[track][r] for r in RATINGS])
                for track in ("civil_society", "government")
            ],
        ),
        "themes": charts.stacked_bars(
            [_short(c(theme) if theme else t("no_theme")) for theme, _ in themes],
            [(t(f"status.{s}"), s, [counts[s] for _, counts in themes]) for s in STATUSES],
        ),
    }
    return {
        "subtitle": c(data["round"]["title"]),
        "tables": summary,
        "statuses": STATUSES,
        "ratings": RATINGS,
        "share": share,
        "rated": rated,
        "charts": {name: _data_uri(svg) for name, svg in charts_svg.items()},
    }


def _audit_trail(data: dict[str, Any], t: Callable[..., str], c: Any) -> dict[str, Any]:
    def subject_label(subject: dict[str, Any]) -> str:
        parts = []
        if "recommendation" in subject:
            parts.append(subject["recommendation"])
        if "round" in subject:
            parts.append(c(subject["round"]))
        organisation = subject.get("organisation")
        if organisation:
            parts.append(c(organisation["name"]))
        return " — ".join(parts) or subject["id"]

    return {"subtitle": subject_label(data["subject"]), "subject_label": subject_label}


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
