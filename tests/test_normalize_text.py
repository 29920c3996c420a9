"""Free text and names: the stored form (NFC, collapsed) and the lossy matching key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from omnicontact.normalize import matching_key, normalize_text

# Characters the stored form removes (zero-width, byte-order mark, C0/C1 controls
# other than whitespace); bidi marks and line separators are not among them.
REMOVED = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00", "\x07", "\x7f", "\x9f"]
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCENTED = "àáâäãåçèéêëìíîïñòóôöõùúûüýÿÀÁÂÄÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÖÕÙÚÛÜÝ"
NAME_ALPHABET = LATIN + ACCENTED + " -'\u2019." + "\u0301\u0308"


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class TestStoredForm:
    """normalize_text: NFC, invisible characters removed, whitespace collapsed, trimmed."""

    def test_documented_example(self) -> None:
        """The docs example keeps case and accents, drops the ZWSP, collapses spaces."""
        assert normalize_text("  Zoë \u200b O'Brien   Smith ") == "Zoë O'Brien Smith"

    def test_nfc(self) -> None:
        """A decomposed accent is composed."""
        assert normalize_text("Zoe\u0308") == "Zo\u00eb"

    @pytest.mark.parametrize("char", REMOVED)
    def test_invisible_removed(self, char: str) -> None:
        """Zero-width and control characters disappear from stored text."""
        assert normalize_text(f"An{char}n") == "Ann"

    @pytest.mark.parametrize("space", ["\t", "\n", "\r\n", "\u00a0", "\u2003", "   ", "\u3000"])
    def test_whitespace_collapsed(self, space: str) -> None:
        """Any run of Unicode whitespace becomes one ASCII space; ends are trimmed."""
        assert normalize_text(f"{space}Ann{space}Lee{space}") == "Ann Lee"

    def test_case_and_accents_kept(self) -> None:
        """The stored form is for display: case and accents stay."""
        assert normalize_text("ÉLODIE Müller") == "ÉLODIE Müller"

    @given(st.text())
    def test_shape(self, value: str) -> None:
        """Result is NFC-free of removed characters, trimmed, with single ASCII spaces only."""
        result = normalize_text(value)
        assert result == result.strip()
        assert "  " not in result
        assert all(c == " " or not c.isspace() for c in result)
        assert not any(c in result for c in REMOVED)

    @given(st.text())
    def test_nfc_and_nfd_inputs_equal(self, value: str) -> None:
        """The NFC and NFD spellings of a text give the same stored form."""
        assert normalize_text(unicodedata.normalize("NFD", value)) == normalize_text(
            unicodedata.normalize("NFC", value)
        )

    @given(st.text(alphabet=NAME_ALPHABET))
    def test_printable_names_are_nfc(self, value: str) -> None:
        """For names without invisible characters the stored form is NFC."""
        assert unicodedata.is_normalized("NFC", normalize_text(value))

    @given(st.text())
    @example("e\u200b\u0301")
    @example("\ufeffKou\x1c\u0301")
    def test_idempotent(self, value: str) -> None:
        """normalize_text(normalize_text(x)) == normalize_text(x), and the result is NFC."""
        once = normalize_text(value)
        assert normalize_text(once) == once
        assert unicodedata.is_normalized("NFC", once)


class TestMatchingKey:
    """matching_key: case-folded, accents and apostrophes dropped, punctuation spaced."""

    def test_documented_example(self) -> None:
        """'  Zoë  O'Brien-Smith' and 'zoe obrien smith' share the key 'zoe obrien smith'."""
        assert matching_key("  Zoë  O'Brien-Smith") == "zoe obrien smith"
        assert matching_key("zoe obrien smith") == "zoe obrien smith"

    @pytest.mark.parametrize(
        ("one", "two"),
        [
            ("José", "JOSE"),
            ("Müller", "muller"),
            ("François", "FRANCOIS"),
            ("Straße", "STRASSE"),
            ("O\u2019Neil", "oneil"),
            ("Jean-Luc", "jean luc"),
            ("Ann\u200bLee", "annlee"),
        ],
    )
    def test_equal_keys(self, one: str, two: str) -> None:
        """Spellings that differ in case, accents, apostrophes or hyphens share a key."""
        assert matching_key(one) == matching_key(two)

    def test_distinct_names_differ(self) -> None:
        """The key is lossy, but different names still differ."""
        assert matching_key("Ann Lee") != matching_key("Anne Lee")

    @given(st.text())
    @example("e\u200b\u0301")
    def test_idempotent(self, value: str) -> None:
        """matching_key(matching_key(x)) == matching_key(x)."""
        key = matching_key(value)
        assert matching_key(key) == key

    @given(st.text())
    def test_case_folded_without_accents(self, value: str) -> None:
        """The key is a case-fold fixed point, has no combining marks and no apostrophes."""
        key = matching_key(value)
        assert key.casefold() == key
        assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", key))
        assert not any(c in key for c in "'`\u2019\u02bc")
        assert key == key.strip()
        assert "  " not in key

    @given(st.text(alphabet=NAME_ALPHABET))
    def test_accents_and_case_do_not_matter(self, value: str) -> None:
        """Removing accents or changing case of a Latin name never changes its key."""
        key = matching_key(value)
        assert matching_key(_strip_accents(value)) == key
        assert matching_key(value.upper()) == key
        assert matching_key(value.lower()) == key

    @given(st.text())
    def test_key_of_stored_form_is_key(self, value: str) -> None:
        """Keying the stored form gives the same key as keying the raw text."""
        assert matching_key(normalize_text(value)) == matching_key(value)
