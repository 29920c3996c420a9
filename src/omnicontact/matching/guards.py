"""Merge guards: what may never link, and which links are vetoed.

A guard works at two levels:

- :meth:`MergeGuard.blocks` says that an identifier never links at all (a
  placeholder like ``test@test.com`` or ``0000000000``): it stays on its
  touchpoints, but no contact is joined through it;
- :meth:`MergeGuard.vetoes` says that two clusters may not become one (it
  would give a contact two customer ids).

A veto must be *monotone*: when it vetoes joining ``A`` and ``B``, it must
also veto joining any clusters that contain them. All built-in guards are;
that is what keeps resolution independent of arrival order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Set
from typing import Protocol, runtime_checkable

import attrs
import phonenumbers

from omnicontact.matching.config import MatchingConfig
from omnicontact.model import Identifier

__all__ = [
    "CardinalityGuard",
    "ClusterView",
    "MergeGuard",
    "PlaceholderGuard",
    "SizeGuard",
]

PLACEHOLDER_VALUES = frozenset(
    {
        "",
        "0",
        "-1",
        "1",
        "anonymous",
        "anon",
        "null",
        "nil",
        "none",
        "undefined",
        "unknown",
        "guest",
        "[object object]",
        "nan",
        "n/a",
        "na",
        "false",
        "true",
        "test",
        "default",
        "00000000-0000-0000-0000-000000000000",
    }
)
"""Values that are placeholders whatever their kind (compared case-folded)."""

PLACEHOLDER_EMAILS = frozenset(
    {
        "test@test.com",
        "test@example.com",
        "example@example.com",
        "email@example.com",
        "email@email.com",
        "user@example.com",
        "none@none.com",
        "null@null.com",
        "no@email.com",
        "noemail@noemail.com",
        "a@a.com",
    }
)
"""E-mail addresses that are placeholders."""

_PLACEHOLDER_HASHES = frozenset(
    hashlib.sha256(address.encode("utf-8")).hexdigest() for address in PLACEHOLDER_EMAILS
)

NO_REPLY_LOCALS = frozenset(
    {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "mailer-daemon", "bounce"}
)
"""Local parts of machine senders, never a person."""

ROLE_LOCALS = frozenset(
    {
        "info",
        "support",
        "contact",
        "sales",
        "admin",
        "hello",
        "office",
        "team",
        "service",
        "help",
        "marketing",
        "billing",
        "enquiries",
        "inquiries",
        "webmaster",
        "accounts",
        "reception",
    }
)
"""Local parts of role mailboxes, shared by many people (blocked when asked)."""

_ASCENDING = "01234567890123456789"
_DESCENDING = "98765432109876543210"


def _placeholder_phone(value: str) -> bool:
    """Tell whether an E.164 number's national part is one repeated digit or a plain run.

    One leading digit may differ (the mobile prefix in ``06 00 00 00 00``).
    """
    if not value.startswith("+"):
        return len(set(value)) == 1  # kept as digits by the normalizer: 0000000000
    tail = value.split(";", 1)[0][-6:]
    if len(set(tail)) != 1 and tail not in _ASCENDING and tail not in _DESCENDING:
        return False  # the national part ends like a real number: no need to parse
    try:
        number = phonenumbers.parse(value.split(";", 1)[0], None)
    except phonenumbers.NumberParseException:
        return False
    national = str(number.national_number)
    if len(set(national)) == 1 or (len(national) >= 7 and len(set(national[1:])) == 1):
        return True  # 0000000000, or a mobile prefix then zeros: 6 00 00 00 00
    return len(national) >= 7 and (national in _ASCENDING or national in _DESCENDING)


class ClusterView:
    """What a guard sees of one side of a proposed link.

    Only identifiers, so that a veto cannot depend on how many times a person
    was seen (which would make it depend on arrival order). Read-only by
    contract: a guard must not change what it is shown. (A plain slotted
    class: one is built for every link the engine considers.)

    :param identifiers: the strong identifiers it holds, by kind.
    """

    __slots__ = ("identifiers",)

    def __init__(self, identifiers: Mapping[str, Set[Identifier]]) -> None:
        self.identifiers = identifiers

    def __repr__(self) -> str:
        counts = {kind: len(values) for kind, values in self.identifiers.items()}
        return f"ClusterView({counts})"

    def count(self, kind: str) -> int:
        """Return how many identifiers of *kind* it holds."""
        found = self.identifiers.get(kind)
        return len(found) if found else 0

    def size(self) -> int:
        """Return how many strong identifiers it holds."""
        return sum(len(v) for v in self.identifiers.values())


@runtime_checkable
class MergeGuard(Protocol):
    """What a merge guard offers; contribute one with ``register_merge_guards()``.

    :attr name: unique name, shown in explanations and the audit ledger.

    A guard that only blocks identifiers may set ``cluster_level = False`` so
    the engine does not ask it about links.
    """

    @property
    def name(self) -> str:
        """The guard's unique name."""
        ...

    def blocks(self, identifier: Identifier) -> str | None:
        """Return why *identifier* must never link (no value in it), or ``None``."""
        ...

    def vetoes(self, a: ClusterView, b: ClusterView) -> str | None:
        """Return why clusters *a* and *b* must not become one, or ``None``; must be monotone."""
        ...


@attrs.frozen
class PlaceholderGuard:
    """Blocks placeholder and configured values, and role mailboxes when asked."""

    cluster_level = False  # blocks identifiers; never vetoes a link between clusters
    name: str = "placeholders"
    builtin: bool = True
    role_mailboxes: bool = False
    values: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    patterns: Mapping[str, tuple[re.Pattern[str], ...]] = attrs.field(factory=dict)

    @classmethod
    def from_config(cls, config: MatchingConfig) -> PlaceholderGuard:
        """Build the guard from a :class:`MatchingConfig`."""
        return cls(
            builtin=config.builtin_placeholders,
            role_mailboxes=config.block_role_mailboxes,
            values={
                k: frozenset(v.casefold() for v in vs) for k, vs in config.blocked_values.items()
            },
            patterns={
                k: tuple(re.compile(p) for p in ps) for k, ps in config.blocked_patterns.items()
            },
        )

    def blocks(self, identifier: Identifier) -> str | None:
        """Return the reason when *identifier* is a placeholder or a blocked value."""
        kind, value = identifier.kind, identifier.value
        folded = value.casefold()
        configured = self.values.get(kind)
        if configured and folded in configured:
            return "configured blocked value"
        for pattern in self.patterns.get(kind, ()):
            if pattern.search(value):
                return "matches a configured blocked pattern"
        if self.builtin:
            if folded in PLACEHOLDER_VALUES:
                return "placeholder value"
            if kind == "email_sha256" and folded in _PLACEHOLDER_HASHES:
                return "hash of a placeholder e-mail address"
            if kind == "email":
                if folded in PLACEHOLDER_EMAILS:
                    return "placeholder e-mail address"
                local = folded.split("@", 1)[0]
                if local in NO_REPLY_LOCALS or local.startswith("noreply"):
                    return "no-reply mailbox"
            elif kind == "phone" and _placeholder_phone(value):
                return "placeholder phone number (repeated or sequential digits)"
        if self.role_mailboxes and kind == "email":
            local = folded.split("@", 1)[0].split("+", 1)[0]
            if local in ROLE_LOCALS:
                return "role mailbox"
        return None

    def vetoes(self, a: ClusterView, b: ClusterView) -> str | None:
        """Veto nothing: placeholders are handled per identifier."""
        return None


@attrs.frozen
class CardinalityGuard:
    """Vetoes a link that would give a contact more identifiers of a kind than its limit."""

    limits: Mapping[str, int]
    name: str = "cardinality"

    def blocks(self, identifier: Identifier) -> str | None:
        """Block nothing: limits apply to clusters."""
        return None

    def vetoes(self, a: ClusterView, b: ClusterView) -> str | None:
        """Return the reason when the joined cluster would break a kind's limit."""
        for kind, limit in self.limits.items():
            ours = a.identifiers.get(kind)
            theirs = b.identifiers.get(kind)
            if not ours or not theirs:
                continue
            if len(ours) + len(theirs) <= limit:
                continue
            if len(ours | theirs) > limit:
                return f"would hold more than {limit} {kind} identifier(s)"
        return None


@attrs.frozen
class SizeGuard:
    """Vetoes a link that would make a contact gather too many strong identifiers."""

    max_identifiers: int
    name: str = "cluster_size"

    def blocks(self, identifier: Identifier) -> str | None:
        """Block nothing: the cap applies to clusters."""
        return None

    def vetoes(self, a: ClusterView, b: ClusterView) -> str | None:
        """Return the reason when the joined cluster would exceed the cap."""
        if a.size() + b.size() <= self.max_identifiers:
            return None
        joined = sum(
            len(a.identifiers.get(k, set()) | b.identifiers.get(k, set()))
            for k in {*a.identifiers, *b.identifiers}
        )
        if joined > self.max_identifiers:
            return f"would hold more than {self.max_identifiers} strong identifiers"
        return None
