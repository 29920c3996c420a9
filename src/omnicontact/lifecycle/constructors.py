"""The named constructors of transition rules (:func:`on_action`, :func:`any_of`, …).

Each returns a :class:`~omnicontact.lifecycle.TouchpointRule`, a
:class:`~omnicontact.lifecycle.StateRule` or a
:class:`~omnicontact.lifecycle.TimeRule` whose class is private: build rules
through these functions, or subclass the three kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs

from omnicontact.lifecycle.base import StageModelError, read_number
from omnicontact.lifecycle.rules import RuleContext, StateRule, TimeRule, TouchpointRule
from omnicontact.model import Touchpoint

__all__ = [
    "after_inactivity",
    "any_of",
    "on_action",
    "on_identifier",
    "on_property",
    "on_score",
    "on_trait",
]

# --------------------------------------------------------------------------
# rule constructors
# --------------------------------------------------------------------------


def _names(field: str, value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    names = frozenset({value}) if isinstance(value, str) else frozenset(value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise StageModelError(field, "must hold at least one non-empty name")
    return names


@attrs.frozen
class _ActionRule(TouchpointRule):
    channels: frozenset[str] | None = None
    where: Callable[[Touchpoint], bool] | None = None

    def matches(self, touchpoint: Touchpoint, ctx: RuleContext) -> bool:
        if self.channels is not None and touchpoint.channel not in self.channels:
            return False
        return self.where is None or bool(self.where(touchpoint))


@attrs.frozen
class _PropertyRule(TouchpointRule):
    prop: str = ""
    at_least: float | None = None
    at_most: float | None = None
    predicate: Callable[[Any], bool] | None = None

    def matches(self, touchpoint: Touchpoint, ctx: RuleContext) -> bool:
        value = touchpoint.properties.get(self.prop)
        if value is None:
            return False
        if self.at_least is not None or self.at_most is not None:
            number = read_number(value)
            if number is None:
                return False
            if self.at_least is not None and number < self.at_least:
                return False
            if self.at_most is not None and number > self.at_most:
                return False
        return self.predicate is None or bool(self.predicate(value))


@attrs.frozen
class _AnyOfRule(TouchpointRule):
    conditions: tuple[TouchpointRule, ...] = ()

    def matches(self, touchpoint: Touchpoint, ctx: RuleContext) -> bool:
        action = touchpoint.action
        for rule in self.conditions:
            if (rule.actions is None or action in rule.actions) and rule.matches(touchpoint, ctx):
                return True
        return False


@attrs.frozen
class _IdentifierRule(StateRule):
    kinds: frozenset[str] = frozenset()

    def holds(self, ctx: RuleContext) -> bool:
        return not self.kinds.isdisjoint(ctx.identifier_kinds)


@attrs.frozen
class _TraitRule(StateRule):
    trait: str = ""
    predicate: Callable[[Any], bool] | None = None

    def holds(self, ctx: RuleContext) -> bool:
        value = ctx.traits.get(self.trait)
        if value is None:
            return False
        return self.predicate is None or bool(self.predicate(value))


@attrs.frozen
class _ScoreRule(StateRule):
    score: str = ""
    threshold: float = 0.0
    below: bool = False

    def holds(self, ctx: RuleContext) -> bool:
        value = ctx.score(self.score)
        if value is None:
            return False
        number = read_number(value)
        if number is None:
            return False
        return number < self.threshold if self.below else number >= self.threshold


@attrs.frozen
class _InactivityRule(TimeRule):
    actions: frozenset[str] = frozenset()
    period: timedelta = timedelta(days=1)

    def due(self, ctx: RuleContext) -> tuple[datetime, str | None] | None:
        latest: tuple[datetime, str] | None = None
        for action in self.actions:
            seen = ctx.last(action)
            if seen is not None and (latest is None or seen > latest):
                latest = seen
        start: datetime
        anchor: str | None
        if latest is not None:
            start, anchor = latest
        elif ctx.entered_at is not None:
            start, anchor = ctx.entered_at, ctx.entered_by
        else:
            return None
        try:
            return start + self.period, anchor
        except OverflowError:  # beyond year 9999: never due
            return None


def on_action(
    name: str,
    to: str,
    actions: str | Iterable[str],
    channels: str | Iterable[str] | None = None,
    where: Callable[[Touchpoint], bool] | None = None,
    *,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> TouchpointRule:
    """Move to *to* on a touchpoint with one of *actions*.

    :param channels: only on these channels (None: any).
    :param where: only when ``where(touchpoint)`` is true.
    """
    return _ActionRule(
        name=name,
        to=to,
        from_stages=from_stages,
        backward=backward,
        once=once,
        actions=_names("actions", actions),
        channels=_names("channels", channels),
        where=where,
    )


def on_property(
    name: str,
    to: str,
    prop: str,
    *,
    actions: str | Iterable[str] | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    predicate: Callable[[Any], bool] | None = None,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> TouchpointRule:
    """Move to *to* on a touchpoint whose property *prop* passes the tests given.

    ``at_least`` and ``at_most`` read the value as a number (a number, or a
    string holding one; see :func:`read_number`): a value that is not a number
    does not match. ``predicate`` receives the raw value (any JSON value) and
    must cope with every type. A missing or null property never matches.

    :param actions: only on touchpoints with these actions (None: any).
    """
    return _PropertyRule(
        name=name,
        to=to,
        from_stages=from_stages,
        backward=backward,
        once=once,
        actions=_names("actions", actions),
        prop=prop,
        at_least=at_least,
        at_most=at_most,
        predicate=predicate,
    )


def any_of(
    name: str,
    to: str,
    *conditions: TouchpointRule,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> TouchpointRule:
    """Move to *to* on a touchpoint that any of *conditions* matches.

    Only the conditions' actions and :meth:`~TouchpointRule.matches` count;
    their own name, target and flags are ignored.
    """
    if not conditions or not all(isinstance(c, TouchpointRule) for c in conditions):
        raise StageModelError("conditions", "must be one or more touchpoint rules")
    actions: frozenset[str] | None = frozenset()
    for condition in conditions:
        if condition.actions is None:
            actions = None
            break
        actions = actions | condition.actions  # type: ignore[operator]
    return _AnyOfRule(
        name=name,
        to=to,
        from_stages=from_stages,
        backward=backward,
        once=once,
        actions=actions,
        conditions=tuple(conditions),
    )


def on_identifier(
    name: str,
    to: str,
    kinds: str | Iterable[str],
    *,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> StateRule:
    """Move to *to* once an identifier of one of *kinds* has been seen (``email``, ``phone``)."""
    found = _names("kinds", kinds)
    assert found is not None
    return _IdentifierRule(
        name=name, to=to, from_stages=from_stages, backward=backward, once=once, kinds=found
    )


def on_trait(
    name: str,
    to: str,
    trait: str,
    predicate: Callable[[Any], bool] | None = None,
    *,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> StateRule:
    """Move to *to* once the latest value of *trait* passes *predicate*.

    The traits are those seen so far, the latest value of each name by event
    time. A missing or null trait never matches; *predicate* (None: any value)
    receives the raw value (any JSON value) and must cope with every type.
    """
    return _TraitRule(
        name=name,
        to=to,
        from_stages=from_stages,
        backward=backward,
        once=once,
        trait=trait,
        predicate=predicate,
    )


def on_score(
    name: str,
    to: str,
    score: str,
    threshold: float,
    below: bool = False,
    *,
    from_stages: str | Iterable[str] | None = None,
    backward: bool = False,
    once: bool = False,
) -> StateRule:
    """Move to *to* when the score *score* is at least *threshold* (``below``: under it).

    The score is read through ``stage_history``'s ``score_at`` at each
    touchpoint's time, after each time-based change and at ``as_of``.
    """
    number = read_number(threshold)
    if number is None:
        raise StageModelError("threshold", "must be a finite number")
    return _ScoreRule(
        name=name,
        to=to,
        from_stages=from_stages,
        backward=backward,
        once=once,
        score=score,
        threshold=number,
        below=below,
    )


def after_inactivity(
    name: str,
    to: str,
    actions: str | Iterable[str],
    period: timedelta,
    from_stages: str | Iterable[str],
    *,
    backward: bool = True,
    once: bool = False,
) -> TimeRule:
    """Move to *to* when none of *actions* happened for *period* while in *from_stages*.

    It falls due *period* after the latest of *actions* (its cause is that
    touchpoint), or, when none happened yet, *period* after the current stage
    was entered. ``backward`` is True by default: inactivity usually moves a
    contact back (``customer`` → ``lapsed``).
    """
    if not isinstance(period, timedelta) or period <= timedelta(0):
        raise StageModelError("period", "must be a positive timedelta")
    found = _names("actions", actions)
    assert found is not None
    return _InactivityRule(
        name=name,
        to=to,
        from_stages=_names("from_stages", from_stages),
        backward=backward,
        once=once,
        actions=found,
        period=period,
    )
