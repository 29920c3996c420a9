"""Stage models, transition rules and the engine that turns touchpoints into a stage history.

A *stage model* (a *track*) is a set of ranked stages and the rules that move a
contact between them. :func:`stage_history` is a pure function of a contact's
touchpoints as of a time: it reads them sorted by ``(occurred_at, id)``,
ignores those after ``as_of``, and records every change of stage with its
event time, its cause (a touchpoint id) and the rule that made it. Nothing
depends on the order the touchpoints arrived in, so after a merge the hub
recomputes from the union of the touchpoints, after a split each side from its
own.

Three kinds of rule:

- :class:`TouchpointRule` fires on a touchpoint (``matches(touchpoint, ctx)``);
- :class:`StateRule` fires when a condition on the state so far holds
  (``holds(ctx)``: identifiers and traits seen, scores), checked after each
  touchpoint, after each time-based change and at ``as_of``;
- :class:`TimeRule` falls due at a time computed from the state so far
  (``due(ctx)``), checked before each touchpoint and at ``as_of``.

A rule moves *forward* (to a stage of higher rank) unless it is ``backward``;
a ``once`` rule fires at most once per history. ``docs/lifecycle.md`` gives the
exact semantics and a worked example.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Set
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import attrs

from omnicontact.errors import ConfigurationError, InvalidTimestampError
from omnicontact.model import Touchpoint

__all__ = [
    "INITIAL_RULE",
    "RuleContext",
    "ScoreAt",
    "Stage",
    "StageChange",
    "StageHistory",
    "StageModel",
    "StageModelError",
    "StateRule",
    "Stay",
    "TimeRule",
    "TouchpointRule",
    "TransitionRule",
    "after_inactivity",
    "any_of",
    "on_action",
    "on_identifier",
    "on_property",
    "on_score",
    "on_trait",
    "read_number",
    "stage_history",
]

_SLUG_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
_UTC = timezone.utc
_TIME_AND_ID = itemgetter(0, 1)

INITIAL_RULE = "initial"
"""The rule name recorded when a contact enters a model's initial stage (reserved)."""

ScoreAt = Callable[[str, datetime], "float | None"]
"""``score_at(score_name, when)``: a contact's score as of *when*, or None if unknown."""


class StageModelError(ConfigurationError):
    """A stage model, stage or transition rule is malformed.

    :ivar model: the model's name, when known.
    :ivar field: what is wrong (``"stages[2].name"``, ``"rules[0].to"``, …).
    :ivar rule: the rule it breaks, in words.
    """

    def __init__(self, field: str, rule: str, model: str | None = None) -> None:
        self.model = model
        self.field = field
        self.rule = rule
        where = f"stage model {model!r}: " if model else ""
        super().__init__(f"{where}{field}: {rule}")


def _slug(field: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or not _SLUG_RE.match(value):
            raise StageModelError(field, "must be a slug of lower-case letters, digits and _")

    return check


def _stage_set(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _bool(field: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, bool):
            raise StageModelError(field, "must be True or False")

    return check


def read_number(value: object) -> float | None:
    """Return *value* as a finite float (a number, or a string holding one), else None.

    Booleans, non-numeric text, NaN and infinities are not numbers here: a
    rule that compares a property simply does not match them.
    """
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------
# values: stages, changes, histories
# --------------------------------------------------------------------------


@attrs.frozen
class Stage:
    """One stage of a model.

    :param name: a slug (``"prospect"``).
    :param rank: its place on the track: a forward move goes to a higher rank.
        Side stages may share a rank (``lapsed`` has ``prospect``'s).
    :param description: one sentence on what it means.
    """

    name: str = attrs.field(validator=_slug("stage.name"))
    rank: int = attrs.field()
    description: str = ""

    @rank.validator
    def _check_rank(self, _attribute: object, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise StageModelError(f"stages.{self.name}.rank", "must be an integer")


@attrs.frozen
class StageChange:
    """One change of stage on one track.

    :param track: the model's name.
    :param from_stage: the stage left, or None for the first entry.
    :param to_stage: the stage entered.
    :param at: the *event* time: the touchpoint's ``occurred_at``, or the time
        a time-based rule fell due (or ``as_of`` for a state rule seen then).
    :param touchpoint_id: the cause: the touchpoint that matched; for time-based
        rules the touchpoint the period counts from; for state rules the latest
        touchpoint when the condition was seen to hold.
    :param rule: the rule's name (``"initial"`` for the initial stage).
    """

    track: str
    from_stage: str | None
    to_stage: str
    at: datetime
    touchpoint_id: str | None
    rule: str


@attrs.frozen
class Stay:
    """One continuous stay in a stage.

    :param stage: the stage.
    :param entered_at: when it was entered.
    :param exited_at: when it was left, or None when the contact is still in it
        as of the history's ``as_of``.
    """

    stage: str
    entered_at: datetime
    exited_at: datetime | None


def _check_aware(field: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidTimestampError(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTimestampError(field, "must be timezone-aware")
    return value


@attrs.frozen
class StageHistory:
    """Every change of stage of one contact on one track, as of a time.

    :param track: the model's name.
    :param as_of: the time the history was computed for; nothing after it is known.
    :param changes: the changes, in time order (several may share a time).
    """

    track: str
    as_of: datetime
    changes: tuple[StageChange, ...]

    @property
    def current(self) -> str | None:
        """The stage as of ``as_of``, or None if the contact is not on the track."""
        return self.changes[-1].to_stage if self.changes else None

    @property
    def since(self) -> datetime | None:
        """When the current stage was entered, or None if there is none."""
        return self.changes[-1].at if self.changes else None

    def stage_as_of(self, when: datetime) -> str | None:
        """Return the stage at *when*: after every change at or before it.

        :raises InvalidTimestampError: when *when* is naive or after ``as_of``
            (what happens after ``as_of`` is not known to this history).
        """
        _check_aware("when", when)
        if when > self.as_of:
            raise InvalidTimestampError("when", "must not be after the history's as_of")
        stage = None
        for change in self.changes:
            if change.at > when:
                break
            stage = change.to_stage
        return stage

    def entered(self, stage: str) -> tuple[datetime, ...]:
        """Return every time *stage* was entered, oldest first."""
        return tuple(c.at for c in self.changes if c.to_stage == stage)

    def exited(self, stage: str) -> tuple[datetime, ...]:
        """Return every time *stage* was left, oldest first."""
        return tuple(c.at for c in self.changes if c.from_stage == stage)

    def stays(self, stage: str) -> tuple[Stay, ...]:
        """Return every stay in *stage*, oldest first; the last may be ongoing."""
        out = []
        entered: datetime | None = None
        for change in self.changes:
            if change.from_stage == stage and entered is not None:
                out.append(Stay(stage, entered, change.at))
                entered = None
            if change.to_stage == stage:
                entered = change.at
        if entered is not None:
            out.append(Stay(stage, entered, None))
        return tuple(out)

    def time_in(self, stage: str) -> timedelta:
        """Return the time spent in *stage*, all stays added, up to ``as_of``."""
        total = timedelta(0)
        for stay in self.stays(stage):
            total += (stay.exited_at or self.as_of) - stay.entered_at
        return total

    def latest_time_in(self, stage: str) -> timedelta | None:
        """Return the length of the latest stay in *stage* (ongoing: up to ``as_of``).

        None when the contact never entered it.
        """
        stays = self.stays(stage)
        if not stays:
            return None
        return (stays[-1].exited_at or self.as_of) - stays[-1].entered_at


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
