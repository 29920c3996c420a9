"""The ``churn_risk`` strategy: how overdue a customer's next purchase is.

Compares the time since the last purchase with the contact's own purchase
rhythm; see :class:`ChurnRiskStrategy` and ``docs/scoring.md``.
"""

from __future__ import annotations

import math
from datetime import datetime
from itertools import pairwise

import attrs

from omnicontact.scoring.base import (
    Contribution,
    Score,
    Subject,
    _PopulationFree,
    _positive,
    age_days,
)

__all__ = ["ChurnRiskStrategy"]


@attrs.frozen
class ChurnRiskStrategy(_PopulationFree):
    """How overdue the next purchase is, against the contact's own rhythm.

    ``risk = 1 - exp(-t / g)``: ``t`` days since the last purchase, ``g`` the
    median gap in days between consecutive purchases (at least ``min_gap_days``)
    with two purchases or more, ``default_gap_days`` with one. Without a
    purchase the value is 0 with the label ``"no purchase"``; otherwise the
    label is ``"low"`` (below 1/3), ``"medium"`` (below 2/3) or ``"high"``.

    :param purchase_actions: the actions that are purchases.
    :param default_gap_days: the expected gap of a contact with one purchase.
    :param min_gap_days: the smallest gap used (several purchases on one day).
    """

    purchase_actions: frozenset[str] = attrs.field(
        default=frozenset({"purchase"}), converter=frozenset
    )
    default_gap_days: float = attrs.field(default=90.0, validator=_positive("default_gap_days"))
    min_gap_days: float = attrs.field(default=1.0, validator=_positive("min_gap_days"))
    name: str = "churn_risk"
    description: str = "how overdue the next purchase is against the contact's own rhythm"

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the churn risk, from 0 (just bought) towards 1 (long overdue)."""
        actions = self.purchase_actions
        times = []
        last_id = ""
        for tp in subject.touchpoints:
            if tp.action in actions and tp.occurred_at <= as_of:
                times.append(tp.occurred_at)
                last_id = tp.id
        if not times:
            return Score._trusted(self.name, 0.0, as_of, "no purchase", ())
        since = age_days(as_of, times[-1])
        if len(times) >= 2:
            gaps = sorted(age_days(b, a) for a, b in pairwise(times))
            middle = len(gaps) // 2
            median = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
            gap = max(median, self.min_gap_days)
            basis = f"median of {len(gaps)} gaps"
        else:
            gap = self.default_gap_days
            basis = "default, one purchase"
        risk = 1.0 - math.exp(-since / gap)
        label = "low" if risk < 1 / 3 else "medium" if risk < 2 / 3 else "high"
        return Score._trusted(
            self.name, risk, as_of, label, _explain, (last_id, since, gap, basis, risk)
        )


def _explain(
    last_id: str, since: float, gap: float, basis: str, risk: float
) -> tuple[Contribution, ...]:
    reason = f"last purchase {since:.1f} days ago, usual gap {gap:.1f} days ({basis})"
    return (Contribution(f"touchpoint:{last_id}", reason, risk),)
