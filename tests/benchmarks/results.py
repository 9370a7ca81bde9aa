"""Where benchmarks write their figures: one section each of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
INTRO = (
    "# Benchmarks\n\n"
    "Figures measured on the project's 2-core machine; ratios and medians. Each section says"
    " which command produced it.\n\n"
)


def write_section(title: str, section: str, path: Path = RESULTS) -> None:
    """Replace the section headed ``title`` (e.g. "## Reports") with ``section``, which starts
    with that heading, keeping every other section; a new section goes at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    start = text.find(title + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(title))
        rest = text[end + 1 :] if end != -1 else ""
        text = text[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
