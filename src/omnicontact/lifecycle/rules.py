"""Transition rules: what they have in common, their three kinds and what they see.

Three kinds of rule:

- :class:`TouchpointRule` fires on a touchpoint (``matches(touchpoint, ctx)``);
- :class:`StateRule` fires when a condition on the state so far holds
  (``holds(ctx)``: identifiers and traits seen, scores), checked after each
  touchpoint, after each time-based change and at ``as_of``;
- :class:`TimeRule` falls due at a time computed from the state so far
  (``due(ctx)``), checked before each touchpoint and at ``as_of``.

A rule moves *forward* (to a stage of higher rank) unless it is ``backward``;
a ``once`` rule fires at most once per history. Each rule sees a
:class:`RuleContext`. The named constructors (:func:`on_action`, …) are in
:mod:`omnicontact.lifecycle.constructors`; ``docs/lifecycle.md`` gives the
exact semantics and a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from omnicontact.lifecycle.base import _bool, _slug, _stage_set
from omnicontact.model import Touchpoint

__all__ = [
    "INITIAL_RULE",
    "RuleContext",
    "ScoreAt",
    "StateRule",
    "TimeRule",
    "TouchpointRule",
    "TransitionRule",
]

INITIAL_RULE = "initial"
"""The rule name recorded when a contact enters a model's initial stage (reserved)."""

ScoreAt = Callable[[str, datetime], "float | None"]
"""``score_at(score_name, when)``: a contact's score as of *when*, or None if unknown."""

# --------------------------------------------------------------------------
# the rule context
# --------------------------------------------------------------------------


class RuleContext:
    """What a rule sees: the state of one contact on one track, at one moment.

    The engine passes the same object to every rule call of one evaluation and
    updates it between calls; rules read it and never change it or keep it.

    :ivar track: the model's name.
    :ivar stage: the current stage, or None before the contact is on the track.
    :ivar now: the moment being evaluated: the touchpoint's time, a time-based
        change's time, or ``as_of``; for :meth:`TimeRule.due`, the time of the
        latest event processed.
    :ivar touchpoint: the touchpoint being processed, or None (time rules, ``as_of``).
    :ivar last_touchpoint_id: the id of the latest touchpoint processed.
    :ivar entered_at: when the current stage was entered.
    :ivar entered_by: the touchpoint id recorded as the cause of that entry.
    :ivar traits: the traits seen so far (the latest value of each name), read-only.
    :ivar identifier_kinds: the identifier kinds seen so far (``email``, ``phone``, …).
    """

    __slots__ = (
        "_counts",
        "_fired",
        "_identifier_kinds",
        "_last_at",
        "_last_id",
        "_score_at",
        "_traits",
        "entered_at",
        "entered_by",
        "identifier_kinds",
        "last_touchpoint_id",
        "now",
        "stage",
        "touchpoint",
        "track",
        "traits",
    )

    def __init__(self, track: str, now: datetime, score_at: ScoreAt | None = None) -> None:
        self.track = track
        self.stage: str | None = None
        self.now = now
        self.touchpoint: Touchpoint | None = None
        self.last_touchpoint_id: str | None = None
        self.entered_at: datetime | None = None
        self.entered_by: str | None = None
        self._traits: dict[str, Any] = {}
        self.traits: Mapping[str, Any] = MappingProxyType(self._traits)
        self._identifier_kinds: set[str] = set()
        self.identifier_kinds: Set[str] = self._identifier_kinds
        self._last_at: dict[str, datetime] = {}
        self._last_id: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._fired: set[str] = set()
        self._score_at = score_at

    def last(self, action: str) -> tuple[datetime, str] | None:
        """Return ``(time, touchpoint id)`` of the latest touchpoint with *action* so far."""
        at = self._last_at.get(action)
        return None if at is None else (at, self._last_id[action])

    def count(self, action: str) -> int:
        """Return how many touchpoints with *action* were seen so far."""
        return self._counts.get(action, 0)

    def has_fired(self, rule: str) -> bool:
        """Tell whether the rule named *rule* has moved the contact in this history."""
        return rule in self._fired

    def score(self, name: str) -> float | None:
        """Return the score *name* as of :attr:`now`, or None when no scores were given."""
        if self._score_at is None:
            return None
        return self._score_at(name, self.now)

    def __repr__(self) -> str:
        return f"RuleContext(track={self.track!r}, stage={self.stage!r})"


# --------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------


@attrs.frozen
class TransitionRule:
    """What every transition rule has.

    Subclass :class:`TouchpointRule`, :class:`StateRule` or :class:`TimeRule`,
    or use the constructors (:func:`on_action`, …).

    :param name: unique within its model, a slug; recorded in each change it makes.
    :param to: the stage it moves the contact to.
    :param from_stages: it applies only from these stages; None: from any
        stage, including "not on the track yet".
    :param backward: False: it applies only when *to* has a higher rank than
        the current stage (or the contact is not on the track); True: also to
        a lower or equal rank.
    :param once: True: it fires at most once per history.
    """

    name: str = attrs.field(validator=_slug("rule.name"))
    to: str = attrs.field(validator=_slug("rule.to"))
    from_stages: frozenset[str] | None = attrs.field(default=None, converter=_stage_set)
    backward: bool = attrs.field(default=False, validator=_bool("rule.backward"))
    once: bool = attrs.field(default=False, validator=_bool("rule.once"))


@attrs.frozen
class TouchpointRule(TransitionRule):
    """A rule that fires on a touchpoint.

    :param actions: the actions it can match; the engine calls :meth:`matches`
        only for these (None: for every touchpoint).
    """

    actions: frozenset[str] | None = attrs.field(default=None, converter=_stage_set)

    def matches(self, touchpoint: Touchpoint, ctx: RuleContext) -> bool:
        """Tell whether *touchpoint* moves the contact (``ctx`` includes it already)."""
        raise NotImplementedError


@attrs.frozen
class StateRule(TransitionRule):
    """A rule that fires when a condition on the state so far holds.

    Checked after each touchpoint, after each time-based change and at
    ``as_of``. A change it makes is recorded at :attr:`RuleContext.now` with
    the latest touchpoint as its cause.
    """

    def holds(self, ctx: RuleContext) -> bool:
        """Tell whether the condition holds now."""
        raise NotImplementedError


@attrs.frozen
class TimeRule(TransitionRule):
    """A rule that falls due at a time computed from the state so far."""

    def due(self, ctx: RuleContext) -> tuple[datetime, str | None] | None:
        """Return ``(when, touchpoint id the period counts from)``, or None if never due.

        Called with the state after the latest event; the engine fires the
        rule when *when* comes before the next touchpoint (or at ``as_of``).
        """
        raise NotImplementedError
