"""Comparison primitives: folding, Jaro-Winkler, phonetic keys, birth-date levels."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from omnicontact.matching.compare import (
    DATE_LEVELS,
    date_level,
    date_parts_level,
    fold,
    jaro_winkler,
    parse_iso_date,
    phonetic,
    phonetic_of_folded,
)
from omnicontact.normalize.text import matching_key

NAMES = st.text(
    alphabet=string.ascii_letters + "àáâäçèéêëîïñôöùûüÿßæœøłÀÉÈÖÜÆŒ -'\u2019.",
    max_size=30,
)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


class TestFold:
    """fold: the lossy comparison form of names and addresses."""

    def test_documented_example(self) -> None:
        """Accents go, the apostrophe is dropped, the hyphen becomes a space."""
        assert fold("  Zoë O'Brien-Smith ") == "zoe obrien smith"

    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("Straße", "strasse"),
            ("Œuvre", "oeuvre"),
            ("Æsa", "aesa"),
            ("Søren Łukasz", "soren lukasz"),
            ("D\u2019Artagnan", "dartagnan"),
            ("Jean-Pierre", "jean pierre"),
            ("12, rue de la Paix", "12 rue de la paix"),
            ("MÜLLER", "muller"),
            ("a\tb\n c", "a b c"),
            ("", ""),
        ],
    )
    def test_examples(self, text: str, folded: str) -> None:
        """Ligatures are spelt out, punctuation becomes a space, whitespace collapses."""
        assert fold(text) == folded

    @given(st.text())
    @example("İstanbul")
    @example("ﬁ ǅ ẞ")
    def test_idempotent(self, text: str) -> None:
        """Folding twice changes nothing."""
        assert fold(fold(text)) == fold(text)

    @given(st.text(alphabet=st.characters(max_codepoint=127)))
    def test_ascii_fast_path_agrees(self, text: str) -> None:
        """On ASCII text the fast path gives exactly the matching key."""
        assert fold(text) == matching_key(text)

    @given(NAMES)
    def test_case_and_accent_blind(self, text: str) -> None:
        """Upper case and accents do not change the folded form."""
        assert fold(text.upper()) == fold(text.lower()) == fold(text)


class TestJaroWinkler:
    """jaro_winkler: the compiled string similarity."""

    def test_known_values(self) -> None:
        """The textbook pairs give their textbook similarity."""
        assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
        assert jaro_winkler("dupont", "dupond") == pytest.approx(0.9333, abs=1e-4)
        assert jaro_winkler("same", "same") == 1.0
        assert jaro_winkler("abc", "xyz") == 0.0

    @given(NAMES, NAMES)
    def test_symmetric_and_bounded(self, a: str, b: str) -> None:
        """Similarity is symmetric and between 0 and 1."""
        assert jaro_winkler(a, b) == jaro_winkler(b, a)
        assert 0.0 <= jaro_winkler(a, b) <= 1.0


class TestPhonetic:
    """phonetic: a sound-alike key for European names."""

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Smith", "Smyth"),
            ("Meyer", "Maier"),
            ("Meyer", "Meier"),
            ("Philippe", "Filipe"),
            ("Schmidt", "Schmitt"),
            ("Dupont", "Dupond"),
            ("Müller", "Mueller"),
            ("Catherine", "Kathryn"),
            ("Christophe", "Kristof"),
            ("Schwarz", "Schwartz"),
            ("Thomas", "Tomas"),
            ("Hélène", "Elene"),
        ],
    )
    def test_sound_alikes_collide(self, a: str, b: str) -> None:
        """Spellings of one sound give one key."""
        assert phonetic(a) == phonetic(b)

    @pytest.mark.parametrize(
        ("a", "b"),
        [("Martin", "Bernard"), ("Dupont", "Durand"), ("Petit", "Richard"), ("Jean", "Paul")],
    )
    def test_different_names_differ(self, a: str, b: str) -> None:
        """Names that sound different keep different keys."""
        assert phonetic(a) != phonetic(b)

    def test_documented_keys(self) -> None:
        """The keys given in the docstring are the keys computed."""
        assert phonetic("Schmitt") == "smt"
        assert phonetic("Meier") == "mr"
        assert phonetic("Filipe") == "flp"
        assert phonetic("Martin") == "mrtn"
        assert phonetic("Bernard") == "brnrt"
        assert phonetic("Jean-Pierre") == "jn pr"

    @pytest.mark.parametrize("text", ["", "   ", "123", "-'-", "h"])
    def test_nothing_to_say(self, text: str) -> None:
        """No letters (or only a silent h) give the empty key."""
        assert phonetic(text) == ""

    @given(st.text())
    @example("Abbott d'Eddd")
    @example("tdt ddt")
    def test_idempotent(self, text: str) -> None:
        """A key's key is the key itself."""
        assert phonetic(phonetic(text)) == phonetic(text)

    @given(NAMES)
    def test_folded_shortcut_agrees(self, text: str) -> None:
        """phonetic_of_folded on folded text is phonetic on the raw text."""
        assert phonetic_of_folded(fold(text)) == phonetic(text)


class TestBirthDates:
    """Birth-date comparison levels on ISO dates; anything unparsable is missing."""

    @pytest.mark.parametrize(
        "value",
        [
            "1980-02-30",
            "80-05-03",
            "1980/05/03",
            "1980-5-3",
            "03-05-1980",
            "\uff11\uff19\uff18\uff10-05-03",  # full-width digits
            "1980-05-03T00:00",
            "",
            None,
            19800503,
            3.5,
            ["1980-05-03"],
        ],
    )
    def test_unparsable_is_missing(self, value: object) -> None:
        """Other layouts, impossible dates and other types parse to None, compare as null."""
        assert parse_iso_date(value) is None
        assert date_level(value, "1980-05-03") == "null"

    def test_date_objects_accepted(self) -> None:
        """A datetime.date is read as it is."""
        assert parse_iso_date(date(1980, 5, 3)) == (1980, 5, 3)
        assert date_level(date(1980, 5, 3), "1980-05-03") == "exact"

    @pytest.mark.parametrize(
        ("a", "b", "level"),
        [
            ("1980-05-03", "1980-05-03", "exact"),
            ("1980-05-03", "1980-03-05", "day_month_swapped"),
            ("1980-05-03", "1980-05-04", "one_field_off"),
            ("1980-05-03", "1980-06-03", "one_field_off"),
            ("1980-05-03", "1908-05-03", "one_field_off"),
            ("1980-05-03", "1981-05-04", "else"),
            ("1980-05-03", "1981-03-05", "else"),
            ("1980-05-03", None, "null"),
        ],
    )
    def test_levels(self, a: str, b: str | None, level: str) -> None:
        """Each documented level is reached by its example."""
        assert date_level(a, b) == level

    @given(DATES, DATES)
    def test_symmetric(self, a: date, b: date) -> None:
        """The level does not depend on the order of the dates."""
        assert date_level(a.isoformat(), b.isoformat()) == date_level(b.isoformat(), a.isoformat())
        assert date_level(a.isoformat(), b.isoformat()) in DATE_LEVELS

    @given(DATES, DATES)
    def test_exact_iff_equal(self, a: date, b: date) -> None:
        """Exact means equal, and one_field_off means exactly one field differs."""
        level = date_parts_level(parse_iso_date(a.isoformat()), parse_iso_date(b.isoformat()))
        assert (level == "exact") == (a == b)
        differing = (a.year != b.year) + (a.month != b.month) + (a.day != b.day)
        if level == "one_field_off":
            assert differing == 1
