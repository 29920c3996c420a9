"""The ``rfm`` strategy: recency, frequency and monetary value, ranked in the population.

As of a date, each customer (a contact with at least one purchase) has

- **recency** ``R``: whole days since the last purchase (``floor``);
- **frequency** ``F``: the number of purchases;
- **monetary** ``M``: the sum of the purchase amounts, less the refund
  amounts, rounded to cents.

Each is scored 1 to 5 by quintile among the customers as of that date, ranks
counted so that equal values always share a quintile. With ``n`` customers:

- F and M: ``1 + floor(5 * below / n)``, ``below`` the number of customers
  with a value strictly below;
- R (lower is better): ``1 + floor(5 * above / n)``, ``above`` the number of
  customers with a recency strictly above.

The value is ``100 * R + 10 * F + M`` and the label the cell ``"545"``. A
contact without a purchase scores 0 with no label.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from omnicontact.scoring.base import Contribution, Score, Subject, first_number

__all__ = ["RFMPopulation", "RFMStrategy", "RFMValues"]

_AMOUNT_KEYS = ("amount", "revenue", "total", "value")


@attrs.frozen
class RFMValues:
    """One customer's raw recency, frequency and monetary value as of a date.

    :param recency_days: whole days since the last purchase.
    :param frequency: the number of purchases.
    :param monetary: purchase amounts less refund amounts, rounded to cents.
    :param last_purchase_id: the id of the last purchase touchpoint.
    :param ignored: ids of purchases and refunds without a usable amount
        (counted in F, not in M).
    """

    recency_days: int
    frequency: int
    monetary: float
    last_purchase_id: str
    ignored: tuple[str, ...] = ()


@attrs.frozen(repr=False)
class RFMPopulation:
    """The customers' values as of a date, sorted, to rank a customer against.

    :param as_of: the date it was computed for.
    :param recency: every customer's recency, ascending.
    :param frequency: every customer's frequency, ascending.
    :param monetary: every customer's monetary value, ascending.
    """

    as_of: datetime
    recency: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary: tuple[float, ...]

    def __repr__(self) -> str:
        return f"RFMPopulation(as_of={self.as_of.isoformat()!r}, customers={len(self.recency)})"

    def quintiles(self, values: RFMValues) -> tuple[int, int, int]:
        """Return the ``(R, F, M)`` quintiles of *values* in this population.

        A customer outside the population is placed among it, and the
        quintiles are kept within 1 to 5.
        """
        n = max(len(self.recency), 1)
        above = len(self.recency) - bisect_right(self.recency, values.recency_days)
        r = 1 + (5 * above) // n
        f = 1 + (5 * bisect_left(self.frequency, values.frequency)) // n
        m = 1 + (5 * bisect_left(self.monetary, values.monetary)) // n
        return (min(r, 5), min(f, 5), min(m, 5))


@attrs.frozen
class RFMStrategy:
    """Recency, frequency and monetary quintiles among the customers as of a date.

    :param purchase_actions: the actions that are purchases.
    :param refund_actions: the actions whose amount is taken off the monetary value.
    :param amount_keys: the properties read for an amount, the first that holds a number.
    """

    purchase_actions: frozenset[str] = attrs.field(
        default=frozenset({"purchase"}), converter=frozenset
    )
    refund_actions: frozenset[str] = attrs.field(default=frozenset({"refund"}), converter=frozenset)
    amount_keys: tuple[str, ...] = attrs.field(default=_AMOUNT_KEYS, converter=tuple)
    name: str = "rfm"
    description: str = "recency, frequency and monetary quintiles among customers (cell 555 best)"
    needs_population = True

    def values(self, subject: Subject, as_of: datetime) -> RFMValues | None:
        """Return the subject's raw RFM values, or ``None`` if it made no purchase."""
        purchases = self.purchase_actions
        refunds = self.refund_actions
        keys = self.amount_keys
        count = 0
        total = 0.0
        last = None
        ignored = []
        for tp in subject.touchpoints:
            action = tp.action
            is_purchase = action in purchases
            if not (is_purchase or action in refunds) or tp.occurred_at > as_of:
                continue
            amount = first_number(tp.properties, keys)
            if is_purchase:
                count += 1
                last = tp
                if amount is None:
                    ignored.append(tp.id)
                else:
                    total += amount
            elif amount is None:
                ignored.append(tp.id)
            else:
                total -= abs(amount)
        if last is None:
            return None
        recency = math.floor((as_of - last.occurred_at).total_seconds() / 86400.0)
        return RFMValues(recency, count, round(total, 2), last.id, tuple(ignored))

    def prepare(self, subjects: Iterable[Subject], as_of: datetime) -> RFMPopulation:
        """Return the sorted values of every subject with a purchase as of *as_of*."""
        found = [v for v in (self.values(s, as_of) for s in subjects) if v is not None]
        return RFMPopulation(
            as_of,
            tuple(sorted(v.recency_days for v in found)),
            tuple(sorted(v.frequency for v in found)),
            tuple(sorted(v.monetary for v in found)),
        )

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return ``100 R + 10 F + M`` with the cell as label; 0 and no label without a purchase.

        *prepared* is what :meth:`prepare` returned for the same *as_of*; when
        it is not an :class:`RFMPopulation`, the subject is ranked against itself.
        """
        values = self.values(subject, as_of)
        if values is None:
            return Score._trusted(self.name, 0.0, as_of, None, ())
        population = (
            prepared if isinstance(prepared, RFMPopulation) else self.prepare([subject], as_of)
        )
        r, f, m = population.quintiles(values)
        n = len(population.recency)
        return Score._trusted(
            self.name,
            float(100 * r + 10 * f + m),
            as_of,
            f"{r}{f}{m}",
            _explain,
            (values, (r, f, m), n),
        )


def _explain(values: RFMValues, cell: Sequence[int], n: int) -> tuple[Contribution, ...]:
    r, f, m = cell
    parts = [
        Contribution(
            "population",
            f"recency {values.recency_days} days since purchase "
            f"{values.last_purchase_id}, quintile {r} of 5 among {n} customers",
            100.0 * r,
        ),
        Contribution(
            "population",
            f"frequency {values.frequency} purchases, quintile {f} of 5 among {n} customers",
            10.0 * f,
        ),
        Contribution(
            "population",
            f"monetary {values.monetary:.2f}, quintile {m} of 5 among {n} customers",
            float(m),
        ),
    ]
    parts.extend(
        Contribution(f"touchpoint:{tp_id}", "no usable amount, left out of monetary", 0.0)
        for tp_id in values.ignored
    )
    return tuple(parts)
