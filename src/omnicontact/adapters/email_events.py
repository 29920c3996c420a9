"""The ``email_events`` adapter: e-mail service provider (ESP) webhook events.

Reads one event at a time in the common shapes of SendGrid, Mailgun and
Brevo-like webhooks (an ESP that posts a list of events: pass its items) and
gives one touchpoint on channel ``email``. See ``docs/adapters.md``.

==================================  ========  =============================================
field (aliases)                     required  meaning
==================================  ========  =============================================
event                               yes       what happened (see :data:`ACTIONS`)
email (recipient)                   yes       the recipient: the touchpoint's identifier
timestamp (ts_event, ts)            yes       ISO 8601, or Unix epoch seconds (or millis)
event_id (sg_event_id, id)          no        the ESP's event id: the touchpoint id is
                                              ``email_event:<event_id>``
message_id (sg_message_id,          no        the message the event is about
message-id)
campaign (campaign_id)              no        the campaign (string or integer)
url                                 no        the link clicked
reason                              no        why a bounce, drop or deferral happened
==================================  ========  =============================================

Mailgun's ``{"event-data": {...}}`` envelope is unwrapped, and its
``message.headers.message-id`` read as the message id.

Without an event id, the touchpoint id is ``email_event:`` followed by a hash
of the e-mail (trimmed, lower-cased), the action, the timestamp and the
message id: the same event sent twice is a duplicate, and the id never shows
the address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omnicontact.adapters._fields import read_key, read_text, read_timestamp
from omnicontact.errors import InvalidTouchpointError
from omnicontact.hookspecs import hookimpl
from omnicontact.model import Identifier, Touchpoint

__all__ = ["ACTIONS", "EmailEventsAdapter", "register_channel_adapters"]

_MAX_KEY_LENGTH = 200


def _key(value: object, field: str) -> str:
    return read_key(value, field, _MAX_KEY_LENGTH)


_timestamp = read_timestamp
_text = read_text

ACTIONS: Mapping[str, str] = {
    # sent
    "sent": "email_sent",
    "processed": "email_sent",  # SendGrid
    "accepted": "email_sent",  # Mailgun
    "request": "email_sent",  # Brevo
    "delivered": "email_delivered",
    "open": "email_open",
    "opened": "email_open",
    "unique_opened": "email_open",  # Brevo
    "click": "email_click",
    "clicked": "email_click",
    "bounce": "email_bounce",
    "bounced": "email_bounce",
    "hard_bounce": "email_bounce",  # Brevo
    "soft_bounce": "email_bounce",  # Brevo
    "failed": "email_bounce",  # Mailgun
    "unsubscribe": "email_unsubscribe",
    "unsubscribed": "email_unsubscribe",
    "group_unsubscribe": "email_unsubscribe",  # SendGrid
    "spamreport": "email_spam_complaint",  # SendGrid
    "complained": "email_spam_complaint",  # Mailgun
    "spam": "email_spam_complaint",  # Brevo
    "spam_complaint": "email_spam_complaint",
    "dropped": "email_dropped",
    "blocked": "email_dropped",  # Brevo
    "deferred": "email_deferred",
}
"""ESP event names (trimmed, lower-cased, ``-`` read as ``_``) to touchpoint actions."""


def _first(payload: Mapping[str, Any], *fields: str) -> tuple[str, Any]:
    """Return the first of *fields* present (not null) in *payload*, and its value."""
    for field in fields:
        value = payload.get(field)
        if value is not None:
            return field, value
    return fields[0], None


def _message_id(payload: Mapping[str, Any]) -> str | None:
    field, value = _first(payload, "message_id", "sg_message_id", "message-id")
    if value is None:
        message = payload.get("message")  # Mailgun: message.headers.message-id
        headers = message.get("headers") if isinstance(message, Mapping) else None
        value = headers.get("message-id") if isinstance(headers, Mapping) else None
        field = "message.headers.message-id"
    return None if value is None else _key(value, field)


def _action(payload: Mapping[str, Any]) -> str:
    event = payload.get("event")
    if event is None:
        raise InvalidTouchpointError("event", "is required")
    if not isinstance(event, str):
        raise InvalidTouchpointError("event", "must be a string")
    action = ACTIONS.get(event.strip().lower().replace("-", "_"))
    if action is None:
        raise InvalidTouchpointError("event", "is not a known e-mail event (see ACTIONS)")
    return action


def _derived_id(email: str, action: str, when: datetime, message_id: str | None) -> str:
    """Return a stable id for an event without one: a hash, so the address never shows."""
    key = json.dumps([email.strip().lower(), action, when.isoformat(), message_id or ""])
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16)
    return f"email_event:{digest.hexdigest()}"


class EmailEventsAdapter:
    """Reads ESP webhook events (SendGrid, Mailgun, Brevo-like) as ``email`` touchpoints.

    Actions: ``email_sent``, ``email_delivered``, ``email_open``,
    ``email_click``, ``email_bounce``, ``email_unsubscribe``,
    ``email_spam_complaint``, ``email_dropped``, ``email_deferred``.
    """

    name = "email_events"
    description = "e-mail (ESP) webhook events: SendGrid, Mailgun, Brevo-like; one per event"

    def parse(self, payload: Any) -> list[Touchpoint]:
        """Return the one touchpoint of an ESP event.

        :raises InvalidTouchpointError: naming the field that is missing or wrong.
        """
        if not isinstance(payload, Mapping):
            raise InvalidTouchpointError("payload", "must be a JSON object")
        envelope = payload.get("event-data")
        if isinstance(envelope, Mapping):  # Mailgun
            payload = envelope
        action = _action(payload)
        field, email = _first(payload, "email", "recipient")
        if email is None:
            raise InvalidTouchpointError("email", "is required")
        if not isinstance(email, str):
            raise InvalidTouchpointError(field, "must be a string")
        if not email.strip():
            raise InvalidTouchpointError(field, "must not be empty")
        field, moment = _first(payload, "timestamp", "ts_event", "ts")
        if moment is None:
            raise InvalidTouchpointError("timestamp", "is required")
        when = _timestamp(moment, field)
        message_id = _message_id(payload)
        field, event_id = _first(payload, "event_id", "sg_event_id", "id")
        if event_id is None:
            touchpoint_id = _derived_id(email, action, when, message_id)
        else:
            touchpoint_id = f"email_event:{_key(event_id, field)}"
        properties: dict[str, Any] = {}
        if message_id is not None:
            properties["message_id"] = message_id
        field, campaign = _first(payload, "campaign", "campaign_id")
        if campaign is not None:
            properties["campaign"] = _key(campaign, field)
        for name in ("url", "reason"):
            value = _text(payload, name)
            if value is not None:
                properties[name] = value
        return [
            Touchpoint(
                id=touchpoint_id,
                occurred_at=when,
                channel="email",
                action=action,
                identifiers=[Identifier("email", email)],
                properties=properties,
            )
        ]

    def __repr__(self) -> str:
        return "EmailEventsAdapter()"


@hookimpl
def register_channel_adapters() -> list[EmailEventsAdapter]:
    """Contribute the ``email_events`` adapter."""
    return [EmailEventsAdapter()]
