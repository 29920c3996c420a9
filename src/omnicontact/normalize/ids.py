"""Account ids, loyalty cards, cookies, devices and social handles.

Each kind has its own case policy (see ``docs/normalization.md``):

========================  ========  =============================================
kind                      strength  policy
========================  ========  =============================================
``customer_id``           strong    trimmed, case kept (shop systems differ)
``loyalty_id``            strong    spaces and hyphens removed, upper-cased
``social:<network>``      strong    leading ``@`` removed, case-folded
``cookie_id``             weak      trimmed, case kept
``anonymous_id``          weak      trimmed, case kept
``device_id``             weak      trimmed, lower-cased (IDFA/GAID/UUIDs are hex)
========================  ========  =============================================
"""

from __future__ import annotations

import re
from collections.abc import Callable

from omnicontact.errors import InvalidIdentifierError
from omnicontact.hookspecs import hookimpl
from omnicontact.normalize.kinds import IdentifierKind, NormalizeContext, Strength
from omnicontact.normalize.text import raw_text

__all__ = ["normalize_id", "register_identifier_kinds"]

MAX_LENGTH = 256
_LOYALTY_SEPARATORS_RE = re.compile(r"[\s\-]+")
_HANDLE_PREFIX_RE = re.compile(r"^[@\s]+")


def normalize_id(kind: str, value: str, transform: Callable[[str], str] = str) -> str:
    """Trim *value*, apply *transform*, and check it is a plausible id of *kind*.

    :raises InvalidIdentifierError: empty, too long, or with invisible characters.
    """
    text = transform(raw_text(kind, value)).strip()
    if not text:
        raise InvalidIdentifierError(kind, "must not be empty")
    if len(text) > MAX_LENGTH:
        raise InvalidIdentifierError(kind, f"must be at most {MAX_LENGTH} characters")
    return text


def _policy(
    kind: str, transform: Callable[[str], str] = str
) -> Callable[[str, NormalizeContext], str]:
    def normalize(value: str, context: NormalizeContext) -> str:
        return normalize_id(kind, value, transform)

    normalize.__name__ = f"normalize_{kind}"
    normalize.__doc__ = f"Normalize a ``{kind}`` value."
    return normalize


def _loyalty(text: str) -> str:
    return _LOYALTY_SEPARATORS_RE.sub("", text).upper()


def _handle(text: str) -> str:
    return _HANDLE_PREFIX_RE.sub("", text).casefold()


@hookimpl
def register_identifier_kinds() -> list[IdentifierKind]:
    """Contribute account, loyalty, cookie, device, anonymous and social identifiers."""
    return [
        IdentifierKind(
            "customer_id",
            Strength.STRONG,
            _policy("customer_id"),
            "account id in the brand's shop or CRM; case kept",
        ),
        IdentifierKind(
            "loyalty_id",
            Strength.STRONG,
            _policy("loyalty_id", _loyalty),
            "loyalty card number; spaces and hyphens removed, upper-cased",
        ),
        IdentifierKind(
            "social",
            Strength.STRONG,
            _policy("social", _handle),
            "social network handle as social:<network>; '@' removed, case-folded",
            qualified=True,
        ),
        IdentifierKind(
            "cookie_id",
            Strength.WEAK,
            _policy("cookie_id"),
            "browser cookie id; may be shared by a household",
        ),
        IdentifierKind(
            "anonymous_id",
            Strength.WEAK,
            _policy("anonymous_id"),
            "analytics anonymous id (Segment anonymousId); may be shared",
        ),
        IdentifierKind(
            "device_id",
            Strength.WEAK,
            _policy("device_id", str.lower),
            "mobile or TV device id (IDFA, GAID, UUID); lower-cased",
        ),
    ]
