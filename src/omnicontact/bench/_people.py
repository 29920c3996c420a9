"""The people of a synthetic world: households, names, addresses, e-mails, phones, devices.

Private to :mod:`omnicontact.bench.world`. Everything here is a pure function of
a :class:`random.Random` (seeded per household) and the person's serial number,
so a world is generated household by household without remembering anybody:

- e-mail addresses and phone numbers are unique *by construction* (the serial
  number is in the e-mail's local part and, scrambled, in the phone number),
  never by checking a set of used values;
- the small companies behind the role mailboxes (``info@``, ``contact@``) are a
  function of (seed, country, company number).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from random import Random
from typing import Any

import attrs
import phonenumbers
from phonenumbers import PhoneNumberFormat

COUNTRY_WEIGHTS = {"FR": 0.3, "GB": 0.2, "DE": 0.2, "ES": 0.1, "US": 0.2}
"""The countries a world can hold, and their default shares of households."""

LOCALES = {"FR": "fr_FR", "GB": "en_GB", "DE": "de_DE", "ES": "es_ES", "US": "en_US"}
"""Faker locale and Segment ``context.locale`` (with ``-``) of each country."""

UTC_OFFSETS = {"FR": "+01:00", "GB": "+00:00", "DE": "+01:00", "ES": "+01:00", "US": "-05:00"}
"""The offset local timestamps are written with (winter time, good enough for a world)."""

CURRENCIES = {"FR": "EUR", "GB": "GBP", "DE": "EUR", "ES": "EUR", "US": "USD"}

PLACEHOLDER_EMAILS = ("test@test.com", "noemail@noemail.com")
PLACEHOLDER_PHONES = ("0000000000", "0123456789")

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
_FIRST = {
    "FR": ("Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Théo", "Inès", "Gaël", "Zoé"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Freya", "Jack", "Evie"),
    "DE": ("Lukas", "Lena", "Jonas", "Mia", "Felix", "Hannah", "Jürgen", "Jörg", "Lea", "Ben"),
    "ES": ("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Álvaro", "Paula", "Iñigo", "Nerea"),
    "US": ("Ethan", "Olivia", "Mason", "Emily", "Logan", "Harper", "Aiden", "Abigail", "Chloe"),
}
_LAST = {
    "FR": ("Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Garnier", "Faure", "Roux"),
    "GB": ("Evans", "Walker", "Wright", "Thompson", "Hughes", "Edwards", "Green", "Hall"),
    "DE": ("Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Schäfer", "Bauer", "Wolf"),
    "ES": ("Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz"),
    "US": ("Davis", "Garcia", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin"),
}
_STREETS = {
    "FR": ("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue Pasteur"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road"),
    "DE": ("Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße"),
    "ES": ("Calle Mayor", "Calle Real", "Avenida de la Constitución", "Calle Nueva"),
    "US": ("Main Street", "Oak Avenue", "Maple Drive", "Washington Boulevard"),
}
_CITIES = {
    "FR": (("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux")),
    "GB": (("SW1A 1AA", "London"), ("M1 1AE", "Manchester"), ("B1 1AA", "Birmingham")),
    "DE": (("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("20095", "Hamburg")),
    "ES": (("28001", "Madrid"), ("08001", "Barcelona"), ("41001", "Sevilla")),
    "US": (("10001", "New York"), ("60601", "Chicago"), ("94103", "San Francisco")),
}
_DOMAINS = {
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "outlook.com", "yahoo.co.uk"),
    "DE": ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de"),
    "ES": ("gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
}
_DOMAIN_TYPOS = {"gmail.com": "gmial.com", "hotmail.fr": "hotmial.fr", "yahoo.com": "yaho.com"}
_COMPANY_TLD = {"FR": "fr", "GB": "co.uk", "DE": "de", "ES": "es", "US": "com"}
_COMPANY_WORDS = ("atelier", "conseil", "studio", "services", "partners", "digital", "bau", "tech")
_ROLE_LOCALS = ("info", "contact", "office", "hello")

# Mobile ranges where every completion is a valid mobile number for phonenumbers:
# (prefixes of the national significant number, digits after the prefix).
_MOBILE_PLANS: dict[str, tuple[tuple[str, ...], int]] = {
    "FR": (("60", "61", "62", "64", "65", "66", "67", "68"), 7),
    "GB": (("74", "75", "78"), 8),
    "DE": (("151", "152", "157", "160", "162", "170", "172", "176"), 8),
    "ES": (("60", "61", "62", "63", "64", "65", "66", "67", "68", "69"), 7),
    "US": (("2125", "2127", "3105", "3123", "4157", "6175", "2065", "5125", "3035", "3057"), 6),
}
_SCRAMBLE = 7_654_321  # coprime with 10: a bijection of each block of 10**k numbers


@attrs.define(slots=True)
class Person:
    """One true person: what they would give if asked, before any noise."""

    serial: int
    person_id: str
    country: str
    first: str
    last: str
    birth: date
    street: str
    postal_code: str
    city: str
    email: str
    work_email: str | None
    phone: str | None
    """E.164, or ``None`` for people who never give one."""
    role_mailbox: str | None = None
    namesake: bool = False


def ascii_fold(text: str) -> str:
    """Return *text* lower-cased with accents dropped and only letters and digits kept."""
    text = text.lower().replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def mobile_number(country: str, serial: int) -> str:
    """Return the E.164 mobile number of person *serial*: unique, and valid for phonenumbers."""
    prefixes, digits = _MOBILE_PLANS[country]
    block, index = divmod(serial, 10**digits)
    rest = (index * _SCRAMBLE + 1_234) % 10**digits
    code = phonenumbers.country_code_for_region(country)
    return f"+{code}{prefixes[block % len(prefixes)]}{rest:0{digits}d}"


def phone_as_typed(rng: Random, e164: str, *, national: bool) -> str:
    """Return *e164* as somebody types it: E.164, international, or (when *national*) national."""
    number = phonenumbers.parse(e164)
    forms = [PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL]
    if national:
        forms += [PhoneNumberFormat.NATIONAL, PhoneNumberFormat.NATIONAL]
    form = rng.choice(forms)
    text = phonenumbers.format_number(number, form)
    if form == PhoneNumberFormat.NATIONAL and rng.random() < 0.3:
        text = "".join(c for c in text if c.isdigit())
    return text


def uuid(rng: Random) -> str:
    """Return a random (version 4 shaped) UUID drawn from *rng*."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def typo(rng: Random, text: str) -> str:
    """Return *text* with one inner letter deleted, inserted, replaced or swapped."""
    if len(text) < 4:
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


def email_variant(rng: Random, address: str) -> str:
    """Return *address* in another case, or with a stray space: the same mailbox."""
    local, _, domain = address.partition("@")
    choice = rng.randrange(4)
    if choice == 0:
        return address.upper()
    if choice == 1:
        return f"{local.title()}@{domain}"
    if choice == 2:
        return f"{local}@{domain.upper()}"
    return f" {address}"


def email_typo(rng: Random, address: str) -> str:
    """Return *address* mistyped into another valid address (a letter, or the domain)."""
    local, _, domain = address.partition("@")
    if domain in _DOMAIN_TYPOS and rng.random() < 0.5:
        return f"{local}@{_DOMAIN_TYPOS[domain]}"
    letters = [i for i, c in enumerate(local) if c.isalpha()]
    if len(letters) < 2:
        return f"{local}x@{domain}"
    i = rng.choice(letters[1:])
    return f"{local[:i]}{local[i + 1 :]}@{domain}"


def role_mailbox(seed: int, country: str, company: int) -> str:
    """Return the role mailbox of company number *company* in *country* (a pure function)."""
    rng = Random(f"{seed}:company:{country}:{company}")
    name = ascii_fold(rng.choice(_LAST[country] + _COMMON_LAST[country]))
    slug = f"{name}-{rng.choice(_COMPANY_WORDS)}{company}"
    return f"{rng.choice(_ROLE_LOCALS)}@{slug}.{_COMPANY_TLD[country]}"


class Names:
    """Names and addresses of each country: Faker's when given, else the built-in lists.

    One instance per world; Faker's generators are reseeded per household, so a
    household's people do not depend on the households before it.
    """

    def __init__(self, countries: Sequence[str], fakers: dict[str, Any] | None) -> None:
        self.countries = tuple(countries)
        self.fakers = fakers

    def reseed(self, rng: Random, country: str) -> None:
        """Reseed the country's Faker generator from *rng* (before each household)."""
        if self.fakers is not None:
            self.fakers[country].seed_instance(rng.getrandbits(64))

    def first(self, rng: Random, country: str) -> str:
        if self.fakers is not None:
            return str(self.fakers[country].first_name())
        return rng.choice(_FIRST[country] + _COMMON_FIRST[country])

    def last(self, rng: Random, country: str) -> str:
        if self.fakers is not None:
            return str(self.fakers[country].last_name())
        return rng.choice(_LAST[country] + _COMMON_LAST[country])

    def address(self, rng: Random, country: str) -> tuple[str, str, str]:
        if self.fakers is not None:
            fake = self.fakers[country]
            street = " ".join(str(fake.street_address()).split())
            return street, str(fake.postcode()), str(fake.city())
        postal_code, city = rng.choice(_CITIES[country])
        return f"{rng.randrange(1, 200)} {rng.choice(_STREETS[country])}", postal_code, city

    def company_domain(self, rng: Random, country: str) -> str:
        name = ascii_fold(self.last(rng, country))[:14] or "company"
        return f"{name}-{rng.choice(_COMPANY_WORDS)}.{_COMPANY_TLD[country]}"


def make_person(
    rng: Random,
    names: Names,
    serial: int,
    country: str,
    *,
    last: str | None = None,
    address: tuple[str, str, str] | None = None,
    birth: date | None = None,
    companies: int = 3,
    seed: int = 0,
) -> Person:
    """Return person *serial*: names, birth date, address, e-mails, phone."""
    namesake = rng.random() < 0.05
    first = rng.choice(_COMMON_FIRST[country]) if namesake else names.first(rng, country)
    if last is None:
        last = rng.choice(_COMMON_LAST[country]) if namesake else names.last(rng, country)
    street, postal_code, city = address or names.address(rng, country)
    f, la = ascii_fold(first) or "x", ascii_fold(last) or "x"
    local = rng.choice((f"{f}.{la}", f"{f[0]}{la}", f"{f}{la}", f"{f}_{la}", f"{la}.{f}"))
    email = f"{local}{serial}@{rng.choice(_DOMAINS[country])}"  # the serial keeps it unique
    work = None
    if rng.random() < 0.25:
        work = f"{f}.{la}@{names.company_domain(rng, country)}"
    phone = mobile_number(country, serial) if rng.random() < 0.85 else None
    person = Person(
        serial=serial,
        person_id=f"p-{serial:08d}",
        country=country,
        first=first,
        last=last,
        birth=birth or date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 62)),
        street=street,
        postal_code=postal_code,
        city=city,
        email=email,
        work_email=work,
        phone=phone,
        namesake=namesake,
    )
    if rng.random() < 0.025:
        person.role_mailbox = role_mailbox(seed, country, rng.randrange(companies))
    return person
