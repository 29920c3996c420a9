"""The ``support`` adapter: helpdesk tickets, calls and social messages.

One touchpoint per interaction (a ticket opened, a message, a call, a reply,
a status change), ``support:<case_id>/<id>``. See ``docs/adapters.md``.

===============  ========  ==============================================================
field            required  meaning
===============  ========  ==============================================================
id               yes       the interaction's id (string or integer)
case_id          yes       the ticket or case it belongs to (string or integer)
occurred_at      yes       ISO 8601 timestamp, or Unix epoch seconds (or millis)
kind             no        ticket_opened, message (default), call, reply, ticket_solved,
                           ticket_closed, ticket_reopened: the touchpoint's action
channel          no        a slug; ``phone``/``call``/``voice`` read as ``call_centre``;
                           default ``call_centre`` for a call, ``helpdesk`` otherwise
status           no        new, open, pending, hold, solved, closed; default from ``kind``
email, phone     no        the requester's identifiers (strings)
customer_id      no        the requester's account (string or integer)
social           no        ``{network: handle}``: ``social:<network>`` identifiers
requester_name   no        the ``full_name`` trait
subject          no        property (string)
category         no        property (a slug: complaint, question, return, ...)
rating           no        property, a number from 1 to 5
sentiment        no        property, a number from -1 to 1, or positive/neutral/negative
===============  ========  ==============================================================

Decisions: the action is the ``kind``, always; the category (a complaint, a
question) stays a property, so a complaint opens with ``ticket_opened`` and
``category: complaint``. Properties always hold ``case_id`` and ``status``
(the status of the case after the interaction): when ``status`` is absent it
is ``new`` for ``ticket_opened``, ``solved``/``closed`` for those kinds, and
``open`` otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from omnicontact.adapters._fields import read_key, read_required, read_text, read_timestamp
from omnicontact.errors import InvalidTouchpointError
from omnicontact.hookspecs import hookimpl
from omnicontact.model import Identifier, Touchpoint

__all__ = ["KINDS", "STATUSES", "SupportAdapter", "register_channel_adapters"]

_MAX_KEY_LENGTH = 120


def _key(value: object, field: str) -> str:
    return read_key(value, field, _MAX_KEY_LENGTH)


_required = read_required
_timestamp = read_timestamp
_text = read_text
_NETWORK_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")
_CATEGORY_RE = re.compile(r"[a-z0-9][a-z0-9_.:-]*\Z")

KINDS: Mapping[str, str] = {
    "ticket_opened": "new",
    "message": "open",
    "call": "open",
    "reply": "open",
    "ticket_solved": "solved",
    "ticket_closed": "closed",
    "ticket_reopened": "open",
}
"""The interaction kinds (the touchpoint actions), each with its default case status."""

STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed"})
"""The case statuses."""

SENTIMENTS = frozenset({"positive", "neutral", "negative"})

_CHANNELS: Mapping[str, str] = {
    "phone": "call_centre",
    "call": "call_centre",
    "voice": "call_centre",
}


def _choice(payload: Mapping[str, Any], field: str, allowed: Any, default: str | None) -> str:
    value = payload.get(field)
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise InvalidTouchpointError(field, f"must be one of {', '.join(sorted(allowed))}")
    return value.strip().lower()


def _number(value: object, field: str, low: float, high: float) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTouchpointError(field, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTouchpointError(field, "must be a finite number")
    if not low <= value <= high:
        raise InvalidTouchpointError(field, f"must be between {low:g} and {high:g}")
    return value


def _identifiers(payload: Mapping[str, Any]) -> list[Identifier]:
    out = []
    for kind in ("email", "phone"):
        value = _text(payload, kind)
        if value is not None and value.strip():
            out.append(Identifier(kind, value))
    customer = payload.get("customer_id")
    if customer is not None and not (isinstance(customer, str) and not customer.strip()):
        out.append(Identifier("customer_id", _key(customer, "customer_id")))
    social = payload.get("social")
    if social is None:
        return out
    if not isinstance(social, Mapping):
        raise InvalidTouchpointError("social", "must be an object of network to handle")
    for network, handle in social.items():
        name = network.strip().lower() if isinstance(network, str) else None
        if name is None or not _NETWORK_RE.match(name):
            raise InvalidTouchpointError(
                "social", "networks must be lower-case names of letters, digits and _ . -"
            )
        if not isinstance(handle, str):
            raise InvalidTouchpointError("social", "handles must be strings")
        if handle.strip():
            out.append(Identifier(f"social:{name}", handle))
    return out


def _channel(payload: Mapping[str, Any], kind: str) -> str:
    channel = payload.get("channel")
    if channel is None:
        return "call_centre" if kind == "call" else "helpdesk"
    if not isinstance(channel, str):
        raise InvalidTouchpointError("channel", "must be a string")
    slug = channel.strip().lower()
    return _CHANNELS.get(slug, slug)  # Touchpoint checks the slug


def _properties(payload: Mapping[str, Any], case_id: str, status: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"case_id": case_id, "status": status}
    subject = _text(payload, "subject")
    if subject is not None:
        properties["subject"] = subject
    category = _text(payload, "category")
    if category is not None:
        category = category.strip().lower()
        if not _CATEGORY_RE.match(category):
            raise InvalidTouchpointError(
                "category", "must be a lower-case slug of letters, digits and _ . : -"
            )
        properties["category"] = category
    rating = payload.get("rating")
    if rating is not None:
        properties["rating"] = _number(rating, "rating", 1, 5)
    sentiment = payload.get("sentiment")
    if sentiment is not None:
        if isinstance(sentiment, str):
            if sentiment.strip().lower() not in SENTIMENTS:
                raise InvalidTouchpointError(
                    "sentiment", "must be a number from -1 to 1, or positive, neutral, negative"
                )
            properties["sentiment"] = sentiment.strip().lower()
        else:
            properties["sentiment"] = _number(sentiment, "sentiment", -1, 1)
    return properties


class SupportAdapter:
    """Reads helpdesk interactions (tickets, messages, calls, social) as touchpoints.

    The action is the interaction's ``kind``; ``case_id`` and ``status`` are
    always in the properties.
    """

    name = "support"
    description = "helpdesk tickets, calls and social messages, one per interaction"

    def parse(self, payload: Any) -> list[Touchpoint]:
        """Return the one touchpoint of a support interaction.

        :raises InvalidTouchpointError: naming the field that is missing or wrong.
        """
        if not isinstance(payload, Mapping):
            raise InvalidTouchpointError("payload", "must be a JSON object")
        interaction = _key(_required(payload, "id"), "id")
        case_id = _key(_required(payload, "case_id"), "case_id")
        when = _timestamp(_required(payload, "occurred_at"), "occurred_at")
        kind = _choice(payload, "kind", KINDS, "message")
        status = _choice(payload, "status", STATUSES, KINDS[kind])
        traits: dict[str, Any] = {}
        name = _text(payload, "requester_name")
        if name is not None and name.strip():
            traits["full_name"] = name
        return [
            Touchpoint(
                id=f"support:{case_id}/{interaction}",
                occurred_at=when,
                channel=_channel(payload, kind),
                action=kind,
                identifiers=_identifiers(payload),
                traits=traits,
                properties=_properties(payload, case_id, status),
            )
        ]

    def __repr__(self) -> str:
        return "SupportAdapter()"


@hookimpl
def register_channel_adapters() -> list[SupportAdapter]:
    """Contribute the ``support`` adapter."""
    return [SupportAdapter()]
