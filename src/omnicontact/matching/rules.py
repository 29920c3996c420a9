"""Matching rules: the protocol, the records they compare, the evidence they give.

A matching rule proposes that two *records* are the same person. A record is
the person-facing side of one touchpoint (its canonical traits and its
identifiers); touchpoints are immutable, so the evidence between two records
never changes, which is what makes resolution independent of arrival order.

A rule works in three steps, each a pure function:

1. :meth:`MatchingRule.prepare` turns a record into whatever the rule compares
   (or ``None`` when the record holds nothing the rule uses);
2. :meth:`MatchingRule.blocking_keys` gives equality keys (plain strings); only
   records that share a key are ever compared, through an index;
3. :meth:`MatchingRule.compare` turns two prepared records into
   :class:`Evidence` with a weight, or ``None`` when there is nothing to say.

A *deterministic* rule (``deterministic = True``) links every two records that
share a key, without comparing them: that is how the built-in
``shared_identifier`` rule works.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from omnicontact.model import Identifier

__all__ = ["Decision", "Evidence", "EvidencePart", "MatchingRule", "Record", "probability"]

Decision = Literal["link", "review", "none"]
"""What a piece of evidence asks for: a link, a human review, or nothing."""


@attrs.frozen
class Record:
    """The person-facing side of one touchpoint, as matching rules see it.

    :param touchpoint_id: the touchpoint it comes from.
    :param traits: the touchpoint's canonical traits (``first_name``,
        ``last_name``, ``birth_date``, ``street``, ``postal_code``, ``city``, …).
    :param identifiers: the touchpoint's normalized identifiers, placeholders
        left out (identifiers frozen as shared are kept: freezing depends on
        what arrived before, and evidence must not).
    """

    touchpoint_id: str
    traits: Mapping[str, Any]
    identifiers: tuple[Identifier, ...]

    def identifier_values(self, kind: str) -> tuple[str, ...]:
        """Return the values of the identifiers of *kind*."""
        return tuple(i.value for i in self.identifiers if i.kind == kind)

    def __repr__(self) -> str:
        return f"Record(touchpoint_id={self.touchpoint_id!r}, traits={sorted(self.traits)})"


@attrs.frozen
class EvidencePart:
    """What one compared field contributed: its comparison level and weight.

    Never holds the compared values, only the level's name (privacy).

    :param field: the compared field (``last_name``, ``birth_date``, …).
    :param level: the comparison level reached (``exact``, ``jaro_winkler>=0.92``,
        ``day_month_swapped``, ``null``, ``else``, …).
    :param weight: its match weight, log2 of the Bayes factor (``m / u``),
        after any term-frequency adjustment.
    """

    field: str
    level: str
    weight: float


def probability(weight: float) -> float:
    """Return the match probability of a total match weight (log2 odds)."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0**weight
    return odds / (1.0 + odds)


@attrs.frozen
class Evidence:
    """What a rule concluded about two records.

    :param rule: the rule's name.
    :param weight: the total match weight (log2 odds, prior included);
        ``math.inf`` for a deterministic link.
    :param decision: ``"link"``, ``"review"`` (doubtful: a human decides)
        or ``"none"``.
    :param parts: the contribution of each compared field.
    """

    rule: str
    weight: float
    decision: Decision
    parts: tuple[EvidencePart, ...] = ()

    @property
    def probability(self) -> float:
        """The match probability, from the weight."""
        return 1.0 if math.isinf(self.weight) and self.weight > 0 else probability(self.weight)


@runtime_checkable
class MatchingRule(Protocol):
    """What a matching rule offers; contribute one with ``register_matching_rules()``.

    :attr name: unique name, shown in explanations and the audit ledger.
    :attr deterministic: when true, records that share a blocking key are
        linked without :meth:`compare` being called.
    """

    @property
    def name(self) -> str:
        """The rule's unique name."""
        ...

    @property
    def deterministic(self) -> bool:
        """Whether sharing a blocking key is a link by itself."""
        ...

    def prepare(self, record: Record) -> Any | None:
        """Return the comparable form of *record*, or ``None`` if the rule has nothing to use."""
        ...

    def blocking_keys(self, prepared: Any) -> Iterable[Hashable]:
        """Return equality keys: only records sharing one are compared."""
        ...

    def compare(self, a: Any, b: Any) -> Evidence | None:
        """Compare two prepared records; ``None`` means no evidence either way."""
        ...
