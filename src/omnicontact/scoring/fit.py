"""The ``fit`` strategy: how well a contact matches the profile a brand wants.

Rules on traits and identifier kinds, each worth points; the total maps to a
grade from A to D (as Pardot grades prospects). Rules look at trait *values*
but the breakdown names only the trait and the rule, never the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import attrs

from omnicontact.errors import ConfigurationError
from omnicontact.scoring.base import Contribution, Score, Subject, _PopulationFree

__all__ = ["DEFAULT_FIT_RULES", "DEFAULT_GRADES", "SENIOR_TITLE", "FitRule", "FitStrategy"]

SENIOR_TITLE = (
    r"\b(chief|c[eofimt]o|vp|vice[ -]president|president|director|head|founder|owner|"
    r"partner|manager)\b"
)
"""The default pattern of a senior ``job_title`` (matched case-insensitively)."""


def _present(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return not (hasattr(value, "__len__") and len(value) == 0)


def _fold(value: object) -> object:
    return value.strip().casefold() if isinstance(value, str) else value


@attrs.frozen
class FitRule:
    """One fit rule: a test on a trait's value, or on the presence of an identifier kind.

    Build rules with the named constructors (:meth:`has_identifier`,
    :meth:`has_trait`, :meth:`trait_in`, :meth:`trait_matches`,
    :meth:`trait_test`).

    :param source: ``"trait:<name>"`` or ``"identifier:<kind>"``.
    :param test: called with the trait's value (``None`` when the contact has
        no such trait) or, for an identifier rule, with whether the kind is
        present; returns whether the rule holds.
    :param points: what the rule adds when it holds (may be negative).
    :param description: what the rule checks, in words, for the breakdown.
    """

    source: str = attrs.field()
    test: Callable[[Any], bool]
    points: float = attrs.field()
    description: str

    @source.validator
    def _check_source(self, _attribute: object, value: str) -> None:
        if not (isinstance(value, str) and value.startswith(("trait:", "identifier:"))):
            raise ConfigurationError(
                "fit rule source: must be 'trait:<name>' or 'identifier:<kind>'"
            )

    @points.validator
    def _check_points(self, _attribute: object, value: float) -> None:
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigurationError("fit rule points: must be a finite number")

    @classmethod
    def has_identifier(cls, kind: str, points: float, description: str = "") -> FitRule:
        """Hold when a touchpoint of the contact carries an identifier of *kind*."""
        return cls(f"identifier:{kind}", bool, points, description or f"has an {kind} identifier")

    @classmethod
    def has_trait(cls, name: str, points: float, description: str = "") -> FitRule:
        """Hold when trait *name* has a value (not empty, not ``None``)."""
        return cls(f"trait:{name}", _present, points, description or f"{name} is known")

    @classmethod
    def trait_in(
        cls, name: str, values: Iterable[object], points: float, description: str = ""
    ) -> FitRule:
        """Hold when trait *name* is one of *values* (text compared case-insensitively)."""
        wanted = frozenset(_fold(v) for v in values)

        def test(value: object) -> bool:
            try:
                return _fold(value) in wanted
            except TypeError:  # an unhashable value is in no set
                return False

        return cls(f"trait:{name}", test, points, description or f"{name} is in the target set")

    @classmethod
    def trait_matches(
        cls, name: str, pattern: str, points: float, description: str = ""
    ) -> FitRule:
        """Hold when trait *name* is text in which *pattern* is found (case-insensitive)."""
        compiled = re.compile(pattern, re.IGNORECASE)

        def test(value: object) -> bool:
            return isinstance(value, str) and compiled.search(value) is not None

        return cls(f"trait:{name}", test, points, description or f"{name} matches the pattern")

    @classmethod
    def trait_test(
        cls, name: str, test: Callable[[Any], bool], points: float, description: str
    ) -> FitRule:
        """Hold when ``test(value of trait name)`` is true (``None`` when absent)."""
        return cls(f"trait:{name}", test, points, description)


DEFAULT_FIT_RULES: tuple[FitRule, ...] = (
    FitRule.has_identifier("email", 10, "has an e-mail address"),
    FitRule.has_identifier("phone", 10, "has a phone number"),
    FitRule.has_trait("company", 10),
    FitRule.trait_matches("job_title", SENIOR_TITLE, 20, "job_title names a senior role"),
    FitRule.has_trait("country", 5),
)
"""The ``fit`` strategy's default rules (55 points at most)."""

DEFAULT_GRADES: tuple[tuple[str, float], ...] = (("A", 40.0), ("B", 25.0), ("C", 10.0))
"""Grade thresholds: the first grade whose minimum the value reaches; below all, ``"D"``."""


def _rules(value: Iterable[FitRule]) -> tuple[FitRule, ...]:
    rules = tuple(value)
    if not all(isinstance(rule, FitRule) for rule in rules):
        raise ConfigurationError("fit rules: must be FitRule objects")
    return rules


def _grades(value: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    return tuple((str(grade), float(minimum)) for grade, minimum in value)


@attrs.frozen
class FitStrategy(_PopulationFree):
    """The sum of the points of the fit rules that hold, and a grade.

    :param rules: the rules (default :data:`DEFAULT_FIT_RULES`).
    :param grades: ``(grade, minimum value)`` pairs, highest first
        (default :data:`DEFAULT_GRADES`); a value below them all is *lowest_grade*.
    :param lowest_grade: the grade below every threshold.
    """

    rules: tuple[FitRule, ...] = attrs.field(default=DEFAULT_FIT_RULES, converter=_rules)
    grades: tuple[tuple[str, float], ...] = attrs.field(default=DEFAULT_GRADES, converter=_grades)
    lowest_grade: str = "D"
    name: str = "fit"
    description: str = "how well the contact's traits fit the target profile, graded A to D"

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the points of the rules that hold for the subject, with its grade as label."""
        kinds: set[str] | None = None
        traits = subject.traits
        held = []
        total = 0.0
        for rule in self.rules:
            source = rule.source
            if source.startswith("identifier:"):
                if kinds is None:
                    kinds = {
                        ident.kind
                        for tp in subject.touchpoints
                        if tp.occurred_at <= as_of
                        for ident in tp.identifiers
                    }
                holds = rule.test(source[11:] in kinds)
            else:
                holds = rule.test(traits.get(source[6:]))
            if holds:
                total += rule.points
                held.append(rule)
        grade = self.lowest_grade
        for name, minimum in self.grades:
            if total >= minimum:
                grade = name
                break
        return Score._trusted(self.name, total, as_of, grade, _explain, (held,))


def _explain(held: list[FitRule]) -> tuple[Contribution, ...]:
    return tuple(Contribution(rule.source, rule.description, rule.points) for rule in held)
