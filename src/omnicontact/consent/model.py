"""The consent values: decisions, conflicts, ignored touchpoints, and the words they use.

A :class:`ConsentDecision` says that, at a time, consent for one purpose on one
channel was granted or denied. Decisions are read from touchpoints (see
:mod:`omnicontact.consent.rules`); none holds a personal value: the address a
decision concerns is kept as a non-reversible key, its *subject*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone

import attrs

__all__ = [
    "ALL",
    "DEFAULT_ALLOWED_PURPOSES",
    "DENIED",
    "GRANTED",
    "LEGAL_BASES",
    "PURPOSES",
    "STATUSES",
    "ConsentConflict",
    "ConsentDecision",
    "IgnoredConsent",
    "is_slug",
    "mask_subject",
    "utc",
]

ALL = "*"
"""The channel, or the purpose, that means *every* channel, or purpose."""

GRANTED = "granted"
"""The status of a decision that allows contact."""

DENIED = "denied"
"""The status of a decision that forbids contact."""

STATUSES = (GRANTED, DENIED)
"""The two statuses a decision can have."""

PURPOSES = ("marketing", "analytics", "personalization", "profiling", "transactional")
"""The purposes omnicontact knows by name; any other lower-case slug is accepted too."""

LEGAL_BASES = frozenset(
    {
        "consent",
        "contract",
        "legal_obligation",
        "vital_interests",
        "public_task",
        "legitimate_interests",
    }
)
"""The lawful bases of GDPR article 6(1), as slugs."""

DEFAULT_ALLOWED_PURPOSES = frozenset({"transactional"})
"""Purposes for which contact is allowed when nothing was decided (unless denied).

Transactional messages (a receipt, a password reset) rest on the contract, not
on consent; every other purpose needs a grant.
"""

_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_.:-]*\Z")


def is_slug(value: object) -> bool:
    """Tell whether *value* is a channel or purpose name: a lower-case slug, or ``"*"``."""
    return isinstance(value, str) and (value == ALL or bool(_SLUG_RE.match(value)))


def utc(when: datetime) -> datetime:
    """Return *when* in UTC; a naive datetime is read as UTC."""
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def mask_subject(subject: str | None) -> str | None:
    """Return a subject cut to its kind and 8 hex digits, for reprs and messages."""
    if subject is None:
        return None
    kind, _, digest = subject.partition(":")
    return f"{kind}:{digest[:8]}…" if digest else kind


def _check_slug(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not is_slug(value):
        raise ValueError(f"{attribute.name}: must be a lower-case slug or '*'")


def _check_status(_instance: object, _attribute: object, value: str) -> None:
    if value not in STATUSES:
        raise ValueError("status: must be 'granted' or 'denied'")


def _check_basis(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and value not in LEGAL_BASES:
        raise ValueError("legal_basis: must be a GDPR article 6 basis or None")


def _check_datetime(_instance: object, _attribute: object, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("at: must be a timezone-aware datetime")


@attrs.frozen(repr=False)
class ConsentDecision:
    """One consent decision: a purpose on a channel was granted or denied, at a time.

    :param channel: the channel it concerns (``email``, ``sms``, …), or ``"*"`` for all.
    :param purpose: the purpose (``marketing``, ``analytics``, …), or ``"*"`` for all.
    :param status: ``"granted"`` or ``"denied"``.
    :param at: when it was made: its touchpoint's event time, in UTC.
    :param source: where it came from: its touchpoint's ``source``, else its channel.
    :param touchpoint_id: the touchpoint it was read from.
    :param legal_basis: the GDPR article 6 basis it rests on, if known.
    :param subject: the identifier it concerns as a non-reversible key,
        ``"<kind>:<sha256 hex>"`` (``"email:9f86…"``), or ``None`` when its
        touchpoint carries no identifier of a kind the channel is addressed by.
    """

    channel: str = attrs.field(validator=_check_slug)
    purpose: str = attrs.field(validator=_check_slug)
    status: str = attrs.field(validator=_check_status)
    at: datetime = attrs.field(validator=_check_datetime)
    source: str
    touchpoint_id: str
    legal_basis: str | None = attrs.field(default=None, validator=_check_basis)
    subject: str | None = None

    @property
    def specificity(self) -> int:
        """How specific it is: 2 (channel and purpose named), 1 (one of them), 0 (``*/*``)."""
        return (self.channel != ALL) + (self.purpose != ALL)

    def sort_key(self) -> tuple[datetime, int, int, str, str, str]:
        """Return the order in which decisions win: later, then denied, then more specific.

        Ties left after that are broken by touchpoint id, channel and purpose,
        so the order never depends on the order touchpoints were given in.
        """
        return (
            self.at,
            self.status == DENIED,
            self.specificity,
            self.touchpoint_id,
            self.channel,
            self.purpose,
        )

    def __repr__(self) -> str:
        return (
            f"ConsentDecision(channel={self.channel!r}, purpose={self.purpose!r}, "
            f"status={self.status!r}, at={self.at.isoformat()!r}, source={self.source!r}, "
            f"touchpoint_id={self.touchpoint_id!r}, legal_basis={self.legal_basis!r}, "
            f"subject={mask_subject(self.subject)!r})"
        )


def _subject_key(subject: str | None) -> tuple[bool, str]:
    return (subject is not None, subject or "")


def _subjects(value: Iterable[str | None]) -> tuple[str | None, ...]:
    return tuple(sorted(set(value), key=_subject_key))


@attrs.frozen(repr=False)
class ConsentConflict:
    """Two or more subjects of one contact disagree on a channel and purpose.

    The contact's status there is ``"denied"``: the most restrictive decision
    wins (see ``docs/privacy.md``).

    :param channel: the channel (``"*"`` for all channels).
    :param purpose: the purpose (``"*"`` for all purposes).
    :param granted_subjects: the subjects whose latest decision grants, sorted
        (``None``, decisions that name no identifier, first).
    :param denied_subjects: the subjects whose latest decision denies, sorted.
    :param decided_at: when the conflict arose: the latest of those decisions.
    """

    channel: str
    purpose: str
    granted_subjects: tuple[str | None, ...] = attrs.field(converter=_subjects)
    denied_subjects: tuple[str | None, ...] = attrs.field(converter=_subjects)
    decided_at: datetime

    def __repr__(self) -> str:
        granted = [mask_subject(s) for s in self.granted_subjects]
        denied = [mask_subject(s) for s in self.denied_subjects]
        return (
            f"ConsentConflict(channel={self.channel!r}, purpose={self.purpose!r}, "
            f"granted_subjects={granted!r}, denied_subjects={denied!r}, "
            f"decided_at={self.decided_at.isoformat()!r})"
        )


@attrs.frozen
class IgnoredConsent:
    """A touchpoint whose action gives consent, but whose properties do not say it right.

    :param touchpoint_id: the touchpoint.
    :param reason: the field and the rule it breaks (``"properties.purpose: is
        required"``), never a value.
    """

    touchpoint_id: str
    reason: str
