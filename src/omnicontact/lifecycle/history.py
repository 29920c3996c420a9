"""Stage models and the engine that turns touchpoints into a stage history.

A *stage model* (a *track*) is a set of ranked stages and the rules that move a
contact between them. :func:`stage_history` is a pure function of a contact's
touchpoints as of a time: it reads them sorted by ``(occurred_at, id)``,
ignores those after ``as_of``, and records every change of stage with its
event time, its cause (a touchpoint id) and the rule that made it. Nothing
depends on the order the touchpoints arrived in, so after a merge the hub
recomputes from the union of the touchpoints, after a split each side from its
own. ``docs/lifecycle.md`` gives the exact semantics and a worked example.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

import attrs

from omnicontact.lifecycle.base import (
    Stage,
    StageChange,
    StageHistory,
    StageModelError,
    _check_aware,
    _slug,
)
from omnicontact.lifecycle.rules import (
    INITIAL_RULE,
    RuleContext,
    ScoreAt,
    StateRule,
    TimeRule,
    TouchpointRule,
    TransitionRule,
)
from omnicontact.model import Touchpoint

__all__ = ["StageModel", "stage_history"]

_UTC = timezone.utc
_TIME_AND_ID = itemgetter(0, 1)


# --------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------


class _Entry:
    """A rule with what the engine checks before calling it, precomputed."""

    __slots__ = (
        "actions",
        "backward",
        "from_stages",
        "is_touch",
        "kind",
        "name",
        "once",
        "rank",
        "rule",
        "to",
    )

    def __init__(self, rule: TransitionRule, rank: int) -> None:
        self.rule = rule
        self.name = rule.name
        self.to = rule.to
        self.rank = rank
        self.from_stages = rule.from_stages
        self.backward = rule.backward
        self.once = rule.once
        self.actions = rule.actions if isinstance(rule, TouchpointRule) else None
        self.is_touch = isinstance(rule, TouchpointRule)
        self.kind = (
            "touchpoint" if self.is_touch else "state" if isinstance(rule, StateRule) else "time"
        )


class _Compiled:
    __slots__ = ("event_back", "event_fwd", "rank", "state_back", "state_fwd", "time")

    def __init__(self, model: StageModel) -> None:
        self.rank = {stage.name: stage.rank for stage in model.stages}
        entries = [_Entry(rule, self.rank[rule.to]) for rule in model.rules]
        event = [e for e in entries if e.kind != "time"]
        state = [e for e in entries if e.kind == "state"]
        # forward candidates: highest rank first, then rule order (sorted is stable)
        self.event_fwd = tuple(sorted(event, key=lambda e: -e.rank))
        self.event_back = tuple(e for e in event if e.backward)
        self.state_fwd = tuple(sorted(state, key=lambda e: -e.rank))
        self.state_back = tuple(e for e in state if e.backward)
        self.time = tuple(e for e in entries if e.kind == "time")


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class StageModel:
    """A track: ranked stages and the rules that move a contact between them.

    :param name: the track's name, a slug (``"extended_crm"``).
    :param stages: its stages.
    :param rules: its transition rules; their order breaks ties.
    :param initial: the stage entered at the first touchpoint; None: no stage
        until a rule fires.
    :param description: one sentence on what it is for.
    :raises StageModelError: naming the problem, when stage names repeat, a
        rule names an unknown stage, rule names repeat, …
    """

    name: str = attrs.field(validator=_slug("name"))
    stages: tuple[Stage, ...] = attrs.field(converter=_tuple)
    rules: tuple[TransitionRule, ...] = attrs.field(converter=_tuple)
    initial: str | None = None
    description: str = ""
    _compiled: _Compiled = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "_compiled", _Compiled(self))

    def _error(self, field: str, rule: str) -> StageModelError:
        return StageModelError(field, rule, model=self.name)

    def _validate(self) -> None:
        if not self.stages:
            raise self._error("stages", "a model has at least one stage")
        names: set[str] = set()
        for i, stage in enumerate(self.stages):
            if not isinstance(stage, Stage):
                raise self._error(f"stages[{i}]", "must be a Stage")
            if stage.name in names:
                raise self._error(f"stages[{i}].name", f"stage {stage.name!r} is defined twice")
            names.add(stage.name)
        if self.initial is not None and self.initial not in names:
            raise self._error("initial", f"names no stage of the model: {self.initial!r}")
        rule_names: set[str] = set()
        for i, rule in enumerate(self.rules):
            if not isinstance(rule, (TouchpointRule, StateRule, TimeRule)):
                raise self._error(f"rules[{i}]", "must be a TouchpointRule, StateRule or TimeRule")
            if rule.name == INITIAL_RULE:
                raise self._error(f"rules[{i}].name", f"{INITIAL_RULE!r} is reserved")
            if rule.name in rule_names:
                raise self._error(f"rules[{i}].name", f"rule {rule.name!r} is defined twice")
            rule_names.add(rule.name)
            if rule.to not in names:
                raise self._error(f"rules[{i}].to", f"names no stage of the model: {rule.to!r}")
            unknown = sorted((rule.from_stages or frozenset()) - names)
            if unknown:
                raise self._error(
                    f"rules[{i}].from_stages", f"names no stage of the model: {unknown[0]!r}"
                )

    def stage(self, name: str) -> Stage:
        """Return the stage called *name*.

        :raises KeyError: when the model has no such stage.
        """
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def rank(self, name: str) -> int:
        """Return the rank of the stage called *name* (:raises KeyError: if unknown)."""
        return self._compiled.rank[name]

    def history(
        self,
        touchpoints: Iterable[Touchpoint],
        as_of: datetime,
        score_at: ScoreAt | None = None,
    ) -> StageHistory:
        """Return :func:`stage_history` of this model."""
        return stage_history(self, touchpoints, as_of, score_at)


# --------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------


def _by_event(
    touchpoints: Iterable[Touchpoint], as_of: datetime
) -> list[tuple[datetime, str, Touchpoint]]:
    """Return ``(event time, id, touchpoint)`` up to *as_of*, sorted by time then id."""
    out = []
    for tp in touchpoints:
        at = tp.occurred_at
        if at.tzinfo is None:  # never in the hub's log: read as UTC
            at = at.replace(tzinfo=_UTC)
        if at <= as_of:
            out.append((at, tp.id, tp))
    out.sort(key=_TIME_AND_ID)
    return out


class _Run:
    """The state of one evaluation: the context, the changes, what fell due."""

    __slots__ = ("changes", "compiled", "ctx", "done", "model")

    def __init__(self, model: StageModel, ctx: RuleContext) -> None:
        self.model = model
        self.compiled = model._compiled
        self.ctx = ctx
        self.changes: list[StageChange] = []
        self.done: set[tuple[str, datetime, str | None]] = set()

    def enter(self, to: str, rule: str, at: datetime, touchpoint_id: str | None) -> None:
        ctx = self.ctx
        self.changes.append(StageChange(ctx.track, ctx.stage, to, at, touchpoint_id, rule))
        ctx.stage = to
        ctx.entered_at = at
        ctx.entered_by = touchpoint_id
        ctx._fired.add(rule)

    def pick(
        self,
        forward: tuple[_Entry, ...],
        backward: tuple[_Entry, ...],
        tp: Touchpoint | None,
        skip: set[str] | None = None,
    ) -> _Entry | None:
        """Return the rule that moves the contact now: forward first, highest rank."""
        ctx = self.ctx
        stage = ctx.stage
        current = None if stage is None else self.compiled.rank[stage]
        fired = ctx._fired
        for e in forward:
            if current is not None and e.rank <= current:
                break
            if self._fires(e, stage, fired, tp, skip):
                return e
        if current is None:
            return None
        for e in backward:
            if e.rank > current or e.to == stage:
                continue
            if self._fires(e, stage, fired, tp, skip):
                return e
        return None

    def _fires(
        self,
        e: _Entry,
        stage: str | None,
        fired: set[str],
        tp: Touchpoint | None,
        skip: set[str] | None,
    ) -> bool:
        """Tell whether the rule applies from *stage* and its condition holds."""
        if e.from_stages is not None and stage not in e.from_stages:
            return False
        if e.once and e.name in fired:
            return False
        if skip is not None and e.name in skip:
            return False
        if e.is_touch:
            if tp is None or (e.actions is not None and tp.action not in e.actions):
                return False
            return bool(e.rule.matches(tp, self.ctx))  # type: ignore[attr-defined]
        return bool(e.rule.holds(self.ctx))  # type: ignore[attr-defined]

    def settle(self) -> None:
        """Apply state rules that hold now, each at most once at this moment."""
        compiled = self.compiled
        if not compiled.state_fwd:
            return
        skip: set[str] = set()
        while True:
            e = self.pick(compiled.state_fwd, compiled.state_back, None, skip)
            if e is None:
                return
            skip.add(e.name)
            self.enter(e.to, e.name, self.ctx.now, self.ctx.last_touchpoint_id)

    def fire_due(self, limit: datetime) -> None:
        """Fire the time-based rules due at or before *limit*, in due-time order."""
        ctx = self.ctx
        rank = self.compiled.rank
        while True:
            stage = ctx.stage
            current = None if stage is None else rank[stage]
            fired = ctx._fired
            best: _Entry | None = None
            best_due = limit
            best_anchor: str | None = None
            for e in self.compiled.time:
                if e.to == stage:
                    continue
                if current is not None and e.rank <= current and not e.backward:
                    continue
                if e.from_stages is not None and stage not in e.from_stages:
                    continue
                if e.once and e.name in fired:
                    continue
                found = e.rule.due(ctx)  # type: ignore[attr-defined]
                if found is None:
                    continue
                due, anchor = found
                if due > best_due or (best is not None and due == best_due):
                    continue
                if (e.name, due, anchor) in self.done:
                    continue
                best, best_due, best_anchor = e, due, anchor
            if best is None:
                return
            self.done.add((best.name, best_due, best_anchor))
            if best_due > ctx.now:
                ctx.now = best_due
            self.enter(best.to, best.name, ctx.now, best_anchor)
            self.settle()


def stage_history(
    model: StageModel,
    touchpoints: Iterable[Touchpoint],
    as_of: datetime,
    score_at: ScoreAt | None = None,
) -> StageHistory:
    """Return the stage history of a contact on *model*'s track, as of *as_of*.

    :param model: the track.
    :param touchpoints: the contact's touchpoints, in any order; those after
        *as_of* are ignored. A naive ``occurred_at`` is read as UTC.
    :param as_of: the time to compute the history for (timezone-aware).
    :param score_at: ``score_at(score_name, when)``, the contact's score as of
        *when*, for score rules; without it they never fire.
    :raises InvalidTimestampError: when *as_of* is naive.

    Exceptions raised by a rule (a user predicate, a score function) propagate
    unchanged.
    """
    _check_aware("as_of", as_of)
    ordered = _by_event(touchpoints, as_of)
    if not ordered:
        return StageHistory(model.name, as_of, ())
    ctx = RuleContext(model.name, ordered[0][0], score_at)
    run = _Run(model, ctx)
    compiled = run.compiled
    has_time = bool(compiled.time)
    traits = ctx._traits
    kinds = ctx._identifier_kinds
    last_at = ctx._last_at
    last_id = ctx._last_id
    counts = ctx._counts
    for index, (at, _, tp) in enumerate(ordered):
        if has_time and index:
            run.fire_due(at)
        if tp.traits:
            traits.update(tp.traits.items())
        for identifier in tp.identifiers:
            kinds.add(identifier.kind)
        action = tp.action
        last_at[action] = at
        last_id[action] = tp.id
        counts[action] = counts.get(action, 0) + 1
        ctx.now = at
        ctx.touchpoint = tp
        ctx.last_touchpoint_id = tp.id
        if not index and model.initial is not None:
            run.enter(model.initial, INITIAL_RULE, at, tp.id)
        e = run.pick(compiled.event_fwd, compiled.event_back, tp)
        if e is not None:
            run.enter(e.to, e.name, at, tp.id)
            run.settle()
    ctx.touchpoint = None
    if has_time:
        run.fire_due(as_of)
    ctx.now = as_of
    run.settle()
    return StageHistory(model.name, as_of, tuple(run.changes))
