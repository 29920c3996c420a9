"""Stages across the population: counts over time, and the channels that moved people.

How many contacts stood in each stage at the end of each period, and which
channels moved them from one stage to the next.

Both read each contact's stage history on one track as of a date (computed
from its touchpoints, as ``contact.history(track, as_of)`` gives it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from omnicontact.analytics.base import Table, check_as_of, contacts_of
from omnicontact.errors import AnalyticsError
from omnicontact.lifecycle.base import StageHistory
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["histories", "stage_counts", "stage_flows", "stage_names"]

_PERIODS = ("day", "week", "month")


def stage_names(contacts: Iterable[Contact], track: str) -> tuple[str, ...]:
    """Return the stages of *track* by rank (then as the model lists them).

    :raises AnalyticsError: when no contact knows a track of that name.
    """
    for contact in contacts:
        lifecycle = contact.lifecycle
        if lifecycle is None:
            continue
        model = lifecycle.models.get(track)
        if model is None:
            known = ", ".join(sorted(lifecycle.models))
            raise AnalyticsError(f"track: no stage model is named {track!r} (known: {known})")
        ordered = sorted(enumerate(model.stages), key=lambda item: (item[1].rank, item[0]))
        return tuple(stage.name for _, stage in ordered)
    raise AnalyticsError("track: the contacts were not built by a hub: they have no stages")


def histories(
    source: Hub | Iterable[Contact], *, track: str, as_of: datetime
) -> list[tuple[Contact, StageHistory]]:
    """Return each contact with its history on *track* as of *as_of*.

    :raises AnalyticsError: for an unknown track or a naive *as_of*.
    """
    check_as_of(as_of)
    contacts = contacts_of(source)
    if not contacts:
        return []
    stage_names(contacts, track)
    out = []
    for contact in contacts:
        history = contact.history(track, as_of)
        if history is not None:
            out.append((contact, history))
    return out


def _period_ends(start: datetime, end: datetime, period: str) -> list[datetime]:
    """Return the end of each period from *start*'s to *end*'s, the last one being *end*."""
    if period not in _PERIODS:
        raise AnalyticsError(f"period: must be one of {', '.join(_PERIODS)}")
    day = start.astimezone(timezone.utc).date()
    ends: list[datetime] = []
    while True:
        if period == "day":
            last = day
        elif period == "week":
            last = day + timedelta(days=6 - day.weekday())
        else:
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        moment = datetime.combine(last, time.max, tzinfo=timezone.utc)
        if moment >= end:
            ends.append(end)
            return ends
        ends.append(moment)
        day = last + timedelta(days=1)


def _label(moment: datetime, period: str) -> str:
    if period == "month":
        return f"{moment:%Y-%m}"
    return f"{moment:%Y-%m-%d}"


def stage_counts(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    track: str = "extended_crm",
    period: str = "week",
    since: datetime | None = None,
) -> Table:
    """Return how many contacts stood in each stage at the end of each period.

    One row per period (``day``, ``week`` ending on Sunday, or ``month``),
    from the first touchpoint (or *since*) to *as_of*: ``period`` (the
    period's last day, or month), then one column per stage of the track by
    rank, then ``none`` (seen but not on the track yet). A contact counts from
    its first touchpoint; the last period ends at *as_of*.

    :raises AnalyticsError: for an unknown track or period, or a naive *as_of*.
    """
    found = histories(source, track=track, as_of=as_of)
    names = stage_names([c for c, _ in found], track) if found else ()
    columns = ("period", *names, "none")
    if not found:
        return Table("stage_counts", columns, ())
    start = since or min(contact.first_seen for contact, _ in found)
    if start > as_of:
        return Table("stage_counts", columns, ())
    ends = _period_ends(start, as_of, period)
    rows = []
    for end in ends:
        counts: Counter[str] = Counter()
        for contact, history in found:
            if contact.first_seen > end:
                continue
            stage = history.stage_as_of(end)
            counts[stage if stage is not None else "none"] += 1
        rows.append((_label(end, period), *(counts[n] for n in names), counts["none"]))
    return Table("stage_counts", columns, rows)


def stage_flows(
    source: Hub | Iterable[Contact], *, as_of: datetime, track: str = "extended_crm"
) -> Table:
    """Return which channels moved contacts from one stage to the next.

    One row per (from stage, to stage, channel): how many stage changes on
    the track happened on a touchpoint of that channel (the change's cause).
    Entries onto the track have ``from_stage`` ``None``. Changes that fell due
    with time alone (``lapsed``) have the channel ``(time)``. Sorted by rank of
    the stages, then by count.

    :raises AnalyticsError: for an unknown track or a naive *as_of*.
    """
    found = histories(source, track=track, as_of=as_of)
    columns = ("from_stage", "to_stage", "channel", "changes")
    if not found:
        return Table("stage_flows", columns, ())
    order = {name: rank for rank, name in enumerate(stage_names([c for c, _ in found], track))}
    counts: Counter[tuple[str | None, str, str]] = Counter()
    for contact, history in found:
        cause = {tp.id: (tp.channel, tp.occurred_at) for tp in contact.timeline}
        for change in history.changes:
            found_cause = cause.get(change.touchpoint_id or "")
            # a change at another time than its cause's fell due with time (a lapse)
            channel = "(time)"
            if found_cause is not None and found_cause[1] == change.at:
                channel = found_cause[0]
            counts[(change.from_stage, change.to_stage, channel)] += 1

    def key(item: tuple[tuple[str | None, str, str], int]) -> tuple[int, int, int, str]:
        (source_stage, target, channel), count = item
        start = -1 if source_stage is None else order.get(source_stage, 99)
        return (start, order.get(target, 99), -count, channel)

    rows = [(a, b, c, n) for (a, b, c), n in sorted(counts.items(), key=key)]
    return Table("stage_flows", columns, rows)

