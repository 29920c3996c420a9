"""How ``omnicontact show`` prints a contact's stages and scores (text and JSON).

Ids, stage names, rule names, dates and numbers only: the breakdowns name
touchpoints and traits, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

from omnicontact.lifecycle.base import StageHistory
from omnicontact.model import Contact
from omnicontact.scoring.base import Score

__all__ = ["lifecycle_json", "print_lifecycle"]

_SHOWN = 5
"""Breakdown lines printed per score (the largest first); JSON has them all."""


def _stages(contact: Contact, as_of: datetime | None) -> Mapping[str, StageHistory]:
    lifecycle = contact.lifecycle
    if as_of is None or lifecycle is None:
        return contact.stages
    return lifecycle.histories(contact, as_of)


def _scores(contact: Contact, as_of: datetime | None) -> Mapping[str, Score]:
    lifecycle = contact.lifecycle
    if as_of is None or lifecycle is None:
        return contact.scores
    return lifecycle.scores(contact, as_of)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "nan"


def print_lifecycle(contact: Contact, out: TextIO, as_of: datetime | None = None) -> None:
    """Write the contact's stage per track with its dated history, then its scores."""
    when = as_of or contact.as_of
    stages = _stages(contact, as_of)
    if stages:
        out.write("  stages:\n")
    for track, history in stages.items():
        current = history.current or "-"
        since = f" since {history.since:%Y-%m-%d}" if history.since is not None else ""
        out.write(f"    {track}: {current}{since}\n")
        for change in history.changes:
            cause = change.touchpoint_id or "-"
            out.write(
                f"      {change.at:%Y-%m-%d %H:%M}Z  {change.to_stage:<12} "
                f"{change.rule:<16} {cause}\n"
            )
    consents = contact.consents
    deciding = consents.current()
    if deciding:
        conflicted = {(c.channel, c.purpose) for c in consents.conflicts}
        shown = ", ".join(
            f"{channel}/{purpose} {decision.status}"
            + (" (records disagree)" if (channel, purpose) in conflicted else "")
            for (channel, purpose), decision in deciding.items()
        )
        out.write(f"  consent: {shown}\n")
    scores = _scores(contact, as_of)
    if scores:
        stamp = f" as of {when:%Y-%m-%d %H:%M}Z" if when is not None else ""
        out.write(f"  scores{stamp}:\n")
    for name, score in scores.items():
        label = f" ({score.label})" if score.label else ""
        out.write(f"    {name}: {_number(score.value)}{label}\n")
        parts = sorted(score.breakdown, key=lambda c: -abs(c.points))
        for part in parts[:_SHOWN]:
            out.write(f"      {_number(part.points):>8}  {part.source}  {part.reason}\n")
        if len(parts) > _SHOWN:
            out.write(f"      … {len(parts) - _SHOWN} more\n")


def lifecycle_json(contact: Contact, as_of: datetime | None = None) -> dict[str, Any]:
    """Return the contact's stages and scores, with full histories and breakdowns."""
    return {
        "stages": {
            track: {
                "current": history.current,
                "as_of": history.as_of.isoformat(),
                "changes": [
                    {
                        "from": change.from_stage,
                        "to": change.to_stage,
                        "at": change.at.isoformat(),
                        "touchpoint_id": change.touchpoint_id,
                        "rule": change.rule,
                    }
                    for change in history.changes
                ],
            }
            for track, history in _stages(contact, as_of).items()
        },
        "scores": {
            name: {
                "value": score.value,
                "label": score.label,
                "as_of": score.as_of.isoformat(),
                "breakdown": [
                    {"source": part.source, "reason": part.reason, "points": part.points}
                    for part in score.breakdown
                ],
            }
            for name, score in _scores(contact, as_of).items()
        },
    }
