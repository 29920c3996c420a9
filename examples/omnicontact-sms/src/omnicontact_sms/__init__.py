"""omnicontact-sms: a channel adapter for SMS-gateway webhook events.

The plug-in contributes the ``sms`` adapter, which reads one webhook event of
an SMS gateway at a time, in Twilio's shape (form-encoded fields, as a dict
of strings) or in a generic JSON shape, and gives one touchpoint on channel
``sms``. omnicontact finds it through the entry point
``sms = "omnicontact_sms:SmsPlugin"`` in the ``omnicontact`` group.

=====================  ===========  ===========  ==========================================
meaning                Twilio       generic      notes
=====================  ===========  ===========  ==========================================
message id             MessageSid   id           required; string (generic: or integer)
                       (SmsSid)
sender                 From         from         string
recipient              To           to           string
message text           Body         text         string; only its length is kept
status                 SmsStatus    status       ``received`` for an inbound message;
                       (Message-                 ``sent``, ``delivered``, ``failed``,
                       Status)                   ``undelivered`` for a status callback
time                   DateSent     timestamp    ISO 8601, RFC 2822, or Unix epoch seconds
                                                 (or millis)
time of receipt        Timestamp    received_at  the same formats; used when the gateway
                       (received_                sends no time
                       at)
error code             ErrorCode    error_code   string or integer; kept as ``error_code``
=====================  ===========  ===========  ==========================================

The shape is Twilio's when the event has a ``MessageSid`` (or ``SmsSid``);
errors then name Twilio's fields. The rules:

- **Inbound or status.** Status ``received`` is an inbound message: the
  person is ``From``, the brand's number ``To``, the touchpoint id
  ``sms:<message id>`` and the action ``sms_received``, or ``sms_opt_out``
  when the text, trimmed, is STOP, UNSUBSCRIBE or ARRET (any case) and
  ``sms_opt_in`` when it is START or UNSTOP. Any other status is a status
  callback of an outbound message: the person is ``To``, the brand's number
  ``From``, the id ``sms:<message id>:<status>`` (each status is its own
  touchpoint) and the action ``sms_<status>``. Without a status, an event
  with a text is inbound; one without is rejected (*status: is required*).
- **The person** is a ``phone`` identifier, as received; the hub normalizes it.
- **Properties:** ``message_id``; ``brand_number`` when the event has it;
  ``length`` (characters) when it has a text; ``keyword`` (upper-case) for an
  opt-out or opt-in; ``error_code`` when given. The text itself is personal
  data and is never kept.
- **Time.** The touchpoint's time is the gateway's (``DateSent`` /
  ``timestamp``), else the time of receipt (``Timestamp`` / ``received_at``),
  which the webhook receiver adds: Twilio's status callbacks carry no time,
  and an adapter must be a pure function of the payload, so it cannot take
  the clock's. An event with neither is rejected naming ``DateSent`` /
  ``timestamp``. A time without an offset is read in the hub's time zone.
- **Errors** are :class:`omnicontact.InvalidTouchpointError` (or
  :class:`omnicontact.InvalidTimestampError`) naming the field and the rule,
  never the value; the hub quarantines the event.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import omnicontact as oc

__all__ = ["KEYWORDS", "STATUSES", "SmsAdapter", "SmsPlugin"]

STATUSES: Mapping[str, str] = {
    "received": "sms_received",
    "sent": "sms_sent",
    "delivered": "sms_delivered",
    "failed": "sms_failed",
    "undelivered": "sms_undelivered",
}
"""Gateway statuses (trimmed, lower-cased) to touchpoint actions."""

KEYWORDS: Mapping[str, str] = {
    "STOP": "sms_opt_out",
    "UNSUBSCRIBE": "sms_opt_out",
    "ARRET": "sms_opt_out",
    "START": "sms_opt_in",
    "UNSTOP": "sms_opt_in",
}
"""Inbound texts (trimmed, upper-cased) that are keywords, to touchpoint actions."""

_MAX_KEY_LENGTH = 200
_EPOCH_TEXT_RE = re.compile(r"\d{9,13}(?:\.\d+)?\Z")
_TIME_RULE = "must be ISO 8601, RFC 2822, or Unix epoch seconds"
_STATUS_RULE = f"must be one of {', '.join(STATUSES)}"

# (message id, alias), from, to, text, (status, alias), time, (receipt time, alias), error code
_TWILIO = (
    ("MessageSid", "SmsSid"),
    "From",
    "To",
    "Body",
    ("SmsStatus", "MessageStatus"),
    "DateSent",
    ("Timestamp", "received_at"),
    "ErrorCode",
)
_GENERIC = (("id",), "from", "to", "text", ("status",), "timestamp", ("received_at",), "error_code")


def _first(payload: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[str, Any]:
    """Return the first of *fields* present (not null) in *payload*, and its value."""
    for field in fields:
        value = payload.get(field)
        if value is not None:
            return field, value
    return fields[0], None


def _key(value: object, field: str) -> str:
    """Read an id or code: a string or an integer, stripped, printable, without spaces."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise oc.InvalidTouchpointError(field, "must be a string or an integer")
    text = str(value).strip()
    if not text:
        raise oc.InvalidTouchpointError(field, "must not be empty")
    if len(text) > _MAX_KEY_LENGTH:
        raise oc.InvalidTouchpointError(field, f"must be at most {_MAX_KEY_LENGTH} characters")
    if not text.isprintable() or any(char.isspace() for char in text):
        raise oc.InvalidTouchpointError(field, "must be printable characters without spaces")
    return text


def _text(payload: Mapping[str, Any], field: str) -> str | None:
    """Return the string at *field*, or ``None`` when it is absent or null."""
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise oc.InvalidTouchpointError(field, "must be a string")
    return value


def _number(payload: Mapping[str, Any], field: str) -> str | None:
    """Return the phone number at *field* as received, or ``None`` when absent or blank."""
    value = _text(payload, field)
    return value if value is not None and value.strip() else None


def _timestamp(value: object, field: str) -> datetime:
    """Read ISO 8601, RFC 2822 (Twilio's ``DateSent``), or Unix epoch seconds (or millis)."""
    if isinstance(value, bool):
        raise oc.InvalidTimestampError(field, _TIME_RULE)
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and _EPOCH_TEXT_RE.match(value.strip())
    ):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise oc.InvalidTimestampError(field, "must be a finite number")
        if abs(seconds) >= 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise oc.InvalidTimestampError(field, "is out of range") from None
    if not isinstance(value, str):
        raise oc.InvalidTimestampError(field, "must be a string or a number")
    text = value.strip()
    if not text:
        raise oc.InvalidTimestampError(field, "must not be empty")
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise oc.InvalidTimestampError(field, _TIME_RULE) from None


class SmsAdapter:
    """Reads SMS-gateway webhook events (Twilio, generic) as ``sms`` touchpoints.

    Actions: ``sms_received``, ``sms_opt_out``, ``sms_opt_in`` (inbound),
    ``sms_sent``, ``sms_delivered``, ``sms_failed``, ``sms_undelivered``
    (status callbacks).
    """

    name = "sms"
    description = "SMS-gateway webhook events: Twilio, generic; one per message or status"

    def parse(self, payload: Any) -> list[oc.Touchpoint]:
        """Return the one touchpoint of an SMS-gateway event.

        :raises omnicontact.InvalidTouchpointError: naming the field that is
            missing or wrong, never its value.
        """
        if not isinstance(payload, Mapping):
            raise oc.InvalidTouchpointError("payload", "must be an object")
        twilio = payload.get("MessageSid") is not None or payload.get("SmsSid") is not None
        sids, sender, recipient, body, statuses, sent_at, received_at, error = (
            _TWILIO if twilio else _GENERIC
        )
        field, sid = _first(payload, sids)
        if sid is None:
            raise oc.InvalidTouchpointError(field, "is required")
        message_id = _key(sid, field)
        text = _text(payload, body)
        status_field, status = _first(payload, statuses)
        if status is None:
            if text is None:
                raise oc.InvalidTouchpointError(status_field, "is required")
            status = "received"
        if not isinstance(status, str) or status.strip().lower() not in STATUSES:
            raise oc.InvalidTouchpointError(status_field, _STATUS_RULE)
        status = status.strip().lower()
        inbound = status == "received"
        person_field, brand_field = (sender, recipient) if inbound else (recipient, sender)
        person = _number(payload, person_field)
        if person is None:
            raise oc.InvalidTouchpointError(person_field, "is required")
        brand = _number(payload, brand_field)
        time_field, moment = _first(payload, (sent_at, *received_at))
        if moment is None:
            raise oc.InvalidTouchpointError(
                sent_at, f"is required, or {received_at[0]}: the time the webhook was received"
            )
        when = _timestamp(moment, time_field)

        action = STATUSES[status]
        properties: dict[str, Any] = {"message_id": message_id}
        if brand is not None:
            properties["brand_number"] = brand
        if text is not None:
            properties["length"] = len(text)
            keyword = text.strip().upper()
            if inbound and keyword in KEYWORDS:
                action = KEYWORDS[keyword]
                properties["keyword"] = keyword
        error_field, code = _first(payload, (error,))
        if code is not None and not (isinstance(code, str) and not code.strip()):
            properties["error_code"] = _key(code, error_field)
        return [
            oc.Touchpoint(
                id=f"sms:{message_id}" if inbound else f"sms:{message_id}:{status}",
                occurred_at=when,
                channel="sms",
                action=action,
                identifiers=[oc.Identifier("phone", person)],
                properties=properties,
            )
        ]

    def __repr__(self) -> str:
        return "SmsAdapter()"


class SmsPlugin:
    """The plug-in object: contributes the ``sms`` channel adapter."""

    def __init__(self, name: str = "sms") -> None:
        # pluggy names a registered object by its __name__; an instance has
        # none, so give it one for error messages and `omnicontact plugins`.
        self.__name__ = name

    @oc.hookimpl
    def register_channel_adapters(self) -> list[SmsAdapter]:
        """Contribute the ``sms`` adapter."""
        return [SmsAdapter()]
