"""Funnels over touchpoint actions or lifecycle stages, and cohort retention.

A funnel follows each contact through *steps*: touchpoint actions (a step
may be a set of actions: any of them does) or, with ``track``, the stages of
one track (a step is reached when the contact *entered* that stage). Three
modes, as in PostHog, Mixpanel and Amplitude:

``ordered``
    the steps in order, anything may happen in between. The attempt starts at
    the contact's *first* step-1 event; each later step is the first matching
    event after the previous step's event.
``strict``
    the steps in order with *no other event at all* in between (PostHog's
    strict order): each step is the contact's very next event (touchpoint, or
    stage change on a track) after the previous step's. Every step-1 event
    starts an attempt; the attempt that goes furthest counts (the earliest of
    those, for the times).
``any``
    the steps in any order: step *k* is reached by a contact that did at
    least *k* different steps. The attempt starts at the contact's first
    event that matches any step; an event counts for every step it matches.

The conversion window, when given, is anchored at the attempt's first event
(the first step-1 event in ``ordered`` mode): an event counts when it
happened at most ``window`` after it. Times to convert run from that event;
their median and 90th percentile interpolate linearly between the closest
ranks (numpy's default, Hyndman and Fan's type 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import attrs

from omnicontact.analytics.base import Table, check_as_of, contacts_of, ratio, timeline_as_of
from omnicontact.analytics.timeline import check_stages, stage_model
from omnicontact.errors import AnalyticsError
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["MODES", "Funnel", "funnel", "percentile", "retention"]

MODES = ("ordered", "strict", "any")
"""The funnel modes (see :mod:`omnicontact.analytics.funnels`)."""

BREAKDOWNS = ("first_channel", "cohort")
"""What a funnel can be broken down by."""

_STEP_COLUMNS = ("step", "label", "contacts", "conversion", "overall", "median_time", "p90_time")

_Event = tuple[datetime, tuple[int, ...]]
_UTC = timezone.utc


def percentile(values: Sequence[timedelta], q: float) -> timedelta | None:
    """Return the *q* quantile (0 to 1) of *values*, interpolating between the closest ranks.

    The value at position ``q * (n - 1)`` of the sorted values (numpy's
    default method); None when there are none.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@attrs.frozen
class Funnel:
    """A funnel's result: per step, how many contacts reached it and how fast.

    Tuples have one item per step. ``conversion`` is from the previous step
    (1.0 for step 1), ``overall`` from step 1; both are None over nobody.
    Times run from the attempt's first event (``timedelta(0)`` for step 1).

    :param steps: the steps' labels (a set of actions as ``"a | b"``).
    :param mode: ``ordered``, ``strict`` or ``any``.
    :param track: the track whose stages are the steps, or None for actions.
    :param window: the conversion window, or None for no limit.
    :param as_of: nothing after it counts.
    :param contacts: contacts that reached each step.
    :param conversion: share of the previous step's contacts that reached it.
    :param overall: share of step 1's contacts that reached it.
    :param median_time: median time to reach it.
    :param p90_time: 90th percentile of the time to reach it.
    :param breakdown: one row per (group, step), when asked for.
    """

    steps: tuple[str, ...]
    mode: str
    track: str | None
    window: timedelta | None
    as_of: datetime
    contacts: tuple[int, ...]
    conversion: tuple[float | None, ...]
    overall: tuple[float | None, ...]
    median_time: tuple[timedelta | None, ...]
    p90_time: tuple[timedelta | None, ...]
    breakdown: Table | None = None

    @property
    def table(self) -> Table:
        """The funnel as a table: step (from 1), label, contacts, conversion, overall, times."""
        columns = (
            self.contacts,
            self.conversion,
            self.overall,
            self.median_time,
            self.p90_time,
        )
        rows = [(k + 1, label, *(c[k] for c in columns)) for k, label in enumerate(self.steps)]
        return Table("funnel", _STEP_COLUMNS, rows)


class _Tally:
    """Per-step counts and times of one group of contacts."""

    def __init__(self, steps: int) -> None:
        self.counts = [0] * steps
        self.times: list[list[timedelta]] = [[] for _ in range(steps)]

    def add(self, times: list[timedelta]) -> None:
        for k, spent in enumerate(times):
            self.counts[k] += 1
            self.times[k].append(spent)


def _step_rows(labels: Sequence[str], tally: _Tally) -> list[tuple[Any, ...]]:
    counts = tally.counts
    rows = []
    for k, label in enumerate(labels):
        before = counts[k - 1] if k else counts[0]
        times = tally.times[k]
        rows.append(
            (
                k + 1,
                label,
                counts[k],
                ratio(counts[k], before),
                ratio(counts[k], counts[0]),
                percentile(times, 0.5),
                percentile(times, 0.9),
            )
        )
    return rows


def _steps(steps: object) -> list[frozenset[str]]:
    if isinstance(steps, str) or not isinstance(steps, Iterable):
        raise AnalyticsError("steps: must be a list of steps (names, or sets of names)")
    out = []
    for i, step in enumerate(steps):
        names = frozenset({step}) if isinstance(step, str) else frozenset(step)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise AnalyticsError(f"steps[{i}]: must be a name or a non-empty set of names")
        out.append(names)
    if not out:
        raise AnalyticsError("steps: a funnel has at least one step")
    return out


def _check_window(window: object) -> timedelta | None:
    if window is None:
        return None
    if not isinstance(window, timedelta):
        raise AnalyticsError("window: must be a timedelta or None")
    if window <= timedelta(0):
        raise AnalyticsError("window: must be a positive duration")
    return window


def funnel(
    source: Hub | Iterable[Contact],
    steps: Sequence[str | Iterable[str]],
    *,
    as_of: datetime,
    track: str | None = None,
    mode: str = "ordered",
    window: timedelta | None = None,
    breakdown: str | None = None,
) -> Funnel:
    """Return how many contacts went through *steps*, as of *as_of*, and how fast.

    Each contact counts once (unique contacts), for the furthest step it
    reached. See :mod:`omnicontact.analytics.funnels` for the modes and window.

    :param steps: touchpoint actions (each a name or a set of names), or
        stages of *track*.
    :param track: the track whose stages the steps are; None for actions.
    :param mode: ``"ordered"``, ``"strict"`` or ``"any"``.
    :param window: the conversion window; None for no limit.
    :param breakdown: ``"first_channel"`` (the channel of the contact's first
        touchpoint) or ``"cohort"`` (the month it was first seen, ``"2026-03"``).
    :raises AnalyticsError: naming the argument: no steps, an unknown track
        or stage, a mode or breakdown not known, a window of zero or less.
    """
    when = check_as_of(as_of)
    wanted = _steps(steps)
    if mode not in MODES:
        raise AnalyticsError(f"mode: must be one of {', '.join(MODES)}, not {mode!r}")
    limit = _check_window(window)
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise AnalyticsError(f"breakdown: must be None or one of {', '.join(BREAKDOWNS)}")
    contacts = contacts_of(source)
    step_of: dict[str, list[int]] = {}
    for k, names in enumerate(wanted):
        for name in names:
            step_of.setdefault(name, []).append(k)
    if track is not None:
        model = stage_model(source, contacts, track)
        for k, names in enumerate(wanted):
            check_stages(model, sorted(names), f"steps[{k}]")
    lookup = {name: tuple(ks) for name, ks in step_of.items()}
    walk = _WALKS[mode]
    n = len(wanted)
    total = _Tally(n)
    groups: dict[str, _Tally] = {}
    for contact in contacts:
        touchpoints = timeline_as_of(contact, when)
        if not touchpoints:
            continue
        if track is None:
            events: list[_Event] = [
                (tp.occurred_at, lookup.get(tp.action, ())) for tp in touchpoints
            ]
        else:
            history = contact.history(track, when)
            changes = () if history is None else history.changes
            events = [(c.at, lookup.get(c.to_stage, ())) for c in changes]
        times = walk(events, n, limit)
        if not times:
            continue
        total.add(times)
        if breakdown is not None:
            first = touchpoints[0]
            key = first.channel if breakdown == "first_channel" else month_of(first.occurred_at)
            groups.setdefault(key, _Tally(n)).add(times)
    labels = tuple(" | ".join(sorted(names)) for names in wanted)
    rows = _step_rows(labels, total)
    split = None
    if breakdown is not None:
        split = Table(
            f"funnel by {breakdown}",
            (breakdown, *_STEP_COLUMNS),
            [(key, *row) for key in sorted(groups) for row in _step_rows(labels, groups[key])],
        )
    return Funnel(
        steps=labels,
        mode=mode,
        track=track,
        window=limit,
        as_of=when,
        contacts=tuple(r[2] for r in rows),
        conversion=tuple(r[3] for r in rows),
        overall=tuple(r[4] for r in rows),
        median_time=tuple(r[5] for r in rows),
        p90_time=tuple(r[6] for r in rows),
        breakdown=split,
    )


def _ordered(events: list[_Event], n: int, window: timedelta | None) -> list[timedelta]:
    """Return the times to each step reached, from the first step-1 event."""
    first = next((i for i, (_, matched) in enumerate(events) if 0 in matched), None)
    if first is None:
        return []
    start = events[first][0]
    times = [timedelta(0)]
    for at, matched in events[first + 1 :]:
        if len(times) == n or (window is not None and at - start > window):
            break
        if len(times) in matched:
            times.append(at - start)
    return times


def _strict(events: list[_Event], n: int, window: timedelta | None) -> list[timedelta]:
    """Return the times of the attempt that goes furthest with no other event between steps."""
    best: list[timedelta] = []
    for i, (start, matched) in enumerate(events):
        if 0 not in matched:
            continue
        times = [timedelta(0)]
        for at, later in events[i + 1 : i + n]:
            if len(times) not in later or (window is not None and at - start > window):
                break
            times.append(at - start)
        if len(times) > len(best):
            best = times
            if len(best) == n:
                break
    return best


def _any(events: list[_Event], n: int, window: timedelta | None) -> list[timedelta]:
    """Return the times at which the contact had done 1, 2, … different steps."""
    done: set[int] = set()
    times: list[timedelta] = []
    start: datetime | None = None
    for at, matched in events:
        if not matched:
            continue
        if start is None:
            start = at
        elif window is not None and at - start > window:
            break
        fresh = [k for k in matched if k not in done]
        done.update(fresh)
        times.extend([at - start] * len(fresh))
        if len(done) == n:
            break
    return times


_WALKS: dict[str, Callable[[list[_Event], int, timedelta | None], list[timedelta]]] = {
    "ordered": _ordered,
    "strict": _strict,
    "any": _any,
}


# --------------------------------------------------------------------------
# retention
# --------------------------------------------------------------------------


def month_of(when: datetime) -> str:
    """Return the UTC month of *when* as ``"2026-03"``."""
    return f"{when.year:04d}-{when.month:02d}"


def _month_index(when: datetime) -> int:
    return when.year * 12 + when.month - 1


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


_EPOCH_MONDAY = datetime(1970, 1, 5).toordinal()


def _week_index(when: datetime) -> int:
    return (when.toordinal() - _EPOCH_MONDAY) // 7


def _week_label(index: int) -> str:
    year, week, _ = datetime.fromordinal(_EPOCH_MONDAY + 7 * index).isocalendar()
    return f"{year:04d}-W{week:02d}"


_PERIODS: dict[str, tuple[Callable[[datetime], int], Callable[[int], str]]] = {
    "month": (_month_index, _month_label),
    "week": (_week_index, _week_label),
}


def retention(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    period: str = "month",
    action: str | Iterable[str] | None = None,
) -> Table:
    """Return cohort retention: per first-seen cohort, the share active in each later period.

    A contact's cohort is the period (UTC calendar month, or ISO week from
    Monday) of its first touchpoint. It is *active* in period *p* when it has
    a touchpoint (with one of *action*, when given) in the *p*-th period after
    its cohort's (period 0 is the cohort's own). Columns: ``cohort``
    (``"2026-03"``, or ``"2026-W10"``), ``contacts`` (the cohort's size),
    then ``period_0``, ``period_1``, … up to the oldest cohort's period
    holding *as_of*; a period that has not begun at *as_of* is None (the
    period holding *as_of* counts what happened so far).

    :param period: ``"month"`` or ``"week"``.
    :param action: the action (or set of actions) that counts as active;
        None for any touchpoint.
    :raises AnalyticsError: naming *period* or *action* when it is not valid.
    """
    when = check_as_of(as_of)
    if period not in _PERIODS:
        raise AnalyticsError(f"period: must be one of {', '.join(_PERIODS)}, not {period!r}")
    index_of, label_of = _PERIODS[period]
    wanted: frozenset[str] | None = None
    if action is not None:
        wanted = _steps([action])[0]
    now = index_of(when.astimezone(_UTC))
    sizes: dict[int, int] = {}
    active: dict[tuple[int, int], int] = {}
    for contact in contacts_of(source):
        touchpoints = timeline_as_of(contact, when)
        if not touchpoints:
            continue
        cohort = index_of(touchpoints[0].occurred_at)
        sizes[cohort] = sizes.get(cohort, 0) + 1
        seen: set[int] = set()
        for tp in touchpoints:
            if wanted is None or tp.action in wanted:
                seen.add(index_of(tp.occurred_at) - cohort)
        for offset in seen:
            active[cohort, offset] = active.get((cohort, offset), 0) + 1
    width = now - min(sizes) + 1 if sizes else 1
    rows = []
    for cohort in sorted(sizes):
        size = sizes[cohort]
        shares = [
            None if cohort + p > now else active.get((cohort, p), 0) / size for p in range(width)
        ]
        rows.append((label_of(cohort), size, *shares))
    return Table("retention", ("cohort", "contacts", *(f"period_{p}" for p in range(width))), rows)
