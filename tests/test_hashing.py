"""Hashed identifiers for ad platforms: ``email_sha256``, ``phone_sha256``, and matching on them."""

from __future__ import annotations

import hashlib

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.matching.config import DEFAULT_LIMITS, DEFAULT_PRIORITY
from omnicontact.normalize.hashing import email_sha256, phone_sha256
from omnicontact.normalize.phone import normalize_phone_sha256
from omnicontact.normalize.phone import phone_sha256 as derive_phone_sha256

from .conftest import NOW, make_hub
from .strategies import email_parts, example_phones, mixed_case, phone_formats

FRENCH_MOBILE = "+33612345678"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tp(tid: str, *idents: tuple[str, str], minutes: int = 0) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=tid,
        occurred_at=NOW.replace(hour=8, minute=minutes),
        channel="web",
        action="page_view",
        identifiers=[oc.Identifier(k, v) for k, v in idents],
    )


class TestEmailSha256:
    """The e-mail form: trimmed, lower-cased, SHA-256, lower-case hex."""

    def test_documented_example(self) -> None:
        """`` Ann@Example.COM `` hashes as ``ann@example.com``."""
        assert email_sha256(" Ann@Example.COM ") == _sha("ann@example.com")

    def test_gmail_dots_are_kept(self) -> None:
        """Dots in a gmail.com local part are not removed (Customer Match does not require it)."""
        assert email_sha256("a.nn@gmail.com") == _sha("a.nn@gmail.com")
        assert email_sha256("a.nn@gmail.com") != email_sha256("ann@gmail.com")

    def test_plus_tags_are_kept(self) -> None:
        """A ``+tag`` stays part of the address that is hashed."""
        assert email_sha256("ann+news@example.com") == _sha("ann+news@example.com")

    @given(email_parts(), st.data())
    def test_any_case_or_space_variant_gives_the_same_hash(
        self, parts: tuple[str, str], data: st.DataObject
    ) -> None:
        """Case and surrounding whitespace never change the digest."""
        address = "@".join(parts)
        flips = data.draw(st.lists(st.booleans(), max_size=len(address)))
        pad = st.sampled_from(["", " ", "\t", "  ", "\n"])
        variant = data.draw(pad) + mixed_case(address, flips) + data.draw(pad)
        assert email_sha256(variant) == email_sha256(address)

    @given(email_parts())
    def test_ascii_addresses_hash_trimmed_and_lower_cased(self, parts: tuple[str, str]) -> None:
        """For an ASCII address the hub's form is exactly trim + lower-case, as platforms ask."""
        address = "@".join(parts)
        if address.isascii():
            assert email_sha256(f" {address.upper()} ") == _sha(address.lower())

    @given(email_parts())
    def test_equals_what_the_hub_derives(self, parts: tuple[str, str]) -> None:
        """The digest is the ``email_sha256`` identifier the hub derives from the address."""
        address = "@".join(parts)
        hub = make_hub()
        hub.add(_tp("tp-1", ("email", address)))
        assert (
            oc.Identifier("email_sha256", email_sha256(address))
            in hub.touchpoint("tp-1").identifiers
        )

    @pytest.mark.parametrize("value", ["", "   ", "ann", "ann@", "@example.com", "a b@example.com"])
    def test_invalid_addresses_raise_without_the_value(self, value: str) -> None:
        """An invalid address is an InvalidIdentifierError naming the rule, not the value."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            email_sha256(value)
        assert info.value.kind == "email"
        if value.strip():
            assert value.strip() not in str(info.value)

    def test_non_strings_raise(self) -> None:
        """A value that is not a string is an InvalidIdentifierError, not an AttributeError."""
        with pytest.raises(oc.InvalidIdentifierError, match="must be a string"):
            email_sha256(42)  # type: ignore[arg-type]


class TestPhoneSha256:
    """The phone form: E.164 with ``+`` (Google) or digits only (Meta), SHA-256."""

    def test_documented_example(self) -> None:
        """``06 12 34 56 78`` in France hashes as ``+33612345678``; Meta's form drops the +."""
        assert phone_sha256("06 12 34 56 78", "FR") == _sha(FRENCH_MOBILE)
        assert phone_sha256("06 12 34 56 78", "fr", plus=False) == _sha("33612345678")

    @given(example_phones())
    def test_national_and_international_forms_give_the_same_hash(
        self, phone: tuple[str, phonenumbers.PhoneNumber]
    ) -> None:
        """NATIONAL (in its region), INTERNATIONAL, E164 and RFC3966 forms hash alike."""
        region, number = phone
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        forms = phone_formats(number)
        digests = {
            name: phone_sha256(text, None if name == "00" else region)
            for name, text in forms.items()
        }
        assert set(digests.values()) == {_sha(e164)}, digests
        assert phone_sha256(forms["NATIONAL"], region, plus=False) == _sha(e164[1:])

    def test_extension_is_left_out(self) -> None:
        """Platforms match the line: the extension is not hashed."""
        assert phone_sha256("+33 1 42 68 53 00 ext. 12") == _sha("+33142685300")

    @pytest.mark.parametrize("value", ["0000000000", "06 12", "hello", "", "+999 12345678"])
    def test_invalid_numbers_raise_without_the_value(self, value: str) -> None:
        """Invalid numbers and placeholders raise InvalidIdentifierError naming the rule only."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            phone_sha256(value, "FR")
        assert info.value.kind == "phone"
        if value.strip():
            assert value not in str(info.value)

    def test_national_number_needs_a_region(self) -> None:
        """Without a region a national number cannot be read."""
        with pytest.raises(oc.InvalidIdentifierError, match="no region"):
            phone_sha256("06 12 34 56 78")

    def test_unknown_region_is_a_configuration_error(self) -> None:
        """A region that is not an ISO 3166 alpha-2 code is refused."""
        with pytest.raises(oc.ConfigurationError):
            phone_sha256("06 12 34 56 78", "XX")


class TestPhoneSha256Kind:
    """The ``phone_sha256`` identifier kind and its derivation from phones."""

    def test_registered_like_email_sha256(self) -> None:
        """Strong like email_sha256, by the phone plug-in, same limits and priority policy."""
        kinds = make_hub().kinds
        assert kinds.strength("phone_sha256") is kinds.strength("email_sha256")
        assert kinds.strength("phone_sha256") is oc.Strength.STRONG
        assert kinds.plugin_of("phone_sha256") == "omnicontact.phone"
        assert "phone_sha256" not in DEFAULT_LIMITS
        assert "email_sha256" not in DEFAULT_LIMITS
        assert DEFAULT_PRIORITY[-2:] == ("email_sha256", "phone_sha256")

    def test_values_are_64_hex_digits_lower_cased(self) -> None:
        """The kind keeps 64 hex digits lower-cased; anything else is refused."""
        digest = _sha(FRENCH_MOBILE)
        assert normalize_phone_sha256(f" {digest.upper()} ", oc.NormalizeContext()) == digest
        for bad in ("", "abc", digest[:-1], digest + "0", "g" * 64):
            with pytest.raises(oc.InvalidIdentifierError) as info:
                normalize_phone_sha256(bad, oc.NormalizeContext())
            assert info.value.kind == "phone_sha256"

    def test_derived_from_e164_only(self) -> None:
        """A number derives its hash; a placeholder or a number with an extension derives none."""
        assert list(derive_phone_sha256(FRENCH_MOBILE)) == [("phone_sha256", _sha(FRENCH_MOBILE))]
        assert list(derive_phone_sha256("0000000000")) == []
        assert list(derive_phone_sha256("+33142685300;ext=12")) == []

    def test_touchpoint_gains_the_hash(self) -> None:
        """A touchpoint with a phone carries its phone_sha256 once the hub normalizes it."""
        hub = make_hub(default_region="FR")
        hub.add(_tp("tp-1", ("phone", "06 12 34 56 78")))
        assert (
            oc.Identifier("phone_sha256", _sha(FRENCH_MOBILE)) in hub.touchpoint("tp-1").identifiers
        )


@pytest.mark.usefixtures("each_store")
class TestMatchingHashedAudiences:
    """A hashed audience file finds the contacts the hub knows in clear."""

    def test_contact_found_by_both_hashes(self) -> None:
        """contacts_with(email_sha256) and contacts_with(phone_sha256) find the same contact."""
        hub = make_hub(default_region="FR")
        hub.add(_tp("tp-1", ("email", "Ann@Example.com"), ("phone", "06 12 34 56 78")))
        hub.add(_tp("tp-2", ("email", "bob@example.com"), ("phone", "07 81 23 45 67"), minutes=1))
        ann = hub.contact_of("tp-1")
        by_email = hub.contacts_with(oc.Identifier("email_sha256", email_sha256("ann@example.com")))
        by_phone = hub.contacts_with(
            oc.Identifier("phone_sha256", phone_sha256("+33 6 12 34 56 78").upper())
        )
        assert [c.contact_id for c in by_email] == [ann.contact_id]
        assert [c.contact_id for c in by_phone] == [ann.contact_id]

    def test_a_hashed_touchpoint_joins_the_contact(self) -> None:
        """A touchpoint that carries only the phone hash (an ad platform's event) links."""
        hub = make_hub(default_region="FR")
        hub.add(_tp("tp-1", ("phone", "06 12 34 56 78")))
        hub.add(_tp("tp-ad", ("phone_sha256", phone_sha256("0612345678", "FR")), minutes=5))
        assert hub.contact_of("tp-ad").touchpoint_ids == ("tp-1", "tp-ad")

    def test_placeholder_phones_do_not_link_through_their_hash(self) -> None:
        """Two people with a guard-blocked number are not merged by its derived hash."""
        hub = make_hub(default_region="FR")
        hub.add(_tp("tp-a", ("email", "ann@example.com"), ("phone", "06 00 00 00 00")))
        hub.add(_tp("tp-b", ("email", "bob@example.com"), ("phone", "06 00 00 00 00"), minutes=1))
        assert hub.contact_of("tp-a").contact_id != hub.contact_of("tp-b").contact_id

    def test_extensions_do_not_link_through_a_hash(self) -> None:
        """Two extensions of one switchboard stay two contacts: no hash is derived from them."""
        hub = make_hub(default_region="FR")
        hub.add(_tp("tp-a", ("phone", "+33 1 42 68 53 00 ext. 12")))
        hub.add(_tp("tp-b", ("phone", "+33 1 42 68 53 00 ext. 13"), minutes=1))
        assert hub.contact_of("tp-a").contact_id != hub.contact_of("tp-b").contact_id
