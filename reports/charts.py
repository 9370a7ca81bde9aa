"""Charts of a round summary, drawn by matplotlib as SVG with the report's own fonts.

The SVG is byte-for-byte the same for the same data: no date in its metadata and a fixed salt for
its element ids. Text is measured with the DejaVu Sans shipped in ``reports/fonts`` and left as
text in that font, so the PDF's own font draws it and it can be read back out of the PDF.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

FONTS = Path(__file__).parent / "fonts"
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*")
STATUS_COLOURS = {
    "not_assessed": "#bdbdbd",
    "not_implemented": "#b2182b",
    "partially_implemented": "#ef8a62",
    "fully_implemented": "#2166ac",
}
TRACK_COLOURS = ("#5e3c99", "#e66101")


@cache
def _font() -> FontProperties:
    return FontProperties(fname=FONTS / "DejaVuSans.ttf", size=8)


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Figure, Axes]]:
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "council-ledger",
            "svg.fonttype": "none",
            "font.size": 8.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=(width, height))
        axes = figure.subplots()
        yield figure, axes


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    # Text stays text (it can be read out of the PDF), set in the report's own font: the same
    # DejaVu Sans that matplotlib measured it with.
    return _FONT_FAMILY.sub("font-family: 'Council Sans'", buffer.getvalue())


def _label_fonts(axes: Axes) -> None:
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(_font())


def status_bars(labels: Sequence[str], counts: Sequence[int], keys: Sequence[str]) -> str:
    """Horizontal bars: how many recommendations have each official status."""
    with _figure(6.4, 0.45 * len(labels) + 0.6) as (figure, axes):
        positions = list(range(len(labels)))
        axes.barh(positions, counts, color=[STATUS_COLOURS[k] for k in keys])
        axes.set_yticks(positions, list(labels))
        axes.invert_yaxis()
        for position, count in zip(positions, counts, strict=True):
            axes.text(count, position, f" {count}", va="center", fontproperties=_font())
        axes.set_xlim(0, max([*counts, 1]) * 1.15)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        _label_fonts(axes)
        figure.tight_layout()
        return _svg(figure)


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Bars side by side: for each category (a rating), one bar per series (a track)."""
    with _figure(6.4, 2.2) as (figure, axes):
        width = 0.8 / max(len(series), 1)
        for index, (name, values) in enumerate(series):
            xs = [i + (index - (len(series) - 1) / 2) * width for i in range(len(categories))]
            axes.bar(xs, values, width, label=name, color=TRACK_COLOURS[index % 2])
        axes.set_xticks(range(len(categories)), list(categories))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(prop=_font(), frameon=False)
        _label_fonts(axes)
        figure.tight_layout()
        return _svg(figure)


def stacked_bars(
    categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]
) -> str:
    """Horizontal stacked bars: for each category (a theme), the counts of each status."""
    with _figure(6.4, 0.3 * len(categories) + 1.0) as (figure, axes):
        positions = list(range(len(categories)))
        left = [0] * len(categories)
        for name, key, values in series:
            axes.barh(positions, values, left=left, label=name, color=STATUS_COLOURS[key])
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_yticks(positions, list(categories))
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(
            prop=_font(),
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncols=2,
        )
        _label_fonts(axes)
        figure.tight_layout()
        return _svg(figure)
