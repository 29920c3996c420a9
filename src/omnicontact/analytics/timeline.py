"""One contact's cross-channel timeline: its touchpoints, cases and stage changes, as of a date.

Also the helpers the other analyses share to find a population's stage
models (tracks) and to check the stages a funnel names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from omnicontact.analytics.base import Table, check_as_of, timeline_as_of
from omnicontact.errors import AnalyticsError
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub
    from omnicontact.lifecycle.history import StageModel

__all__ = ["timeline"]

_COLUMNS = ("at", "channel", "action", "touchpoint_id", "case_id", "stage_changes")


def timeline(contact: Contact, *, as_of: datetime | None = None) -> Table:
    """Return the contact's timeline across channels as of *as_of*: one row per touchpoint.

    Columns: ``at`` (UTC), ``channel``, ``action``, ``touchpoint_id``,
    ``case_id`` (the touchpoint's ``case_id`` property, or None) and
    ``stage_changes``: the stages the touchpoint made the contact enter, on
    each track of the hub, as ``"track: stage"`` (a tuple, empty when none).
    A change no touchpoint caused at its own time (a time-based rule, such as
    lapsing a year after the last purchase) gets a row of its own, at the
    change's time, with ``channel``, ``action``, ``touchpoint_id`` and
    ``case_id`` None. Rows are in time order; at one time touchpoints come
    before such changes.

    :param as_of: only what happened at or before it counts; default the
        contact's ``as_of`` (when the hub built it), else its last touchpoint.
    :raises AnalyticsError: when *as_of* is not timezone-aware.
    """
    if not isinstance(contact, Contact):
        raise AnalyticsError(f"contact: expected a Contact, got a {type(contact).__name__}")
    when = check_as_of(as_of if as_of is not None else (contact.as_of or contact.last_seen))
    touchpoints = timeline_as_of(contact, when)
    caused: dict[str, list[str]] = {tp.id: [] for tp in touchpoints}
    times = {tp.id: tp.occurred_at for tp in touchpoints}
    extra: list[tuple[Any, ...]] = []
    for track in _contact_models(contact):
        history = contact.history(track, when)
        if history is None:
            continue
        for change in history.changes:
            label = f"{track}: {change.to_stage}"
            tp_id = change.touchpoint_id
            if tp_id is not None and times.get(tp_id) == change.at:
                caused[tp_id].append(label)
            else:
                extra.append((change.at, None, None, None, None, (label,)))
    rows: list[tuple[Any, ...]] = [
        (
            tp.occurred_at,
            tp.channel,
            tp.action,
            tp.id,
            case_id_of(tp.properties.get("case_id")),
            tuple(caused[tp.id]),
        )
        for tp in touchpoints
    ]
    if extra:
        keyed = [(row[0], 0, i, row) for i, row in enumerate(rows)]
        keyed += [(row[0], 1, i, row) for i, row in enumerate(extra)]
        rows = [row for *_, row in sorted(keyed, key=lambda k: k[:3])]
    return Table("timeline", _COLUMNS, rows)


def case_id_of(value: object) -> str | None:
    """Return a ``case_id`` property as text (numbers too, as :mod:`omnicontact.cases` reads it)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _contact_models(contact: Contact) -> Mapping[str, StageModel]:
    """Return the stage models of the hub that built *contact* (none for a bare contact)."""
    lifecycle = contact.lifecycle
    return {} if lifecycle is None else lifecycle.models


def track_models(source: Hub | object, contacts: Sequence[Contact]) -> Mapping[str, StageModel]:
    """Return the stage models of a hub, or of the hub that built the first contact."""
    from omnicontact.hub import Hub

    if isinstance(source, Hub):
        return source.lifecycle.models
    for contact in contacts:
        if contact.lifecycle is not None:
            return contact.lifecycle.models
    return {}


def stage_model(source: Hub | object, contacts: Sequence[Contact], track: str) -> StageModel | None:
    """Return the stage model named *track*; None when no contact knows of any model.

    :raises AnalyticsError: naming *track* when the hub has no such model, or
        when there are contacts but none was built by a hub.
    """
    if not isinstance(track, str):
        raise AnalyticsError("track: must be a track name (a string)")
    models = track_models(source, contacts)
    if not models:
        if contacts:
            raise AnalyticsError(f"track {track!r}: the contacts were not built by a hub")
        return None
    model = models.get(track)
    if model is None:
        raise AnalyticsError(f"track: no stage model (track) is named {track!r}")
    return model


def check_stages(model: StageModel | None, stages: Sequence[str], field: str) -> None:
    """Check that each of *stages* is a stage of *model* (when there is one).

    :raises AnalyticsError: naming *field* and the unknown stage.
    """
    if model is None:
        return
    known = {stage.name for stage in model.stages}
    for stage in stages:
        if stage not in known:
            raise AnalyticsError(f"{field}: track {model.name!r} has no stage {stage!r}")
