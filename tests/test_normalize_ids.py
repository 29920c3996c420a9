"""Account, loyalty, cookie, device, anonymous and social ids; the ``email_sha256`` kind."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.normalize import NormalizeContext

from .strategies import INVISIBLE_CHARACTERS

KINDS = oc.Hub(load_entry_points=False).kinds
CONTEXT = NormalizeContext()
ID_KINDS = ["customer_id", "loyalty_id", "social", "cookie_id", "anonymous_id", "device_id"]
EXACT_KINDS = ["customer_id", "cookie_id", "anonymous_id"]
MAX_LENGTH = 256
PRINTABLE_ASCII = string.ascii_letters + string.digits + "-_.:/@+ "


def normalize(kind: str, value: str) -> str:
    """Normalize *value* with the registered kind *kind* (``social:x`` finds ``social``)."""
    return KINDS.get(kind).normalize(value, CONTEXT)


def _accepted(kind: str, value: str) -> str | None:
    try:
        return normalize(kind, value)
    except oc.InvalidIdentifierError:
        return None


class TestCasePolicies:
    """Each kind's documented case policy (docs/normalization.md table)."""

    @pytest.mark.parametrize("kind", EXACT_KINDS)
    def test_exact_kinds_trimmed_case_kept(self, kind: str) -> None:
        """customer_id, cookie_id and anonymous_id are trimmed, otherwise kept exactly."""
        assert normalize(kind, "  AbC-12 x_Y \t") == "AbC-12 x_Y"

    def test_loyalty_separators_removed_upper_cased(self) -> None:
        """loyalty_id drops spaces and hyphens and is upper-cased: LOY-FR 558201 → LOYFR558201."""
        assert normalize("loyalty_id", "LOY-FR 558201") == "LOYFR558201"
        assert normalize("loyalty_id", " loy - fr 55-82 01 \t") == "LOYFR558201"

    def test_social_at_removed_case_folded(self) -> None:
        """A social handle loses its leading @ and is case-folded (docs example)."""
        assert normalize("social", "@Oliver.Bennett.MCR") == "oliver.bennett.mcr"
        assert normalize("social", "Oliver.Bennett.MCR") == "oliver.bennett.mcr"

    def test_social_qualified_kinds_share_policy(self) -> None:
        """social:<network> kinds all use the social policy, through the hub too."""
        hub = oc.Hub(load_entry_points=False)
        for network in ("facebook", "instagram", "x"):
            ident = hub.normalize(oc.Identifier(f"Social:{network.title()}", " @Ann.Lee "))
            assert ident.kind == f"social:{network}"
            assert ident.value == "ann.lee"

    def test_device_lower_cased(self) -> None:
        """device_id is trimmed and lower-cased."""
        assert (
            normalize("device_id", " 6D92078A-8246-4BA4-AE5B-76104861E7DC ")
            == "6d92078a-8246-4ba4-ae5b-76104861e7dc"
        )

    def test_strengths(self) -> None:
        """customer, loyalty and social ids are strong; cookie, anonymous and device weak."""
        for kind in ("customer_id", "loyalty_id", "social:facebook", "email_sha256"):
            assert KINDS.strength(kind) is oc.Strength.STRONG
        for kind in ("cookie_id", "anonymous_id", "device_id"):
            assert KINDS.strength(kind) is oc.Strength.WEAK

    def test_unknown_kind(self) -> None:
        """A kind no plug-in registers is UnknownIdentifierKindError (also a LookupError)."""
        with pytest.raises(oc.UnknownIdentifierKindError) as info:
            KINDS.get("passport_number")
        assert isinstance(info.value, LookupError)
        assert info.value.kind == "passport_number"
        with pytest.raises(oc.UnknownIdentifierKindError):
            KINDS.get("customer_id:shop")  # only qualified kinds take a qualifier


class TestCommonRules:
    """Every id kind: non-empty, at most 256 characters, no invisible characters."""

    @pytest.mark.parametrize("kind", ID_KINDS)
    @pytest.mark.parametrize("value", ["", "   ", "\t\n"])
    def test_empty_rejected(self, kind: str, value: str) -> None:
        """Blank values are InvalidIdentifierError naming the kind."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize(kind, value)
        assert info.value.kind == kind
        assert info.value.field == f"identifiers.{kind}"

    @pytest.mark.parametrize("kind", ["loyalty_id", "social"])
    def test_empty_after_policy_rejected(self, kind: str) -> None:
        """A value that its policy empties (only separators, only '@') is rejected."""
        value = " - - " if kind == "loyalty_id" else "@@@"
        with pytest.raises(oc.InvalidIdentifierError):
            normalize(kind, value)

    @pytest.mark.parametrize("kind", ID_KINDS)
    def test_length_limit(self, kind: str) -> None:
        """256 characters are accepted, 257 rejected."""
        assert len(normalize(kind, "a" * MAX_LENGTH)) == MAX_LENGTH
        with pytest.raises(oc.InvalidIdentifierError):
            normalize(kind, "a" * (MAX_LENGTH + 1))

    @pytest.mark.parametrize("kind", ID_KINDS)
    @pytest.mark.parametrize("char", INVISIBLE_CHARACTERS)
    def test_invisible_rejected(self, kind: str, char: str) -> None:
        """A control or zero-width character inside an id is rejected."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize(kind, f"ab{char}cd")


class TestEmailSha256:
    """email_sha256 values must be 64 hexadecimal digits and are lower-cased."""

    def test_lower_cased_and_trimmed(self) -> None:
        """Upper-case hex is accepted and lower-cased; whitespace trimmed."""
        digest = "AB" * 32
        assert normalize("email_sha256", f" {digest} ") == digest.lower()

    @pytest.mark.parametrize(
        "value", ["", "a" * 63, "a" * 65, "g" * 64, "0x" + "a" * 62, "a" * 32 + " " + "a" * 31]
    )
    def test_rejects_non_digests(self, value: str) -> None:
        """Anything but 64 hex digits is an InvalidIdentifierError for email_sha256."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize("email_sha256", value)
        assert info.value.kind == "email_sha256"

    @given(st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64))
    def test_any_hex_digest_accepted(self, value: str) -> None:
        """Every 64-digit hex string is accepted as its lower-case self."""
        assert normalize("email_sha256", value) == value.lower()

    @given(st.text())
    def test_idempotent_or_typed_error(self, value: str) -> None:
        """For arbitrary text: InvalidIdentifierError, or a value that is its own normal form."""
        once = _accepted("email_sha256", value)
        if once is not None:
            assert len(once) == 64
            assert normalize("email_sha256", once) == once


def _kind_params() -> list[object]:
    return [pytest.param(kind, id=kind) for kind in ID_KINDS]


class TestProperties:
    """Invariants of every id kind over arbitrary and structured text."""

    @pytest.mark.parametrize("kind", _kind_params())
    @given(value=st.one_of(st.text(), st.text(alphabet=PRINTABLE_ASCII)))
    @example(value="@ @Ann")
    @example(value="@\xa0@@")
    @example(value=" Ab-C 1 ")
    def test_idempotent(self, kind: str, value: str) -> None:
        """normalize(normalize(x)) == normalize(x) for every x the kind accepts."""
        once = _accepted(kind, value)
        if once is not None:
            assert normalize(kind, once) == once

    @pytest.mark.parametrize("kind", ID_KINDS)
    @given(value=st.text())
    def test_only_typed_error(self, kind: str, value: str) -> None:
        """For arbitrary text: a non-empty str of at most 256 characters, or the typed error."""
        try:
            result = normalize(kind, value)
        except oc.InvalidIdentifierError as err:
            error_kind = err.kind
        else:
            assert isinstance(result, str)
            assert 0 < len(result) <= MAX_LENGTH
            assert result == result.strip()
            return
        assert error_kind == kind

    @pytest.mark.parametrize("kind", EXACT_KINDS)
    @given(value=st.text(max_size=40))
    def test_exact_kinds_keep_value(self, kind: str, value: str) -> None:
        """When accepted, an exact kind's value is the input trimmed, nothing else changed."""
        once = _accepted(kind, value)
        if once is not None:
            assert once == value.strip()

    @given(
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
        st.lists(st.sampled_from([" ", "-", "  ", "--", " - "]), max_size=6),
        st.data(),
    )
    def test_loyalty_ignores_separators_and_case(
        self, core: str, separators: list[str], data: st.DataObject
    ) -> None:
        """Spaces, hyphens and case never change a loyalty id; the result is upper-case."""
        text = core
        for sep in separators:
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + sep + text[at:]
        result = normalize("loyalty_id", text.swapcase())
        assert result == core.upper()
        assert " " not in result
        assert "-" not in result

    @given(st.text(alphabet=string.ascii_letters + string.digits + "._", min_size=1, max_size=20))
    def test_social_ignores_at_and_case(self, handle: str) -> None:
        """'@handle', 'HANDLE' and 'handle' are one social identifier, lower-case."""
        expected = handle.lower()
        assert normalize("social:x", "@" + handle) == expected
        assert normalize("social:x", handle.upper()) == expected
        assert normalize("social:x", " @" + handle.swapcase() + " ") == expected

    @given(st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=40))
    def test_device_ignores_case(self, value: str) -> None:
        """A device id in any case gives one lower-case value."""
        result = normalize("device_id", value)
        assert result == normalize("device_id", value.swapcase())
        assert result == value.lower()
