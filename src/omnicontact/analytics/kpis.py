"""Key indicators of a contact base as of a date: recognition, cross-channel reach, NPS, stages.

One function per indicator, and :func:`kpis` for all of them as a table of
``name, value, definition``. Rates over nobody are None.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from omnicontact.analytics.base import Table, check_as_of, contacts_of, ratio, timeline_as_of
from omnicontact.analytics.timeline import stage_model, track_models
from omnicontact.cases import cases_of
from omnicontact.lifecycle.base import StageHistory, read_number
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub
    from omnicontact.lifecycle.history import StageModel

__all__ = [
    "NPS_ACTIONS",
    "cross_channel_cases",
    "cross_channel_contacts",
    "kpis",
    "nps",
    "recognition_rate",
    "stage_conversion",
    "time_in_stage",
]

NPS_ACTIONS = frozenset({"nps_response", "survey_response"})
"""The actions whose ``score`` property is a 0 to 10 recommendation answer."""


def recognition_rate(source: Hub | Iterable[Contact], *, as_of: datetime) -> float | None:
    """Return the share of touchpoints (up to *as_of*) that belong to an identified contact.

    *Identified* is ``contact.identified``: the contact carries a strong
    identifier (e-mail, phone, customer id, …) as the hub knows it now, so a
    visit made anonymously by somebody who signed up later counts as
    recognized (stitching is retroactive). None when there are no touchpoints.
    """
    return _recognition(contacts_of(source), check_as_of(as_of))


def _recognition(contacts: Sequence[Contact], when: datetime) -> float | None:
    known = total = 0
    for contact in contacts:
        count = len(timeline_as_of(contact, when))
        total += count
        if contact.identified:
            known += count
    return ratio(known, total)


def cross_channel_contacts(
    source: Hub | Iterable[Contact], *, as_of: datetime
) -> tuple[int, float | None]:
    """Return how many contacts were seen on two channels or more, and their share.

    Over the contacts with a touchpoint up to *as_of*; the share is None when
    there are none.
    """
    return _cross_contacts(contacts_of(source), check_as_of(as_of))


def _cross_contacts(contacts: Sequence[Contact], when: datetime) -> tuple[int, float | None]:
    seen = multi = 0
    for contact in contacts:
        touchpoints = timeline_as_of(contact, when)
        if not touchpoints:
            continue
        seen += 1
        first = touchpoints[0].channel
        if any(tp.channel != first for tp in touchpoints):
            multi += 1
    return multi, ratio(multi, seen)


def cross_channel_cases(
    source: Hub | Iterable[Contact], *, as_of: datetime
) -> tuple[int, float | None]:
    """Return how many cases were continued across channels, and their share of all cases.

    A case (touchpoints sharing a ``case_id``, see :mod:`omnicontact.cases`)
    is continued across channels when its touchpoints up to *as_of* came
    from two channels or more. The share is None when there are no cases.
    """
    return _cross_cases(contacts_of(source), check_as_of(as_of))


def _cross_cases(contacts: Sequence[Contact], when: datetime) -> tuple[int, float | None]:
    cases = multi = 0
    for contact in contacts:
        touchpoints = timeline_as_of(contact, when)
        if not any("case_id" in tp.properties for tp in touchpoints):
            continue
        for case in cases_of(touchpoints):
            cases += 1
            multi += len(case.channels) >= 2
    return multi, ratio(multi, cases)


def nps(source: Hub | Iterable[Contact], *, as_of: datetime) -> float | None:
    """Return the net promoter score, -100 to 100, from each contact's latest answer.

    An answer is a touchpoint's ``nps`` property (any action) or its ``score``
    property on ``nps_response`` and ``survey_response``, a number from 0 to
    10 (``nps`` wins when both are there; other values are not answers). Each
    contact counts once, with its latest answer up to *as_of*. NPS is the
    percentage of promoters (9 or 10) minus that of detractors (0 to 6),
    among those who answered; None when nobody did.
    """
    return _nps(contacts_of(source), check_as_of(as_of))


def _answer(properties: Any, action: str) -> float | None:
    for key in ("nps", "score"):
        if key in properties and (key == "nps" or action in NPS_ACTIONS):
            value = read_number(properties[key])
            if value is not None and 0 <= value <= 10:
                return value
    return None


def _nps(contacts: Sequence[Contact], when: datetime) -> float | None:
    promoters = detractors = answered = 0
    for contact in contacts:
        for tp in reversed(timeline_as_of(contact, when)):
            score = _answer(tp.properties, tp.action)
            if score is not None:
                answered += 1
                promoters += score >= 9
                detractors += score <= 6
                break
    share = ratio(promoters - detractors, answered)
    return None if share is None else 100 * share


def _histories(
    source: object, contacts: Sequence[Contact], track: str, when: datetime
) -> tuple[StageModel | None, list[StageHistory]]:
    model = stage_model(source, contacts, track)
    found = []
    for contact in contacts:
        history = contact.history(track, when) if model is not None else None
        if history is not None and history.changes:
            found.append(history)
    return model, found


def _main_path(model: StageModel) -> list[str]:
    """Return the first stage declared at each rank, by rank (side stages left out)."""
    first: dict[int, str] = {}
    for stage in model.stages:
        first.setdefault(stage.rank, stage.name)
    return [first[rank] for rank in sorted(first)]


def stage_conversion(
    source: Hub | Iterable[Contact], *, as_of: datetime, track: str = "extended_crm"
) -> Table:
    """Return the conversion between consecutive stages of *track*, as of *as_of*.

    The stages are taken by rank, the first declared at each rank (side
    stages sharing a rank, such as ``lapsed``, are left out): for
    ``extended_crm`` ``suspect → prospect → customer → ambassador``. For each
    pair, ``reached`` counts the contacts that ever entered the first stage,
    ``converted`` those of them that ever entered the next, and ``rate`` is
    their share (None over nobody). Columns: ``track``, ``from_stage``,
    ``to_stage``, ``reached``, ``converted``, ``rate``.

    :raises AnalyticsError: naming *track* when no such track exists.
    """
    contacts = contacts_of(source)
    model, histories = _histories(source, contacts, track, check_as_of(as_of))
    return _conversion_table(track, model, histories)


def _conversion_table(track: str, model: StageModel | None, histories: list[StageHistory]) -> Table:
    rows: list[tuple[Any, ...]] = []
    if model is not None:
        entered = [{c.to_stage for c in h.changes} for h in histories]
        path = _main_path(model)
        for before, after in pairwise(path):
            reached = sum(before in stages for stages in entered)
            converted = sum(before in stages and after in stages for stages in entered)
            rows.append((track, before, after, reached, converted, ratio(converted, reached)))
    columns = ("track", "from_stage", "to_stage", "reached", "converted", "rate")
    return Table("stage_conversion", columns, rows)


def time_in_stage(
    source: Hub | Iterable[Contact], *, as_of: datetime, track: str = "extended_crm"
) -> Table:
    """Return the average time contacts spent in each stage of *track*, as of *as_of*.

    For each stage (in the model's order): ``contacts`` that ever entered it,
    and ``mean_time``, the mean of their cumulative time in it (every stay
    added, an ongoing stay counted up to *as_of*: ``StageHistory.time_in``);
    None when nobody entered it. Columns: ``track``, ``stage``, ``contacts``,
    ``mean_time``.

    :raises AnalyticsError: naming *track* when no such track exists.
    """
    contacts = contacts_of(source)
    model, histories = _histories(source, contacts, track, check_as_of(as_of))
    return _time_table(track, model, histories)


def _time_table(track: str, model: StageModel | None, histories: list[StageHistory]) -> Table:
    rows: list[tuple[Any, ...]] = []
    for stage in () if model is None else model.stages:
        spent = [h.time_in(stage.name) for h in histories if h.entered(stage.name)]
        mean = sum(spent, timedelta(0)) / len(spent) if spent else None
        rows.append((track, stage.name, len(spent), mean))
    return Table("time_in_stage", ("track", "stage", "contacts", "mean_time"), rows)


def kpis(source: Hub | Iterable[Contact], *, as_of: datetime, track: str = "extended_crm") -> Table:
    """Return every indicator of this module as a table of ``name, value, definition``.

    Stage conversion and time in stage are for *track*, one row per pair of
    stages or stage (``stage_conversion:prospect>customer``,
    ``time_in_stage:customer``); there are none for contacts not built by a hub.

    :raises AnalyticsError: naming *track* when no such track exists.
    """
    when = check_as_of(as_of)
    contacts = contacts_of(source)
    model: StageModel | None = None
    histories: list[StageHistory] = []
    if track_models(source, contacts):  # bare contacts (no hub): no stage rows
        model, histories = _histories(source, contacts, track, when)
    cross, cross_share = _cross_contacts(contacts, when)
    cases, cases_share = _cross_cases(contacts, when)
    rows: list[tuple[str, Any, str]] = [
        (
            "recognition_rate",
            _recognition(contacts, when),
            "share of touchpoints that belong to an identified contact",
        ),
        ("cross_channel_contacts", cross, "contacts seen on 2 channels or more"),
        (
            "cross_channel_contacts_share",
            cross_share,
            "share of contacts seen on 2 channels or more",
        ),
        ("cross_channel_cases", cases, "cases whose touchpoints span 2 channels or more"),
        (
            "cross_channel_cases_share",
            cases_share,
            "share of cases whose touchpoints span 2 channels or more",
        ),
        ("nps", _nps(contacts, when), "% promoters (9-10) - % detractors (0-6), latest answers"),
    ]
    for row in _conversion_table(track, model, histories).rows:
        _, before, after, _, _, rate = row
        rows.append(
            (
                f"stage_conversion:{before}>{after}",
                rate,
                f"share of contacts that entered {before} on {track} and entered {after}",
            )
        )
    for row in _time_table(track, model, histories).rows:
        _, stage, _, mean = row
        rows.append(
            (
                f"time_in_stage:{stage}",
                mean,
                f"mean time in {stage} on {track}, among contacts that entered it",
            )
        )
    return Table("kpis", ("name", "value", "definition"), rows)
