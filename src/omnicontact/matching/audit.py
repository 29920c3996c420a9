"""The audit ledger: every merge, split and decision, with time, rule and cause."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

__all__ = ["AuditAction", "AuditEntry"]

AuditAction = Literal[
    "merge",
    "split",
    "rename",
    "confirm",
    "reject",
    "resolve_all",
    "train",
    "erase",
    "consent_conflict",
]
"""What an audit entry records."""


@attrs.frozen
class AuditEntry:
    """One line of the audit ledger; holds ids and rule names, never personal values.

    :param at: when it was recorded (the hub's clock).
    :param action: ``merge``, ``split``, ``rename``, ``confirm``, ``reject``,
        ``resolve_all``, ``train``, ``erase`` (a person's data was erased: the
        entry keeps counts only) or ``consent_conflict`` (merged records
        disagreed on a consent; the restrictive one won).
    :param contact_id: the surviving, divided or renamed contact.
    :param other_ids: the ids merged into it, the ids it became, or its new id.
    :param rules: the rules whose links caused a merge (empty after
        ``resolve_all``, which does not trace them), the rules trained for ``train``.
    :param evidence: for a merge, what the joining links were, without values
        (``shared_identifier: email``, ``person: weight +15.4``).
    :param cause: the touchpoint whose arrival caused it, or the decision
        (``confirm``, ``reject``, ``split``, ``resolve_all``).
    :param touchpoint_ids: the touchpoints a decision named.
    """

    at: datetime
    action: AuditAction
    contact_id: str | None
    other_ids: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    cause: str | None = None
    touchpoint_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """Return the entry in JSON form."""
        return {
            "at": self.at.isoformat(),
            "action": self.action,
            "contact_id": self.contact_id,
            "other_ids": list(self.other_ids),
            "rules": list(self.rules),
            "cause": self.cause,
            "touchpoint_ids": list(self.touchpoint_ids),
            "evidence": list(self.evidence),
        }
