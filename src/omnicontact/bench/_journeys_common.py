"""What the journeys of :mod:`omnicontact.bench._journeys` share: rates, catalogue, records.

The rates are named constants here and listed in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from omnicontact.bench._people import UTC_OFFSETS

__all__ = [
    "APP_USERS",
    "BUY",
    "CAMPAIGNS",
    "CATEGORIES",
    "CLICK",
    "CONTINUED",
    "DUPLICATE",
    "EMAIL_TYPO",
    "IDENTIFY",
    "ID_PATHS",
    "ID_PATH_WEIGHTS",
    "LATE",
    "LATE_WINDOW",
    "NPS_ANSWER",
    "NPS_ASKED",
    "OPEN",
    "PAGES",
    "PLACEHOLDER",
    "PRODUCTS",
    "REFER",
    "REVIEW",
    "SCREENS",
    "SKEWED_DEVICE",
    "SKEW_CHOICES",
    "SUBSCRIBE",
    "SUPPORT_CASE",
    "UNSUBSCRIBE",
    "Device",
    "Emitted",
    "iso",
]

# Rates: what share of people (or of an event's occasions) do something.
IDENTIFY = 0.4  # people who ever give an e-mail, a phone or a loyalty card
ID_PATHS = ("signup", "newsletter", "store", "call")  # how people first identify,
ID_PATH_WEIGHTS = (0.55, 0.2, 0.18, 0.07)  # and how often
APP_USERS = 0.4  # of identified people
BUY = 0.45  # of identified people who buy at least once
REVIEW = 0.25  # of buyers, after an order
REFER = 0.08  # of buyers
NPS_ASKED, NPS_ANSWER = 0.4, 0.3  # of buyers asked, of those asked who answer
SUPPORT_CASE = 0.1  # of buyers; a third of that for other identified people
CONTINUED = 0.5  # cases continued on another channel
SUBSCRIBE = 0.7  # of sign-ups who accept marketing e-mail
OPEN, CLICK, UNSUBSCRIBE = 0.25, 0.2, 0.01  # per campaign; click is of opens
DUPLICATE = 0.01  # payloads delivered twice
LATE = 0.03  # app events delivered late (offline), up to LATE_WINDOW
LATE_WINDOW = timedelta(hours=48)
SKEWED_DEVICE = 0.2  # app devices whose clock is wrong (minutes to hours)
EMAIL_TYPO = 0.03  # sign-ups whose e-mail is mistyped (it bounces)
PLACEHOLDER = 0.015  # forms filled with test@test.com or 0000000000


SKEW_CHOICES = (60, 300, 1800, 3600, 7200, 10800)
PRODUCTS = (
    ("tee-01", 19.0), ("jean-02", 59.0), ("veste-03", 89.9), ("sac-04", 129.0),
    ("shoe-05", 99.0), ("mug-06", 9.5), ("scarf-07", 29.0), ("watch-08", 149.0),
)  # fmt: skip
PAGES = ("/", "/new-in", "/sale", "/products/tee-01", "/products/veste-03", "/stores", "/help")
SCREENS = ("Home", "Search", "Product", "Cart", "Account", "Wishlist")
CATEGORIES = (("question", "Where is my order?"), ("complaint", "Damaged item"),
              ("return", "Return request"), ("complaint", "Late delivery"))  # fmt: skip
CAMPAIGNS = ("welcome", "new-in", "sale", "back-in-stock", "newsletter")
_TZ = {c: timezone(timedelta(hours=int(o[:3]), minutes=int(o[4:]))) for c, o in UTC_OFFSETS.items()}


@attrs.define(slots=True)
class Emitted:
    """One payload of the household, before it is wrapped as a ``WorldEvent``."""

    arrival: datetime
    order: int
    adapter: str
    payload: dict[str, Any]
    touchpoint_id: str
    person: str


@attrs.define(slots=True)
class Device:
    """A browser, phone or tablet as Segment sees it: one anonymous id, maybe a device id."""

    anonymous_id: str
    device_id: str | None
    library: str
    skew: int = 0  # seconds the device clock is ahead (negative: behind)


def iso(when: datetime, country: str | None = None) -> str:
    """Return *when* in ISO 8601, in UTC (``Z``) or at the country's offset."""
    if country is None:
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    return when.astimezone(_TZ[country]).isoformat(timespec="seconds")
