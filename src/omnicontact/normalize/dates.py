"""Timestamps and dates.

Policy (see ``docs/normalization.md``):

- stored timestamps are tz-aware UTC;
- ISO 8601 is read first (fast); other text goes to ``dateutil`` with the
  ``dayfirst`` flag of the adapter or hub (``01/02/2026`` is 1 February when
  ``dayfirst`` is true, 2 January otherwise);
- a *naive* timestamp is read in the hub's ``default_timezone`` (UTC unless set);
  a wall time that does not exist (spring-forward gap) is moved forward out of
  the gap, an ambiguous one (fall-back) is the first of the two;
- numbers are Unix epoch seconds, or milliseconds when larger than 10^11;
- years before 1900 are rejected.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone, tzinfo

from dateutil import parser as dateutil_parser
from dateutil import tz as dateutil_tz

from omnicontact.errors import InvalidTimestampError

__all__ = ["normalize_date", "normalize_datetime"]

_EPOCH_TEXT_RE = re.compile(r"\d{9,13}(?:\.\d+)?\Z")
_MS_THRESHOLD = 10**11
_MIN_YEAR = 1900
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def normalize_datetime(
    value: object,
    *,
    timezone_: tzinfo | None = None,
    dayfirst: bool = False,
    field: str = "occurred_at",
) -> datetime:
    """Return *value* as a tz-aware UTC datetime.

    :param value: a datetime, an ISO 8601 or free-form string, or epoch seconds/milliseconds.
    :param timezone_: zone for naive values (UTC when None).
    :param dayfirst: day/month order for ambiguous free-form dates.
    :raises InvalidTimestampError: naming *field* and the rule broken.
    """
    zone = timezone_ or timezone.utc
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (bool, date)):
        raise InvalidTimestampError(field, "must be a timestamp, not a date or boolean")
    elif isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            raise InvalidTimestampError(field, "epoch value is out of range") from None
        moment = _from_epoch(seconds, field)
    elif isinstance(value, str):
        moment = _from_text(value.strip(), dayfirst, field)
    else:
        raise InvalidTimestampError(field, "must be a datetime, string or number")
    try:
        if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
            moment = dateutil_tz.resolve_imaginary(moment.replace(tzinfo=zone))
        moment = moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise InvalidTimestampError(field, "is out of range") from None
    if moment.year < _MIN_YEAR:
        raise InvalidTimestampError(field, f"must not be before {_MIN_YEAR} (UTC)")
    return moment


def _from_epoch(seconds: float, field: str) -> datetime:
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise InvalidTimestampError(field, "must be a finite number")
    if abs(seconds) > _MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InvalidTimestampError(field, "epoch value is out of range") from None


def _from_text(text: str, dayfirst: bool, field: str) -> datetime:
    if not text:
        raise InvalidTimestampError(field, "must not be empty")
    if _EPOCH_TEXT_RE.match(text):
        return _from_epoch(float(text), field)
    iso = text[:-1] + "+00:00" if text[-1:] in "Zz" else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    return _parse_full(text, dayfirst, field)


def _parse_full(text: str, dayfirst: bool, field: str) -> datetime:
    """Parse free-form *text* with dateutil; year, month and day must all be given.

    dateutil fills missing parts from a default; parsing against two different
    defaults tells a partial date (``"March 1985"``) from a full one.
    """
    try:
        first = dateutil_parser.parse(text, dayfirst=dayfirst, default=_DEFAULTS[0])
        second = dateutil_parser.parse(text, dayfirst=dayfirst, default=_DEFAULTS[1])
    except (ValueError, OverflowError):
        raise InvalidTimestampError(field, "is not a recognizable date") from None
    if first.date() != second.date():
        raise InvalidTimestampError(field, "must give a full date (year, month and day)")
    return first


def normalize_date(value: object, *, dayfirst: bool = False, field: str = "birth_date") -> str:
    """Return a calendar date as ISO ``YYYY-MM-DD``; a full date is required.

    :raises InvalidTimestampError: unparseable, partial (``"1985"``), or before 1900.
    """
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = _parse_full(text, dayfirst, field).date()
    else:
        raise InvalidTimestampError(field, "must be a date or a date string")
    if day.year < _MIN_YEAR:
        raise InvalidTimestampError(field, f"must not be before {_MIN_YEAR}")
    return day.isoformat()
