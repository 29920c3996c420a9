"""Cases that follow a person across channels: derived from the contact's touchpoints.

A touchpoint belongs to a case when its properties carry a ``case_id`` (the
``support`` adapter puts it there; any adapter may). A case is the same case
whatever channel the touchpoint came from: a complaint opened on social
media, a call about it, the reply by e-mail. Its status is the latest said,
by event time: a ``status`` property (``open``, ``pending``, ``solved``,
``closed``, …), else what the action implies (``ticket_closed``,
``ticket_solved``, ``ticket_reopened``); a case nobody closed is open.

Cases are a pure function of a contact's touchpoints, so when contacts merge
their cases go with them, and a split gives each side its own back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from omnicontact.model import Touchpoint

__all__ = ["CLOSED_STATUSES", "Case", "cases_of"]

CLOSED_STATUSES = frozenset({"solved", "closed", "resolved", "cancelled"})
"""Statuses of a case that is no longer open."""

_ACTION_STATUS = {
    "ticket_opened": "open",
    "ticket_reopened": "open",
    "ticket_solved": "solved",
    "ticket_closed": "closed",
    "case_opened": "open",
    "case_closed": "closed",
}


@attrs.frozen
class Case:
    """One case (a complaint, a question, a return) of a contact, across channels.

    :param case_id: the id the channels gave it.
    :param status: its latest status, by event time.
    :param opened_at: when its first touchpoint happened.
    :param updated_at: when its latest touchpoint happened.
    :param channels: the channels it went through, in order of first use.
    :param touchpoint_ids: its touchpoints, oldest first (its cross-channel timeline).
    :param category: its latest ``category`` property (``complaint``, ``return``, …), if any.
    """

    case_id: str
    status: str
    opened_at: datetime
    updated_at: datetime
    channels: tuple[str, ...]
    touchpoint_ids: tuple[str, ...]
    category: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the case still waits for something (not solved, closed, …)."""
        return self.status not in CLOSED_STATUSES


def cases_of(timeline: Iterable[Touchpoint]) -> tuple[Case, ...]:
    """Return the cases of a timeline (touchpoints oldest first), oldest case first."""
    found: dict[str, dict[str, object]] = {}
    for tp in timeline:
        case_id = tp.properties.get("case_id")
        if isinstance(case_id, (int, float)) and not isinstance(case_id, bool):
            case_id = str(case_id)
        if not isinstance(case_id, str) or not case_id.strip():
            continue
        case = found.setdefault(
            case_id,
            {
                "status": "open",
                "opened": tp.occurred_at,
                "channels": {},
                "ids": [],
                "category": None,
            },
        )
        status = tp.properties.get("status")
        if isinstance(status, str) and status.strip():
            case["status"] = status.strip().lower()
        elif tp.action in _ACTION_STATUS:
            case["status"] = _ACTION_STATUS[tp.action]
        category = tp.properties.get("category")
        if isinstance(category, str) and category.strip():
            case["category"] = category.strip().lower()
        channels = case["channels"]
        assert isinstance(channels, dict)
        channels.setdefault(tp.channel, None)
        ids = case["ids"]
        assert isinstance(ids, list)
        ids.append(tp.id)
        case["updated"] = tp.occurred_at
    return tuple(
        Case(
            case_id=case_id,
            status=str(case["status"]),
            opened_at=case["opened"],  # type: ignore[arg-type]
            updated_at=case["updated"],  # type: ignore[arg-type]
            channels=tuple(case["channels"]),  # type: ignore[arg-type]
            touchpoint_ids=tuple(case["ids"]),  # type: ignore[arg-type]
            category=case["category"],  # type: ignore[arg-type]
        )
        for case_id, case in found.items()
    )
