"""Phone numbers: parsed with phonenumbers, stored as E.164.

A national number (``06 12 34 56 78``) needs a region: the touchpoint's
``country`` trait or ``locale``, else the hub's ``default_region``. The
``+``, ``00`` and ``+33 (0)6…`` forms are understood. A number is rejected
unless ``phonenumbers.is_valid_number`` holds. One digit repeated
(``0000000000``, what a till records when somebody declines) is kept as those
digits, so the touchpoint is not lost; the placeholder guard never links it.
An extension is kept as ``;ext=NNN``.

A number also implies its SHA-256 (``phone_sha256``, of the E.164 form with its
``+``), the form ad platforms exchange, so hashed audiences link to the same
contact. Placeholders and numbers with an extension imply none: a hash without
the extension would link the people behind one switchboard, whom their
phones keep apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from omnicontact._cache import remember
from omnicontact.errors import InvalidIdentifierError
from omnicontact.hookspecs import hookimpl
from omnicontact.normalize.kinds import IdentifierKind, NormalizeContext, Strength
from omnicontact.normalize.text import raw_text

__all__ = [
    "PhoneNormalizer",
    "normalize_phone",
    "normalize_phone_sha256",
    "register_identifier_kinds",
]

_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")
_SEPARATORS_RE = re.compile(r"[ .\-]")
_PLACEHOLDER_RE = re.compile(r"\+?(([0-9])\2{5,})")
_IDD_00_RE = re.compile(r"0[ .\-]*0")
_COMPACT_RE = re.compile(r"\+?[0-9()]+\Z")
_TRUNK_ZERO_RE = re.compile(r"\(\s*0\s*\)")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "national number and no region to read it in",
    NumberParseException.NOT_A_NUMBER: "is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


def normalize_phone(value: str, context: NormalizeContext) -> str:
    """Return the E.164 form of a phone number (``+33612345678``).

    A placeholder made of one repeated digit (``0000000000``) is returned as
    those digits, so the touchpoint is kept; merge guards never link it.

    :raises InvalidIdentifierError: naming the rule broken, never the number.
    """
    text = raw_text("phone", value)
    placeholder = _PLACEHOLDER_RE.fullmatch(_SEPARATORS_RE.sub("", text))
    if placeholder:
        # 0000000000, 9999999999: what tills and forms get when people decline to give
        # a number. Kept (the touchpoint is not lost) in a fixed form that merge
        # guards block, instead of rejecting the whole touchpoint.
        return placeholder.group(1)
    idd = _IDD_00_RE.match(text)
    if idd:
        # "00" (also written "0 0") is the international prefix in most of the world
        # but not everywhere (011 in North America): try the region's reading, then "+".
        plus = "+" + text[idd.end() :]
        number = _read(text, context.region) or _read(plus, context.region)
        text = plus
    else:
        number = _read(text, context.region)
    if number is None:
        _parse(text, context.region)  # raises the parse error, if that is what is wrong
        raise InvalidIdentifierError("phone", "is not a valid number for its region")
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if number.extension:
        formatted += f";ext={number.extension}"
    return formatted


def _read(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """Return the valid number *text* denotes (also read without a ``(0)``), or ``None``."""
    for candidate in (text, _TRUNK_ZERO_RE.sub("", text)):
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """Parse *text*, turning a parse failure into the matching InvalidIdentifierError."""
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as err:
        if err.error_type == NumberParseException.INVALID_COUNTRY_CODE and text.startswith("+"):
            reason = "has no valid country calling code"
        else:
            reason = _PARSE_REASONS.get(err.error_type, "is not a phone number")
        raise InvalidIdentifierError("phone", reason) from None


class PhoneNormalizer:
    """:func:`normalize_phone` that remembers results by the number's compact form.

    A person's number arrives as ``06 12 34 56 78``, ``06-12-34-56-78`` or
    ``06.12.34.56.78``: spaces, hyphens and dots are punctuation to
    phonenumbers, so the result is a function of the string without them (and
    of the region, unless the number starts with ``+``). Only forms made of
    ``+``, digits and parentheses are remembered; anything else (letters,
    extensions) always takes the full path. One instance per hub, bounded.
    """

    __slots__ = ("_known", "max_size")

    def __init__(self, max_size: int = 100_000) -> None:
        self._known: dict[tuple[str, str | None], str] = {}
        self.max_size = max_size

    def __call__(self, value: str, context: NormalizeContext) -> str:
        """Normalize *value* exactly as :func:`normalize_phone` does."""
        compact = _SEPARATORS_RE.sub("", raw_text("phone", value))
        if not _COMPACT_RE.match(compact):
            return normalize_phone(value, context)
        key = (compact, None if compact.startswith("+") else context.region)
        known = self._known.get(key)
        if known is None:
            known = normalize_phone(value, context)
            remember(self._known, key, known, self.max_size)
        return known


def normalize_phone_sha256(value: str, context: NormalizeContext) -> str:
    """Return a SHA-256 hex digest of a phone, lower-cased; it must be 64 hex digits."""
    text = value.strip().lower()
    if not _SHA256_RE.match(text):
        raise InvalidIdentifierError("phone_sha256", "must be 64 hexadecimal digits")
    return text


def phone_sha256(normalized: str) -> Iterable[tuple[str, str]]:
    """Derive the ``phone_sha256`` identifier from a normalized (E.164) phone.

    Nothing from a placeholder (kept as bare digits) or a number with an extension.
    """
    if not normalized.startswith("+") or ";" in normalized:
        return ()
    return (("phone_sha256", hashlib.sha256(normalized.encode("utf-8")).hexdigest()),)


@hookimpl
def register_identifier_kinds() -> list[IdentifierKind]:
    """Contribute ``phone`` and ``phone_sha256``."""
    return [
        IdentifierKind(
            name="phone",
            strength=Strength.STRONG,
            normalize=PhoneNormalizer(),
            description="phone number in E.164; national forms read in the touchpoint's region",
            context_sensitive=True,
            derive=phone_sha256,
        ),
        IdentifierKind(
            name="phone_sha256",
            strength=Strength.STRONG,
            normalize=normalize_phone_sha256,
            description="SHA-256 of a phone number in E.164 with its +, 64 lower-case hex digits",
        ),
    ]
