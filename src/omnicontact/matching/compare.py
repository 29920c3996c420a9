"""Comparison primitives for fuzzy matching: folding, Jaro-Winkler, phonetic keys, dates.

These are the building blocks of probabilistic rules such as
:class:`~omnicontact.matching.person.PersonRule`. They are pure functions of
their arguments; none of them raises on odd input, so a rule can call them on
whatever traits a touchpoint carries.

- :func:`fold` is the lossy form names and addresses are compared on;
- :func:`jaro_winkler` is the string similarity (compiled, from ``rapidfuzz``);
- :func:`phonetic` is a sound-alike key for European names;
- :func:`parse_iso_date`, :func:`date_parts_level` and :func:`date_level`
  compare birth dates by comparison level.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from itertools import groupby

from rapidfuzz.distance import JaroWinkler

from omnicontact.normalize.text import matching_key

__all__ = [
    "DATE_LEVELS",
    "date_level",
    "date_parts_level",
    "fold",
    "jaro_winkler",
    "parse_iso_date",
    "phonetic",
    "phonetic_of_folded",
]

DateParts = tuple[int, int, int]

DATE_LEVELS = ("null", "exact", "day_month_swapped", "one_field_off", "else")
"""The birth-date comparison levels, most to least similar (``null``: a side is missing)."""

# Letters Unicode does not decompose: folded by hand (ß is case-folded to ss already).
_LETTERS = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "\u0131": "i",
        "þ": "th",
        "ħ": "h",
    }
)


def _ascii_fold(code: int) -> str | None:
    char = chr(code)
    if char.isalnum():
        return char.lower()
    if char in "'`" or (code < 32 and char not in "\t\n\r") or code == 127:
        return None  # apostrophes and invisible control characters go
    return " "


_ASCII = {code: _ascii_fold(code) for code in range(128)}


# Names and addresses repeat (a person is seen many times, names are shared):
# memoizing these pure functions, bounded, halves what preparing a record costs.
@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Return the lossy key names and addresses are compared on.

    NFKD with combining marks stripped (accents go), case-folded, ``ß`` → ``ss``,
    ``œ`` → ``oe``, ``æ`` → ``ae`` (and ``ø``, ``ł``, ``đ``, ``þ`` likewise),
    apostrophes removed, hyphens and other punctuation or symbols turned into a
    space, whitespace collapsed and trimmed: ``"Zoë O'Brien-Smith"`` gives
    ``"zoe obrien smith"``. Idempotent; never for display. Agrees with
    :func:`~omnicontact.normalize.text.matching_key` but for the letters above.
    """
    if text.isascii():  # the common case, in one C pass
        return " ".join(text.translate(_ASCII).split())
    return matching_key(text).translate(_LETTERS)


def jaro_winkler(a: str, b: str) -> float:
    """Return the Jaro-Winkler similarity of *a* and *b*, from 0.0 to 1.0 (equal).

    Compiled (``rapidfuzz``), with the usual prefix weight of 0.1 over up to
    four characters. Compare folded strings (:func:`fold`).
    """
    return JaroWinkler.normalized_similarity(a, b)


# --------------------------------------------------------------------------
# phonetic keys
# --------------------------------------------------------------------------

# Spellings rewritten before vowels are dropped, in this order: soft c; French
# and German sh/ch/sch sounds, Greek-style chr/ph/th, ck, qu, German tz; gu
# before e/i/y; then single letters (hard c, q, x, z, w, y, silent h). Only
# letters that never survive into a key are rewritten, so phonetic() is idempotent.
_SOFT_C_RE = re.compile(r"c(?=[eiy])")
_DIGRAPHS = (
    ("sch", "s"),
    ("chr", "kr"),
    ("chl", "kl"),
    ("ch", "s"),
    ("sh", "s"),
    ("ph", "f"),
    ("th", "t"),
    ("gh", "g"),
    ("ck", "k"),
    ("qu", "k"),
    ("tz", "s"),
)
_SOFT_GU_RE = re.compile(r"gu(?=[eiy])")
_LETTER_SOUNDS = str.maketrans(
    {"c": "k", "q": "k", "x": "ks", "z": "s", "w": "v", "y": "i", "h": None}
)
_NO_VOWELS = str.maketrans("", "", "aeiou")
_DOUBLE_RE = re.compile(r"(.)\1")


def _phonetic_word(word: str) -> str:
    if "c" in word:
        word = _SOFT_C_RE.sub("s", word)
    for spelling, sound in _DIGRAPHS:
        if spelling in word:
            word = word.replace(spelling, sound)
    if "gu" in word:
        word = _SOFT_GU_RE.sub("g", word)
    word = word.translate(_LETTER_SOUNDS)
    if not word:
        return ""
    head = "a" if word[0] in "aeiou" else word[0]
    word = head + word[1:].translate(_NO_VOWELS)
    # consonant clusters: doubled letters sound once, dt sounds t, a final d sounds t
    word = _collapse(word)
    while "dt" in word or (len(word) > 1 and word[-1] == "d"):
        word = word.replace("dt", "t")
        if len(word) > 1 and word[-1] == "d":
            word = word[:-1] + "t"
        word = _collapse(word)
    return word


def _collapse(word: str) -> str:
    if not _DOUBLE_RE.search(word):
        return word
    return "".join(letter for letter, _ in groupby(word))


@functools.lru_cache(maxsize=1 << 16)
def phonetic_of_folded(folded: str) -> str:
    """Return :func:`phonetic` of text that is :func:`fold`-ed already (skips folding)."""
    keys = []
    for word in folded.split():
        key = _phonetic_word(word if word.isalpha() else "".join(filter(str.isalpha, word)))
        if key:
            keys.append(key)
    return " ".join(keys)


def phonetic(name: str) -> str:
    """Return a sound-alike key of a European name (French, English, German, Spanish).

    A simplified metaphone on :func:`fold`-ed text, word by word (keys joined by
    a space; digits dropped). Each word is rewritten so that common spellings of
    one sound agree: ``sch``, ``ch``, ``sh`` → ``s`` (but ``chr``, ``chl`` → ``kr``,
    ``kl``); ``ph`` → ``f``; ``th`` →
    ``t``; ``ck``, ``qu``, ``q`` and hard ``c`` → ``k``; ``c`` before e/i/y →
    ``s``; ``gu`` before e/i/y → ``g``; ``tz``, ``z`` → ``s``; ``x`` → ``ks``;
    ``w`` → ``v``; ``y`` is a vowel; ``h`` is silent. Then a leading vowel
    becomes ``a``, other vowels are dropped, doubled letters collapse, ``dt``
    and a final ``d`` become ``t``.

    So ``Smith``/``Smyth``/``Schmidt``/``Schmitt`` give ``smt``,
    ``Meyer``/``Maier``/``Meier`` give ``mr``, ``Philippe``/``Filipe`` give
    ``flp``, ``Dupont``/``Dupond`` give ``dpnt``; ``Martin`` (``mrtn``) and
    ``Bernard`` (``brnrt``) differ. Idempotent.

    Limits: it is coarse on short names (``Meyer`` and ``Moore`` collide), knows
    no silent final consonants (``Renault``/``Reno`` differ), keeps German ``ch``
    and Spanish ``j``/``v`` as spelt, and leaves letters outside a-z as they are
    (other scripts get no phonetic folding). Use it as one comparison level
    among others, never alone.
    """
    return phonetic_of_folded(fold(name))


# --------------------------------------------------------------------------
# birth dates
# --------------------------------------------------------------------------


def parse_iso_date(value: object) -> DateParts | None:
    """Return ``(year, month, day)`` of an ISO ``YYYY-MM-DD`` date, or ``None``.

    ``None`` for anything else: another type, another layout, an impossible date
    (``1980-02-30``). A :class:`datetime.date` is accepted as it is.
    """
    if isinstance(value, date):
        return (value.year, value.month, value.day)
    if (
        not isinstance(value, str)
        or len(value) != 10
        or value[4] != "-"
        or value[7] != "-"
        or not (value[:4] + value[5:7] + value[8:]).isdecimal()
        or not value.isascii()
    ):
        return None
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:])
    try:
        date(year, month, day)
    except ValueError:
        return None
    return (year, month, day)


def date_parts_level(a: DateParts | None, b: DateParts | None) -> str:
    """Return the comparison level of two parsed dates (see :data:`DATE_LEVELS`).

    ``exact``; ``day_month_swapped`` (same year, day and month exchanged: a
    US/European mix-up); ``one_field_off`` (exactly one of year, month, day
    differs, a year typo included); ``else``; ``null`` when either is missing.
    """
    if a is None or b is None:
        return "null"
    if a == b:
        return "exact"
    year_a, month_a, day_a = a
    year_b, month_b, day_b = b
    if year_a == year_b and month_a == day_b and day_a == month_b:
        return "day_month_swapped"
    if (year_a != year_b) + (month_a != month_b) + (day_a != day_b) == 1:
        return "one_field_off"
    return "else"


def date_level(a: object, b: object) -> str:
    """Return the comparison level of two ISO ``YYYY-MM-DD`` dates.

    Anything :func:`parse_iso_date` cannot read counts as missing (``null``).
    """
    return date_parts_level(parse_iso_date(a), parse_iso_date(b))
