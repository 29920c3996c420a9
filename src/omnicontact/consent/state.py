"""A contact's consent, derived from its touchpoints: :func:`consent_state`.

The state is a pure function of the touchpoints (and the time it is taken
at), recomputed on every read: after a merge it sees every fragment's
decisions, after a split each side gets its own back.

**Status of a channel and purpose.** The decisions that apply to ``(channel,
purpose)`` are those on that channel or on ``"*"``, for that purpose or for
``"*"``. They are grouped by subject (the identifier they concern; decisions
that name none form one group). In each group the latest decision wins: the
last by event time; at the same instant a denial wins over a grant, then the
more specific decision. Across groups, when every group's winner agrees that
is the status; when they disagree the status is ``"denied"`` and a
:class:`~omnicontact.consent.model.ConsentConflict` is recorded: the most
restrictive recent decision wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from omnicontact.consent.model import (
    ALL,
    DEFAULT_ALLOWED_PURPOSES,
    DENIED,
    GRANTED,
    ConsentConflict,
    ConsentDecision,
    IgnoredConsent,
    utc,
)
from omnicontact.consent.rules import CONSENT_RULES, ConsentRule, decisions_of
from omnicontact.errors import InvalidTouchpointError
from omnicontact.model import Touchpoint

__all__ = ["ConsentState", "consent_state"]

Key = tuple[str, str]
"""``(channel, purpose)``."""


@attrs.frozen
class _Verdict:
    decision: ConsentDecision
    conflict: ConsentConflict | None


def _verdict(channel: str, purpose: str, decisions: Iterable[ConsentDecision]) -> _Verdict | None:
    """Return who decides ``(channel, purpose)``, or ``None`` when no decision applies."""
    latest: dict[str | None, ConsentDecision] = {}
    for decision in decisions:
        if decision.channel not in (channel, ALL) or decision.purpose not in (purpose, ALL):
            continue
        seen = latest.get(decision.subject)
        if seen is None or decision.sort_key() > seen.sort_key():
            latest[decision.subject] = decision
    if not latest:
        return None
    winners = sorted(latest.values(), key=ConsentDecision.sort_key)
    denied = [d for d in winners if d.status == DENIED]
    if not denied or len(denied) == len(winners):
        return _Verdict(winners[-1], None)
    conflict = ConsentConflict(
        channel=channel,
        purpose=purpose,
        granted_subjects=[d.subject for d in winners if d.status == GRANTED],
        denied_subjects=[d.subject for d in denied],
        decided_at=winners[-1].at,
    )
    return _Verdict(denied[-1], conflict)


@attrs.frozen(repr=False)
class ConsentState:
    """A contact's consent as of a time, per channel and purpose, with its full history.

    Build it with :func:`consent_state`. A channel or purpose that no
    decision names is answered by the decisions on ``"*"``.

    :param decisions: every decision read, oldest first (the full history).
    :param conflicts: where subjects disagree, by channel then purpose; the
        status there is ``"denied"``.
    :param ignored: touchpoints whose action gives consent but whose
        properties are malformed, with the reason, oldest first.
    :param as_of: the time it was taken at (``None``: every touchpoint given).
    """

    decisions: tuple[ConsentDecision, ...]
    conflicts: tuple[ConsentConflict, ...]
    ignored: tuple[IgnoredConsent, ...]
    as_of: datetime | None
    _verdicts: Mapping[Key, _Verdict] = attrs.field(alias="verdicts", eq=False)
    _channels: frozenset[str] = attrs.field(alias="channels", eq=False)
    _purposes: frozenset[str] = attrs.field(alias="purposes", eq=False)

    def _lookup(self, channel: str, purpose: str) -> _Verdict | None:
        channel = channel if channel in self._channels else ALL
        purpose = purpose if purpose in self._purposes else ALL
        return self._verdicts.get((channel, purpose))

    def decision(self, channel: str, purpose: str) -> ConsentDecision | None:
        """Return the decision that decides ``(channel, purpose)``, or ``None`` (never asked).

        Under a conflict, the latest denial among the subjects' latest decisions.
        """
        verdict = self._lookup(channel, purpose)
        return None if verdict is None else verdict.decision

    def status(self, channel: str, purpose: str) -> str | None:
        """Return ``"granted"``, ``"denied"``, or ``None`` when nothing applies (never asked)."""
        decision = self.decision(channel, purpose)
        return None if decision is None else decision.status

    def conflict(self, channel: str, purpose: str) -> ConsentConflict | None:
        """Return the conflict on ``(channel, purpose)``, if its subjects disagree."""
        verdict = self._lookup(channel, purpose)
        return None if verdict is None else verdict.conflict

    def can_contact(self, channel: str, purpose: str, *, default: bool | None = None) -> bool:
        """Tell whether the contact may be contacted on *channel* for *purpose*.

        Granted: ``True``; denied (including under a conflict): ``False``.
        Never asked: *default*, or when it is ``None``, ``True`` only for the
        purposes in :data:`~omnicontact.consent.model.DEFAULT_ALLOWED_PURPOSES`
        (``transactional``) and ``False`` for every other (no consent known).
        """
        status = self.status(channel, purpose)
        if status is not None:
            return status == GRANTED
        if default is not None:
            return default
        return purpose in DEFAULT_ALLOWED_PURPOSES

    def current(self) -> Mapping[Key, ConsentDecision]:
        """Return ``(channel, purpose) -> the decision that decides it``.

        One entry per pair of a channel and a purpose named by some decision
        (either may be ``"*"``) to which a decision applies, sorted.
        """
        return MappingProxyType(
            {key: verdict.decision for key, verdict in sorted(self._verdicts.items())}
        )

    def __repr__(self) -> str:
        as_of = None if self.as_of is None else self.as_of.isoformat()
        return (
            f"ConsentState(decisions={len(self.decisions)}, conflicts={len(self.conflicts)}, "
            f"ignored={len(self.ignored)}, as_of={as_of!r})"
        )


def consent_state(
    touchpoints: Iterable[Touchpoint],
    *,
    as_of: datetime | None = None,
    rules: Mapping[str, ConsentRule] = CONSENT_RULES,
) -> ConsentState:
    """Return the consent state given by *touchpoints* as of *as_of*.

    Pure and order-independent: touchpoints are taken by ``(occurred_at, id)``,
    a touchpoint id given twice counts once, and those after *as_of* are left
    out. A naive datetime (``occurred_at`` or *as_of*) is read as UTC. A
    touchpoint whose action is in *rules* but whose properties are malformed
    gives no decision and is listed in :attr:`ConsentState.ignored`.

    :param touchpoints: a contact's touchpoints (``contact.timeline``), or any.
    :param as_of: the time to take the state at; ``None`` takes every touchpoint.
    :param rules: the consent rules by action (:data:`CONSENT_RULES` by default).
    """
    limit = None if as_of is None else utc(as_of)
    unique: dict[str, Touchpoint] = {}
    for tp in sorted(touchpoints, key=lambda tp: (utc(tp.occurred_at), tp.id)):
        unique.setdefault(tp.id, tp)
    decisions: list[ConsentDecision] = []
    ignored: list[IgnoredConsent] = []
    for tp in unique.values():
        rule = rules.get(tp.action)
        if rule is None or (limit is not None and utc(tp.occurred_at) > limit):
            continue
        try:
            decisions.extend(decisions_of(tp, rule))
        except InvalidTouchpointError as err:
            ignored.append(IgnoredConsent(tp.id, f"{err.field}: {err.rule}"))
    decisions.sort(key=lambda d: (d.at, d.touchpoint_id, d.channel, d.purpose, d.subject or ""))
    channels = frozenset(d.channel for d in decisions) | {ALL}
    purposes = frozenset(d.purpose for d in decisions) | {ALL}
    verdicts: dict[Key, _Verdict] = {}
    for channel in sorted(channels):
        for purpose in sorted(purposes):
            verdict = _verdict(channel, purpose, decisions)
            if verdict is not None:
                verdicts[(channel, purpose)] = verdict
    return ConsentState(
        decisions=tuple(decisions),
        conflicts=tuple(v.conflict for v in verdicts.values() if v.conflict is not None),
        ignored=tuple(ignored),
        as_of=limit,
        verdicts=MappingProxyType(verdicts),
        channels=channels,
        purposes=purposes,
    )
