"""The built-in probabilistic ``person`` rule: Fellegi-Sunter over names, birth date, address.

Each compared field reaches a *comparison level* (null → exact → fuzzy → else,
as in Splink); each level has an ``m`` probability (of being reached by two
records of one person) and a ``u`` probability (by two records of different
people), and weighs ``log2(m / u)``. The total weight is the prior
``log2(λ / (1 - λ))`` plus the fields' weights; its probability decides:
``link``, ``review`` or ``none``. ``λ`` is, as in Splink, the probability that
two records drawn at random are one person, so the total is a posterior
whatever the blocking. The defaults suit an untrained CRM of about 10⁵
records; :meth:`PersonRule.fit` estimates everything from the data.

Fellegi-Sunter assumes the fields independent. Where they plainly are not, the
rule counts the evidence once (the level weighs 0, and says why):

- ``exact_name_derived`` / ``fuzzy_name_derived`` (e-mail): the local parts
  agree but are built from the names (``james.smith``, ``jsmith``), which
  already counted. Counting both is why Splink's precision collapses at scale:
  namesakes collect the same evidence twice, and their number grows with the
  square of the population;
- ``implied_by_postal_code`` (city): the postal codes agree, so the city does too;
- ``household`` (street, postal code, city): the family names agree and the
  given names do not, or one is unknown: the pattern of relatives living
  together (twins, siblings, spouses), whom a surname and an address cannot
  tell apart; then a shared address is expected either way, and the family
  name gets no term-frequency boost.

Term frequencies: with a table of value frequencies, an exact level on first
name, last name, street, postal code or city weighs ``log2(m / f)`` where ``f``
is the value's frequency (clamped to ``[tf_minimum_u, m]``; a value not in the
table keeps the level's ``u``), so a shared ``Martin`` counts less than a
shared rare name.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import attrs

from omnicontact.errors import ConfigurationError
from omnicontact.matching import em
from omnicontact.matching.compare import parse_iso_date, phonetic_of_folded
from omnicontact.matching.person_levels import (
    FIELDS,
    LEVELS,
    PARAMETRIC,
    PreparedPerson,
    comparison_levels,
    email_local,
    exact_part,
    from_name,
    name_derived,
    phone_tail,
    postal_key,
    text_key,
)
from omnicontact.matching.person_params import (
    check_fields,
    check_link_threshold,
    check_m,
    check_prior,
    check_review_threshold,
    check_tf,
    check_tf_minimum_u,
    check_u,
)
from omnicontact.matching.rules import Decision, Evidence, EvidencePart, Record, probability

__all__ = ["FIELDS", "LEVELS", "PersonRule", "PreparedPerson"]

_TF_INDEXES = frozenset({0, 1, 3, 4, 5})  # first_name, last_name, street, postal_code, city
# Each blocking key's tag, and the fields it is made of (left out of its EM session).
_SESSIONS = {
    tag: frozenset(FIELDS.index(f) for f in fields)
    for tag, fields in {
        "fb": ("last_name", "birth_date"),
        "gb": ("first_name", "birth_date"),
        "nm": ("first_name", "last_name"),
        "bp": ("birth_date", "postal_code", "city", "street"),
        "fp": ("last_name", "postal_code", "city", "street"),
        "em": ("email", "first_name", "last_name"),
        "ph": ("phone",),
    }.items()
}
_SERIALIZED = (
    "link_threshold",
    "review_threshold",
    "prior",
    "fields",
    "m",
    "u",
    "tf",
    "tf_minimum_u",
)


@attrs.frozen(kw_only=True, repr=False)
class PersonRule:
    """Fellegi-Sunter matching of person records; see the module docstring.

    :param link_threshold: the match probability from which evidence asks for
        a link (default 0.99: a merge is costly to undo).
    :param review_threshold: from which it asks for a human review (default 0.80).
    :param prior: ``λ``, the probability that two random records are one
        person (default 1e-5: a CRM of about 10⁵ records, each seen twice).
    :param fields: the fields compared, among :data:`FIELDS` (default all).
    :param m: overrides of ``m`` probabilities, ``{field: {level: p}}``; the
        rest keep the defaults (priors that work untrained).
    :param u: overrides of ``u`` probabilities, likewise.
    :param tf: term-frequency tables ``{field: {value: frequency}}`` for
        first_name, last_name, street, postal_code, city; values are keyed by
        their comparison form (folded).
    :param tf_minimum_u: the lowest frequency a term counts with (default 1e-5).
    :raises ConfigurationError: naming the bad setting.
    """

    name: ClassVar[str] = "person"
    deterministic: ClassVar[bool] = False

    link_threshold: float = attrs.field(default=0.99, converter=check_link_threshold)
    review_threshold: float = attrs.field(default=0.80, converter=check_review_threshold)
    prior: float = attrs.field(default=1e-5, converter=check_prior)
    fields: tuple[str, ...] = attrs.field(default=FIELDS, converter=check_fields)
    m: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict, converter=check_m)
    u: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict, converter=check_u)
    tf: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict, converter=check_tf)
    tf_minimum_u: float = attrs.field(default=1e-5, converter=check_tf_minimum_u)

    _enabled: tuple[int, ...] = attrs.field(init=False, eq=False)
    _parts: tuple[tuple[EvidencePart, ...], ...] = attrs.field(init=False, eq=False)
    _tf_parts: Mapping[str, Mapping[str, EvidencePart]] = attrs.field(init=False, eq=False)
    _prior_weight: float = attrs.field(init=False, eq=False)
    _enough: int = attrs.field(init=False, eq=False)
    _needs_traits: bool = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.review_threshold > self.link_threshold:
            raise ConfigurationError("review_threshold must not exceed link_threshold")
        parts = []
        for field in FIELDS:
            weights = {
                level: math.log2(self.m[field][level] / self.u[field][level])
                for level in PARAMETRIC[field]
            }
            parts.append(
                tuple(
                    EvidencePart(field, level, weights.get(level, 0.0)) for level in LEVELS[field]
                )
            )
        tf_parts: dict[str, dict[str, EvidencePart]] = {}
        for field, table in self.tf.items():
            m = self.m[field]["exact"]
            tf_parts[field] = {
                value: EvidencePart(
                    field, "exact", math.log2(m / min(max(f, self.tf_minimum_u), m))
                )
                for value, f in table.items()
            }
        object.__setattr__(self, "_enabled", tuple(FIELDS.index(f) for f in self.fields))
        object.__setattr__(self, "_parts", tuple(parts))
        object.__setattr__(self, "_tf_parts", tf_parts)
        object.__setattr__(self, "_prior_weight", math.log2(self.prior / (1.0 - self.prior)))
        groups = {"birth_date", "street", "postal_code", "city", "phone", "email"} & set(
            self.fields
        )
        groups = {"address" if g in ("street", "postal_code", "city") else g for g in groups}
        object.__setattr__(self, "_enough", max(1, min(2, len(groups))))
        person_fields = {"first_name", "last_name", "birth_date", "street", "postal_code", "city"}
        object.__setattr__(self, "_needs_traits", bool(person_fields & set(self.fields)))

    def __repr__(self) -> str:
        tf = {field: len(table) for field, table in self.tf.items()}
        return (
            f"PersonRule(link_threshold={self.link_threshold!r}, "
            f"review_threshold={self.review_threshold!r}, prior={self.prior!r}, "
            f"fields={self.fields!r}, tf_sizes={tf!r})"
        )

    # ------------------------------------------------------------------
    # the MatchingRule protocol
    # ------------------------------------------------------------------

    def prepare(self, record: Record) -> PreparedPerson | None:
        """Return the comparable form of *record*, or ``None`` when it has too little.

        Reads the traits ``first_name``, ``last_name`` (else split from
        ``full_name``: first word given name, the rest family name; one word
        is a family name), ``birth_date``, ``street``, ``postal_code``,
        ``city``, and the ``phone`` and ``email`` identifiers. Values that are
        not strings, are blank, or (dates) are not ISO ``YYYY-MM-DD`` are missing.

        ``None`` when the record has no name and fewer than two of: birth
        date, address (street, postal code or city), phone, e-mail. Only the
        rule's :attr:`fields` count (a rule that compares only one of these,
        and no name, needs that one). Also ``None`` when it says nothing
        about the person but identifiers (no name, birth date or address,
        when the rule compares any of them): identifiers alone are for the
        ``shared_identifier`` rule, and comparing them costs time for nothing.
        """
        on = self.fields
        traits = record.traits
        if not traits and self._needs_traits:
            return None  # identifiers alone are the shared_identifier rule's business
        given = text_key(traits.get("first_name")) if "first_name" in on else ""
        family = text_key(traits.get("last_name")) if "last_name" in on else ""
        if (not given or not family) and ("first_name" in on or "last_name" in on):
            given, family = from_name(given, family, text_key(traits.get("full_name")), on)
        birth = parse_iso_date(traits.get("birth_date")) if "birth_date" in on else None
        street = text_key(traits.get("street")) if "street" in on else ""
        postal = postal_key(traits.get("postal_code")) if "postal_code" in on else ""
        city = text_key(traits.get("city")) if "city" in on else ""
        phones: tuple[str, ...] = ()
        if "phone" in on:
            phones = tuple(dict.fromkeys(p for p in record.identifier_values("phone") if p))
        emails: tuple[str, ...] = ()
        if "email" in on:
            locals_ = (email_local(e) for e in record.identifier_values("email"))
            emails = tuple(dict.fromkeys(e for e in locals_ if e))
        others = (birth is not None) + bool(street or postal or city) + bool(phones) + bool(emails)
        if not (given or family) and others < self._enough:
            return None
        if self._needs_traits and not (given or family or birth or street or postal or city):
            return None
        tf = self._tf_parts
        return PreparedPerson(
            given=given,
            given_key=phonetic_of_folded(given),
            family=family,
            family_key=phonetic_of_folded(family),
            birth=birth,
            street=street,
            postal=postal,
            city=city,
            phones=phones,
            phone_tails=tuple(dict.fromkeys(t for t in map(phone_tail, phones) if t)),
            emails=emails,
            name_derived=tuple(name_derived(e, given, family) for e in emails),
            given_exact=tf["first_name"].get(given) if "first_name" in tf else None,
            family_exact=tf["last_name"].get(family) if "last_name" in tf else None,
            street_exact=tf["street"].get(street) if "street" in tf else None,
            postal_exact=tf["postal_code"].get(postal) if "postal_code" in tf else None,
            city_exact=tf["city"].get(city) if "city" in tf else None,
        )

    def blocking_keys(self, prepared: PreparedPerson) -> list[Hashable]:
        """Return the equality keys of *prepared*; records sharing one are compared.

        - ``fb:`` phonetic family name + birth date (typos in names);
        - ``gb:`` phonetic given name + birth date (a new family name, after a marriage);
        - ``nm:`` folded given and family names, in sorted order (no birth
          date; swapped names too);
        - ``bp:`` birth date + postal code (both names changed or mistyped);
        - ``fp:`` phonetic family name + postal code (no birth date);
        - ``em:`` each e-mail local part of 3 characters or more (another domain);
        - ``ph:`` each phone's last 8 digits (another country code or prefix).

        Keys on a missing value are left out.
        """
        p = prepared
        birth = "{:04d}-{:02d}-{:02d}".format(*p.birth) if p.birth else ""
        keys: list[Hashable] = []
        if p.family_key and birth:
            keys.append(f"fb:{p.family_key}|{birth}")
        if p.given_key and birth:
            keys.append(f"gb:{p.given_key}|{birth}")
        if p.given and p.family:
            keys.append("nm:" + "|".join(sorted((p.given, p.family))))
        if birth and p.postal:
            keys.append(f"bp:{birth}|{p.postal}")
        if p.family_key and p.postal:
            keys.append(f"fp:{p.family_key}|{p.postal}")
        keys.extend(f"em:{e}" for e in p.emails if len(e) >= 3)
        keys.extend(f"ph:{t}" for t in p.phone_tails)
        return keys

    def compare(self, a: PreparedPerson, b: PreparedPerson) -> Evidence | None:
        """Return the evidence that *a* and *b* are one person, or ``None``.

        ``None`` when no field has a value on both sides. Symmetric: the same
        weight and decision either way. Parts name each compared field's level
        (null ones included), never a value.
        """
        levels = comparison_levels(a, b)
        table = self._parts
        total = self._prior_weight
        parts = []
        compared = False
        for k in self._enabled:
            level = levels[k]
            part = table[k][level]
            if level:
                compared = True
                if level == 1 and k in _TF_INDEXES:
                    part = exact_part(a, k, levels) or part
            total += part.weight
            parts.append(part)
        if not compared:
            return None
        p = probability(total)
        decision: Decision = (
            "link"
            if p >= self.link_threshold
            else "review"
            if p >= self.review_threshold
            else "none"
        )
        return Evidence(rule="person", weight=total, decision=decision, parts=tuple(parts))

    # ------------------------------------------------------------------
    # training and serialization
    # ------------------------------------------------------------------

    def fit(
        self,
        prepared_records: Sequence[PreparedPerson | None],
        *,
        max_pairs: int = 200_000,
        seed: int = 0,
        max_iterations: int = 100,
        tolerance: float = 1e-5,
    ) -> PersonRule:
        """Return a new rule with parameters estimated from *prepared_records*, unsupervised.

        Splink-style (see :func:`omnicontact.matching.em.fit_parameters`):
        ``u`` from up to *max_pairs* random pairs; ``m`` by expectation
        maximisation over the pairs that share a blocking key, one session
        per key tag with the tag's own fields left out (they agree by
        construction, matches or not), up to *max_pairs* pairs each; ``λ``
        from the estimated number of matching candidate pairs over all pairs
        (kept when no pair shares a key); ``u`` is then cleared of the matches
        among the random pairs and the estimation runs once more.
        Term-frequency tables (first name, last name, postal code, city) are
        counted from the records. Fields outside :attr:`fields` keep their
        parameters; thresholds are kept.

        Deterministic for given records (in a given order) and *seed*. The
        records should come from this rule's :meth:`prepare`; ``None`` ones are
        skipped. A rule that has term frequencies prepares records differently:
        prepare them again with the new rule.

        :raises ConfigurationError: when fewer than two records are given, or
            an option is not positive.
        """
        if max_pairs < 1 or max_iterations < 1 or not tolerance > 0:
            raise ConfigurationError("fit: max_pairs, max_iterations and tolerance must be > 0")
        records = [r for r in prepared_records if isinstance(r, PreparedPerson)]
        n = len(records)
        if n < 2:
            raise ConfigurationError("fit needs at least two prepared records")
        m, u, lam = em.fit_parameters(
            n,
            lambda i, j: comparison_levels(records[i], records[j]),
            [frozenset(map(str, self.blocking_keys(r))) for r in records],
            _SESSIONS,
            m=[[self.m[f][level] for level in PARAMETRIC[f]] for f in FIELDS],
            u=[[self.u[f][level] for level in PARAMETRIC[f]] for f in FIELDS],
            max_pairs=max_pairs,
            rng=random.Random(seed),
            max_iterations=max_iterations,
            tolerance=tolerance,
        )
        prior = min(max(lam, 1e-12), 0.5) if lam > 0 else self.prior
        tf = em.tf_tables(
            {
                "first_name": (r.given for r in records),
                "last_name": (r.family for r in records),
                "postal_code": (r.postal for r in records),
                "city": (r.city for r in records),
            }
        )
        on = [FIELDS.index(f) for f in self.fields]
        return attrs.evolve(
            self,
            prior=prior,
            m={**self.m, **_as_table(m, on)},
            u={**self.u, **_as_table(u, on)},
            tf={**self.tf, **{f: t for f, t in tf.items() if f in self.fields}},
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the rule's parameters as plain JSON-friendly data (see :meth:`from_dict`)."""
        return {
            "link_threshold": self.link_threshold,
            "review_threshold": self.review_threshold,
            "prior": self.prior,
            "fields": list(self.fields),
            "m": {f: dict(levels) for f, levels in self.m.items()},
            "u": {f: dict(levels) for f, levels in self.u.items()},
            "tf": {f: dict(table) for f, table in self.tf.items()},
            "tf_minimum_u": self.tf_minimum_u,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PersonRule:
        """Return the rule :meth:`to_dict` described.

        :raises ConfigurationError: on an unknown key or a bad setting.
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError("PersonRule.from_dict needs a mapping")
        unknown = set(data) - set(_SERIALIZED)
        if unknown:
            raise ConfigurationError(f"PersonRule: unknown setting(s) {sorted(map(str, unknown))}")
        return cls(**{key: data[key] for key in _SERIALIZED if key in data})


def _as_table(table: em.Table, fields: Iterable[int]) -> dict[str, dict[str, float]]:
    return {FIELDS[k]: dict(zip(PARAMETRIC[FIELDS[k]], table[k], strict=True)) for k in fields}
