"""Free text, names, and the matching key used by fuzzy rules.

Stored text is NFC with whitespace collapsed; the *matching key* is a second,
lossy form (case-folded, accents and punctuation removed) for comparing names,
never for display.
"""

from __future__ import annotations

import re
import unicodedata

from omnicontact._chars import UNSAFE_RE
from omnicontact.errors import InvalidIdentifierError

__all__ = ["matching_key", "normalize_text", "raw_text"]

_WHITESPACE_RE = re.compile(r"\s+")
_INVISIBLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060-\u2064\ufeff]")
_APOSTROPHES = frozenset("'`\u2019\u02bc\u00b4")
_PUNCTUATION = frozenset("PSZ")  # Unicode categories: punctuation, symbols, separators


def raw_text(kind: str, value: str) -> str:
    """Return a raw identifier value trimmed, after the checks every kind shares.

    :raises InvalidIdentifierError: when it is empty or holds control or
        invisible characters (which make equal-looking values differ).
    """
    text = value.strip()
    if not text:
        raise InvalidIdentifierError(kind, "must not be empty")
    if UNSAFE_RE.search(text):
        raise InvalidIdentifierError(kind, "must not contain control or invisible characters")
    return text


def normalize_text(value: str) -> str:
    """Return *value* in NFC, invisible characters removed, whitespace collapsed, trimmed.

    Idempotent. Case and accents are kept: this is the form that is stored and shown.
    """
    text = _INVISIBLE_RE.sub("", value)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return unicodedata.normalize("NFC", text)


def matching_key(value: str) -> str:
    """Return the key names are compared on: case-folded, accents and punctuation stripped.

    ``"  Zoë  O'Brien-Smith"`` and ``"zoe obrien smith"`` differ only in the
    apostrophe, which is dropped, and the hyphen, which becomes a space:
    both give ``"zoe obrien smith"``. Idempotent.
    """
    text = unicodedata.normalize("NFKD", normalize_text(value).casefold())
    out = []
    for char in text:
        if unicodedata.combining(char):
            continue
        category = unicodedata.category(char)[0]
        if char in _APOSTROPHES:
            continue
        out.append(" " if category in _PUNCTUATION else char)
    key = unicodedata.normalize("NFKD", "".join(out).casefold())
    key = "".join(c for c in key if not unicodedata.combining(c))
    return _WHITESPACE_RE.sub(" ", key).strip()
