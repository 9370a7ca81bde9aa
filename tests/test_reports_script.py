"""Reports in English, Serbian Latin and Serbian Cyrillic: words translated, content transliterated
letter for letter, and nothing that is not Serbian turned into Cyrillic."""

from __future__ import annotations

import re

import pytest

from projections.text import cyrillic_to_latin
from reports.i18n import WORDS, translator
from reports.kinds import Kind
from reports.render import when
from reports.script import in_script, reads_as_serbian, to_cyrillic

CYRILLIC = re.compile("[\u0400-\u04ff]")


def test_serbian_latin_content_becomes_cyrillic_letter_for_letter_and_back() -> None:
    latin = "Građanske inicijative: Savet je osnovan, ali se retko sastaje; njegova džepna knjiga"
    cyrillic = in_script(latin, "sr-Cyrl")
    assert cyrillic == (
        "Грађанске иницијативе: Савет је основан, али се ретко састаје; његова џепна књига"
    )
    assert cyrillic_to_latin(cyrillic) == latin
    assert in_script(cyrillic, "sr-Latn") == latin


def test_symbols_addresses_and_foreign_words_inside_serbian_text_stay_in_latin_letters() -> None:
    text = "Vidi A/HRC/23/15 ¶131.4, https://upr-info.org/x i podatke na www.example.org."
    assert to_cyrillic(text) == (
        "Види A/HRC/23/15 ¶131.4, https://upr-info.org/x и податке на www.example.org."
    )
    assert to_cyrillic("e2a9f0c1 sha256 office@example.org Wikipedia") == (
        "e2a9f0c1 sha256 office@example.org Wikipedia"
    )


@pytest.mark.parametrize(
    "english",
    [
        "Consider establishing a national organ to monitor implementation of the recommendations",
        "Continue efforts on the use of Ćirilica and minority languages in schools",
        "Civic Initiatives",
        "Belgrade Centre for Human Rights",
    ],
)
def test_english_content_is_left_as_written_in_a_cyrillic_report(english: str) -> None:
    assert not reads_as_serbian(english)
    assert in_script(english, "sr-Cyrl") == english


def test_an_english_report_prints_content_in_the_script_it_was_written_in() -> None:
    assert in_script("Савет је основан", "en") == "Савет је основан"
    assert in_script("Savet je osnovan", "en") == "Savet je osnovan"


def test_every_word_of_the_reports_is_translated_and_reads_in_cyrillic() -> None:
    english, latin, cyrillic = translator("en"), translator("sr-Latn"), translator("sr-Cyrl")
    for key, (en, sr) in WORDS.items():
        assert en.strip(), key
        assert sr.strip(), key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", sr)), key
        fields = dict.fromkeys(re.findall(r"{(\w+)}", en), "X")
        assert english(key, **fields) == en.format(**fields)
        assert latin(key, **fields) == sr.format(**fields)
        # Latin letters may remain only in symbols (SHA-256, PDF/A-3, UN's file names) and fields.
        printed = cyrillic(key, **fields)
        leftovers = [
            word
            for word in printed.split()
            if re.search("[A-Za-zčćđšžČĆĐŠŽ]", word)
            and not re.search(r"[0-9/@_.:{}X]", word)
            and word not in {"X", "X)", "(X)", "X,", "X;", "(X", "„X”"}
        ]
        assert leftovers == [], (key, printed)
    assert cyrillic("kind.dossier") == "Досије препоруке"
    assert CYRILLIC.search(cyrillic("verification.text"))


def test_every_kind_of_report_and_every_event_has_words() -> None:
    for kind in Kind:
        assert f"kind.{kind.value}" in WORDS
    events = [key for key in WORDS if key.startswith("event.")]
    assert len(events) >= 30
    assert "event.JointPosition.DissentRecorded" in events


def test_times_are_printed_in_utc_whatever_zone_they_were_recorded_in() -> None:
    assert when("2026-03-01T10:00:05+01:00") == "2026-03-01 09:00:05 UTC"
    assert when(None) == ""


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("nadživeti", "надживети"),
        ("Injekcija", "Инјекција"),
        ("konjugacija", "конјугација"),
        ("vanjezički", "ванјезички"),
        ("odžak", "оџак"),
        ("Njegoš", "Његош"),
        ("Džamija", "Џамија"),
    ],
)
def test_dz_and_nj_are_one_letter_except_where_a_prefix_or_loanword_makes_them_two(
    latin: str, cyrillic: str
) -> None:
    assert to_cyrillic(latin) == cyrillic
    assert cyrillic_to_latin(cyrillic) == latin
