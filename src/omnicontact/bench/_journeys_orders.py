"""Orders in a journey: web checkouts, till receipts and the nightly back-office export.

A mixin of :class:`~omnicontact.bench._journeys.Journey`; private to
:mod:`omnicontact.bench.world`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from omnicontact.bench._journeys_common import PRODUCTS, REVIEW, Device, iso
from omnicontact.bench._people import CURRENCIES, Person, email_variant, phone_as_typed, typo

if TYPE_CHECKING:
    from omnicontact.bench._journeys import Household

__all__ = ["OrderJourney"]


class OrderJourney:
    """Purchases on the web or the app, and in store (a :class:`Journey` mixin)."""

    h: Household
    rng: Random
    p: Person
    browser: Device
    app: Device | None
    user_id: str | None
    subscribed: str | None
    typed_email: str
    loyalty_id: str
    orders: int

    if TYPE_CHECKING:  # provided by Journey

        def gap(self, mean_days: float) -> timedelta: ...

        def track(
            self, when: datetime, event: str, properties: dict[str, Any], *, user: bool = False,
            device: Device | None = None, traits: dict[str, Any] | None = None,
        ) -> None: ...  # fmt: skip

        def traits(
            self, *, names: bool = True, address: float = 0.6, phone: float = 0.5
        ) -> dict[str, Any]:
            """Return what a form says about the person, with the usual noise."""
            ...

    def purchase(self, t: datetime) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.35 or (self.user_id is None and r < 0.6):
            self.store_order(t)
            return
        if self.user_id is None:
            self.user_id = f"C-{self.p.serial:08d}"
            self.track(t - timedelta(minutes=3), "Signed Up", {"method": "checkout"},
                       user=True, traits=self.traits())  # fmt: skip
        device = self.app if self.app is not None and rng.random() < 0.3 else self.browser
        order_id, lines, total = self._basket("W")
        props = {"order_id": order_id, "total": total, "currency": CURRENCIES[self.p.country]}
        self.track(t, "Order Completed", props, user=True, device=device)
        # The e-commerce back office exports the same order, the next night.
        payload: dict[str, Any] = {
            "order_id": order_id,
            "placed_at": iso(t, self.p.country),
            "channel": "web",
            "customer_id": self.user_id,
            "email": self.typed_email,
            "lines": lines,
            "currency": CURRENCIES[self.p.country],
            "customer": self._customer(),
        }
        self.h.emit("orders", payload, f"order:{order_id}", self.p, t, self._nightly(t))
        if rng.random() < REVIEW:
            rating = rng.choices((1, 2, 3, 4, 5), (4, 4, 10, 30, 52))[0]
            props = {"product_id": lines[0]["sku"], "rating": rating}
            self.track(t + self.gap(9), "Product Reviewed", props, user=True)

    def store_order(self, t: datetime) -> None:
        rng, p = self.rng, self.p
        order_id, lines, _total = self._basket("POS")
        payload: dict[str, Any] = {
            "order_id": order_id,
            "placed_at": iso(t, p.country),
            "store_id": f"{p.country}-{rng.randrange(1, 30):02d}",
        }
        customer = self._customer()
        guest = rng.random() < 0.08 and self.orders > 1
        if not guest:
            if rng.random() < 0.6:
                payload["loyalty_id"] = self.loyalty_id
            if rng.random() < 0.5 or "loyalty_id" not in payload:
                email = self.typed_email
                payload["email"] = email_variant(rng, email) if rng.random() < 0.3 else email
            if p.phone is not None and rng.random() < 0.35:
                payload["phone"] = phone_as_typed(rng, p.phone, national="country" in customer)
            if self.subscribed is None and rng.random() < 0.3:
                self.subscribed = self.typed_email
            payload["customer"] = customer
        payload["lines"] = lines
        payload["currency"] = CURRENCIES[p.country]
        self.h.emit("orders", payload, f"order:{order_id}", p, t, self._nightly(t))

    def _basket(self, prefix: str) -> tuple[str, list[dict[str, Any]], float]:
        rng = self.rng
        self.orders += 1
        order_id = f"{prefix}-{self.p.country}-{self.p.serial:08d}-{self.orders}"
        lines: list[dict[str, Any]] = []
        total = 0.0
        for sku, price in rng.sample(PRODUCTS, 1 + int(rng.expovariate(1 / 0.6)) % 4):
            quantity = rng.choice((1, 1, 1, 2))
            lines.append({"sku": sku, "quantity": quantity, "unit_price": price})
            total += quantity * price
        total = round(total, 2)
        return order_id, lines, total

    def _customer(self) -> dict[str, Any]:
        """Return the buyer as a till or a shop knows them: names, billing address."""
        rng, p = self.rng, self.p
        first, last = p.first, p.last
        if rng.random() < 0.3:
            first, last = first.upper(), last.upper()
        if rng.random() < 0.05:
            last = typo(rng, last)
        if rng.random() < 0.03:
            first, last = last, first
        out = {"first_name": first, "last_name": last}
        if rng.random() < 0.1:
            del out["first_name"]
        if rng.random() < 0.7:
            out.update(street=p.street, city=p.city, postal_code=p.postal_code)
        if rng.random() < 0.9:
            out["country"] = p.country
        return out

    def _nightly(self, t: datetime) -> timedelta:
        """Delay until the next night's export (02:00 UTC)."""
        night = (t + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        return night - t
