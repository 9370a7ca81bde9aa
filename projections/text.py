"""Text folding for search, and exact Serbian transliteration between Latin and Cyrillic."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYR_TO_LAT = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Ђ": "Đ",
    "Е": "E",
    "Ж": "Ž",
    "З": "Z",
    "И": "I",
    "Ј": "J",
    "К": "K",
    "Л": "L",
    "Љ": "Lj",
    "М": "M",
    "Н": "N",
    "Њ": "Nj",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "Ћ": "Ć",
    "У": "U",
    "Ф": "F",
    "Х": "H",
    "Ц": "C",
    "Ч": "Č",
    "Џ": "Dž",
    "Ш": "Š",
}
_CYR_TO_LAT.update({k.lower(): v.lower() for k, v in list(_CYR_TO_LAT.items())})

_LAT_DIGRAPHS = {
    "Lj": "Љ",
    "LJ": "Љ",
    "lj": "љ",
    "Nj": "Њ",
    "NJ": "Њ",
    "nj": "њ",
    "Dž": "Џ",
    "DŽ": "Џ",
    "dž": "џ",
}
_LAT_TO_CYR = {v: k for k, v in _CYR_TO_LAT.items() if len(v) == 1}

_FOLD_EXTRA = {"đ": "dj", "Đ": "dj", "ß": "ss", "æ": "ae", "ø": "o", "ł": "l"}


def cyrillic_to_latin(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin (Gaj's alphabet), letter for letter."""
    return "".join(_CYR_TO_LAT.get(ch, ch) for ch in text)


# Word stems in which "dž" or "nj" are two letters (a prefix meeting a root, or a loanword):
# "nadživeti" is надживети, not наџивети; "injekcija" is инјекција. Each maps to where, in the
# stem, the pair begins.
_SPLIT_PAIRS = {
    stem: stem.index(pair)
    for stem, pair in (
        ("nadživ", "dž"),
        ("nadžnj", "dž"),
        ("podžanr", "dž"),
        ("odživ", "dž"),
        ("injekc", "nj"),
        ("injunkc", "nj"),
        ("konjug", "nj"),
        ("konjunk", "nj"),
        ("konjektur", "nj"),
        ("vanjezi", "nj"),
        ("tanjug", "nj"),
    )
}
_STEM = re.compile("|".join(sorted(_SPLIT_PAIRS, key=len, reverse=True)), re.IGNORECASE)


def _split_pairs(text: str) -> set[int]:
    """Where in ``text`` a "dž" or "nj" is two letters rather than a digraph."""
    return {m.start() + _SPLIT_PAIRS[m.group().casefold()] for m in _STEM.finditer(text)}


def latin_to_cyrillic(text: str) -> str:
    """Serbian Latin to Serbian Cyrillic; the digraphs lj, nj, dž become one letter, except in
    the few words where they are two (see ``_SPLIT_PAIRS``)."""
    text = unicodedata.normalize("NFC", text)
    split = _split_pairs(text)
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _LAT_DIGRAPHS and i not in split:
            out.append(_LAT_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_LAT_TO_CYR.get(text[i], text[i]))
        i += 1
    return "".join(out)


# Cyrillic to Latin, then the extra foldings, as one ``str.translate`` table.
_FOLD_TABLE = str.maketrans(
    {
        **_FOLD_EXTRA,
        **{
            cyr: "".join(_FOLD_EXTRA.get(ch, ch) for ch in latin)
            for cyr, latin in _CYR_TO_LAT.items()
        },
    }
)


@lru_cache(maxsize=4096)
def _fold_other(text: str) -> str:
    latin = unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFKD", latin)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def fold(text: str) -> str:
    """Lower-case, Latin script, no diacritics: 'Ћирилица' and 'ćirilica' both give 'cirilica'."""
    # ASCII text has nothing to transliterate, compose or strip, and its case folding is
    # ``lower``: the common case, done without the Unicode passes. Other text repeats (names,
    # labels), so its folding is remembered.
    if text.isascii():
        return text.lower()
    return _fold_other(text)


def search_terms(query: str) -> list[str]:
    """The words of a search query, folded; punctuation separates words."""
    folded = fold(query)
    cleaned = "".join(ch if ch.isalnum() else " " for ch in folded)
    return [word for word in cleaned.split() if word][:20]
