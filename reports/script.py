"""Serbian content in the report's script: Cyrillic and Latin, transliterated letter for letter.

The record keeps text as it was written, in either script, and does not say in which language.
In a Serbian Latin report every Cyrillic letter becomes Latin (exact, always safe). In a Serbian
Cyrillic report a text is transliterated when it reads as Serbian: it has letters only Serbian
Latin has (č ć đ š ž), or more Serbian than English function words. English text (a UN
recommendation, an English organisation name) stays as written. Inside a Serbian text, words that
are not Serbian words stay in Latin letters: anything with a digit, a slash, an @, an underscore,
a colon inside it or a brace (document symbols, URLs, e-mail, hashes, fields of a sentence still
to be filled in), and words with q, w, x or y, which the Serbian Latin alphabet does not have.
"""

from __future__ import annotations

import re

from projections.text import cyrillic_to_latin, latin_to_cyrillic

SERBIAN_LATIN_LETTERS = frozenset("čćđšžČĆĐŠŽ")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORD = re.compile(r"[^\s]+")
_FOREIGN = re.compile(r"[0-9/@_\\{}qwxyQWXY]|:.|\.[^\W\d_]")
_LETTERS = re.compile(r"[^\W\d_]+")

SERBIAN_WORDS = frozenset(
    [
        "je",
        "su",
        "se",
        "na",
        "za",
        "od",
        "da",
        "ne",
        "nije",
        "nisu",
        "ali",
        "sa",
        "iz",
        "po",
        "kao",
        "koji",
        "koja",
        "koje",
        "što",
        "ili",
        "bi",
        "jer",
        "još",
        "već",
        "samo",
        "kako",
        "sve",
        "ovo",
        "ova",
        "ovaj",
        "tokom",
        "godine",
        "prema",
        "bilo",
        "nije",
        "u",
        "i",
        "o",
        "ni",
        "ga",
        "mu",
        "joj",
        "ih",
        "smo",
        "ste",
        "biti",
        "bio",
        "bila",
        "bilo",
        "će",
        "treba",
        "mora",
    ]
)
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "is",
        "are",
        "for",
        "with",
        "by",
        "that",
        "this",
        "was",
        "were",
        "be",
        "has",
        "have",
        "not",
        "an",
        "at",
        "from",
        "or",
        "its",
        "their",
        "which",
        "been",
        "should",
        "would",
        "will",
        "shall",
        "into",
        "than",
        "these",
        "those",
    ]
)


def in_script(text: str, language: str) -> str:
    """``text`` as a report in ``language`` prints it."""
    if language == "sr-Latn":
        return cyrillic_to_latin(text)
    if language == "sr-Cyrl":
        return to_cyrillic(text) if reads_as_serbian(text) else text
    return text


def reads_as_serbian(text: str) -> bool:
    if _CYRILLIC.search(text):
        return True
    words = [w.casefold() for w in _LETTERS.findall(text)]
    serbian = sum(1 for w in words if w in SERBIAN_WORDS)
    english = sum(1 for w in words if w in ENGLISH_WORDS)
    if any(ch in SERBIAN_LATIN_LETTERS for ch in text):
        serbian += 2
    return serbian > english


def to_cyrillic(text: str) -> str:
    """Serbian Latin to Cyrillic, leaving symbols, addresses and foreign words in Latin."""
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        out.append(text[last : match.start()])
        word = match.group()
        out.append(word if _FOREIGN.search(word) else latin_to_cyrillic(word))
        last = match.end()
    out.append(text[last:])
    return "".join(out)
