"""The built-in person rule: levels, correlated evidence, term frequencies, EM, settings."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicontact.errors import ConfigurationError
from omnicontact.matching.person import FIELDS, LEVELS, PersonRule, PreparedPerson
from omnicontact.matching.rules import Evidence, MatchingRule, Record
from omnicontact.model import Identifier

RULE = PersonRule()


def record(phones: tuple[str, ...] = (), emails: tuple[str, ...] = (), **traits: Any) -> Record:
    """A record with these traits, phones (E.164) and e-mails (normalized)."""
    ids = tuple(Identifier("phone", p) for p in phones) + tuple(
        Identifier("email", e) for e in emails
    )
    return Record(touchpoint_id="tp", traits=traits, identifiers=ids)


def prepared(rule: PersonRule = RULE, **kwargs: Any) -> PreparedPerson:
    """The prepared form of record(**kwargs); fails the test when it is None."""
    result = rule.prepare(record(**kwargs))
    assert result is not None
    return result


def compare(a: PreparedPerson, b: PreparedPerson, rule: PersonRule = RULE) -> Evidence:
    """The evidence between a and b; fails the test when it is None."""
    evidence = rule.compare(a, b)
    assert evidence is not None
    return evidence


def levels(evidence: Evidence) -> dict[str, str]:
    """The level reached by each compared field."""
    return {part.field: part.level for part in evidence.parts}


def part_weight(evidence: Evidence, field: str) -> float:
    """The weight of one field's part."""
    return next(p.weight for p in evidence.parts if p.field == field)


DUPONT = {"first_name": "Jean", "last_name": "Dupont", "birth_date": "1980-05-03"}
FULL = {
    **DUPONT,
    "street": "1 rue X",
    "postal_code": "69003",
    "city": "Lyon",
    "phones": ("+33612345678",),
    "emails": ("jd@x.fr",),
}


class TestProtocol:
    """PersonRule is a MatchingRule named person, not deterministic."""

    def test_is_a_matching_rule(self) -> None:
        """The runtime-checkable protocol accepts it."""
        assert isinstance(RULE, MatchingRule)
        assert RULE.name == "person"
        assert RULE.deterministic is False

    def test_reprs_hold_no_values(self) -> None:
        """The rule's and a prepared record's reprs show settings and field names only."""
        rule = PersonRule(tf={"last_name": {"Zyskowski": 0.001}})
        person = prepared(rule, **DUPONT, emails=("jean.dupont@example.com",))
        for text in (repr(rule), repr(person)):
            assert "zyskowski" not in text.lower()
            assert "dupont" not in text.lower()
            assert "1980" not in text
        assert "last_name" in repr(person)


class TestPrepare:
    """prepare: folded values, a full-name fallback, None when too little is known."""

    def test_none_without_name_and_little_else(self) -> None:
        """No name and fewer than two other fields give None."""
        assert RULE.prepare(record()) is None
        assert RULE.prepare(record(phones=("+33612345678",))) is None
        assert RULE.prepare(record(city="Lyon", postal_code="69003", street="1 rue X")) is None

    def test_enough_without_a_name(self) -> None:
        """A birth date and a phone are enough without a name."""
        assert RULE.prepare(record(phones=("+33612345678",), birth_date="1980-05-03"))

    def test_a_name_is_enough(self) -> None:
        """A family name alone is enough."""
        person = prepared(last_name="Dupont")
        assert person.family == "dupont"

    @pytest.mark.parametrize(
        ("traits", "given", "family"),
        [
            ({"full_name": "Jean-Pierre  DUPONT"}, "jean", "pierre dupont"),
            ({"full_name": "Dupont"}, "", "dupont"),
            ({"first_name": "Jean", "full_name": "Jean de la Fontaine"}, "jean", "de la fontaine"),
            ({"last_name": "Fontaine", "full_name": "Jean Fontaine"}, "jean", "fontaine"),
            ({"first_name": "Jean", "last_name": "Dupont", "full_name": "X Y"}, "jean", "dupont"),
        ],
    )
    def test_full_name_fallback(self, traits: dict[str, str], given: str, family: str) -> None:
        """Missing names are taken from full_name, folded."""
        person = prepared(**traits)
        assert (person.given, person.family) == (given, family)

    def test_odd_values_are_missing(self) -> None:
        """Non-strings, blanks and unparsable dates count as missing."""
        person = prepared(
            first_name=42, last_name="Dupont", birth_date="03/05/1980", city=["Lyon"], street=" "
        )
        assert (person.given, person.birth, person.city, person.street) == ("", None, "", "")

    def test_enough_for_a_narrow_rule(self) -> None:
        """A rule that compares only birth dates prepares a record with only a birth date."""
        rule = PersonRule(fields=["birth_date"])
        assert rule.prepare(record(birth_date="1980-05-03")) is not None
        assert rule.prepare(record(first_name="Jean", city="Lyon")) is None

    def test_disabled_fields_are_not_read(self) -> None:
        """Only the rule's fields are prepared."""
        rule = PersonRule(fields=["last_name", "birth_date"])
        person = prepared(rule, **DUPONT, phones=("+33612345678",), city="Lyon")
        assert (person.given, person.city, person.phones) == ("", "", ())

    def test_email_local_part(self) -> None:
        """The e-mail's local part is kept, case-folded, without its +tag."""
        person = prepared(**DUPONT, emails=("Jean.Dupont+promo@example.com", "jd@x.org"))
        assert person.emails == ("jean.dupont", "jd")
        assert person.name_derived == (True, False)  # initials alone are not the names


class TestWorkedExamples:
    """The documented cases: twins, a mistyped record, swapped names, correlated evidence."""

    def test_twins_do_not_link(self) -> None:
        """Twins, one surname, birth date and town, other given names and e-mails: no link."""
        twin = {"last_name": "Durand", "birth_date": "1990-01-02", "postal_code": "69003"}
        a = prepared(**twin, first_name="Paul", city="Lyon", emails=("paul.durand@x.fr",))
        b = prepared(**twin, first_name="Luc", city="Lyon", emails=("luc.durand@x.fr",))
        evidence = compare(a, b)
        assert evidence.decision != "link"
        assert levels(evidence)["postal_code"] == "household"

    def test_siblings_under_one_roof_do_not_link(self) -> None:
        """Same surname and full address, other given names and birth dates: nothing."""
        home = {"last_name": "Durand", "street": "3 rue Pasteur", "postal_code": "69003"}
        a = prepared(**home, first_name="Paul", birth_date="1990-01-02")
        b = prepared(**home, first_name="Anne", birth_date="1993-07-12")
        assert compare(a, b).decision == "none"

    def test_mistyped_record_links_or_reviews(self) -> None:
        """Jean Dupont 1980-05-03 and Jean Dupond 1980-03-05, both in 75011: link or review."""
        a = prepared(**DUPONT, postal_code="75011")
        b = prepared(
            first_name="Jean", last_name="Dupond", birth_date="1980-03-05", postal_code="75011"
        )
        evidence = compare(a, b)
        assert evidence.decision in ("link", "review")
        assert levels(evidence) == {
            "first_name": "exact",
            "last_name": "jaro_winkler>=0.92",
            "birth_date": "day_month_swapped",
            "street": "null",
            "postal_code": "exact",
            "city": "null",
            "phone": "null",
            "email": "null",
        }

    def test_swapped_names(self) -> None:
        """Given and family names swapped reach the swapped level and, with a birth date, link."""
        a = prepared(**DUPONT)
        b = prepared(first_name="Dupont", last_name="Jean", birth_date="1980-05-03")
        evidence = compare(a, b)
        assert levels(evidence)["first_name"] == levels(evidence)["last_name"] == "swapped"
        assert part_weight(evidence, "first_name") > 0
        assert evidence.decision == "link"

    def test_name_derived_email_not_counted_twice(self) -> None:
        """A shared local part built from the names weighs 0: names alone decide."""
        names = {"first_name": "James", "last_name": "Smith"}
        a = prepared(**names, emails=("james.smith@gmail.com",))
        b = prepared(**names, emails=("james.smith@yahoo.com",))
        evidence = compare(a, b)
        assert levels(evidence)["email"] == "exact_name_derived"
        assert part_weight(evidence, "email") == 0.0
        assert evidence.weight == compare(prepared(**names), prepared(**names)).weight
        assert evidence.decision == "none"

    @pytest.mark.parametrize("local", ["jsmith", "smith.james", "smith_j", "james-smith"])
    def test_name_derived_shapes(self, local: str) -> None:
        """Full names in any order, or an initial with the family name, are name-derived."""
        names = {"first_name": "James", "last_name": "Smith"}
        a = prepared(**names, emails=(f"{local}@a.com",))
        b = prepared(**names, emails=(f"{local}@b.com",))
        assert levels(compare(a, b))["email"] == "exact_name_derived"

    def test_other_email_counts(self) -> None:
        """A shared local part not made of the names is strong evidence."""
        names = {"first_name": "James", "last_name": "Smith"}
        a = prepared(**names, emails=("blue.falcon77@gmail.com",))
        b = prepared(**names, emails=("blue.falcon77@yahoo.com",))
        evidence = compare(a, b)
        assert levels(evidence)["email"] == "exact"
        assert part_weight(evidence, "email") > 10
        assert evidence.decision == "link"

    def test_city_implied_by_postal_code(self) -> None:
        """An agreeing city adds nothing once the postal codes agree."""
        a = prepared(**DUPONT, postal_code="75011", city="Paris")
        b = prepared(**DUPONT, postal_code="75011", city="PARIS")
        assert levels(compare(a, b))["city"] == "implied_by_postal_code"

    def test_best_of_several_phones(self) -> None:
        """With several phones, the best pair decides the level."""
        a = prepared(**DUPONT, phones=("+33612345678", "+33199999999"))
        b = prepared(**DUPONT, phones=("+33700000000", "+33612345678"))
        c = prepared(**DUPONT, phones=("+4912345678",))
        assert levels(compare(a, b))["phone"] == "exact"
        assert levels(compare(a, c))["phone"] == "last_8_digits"

    def test_term_frequencies(self) -> None:
        """A shared rare surname weighs more than a shared Martin; unknown values keep the level."""
        rule = PersonRule(tf={"last_name": {"Martin": 0.02, "ZYSKOWSKI": 0.00002}})
        rare = compare(prepared(rule, last_name="Zyskowski"), prepared(rule, last_name="Zyskowski"))
        common = compare(prepared(rule, last_name="Martin"), prepared(rule, last_name="Martin"))
        other = compare(prepared(rule, last_name="Dupont"), prepared(rule, last_name="Dupont"))
        plain = compare(prepared(last_name="Martin"), prepared(last_name="Martin"))
        assert rare.weight > other.weight > common.weight
        assert other.weight == plain.weight
        assert part_weight(common, "last_name") >= 0.0

    def test_nothing_in_common_is_no_evidence(self) -> None:
        """No field known on both sides gives None."""
        a = prepared(first_name="Jean", last_name="Dupont")
        b = prepared(birth_date="1980-05-03", phones=("+33612345678",))
        assert RULE.compare(a, b) is None

    def test_decision_follows_thresholds(self) -> None:
        """The decision is link, review or none by the probability of the weight."""
        a, b = prepared(**DUPONT, postal_code="75011"), prepared(**DUPONT, postal_code="75011")
        evidence = compare(a, b)
        assert evidence.decision == "link"
        assert evidence.probability >= RULE.link_threshold
        strict = PersonRule(link_threshold=1 - 1e-15, review_threshold=0.5)
        assert compare(a, b, strict).decision in ("review", "none")


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

ODD = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=3), max_size=2),
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "1980-02-30", "0000-00-00", "1980-13-01", "\uff12\uff10\uff10\uff10-01-01"]
    ),
)
NAMEISH = st.sampled_from(["Jean", "Jeanne", "Dupont", "Dupond", "Martin", "O'Brien", "Zoë", ""])
DATEISH = st.sampled_from(["1980-05-03", "1980-03-05", "1980-05-04", "1908-05-03", "2001-12-31"])


@st.composite
def records(draw: st.DrawFn, odd: bool = False) -> Record:
    """Records over a small pool of values (so they collide), optionally with odd ones."""
    value = st.one_of(NAMEISH, ODD) if odd else NAMEISH
    traits = {
        "first_name": draw(value),
        "last_name": draw(value),
        "full_name": draw(st.one_of(st.none(), st.sampled_from(["Jean Dupont", "Dupont"]))),
        "birth_date": draw(st.one_of(DATEISH, ODD) if odd else DATEISH),
        "street": draw(st.sampled_from(["1 rue X", "1 Rue X.", "2 rue Y", ""])),
        "postal_code": draw(st.one_of(st.sampled_from(["75011", "75012", "69003"]), ODD)),
        "city": draw(st.one_of(st.sampled_from(["Paris", "PARIS", "Lyon"]), ODD)),
    }
    traits = {k: v for k, v in traits.items() if draw(st.booleans())}
    phones = draw(st.lists(st.sampled_from(["+33612345678", "+4412345678", "+33700000001"])))
    emails = draw(
        st.lists(st.sampled_from(["jean.dupont@a.fr", "jdupont@b.com", "zz@c.de", "+x@d.e"]))
    )
    return record(tuple(phones), tuple(emails), **traits)


def _prepared_pair(rule: PersonRule, a: Record, b: Record) -> tuple[Any, Any]:
    return rule.prepare(a), rule.prepare(b)


class TestProperties:
    """Invariants: symmetry, robustness, no values in evidence."""

    @given(records(), records())
    def test_symmetric(self, a: Record, b: Record) -> None:
        """compare(a, b) and compare(b, a) give the same weight, decision and parts."""
        pa, pb = _prepared_pair(RULE, a, b)
        if pa is None or pb is None:
            return
        ab, ba = RULE.compare(pa, pb), RULE.compare(pb, pa)
        assert ab == ba

    @given(records(odd=True), records(odd=True))
    def test_never_raises_on_odd_traits(self, a: Record, b: Record) -> None:
        """Odd types, blanks and weird dates never make prepare, keys or compare raise."""
        pa, pb = _prepared_pair(RULE, a, b)
        for p in (pa, pb):
            if p is not None:
                assert all(isinstance(k, str) for k in RULE.blocking_keys(p))
        if pa is not None and pb is not None:
            evidence = RULE.compare(pa, pb)
            assert evidence is None or math.isfinite(evidence.weight)

    @given(records(), records())
    def test_parts_name_levels_only(self, a: Record, b: Record) -> None:
        """Every part names a known field and level, once per field, in order."""
        pa, pb = _prepared_pair(RULE, a, b)
        if pa is None or pb is None:
            return
        evidence = RULE.compare(pa, pb)
        if evidence is None:
            return
        assert [p.field for p in evidence.parts] == list(FIELDS)
        assert all(p.level in LEVELS[p.field] for p in evidence.parts)
        prior_weight = math.log2(RULE.prior / (1 - RULE.prior))
        assert evidence.weight == pytest.approx(
            prior_weight + sum(p.weight for p in evidence.parts)
        )

    @given(records())
    def test_self_comparison_is_not_against(self, a: Record) -> None:
        """A record compared with itself never weighs against a match field by field."""
        pa = RULE.prepare(a)
        if pa is None:
            return
        evidence = RULE.compare(pa, pa)
        assert evidence is not None
        assert all(p.weight >= 0 for p in evidence.parts)


class TestBlockingKeys:
    """blocking_keys: tagged equality keys that true pairs share."""

    def test_keys(self) -> None:
        """A full record gives one key of each tag, on normalized values."""
        person = prepared(
            **DUPONT,
            postal_code="75 011",
            phones=("+33612345678",),
            emails=("jean.dupont@x.fr", "jd@y.fr"),
        )
        assert RULE.blocking_keys(person) == [
            "fb:dpnt|1980-05-03",
            "gb:jn|1980-05-03",
            "nm:dupont|jean",
            "bp:1980-05-03|75011",
            "fp:dpnt|75011",
            "em:jean.dupont",
            "ph:12345678",
        ]

    def test_no_keys_on_missing_values(self) -> None:
        """A family name alone gives no key; keys never hold an empty part."""
        assert RULE.blocking_keys(prepared(last_name="Dupont")) == []

    @pytest.mark.parametrize(
        "variant",
        [
            {"first_name": "Jean", "last_name": "Dupond", "birth_date": "1980-05-03"},
            {"first_name": "Jean", "last_name": "Martin", "birth_date": "1980-05-03"},
            {"first_name": "Dupont", "last_name": "Jean"},
            {"first_name": "Jean", "last_name": "Dupont", "birth_date": "1980-03-05"},
            {"first_name": "Jeanne", "last_name": "Dupont", "postal_code": "75011"},
            {"first_name": "J", "last_name": "Dupond", "emails": ("jean.dupont@other.org",)},
            {"last_name": "X", "phones": ("+33712345678",)},
        ],
    )
    def test_variants_share_a_key(self, variant: dict[str, Any]) -> None:
        """Typos, a new surname, swapped names, a swapped date, another domain: a shared key."""
        original = prepared(
            **DUPONT, postal_code="75011", emails=("jean.dupont@x.fr",), phones=("+33612345678",)
        )
        assert set(RULE.blocking_keys(original)) & set(RULE.blocking_keys(prepared(**variant)))


class TestConfiguration:
    """Bad settings raise ConfigurationError naming the setting, never a value."""

    @pytest.mark.parametrize(
        ("options", "setting"),
        [
            ({"link_threshold": 1.0}, "link_threshold"),
            ({"link_threshold": 0}, "link_threshold"),
            ({"link_threshold": float("nan")}, "link_threshold"),
            ({"review_threshold": -0.1}, "review_threshold"),
            ({"review_threshold": "0.8"}, "review_threshold"),
            ({"prior": True}, "prior"),
            ({"prior": 1.5}, "prior"),
            ({"review_threshold": 0.995}, "review_threshold"),
            ({"fields": ["last_name", "shoe_size"]}, "fields"),
            ({"fields": []}, "fields"),
            ({"fields": "last_name"}, "fields"),
            ({"m": {"last_name": {"exact": 1.0}}}, "m['last_name']['exact']"),
            ({"u": {"last_name": {"exact": 0}}}, "u['last_name']['exact']"),
            ({"m": {"last_name": {"null": 0.5}}}, "unknown level"),
            ({"m": {"shoe_size": {"exact": 0.5}}}, "unknown field"),
            ({"m": ["exact"]}, "m must map"),
            ({"tf": {"birth_date": {"1980-05-03": 0.1}}}, "tf"),
            ({"tf": {"last_name": {"Zyskowski": 2.0}}}, "tf['last_name']"),
            ({"tf": {"last_name": {"Zyskowski": "often"}}}, "tf['last_name']"),
            ({"tf_minimum_u": 0.0}, "tf_minimum_u"),
        ],
    )
    def test_errors(self, options: dict[str, Any], setting: str) -> None:
        """Each bad setting is named in the message."""
        with pytest.raises(ConfigurationError, match=None) as caught:
            PersonRule(**options)
        assert setting in str(caught.value)
        assert "Zyskowski" not in str(caught.value)
        assert isinstance(caught.value, ValueError)

    def test_overrides_keep_other_defaults(self) -> None:
        """Overriding one probability keeps the other defaults."""
        rule = PersonRule(m={"last_name": {"exact": 0.7}})
        assert rule.m["last_name"]["exact"] == 0.7
        assert rule.m["first_name"] == RULE.m["first_name"]
        assert rule != RULE

    def test_from_dict_rejects_unknown_settings(self) -> None:
        """An unknown key in a serialized rule is an error."""
        with pytest.raises(ConfigurationError, match="colour"):
            PersonRule.from_dict({**RULE.to_dict(), "colour": "blue"})

    def test_fit_options(self) -> None:
        """fit refuses fewer than two records and non-positive options."""
        with pytest.raises(ConfigurationError):
            RULE.fit([prepared(**DUPONT), None])
        with pytest.raises(ConfigurationError):
            RULE.fit([prepared(**DUPONT)] * 2, max_pairs=0)


PROBABILITIES = st.floats(min_value=1e-6, max_value=0.999, allow_nan=False)


class TestSerialization:
    """to_dict and from_dict round-trip through JSON."""

    @given(
        st.fixed_dictionaries(
            {
                "prior": PROBABILITIES,
                "m": st.dictionaries(
                    st.just("last_name"),
                    st.dictionaries(st.sampled_from(["exact", "phonetic"]), PROBABILITIES),
                ),
                "tf": st.dictionaries(
                    st.sampled_from(["last_name", "city"]),
                    st.dictionaries(st.sampled_from(["Martin", "Lyon", "Zoë"]), PROBABILITIES),
                ),
                "fields": st.sets(st.sampled_from(FIELDS), min_size=1),
            }
        )
    )
    def test_round_trip(self, options: dict[str, Any]) -> None:
        """from_dict(json(to_dict())) gives an equal rule with equal weights."""
        rule = PersonRule(**options)
        data = json.loads(json.dumps(rule.to_dict()))
        again = PersonRule.from_dict(data)
        assert again == rule
        assert again.to_dict() == rule.to_dict()
        a = prepared(rule, **FULL)
        assert again.compare(a, a) == rule.compare(a, a)


# --------------------------------------------------------------------------
# fitting on a generated population with known truth
# --------------------------------------------------------------------------

GIVEN = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Anne", "Paul", "Julie", "Louis", "Claire"]
GIVEN += ["Thomas", "Camille", "Hugo", "Léa", "Antoine", "Chloé", "James", "Mary", "Hans", "Lucía"]
FAMILY = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
FAMILY += ["Müller", "Schmidt", "Smith", "García"]
FAMILY += [f"Zy{c}{v}ski" for c in "bcdfghklmnprstv" for v in "aeiou"]
STREETS = ["rue de la Paix", "avenue Foch", "rue Victor Hugo", "boulevard Voltaire", "rue Pasteur"]
TOWNS = [("Paris", "750"), ("Lyon", "690"), ("Lille", "590"), ("Nantes", "440")]


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text))
    return text[:i] + rng.choice("aeilnrst") + text[i + 1 :]


def _person(rng: random.Random, i: int) -> dict[str, Any]:
    given = rng.choices(GIVEN, weights=[1 / (k + 1) for k in range(len(GIVEN))])[0]
    family = rng.choices(FAMILY, weights=[1 / (k + 1) ** 0.7 for k in range(len(FAMILY))])[0]
    town, prefix = rng.choice(TOWNS)
    local = f"{given}.{family}".lower() if rng.random() < 0.5 else f"u{i}k{rng.randrange(99)}"
    return {
        "first_name": given,
        "last_name": family,
        "birth_date": date(
            rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        ).isoformat(),
        "street": f"{rng.randint(1, 99)} {rng.choice(STREETS)}",
        "postal_code": f"{prefix}{rng.randint(1, 20):02d}",
        "city": town,
        "phones": (f"+336{rng.randrange(10**8):08d}",),
        "emails": (f"{local}@{rng.choice(['gmail.com', 'yahoo.fr'])}",),
    }


def _noisy(rng: random.Random, person: dict[str, Any]) -> dict[str, Any]:
    out = dict(person)
    for name in ("first_name", "last_name"):
        if rng.random() < 0.2:
            out[name] = _typo(rng, out[name])
    if rng.random() < 0.2:
        out["street"] = f"{rng.randint(1, 99)} {rng.choice(STREETS)}"
    if rng.random() < 0.3:
        out["phones"] = (f"+336{rng.randrange(10**8):08d}",)
    if rng.random() < 0.3:
        out["emails"] = (out["emails"][0].split("@")[0] + "@other.org",)
    return {k: v for k, v in out.items() if rng.random() > 0.15}


def population(size: int, seed: int) -> tuple[list[int], list[Record]]:
    """Records of *size* people, about half of them seen twice or more, with their truth."""
    rng = random.Random(seed)
    truth, out = [], []
    for i in range(size):
        person = _person(rng, i)
        copies = [person]
        while rng.random() < 0.5:
            copies.append(_noisy(rng, person))
        for copy in copies:
            truth.append(i)
            out.append(record(**copy))
    return truth, out


def scores(rule: PersonRule, truth: list[int], recs: list[Record]) -> tuple[float, float]:
    """Pairwise precision and recall of the links among blocked candidate pairs."""
    prepared_records = [rule.prepare(r) for r in recs]
    index: dict[Any, list[int]] = {}
    for i, p in enumerate(prepared_records):
        for key in rule.blocking_keys(p) if p is not None else ():
            index.setdefault(key, []).append(i)
    pairs = {
        (a, b) for block in index.values() for n, a in enumerate(block) for b in block[n + 1 :]
    }
    true_pairs = sum(
        1 for a in range(len(truth)) for b in range(a + 1, len(truth)) if truth[a] == truth[b]
    )
    hits = misses = 0
    for a, b in pairs:
        pa, pb = prepared_records[a], prepared_records[b]
        assert pa is not None
        assert pb is not None
        evidence = rule.compare(pa, pb)
        if evidence is not None and evidence.decision == "link":
            hits += truth[a] == truth[b]
            misses += truth[a] != truth[b]
    return hits / max(1, hits + misses), hits / true_pairs


@pytest.fixture(scope="module")
def world() -> tuple[list[int], list[Record], PersonRule]:
    """A generated population and the rule fitted on it."""
    truth, recs = population(700, seed=7)
    fitted = RULE.fit([RULE.prepare(r) for r in recs], max_pairs=60_000, seed=1)
    return truth, recs, fitted


class TestFit:
    """fit: unsupervised estimation that recovers known parameters, deterministically."""

    def test_recovers_parameters(self, world: tuple[list[int], list[Record], PersonRule]) -> None:
        """m(exact last name) comes out high and u(exact last name) low; λ near the truth."""
        truth, _, fitted = world
        assert fitted.m["last_name"]["exact"] > 0.6
        assert fitted.u["last_name"]["exact"] < 0.1
        assert fitted.m["birth_date"]["exact"] > 0.8
        n = len(truth)
        true_pairs = sum(truth.count(t) * (truth.count(t) - 1) / 2 for t in set(truth))
        assert (
            true_pairs / (n * (n - 1) / 2) / 3 < fitted.prior < 3 * true_pairs / (n * (n - 1) / 2)
        )

    def test_keeps_or_improves_precision(
        self, world: tuple[list[int], list[Record], PersonRule]
    ) -> None:
        """The fitted rule is at least as precise as the untrained one, and still finds pairs."""
        truth, recs, fitted = world
        precision_before, _ = scores(RULE, truth, recs)
        precision_after, recall_after = scores(fitted, truth, recs)
        assert precision_after >= max(precision_before, 0.95)
        assert recall_after >= 0.8

    def test_term_frequencies_counted(
        self, world: tuple[list[int], list[Record], PersonRule]
    ) -> None:
        """Term-frequency tables come from the records and sum to one."""
        _, _, fitted = world
        assert set(fitted.tf) == {"first_name", "last_name", "postal_code", "city"}
        assert math.fsum(fitted.tf["last_name"].values()) == pytest.approx(1.0)
        assert fitted.tf["last_name"]["martin"] > fitted.tf["last_name"]["zybaski"]

    def test_deterministic(self, world: tuple[list[int], list[Record], PersonRule]) -> None:
        """The same records and seed give the same rule; the original is unchanged."""
        _, recs, fitted = world
        again = RULE.fit([RULE.prepare(r) for r in recs], max_pairs=60_000, seed=1)
        assert again == fitted
        assert again.to_dict() == fitted.to_dict()
        assert PersonRule() == RULE

    def test_narrow_rule_keeps_other_parameters(
        self, world: tuple[list[int], list[Record], PersonRule]
    ) -> None:
        """Fitting a rule on some fields leaves the other fields' parameters and thresholds."""
        _, recs, _ = world
        rule = PersonRule(
            fields=["last_name", "birth_date", "postal_code"],
            m={"phone": {"exact": 0.3}},
            link_threshold=0.95,
        )
        fitted = rule.fit([rule.prepare(r) for r in recs], max_pairs=20_000)
        assert fitted.m["phone"] == rule.m["phone"]
        assert fitted.u["first_name"] == rule.u["first_name"]
        assert fitted.m["last_name"] != rule.m["last_name"]
        assert set(fitted.tf) == {"last_name", "postal_code"}
        assert (fitted.link_threshold, fitted.fields) == (0.95, rule.fields)

    @given(st.integers(0, 2**32))
    def test_deterministic_small(self, seed: int) -> None:
        """On a small population, fit is a function of the records and the seed."""
        _, recs = population(25, seed=3)
        prepared_records = [RULE.prepare(r) for r in recs]
        first = RULE.fit(prepared_records, max_pairs=100, seed=seed, max_iterations=5)
        assert first == RULE.fit(prepared_records, max_pairs=100, seed=seed, max_iterations=5)

    def test_fitted_parameters_are_valid(
        self, world: tuple[list[int], list[Record], PersonRule]
    ) -> None:
        """Every fitted probability is strictly between 0 and 1 and the rule round-trips."""
        _, _, fitted = world
        for table in (fitted.m, fitted.u):
            assert all(0 < p < 1 for levels in table.values() for p in levels.values())
        assert 0 < fitted.prior < 1
        assert PersonRule.from_dict(json.loads(json.dumps(fitted.to_dict()))) == fitted
