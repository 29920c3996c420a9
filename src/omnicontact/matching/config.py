"""How identity resolution is configured: limits, priorities, placeholders, thresholds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from omnicontact._frozen import FrozenMap
from omnicontact.errors import ConfigurationError

__all__ = ["DEFAULT_LIMITS", "DEFAULT_PRIORITY", "MatchingConfig", "SurvivorshipPolicy"]

DEFAULT_LIMITS: Mapping[str, int] = {"customer_id": 1, "loyalty_id": 1, "email": 5, "phone": 5}
"""Most identifiers of one kind a contact may hold (kinds not listed: no limit)."""

DEFAULT_PRIORITY: tuple[str, ...] = (
    "customer_id",
    "loyalty_id",
    "email",
    "phone",
    "social",
    "email_sha256",
    "phone_sha256",
)
"""Kinds in the order their links are considered; kinds not listed come after, by name."""


def _limits(value: Mapping[str, int] | None) -> FrozenMap:
    return FrozenMap(DEFAULT_LIMITS if value is None else value)


def _check_limits(_i: object, _a: object, value: FrozenMap) -> None:
    for kind, limit in value.items():
        if not isinstance(kind, str) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError("limits: each limit must be a kind name and an integer ≥ 1")


def _check_positive(_i: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{attribute.name}: must be an integer ≥ 1")


def _check_patterns(_i: object, _a: object, value: FrozenMap) -> None:
    for kind, patterns in value.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except (re.error, TypeError) as err:
                raise ConfigurationError(
                    f"blocked_patterns: a pattern for kind {kind!r} is not a regular expression"
                ) from err


def _check_threshold(
    _i: object, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is not None and not 0.0 < value < 1.0:
        raise ConfigurationError(f"{attribute.name}: must be a probability between 0 and 1")


def _values_map(value: Mapping[str, Sequence[str]] | None) -> FrozenMap:
    return FrozenMap({k: tuple(v) for k, v in (value or {}).items()})


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


SURVIVORSHIP_RULES = ("most_recent", "most_frequent", "source_priority")


@attrs.frozen
class SurvivorshipPolicy:
    """Which value of a trait a contact shows when its touchpoints disagree.

    Every rule is a function of the contact's touchpoints, never of their
    arrival order; ties always go to the most recent value (by event time,
    then touchpoint id).

    :param default: the rule for traits not named in *per_trait*:
        ``"most_recent"`` (by event time), ``"most_frequent"``, or
        ``"source_priority"`` (the value from the best-ranked source in
        *source_priority*, then the most recent).
    :param per_trait: a rule per trait name.
    :param source_priority: touchpoint sources, best first; unlisted sources rank last.
    """

    default: str = "most_recent"
    per_trait: FrozenMap = attrs.field(factory=FrozenMap, converter=FrozenMap)
    source_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        for name, rule in (("default", self.default), *self.per_trait.items()):
            if rule not in SURVIVORSHIP_RULES:
                rules = ", ".join(SURVIVORSHIP_RULES)
                raise ConfigurationError(f"survivorship: rule for {name!r} must be one of {rules}")

    def rule_for(self, trait: str) -> str:
        """Return the rule that applies to *trait*."""
        rule = self.per_trait.get(trait, self.default)
        assert isinstance(rule, str)
        return rule


@attrs.frozen(kw_only=True)
class MatchingConfig:
    """Settings of identity resolution, checked when the :class:`~omnicontact.Hub` is created.

    :param limits: most identifiers of one kind a contact may hold, e.g.
        ``{"customer_id": 1, "email": 5}``. A link that would exceed a limit is
        vetoed; *priority* decides which link wins, so what is dropped is the
        later, lower-priority identifier.
    :param priority: identifier kinds in the order their links are considered
        (then the earliest touchpoint first); a qualified kind (``social:facebook``)
        ranks as its base (``social``).
    :param shared_threshold: an identifier seen with more than this many
        distinct values of one strong kind (a role mailbox used with 10,000
        phone numbers, a kiosk device) is *frozen as shared* and stops linking.
    :param max_identifiers: the most distinct strong identifiers one contact
        may gather (a cap on cluster size).
    :param max_block: a blocking key shared by more records than this (a
        common name with a common birth year…) is dropped, with the evidence
        found only through it, as if it never existed; this bounds the
        comparisons a new record costs.
    :param blocked_values: extra values per kind that never link (placeholders).
    :param blocked_patterns: extra regular expressions per kind (matched
        against the normalized value) that never link.
    :param block_role_mailboxes: also block role mailboxes (``info@``,
        ``support@``, ``contact@``, …); off by default, since small businesses
        are real customers too.
    :param builtin_placeholders: use the built-in placeholder lists
        (``anonymous``, ``null``, ``test@test.com``, ``noreply@…``, all-same-digit phones, …).
    :param link_threshold: override the probabilistic rules' link probability.
    :param review_threshold: override the probabilistic rules' review probability.
    :param disabled_rules: names of matching rules (built-in or plug-in) not
        to use, e.g. ``("person",)`` for deterministic resolution only.
    :param rule_overrides: rules to use instead of the contributed rules of
        the same name, e.g. ``{"person": PersonRule.from_dict(saved)}`` to start
        with the parameters ``hub.train_matching()`` estimated last time.
    :param survivorship: how a contact's traits are chosen.
    :raises ConfigurationError: for a value out of range; unknown kinds are
        checked against the hub's kinds when the hub is created.
    """

    limits: FrozenMap = attrs.field(default=None, converter=_limits, validator=_check_limits)
    priority: tuple[str, ...] = attrs.field(default=DEFAULT_PRIORITY, converter=tuple)
    shared_threshold: int = attrs.field(default=5, validator=_check_positive)
    max_identifiers: int = attrs.field(default=200, validator=_check_positive)
    max_block: int = attrs.field(default=100, validator=_check_positive)
    blocked_values: FrozenMap = attrs.field(default=None, converter=_values_map)
    blocked_patterns: FrozenMap = attrs.field(
        default=None, converter=_values_map, validator=_check_patterns
    )
    block_role_mailboxes: bool = False
    builtin_placeholders: bool = True
    link_threshold: float | None = attrs.field(default=None, validator=_check_threshold)
    review_threshold: float | None = attrs.field(default=None, validator=_check_threshold)
    disabled_rules: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    rule_overrides: Mapping[str, Any] = attrs.field(factory=dict, converter=_read_only)
    survivorship: SurvivorshipPolicy = attrs.field(factory=SurvivorshipPolicy)

    def __attrs_post_init__(self) -> None:
        link, review = self.link_threshold, self.review_threshold
        if link is not None and review is not None and review > link:
            raise ConfigurationError("review_threshold: must not be above link_threshold")

    def kinds_named(self) -> set[str]:
        """Return the identifier kinds this configuration names on purpose (to check they exist).

        The default limits are left out: they name built-in kinds that a hub
        may have blocked.
        """
        limits = set() if self.limits == DEFAULT_LIMITS else set(self.limits)
        return {*limits, *self.blocked_values, *self.blocked_patterns}

    def rank(self, kind: str) -> tuple[int, str]:
        """Return the sort key of a kind's links (lower goes first)."""
        priority = self.priority
        if kind in priority:
            return (priority.index(kind), kind)
        base = kind.split(":", 1)[0]  # social:facebook ranks as social
        if base in priority:
            return (priority.index(base), kind)
        return (len(priority), kind)
