"""Hypothesis strategies: identifiers, touchpoints and streams with collisions.

Pools are small on purpose so that random streams share identifiers, which is
what exercises merging, shared devices and conflicts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

import omnicontact as oc

START = datetime(2026, 1, 1, tzinfo=timezone.utc)

EMAIL_POOL = [f"user{i}@example.com" for i in range(6)]
PHONE_POOL = [f"+33 6 12 34 56 7{i}" for i in range(5)]
CUSTOMER_POOL = [f"C-{i}" for i in range(4)]
COOKIE_POOL = [f"ck-{i}" for i in range(6)]
DEVICE_POOL = [f"dv-{i}" for i in range(4)]

CHANNELS = ["web", "app", "store", "call_centre", "email", "social"]
ACTIONS = ["page_view", "signup", "purchase", "call", "email_open", "complaint"]


def pooled_identifiers() -> st.SearchStrategy[list[oc.Identifier]]:
    """0 to 4 identifiers drawn from small pools of strong and weak values."""
    one = st.one_of(
        st.sampled_from(EMAIL_POOL).map(lambda v: oc.Identifier("email", v)),
        st.sampled_from(PHONE_POOL).map(lambda v: oc.Identifier("phone", v)),
        st.sampled_from(CUSTOMER_POOL).map(lambda v: oc.Identifier("customer_id", v)),
        st.sampled_from(COOKIE_POOL).map(lambda v: oc.Identifier("cookie_id", v)),
        st.sampled_from(DEVICE_POOL).map(lambda v: oc.Identifier("device_id", v)),
    )
    return st.lists(one, min_size=0, max_size=4)


@st.composite
def touchpoint_streams(draw: st.DrawFn, max_size: int = 25) -> list[oc.Touchpoint]:
    """A list of touchpoints with unique ids and colliding identifiers."""
    size = draw(st.integers(min_value=1, max_value=max_size))
    out = []
    for i in range(size):
        out.append(
            oc.Touchpoint(
                id=f"tp-{i:03d}",
                occurred_at=START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30))),
                channel=draw(st.sampled_from(CHANNELS)),
                action=draw(st.sampled_from(ACTIONS)),
                identifiers=draw(pooled_identifiers()),
                traits=draw(
                    st.dictionaries(
                        st.sampled_from(["first_name", "city", "plan"]),
                        st.sampled_from(["Ann", "Lyon", "gold", "Zoë"]),
                        max_size=2,
                    )
                ),
            )
        )
    return out


_PEOPLE_ROWS = [
    ("Jean", "Dupont", "1980-05-03", "75011", "Paris"),
    ("Jeanne", "Dupont", "1982-07-01", "75011", "Paris"),
    ("Camille", "Martin", "1990-01-12", "69003", "Lyon"),
    ("Kamille", "Martin", "1990-12-01", "69003", "Lyon"),
    ("Zoë", "Müller", "1975-11-30", "10115", "Berlin"),
]
PEOPLE_TRAITS = [
    dict(zip(("first_name", "last_name", "birth_date", "postal_code", "city"), row, strict=True))
    for row in _PEOPLE_ROWS
]
PLACEHOLDERS = [
    oc.Identifier("email", "test@test.com"),
    oc.Identifier("phone", "+33 6 00 00 00 00"),
    oc.Identifier("customer_id", "null"),
    oc.Identifier("device_id", "00000000-0000-0000-0000-000000000000"),
]


def _typo(text: str, at: int) -> str:
    """Swap two neighbouring letters (a typing error)."""
    if len(text) < 3:
        return text
    at = 1 + at % (len(text) - 2)
    return text[: at] + text[at + 1] + text[at] + text[at + 2 :]


@st.composite
def person_streams(draw: st.DrawFn, max_size: int = 20) -> list[oc.Touchpoint]:
    """Touchpoints of a few people: names with typos, colliding identifiers, placeholders.

    Built to exercise every part of resolution at once: shared identifiers,
    the person rule (namesakes, typos, swapped birth dates), limits (two
    customer ids meeting on an e-mail), placeholders and shared devices.
    """
    size = draw(st.integers(min_value=1, max_value=max_size))
    out = []
    for i in range(size):
        person = draw(st.integers(0, len(PEOPLE_TRAITS) - 1))
        fields = draw(st.sets(st.sampled_from(sorted(PEOPLE_TRAITS[person])), max_size=5))
        traits = {f: PEOPLE_TRAITS[person][f] for f in fields}
        if "last_name" in traits and draw(st.booleans()):
            traits["last_name"] = _typo(traits["last_name"], draw(st.integers(0, 9)))
        identifiers = draw(pooled_identifiers())
        if draw(st.integers(0, 4)) == 0:
            identifiers.append(draw(st.sampled_from(PLACEHOLDERS)))
        out.append(
            oc.Touchpoint(
                id=f"tp-{i:03d}",
                occurred_at=START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30))),
                channel=draw(st.sampled_from(CHANNELS)),
                action=draw(st.sampled_from(ACTIONS)),
                identifiers=identifiers,
                traits=traits,
                source=draw(st.sampled_from(["crm", "web", "till"])),
            )
        )
    return out


# --------------------------------------------------------------------------
# Normalization and model strategies: e-mails built from parts, phone numbers
# of every region, JSON values, broad touchpoints, privacy markers.
# --------------------------------------------------------------------------

import string  # noqa: E402
from collections.abc import Callable  # noqa: E402

import idna  # noqa: E402
import phonenumbers  # noqa: E402
from dateutil import tz as dateutil_tz  # noqa: E402
from email_validator import EmailNotValidError, validate_email  # noqa: E402
from hypothesis import reject  # noqa: E402
from phonenumbers import PhoneNumberFormat, PhoneNumberType  # noqa: E402

LOCAL_ALPHABET = string.ascii_letters + string.digits + "_-" + "éüßçøÅÉΩжñ"
LABEL_ALPHABET = string.ascii_letters + string.digits + "äöüéñçåÄÖÜ"
TOP_LEVEL_DOMAINS = ["com", "de", "fr", "org", "net", "io", "co.uk"]

# The characters normalizers must reject inside a value (control and invisible).
INVISIBLE_CHARACTERS = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9f",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u2060",
    "\u2064",
    "\ufeff",
]

# Letters that never occur in a run of four in an error message: a marker made
# of them is distinctive, so finding it in a message means the value leaked.
MARKER_ALPHABET = "QXZJK"


def markers() -> st.SearchStrategy[str]:
    """A distinctive substring (4 to 8 of Q X Z J K) to plant in personal values."""
    return st.text(alphabet=MARKER_ALPHABET, min_size=4, max_size=8)


def mixed_case(text: str, flips: list[bool]) -> str:
    """Return *text* with the case of the characters at True positions swapped."""
    return "".join(c.swapcase() if i < len(flips) and flips[i] else c for i, c in enumerate(text))


@st.composite
def email_locals(draw: st.DrawFn, alphabet: str = LOCAL_ALPHABET) -> str:
    """A dot-atom local part: 1 to 3 atoms joined by dots, with optional ``+tag``."""
    atom = st.text(alphabet=alphabet, min_size=1, max_size=8)
    local = ".".join(draw(st.lists(atom, min_size=1, max_size=3)))
    if draw(st.booleans()):
        local += "+" + draw(atom)
    return local


@st.composite
def email_domains(draw: st.DrawFn, alphabet: str = LABEL_ALPHABET) -> str:
    """A domain in Unicode form: 1 or 2 labels (letters, digits, inner hyphens) and a TLD."""
    core = st.text(alphabet=alphabet, min_size=1, max_size=10)
    label = st.one_of(core, st.tuples(core, core).map("-".join))
    labels = draw(st.lists(label, min_size=1, max_size=2))
    return ".".join([*labels, draw(st.sampled_from(TOP_LEVEL_DOMAINS))])


@st.composite
def email_parts(
    draw: st.DrawFn, local_alphabet: str = LOCAL_ALPHABET, label_alphabet: str = LABEL_ALPHABET
) -> tuple[str, str]:
    """A ``(local, domain)`` pair that email-validator accepts, both in Unicode form."""
    local = draw(email_locals(local_alphabet))
    domain = draw(email_domains(label_alphabet))
    try:
        validate_email(f"{local}@{domain}", check_deliverability=False)
    except EmailNotValidError:
        reject()
    return local, domain


def ascii_domain(domain: str) -> str:
    """Return the IDNA ASCII (``xn--``) form of a Unicode *domain*."""
    return idna.encode(domain, uts46=True).decode("ascii")


@st.composite
def emails(draw: st.DrawFn) -> str:
    """A valid address with mixed case, padding, and the domain in Unicode or IDNA form."""
    local, domain = draw(email_parts())
    if draw(st.booleans()):
        domain = ascii_domain(domain)
    address = f"{local}@{domain}"
    address = mixed_case(address, draw(st.lists(st.booleans(), max_size=len(address))))
    pad = st.sampled_from(["", " ", "\t", "  ", "\n"])
    return draw(pad) + address + draw(pad)


PHONE_TYPES = [
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.VOIP,
]
EXAMPLE_PHONES: list[tuple[str, phonenumbers.PhoneNumber]] = [
    (region, number)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    for kind in PHONE_TYPES
    if (number := phonenumbers.example_number_for_type(region, kind)) is not None
]
PHONE_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def example_phones() -> st.SearchStrategy[tuple[str, phonenumbers.PhoneNumber]]:
    """A ``(region, number)`` pair: phonenumbers' example number of some type for a region."""
    return st.sampled_from(EXAMPLE_PHONES)


def phone_formats(number: phonenumbers.PhoneNumber) -> dict[str, str]:
    """Return *number* written NATIONAL, INTERNATIONAL, E164, RFC3966 and with ``00``."""
    out = {
        name: phonenumbers.format_number(number, getattr(PhoneNumberFormat, name))
        for name in ("NATIONAL", "INTERNATIONAL", "E164", "RFC3966")
    }
    out["00"] = "00" + out["E164"][1:]
    return out


def json_scalars() -> st.SearchStrategy[object]:
    """JSON scalars: None, booleans, integers, finite floats, text."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    )


def json_values(max_leaves: int = 8) -> st.SearchStrategy[object]:
    """Plain JSON values: scalars, lists and objects with string keys."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=6), children, max_size=3),
        ),
        max_leaves=max_leaves,
    )


def json_objects() -> st.SearchStrategy[dict[str, object]]:
    """A JSON object (``dict`` with string keys) as traits or properties hold."""
    return st.dictionaries(st.text(max_size=8), json_values(), max_size=4)


def slugs() -> st.SearchStrategy[str]:
    """A channel or action as given: a lower-case slug, maybe upper-cased or padded."""
    slug = st.from_regex(r"[a-z0-9][a-z0-9_.:-]{0,12}", fullmatch=True)
    return st.tuples(slug, st.booleans(), st.sampled_from(["", " "])).map(
        lambda t: t[2] + (t[0].upper() if t[1] else t[0]) + t[2]
    )


def identifier_kinds() -> st.SearchStrategy[str]:
    """A valid identifier kind: snake_case, optionally ``name:qualifier``."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,8}(:[a-z0-9][a-z0-9_.-]{0,6})?", fullmatch=True)


def _printable(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text without control, format (invisible) or line/paragraph separator characters."""
    return st.text(
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
        min_size=min_size,
        max_size=max_size,
    )


def _real_instant(moment: datetime) -> bool:
    """Whether an aware *moment* names one real instant (not in a DST gap or fold)."""
    if moment.tzinfo is None:
        return True
    try:
        return dateutil_tz.datetime_exists(moment) and not dateutil_tz.datetime_ambiguous(moment)
    except OverflowError:  # within a day of datetime.min/max: keep clear of the edge
        return False


def aware_or_naive_datetimes() -> st.SearchStrategy[datetime]:
    """Datetimes: naive, UTC, fixed offsets or IANA zones (never in a DST gap or fold).

    Times in a gap or fold are left out: Python's ``==`` between zones is always
    False for them (PEP 495), which says nothing about omnicontact.
    """
    offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    zones = st.one_of(st.none(), st.just(timezone.utc), offsets, st.timezones())
    return st.datetimes(timezones=zones).filter(_real_instant)


@st.composite
def touchpoints(
    draw: st.DrawFn, identifier_values: Callable[[], st.SearchStrategy[str]] | None = None
) -> oc.Touchpoint:
    """A touchpoint with arbitrary (valid) fields, as received: not normalized."""
    values = identifier_values() if identifier_values else st.text(max_size=10)
    identifiers = st.lists(st.builds(oc.Identifier, identifier_kinds(), values), max_size=5)
    return oc.Touchpoint(
        id=draw(st.one_of(_printable(1, 12).filter(str.strip), st.integers(0, 10**9))),
        occurred_at=draw(aware_or_naive_datetimes()),
        channel=draw(slugs()),
        action=draw(slugs()),
        identifiers=draw(identifiers),
        traits=draw(st.none() | json_objects()),
        properties=draw(st.none() | json_objects()),
        source=draw(st.none() | _printable(1, 10).filter(str.strip)),
        received_at=draw(st.none() | aware_or_naive_datetimes()),
    )
