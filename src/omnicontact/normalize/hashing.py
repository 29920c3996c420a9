"""Hashed identifiers in the forms ad platforms exchange.

Google Customer Match and Meta's audiences and Conversions API take e-mail
addresses and phone numbers as SHA-256 digests of a normalized form, written as
64 lower-case hexadecimal digits:

- e-mail: trimmed and lower-cased. :func:`email_sha256` hashes the address the
  hub stores (``docs/normalization.md``): for ASCII addresses that *is* the
  trimmed, lower-cased form; for internationalized ones the local part is
  case-folded (``ß`` becomes ``ss``) and the domain kept in its Unicode form,
  which the platforms do not specify. Dots are kept in ``gmail.com`` addresses:
  Customer Match does not require removing them (Campaign Manager 360's
  enhanced conversions does: remove them before calling, if you upload there).
- phone: E.164 with the leading ``+`` (Google: ``+33612345678``). Meta asks for
  the same digits without the ``+`` (``33612345678``): ``plus=False``.

The hub derives the same digests from every identifier it normalizes
(``email_sha256`` from an e-mail, ``phone_sha256`` from a phone), so a hashed
audience file finds its contacts::

    hub.contacts_with(Identifier("phone_sha256", phone_sha256("06 12 34 56 78", "FR")))
"""

from __future__ import annotations

import hashlib

from omnicontact.errors import ConfigurationError, InvalidIdentifierError, InvalidTouchpointError
from omnicontact.normalize.email import normalize_email
from omnicontact.normalize.kinds import NormalizeContext
from omnicontact.normalize.phone import normalize_phone
from omnicontact.normalize.traits import normalize_country

__all__ = ["email_sha256", "phone_sha256"]

_DEFAULT = NormalizeContext()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(kind: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidIdentifierError(kind, "must be a string")
    return raw


def email_sha256(raw: str) -> str:
    """Return the SHA-256 of an e-mail address as ad platforms expect it.

    The address is normalized as the hub normalizes it (trimmed, lower-cased,
    checked), then hashed: the result equals the ``email_sha256`` identifier
    the hub derives from the same address.

    :param raw: an e-mail address, in any case, with surrounding spaces.
    :returns: 64 lower-case hexadecimal digits.
    :raises InvalidIdentifierError: when *raw* is not a valid address; the
        message names the rule, never the address.
    """
    return _sha256(normalize_email(_text("email", raw), _DEFAULT))


def phone_sha256(raw: str, region: str | None = None, *, plus: bool = True) -> str:
    """Return the SHA-256 of a phone number as ad platforms expect it.

    The number is read as the hub reads it (national forms in *region*) and
    written in E.164. With ``plus=True`` (Google) the ``+`` is kept and the
    result equals the ``phone_sha256`` identifier the hub derives; with
    ``plus=False`` (Meta) only the digits are hashed. An extension is left
    out: platforms match the line, not the extension (the hub derives no hash
    from a number with an extension, so such a hash finds no contact there).

    :param raw: a phone number in any format phonenumbers reads.
    :param region: ISO 3166 alpha-2 region for a national number (``"FR"``, any case).
    :param plus: keep the leading ``+`` of the E.164 form.
    :returns: 64 lower-case hexadecimal digits.
    :raises InvalidIdentifierError: when *raw* is not a valid number (or is a
        placeholder such as ``0000000000``); the message names the rule, never
        the number.
    :raises ConfigurationError: when *region* is not an ISO 3166 alpha-2 code.
    """
    if region is not None:
        try:
            region = normalize_country(region, "region")
        except InvalidTouchpointError as err:
            raise ConfigurationError(str(err)) from None
    number = normalize_phone(_text("phone", raw), NormalizeContext(region=region))
    if not number.startswith("+"):
        raise InvalidIdentifierError("phone", "is a placeholder, not a phone number")
    number = number.split(";", 1)[0]
    return _sha256(number if plus else number[1:])
