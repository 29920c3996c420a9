"""The ``segment`` adapter: Segment Spec and RudderStack JSON events.

One payload is one decoded event (``identify``, ``track``, ``page``,
``screen``, ``group`` or ``alias``) and gives one touchpoint. The mapping of
fields, channels and actions is documented on :class:`SegmentAdapter`.

Registered by the built-in plug-in ``omnicontact.segment`` through
``register_channel_adapters``, like any third-party adapter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omnicontact.errors import ConfigurationError, InvalidTimestampError, InvalidTouchpointError
from omnicontact.hookspecs import hookimpl
from omnicontact.model import Identifier, Touchpoint, parse_iso_datetime

__all__ = ["ECOMMERCE_ACTIONS", "SegmentAdapter", "register_channel_adapters"]

_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})

_TYPE_ACTIONS = {
    "identify": "identify",
    "page": "page_view",
    "screen": "screen_view",
    "group": "group",
    "alias": "alias",
}

ECOMMERCE_ACTIONS: Mapping[str, str] = {
    "Order Completed": "purchase",
    "Order Refunded": "refund",
    "Order Cancelled": "order_cancelled",
    "Product Viewed": "product_view",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Checkout Started": "checkout",
    "Product Reviewed": "review",
    "Product Shared": "share",
    "Cart Shared": "share",
    "Signed Up": "signup",
    "Signed In": "login",
    "Signed Out": "logout",
    "Promotion Clicked": "promotion_click",
    "Coupon Applied": "coupon_applied",
    "Email Opened": "email_open",
    "Application Installed": "app_install",
    "Application Opened": "app_open",
    "Application Updated": "app_update",
    "Application Uninstalled": "app_uninstall",
    "Email Link Clicked": "email_click",
}
"""Segment's spec event names (matched after slugging) and the action each becomes."""

_CHANNELS = {"web": "web", "mobile": "app", "app": "app", "server": "server"}

# Reserved traits under another name: (source name, canonical name). When two
# sources give one canonical trait, the canonical (snake_case) name wins.
_TRAIT_ALIASES = {
    "firstName": "first_name",
    "lastName": "last_name",
    "name": "full_name",
    "birthday": "birth_date",
    "birthDate": "birth_date",
    "title": "job_title",
    "jobTitle": "job_title",
    "postalCode": "postal_code",
}

_ADDRESS_FIELDS = {
    "street": "street",
    "city": "city",
    "postalCode": "postal_code",
    "postal_code": "postal_code",
    "state": "region",
    "region": "region",
    "country": "country",
}

_IDENTIFIER_TRAITS = {"email": "email", "phone": "phone"}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_SLUG_RE = re.compile(r"[^a-z0-9]+")
_MAX_ACTION_LENGTH = 100


def slug_event(name: str) -> str:
    """Return an event name as a snake_case slug (``"Order Completed"`` → ``order_completed``).

    Accents are dropped, camelCase is split, and every run of other characters
    becomes one ``_``; the result is empty when nothing is left.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _CAMEL_RE.sub("_", text).lower()
    return _NON_SLUG_RE.sub("_", text).strip("_")


_ECOMMERCE_BY_SLUG = {slug_event(name): action for name, action in ECOMMERCE_ACTIONS.items()}


# --------------------------------------------------------------------------
# typed access to the payload: every wrong type is an InvalidTouchpointError
# --------------------------------------------------------------------------


def _object(value: object, field: str) -> Mapping[str, Any]:
    """Return *value* as a JSON object; ``None`` (absent) is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTouchpointError(field, "must be a JSON object")
    return value


def _id_text(value: object, field: str) -> str | None:
    """Return an id given as a string or a number as text; ``None`` when absent or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidTouchpointError(field, "must be a string or a number")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidTouchpointError(field, "must be a finite number")
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value)
    return text if text.strip() else None


def _text(value: object, field: str) -> str | None:
    """Return a string value; ``None`` when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidTouchpointError(field, "must be a string")
    return value if value.strip() else None


def _timestamp(payload: Mapping[str, Any], field: str) -> datetime | None:
    value = payload.get(field)
    if value is None:
        return None
    return parse_iso_datetime(value, field)


class SegmentAdapter:
    """Reads Segment Spec / RudderStack events, one decoded JSON object per payload.

    - **id**: ``messageId``, kept as it is, so a re-sent event is a duplicate.
    - **identifiers**: ``userId`` under *user_id_kind* (``customer_id``),
      ``anonymousId`` as ``anonymous_id``, ``context.device.id`` and
      ``context.device.advertisingId`` as ``device_id``, the ``email`` and
      ``phone`` traits (and a track event's ``properties.email``) as ``email``
      and ``phone``. Every event but ``alias`` needs ``userId`` or ``anonymousId``.
      An ``alias`` needs ``previousId`` (under *alias_previous_kind*) and ``userId``.
      As Segment's ``previousId`` is the anonymous id by default, it is an
      ``anonymous_id`` by default: the anonymous events then join the user.
      (Two ``customer_id`` values are never joined: a merge guard vetoes it.)
    - **traits**: an identify's ``traits`` (over ``context.traits``), any other
      event's ``context.traits``; Segment's reserved traits become canonical
      ones, the others are kept under their own names.
    - **action**: from the type; a track's from its ``event`` (see
      :data:`ECOMMERCE_ACTIONS`), else the event name as a snake_case slug.
    - **channel**: ``context.channel`` (``mobile`` is ``app``), else ``app`` for
      a screen or an event with ``context.app`` or ``context.device``, else ``web``.
    - **time**: ``timestamp`` (else ``originalTimestamp``), corrected for the
      device's clock skew when ``sentAt`` and ``receivedAt`` are given.

    :param user_id_kind: the identifier kind of ``userId``.
    :param alias_previous_kind: the identifier kind of an alias's ``previousId``.
    """

    name = "segment"
    description = "Segment Spec / RudderStack events (identify, track, page, screen, group, alias)"

    def __init__(
        self, *, user_id_kind: str = "customer_id", alias_previous_kind: str = "anonymous_id"
    ) -> None:
        for option, kind in (
            ("user_id_kind", user_id_kind),
            ("alias_previous_kind", alias_previous_kind),
        ):
            try:
                Identifier(kind, "")
            except InvalidTouchpointError:
                raise ConfigurationError(
                    f"{option}: must be an identifier kind such as 'customer_id'"
                ) from None
        self.user_id_kind = user_id_kind
        self.alias_previous_kind = alias_previous_kind

    def __repr__(self) -> str:
        return (
            f"SegmentAdapter(user_id_kind={self.user_id_kind!r}, "
            f"alias_previous_kind={self.alias_previous_kind!r})"
        )

    # ----------------------------------------------------------------------

    def parse(self, payload: Any) -> list[Touchpoint]:
        """Return the one touchpoint of a Segment event.

        :raises InvalidTouchpointError: naming the field that is missing or wrong
            (Segment's name for it, such as ``messageId`` or ``context.traits``).
        :raises InvalidTimestampError: for a missing or unreadable timestamp.
        """
        if not isinstance(payload, Mapping):
            raise InvalidTouchpointError("payload", "must be a JSON object")
        kind = payload.get("type")
        if not isinstance(kind, str) or kind not in _TYPES:
            raise InvalidTouchpointError(
                "type", "must be one of identify, track, page, screen, group, alias"
            )
        message_id = _id_text(payload.get("messageId"), "messageId")
        if message_id is None:
            raise InvalidTouchpointError("messageId", "is required")
        context = _object(payload.get("context"), "context")

        identifiers = self._identifiers(payload, kind, context)
        traits, trait_ids = self._traits(payload, kind, context)
        properties, property_ids = self._properties(payload, kind, context)
        identifiers.extend(trait_ids)
        identifiers.extend(property_ids)

        occurred_at, received_at = self._times(payload)
        library = _object(context.get("library"), "context.library")
        source = _text(library.get("name"), "context.library.name")
        try:
            return [
                Touchpoint(
                    id=message_id,
                    occurred_at=occurred_at,
                    channel=self._channel(kind, context),
                    action=self._action(payload, kind),
                    identifiers=identifiers,
                    traits=traits,
                    properties=properties,
                    source=source.strip() if source is not None else None,
                    received_at=received_at,
                )
            ]
        except InvalidTouchpointError as err:
            field = {"id": "messageId", "source": "context.library.name"}.get(err.field, err.field)
            raise InvalidTouchpointError(field, err.rule) from None

    # ----------------------------------------------------------------------

    def _identifiers(
        self, payload: Mapping[str, Any], kind: str, context: Mapping[str, Any]
    ) -> list[Identifier]:
        out: list[Identifier] = []
        user_id = _id_text(payload.get("userId"), "userId")
        anonymous_id = _id_text(payload.get("anonymousId"), "anonymousId")
        if kind == "alias":
            previous_id = _id_text(payload.get("previousId"), "previousId")
            if previous_id is None:
                raise InvalidTouchpointError("previousId", "is required for alias")
            if user_id is None:
                raise InvalidTouchpointError("userId", "is required for alias")
            out.append(Identifier(self.alias_previous_kind, previous_id))
        elif user_id is None and anonymous_id is None:
            raise InvalidTouchpointError("userId", "or anonymousId is required")
        if user_id is not None:
            out.append(Identifier(self.user_id_kind, user_id))
        if anonymous_id is not None:
            out.append(Identifier("anonymous_id", anonymous_id))
        device = _object(context.get("device"), "context.device")
        for key in ("id", "advertisingId"):
            device_id = _id_text(device.get(key), f"context.device.{key}")
            if device_id is not None:
                out.append(Identifier("device_id", device_id))
        return out

    def _traits(
        self, payload: Mapping[str, Any], kind: str, context: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[Identifier]]:
        """Return the canonical traits and the identifiers (email, phone) among them."""
        given: list[tuple[str, Mapping[str, Any]]] = [
            ("context.traits", _object(context.get("traits"), "context.traits"))
        ]
        if kind == "identify":  # a group's traits are the group's, not the person's
            given.append(("traits", _object(payload.get("traits"), "traits")))
        traits: dict[str, Any] = {}
        ids: dict[str, str] = {}
        for where, raw in given:  # identify's own traits come last and win
            for name, value in _read_traits(raw, where, ids).items():
                traits[name] = value
        identifiers = [Identifier(kind_, value) for kind_, value in ids.items()]
        return traits, identifiers

    def _properties(
        self, payload: Mapping[str, Any], kind: str, context: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[Identifier]]:
        """Return the properties and the identifiers (a track's ``properties.email``)."""
        properties = dict(_object(payload.get("properties"), "properties"))
        identifiers: list[Identifier] = []
        if kind == "track" and "email" in properties:
            email = properties.pop("email")
            if isinstance(email, str):
                if email.strip():
                    identifiers.append(Identifier("email", email))
            elif email is not None:
                raise InvalidTouchpointError("properties.email", "must be a string")
        if kind in ("page", "screen"):
            name = _text(payload.get("name"), "name")
            if name is not None:
                properties.setdefault("name", name)
            category = _text(payload.get("category"), "category")
            if category is not None:
                properties.setdefault("category", category)
        if kind == "page":
            page = _object(context.get("page"), "context.page")
            url = _text(page.get("url"), "context.page.url")
            if url is not None:
                properties.setdefault("url", url)
        if kind == "group":
            group_id = _id_text(payload.get("groupId"), "groupId")
            if group_id is None:
                raise InvalidTouchpointError("groupId", "is required for group")
            properties["group_id"] = group_id
            group_traits = _object(payload.get("traits"), "traits")
            if group_traits:
                properties["group_traits"] = dict(group_traits)
        for key in ("locale", "timezone", "ip"):
            value = _text(context.get(key), f"context.{key}")
            if value is not None:
                properties[key] = value
        campaign = _object(context.get("campaign"), "context.campaign")
        if campaign:
            properties["campaign"] = dict(campaign)
        return properties, identifiers

    def _channel(self, kind: str, context: Mapping[str, Any]) -> str:
        given = _text(context.get("channel"), "context.channel")
        if given is not None:
            slug = slug_event(given)
            if not slug:
                raise InvalidTouchpointError("context.channel", "must contain letters or digits")
            return _CHANNELS.get(slug, slug)
        if kind == "page":
            return "web"  # the Page call records a page of a web site, whatever the device
        if kind == "screen" or context.get("app") is not None or context.get("device") is not None:
            return "app"
        return "web"

    def _action(self, payload: Mapping[str, Any], kind: str) -> str:
        if kind != "track":
            return _TYPE_ACTIONS[kind]
        event = payload.get("event")
        if not isinstance(event, str):
            raise InvalidTouchpointError("event", "must be a string for track")
        slug = slug_event(event)
        if not slug:
            raise InvalidTouchpointError("event", "must contain letters or digits")
        if len(slug) > _MAX_ACTION_LENGTH:
            raise InvalidTouchpointError(
                "event", f"must be at most {_MAX_ACTION_LENGTH} characters as a slug"
            )
        return _ECOMMERCE_BY_SLUG.get(slug, slug)

    def _times(self, payload: Mapping[str, Any]) -> tuple[datetime, datetime | None]:
        """Return ``(occurred_at, received_at)``, occurred_at corrected for clock skew.

        When ``sentAt`` and ``receivedAt`` are both given, the event's device
        time (``originalTimestamp``, else ``timestamp``) is moved by the
        device clock's error, ``sentAt - receivedAt``. Otherwise
        ``timestamp`` is used (else ``originalTimestamp``) as it is.
        """
        timestamp = _timestamp(payload, "timestamp")
        original = _timestamp(payload, "originalTimestamp")
        sent_at = _timestamp(payload, "sentAt")
        received_at = _timestamp(payload, "receivedAt")
        if timestamp is None and original is None:
            raise InvalidTimestampError("timestamp", "or originalTimestamp is required")
        if sent_at is None or received_at is None:
            occurred = timestamp if timestamp is not None else original
            assert occurred is not None
            return occurred, received_at
        device_field, device_time = (
            ("originalTimestamp", original) if original is not None else ("timestamp", timestamp)
        )
        assert device_time is not None
        aware = {
            f: t.tzinfo is not None and t.utcoffset() is not None
            for f, t in (
                (device_field, device_time),
                ("sentAt", sent_at),
                ("receivedAt", received_at),
            )
        }
        if len(set(aware.values())) > 1:
            field = next(f for f, a in aware.items() if a != aware["receivedAt"])
            raise InvalidTimestampError(field, "must have a UTC offset when receivedAt has one")
        try:
            return received_at - (sent_at - device_time), received_at
        except OverflowError:
            raise InvalidTimestampError(
                "sentAt", "gives a skew-corrected time out of range"
            ) from None


def _read_traits(raw: Mapping[str, Any], where: str, ids: dict[str, str]) -> dict[str, Any]:
    """Return the traits of *raw* under canonical names; email and phone go to *ids*."""
    out: dict[str, Any] = {}
    from_alias: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            raise InvalidTouchpointError(where, "must have string keys")
        if name in _IDENTIFIER_TRAITS:
            text = (
                _id_text(value, f"{where}.{name}")
                if name == "phone"
                else _text(value, f"{where}.{name}")
            )
            if text is not None:
                ids[_IDENTIFIER_TRAITS[name]] = text
        elif name in _TRAIT_ALIASES:
            from_alias[_TRAIT_ALIASES[name]] = value
        elif name == "company":
            company = _company(value, f"{where}.company")
            if company is not None:
                out["company"] = company
        elif name == "address":
            address = _object(value, f"{where}.address")
            rest: dict[str, Any] = {}
            for key, part in address.items():
                target = _ADDRESS_FIELDS.get(key)
                if target is None:
                    rest[key] = part
                else:
                    from_alias.setdefault(target, part)
            if rest:
                out["address"] = rest
        else:
            out[name] = value
    for name, value in from_alias.items():
        if value is not None:
            out.setdefault(name, value)  # the canonical name, when given too, wins
    return out


def _company(value: object, field: str) -> object:
    """Return the company's name: a string, or the ``name`` of an object."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        name = value.get("name")
        if name is None or isinstance(name, str):
            return name
        raise InvalidTouchpointError(f"{field}.name", "must be a string")
    raise InvalidTouchpointError(field, "must be a string or an object with a name")


@hookimpl
def register_channel_adapters() -> list[SegmentAdapter]:
    """Contribute the ``segment`` adapter."""
    return [SegmentAdapter()]
