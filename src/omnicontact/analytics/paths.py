"""Channel paths to conversion and the channel transition matrix.

A contact's touchpoints (up to ``as_of``, oldest first) are cut into
*journeys* at each conversion: a journey is the channels of the touchpoints
after the previous conversion, up to and including the conversion's own
touchpoint (the channel where it happened is the last step of the path). The
touchpoints after a contact's last conversion (all of them, when it never
converted) form a journey that did not convert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from omnicontact.analytics.base import Table, check_as_of, contacts_of, ratio, timeline_as_of
from omnicontact.errors import AnalyticsError
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["CONVERSION", "NULL", "START", "paths", "transitions"]

START = "(start)"
"""The state every journey starts from, in :func:`transitions`."""

CONVERSION = "(conversion)"
"""The state a converting journey ends in."""

NULL = "(null)"
"""The state a journey that did not convert ends in."""


def conversion_actions(conversion: str | Iterable[str]) -> frozenset[str]:
    """Return the conversion actions: one name, or a non-empty set of names.

    :raises AnalyticsError: naming ``conversion`` otherwise.
    """
    names = frozenset({conversion}) if isinstance(conversion, str) else None
    if names is None:
        if not isinstance(conversion, Iterable):
            raise AnalyticsError("conversion: must be an action name or a set of them")
        names = frozenset(conversion)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise AnalyticsError("conversion: must be an action name or a non-empty set of them")
    return names


def paths(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    conversion: str | Iterable[str] = "purchase",
    top: int | None = 10,
    dedupe: bool = True,
) -> Table:
    """Return the most frequent channel paths to conversion, as of *as_of*.

    Each conversion counts once, with the path of its journey (see
    :mod:`omnicontact.analytics.paths`). With *dedupe*, repeated consecutive
    channels collapse into one (``web, web, email, web`` is
    ``web > email > web``). Columns: ``path`` (a tuple of channels),
    ``conversions`` and ``share`` (of all conversions); the most frequent
    first, ties in path order.

    :param conversion: the action (or set of actions) that converts.
    :param top: how many paths to keep; None keeps all.
    :raises AnalyticsError: naming *conversion* or *top* when not valid.
    """
    when = check_as_of(as_of)
    actions = conversion_actions(conversion)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise AnalyticsError("top: must be a positive integer or None")
    counts: dict[tuple[str, ...], int] = {}
    for contact in contacts_of(source):
        path: list[str] = []
        for tp in timeline_as_of(contact, when):
            channel = tp.channel
            if not (dedupe and path and path[-1] == channel):
                path.append(channel)
            if tp.action in actions:
                key = tuple(path)
                counts[key] = counts.get(key, 0) + 1
                path = []
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if top is not None:
        ranked = ranked[:top]
    rows = [(path, n, ratio(n, total)) for path, n in ranked]
    return Table("paths", ("path", "conversions", "share"), rows)


def transitions(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    conversion: str | Iterable[str] = "purchase",
    dedupe: bool = False,
) -> Table:
    """Return the first-order channel transition matrix of all journeys, as of *as_of*.

    Every journey (see :mod:`omnicontact.analytics.paths`) is a walk
    ``(start) → channel → … → (conversion)``, or ``→ (null)`` for the one
    after a contact's last conversion. Columns: ``from``, ``to``, ``count``
    (transitions seen) and ``probability`` (``count`` over all transitions
    out of ``from``). Rows by ``from`` then ``to``: ``(start)`` first, then
    channels in name order, then ``(conversion)`` and ``(null)``.

    :param conversion: the action (or set of actions) that converts.
    :param dedupe: collapse repeated consecutive channels (default: keep
        them, as self-transitions, as a Markov model does).
    :raises AnalyticsError: naming *conversion* when not valid.
    """
    when = check_as_of(as_of)
    actions = conversion_actions(conversion)
    counts: dict[tuple[str, str], int] = {}
    for contact in contacts_of(source):
        state = START
        for tp in timeline_as_of(contact, when):
            channel = tp.channel
            if not (dedupe and state == channel):
                counts[state, channel] = counts.get((state, channel), 0) + 1
                state = channel
            if tp.action in actions:
                counts[state, CONVERSION] = counts.get((state, CONVERSION), 0) + 1
                state = START
        if state != START:
            counts[state, NULL] = counts.get((state, NULL), 0) + 1
    out_of: dict[str, int] = {}
    for (before, _), n in counts.items():
        out_of[before] = out_of.get(before, 0) + n
    rows: list[tuple[Any, ...]] = [
        (before, after, n, ratio(n, out_of[before]))
        for (before, after), n in sorted(counts.items(), key=_state_order)
    ]
    return Table("transitions", ("from", "to", "count", "probability"), rows)


_SPECIAL = {START: (0, ""), CONVERSION: (2, "0"), NULL: (2, "1")}


def _state_order(item: tuple[tuple[str, str], int]) -> tuple[tuple[int, str], tuple[int, str]]:
    before, after = item[0]
    return (_SPECIAL.get(before, (1, before)), _SPECIAL.get(after, (1, after)))
