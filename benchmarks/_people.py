"""Synthetic person records with ground truth, for identity-resolution evaluation.

Not a benchmark itself: ``bench_matching.py`` scores omnicontact and Splink on
what :func:`generate_records` yields. Deterministic for a given (size, seed)
and Faker version (Faker is used when installed, for locale-correct names,
streets, postcodes, cities and e-mail providers; a small built-in list per
country is used otherwise).

People live in FR, GB, DE, ES or US. Each true person is seen as several
records (1-10, about 3 on average) through several channels: ``web_form``,
``store_till``, ``call_centre``, ``email`` and ``app``. Each channel captures
its own subset of fields (a till seldom asks for a birth date, an e-mail reply
has little but the address, the app always has the device id), and the records
carry the noise real customer data has:

- typos in names (one deleted, inserted, replaced or swapped letter), upper-case
  names typed at tills and call centres, given and family names swapped;
- missing fields; the country left out now and then;
- streets typed with abbreviations (``av.``, ``Rd``, ``str.``, ``C/``) or a typo,
  a postcode digit or a city mistyped; a few people moved, and their earlier
  records carry the old address;
- phones, always valid for ``phonenumbers`` (built from each region's numbering
  ranges and checked), typed in E.164, international or national form;
- e-mails in case variants; a fifth of people have a second address they use
  on some records; e-mail local parts are built from the name, as people do;
- birth dates with day and month swapped (when that is still a date), or a
  digit of the day mistyped;
- households of 2-4 people with one surname and address, sharing a family
  tablet (one ``device_id`` for all of them); some households have twins (same
  birth date, same address, different first names);
- role mailboxes (``info@``, ``contact@`` a small company) shared by everybody
  who works there;
- placeholders typed to get past a form: ``test@test.com``,
  ``noemail@noemail.com``, ``0000000000`` (not a valid number, so a strict
  normalizer rejects it) and, in France, ``0123456789`` (a valid Paris number);
- namesakes: one person in twenty gets their country's commonest names (Martin,
  Smith, Müller, García, Johnson …) with different birth dates.

The person id is yielded beside each record, never inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from random import Random
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat

from omnicontact.bench._people import (
    _CITIES,
    _COMPANY_TLD,
    _DOMAINS,
    _LAST,
    _STREETS,
    ascii_fold,
)
from omnicontact.bench._people import email_variant as _email_variant
from omnicontact.bench._people import uuid as _uuid

try:
    from faker import Faker
except ImportError:  # the bench extra is not installed: built-in lists
    Faker = None

FIELDS = (
    "record_id",
    "first_name",
    "last_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "device_id",
    "channel",
    "timestamp",
)
"""The columns of a record, in order (the person id is kept apart)."""

COUNTRIES = ("FR", "GB", "DE", "ES", "US")
_COUNTRY_WEIGHTS = (0.3, 0.2, 0.2, 0.1, 0.2)
_LOCALES = {"FR": "fr_FR", "GB": "en_GB", "DE": "de_DE", "ES": "es_ES", "US": "en_US"}
CHANNELS = ("web_form", "store_till", "call_centre", "email", "app")
ACTIONS = {
    "web_form": "signup",
    "store_till": "purchase",
    "call_centre": "call",
    "email": "reply",
    "app": "login",
}
# Probability that a channel captures a field: names, birth date, address, e-mail, phone, device.
_CAPTURE = {
    "web_form": (1.0, 0.7, 0.8, 0.98, 0.6, 0.15),
    "store_till": (0.95, 0.3, 0.6, 0.5, 0.7, 0.0),
    "call_centre": (1.0, 0.6, 0.7, 0.3, 0.97, 0.0),
    "email": (0.8, 0.1, 0.1, 1.0, 0.1, 0.0),
    "app": (0.9, 0.5, 0.4, 0.9, 0.5, 1.0),
}
_RECORDS_PER_PERSON = (1, 2, 3, 4, 5, 6, 7, 8, 10)
_RECORDS_WEIGHTS = (0.25, 0.25, 0.18, 0.12, 0.08, 0.05, 0.03, 0.02, 0.02)
_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
_SPAN_S = 730 * 86400

_COMMON_FIRST = {
    "FR": ("Jean", "Marie", "Pierre", "Nathalie", "Michel", "Isabelle"),
    "GB": ("David", "Sarah", "James", "Emma", "John", "Claire"),
    "DE": ("Thomas", "Sabine", "Michael", "Anna", "Peter", "Julia"),
    "ES": ("Antonio", "María", "José", "Carmen", "Manuel", "Laura"),
    "US": ("James", "Mary", "John", "Jennifer", "Michael", "Linda"),
}
_COMMON_LAST = {
    "FR": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit"),
    "GB": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson"),
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer"),
    "ES": ("García", "Rodríguez", "González", "Fernández", "López", "Martínez"),
    "US": ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller"),
}
# Without Faker: a few first names per country beside the common ones, streets, cities.
_FALLBACK_FIRST = {
    "FR": ("Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Théo", "Inès", "Gaël"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Freya", "Jack"),
    "DE": ("Lukas", "Lena", "Jonas", "Mia", "Felix", "Hannah", "Jürgen", "Jörg", "Lea"),
    "ES": ("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Álvaro", "Paula", "Iñigo"),
    "US": ("Ethan", "Olivia", "Mason", "Emily", "Logan", "Harper", "Aiden", "Abigail"),
}
# The same built-in lists as the library's synthetic world (omnicontact.bench.world).
_FALLBACK_LAST = _LAST
_FALLBACK_STREETS = _STREETS
_FALLBACK_CITIES = _CITIES
_FALLBACK_DOMAINS = _DOMAINS
_ROLE_LOCALS = ("info", "contact", "office", "admin", "hello")
PLACEHOLDER_EMAILS = ("test@test.com", "noemail@noemail.com")
PLACEHOLDER_PHONES = ("0000000000", "0123456789")
# How clerks shorten street words, per country (lower-case whole words; "straße" as a suffix).
_STREET_ABBREVIATIONS = {
    "FR": (("rue", "r."), ("avenue", "av."), ("boulevard", "bd"), ("place", "pl."),
           ("chemin", "ch."), ("impasse", "imp.")),
    "GB": (("street", "St"), ("road", "Rd"), ("lane", "Ln"), ("avenue", "Ave"),
           ("drive", "Dr"), ("court", "Ct")),
    "DE": (("straße", "str."), ("strasse", "str."), ("platz", "pl."), ("weg", "Wg.")),
    "ES": (("calle", "C/"), ("avenida", "Avda."), ("plaza", "Pza."), ("paseo", "Pº"),
           ("camino", "Cno.")),
    "US": (("street", "St"), ("avenue", "Ave"), ("drive", "Dr"), ("court", "Ct"),
           ("road", "Rd"), ("boulevard", "Blvd")),
}  # fmt: skip

# Numbering ranges: (national significant number prefixes, lengths to try), per region and use.
_PHONE_PLANS = {
    ("FR", "mobile"): (("6", "7"), (9,)),
    ("FR", "fixed"): (("1", "2", "3", "4", "5"), (9,)),
    ("GB", "mobile"): (("74", "75", "77", "78", "79"), (10,)),
    ("GB", "fixed"): (("20", "121", "131", "161", "113", "117"), (10,)),
    ("DE", "mobile"): (("151", "152", "157", "160", "162", "170", "172", "176"), (11, 10)),
    ("DE", "fixed"): (("30", "40", "89", "221", "69"), (10, 11)),
    ("ES", "mobile"): (("6", "7"), (9,)),
    ("ES", "fixed"): (("91", "93", "95", "96", "98"), (9,)),
    ("US", "mobile"): (("212", "310", "312", "415", "617", "206", "512", "303", "305"), (10,)),
    ("US", "fixed"): (("646", "718", "213", "773", "404", "702", "503", "215"), (10,)),
}
_PHONE_FORMATS = (
    PhoneNumberFormat.E164,
    PhoneNumberFormat.INTERNATIONAL,
    PhoneNumberFormat.NATIONAL,
)


@dataclass
class Person:
    """One true person: what they would give if asked, before any noise."""

    person_id: str
    country: str
    first: str
    last: str
    birth: date
    street: str
    postal_code: str
    city: str
    emails: list[str]
    previous_address: tuple[str, str, str] | None
    """Where they lived before moving, used on their earlier records."""
    phone: phonenumbers.PhoneNumber | None
    device: str | None
    family_device: str | None = None
    role_mailbox: str | None = None
    app_user: bool = False
    tags: set[str] = field(default_factory=set)


class _Locale:
    """Names, addresses and e-mail domains of one country (Faker or the built-in lists)."""

    def __init__(self, country: str, seed: int) -> None:
        self.country = country
        self.fake: Any = None
        if Faker is not None:
            self.fake = Faker(_LOCALES[country])
            self.fake.seed_instance(seed)

    def first_name(self, rng: Random) -> str:
        if self.fake is not None:
            return str(self.fake.first_name())
        return rng.choice(_FALLBACK_FIRST[self.country] + _COMMON_FIRST[self.country])

    def last_name(self, rng: Random) -> str:
        if self.fake is not None:
            return str(self.fake.last_name())
        return rng.choice(_FALLBACK_LAST[self.country] + _COMMON_LAST[self.country])

    def address(self, rng: Random) -> tuple[str, str, str]:
        if self.fake is not None:
            fake = self.fake
            return str(fake.street_address()).strip(), str(fake.postcode()), str(fake.city())
        postal_code, city = rng.choice(_FALLBACK_CITIES[self.country])
        street = f"{rng.randrange(1, 200)} {rng.choice(_FALLBACK_STREETS[self.country])}"
        return street, postal_code, city

    def email_domain(self, rng: Random) -> str:
        if self.fake is not None:
            return str(self.fake.free_email_domain())
        return rng.choice(_FALLBACK_DOMAINS[self.country])

    def company(self, rng: Random) -> str:
        if self.fake is not None:
            return str(self.fake.company())
        return f"{rng.choice(_FALLBACK_LAST[self.country])} {rng.choice(('SA', 'Ltd', 'GmbH'))}"




def _phone(rng: Random, country: str, use: str, used: set[str]) -> phonenumbers.PhoneNumber:
    """Return a new number valid for ``phonenumbers`` in the region's *use* range."""
    prefixes, lengths = _PHONE_PLANS[(country, use)]
    while True:
        prefix = rng.choice(prefixes)
        length = rng.choice(lengths)
        rest = "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
        if country == "US":  # exchange code: first digit 2-9
            rest = str(rng.randrange(2, 10)) + rest[1:]
        code = phonenumbers.country_code_for_region(country)
        number = phonenumbers.parse(f"+{code}{prefix}{rest}")
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if e164 not in used and phonenumbers.is_valid_number(number):
            used.add(e164)
            return number


def _email(rng: Random, first: str, last: str, domain: str, used: set[str]) -> str:
    """Return a new address whose local part is built from the name, as people do."""
    f, la = ascii_fold(first) or "x", ascii_fold(last) or "x"
    patterns = (f"{f}.{la}", f"{f[0]}{la}", f"{f}{la}", f"{f}_{la}", f"{la}.{f}")
    local = rng.choice(patterns)
    candidate = f"{local}@{domain}"
    while candidate in used:
        candidate = f"{local}{rng.randrange(1, 2000)}@{domain}"
    used.add(candidate)
    return candidate




def _typo(rng: Random, text: str) -> str:
    """Return *text* with one letter deleted, inserted, replaced or swapped."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    letter = rng.choice("aeiounrstlm")
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + letter + text[i:]
    if kind == 2:
        return text[:i] + letter + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _street_variant(rng: Random, country: str, street: str) -> str:
    """Return *street* as a clerk may type it: a word shortened, or lower-cased."""
    words = street.split()
    for i, word in enumerate(words):
        folded = word.lower()
        for long, short in _STREET_ABBREVIATIONS[country]:
            if folded == long or (long == "straße" and folded.endswith(long)):
                words[i] = word[: len(word) - len(long)] + short if folded != long else short
                return " ".join(words)
    return street.lower() if rng.random() < 0.5 else street.replace(",", "")


def _postcode_typo(rng: Random, code: str) -> str:
    """Return *code* with one digit replaced."""
    digits = [i for i, c in enumerate(code) if c.isdigit()]
    if not digits:
        return code
    i = rng.choice(digits)
    return code[:i] + str(rng.randrange(10)) + code[i + 1 :]


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _swap_day_month(day: date) -> date:
    """Return *day* with day and month swapped, or unchanged when that is not a date."""
    try:
        return date(day.year, day.day, day.month)
    except ValueError:
        return day




class PeopleGenerator:
    """Makes people (alone or in households) and their noisy records, deterministically."""

    def __init__(self, seed: int = 42, expected_people: int = 1000) -> None:
        self.rng = Random(seed)
        self.locales = {c: _Locale(c, seed + i) for i, c in enumerate(COUNTRIES)}
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.people = 0
        # Small companies per country, each role mailbox shared by several people.
        self.companies: dict[str, list[str]] = {c: [] for c in COUNTRIES}
        self.company_count = max(3, expected_people // 1000)

    # ------------------------------------------------------------------ people

    def _new_id(self) -> str:
        self.people += 1
        return f"P{self.people:07d}"

    def _birth(self, rng: Random) -> date:
        return date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))

    def _person(
        self,
        country: str,
        *,
        last: str | None = None,
        address: tuple[str, str, str] | None = None,
        birth: date | None = None,
    ) -> Person:
        rng = self.rng
        loc = self.locales[country]
        namesake = rng.random() < 0.05
        first = rng.choice(_COMMON_FIRST[country]) if namesake else loc.first_name(rng)
        if last is None:
            last = rng.choice(_COMMON_LAST[country]) if namesake else loc.last_name(rng)
        street, postal_code, city = address or loc.address(rng)
        emails = [_email(rng, first, last, loc.email_domain(rng), self.used_emails)]
        if rng.random() < 0.2:
            emails.append(_email(rng, first, last, loc.email_domain(rng), self.used_emails))
        phone = None
        if rng.random() < 0.9:
            use = "mobile" if rng.random() < 0.8 else "fixed"
            phone = _phone(rng, country, use, self.used_phones)
        app_user = rng.random() < 0.45
        previous = loc.address(rng) if address is None and rng.random() < 0.08 else None
        person = Person(
            person_id=self._new_id(),
            country=country,
            first=first,
            last=last,
            birth=birth or self._birth(rng),
            street=street,
            postal_code=postal_code,
            city=city,
            emails=emails,
            previous_address=previous,
            phone=phone,
            device=_uuid(rng) if app_user else None,
            app_user=app_user,
        )
        if namesake:
            person.tags.add("namesake")
        if rng.random() < 0.03:
            person.role_mailbox = self._role_mailbox(country)
            person.tags.add("role_mailbox")
        return person

    def _role_mailbox(self, country: str) -> str:
        rng = self.rng
        pool = self.companies[country]
        if len(pool) < self.company_count and (not pool or rng.random() < 0.3):
            slug = ascii_fold(self.locales[country].company(rng))[:20] or "company"
            pool.append(f"{rng.choice(_ROLE_LOCALS)}@{slug}.{_COMPANY_TLD[country]}")
        return rng.choice(pool)

    def household(self) -> list[Person]:
        """Return the next person, or a household of 2-4 sharing surname, address and tablet."""
        rng = self.rng
        country = rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0]
        if rng.random() >= 0.12:
            return [self._person(country)]
        first = self._person(country)
        size = rng.choice((2, 2, 3, 3, 4))
        address = (first.street, first.postal_code, first.city)
        members = [first]
        twins = rng.random() < 0.25
        for i in range(1, size):
            birth = first.birth if twins and i == 1 else None
            members.append(self._person(country, last=first.last, address=address, birth=birth))
        if twins:
            members[0].tags.add("twin")
            members[1].tags.add("twin")
        device = _uuid(rng)
        for member in members:
            member.family_device = device
            member.app_user = True
            member.tags.add("household")
        return members

    # ------------------------------------------------------------------ records

    def records_of(self, person: Person) -> list[dict[str, str | None]]:
        """Return the person's records, each seen through one channel with noise."""
        rng = self.rng
        count = rng.choices(_RECORDS_PER_PERSON, _RECORDS_WEIGHTS)[0]
        channel_weights = (3, 2, 2, 2, 4 if person.app_user else 0)
        moment = _START + timedelta(seconds=rng.randrange(_SPAN_S))
        out = []
        moved_after = rng.randrange(count) if person.previous_address else -1
        for index in range(count):
            channel = rng.choices(CHANNELS, channel_weights)[0]
            out.append(self._record(person, channel, moment, moved=index >= moved_after))
            moment += timedelta(seconds=60 + int(rng.expovariate(1 / (20 * 86400))))
        return out

    def _record(
        self, person: Person, channel: str, moment: datetime, moved: bool = True
    ) -> dict[str, str | None]:
        rng = self.rng
        p_name, p_birth, p_address, p_email, p_phone, p_device = _CAPTURE[channel]
        first: str | None = person.first
        last: str | None = person.last
        if rng.random() < 0.07:
            first = _typo(rng, person.first)
        if rng.random() < 0.07:
            last = _typo(rng, person.last)
        if channel in ("store_till", "call_centre") and rng.random() < 0.3:
            first, last = first.upper(), last.upper()
        if rng.random() < 0.03:
            first, last = last, first
        if rng.random() >= p_name:
            first = last = None
        elif rng.random() < 0.1:
            first = None

        birth: str | None = None
        if rng.random() < p_birth:
            day = person.birth
            if rng.random() < 0.04:
                day = _swap_day_month(day)
            birth = day.isoformat()
            if rng.random() < 0.02:  # one digit of the day mistyped
                birth = birth[:-1] + str((int(birth[-1]) + rng.randrange(1, 9)) % 10)
                birth = birth if _is_date(birth) else day.isoformat()

        street = postal_code = city = None
        if rng.random() < p_address:
            street, postal_code, city = person.street, person.postal_code, person.city
            if not moved and person.previous_address is not None:
                street, postal_code, city = person.previous_address
            if rng.random() < 0.15:
                street = _street_variant(rng, person.country, street)
            elif rng.random() < 0.04:
                street = _typo(rng, street)
            if rng.random() < 0.1:
                street = None
            if rng.random() < 0.02:
                postal_code = _postcode_typo(rng, postal_code)
            if rng.random() < 0.05:
                city = city.upper()
            elif rng.random() < 0.03:
                city = _typo(rng, city)

        email = None
        if rng.random() < p_email:
            if person.role_mailbox and channel in ("web_form", "email") and rng.random() < 0.6:
                email = person.role_mailbox
            elif rng.random() < 0.02:
                email = rng.choice(PLACEHOLDER_EMAILS)
            else:
                email = person.emails[-1] if rng.random() < 0.3 else person.emails[0]
                if rng.random() < 0.25:
                    email = _email_variant(rng, email)

        phone = None
        if rng.random() < p_phone:
            if rng.random() < 0.015:
                phone = PLACEHOLDER_PHONES[person.country == "FR"]
            elif person.phone is not None:
                form = rng.choice(_PHONE_FORMATS)
                phone = phonenumbers.format_number(person.phone, form)
                if form == PhoneNumberFormat.NATIONAL and rng.random() < 0.3:
                    phone = "".join(c for c in phone if c.isdigit())

        device = None
        if rng.random() < p_device:
            if person.family_device and (person.device is None or rng.random() < 0.6):
                device = person.family_device
            else:
                device = person.device

        country: str | None = person.country
        if rng.random() < 0.02:
            country = None
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "record_id": None,
            "first_name": first,
            "last_name": last,
            "birth_date": birth,
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "country": country,
            "email": email,
            "phone": phone,
            "device_id": device,
            "channel": channel,
            "timestamp": stamp,
        }


def generate_records(
    size: int, seed: int = 42, people: dict[str, Person] | None = None
) -> Iterator[tuple[dict[str, str | None], str]]:
    """Yield *size* ``(record, person id)`` pairs, person after person.

    Records of one person (and of one household) come together; sort by
    ``timestamp`` to get a live feed's order. ``record_id`` is ``r`` and a
    counter in generation order. Deterministic for (size, seed, Faker version).
    When *people* is given, each person behind a record is stored in it by id.
    """
    generator = PeopleGenerator(seed, expected_people=max(1, size // 3))
    produced = 0
    while produced < size:
        for person in generator.household():
            if people is not None:
                people[person.person_id] = person
            for record in generator.records_of(person):
                if produced >= size:
                    return
                record["record_id"] = f"r{produced:08d}"
                produced += 1
                yield record, person.person_id


def faker_version() -> str | None:
    """Return the installed Faker version, or ``None`` when the built-in lists are used."""
    if Faker is None:
        return None
    from importlib import metadata

    return metadata.version("faker")
