"""The person rule's fields and comparison levels, its prepared record, its hot path.

:func:`comparison_levels` is the hot path of the ``person`` rule: it turns two
:class:`PreparedPerson` into one level code per field (an index into
:data:`LEVELS`), correlated evidence already accounted for.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from rapidfuzz.distance import JaroWinkler

from omnicontact.matching.compare import fold
from omnicontact.matching.rules import EvidencePart

__all__ = [
    "FIELDS",
    "LEVELS",
    "PARAMETRIC",
    "TF_FIELDS",
    "PreparedPerson",
    "comparison_levels",
    "email_local",
    "exact_part",
    "from_name",
    "name_derived",
    "phone_tail",
    "postal_key",
    "text_key",
]

FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "phone",
    "email",
)
"""The fields the person rule compares, in the order of its evidence parts."""

_NAME_LEVELS = (
    "null",
    "exact",
    "swapped",
    "jaro_winkler>=0.92",
    "jaro_winkler>=0.80",
    "phonetic",
    "else",
)
LEVELS: Mapping[str, tuple[str, ...]] = {
    "first_name": _NAME_LEVELS,
    "last_name": _NAME_LEVELS,
    "birth_date": ("null", "exact", "day_month_swapped", "one_field_off", "else"),
    "street": ("null", "exact", "jaro_winkler>=0.90", "else", "household"),
    "postal_code": ("null", "exact", "prefix_3", "else", "household"),
    "city": (
        "null",
        "exact",
        "jaro_winkler>=0.90",
        "else",
        "implied_by_postal_code",
        "household",
    ),
    "phone": ("null", "exact", "last_8_digits", "else"),
    "email": (
        "null",
        "exact",
        "jaro_winkler>=0.90",
        "else",
        "exact_name_derived",
        "fuzzy_name_derived",
    ),
}
"""Each field's comparison levels; a level's code is its index here.

``null`` (a side is missing) and the levels after ``else`` (correlated
evidence, see :mod:`omnicontact.matching.person`) weigh 0 and have no parameters.
"""

PARAMETRIC: Mapping[str, tuple[str, ...]] = {
    field: levels[1 : levels.index("else") + 1] for field, levels in LEVELS.items()
}
"""Each field's levels that have ``m`` and ``u`` probabilities (codes 1…n)."""

TF_FIELDS = frozenset({"first_name", "last_name", "street", "postal_code", "city"})
"""The fields whose exact level can take term frequencies into account."""


def text_key(value: object) -> str:
    """Return the folded form of a name or address trait, ``""`` if it is not a string."""
    return fold(value) if isinstance(value, str) else ""


def postal_key(value: object) -> str:
    """Return a postal code folded, without spaces (``"SW1A 1AA"`` → ``"sw1a1aa"``)."""
    return fold(value).replace(" ", "") if isinstance(value, str) else ""


def email_local(address: str) -> str:
    """Return the local part of a normalized e-mail address, case-folded, ``+tag`` dropped."""
    local = address.rpartition("@")[0] if "@" in address else address
    return local.partition("+")[0].casefold()


def from_name(given: str, family: str, full: str, fields: tuple[str, ...]) -> tuple[str, str]:
    """Return ``(given, family)`` completed from a folded full name.

    Without either name, the first word of *full* is the given name and the
    rest the family name (a single word is a family name); with one of them,
    the other is what is left of *full* around it. Names of disabled fields stay empty.
    """
    if full and not given and not family:
        words = full.split(" ", 1)
        given, family = ("", words[0]) if len(words) == 1 else (words[0], words[1])
    elif full and given and not family and full.startswith(given + " "):
        family = full[len(given) + 1 :]
    elif full and family and not given and full.endswith(" " + family):
        given = full[: -len(family) - 1]
    return (
        given if "first_name" in fields else "",
        family if "last_name" in fields else "",
    )


def _present(p: PreparedPerson) -> list[str]:
    values = (p.given, p.family, p.birth, p.street, p.postal, p.city, p.phones, p.emails)
    return [field for field, value in zip(FIELDS, values, strict=True) if value]


@attrs.frozen(eq=False, repr=False)
class PreparedPerson:
    """A record as the person rule compares it: folded values, phonetic keys, date parts.

    Built by :meth:`PersonRule.prepare <omnicontact.matching.person.PersonRule.prepare>`
    only; empty strings and tuples, and ``None``, mean missing. The ``*_exact``
    parts are the exact level's evidence after term-frequency adjustment
    (``None``: the level's own). The repr names the fields present, no value.
    """

    given: str
    given_key: str
    family: str
    family_key: str
    birth: tuple[int, int, int] | None
    street: str
    postal: str
    city: str
    phones: tuple[str, ...]
    phone_tails: tuple[str, ...]
    emails: tuple[str, ...]
    name_derived: tuple[bool, ...]
    given_exact: EvidencePart | None = None
    family_exact: EvidencePart | None = None
    street_exact: EvidencePart | None = None
    postal_exact: EvidencePart | None = None
    city_exact: EvidencePart | None = None

    def __repr__(self) -> str:
        return f"PreparedPerson(fields={_present(self)})"


_jw = JaroWinkler.normalized_similarity


def _name_level(x: str, y: str, x_key: str, y_key: str) -> int:
    if not x or not y:
        return 0
    if x == y:
        return 1
    similarity = _jw(x, y, score_cutoff=0.80)
    if similarity >= 0.92:
        return 3
    if similarity >= 0.80:
        return 4
    return 5 if x_key and x_key == y_key else 6


def _text_level(x: str, y: str) -> int:
    if not x or not y:
        return 0
    if x == y:
        return 1
    return 2 if _jw(x, y, score_cutoff=0.90) >= 0.90 else 3


def _birth_level(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> int:
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    if a[0] == b[0] and a[1] == b[2] and a[2] == b[1]:
        return 2
    return 3 if (a[0] != b[0]) + (a[1] != b[1]) + (a[2] != b[2]) == 1 else 4


def _phone_level(a: PreparedPerson, b: PreparedPerson) -> int:
    if not a.phones or not b.phones:
        return 0
    for phone in a.phones:
        if phone in b.phones:
            return 1
    for tail in a.phone_tails:
        if tail in b.phone_tails:
            return 2
    return 3


def _email_level(a: PreparedPerson, b: PreparedPerson) -> int:
    if not a.emails or not b.emails:
        return 0
    best, derived = 4, False
    for x, x_derived in zip(a.emails, a.name_derived, strict=True):
        for y, y_derived in zip(b.emails, b.name_derived, strict=True):
            if x == y:
                level = 1
            elif best >= 2 and _jw(x, y, score_cutoff=0.90) >= 0.90:
                level = 2
            else:
                level = 3
            if level < best:
                best, derived = level, x_derived or y_derived
            elif level == best:
                derived = derived or x_derived or y_derived
    if derived and best < 3:
        return best + 3  # exact_name_derived, fuzzy_name_derived
    return best


def comparison_levels(a: PreparedPerson, b: PreparedPerson) -> tuple[int, ...]:
    """Return the level code of each of :data:`FIELDS` for two prepared records.

    Symmetric. Applies the correlated-evidence levels: swapped names, name-derived
    e-mails, a city implied by the postal code, a shared household's address.
    """
    if (
        a.given
        and a.family
        and b.given
        and b.family
        and a.given == b.family
        and a.family == b.given
        and a.given != b.given
    ):
        given = family = 2
    else:
        given = _name_level(a.given, b.given, a.given_key, b.given_key)
        family = _name_level(a.family, b.family, a.family_key, b.family_key)
    street = _text_level(a.street, b.street)
    postal = 0
    if a.postal and b.postal:
        postal = 1 if a.postal == b.postal else 2 if a.postal[:3] == b.postal[:3] else 3
    city = _text_level(a.city, b.city)
    if postal == 1 and city in (1, 2):
        city = 4
    # Relatives under one roof: the family name and address agree, and the given
    # names differ (Jaro-Winkler below 0.92, or only phonetically alike) or one
    # is unknown (a surname and an address cannot tell which member of the
    # household it is). The address then adds nothing.
    if given in (0, 4, 5, 6) and family in (1, 3, 5):
        street = 4 if street in (1, 2) else street
        postal = 4 if postal in (1, 2) else postal
        city = 5 if city in (1, 2, 4) else city
    return (
        given,
        family,
        _birth_level(a.birth, b.birth),
        street,
        postal,
        city,
        _phone_level(a, b),
        _email_level(a, b),
    )


def exact_part(a: PreparedPerson, k: int, levels: tuple[int, ...]) -> EvidencePart | None:
    """Return *a*'s term-frequency part for the exact level of field *k*, if any."""
    if k == 0:
        return a.given_exact
    if k == 1:  # relatives share their family name, however rare
        household = levels[0] == 6 or (levels[0] in (0, 4, 5) and 4 in (levels[3], levels[4]))
        return None if household else a.family_exact
    if k == 3:
        return a.street_exact
    return a.postal_exact if k == 4 else a.city_exact


def phone_tail(phone: str) -> str:
    """Return the last 8 digits of a phone number."""
    digits = phone[1:] if phone[:1] == "+" else phone
    if not digits.isdigit():
        digits = "".join(filter(str.isdigit, digits))
    return digits[-8:]


def name_derived(local: str, given: str, family: str) -> bool:
    """Tell whether an e-mail local part is built from the (folded) names.

    It is when it holds the family name and the given name or its initial
    next to the family name; with one name known, when it holds that name
    (3 letters or more).
    """
    compact = "".join(c for c in text_key(local) if c.isalnum())
    given = given.replace(" ", "")
    family = family.replace(" ", "")
    if family and given:
        return family in compact and (
            given in compact or given[0] + family in compact or family + given[0] in compact
        )
    name = family or given
    return len(name) >= 3 and name in compact
