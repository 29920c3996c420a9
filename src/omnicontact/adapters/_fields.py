"""Field readers shared by the built-in adapters.

Each raises :class:`~omnicontact.InvalidTouchpointError` naming the field and
the rule broken, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omnicontact._chars import UNSAFE_RE
from omnicontact.errors import InvalidTouchpointError
from omnicontact.model import parse_iso_datetime
from omnicontact.normalize.dates import normalize_datetime

__all__ = ["read_key", "read_required", "read_text", "read_timestamp"]

_EPOCH_TEXT_RE = re.compile(r"\d{9,13}(?:\.\d+)?\Z")


def read_key(value: object, field: str, max_length: int) -> str:
    """Read an id (string or integer): stripped, non-empty, printable, bounded."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidTouchpointError(field, "must be a string or an integer")
    text = str(value).strip()
    if not text:
        raise InvalidTouchpointError(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidTouchpointError(field, f"must be at most {max_length} characters")
    if UNSAFE_RE.search(text):
        raise InvalidTouchpointError(field, "must not contain control or invisible characters")
    return text


def read_required(payload: Mapping[str, Any], field: str) -> Any:
    """Return the value of *field*, which must be present and not null."""
    value = payload.get(field)
    if value is None:
        raise InvalidTouchpointError(field, "is required")
    return value


def read_timestamp(value: object, field: str) -> datetime:
    """Read an ISO 8601 timestamp, or Unix epoch seconds (milliseconds above 10^11)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return normalize_datetime(value, field=field)
    if isinstance(value, str) and _EPOCH_TEXT_RE.match(value.strip()):
        return normalize_datetime(value, field=field)
    return parse_iso_datetime(value, field)


def read_text(payload: Mapping[str, Any], field: str) -> str | None:
    """Return the string at *field*, or ``None`` when it is absent or null."""
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidTouchpointError(field, "must be a string")
    return value
