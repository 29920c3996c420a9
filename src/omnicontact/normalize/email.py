"""E-mail addresses: validated with email-validator, never with DNS.

Policy (see ``docs/normalization.md``): trimmed; NFC; control and invisible
characters rejected; the domain lower-cased and IDNA-mapped to its Unicode
form (``xn--bcher-kva.de`` and ``Bücher.de`` are equal); the local part
case-folded by default (``Hub(casefold_email_local=False)`` keeps its case).
No provider-specific rewriting (dots and ``+tags`` are kept).

An e-mail also implies its SHA-256 (``email_sha256``), the form ad platforms
exchange, so hashed audiences link to the same contact.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from omnicontact._cache import remember
from omnicontact.errors import InvalidIdentifierError
from omnicontact.hookspecs import hookimpl
from omnicontact.normalize.kinds import IdentifierKind, NormalizeContext, Strength
from omnicontact.normalize.text import raw_text

__all__ = [
    "EmailNormalizer",
    "normalize_email",
    "normalize_email_sha256",
    "register_identifier_kinds",
]

_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")
_MAX_EMAIL = 254
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM_RE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*\Z")
_QUOTED_RE = re.compile(r"'[^']*'|\"[^\"]*\"|\u2018[^\u2019]*\u2019")


def normalize_email(value: str, context: NormalizeContext) -> str:
    """Return the normalized form of an e-mail address.

    :raises InvalidIdentifierError: naming the rule broken, never the address.
    """
    text = unicodedata.normalize("NFC", raw_text("email", value))
    try:
        result = _validate(text)
    except EmailNotValidError as err:
        raise InvalidIdentifierError("email", _safe_reason(str(err), text)) from None
    local = result.local_part
    if context.casefold_email_local:
        local = unicodedata.normalize("NFC", local.casefold())
    return f"{local}@{result.domain}"


def _validate(text: str) -> ValidatedEmail:
    return validate_email(
        text,
        check_deliverability=False,
        allow_smtputf8=True,
        allow_quoted_local=False,
        allow_domain_literal=False,
        allow_display_name=False,
    )


class EmailNormalizer:
    """:func:`normalize_email` with a fast path for plain ASCII addresses.

    Most addresses are ASCII ``dot-atom@domain``. For those, the local part is
    checked with the RFC 5322 dot-atom pattern (what email-validator checks for
    ASCII) and the domain is validated once by email-validator and remembered,
    so a new address at a known domain costs a regular expression instead of a
    full validation. Anything else (Unicode, IDNA, quotes, odd lengths, a domain
    email-validator would rewrite, or case kept) takes the full path. One
    instance per hub holds its own bounded cache of domains.
    """

    __slots__ = ("_domains", "max_domains")

    def __init__(self, max_domains: int = 10_000) -> None:
        self._domains: dict[str, bool] = {}
        self.max_domains = max_domains

    def __call__(self, value: str, context: NormalizeContext) -> str:
        """Normalize *value* exactly as :func:`normalize_email` does."""
        text = value.strip()
        if context.casefold_email_local and len(text) <= _MAX_EMAIL and text.isascii():
            local, at, domain = text.partition("@")
            if at and _DOT_ATOM_RE.match(local) and self._plain_domain(domain.lower()):
                return f"{local.lower()}@{domain.lower()}"
        return normalize_email(value, context)

    def _plain_domain(self, domain: str) -> bool:
        """Tell whether email-validator accepts *domain* and keeps it as it is."""
        known = self._domains.get(domain)
        if known is None:
            try:
                known = _validate(f"a@{domain}").domain == domain
            except EmailNotValidError:
                known = False
            remember(self._domains, domain, known, self.max_domains)
        return known


def _safe_reason(message: str, value: str) -> str:
    """Return email-validator's reason with quoted text removed, unless it still shows the value.

    email-validator sometimes quotes the offending label (``… in 'ann·x'``);
    quoted text is dropped, and if any part of the address (local part, domain,
    a label, a dotted word, or a sequence of 3+ characters) still appears, only
    the generic reason is given.
    """
    message = _QUOTED_RE.sub("…", message).rstrip(".")
    lowered = message.lower()
    text = value.lower()
    parts = {text, *re.split(r"[@.]", text)} - {""}
    if any(len(part) > 2 and part in lowered for part in parts) or any(
        text[i : i + 4] in lowered for i in range(len(text) - 3)
    ):
        return "is not a valid e-mail address"
    return f"is not a valid e-mail address ({message})"


def normalize_email_sha256(value: str, context: NormalizeContext) -> str:
    """Return a SHA-256 hex digest of an e-mail, lower-cased; it must be 64 hex digits."""
    text = value.strip().lower()
    if not _SHA256_RE.match(text):
        raise InvalidIdentifierError("email_sha256", "must be 64 hexadecimal digits")
    return text


def email_sha256(normalized: str) -> Iterable[tuple[str, str]]:
    """Derive the ``email_sha256`` identifier from a normalized e-mail."""
    return (("email_sha256", hashlib.sha256(normalized.encode("utf-8")).hexdigest()),)


@hookimpl
def register_identifier_kinds() -> list[IdentifierKind]:
    """Contribute ``email`` and ``email_sha256``."""
    return [
        IdentifierKind(
            name="email",
            strength=Strength.STRONG,
            normalize=EmailNormalizer(),
            description="e-mail address; local part case-folded, domain IDNA-mapped",
            derive=email_sha256,
        ),
        IdentifierKind(
            name="email_sha256",
            strength=Strength.STRONG,
            normalize=normalize_email_sha256,
            description="SHA-256 of a normalized e-mail address, 64 lower-case hex digits",
        ),
    ]
