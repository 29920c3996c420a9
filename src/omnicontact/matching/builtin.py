"""The built-in matching plug-in: the ``shared_identifier`` and ``person`` rules, the guards.

Registered through the same hooks as any third-party plug-in (its name is
``omnicontact.matching``). Block it and only identifiers seen verbatim on two
touchpoints link (the engine's own union-find), with no guard at all: that is
for tests and special cases, not for production.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import attrs

from omnicontact.hookspecs import hookimpl
from omnicontact.matching.config import MatchingConfig
from omnicontact.matching.guards import CardinalityGuard, MergeGuard, PlaceholderGuard, SizeGuard
from omnicontact.matching.person import PersonRule
from omnicontact.matching.rules import Evidence, MatchingRule, Record

__all__ = ["SharedIdentifierRule", "register_matching_rules", "register_merge_guards"]


@attrs.frozen
class SharedIdentifierRule:
    """Deterministic: two records that carry one strong identifier are one person.

    The engine runs this rule natively, as a union-find over identifiers (so
    ``native`` is true); the methods below say the same for plug-in authors
    and tests.
    """

    name: str = "shared_identifier"
    deterministic: bool = True
    native: bool = True

    def prepare(self, record: Record) -> Any | None:
        """Return the record's linking identifiers, or ``None`` when it has none."""
        return frozenset(record.identifiers) or None

    def blocking_keys(self, prepared: Any) -> Iterable[Hashable]:
        """Return the identifiers themselves."""
        return sorted(prepared, key=lambda ident: ident.sort_key())

    def compare(self, a: Any, b: Any) -> Evidence | None:
        """Return a certain link when the records share an identifier."""
        if a & b:
            return Evidence(self.name, float("inf"), "link")
        return None


@hookimpl
def register_matching_rules(config: MatchingConfig) -> list[MatchingRule]:
    """Contribute ``shared_identifier`` and the probabilistic ``person`` rule."""
    rules: list[MatchingRule] = [SharedIdentifierRule()]
    person = PersonRule()
    changes: dict[str, float] = {}
    if config.link_threshold is not None:
        changes["link_threshold"] = config.link_threshold
    if config.review_threshold is not None:
        changes["review_threshold"] = config.review_threshold
    if changes:
        person = attrs.evolve(person, **changes)
    rules.append(person)
    return rules


@hookimpl
def register_merge_guards(config: MatchingConfig) -> list[MergeGuard]:
    """Contribute the placeholder, cardinality and cluster-size guards."""
    return [
        PlaceholderGuard.from_config(config),
        CardinalityGuard(dict(config.limits)),
        SizeGuard(config.max_identifiers),
    ]
