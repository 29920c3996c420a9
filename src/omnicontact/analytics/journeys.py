"""Conversion journeys: the touches that led each contact to each conversion.

A *journey* is a run of a contact's touchpoints that ends in a conversion (a
touchpoint whose action is a conversion action, ``purchase`` by default) or,
after the contact's last conversion, in nothing yet. Attribution models
(:mod:`omnicontact.analytics.attribution`) share out each conversion over the
channels of its journey; the Markov model also learns from the journeys that
did not convert.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING

import attrs

from omnicontact.analytics.base import check_as_of, contacts_of, timeline_as_of
from omnicontact.errors import AnalyticsError
from omnicontact.model import Contact, Touchpoint
from omnicontact.scoring.base import first_number

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["VALUE_PROPERTIES", "Journey", "journeys"]

VALUE_PROPERTIES = ("amount", "revenue", "total", "value")
"""The properties read, in order, for a conversion's value (the first number found)."""

ValueOf = Sequence[str] | Callable[[Touchpoint], float | None]


def _touches(value: Iterable[str]) -> tuple[str, ...]:
    touches = tuple(value)
    if not touches:
        raise AnalyticsError("touches: a journey has at least one touch")
    for touch in touches:
        if not isinstance(touch, str) or not touch:
            raise AnalyticsError("touches: each touch is a non-empty channel name")
    return touches


def _times(value: Iterable[datetime]) -> tuple[datetime, ...]:
    return tuple(value)


def _value(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnalyticsError("value: must be a finite number")
    return float(value)


@attrs.frozen(repr=False)
class Journey:
    """One contact's touches towards one conversion, or since its last one.

    :param contact_id: whose journey it is.
    :param touches: the channels touched, oldest first (a channel touched
        twice appears twice); at least one.
    :param converted: whether it ended in a conversion.
    :param value: the conversion's value (0 when none is known, or when it
        did not convert).
    :param converted_at: when the conversion happened (``None`` when it did
        not convert, or when unknown).
    :param times: when each touch happened (same length as *touches*), or
        empty when unknown; the ``time_decay`` model needs them.
    """

    contact_id: str
    touches: tuple[str, ...] = attrs.field(converter=_touches)
    converted: bool = attrs.field(default=False, converter=bool)
    value: float = attrs.field(default=0.0, converter=_value)
    converted_at: datetime | None = None
    times: tuple[datetime, ...] = attrs.field(default=(), converter=_times)

    @times.validator
    def _check_times(self, _attribute: object, times: tuple[datetime, ...]) -> None:
        if times and len(times) != len(self.touches):
            raise AnalyticsError("times: one time per touch, or none")
        if any(not isinstance(t, datetime) for t in times):
            raise AnalyticsError("times: must be datetimes")
        if any(a > b for a, b in pairwise(times)):
            raise AnalyticsError("times: must be in order, oldest first")

    @classmethod
    def _trusted(
        cls,
        contact_id: str,
        touches: tuple[str, ...],
        times: tuple[datetime, ...],
        converted: bool,
        value: float,
        converted_at: datetime | None,
    ) -> Journey:
        """Build from values that are valid already (for :func:`journeys`, on the hot path)."""
        new = object.__new__(cls)
        setter = object.__setattr__
        setter(new, "contact_id", contact_id)
        setter(new, "touches", touches)
        setter(new, "converted", converted)
        setter(new, "value", value)
        setter(new, "converted_at", converted_at)
        setter(new, "times", times)
        return new

    def __repr__(self) -> str:
        return (
            f"Journey(contact_id={self.contact_id!r}, touches={list(self.touches)!r}, "
            f"converted={self.converted!r}, value={self.value!r})"
        )


def _names(argument: str, value: str | Iterable[str]) -> frozenset[str]:
    items = [value] if isinstance(value, str) else list(value)
    names = set()
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise AnalyticsError(f"{argument}: must be a name or a set of non-empty names")
        names.add(item.strip().lower())
    if not names:
        raise AnalyticsError(f"{argument}: must name at least one")
    return frozenset(names)


def _value_reader(value: ValueOf) -> Callable[[Touchpoint], float | None]:
    if callable(value):
        return value
    keys = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(key, str) for key in keys):
        raise AnalyticsError("value: must be property names or a function of a touchpoint")
    return lambda tp: first_number(tp.properties, keys)


def _check_lookback(lookback: object) -> timedelta | None:
    """Return *lookback* if it is ``None`` or a positive ``timedelta``.

    :raises AnalyticsError: naming ``lookback`` otherwise.
    """
    if lookback is None:
        return None
    if not isinstance(lookback, timedelta) or lookback <= timedelta(0):
        raise AnalyticsError("lookback: must be a positive timedelta or None")
    return lookback


def journeys(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    conversion: str | Iterable[str] = "purchase",
    lookback: timedelta | None = timedelta(days=30),
    channels: Iterable[str] | None = None,
    value: ValueOf = VALUE_PROPERTIES,
) -> tuple[Journey, ...]:
    """Return the conversion journeys of *source* as of *as_of*.

    Each contact's touchpoints up to *as_of* are read in order. Every
    conversion touchpoint (its action is one of *conversion*) ends a converting
    journey whose touches are the channels of the contact's touchpoints after
    its previous conversion, up to and **including the conversion itself**
    (the channel where the conversion happened is the last touch). The
    touchpoints after the last conversion form one non-converting journey.
    A journey keeps only the touches within *lookback* of its end (the
    conversion; for a non-converting journey its last touch), and only on
    *channels*; a journey left with no touch is dropped (a conversion on
    an excluded channel, with no counted touch before it, is not attributed).

    :param source: a hub or an iterable of contacts.
    :param as_of: only touchpoints at or before it count (timezone-aware).
    :param conversion: the conversion action, or a set of them.
    :param lookback: how far before its end a touch may be; ``None``: no limit
        (since the previous conversion).
    :param channels: the channels that count as touches; ``None``: all.
    :param value: property names read in order for a conversion's value (the
        first number found, else 0), or a function of the conversion touchpoint.
    :returns: the journeys, by contact id, each contact's in time order.
    :raises AnalyticsError: naming the argument: a naive *as_of*, no conversion
        action, an empty *channels*, a *lookback* that is not positive.
    """
    check_as_of(as_of)
    actions = _names("conversion", conversion)
    kept: frozenset[str] | None = None if channels is None else _names("channels", channels)
    window = _check_lookback(lookback)
    value_of = _value_reader(value)
    out: list[Journey] = []
    trusted = Journey._trusted
    for contact in sorted(contacts_of(source), key=attrgetter("contact_id")):
        timeline = timeline_as_of(contact, as_of)
        contact_id = contact.contact_id
        touches: list[str] = []
        times: list[datetime] = []
        for tp in timeline:
            channel = tp.channel
            if kept is None or channel in kept:
                touches.append(channel)
                times.append(tp.occurred_at)
            if touches and tp.action in actions:
                at = tp.occurred_at
                start = _first_within(times, at, window)
                amount = value_of(tp)
                worth = 0.0 if amount is None else _value(amount)
                out.append(
                    trusted(
                        contact_id, tuple(touches[start:]), tuple(times[start:]), True, worth, at
                    )
                )
                touches = []
                times = []
        if touches:
            start = _first_within(times, times[-1], window)
            out.append(
                trusted(contact_id, tuple(touches[start:]), tuple(times[start:]), False, 0.0, None)
            )
    return tuple(out)


def _first_within(times: list[datetime], end: datetime, window: timedelta | None) -> int:
    """Return the index of the first of *times* (in order) within *window* before *end*."""
    if window is None or times[0] >= end - window:
        return 0
    return bisect_left(times, end - window)
