"""The ``orders`` adapter: till and e-commerce orders, one touchpoint per order.

Payload (a JSON object; see ``docs/adapters.md``):

=============  ========  ==========================================================
field          required  meaning
=============  ========  ==========================================================
order_id       yes       the order's id (string or integer); the touchpoint id is
                         ``order:<order_id>``
placed_at      yes       ISO 8601 timestamp, or Unix epoch seconds (or millis)
channel        no        ``store`` when ``store_id`` is given, ``web`` otherwise
store_id       no        the store or till (string or integer)
email, phone   no        the customer's identifiers (strings, as received)
customer_id,   no        the customer's account and loyalty card (string or integer)
loyalty_id
lines          no        list of ``{sku, name?, quantity?, unit_price}``;
                         ``quantity`` defaults to 1; numbers must be >= 0
amount         no        the total; the sum of ``quantity * unit_price`` when absent
currency       no        ISO 4217 code (three letters), upper-cased
status         no        ``completed`` (default), ``refunded``, ``returned``,
                         ``cancelled``
customer       no        the buyer as the till or shop knows them: ``first_name``,
                         ``last_name``, ``full_name``, ``birth_date``, and a billing
                         ``street``, ``city``, ``postal_code``, ``region``,
                         ``country`` (strings): the touchpoint's traits
=============  ========  ==========================================================

Decisions:

- An order without any customer identifier (a guest sale at a till) is
  accepted as an *anonymous* touchpoint: it has no identifiers and becomes an
  anonymous contact of its own. Blank identifier strings count as absent.
- ``amount`` is kept as given: a total that differs from the lines (discounts,
  shipping, taxes) is not an error and is not corrected.
- Properties always hold ``order_id``, ``store_id``, ``lines``, ``amount``,
  ``currency`` and ``status`` (``null`` when unknown).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from omnicontact.adapters._fields import read_key, read_required, read_timestamp
from omnicontact.errors import InvalidTouchpointError
from omnicontact.hookspecs import hookimpl
from omnicontact.model import Identifier, Touchpoint

__all__ = ["CUSTOMER_TRAITS", "OrdersAdapter", "register_channel_adapters"]

_MAX_KEY_LENGTH = 200


def _key(value: object, field: str) -> str:
    return read_key(value, field, _MAX_KEY_LENGTH)


_required = read_required
_timestamp = read_timestamp
_CURRENCY_RE = re.compile(r"[A-Z]{3}\Z")

ACTIONS: Mapping[str, str] = {
    "completed": "purchase",
    "refunded": "refund",
    "returned": "return",
    "cancelled": "order_cancelled",
    "canceled": "order_cancelled",
}
"""Order status to touchpoint action."""


# --------------------------------------------------------------------------
# field readers: each raises InvalidTouchpointError naming the field, never the value
# --------------------------------------------------------------------------


def _number(value: object, field: str) -> int | float:
    """Read a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTouchpointError(field, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTouchpointError(field, "must be a finite number")
    if value < 0:
        raise InvalidTouchpointError(field, "must not be negative")
    return value


def _identifiers(payload: Mapping[str, Any]) -> list[Identifier]:
    out = []
    for kind in ("email", "phone"):
        value = payload.get(kind)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidTouchpointError(kind, "must be a string")
        if value.strip():
            out.append(Identifier(kind, value))
    for kind in ("customer_id", "loyalty_id"):
        value = payload.get(kind)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidTouchpointError(kind, "must be a string or an integer")
        out.append(Identifier(kind, str(value)))
    return out


CUSTOMER_TRAITS = (
    "first_name",
    "last_name",
    "full_name",
    "birth_date",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
)
"""The fields of an order's ``customer`` object, read as traits of the same name."""


def _customer(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTouchpointError("customer", "must be an object")
    traits = {}
    for name in CUSTOMER_TRAITS:
        text = value.get(name)
        if text is None:
            continue
        if not isinstance(text, str):
            raise InvalidTouchpointError(f"customer.{name}", "must be a string")
        if text.strip():
            traits[name] = text
    return traits


def _lines(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidTouchpointError("lines", "must be a list of objects")
    out = []
    for number, line in enumerate(value):
        where = f"lines[{number}]"
        if not isinstance(line, Mapping):
            raise InvalidTouchpointError(where, "must be an object")
        sku = line.get("sku")
        if sku is None:
            raise InvalidTouchpointError(f"{where}.sku", "is required")
        read: dict[str, Any] = {"sku": _key(sku, f"{where}.sku")}
        name = line.get("name")
        if name is not None:
            if not isinstance(name, str):
                raise InvalidTouchpointError(f"{where}.name", "must be a string")
            read["name"] = name
        quantity = line.get("quantity", 1)
        read["quantity"] = _number(quantity, f"{where}.quantity")
        price = line.get("unit_price")
        if price is None:
            raise InvalidTouchpointError(f"{where}.unit_price", "is required")
        read["unit_price"] = _number(price, f"{where}.unit_price")
        out.append(read)
    return out


def _lines_total(lines: list[dict[str, Any]]) -> int | float:
    total: int | float = 0
    for line in lines:
        total += line["quantity"] * line["unit_price"]
    if isinstance(total, float):
        if not math.isfinite(total):
            raise InvalidTouchpointError("lines", "must add up to a finite amount")
        total = round(total, 6)  # 3 * 0.1 is 0.3, not 0.30000000000000004
    return total


def _currency(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _CURRENCY_RE.match(value.strip().upper()):
        raise InvalidTouchpointError("currency", "must be a three-letter ISO 4217 code")
    return value.strip().upper()


# --------------------------------------------------------------------------
# the adapter
# --------------------------------------------------------------------------


class OrdersAdapter:
    """Reads till and e-commerce orders: one touchpoint ``order:<order_id>`` per order.

    The action follows ``status``: ``purchase`` (completed, the default),
    ``refund``, ``return`` or ``order_cancelled``.
    """

    name = "orders"
    description = "till and e-commerce orders, one touchpoint per order (order:<order_id>)"

    def parse(self, payload: Any) -> list[Touchpoint]:
        """Return the one touchpoint of an order.

        :raises InvalidTouchpointError: naming the field that is missing or wrong.
        """
        if not isinstance(payload, Mapping):
            raise InvalidTouchpointError("payload", "must be a JSON object")
        order_id = _key(_required(payload, "order_id"), "order_id")
        placed_at = _timestamp(_required(payload, "placed_at"), "placed_at")
        store = payload.get("store_id")
        store_id = None if store is None else _key(store, "store_id")
        channel = payload.get("channel")
        if channel is None:
            channel = "web" if store_id is None else "store"
        status = payload.get("status", "completed")
        if not isinstance(status, str) or status.strip().lower() not in ACTIONS:
            raise InvalidTouchpointError(
                "status", "must be one of completed, refunded, returned, cancelled"
            )
        status = status.strip().lower()
        lines = _lines(payload.get("lines"))
        amount = payload.get("amount")
        amount = _lines_total(lines) if amount is None else _number(amount, "amount")
        properties = {
            "order_id": order_id,
            "store_id": store_id,
            "lines": lines,
            "amount": amount,
            "currency": _currency(payload.get("currency")),
            "status": "cancelled" if status == "canceled" else status,
        }
        return [
            Touchpoint(
                id=f"order:{order_id}",
                occurred_at=placed_at,
                channel=channel,
                action=ACTIONS[status],
                identifiers=_identifiers(payload),
                traits=_customer(payload.get("customer")),
                properties=properties,
            )
        ]

    def __repr__(self) -> str:
        return "OrdersAdapter()"


@hookimpl
def register_channel_adapters() -> list[OrdersAdapter]:
    """Contribute the ``orders`` adapter."""
    return [OrdersAdapter()]
