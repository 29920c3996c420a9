"""Shared helpers for the benchmarks: machine info, timing, JSON results, populations.

Not a benchmark itself. ``generate_population`` builds a synthetic stream of
:class:`omnicontact.Touchpoint` with ground truth (the person behind each
touchpoint), deterministic for a given seed:

- each person lives in FR, GB, US or DE and has 1-3 strong identifiers
  (e-mail, phone, customer id, loyalty id) plus a browser cookie and/or a
  mobile device id (weak);
- each person is seen several times (1 + exponential, mean ~5.5 touchpoints):
  first up to two anonymous browsing sessions (2 page views on average) on their
  cookie or device, then a sign-up that carries all their identifiers, then
  follow-ups (e-mail opens, calls, store purchases, logins, more anonymous
  sessions) carrying some of them;
- a person types their e-mail and phone in 1-3 habitual forms: case variants
  and stray spaces for e-mails; E.164, international, national, ``00``,
  ``(0)``, dotted or dashed forms for phones. A touchpoint carrying a national
  phone number says where it was taken (``country`` trait or ``locale``
  property), as a form or a till would;
- no identifier is shared between people, so every person must resolve to
  exactly one contact: ``people`` is the expected number of contacts.

The stream is ordered by event time, as a live feed arrives.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from random import Random
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat

from omnicontact import Identifier, Touchpoint
from omnicontact.bench._people import uuid as _uuid

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DISTRIBUTIONS = (
    "omnicontact",
    "attrs",
    "pluggy",
    "phonenumbers",
    "email-validator",
    "python-dateutil",
)

# --------------------------------------------------------------------------
# machine, versions, command, results
# --------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _total_memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def versions() -> dict[str, str]:
    """Return the installed versions of omnicontact and its dependencies."""
    out = {}
    for name in DISTRIBUTIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def source_revision() -> dict[str, Any]:
    """Return the git commit, the tree id of ``src/`` and whether ``src/`` has local changes.

    Call it when the code under test is imported: the tree id tells whether two
    processes measured the same source.
    """
    root = BENCH_DIR.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short", "HEAD"),
            "src_tree": git("rev-parse", "--short", "HEAD:src"),
            "dirty": bool(git("status", "--porcelain", "--", "src")),
        }
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "src_tree": "unknown", "dirty": None}


def describe_revision(revision: dict[str, Any]) -> str:
    """Return a revision as ``<commit> (src tree <id>[, with local changes])``."""
    local = ", with local changes" if revision["dirty"] else ""
    return f"{revision['commit']} (src tree {revision['src_tree']}{local})"


def machine_info() -> dict[str, Any]:
    """Return the platform, CPU, memory, Python and dependency versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "memory_gb": _total_memory_gb(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "revision": source_revision(),
    }


def command_line() -> str:
    """Return the command that re-runs the current script with its arguments."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(BENCH_DIR.parent)
    except ValueError:
        shown = script
    return shlex.join(["python", str(shown), *sys.argv[1:]])


def print_header(title: str, info: dict[str, Any]) -> None:
    """Print the benchmark title, machine and versions."""
    print(f"== {title}")
    print(f"date:     {info['date']}")
    print(f"machine:  {info['platform']}; {info['cpu']}")
    print(
        f"          {info['cpu_count']} CPUs ({info['cpu_usable']} usable), "
        f"{info['memory_gb']} GB RAM; {info['python']}; "
        f"load average {' '.join(map(str, info['load_average']))}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"source:   omnicontact at git {describe_revision(info['revision'])}")
    print()


def write_results(name: str, payload: dict[str, Any], path: Path | None = None) -> Path:
    """Write *payload* to *path*, or to ``benchmarks/results/<name>.json``; return the path."""
    if path is None:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{name}.json"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


RESULT_MARK = "RESULT "
"""How a child process marks the line that carries its JSON result."""


def child_result(cmd: Sequence[str], phase: str, size: int) -> dict[str, Any]:
    """Run one phase of a benchmark in a child process; return the result it printed."""
    done = subprocess.run(list(cmd), stdout=subprocess.PIPE, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])  # type: ignore[no-any-return]
    raise RuntimeError(f"{phase} phase for {size} printed no result")


def verdict(ok: bool) -> str:
    """Return how a target is printed: PASS or MISS."""
    return "PASS" if ok else "MISS"


def peak_rss_mb() -> float:
    """Return this process's peak resident set size so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float | None:
    """Return this process's current resident set size in MiB (Linux only)."""
    try:
        with open("/proc/self/statm", encoding="utf-8") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**2


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------


def time_rounds(run: Callable[[], object], rounds: int) -> list[float]:
    """Call *run* *rounds* times; return the wall time of each call in seconds."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        out.append(time.perf_counter() - start)
    return out


def median(values: Sequence[float]) -> float:
    """Return the median of *values*."""
    return statistics.median(values)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Return the *fraction* percentile (nearest rank) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


# --------------------------------------------------------------------------
# synthetic population with ground truth
# --------------------------------------------------------------------------

UTC = timezone.utc
START = datetime(2025, 1, 6, tzinfo=UTC)
COUNTRIES = ("FR", "GB", "US", "DE")
_COUNTRY_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
_LOCALES = {"FR": "fr_FR", "GB": "en-GB", "US": "en_US", "DE": "de-DE"}
_FIRST = (
    "marie", "jean", "sophie", "lucas", "emma", "oliver", "amelia", "james", "olivia",
    "liam", "mia", "noah", "lena", "jonas", "anna", "felix", "chloe", "hugo", "ava",
    "ethan", "lea", "paul", "sarah", "leon",
)  # fmt: skip
_LAST = (
    "martin", "bernard", "dubois", "lefevre", "smith", "jones", "taylor", "brown",
    "johnson", "williams", "miller", "davis", "muller", "schmidt", "schneider",
    "fischer", "weber", "garcia", "wilson", "moore", "thomas", "robert",
)  # fmt: skip
_DOMAINS = {
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "outlook.com", "yahoo.co.uk"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
    "DE": ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de"),
}
_US_AREAS = ("212", "310", "312", "415", "617", "206", "512", "303", "404", "305", "702")
_DE_MOBILE = ("151", "152", "157", "160", "162", "163", "170", "171", "172", "175", "176")
_STRONG_KINDS = ("email", "phone", "customer_id", "loyalty_id")
_STRONG_WEIGHTS = (0.8, 0.5, 0.4, 0.2)
_FOLLOW_UP = {
    "email": (("email", "open"), ("email", "click"), ("web", "login")),
    "phone": (("call_centre", "call"), ("sms", "click")),
    "customer_id": (("web", "purchase"), ("web", "login"), ("app", "purchase")),
    "loyalty_id": (("store", "purchase"), ("store", "return")),
}
_NON_DIGIT_RE = re.compile(r"\D")
_OFFSETS = (timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(0)))


@dataclass
class Person:
    """One synthetic person: their identifiers in each habitual raw form."""

    index: int
    country: str
    first: str
    last: str
    forms: dict[str, list[str]] = field(default_factory=dict)
    """kind -> the raw forms this person uses (first = canonical)."""
    national: set[str] = field(default_factory=set)
    """Raw phone forms that need a region to be read."""
    e164: str | None = None
    touchpoints: int = 0

    def lookup_identifiers(self) -> list[Identifier]:
        """Return the strong identifiers a caller would look this person up by."""
        out = []
        for kind in _STRONG_KINDS:
            if kind == "phone" and self.e164:
                out.append(Identifier("phone", self.e164))
            elif kind in self.forms:
                out.append(Identifier(kind, self.forms[kind][0]))
        return out


@dataclass
class Population:
    """A touchpoint stream with ground truth."""

    touchpoints: list[Touchpoint]
    truth: list[int]
    """The person index behind each touchpoint, in stream order."""
    persons: list[Person]
    seed: int

    @property
    def people(self) -> int:
        """The number of people, hence of contacts a correct resolution finds."""
        return len(self.persons)




def _phone(rng: Random, country: str, used: set[str]) -> phonenumbers.PhoneNumber:
    while True:
        if country == "FR":
            text = "+33" + rng.choice("67") + f"{rng.randrange(10**8):08d}"
        elif country == "GB":
            text = "+447" + rng.choice("45789") + f"{rng.randrange(10**8):08d}"
        elif country == "US":
            text = (
                "+1" + rng.choice(_US_AREAS) + str(rng.randrange(2, 10))
                + f"{rng.randrange(100):02d}" + f"{rng.randrange(10**4):04d}"
            )  # fmt: skip
        else:
            text = "+49" + rng.choice(_DE_MOBILE) + f"{rng.randrange(10**7, 10**8)}"
        if text in used:
            continue
        number = phonenumbers.parse(text, None)
        if phonenumbers.is_valid_number(number):
            used.add(text)
            return number


def _phone_forms(number: phonenumbers.PhoneNumber, country: str) -> tuple[list[str], list[str]]:
    """Return (international forms, national forms) of *number* as people type them."""
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    natl = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    digits = _NON_DIGIT_RE.sub("", natl)
    international = [e164, intl, "00" + e164[1:] if country != "US" else "+1 " + digits]
    national = [natl, digits]
    if country == "US":
        national.append(f"{digits[:3]}-{digits[3:6]}-{digits[6:]}")
    else:
        cc, _, rest = intl.partition(" ")
        international.append(f"{cc} (0){rest}")
        national.append(natl.replace(" ", "." if country == "FR" else "-"))
    return international, national


def _email_forms(rng: Random, person: int, country: str, first: str, last: str) -> list[str]:
    sep = rng.choice((".", "_", "", "-"))
    address = f"{first}{sep}{last}{person}@{rng.choice(_DOMAINS[country])}"
    local, _, domain = address.partition("@")
    variants = [
        f"{local.title()}@{domain}",
        f"{local}@{domain.upper()}",
        address.upper(),
        f" {address} ",
        f"{first.title()}{sep}{last.title()}{person}@{domain.title()}",
    ]
    return [address, *rng.sample(variants, rng.randrange(3))]


def _make_person(rng: Random, index: int, used_phones: set[str]) -> Person:
    country = rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0]
    person = Person(index, country, rng.choice(_FIRST), rng.choice(_LAST))
    wanted = rng.choices((1, 2, 3), (0.45, 0.35, 0.2))[0]
    kinds: set[str] = set()
    while len(kinds) < wanted:
        kinds.add(rng.choices(_STRONG_KINDS, _STRONG_WEIGHTS)[0])
    if "email" in kinds:
        person.forms["email"] = _email_forms(rng, index, country, person.first, person.last)
    if "phone" in kinds:
        number = _phone(rng, country, used_phones)
        person.e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        international, national = _phone_forms(number, country)
        pool = [*international, *national]
        person.forms["phone"] = rng.sample(pool, 1 + rng.randrange(3))
        person.national = set(national)
    if "customer_id" in kinds:
        cid = f"C{index:09d}"
        person.forms["customer_id"] = [cid, f" {cid}"][: 1 + rng.randrange(2)]
    if "loyalty_id" in kinds:
        digits = f"{index:012d}"
        card = f"LY{digits}"
        person.forms["loyalty_id"] = rng.sample(
            [card, f"ly-{digits[:4]}-{digits[4:8]}-{digits[8:]}", f"LY {digits}"],
            1 + rng.randrange(2),
        )
    weak = rng.random()
    if weak < 0.85:
        person.forms["cookie_id"] = [_uuid(rng)]
    if weak > 0.6:
        device = _uuid(rng)
        person.forms["device_id"] = [device, device.upper()][: 1 + rng.randrange(2)]
    return person


def _region_fields(
    rng: Random, person: Person, idents: list[tuple[str, str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (traits, properties) saying where a national phone number was taken."""
    if not any(kind == "phone" and value in person.national for kind, value in idents):
        return {}, {}
    if rng.random() < 0.7:
        return {"country": rng.choice((person.country, person.country.lower()))}, {}
    return {}, {"locale": _LOCALES[person.country]}


def _visits(
    rng: Random, person: Person, count: int
) -> list[tuple[str, str, list[tuple[str, str]], dict[str, Any], dict[str, Any]]]:
    """Return the person's touchpoints: (channel, action, identifiers, traits, properties)."""
    forms = person.forms
    weak = [k for k in ("cookie_id", "device_id") if k in forms]
    strong = [k for k in _STRONG_KINDS if k in forms]
    out = []

    def anonymous() -> None:
        # A browsing session: one to a few page (or screen) views on one cookie (or device).
        kind = rng.choice(weak)
        channel, action = ("web", "page_view") if kind == "cookie_id" else ("app", "screen_view")
        ident = [(kind, rng.choice(forms[kind]))]
        for _ in range(1 + int(rng.expovariate(1 / 1.5))):
            if len(out) >= count - (not signed_up):
                break
            out.append((channel, action, ident, {}, {"path": f"/p/{rng.randrange(500)}"}))

    signed_up = False
    for _ in range(rng.randrange(3) if weak else 0):
        anonymous()
    idents = [(k, rng.choice(forms[k])) for k in strong + weak]
    traits = {"first_name": person.first.title(), "last_name": person.last.title()}
    traits["country"] = person.country
    channel = "app" if weak == ["device_id"] else rng.choice(("web", "web", "store"))
    out.append((channel, "signup", idents, traits, {}))
    signed_up = True
    while len(out) < count:
        if weak and rng.random() < 0.3:
            anonymous()
            continue
        primary = rng.choice(strong)
        channel, action = rng.choice(_FOLLOW_UP[primary])
        kinds = [primary]
        if len(strong) > 1 and rng.random() < 0.3:
            kinds.append(rng.choice([k for k in strong if k != primary]))
        if weak and channel in ("web", "app") and rng.random() < 0.7:
            kinds.append(rng.choice(weak))
        idents = [(k, rng.choice(forms[k])) for k in kinds]
        traits, props = _region_fields(rng, person, idents)
        if action == "purchase":
            props = {**props, "amount": round(rng.uniform(5, 300), 2), "currency": "EUR"}
        out.append((channel, action, idents, traits, props))
    return out


def generate_population(touchpoints: int, seed: int = 42) -> Population:
    """Return *touchpoints* touchpoints of synthetic people, with ground truth.

    Deterministic for a given (touchpoints, seed).
    """
    rng = Random(seed)
    used_phones: set[str] = set()
    persons: list[Person] = []
    records: list[tuple[datetime, int, int, tuple[Any, ...]]] = []
    total = 0
    while total < touchpoints:
        person = _make_person(rng, len(persons), used_phones)
        count = min(1 + int(rng.expovariate(1 / 5)), 80, touchpoints - total)
        moment = START + timedelta(seconds=rng.randrange(330 * 86400))
        previous = None
        for visit in _visits(rng, person, count):
            same_session = previous is not None and visit[:3] == previous[:3]
            if same_session:
                moment += timedelta(seconds=rng.randrange(10, 300))
            elif previous is not None:
                moment += timedelta(seconds=60 + int(rng.expovariate(1 / (3 * 86400))))
            records.append((moment, len(records), person.index, visit))
            previous = visit
        person.touchpoints = count
        persons.append(person)
        total += count
    records.sort()
    stream: list[Touchpoint] = []
    truth: list[int] = []
    for position, (moment, _, who, (channel, action, idents, traits, props)) in enumerate(records):
        occurred = moment if rng.random() < 0.9 else moment.astimezone(rng.choice(_OFFSETS))
        stream.append(
            Touchpoint(
                id=f"tp-{position:08d}",
                occurred_at=occurred,
                channel=channel,
                action=action,
                identifiers=[Identifier(kind, value) for kind, value in idents],
                traits=traits or None,
                properties=props or None,
                source="bench",
            )
        )
        truth.append(who)
    return Population(stream, truth, persons, seed)


def email_sha256_forms(population: Population) -> list[str]:
    """Return the hashed e-mails an ad platform would send back (some upper-case)."""
    out = []
    for person in population.persons:
        if "email" in person.forms:
            digest = hashlib.sha256(person.forms["email"][0].encode()).hexdigest()
            out.append(digest if person.index % 3 else digest.upper())
    return out


def check_resolution(contact_members: list[list[int]], population: Population) -> dict[str, Any]:
    """Compare contacts (lists of stream positions) with the ground truth.

    :returns: counts of people, contacts, contacts mixing people and people split.
    """
    truth = population.truth
    mixed = 0
    contacts_of_person: dict[int, int] = {}
    for members in contact_members:
        people = {truth[p] for p in members}
        if len(people) > 1:
            mixed += 1
        for who in people:
            contacts_of_person[who] = contacts_of_person.get(who, 0) + 1
    split = sum(1 for n in contacts_of_person.values() if n > 1)
    return {
        "people": population.people,
        "contacts": len(contact_members),
        "contacts_mixing_people": mixed,
        "people_split": split,
        "exact": mixed == 0 and split == 0 and len(contact_members) == population.people,
    }
