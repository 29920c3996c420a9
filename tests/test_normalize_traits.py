"""Traits: canonical names and their normalizers, blanks left out, region hints."""

from __future__ import annotations

import unicodedata
from typing import Any

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.normalize import (
    NormalizeContext,
    normalize_country,
    normalize_language,
    normalize_traits,
)
from omnicontact.normalize.traits import CANONICAL_TRAITS, region_hint

from .strategies import json_values

CONTEXT = NormalizeContext()
DAYFIRST = NormalizeContext(dayfirst=True)
TEXT_TRAITS = [
    "first_name",
    "last_name",
    "full_name",
    "gender",
    "street",
    "city",
    "region",
    "company",
    "job_title",
]
TRAIT_NAMES = [*sorted(CANONICAL_TRAITS), "plan", "locale", "nickname"]
# The only code points whose upper case is not NFC (Greek letters with dialytika and
# tonos): the postal_code bug in TestTraits.test_idempotent.
UPPER_NOT_NFC = "\u0390\u03b0\u1fd2\u1fd3\u1fd7\u1fe2\u1fe3\u1fe7"


class TestCountry:
    """normalize_country: ISO 3166-1 alpha-2, upper-cased, UK→GB and EL→GR."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("fr ", "FR"), ("Fr", "FR"), ("uk", "GB"), ("EL", "GR"), ("aq", "AQ")],
    )
    def test_documented_forms(self, value: str, expected: str) -> None:
        """Case and padding do not matter; the two aliases are mapped."""
        assert normalize_country(value) == expected

    @pytest.mark.parametrize("value", ["XX", "FRA", "France", "", "F", 33, None])
    def test_rejected(self, value: object) -> None:
        """Anything but a known alpha-2 code is an InvalidTouchpointError naming the field."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            normalize_country(value)
        assert info.value.field == "traits.country"

    @given(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)), st.booleans())
    def test_every_phone_region_is_a_country(self, region: str, lower: bool) -> None:
        """Every region phonenumbers knows is accepted, in either case, as itself."""
        assert normalize_country(region.lower() if lower else region) == region

    @given(st.text(max_size=4))
    def test_idempotent_or_typed_error(self, value: str) -> None:
        """Arbitrary text gives a two-letter fixed point or InvalidTouchpointError."""
        try:
            once = normalize_country(value)
        except oc.InvalidTouchpointError:
            return
        assert len(once) == 2
        assert once == once.upper()
        assert normalize_country(once) == once


class TestLanguage:
    """normalize_language: BCP 47 language[-Script][-REGION] in its usual case."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("FR_fr", "fr-FR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("en", "en"),
            (" DE-de ", "de-DE"),
            ("es-419", "es-419"),
            ("sr_latn", "sr-Latn"),
        ],
    )
    def test_documented_forms(self, value: str, expected: str) -> None:
        """Separators and case are normalized as BCP 47 writes them."""
        assert normalize_language(value) == expected

    @pytest.mark.parametrize("value", ["english", "f", "fr-FR-x-private", "fr--FR", "", 5, None])
    def test_rejected(self, value: object) -> None:
        """Anything but language[-Script][-REGION] is rejected naming traits.language."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            normalize_language(value)
        assert info.value.field == "traits.language"

    @given(
        st.one_of(
            st.text(max_size=12),
            st.from_regex(
                r"[a-zA-Z]{2,3}([-_][a-zA-Z]{4})?([-_]([a-zA-Z]{2}|\d{3}))?", fullmatch=True
            ),
        )
    )
    def test_idempotent_or_typed_error(self, value: str) -> None:
        """Arbitrary text gives a fixed point or InvalidTouchpointError."""
        try:
            once = normalize_language(value)
        except oc.InvalidTouchpointError:
            return
        assert normalize_language(once) == once
        assert once.split("-")[0] == once.split("-")[0].lower()


class TestTraits:
    """normalize_traits: canonical traits normalized, others kept, blanks left out."""

    def test_text_traits_in_stored_form(self) -> None:
        """Name-like traits are stored as normalize_text gives them."""
        raw = "  Zoë \u200b O'Brien   Smith "
        result = normalize_traits(dict.fromkeys(TEXT_TRAITS, raw), CONTEXT)
        assert result == dict.fromkeys(TEXT_TRAITS, "Zoë O'Brien Smith")

    def test_postal_code_upper_cased(self) -> None:
        """postal_code is the stored text form, upper-cased: ' m1 4bt' is 'M1 4BT'."""
        assert normalize_traits({"postal_code": " m1  4bt"}, CONTEXT) == {"postal_code": "M1 4BT"}

    def test_birth_date_follows_dayfirst(self) -> None:
        """birth_date is an ISO date read with the context's dayfirst."""
        assert normalize_traits({"birth_date": "11/12/1988"}, CONTEXT) == {
            "birth_date": "1988-11-12"
        }
        assert normalize_traits({"birth_date": "11/12/1988"}, DAYFIRST) == {
            "birth_date": "1988-12-11"
        }

    def test_country_and_language(self) -> None:
        """country and language take their canonical forms."""
        result = normalize_traits({"country": "uk", "language": "FR_fr"}, CONTEXT)
        assert result == {"country": "GB", "language": "fr-FR"}

    @pytest.mark.parametrize("blank", [None, "", "   ", "\t\n"])
    @pytest.mark.parametrize("name", TRAIT_NAMES)
    def test_blank_left_out(self, name: str, blank: object) -> None:
        """None or a blank string means 'not given': the trait is left out."""
        assert normalize_traits({name: blank, "kept": "x"}, CONTEXT) == {"kept": "x"}

    def test_other_traits_kept(self) -> None:
        """Other traits keep their name; strings take the stored text form, others stay as is."""
        traits: dict[str, Any] = {
            "plan": "  gold \u200b plan ",
            "score": 12.5,
            "vip": False,
            "tags": ("a", "b"),
            "count": 0,
        }
        assert normalize_traits(traits, CONTEXT) == {
            "plan": "gold plan",
            "score": 12.5,
            "vip": False,
            "tags": ("a", "b"),
            "count": 0,
        }

    @pytest.mark.parametrize("name", [*TEXT_TRAITS, "postal_code"])
    @pytest.mark.parametrize("value", [5, 1.5, True, ("a",), {"a": 1}])
    def test_text_trait_must_be_string(self, name: str, value: object) -> None:
        """A canonical text trait that is no string names traits.<name>."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            normalize_traits({name: value}, CONTEXT)
        assert info.value.field == f"traits.{name}"
        assert str(info.value) == f"traits.{name}: must be a string"

    @pytest.mark.parametrize(
        ("traits", "field", "error"),
        [
            ({"country": "XX"}, "traits.country", oc.InvalidTouchpointError),
            ({"language": "english"}, "traits.language", oc.InvalidTouchpointError),
            ({"birth_date": "1985"}, "traits.birth_date", oc.InvalidTimestampError),
            ({"birth_date": "March 1985"}, "traits.birth_date", oc.InvalidTimestampError),
            ({"birth_date": "1850-01-01"}, "traits.birth_date", oc.InvalidTimestampError),
            ({"birth_date": 1985}, "traits.birth_date", oc.InvalidTimestampError),
        ],
    )
    def test_invalid_canonical_trait(
        self, traits: dict[str, object], field: str, error: type[Exception]
    ) -> None:
        """A canonical trait breaking its rule raises the typed error naming it."""
        with pytest.raises(error) as info:
            normalize_traits(traits, CONTEXT)
        assert isinstance(info.value, oc.InvalidTouchpointError)
        assert info.value.field == field

    @pytest.mark.parametrize("value", ["\u200b", "\ufeff \u200d", "\x00"])
    def test_invisible_only_value_left_out(self, value: str) -> None:
        """A value that is nothing but invisible characters says nothing: it is left out."""
        assert normalize_traits({"first_name": value, "plan": value}, CONTEXT) == {}

    def test_postal_code_stored_nfc(self) -> None:
        """The stored postal_code is NFC, like all stored text."""
        stored = normalize_traits({"postal_code": "\u0390 1"}, CONTEXT)["postal_code"]
        assert unicodedata.is_normalized("NFC", stored)

    def test_input_not_mutated(self) -> None:
        """The given mapping is left as it was."""
        traits = {"first_name": "  ann ", "gone": None}
        normalize_traits(traits, CONTEXT)
        assert traits == {"first_name": "  ann ", "gone": None}

    @given(st.dictionaries(st.sampled_from(TRAIT_NAMES), json_values(4), max_size=6))
    def test_typed_error_only(self, traits: dict[str, object]) -> None:
        """For arbitrary JSON values under any name: a dict or InvalidTouchpointError."""
        try:
            result = normalize_traits(traits, CONTEXT)
        except oc.InvalidTouchpointError:
            return
        for name, value in traits.items():
            blank = value is None or (isinstance(value, str) and not value.strip())
            assert (name in result) is not blank

    @given(st.dictionaries(st.sampled_from(TRAIT_NAMES), st.one_of(st.text(), json_values(4))))
    @example({"first_name": "\u200b"})
    @example({"plan": "\x00"})
    @example({"postal_code": "\u0390"})
    def test_idempotent(self, traits: dict[str, object]) -> None:
        """normalize_traits(normalize_traits(x)) == normalize_traits(x) when accepted."""
        try:
            once = normalize_traits(traits, CONTEXT)
        except oc.InvalidTouchpointError:
            return
        assert normalize_traits(once, CONTEXT) == once

    @given(
        st.dictionaries(
            st.sampled_from(TRAIT_NAMES),
            st.text(
                st.characters(
                    exclude_categories=("Cc", "Cf", "Cs", "Mn", "Me"),
                    exclude_characters=UPPER_NOT_NFC,
                )
            ),
        )
    )
    def test_idempotent_for_visible_text(self, traits: dict[str, object]) -> None:
        """Idempotent for text without invisible characters, combining marks or UPPER_NOT_NFC."""
        try:
            once = normalize_traits(traits, CONTEXT)
        except oc.InvalidTouchpointError:
            return
        assert normalize_traits(once, CONTEXT) == once


class TestRegionHint:
    """region_hint: the region national phone numbers are read in."""

    def test_country_first(self) -> None:
        """The country trait wins over locale and language."""
        assert region_hint({"country": "GB", "locale": "de_DE"}, {"locale": "fr-FR"}) == "GB"

    def test_locale_trait_then_property(self) -> None:
        """Then the locale trait's region, then the locale property's."""
        assert region_hint({"locale": "de_DE"}, {"locale": "fr-FR"}) == "DE"
        assert region_hint({}, {"locale": "fr-FR"}) == "FR"

    def test_language_with_region(self) -> None:
        """Then the language trait, when it has a region."""
        assert region_hint({"language": "de-AT"}, {}) == "AT"
        assert region_hint({"language": "de"}, {}) is None

    def test_nothing_says(self) -> None:
        """None when nothing gives a region."""
        assert region_hint({}, {}) is None
        assert region_hint({"country": 33, "locale": "xx-QQ"}, {}) is None
