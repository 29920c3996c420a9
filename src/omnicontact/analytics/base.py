"""What every analysis shares: its input (contacts as of a date) and its output (a Table).

Every analysis is a pure function of contacts as of a date: it takes a
:class:`~omnicontact.Hub` or any iterable of :class:`~omnicontact.Contact`
(:func:`contacts_of`), looks only at touchpoints that happened at or before
``as_of`` (:func:`timeline_as_of`), and returns numbers or a :class:`Table`,
which exports to CSV, JSON and pandas (when installed).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from omnicontact.errors import AnalyticsError, ConfigurationError
from omnicontact.model import Contact, Touchpoint

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["Table", "check_as_of", "contacts_of", "ratio", "timeline_as_of"]


def check_as_of(as_of: object) -> datetime:
    """Return *as_of* if it is a timezone-aware datetime.

    :raises AnalyticsError: naming ``as_of`` otherwise.
    """
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise AnalyticsError("as_of: must be a timezone-aware datetime")
    return as_of


def contacts_of(source: Hub | Iterable[Contact]) -> list[Contact]:
    """Return the contacts of a hub (``hub.contacts()``), or of an iterable of contacts.

    :raises AnalyticsError: when an item is not a :class:`~omnicontact.Contact`.
    """
    from omnicontact.hub import Hub

    items = source.contacts() if isinstance(source, Hub) else source
    out = []
    for item in items:
        if not isinstance(item, Contact):
            raise AnalyticsError(f"contacts: expected Contact objects, got a {type(item).__name__}")
        out.append(item)
    return out


def timeline_as_of(contact: Contact, as_of: datetime) -> tuple[Touchpoint, ...]:
    """Return the contact's touchpoints that happened at or before *as_of*, oldest first."""
    timeline = contact.timeline
    if timeline[-1].occurred_at <= as_of:
        return timeline
    return tuple(tp for tp in timeline if tp.occurred_at <= as_of)


def ratio(part: float, whole: float) -> float | None:
    """Return ``part / whole``, or ``None`` when *whole* is zero (never a division by zero)."""
    return None if not whole else part / whole


def _cell(value: Any) -> Any:
    """Return a JSON- and CSV-friendly form of one cell."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple | list):
        return [_cell(v) for v in value]
    return value


def _columns(columns: Iterable[str]) -> tuple[str, ...]:
    return tuple(columns)


def _rows(rows: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in rows)


@attrs.frozen
class Table:
    """A result table: named columns, rows of cells.

    Durations are ``timedelta`` and times ``datetime`` in Python; CSV and JSON
    give them as seconds and ISO 8601 text. A cell with no answer (a rate
    over nobody) is ``None``.

    :param name: what the table holds (``"funnel"``, ``"attribution"``, …).
    :param columns: the column names.
    :param rows: the rows, each with one cell per column.
    """

    name: str
    columns: tuple[str, ...] = attrs.field(converter=_columns)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(converter=_rows)

    def __attrs_post_init__(self) -> None:
        width = len(self.columns)
        for number, row in enumerate(self.rows):
            if len(row) != width:
                raise ConfigurationError(
                    f"table {self.name}: row {number} has {len(row)} cells for {width} columns"
                )

    def column(self, name: str) -> list[Any]:
        """Return the cells of column *name*.

        :raises AnalyticsError: when there is no such column.
        """
        try:
            index = self.columns.index(name)
        except ValueError:
            raise AnalyticsError(f"table {self.name}: no column {name!r}") from None
        return [row[index] for row in self.rows]

    def to_records(self) -> list[dict[str, Any]]:
        """Return the rows as dictionaries of column name to cell (cells as in Python)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_json(self) -> str:
        """Return ``{"name", "columns", "rows"}`` as JSON (times as ISO 8601, durations in s)."""
        return json.dumps(
            {
                "name": self.name,
                "columns": list(self.columns),
                "rows": [[_cell(v) for v in row] for row in self.rows],
            },
            ensure_ascii=False,
        )

    def to_csv(self) -> str:
        """Return the table as CSV text (RFC 4180: CRLF line ends) with a header line.

        A cell holding a line break (carriage return or line feed) is quoted,
        so every row reads back as one row.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return out.getvalue()

    def to_pandas(self) -> Any:
        """Return a ``pandas.DataFrame`` of the table.

        :raises ConfigurationError: when pandas is not installed (it is optional).
        """
        try:
            import pandas  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ConfigurationError(
                "to_pandas: pandas is not installed (python -m pip install pandas)"
            ) from None
        return pandas.DataFrame(list(self.rows), columns=list(self.columns))

    def __str__(self) -> str:
        """Return the table as aligned text, for a terminal."""
        shown = [[_text(v) for v in row] for row in self.rows]
        widths = [
            max([len(name), *(len(row[i]) for row in shown)])
            for i, name in enumerate(self.columns)
        ]
        lines = ["  ".join(n.ljust(w) for n, w in zip(self.columns, widths, strict=True))]
        for row in shown:
            lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)

    def __len__(self) -> int:
        return len(self.rows)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    cell = _cell(value)
    return json.dumps(cell) if isinstance(cell, list) else cell


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return " > ".join(map(str, value))
    return str(value)


def _duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"
