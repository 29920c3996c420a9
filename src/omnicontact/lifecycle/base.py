"""The values of the lifecycle: stages, stage changes, stays and stage histories.

Also :class:`StageModelError`, :func:`read_number` and the small validators
the other lifecycle modules share. The stage model and its engine are in
:mod:`omnicontact.lifecycle.history`, the transition rules in
:mod:`omnicontact.lifecycle.rules` and :mod:`omnicontact.lifecycle.constructors`
(``omnicontact.lifecycle`` is the place to import them all from).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs

from omnicontact.errors import ConfigurationError, InvalidTimestampError

__all__ = [
    "Stage",
    "StageChange",
    "StageHistory",
    "StageModelError",
    "Stay",
    "read_number",
]

_SLUG_RE = re.compile(r"[a-z][a-z0-9_]*\Z")


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
