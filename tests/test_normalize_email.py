"""E-mail normalization: email-validator without DNS, case and IDNA policy, SHA-256."""

from __future__ import annotations

import hashlib
import socket
import string
import unicodedata
from datetime import datetime, timezone

import email_validator
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.normalize import NormalizeContext, normalize_email
from omnicontact.normalize.email import normalize_email_sha256

from .strategies import (
    INVISIBLE_CHARACTERS,
    ascii_domain,
    email_parts,
    emails,
    markers,
    mixed_case,
)

DEFAULT = NormalizeContext()
KEEP_CASE = NormalizeContext(casefold_email_local=False)
ASCII_LOCAL = string.ascii_letters + string.digits
ASCII_LABEL = string.ascii_letters + string.digits
HEX64 = frozenset("0123456789abcdef")


KINDS = oc.Hub(load_entry_points=False).kinds
EMAIL_KIND = KINDS.get("email")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def _normalized_or_none(value: str, context: NormalizeContext = DEFAULT) -> str | None:
    try:
        return normalize_email(value, context)
    except oc.InvalidIdentifierError:
        return None


class TestDocumentedForms:
    """The forms the spec names normalize as it says."""

    def test_trims_surrounding_whitespace(self) -> None:
        """Leading and trailing whitespace is not part of the address."""
        assert normalize_email(" \t ann@example.com \n", DEFAULT) == "ann@example.com"

    def test_punycode_domain_equals_unicode_domain(self) -> None:
        """``xn--bcher-kva.de`` and ``Bücher.de`` are the same domain."""
        assert normalize_email("ann@xn--bcher-kva.de", DEFAULT) == normalize_email(
            "ann@Bücher.de", DEFAULT
        )

    def test_domain_is_lower_case(self) -> None:
        """The domain comes out lower-cased, whatever case it came in."""
        result = normalize_email("ann@EXAMPLE.Com", DEFAULT)
        assert result.split("@")[1] == "example.com"

    def test_local_part_is_case_folded_by_default(self) -> None:
        """The local part is case-folded (``ß`` folds to ``ss``) by default."""
        assert normalize_email("Ann.Straße@example.com", DEFAULT) == normalize_email(
            "ann.strasse@example.com", DEFAULT
        )
        assert normalize_email("ANN@example.com", DEFAULT).split("@")[0] == "ann"

    def test_local_part_case_kept_when_asked(self) -> None:
        """``casefold_email_local=False`` keeps the local part's case, still lowers the domain."""
        assert normalize_email("Ann.Lee@Example.COM", KEEP_CASE) == "Ann.Lee@example.com"

    def test_dots_and_tags_are_kept(self) -> None:
        """No provider-specific rewriting: dots and ``+tags`` stay."""
        result = normalize_email("first.last+news@gmail.com", DEFAULT)
        assert result.split("@")[0] == "first.last+news"

    def test_nfd_and_nfc_forms_are_equal(self) -> None:
        """A decomposed accent equals the composed one, in local part and domain."""
        nfc = "zoë.élan@café.fr"
        nfd = unicodedata.normalize("NFD", nfc)
        assert nfc != nfd
        assert normalize_email(nfd, DEFAULT) == normalize_email(nfc, DEFAULT)
        assert unicodedata.is_normalized("NFC", normalize_email(nfd, DEFAULT))

    def test_documented_examples(self) -> None:
        """The examples of docs/normalization.md give the forms it states."""
        assert normalize_email("Ann.Lee@Example.COM", DEFAULT) == "ann.lee@example.com"
        assert normalize_email("ann@xn--bcher-kva.de", DEFAULT) == "ann@bücher.de"
        assert normalize_email("ann@Bücher.de", DEFAULT) == "ann@bücher.de"
        assert normalize_email("ann.lee+news@gmail.com", DEFAULT) == "ann.lee+news@gmail.com"

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@@example.com",
            "ann example@x.com",
            "Ann <ann@example.com>",
            '"ann lee"@example.com',
            "ann@[192.0.2.1]",
            "ann@localhost",
        ],
    )
    def test_rejects_malformed(self, value: str) -> None:
        """Empty, missing parts, display names, quoted locals, IP or dotless domains: rejected."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize_email(value, DEFAULT)
        assert info.value.kind == "email"
        assert info.value.field == "identifiers.email"

    @pytest.mark.parametrize("char", INVISIBLE_CHARACTERS)
    def test_rejects_invisible_and_control_characters(self, char: str) -> None:
        """A zero-width or control character inside the address is rejected."""
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_email(f"an{char}n@example.com", DEFAULT)
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_email(f"ann@exa{char}mple.com", DEFAULT)

    def test_error_is_a_value_error(self) -> None:
        """Callers that only know ValueError still catch a bad address."""
        with pytest.raises(ValueError, match="email"):
            normalize_email("not an address", DEFAULT)


class TestNoDns:
    """Deliverability is never checked: no DNS, even if email-validator's default says so."""

    def test_no_network_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Normalizing works with DNS and sockets made to fail, and the global default on."""

        def no_network(*_args: object, **_kwargs: object) -> object:
            raise AssertionError("normalize_email must not use the network")

        import email_validator.deliverability as deliverability

        monkeypatch.setattr(email_validator, "CHECK_DELIVERABILITY", True)
        monkeypatch.setattr(deliverability, "validate_email_deliverability", no_network)
        monkeypatch.setattr(socket, "getaddrinfo", no_network)
        monkeypatch.setattr(socket, "gethostbyname", no_network)
        result = normalize_email("ann@no-such-domain-omnicontact-tests.com", DEFAULT)
        assert result == "ann@no-such-domain-omnicontact-tests.com"


class TestProperties:
    """Invariants over generated addresses and arbitrary text."""

    @given(st.one_of(emails(), st.text()))
    @example("  Ann.Lee+Tag@XN--BCHER-KVA.DE ")
    @example("Straße@Bücher.de")
    def test_idempotent(self, value: str) -> None:
        """normalize(normalize(x)) == normalize(x) for every accepted x, either case policy."""
        for context in (DEFAULT, KEEP_CASE):
            once = _normalized_or_none(value, context)
            if once is not None:
                assert normalize_email(once, context) == once

    @given(emails())
    def test_generated_addresses_are_accepted(self, value: str) -> None:
        """Every address built from valid parts normalizes, in NFC, trimmed, one @."""
        result = normalize_email(value, DEFAULT)
        assert result == result.strip()
        assert result.count("@") == 1
        assert unicodedata.is_normalized("NFC", result)

    @given(st.text())
    def test_only_typed_error(self, value: str) -> None:
        """For arbitrary text the result is a str or InvalidIdentifierError, nothing else."""
        try:
            result = normalize_email(value, DEFAULT)
        except oc.InvalidIdentifierError as err:
            kind = err.kind
        else:
            assert isinstance(result, str)
            assert result
            return
        assert kind == "email"

    @given(email_parts(), st.booleans())
    def test_idna_forms_equal(self, parts: tuple[str, str], keep_case: bool) -> None:
        """A domain in Unicode and in its ``xn--`` ASCII form normalize equal."""
        local, domain = parts
        context = KEEP_CASE if keep_case else DEFAULT
        assert normalize_email(f"{local}@{ascii_domain(domain)}", context) == normalize_email(
            f"{local}@{domain}", context
        )

    @given(email_parts(), st.lists(st.booleans()))
    def test_domain_case_ignored(self, parts: tuple[str, str], flips: list[bool]) -> None:
        """Changing the case of the domain never changes the result."""
        local, domain = parts
        assume(mixed_case(domain, flips).lower() == domain.lower())  # no 'İ'-style surprises
        for context in (DEFAULT, KEEP_CASE):
            assert normalize_email(
                f"{local}@{mixed_case(domain, flips)}", context
            ) == normalize_email(f"{local}@{domain}", context)

    @given(email_parts(local_alphabet=ASCII_LOCAL), st.lists(st.booleans()))
    def test_ascii_local_case_folded(self, parts: tuple[str, str], flips: list[bool]) -> None:
        """By default the local part's case does not matter; it comes out lower-case."""
        local, domain = parts
        result = normalize_email(f"{mixed_case(local, flips)}@{domain}", DEFAULT)
        assert result == normalize_email(f"{local}@{domain}", DEFAULT)
        assert result.split("@")[0] == local.lower()

    @given(email_parts(local_alphabet=ASCII_LOCAL), st.lists(st.booleans()))
    def test_local_case_kept_when_asked(self, parts: tuple[str, str], flips: list[bool]) -> None:
        """With casefold_email_local=False the local part comes out exactly as given."""
        local, domain = parts
        given_local = mixed_case(local, flips)
        result = normalize_email(f"{given_local}@{domain}", KEEP_CASE)
        assert result.split("@")[0] == given_local

    @given(emails())
    def test_nfd_equals_nfc(self, value: str) -> None:
        """The NFD and NFC spellings of an address normalize equal."""
        nfc = unicodedata.normalize("NFC", value)
        nfd = unicodedata.normalize("NFD", value)
        for context in (DEFAULT, KEEP_CASE):
            assert normalize_email(nfd, context) == normalize_email(nfc, context)

    @given(emails(), st.sampled_from(INVISIBLE_CHARACTERS), st.data())
    def test_invisible_character_anywhere_inside_rejected(
        self, value: str, char: str, data: st.DataObject
    ) -> None:
        """Inserting a control or zero-width character inside a valid address makes it invalid."""
        core = value.strip()
        at = data.draw(st.integers(1, len(core) - 1))
        with pytest.raises(oc.InvalidIdentifierError):
            normalize_email(core[:at] + char + core[at:], DEFAULT)


def _invalid_shapes() -> st.SearchStrategy[str]:
    """Invalid addresses of many shapes, each holding a marker ``{m}`` (ASCII fillers)."""
    return st.sampled_from(
        [
            "{m}",
            "{m}@",
            "@{m}.com",
            "{m}@@example.com",
            "{m} x@example.com",
            "x@{m}",
            "x@{m}..com",
            "x@-{m}.com",
            "x@{m}-.com",
            "x@ab--{m}.com",
            ".{m}@example.com",
            "{m}.@example.com",
            "{m}..x@example.com",
            "<{m}@example.com",
            '"{m}"@example.com',
            "{m}@example.com>",
            "x@{m}_y.com",
            "x@[{m}]",
            "x@{m}.123",
            "{m}(comment)@example.com",
            "x@{m}." + "a" * 70 + ".com",
            "x@{m}" + ".abcdefghij" * 25 + ".com",
        ]
    )


class TestPrivacy:
    """Error messages never quote the address or any part of it."""

    @given(markers(), _invalid_shapes(), st.sampled_from(["", "AB", "ab.", "a1"]))
    def test_marker_never_in_message(self, marker: str, shape: str, pad: str) -> None:
        """A distinctive substring of an invalid address never appears in the error."""
        value = shape.format(m=pad + marker + pad)
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize_email(value, DEFAULT)
        message = str(info.value).casefold()
        assert marker.casefold() not in message
        assert value.casefold() not in message

    @pytest.mark.parametrize(
        "value",
        [
            "ann@qxzjmarker\u00b7y.com",  # CONTEXTO middle dot
            "ann@sub.qxzjmarker\u30fby.com",  # katakana middle dot
            "ann@qxzjmarker\u0660\u06f0.fr",  # mixed Arabic-Indic digits
            "\u00b6@sub.\u00b6qxzj\u00b6.com",  # disallowed code point
        ],
    )
    def test_marker_in_idna_label_never_in_message(self, value: str) -> None:
        """A marker in one label of an invalid IDNA domain does not appear in the error."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            normalize_email(value, DEFAULT)
        assert "qxzj" not in str(info.value).casefold()


class TestSha256:
    """An e-mail implies its SHA-256 (``email_sha256``) through the kind's ``derive``."""

    @given(emails())
    def test_derive_is_sha256_of_normalized(self, value: str) -> None:
        """derive(normalized) yields exactly one email_sha256: sha256 of the UTF-8 address."""
        normalized = EMAIL_KIND.normalize(value, DEFAULT)
        assert EMAIL_KIND.derive is not None
        derived = list(EMAIL_KIND.derive(normalized))
        expected = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        assert derived == [("email_sha256", expected)]
        assert len(expected) == 64
        assert set(expected) <= HEX64

    @given(emails())
    def test_derived_hash_is_a_normalized_email_sha256(self, value: str) -> None:
        """The derived digest is already in the form the email_sha256 kind keeps."""
        normalized = normalize_email(value, DEFAULT)
        ((_kind, digest),) = EMAIL_KIND.derive(normalized)  # type: ignore[misc]
        assert normalize_email_sha256(digest, DEFAULT) == digest

    def test_equal_addresses_give_equal_hashes(self) -> None:
        """Two spellings of one address derive the same hash, so hashed audiences link."""
        one = EMAIL_KIND.derive(normalize_email(" Ann@XN--BCHER-KVA.DE", DEFAULT))  # type: ignore[misc]
        two = EMAIL_KIND.derive(normalize_email("ann@bücher.de", DEFAULT))  # type: ignore[misc]
        assert list(one) == list(two)

    def test_hub_adds_derived_hash(self, hub: oc.Hub) -> None:
        """A touchpoint with an e-mail gains its email_sha256 when the hub normalizes it."""
        receipt = hub.add(
            oc.Touchpoint(
                id="tp-1",
                occurred_at=NOW,
                channel="web",
                action="signup",
                identifiers=[oc.Identifier("email", " Ann@Example.COM ")],
            )
        )
        values = {i.kind: i.value for i in receipt.touchpoint.identifiers}
        assert values["email"] == "ann@example.com"
        assert values["email_sha256"] == hashlib.sha256(b"ann@example.com").hexdigest()

    def test_kind_is_strong(self) -> None:
        """E-mail and its hash are strong identifiers."""
        assert KINDS.strength("email") is oc.Strength.STRONG
        assert KINDS.strength("email_sha256") is oc.Strength.STRONG


_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"


@st.composite
def _ascii_addresses(draw: st.DrawFn) -> str:
    """ASCII addresses near the edges of the fast path: odd locals, odd and special domains."""
    atom = st.text(alphabet=_ATEXT, min_size=1, max_size=12)
    local = draw(
        st.one_of(
            st.lists(atom, min_size=1, max_size=4).map(".".join),
            st.text(alphabet=_ATEXT + '. @"\\(),:;<>[]\t', min_size=0, max_size=20),
            st.just("x" * 65),
        )
    )
    label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)
    domain = draw(
        st.one_of(
            st.lists(label, min_size=2, max_size=4).map(".".join),
            st.sampled_from(
                [
                    "example.com",
                    "Example.COM",
                    "localhost",
                    "x.test",
                    "mail.local",
                    "a-.com",
                    "ab--cd.com",
                    "xn--bcher-kva.de",
                    "example.123",
                    "example.com.",
                    "[127.0.0.1]",
                    "",
                    ("a" * 63 + ".") * 4 + "com",
                ]
            ),
        )
    )
    return f"{local}@{domain}"


class TestFastPath:
    """The per-hub e-mail normalizer's ASCII fast path agrees with the full validation."""

    @given(_ascii_addresses())
    @example("Ann.Lee@Example.com")
    @example("info@example.com")
    @example("a@xn--bcher-kva.de")
    @example("x" * 65 + "@example.com")
    @example("x" * 64 + "@example.com")
    @example("x" * 10 + "@" + ("a" * 60 + ".") * 4 + "com")
    def test_same_result_or_same_error_as_the_full_path(self, value: str) -> None:
        """Any ASCII address gives what normalize_email gives, or the same error."""
        from omnicontact.normalize.email import EmailNormalizer

        fast = EmailNormalizer()
        try:
            expected: str | None = normalize_email(value, DEFAULT)
        except oc.InvalidIdentifierError as err:
            expected, reason = None, str(err)
        for _ in range(2):  # the second call hits the domain cache
            if expected is None:
                with pytest.raises(oc.InvalidIdentifierError) as info:
                    fast(value, DEFAULT)
                assert str(info.value) == reason
            else:
                assert fast(value, DEFAULT) == expected

    def test_case_kept_policy_takes_the_full_path(self) -> None:
        """With case kept, the fast path steps aside (email-validator lowers role mailboxes)."""
        from omnicontact.normalize.email import EmailNormalizer

        keep = NormalizeContext(casefold_email_local=False)
        for value in ("Ann@Example.com", "INFO@example.com"):
            assert EmailNormalizer()(value, keep) == normalize_email(value, keep)
