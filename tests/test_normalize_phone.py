"""Phone normalization: phonenumbers, E.164, regions, ``00`` and ``(0)`` forms, extensions."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from phonenumbers.phonemetadata import PhoneMetadata

import omnicontact as oc
from omnicontact.normalize import NormalizeContext, normalize_phone

from .strategies import (
    EXAMPLE_PHONES,
    INVISIBLE_CHARACTERS,
    PHONE_REGIONS,
    example_phones,
    markers,
    phone_formats,
)

FR = NormalizeContext(region="FR")
NO_REGION = NormalizeContext()
E164_RE = re.compile(r"\+[1-9]\d{1,14}(;ext=\d+)?\Z")
FRENCH_MOBILE = "+33612345678"  # E.164 of the French number 06 12 34 56 78


def _context(region: str | None) -> NormalizeContext:
    return NormalizeContext(region=region)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class TestDocumentedForms:
    """The four French forms, regions, trunk zero, ``00``, extensions, placeholders."""

    @pytest.mark.parametrize(
        ("value", "context"),
        [
            ("+33 6 12 34 56 78", NO_REGION),
            ("06 12 34 56 78", FR),
            ("0033612345678", NO_REGION),
            ("+33 (0)6 12-34-56-78", NO_REGION),
        ],
    )
    def test_four_french_forms_equal(self, value: str, context: NormalizeContext) -> None:
        """Every form the spec lists is the one E.164 identifier."""
        assert normalize_phone(value, context) == FRENCH_MOBILE

    @pytest.mark.parametrize("value", ["+33 6 12 34 56 78", "+33 (0)6 12 34 56 78"])
    @pytest.mark.parametrize("region", [None, "FR", "US", "GB", "JP"])
    def test_international_forms_ignore_region(self, value: str, region: str | None) -> None:
        """A number written with + means the same whatever the context's region."""
        assert normalize_phone(value, _context(region)) == FRENCH_MOBILE

    @pytest.mark.parametrize("region", [None, "FR", "GB", "DE"])
    def test_00_prefix(self, region: str | None) -> None:
        """0033… is +33… with no region, or in a region whose international prefix is 00."""
        assert normalize_phone("0033612345678", _context(region)) == FRENCH_MOBILE

    @pytest.mark.parametrize("region", ["US", "JP", "AU", "RU"])
    def test_00_prefix_in_any_region(self, region: str) -> None:
        """0033… is +33… whatever the context's region."""
        assert normalize_phone("0033612345678", _context(region)) == FRENCH_MOBILE

    def test_region_own_international_prefix(self) -> None:
        """A region's own international prefix is understood (011 from the US)."""
        assert normalize_phone("011 33 6 12 34 56 78", _context("US")) == FRENCH_MOBILE

    def test_national_number_needs_region(self) -> None:
        """A national number with no region is an InvalidIdentifierError saying so."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize_phone("06 12 34 56 78", NO_REGION)
        assert info.value.kind == "phone"
        assert info.value.field == "identifiers.phone"
        assert "region" in info.value.rule

    def test_national_number_read_in_context_region(self) -> None:
        """The same national digits are read in the region the context gives."""
        assert normalize_phone("(415) 555-2671", _context("US")) == "+14155552671"
        assert normalize_phone("07911 123456", _context("GB")) == "+447911123456"

    def test_national_number_invalid_in_other_region(self) -> None:
        """A French national mobile read as British is not valid, so it is rejected."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_phone("06 12 34 56 78", _context("GB"))

    @pytest.mark.parametrize("region", [None, "FR", "US", "GB", "DE"])
    @pytest.mark.parametrize("value", ["+33 0000000000", "1", "+1 555", "0000"])
    def test_invalid_numbers_rejected(self, value: str, region: str | None) -> None:
        """Numbers that are not is_valid_number (too short, bad country) are rejected."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_phone(value, _context(region))

    @pytest.mark.parametrize("region", [None, "FR", "US"])
    @pytest.mark.parametrize(
        ("value", "kept"),
        [("0000000000", "0000000000"), ("00 00 00 00 00", "0000000000"), ("999999", "999999")],
    )
    def test_one_repeated_digit_is_kept_as_a_placeholder(
        self, value: str, kept: str, region: str | None
    ) -> None:
        """A run of one digit is kept as those digits (idempotent), for the guard to block."""
        assert normalize_phone(value, _context(region)) == kept
        assert normalize_phone(kept, _context(region)) == kept

    def test_extension_kept(self) -> None:
        """An extension is kept as ';ext=N' after the E.164 number (docs example)."""
        assert normalize_phone("+44 20 7946 0958 ext. 123", NO_REGION) == "+442079460958;ext=123"
        assert normalize_phone("06 12 34 56 78 ext. 42", FR) == FRENCH_MOBILE + ";ext=42"

    def test_extension_form_is_a_fixed_point(self) -> None:
        """The stored ';ext=' form reads back as itself."""
        stored = normalize_phone("+1 650-253-0000 x 77", NO_REGION)
        assert stored == "+16502530000;ext=77"
        assert normalize_phone(stored, NO_REGION) == stored

    def test_rfc3966_form(self) -> None:
        """A ``tel:`` URI is understood."""
        assert normalize_phone("tel:+33-6-12-34-56-78", NO_REGION) == FRENCH_MOBILE

    @pytest.mark.parametrize("value", ["", "   ", "not a phone", "+", "00", "()"])
    def test_rejects_non_numbers(self, value: str) -> None:
        """Empty or non-numeric text is an InvalidIdentifierError."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_phone(value, FR)

    @pytest.mark.parametrize("char", INVISIBLE_CHARACTERS)
    def test_rejects_invisible_characters(self, char: str) -> None:
        """A control or zero-width character inside a number is rejected."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_phone(f"+33 6 12{char}34 56 78", NO_REGION)

    def test_error_is_a_value_error(self) -> None:
        """Callers that only know ValueError still catch a bad number."""
        with pytest.raises(ValueError, match="phone"):
            normalize_phone("+1 555", FR)


class TestAllFormatsOfANumber:
    """Every way phonenumbers writes one number normalizes to the same E.164 value."""

    @given(example_phones())
    def test_all_formats_equal(self, phone: tuple[str, phonenumbers.PhoneNumber]) -> None:
        """NATIONAL (in its region), INTERNATIONAL, E164, RFC3966 and 00 forms are equal."""
        region, number = phone
        forms = phone_formats(number)
        results = {
            name: normalize_phone(text, _context(None if name == "00" else region))
            for name, text in forms.items()
        }
        assert set(results.values()) == {_e164(number)}, results

    @given(example_phones(), st.sampled_from([None, *PHONE_REGIONS]))
    def test_international_forms_equal_in_any_region(
        self, phone: tuple[str, phonenumbers.PhoneNumber], region: str | None
    ) -> None:
        """INTERNATIONAL, E164 and RFC3966 forms need no region and ignore any region."""
        _, number = phone
        for name in ("INTERNATIONAL", "E164", "RFC3966"):
            text = phone_formats(number)[name]
            assert normalize_phone(text, _context(region)) == _e164(number)

    @given(example_phones())
    @example(next(p for p in EXAMPLE_PHONES if p[0] == "US"))
    def test_00_form_in_its_own_region(self, phone: tuple[str, phonenumbers.PhoneNumber]) -> None:
        """The 00 form of a number, read in the number's own region, is the number."""
        region, number = phone
        assert normalize_phone(phone_formats(number)["00"], _context(region)) == _e164(number)

    @given(
        example_phones(), st.sampled_from(["{cc} (0){nsn}", "+{cc} (0) {nsn}", "00{cc}(0){nsn}"])
    )
    def test_trunk_zero_in_parentheses(
        self, phone: tuple[str, phonenumbers.PhoneNumber], template: str
    ) -> None:
        """``+CC (0)…`` is understood for regions whose national prefix is 0."""
        region, number = phone
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.national_prefix != "0":
            return
        nsn = phonenumbers.national_significant_number(number)
        cc = f"+{number.country_code}" if template.startswith("{cc}") else number.country_code
        text = template.format(cc=cc, nsn=nsn)
        assert normalize_phone(text, NO_REGION) == _e164(number)

    def test_strategy_covers_many_regions(self) -> None:
        """The example numbers span most regions (so the properties above are broad)."""
        assert len({region for region, _ in EXAMPLE_PHONES}) > 200


PLACEHOLDER_RE = re.compile(r"([0-9])\1{5,}")


class TestProperties:
    """Idempotence, E.164 shape, typed errors and privacy over broad inputs."""

    @given(
        st.one_of(
            st.text(),
            st.from_regex(r"[+0]?[0-9 ()\-.]{0,18}", fullmatch=True),
            example_phones().flatmap(lambda p: st.sampled_from(list(phone_formats(p[1]).values()))),
        ),
        st.sampled_from([None, *PHONE_REGIONS]),
    )
    @example("+33 (0)6 12-34-56-78", None)
    @example("+1 650-253-0000 ext. 9", None)
    def test_idempotent(self, value: str, region: str | None) -> None:
        """normalize(normalize(x)) == normalize(x) for every accepted x, in any region."""
        context = _context(region)
        try:
            once = normalize_phone(value, context)
        except oc.InvalidIdentifierError:
            return
        assert normalize_phone(once, context) == once
        assert normalize_phone(once, NO_REGION) == once

    @given(
        st.one_of(st.text(), st.from_regex(r"[+0]?[0-9 ()\-.]{0,18}", fullmatch=True)),
        st.sampled_from([None, *PHONE_REGIONS]),
    )
    def test_result_is_valid_e164_or_typed_error(self, value: str, region: str | None) -> None:
        """For arbitrary text: valid E.164, a one-digit placeholder run, or a typed error."""
        try:
            result = normalize_phone(value, _context(region))
        except oc.InvalidIdentifierError as err:
            kind = err.kind
        else:
            if PLACEHOLDER_RE.fullmatch(result):  # 000000: kept for the guard to block
                assert set(result) <= set(value)
                return
            assert E164_RE.match(result)
            assert phonenumbers.is_valid_number(phonenumbers.parse(result))
            return
        assert kind == "phone"

    @given(
        markers().map(lambda m: m.replace("Q", "9").replace("X", "8")),
        st.sampled_from(
            [
                "{m}",
                "+33 {m}",
                "+33 6 {m} 00 00 00 00 00 00",
                "06 12 {m} 34 56 78 90 12",
                "00{m}",
                "+{m}{m}{m}{m}{m}",
                "tel:{m}",
                "+999 {m}",
                "(0){m}",
            ]
        ),
        st.sampled_from([None, "FR", "US"]),
    )
    def test_marker_never_in_message(self, marker: str, shape: str, region: str | None) -> None:
        """A distinctive substring of an invalid number never appears in the error."""
        value = shape.format(m=marker)
        assume(len(set(value.strip("+"))) > 1)  # one digit repeated is a kept placeholder
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize_phone(value, _context(region))
        assert marker.casefold() not in str(info.value).casefold()
        assert value not in str(info.value)


@st.composite
def _punctuated_forms(draw: st.DrawFn) -> list[tuple[str, str | None]]:
    """One number written several ways (separators, 00 and +, national), with regions."""
    region = draw(st.sampled_from(["FR", "GB", "DE", "US", "IT", "JP", "BR"]))
    number = phonenumbers.example_number(region)
    assert number is not None
    digits = _e164(number)[1:]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    seps = st.sampled_from([" ", "-", ".", "", "  "])

    def spaced(text: str) -> str:
        return "".join(c + draw(seps) if c.isdigit() else c for c in text)

    return [
        (spaced("+" + digits), None),
        (spaced("00" + digits), draw(st.sampled_from([None, region, "US"]))),
        (spaced(national), region),
        (spaced(national), draw(st.sampled_from(["FR", "US", "GB"]))),
        (draw(st.text(alphabet="+0123456789 .-()", max_size=16)), region),
    ]


def _outcome(call: object, value: str, context: NormalizeContext) -> str:
    """The result, or the error message, of one normalization."""
    try:
        return str(call(value, context))  # type: ignore[operator]
    except oc.InvalidIdentifierError as err:
        return f"error: {err}"


class TestCompactCache:
    """The per-hub phone normalizer's cache agrees with normalize_phone."""

    @given(st.lists(_punctuated_forms(), min_size=1, max_size=4))
    @example([[("0 0 1 2 0 1 5 5 5 0 1 2 3", None), ("00 1 2 0 1 5 5 5 0 1 2 3", None)]])
    def test_same_result_or_same_error_as_the_full_path(
        self, batches: list[list[tuple[str, str | None]]]
    ) -> None:
        """Whatever was cached before, each form gives normalize_phone's result or error."""
        from omnicontact.normalize.phone import PhoneNormalizer

        cached = PhoneNormalizer()
        for forms in batches:
            for value, region in forms * 2:
                context = _context(region)
                expected = _outcome(normalize_phone, value, context)
                assert _outcome(cached, value, context) == expected
