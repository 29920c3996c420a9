"""The journeys of a household, as the payloads each channel would export.

Private to :mod:`omnicontact.bench.world`. :class:`Household` walks each member
from the first anonymous visit through sign-up, purchases, reviews, referrals,
surveys, e-mail campaigns and support cases, and collects one
:class:`Emitted` per payload with its arrival time. The rates are named
constants here and listed in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any

import attrs

from omnicontact.bench._people import (
    CURRENCIES,
    LOCALES,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
    UTC_OFFSETS,
    Person,
    ascii_fold,
    email_typo,
    email_variant,
    phone_as_typed,
    typo,
    uuid,
)

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

_SKEW_CHOICES = (60, 300, 1800, 3600, 7200, 10800)
_PRODUCTS = (
    ("tee-01", 19.0), ("jean-02", 59.0), ("veste-03", 89.9), ("sac-04", 129.0),
    ("shoe-05", 99.0), ("mug-06", 9.5), ("scarf-07", 29.0), ("watch-08", 149.0),
)  # fmt: skip
_PAGES = ("/", "/new-in", "/sale", "/products/tee-01", "/products/veste-03", "/stores", "/help")
_SCREENS = ("Home", "Search", "Product", "Cart", "Account", "Wishlist")
_CATEGORIES = (("question", "Where is my order?"), ("complaint", "Damaged item"),
               ("return", "Return request"), ("complaint", "Late delivery"))  # fmt: skip
_CAMPAIGNS = ("welcome", "new-in", "sale", "back-in-stock", "newsletter")
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


def _locale(country: str) -> str:
    return LOCALES[country].replace("_", "-")


class Household:
    """Generates the events of one household's members, in arrival order."""

    def __init__(self, rng: Random, members: list[Person], start: datetime, end: datetime) -> None:
        self.rng = rng
        self.members = members
        self.start, self.end = start, end
        self.out: list[Emitted] = []
        self.tablet: Device | None = None
        self.tv: str | None = None
        if len(members) > 1:
            if rng.random() < 0.6:
                self.tablet = self._app_device()
            if rng.random() < 0.4:
                self.tv = uuid(rng)

    # ------------------------------------------------------------------ output

    def events(self) -> list[Emitted]:
        """Return every member's events, sorted by arrival."""
        for person in self.members:
            Journey(self, person).run()
        self.out.sort(key=lambda e: (e.arrival, e.order))
        return self.out

    def emit(
        self,
        adapter: str,
        payload: dict[str, Any],
        touchpoint_id: str,
        person: Person,
        when: datetime,
        delay: timedelta = timedelta(0),
    ) -> None:
        """Keep a payload that happened at *when* (inside the world) and arrives after *delay*."""
        if not self.start <= when < self.end:
            return
        rng = self.rng
        arrival = when + delay
        self.out.append(
            Emitted(arrival, len(self.out), adapter, payload, touchpoint_id, person.person_id)
        )
        if rng.random() < DUPLICATE:  # a retried delivery: the very same payload again
            again = arrival + timedelta(seconds=rng.randrange(1, 3600))
            self.out.append(
                Emitted(again, len(self.out), adapter, payload, touchpoint_id, person.person_id)
            )

    def _app_device(self) -> Device:
        rng = self.rng
        skew = 0
        if rng.random() < SKEWED_DEVICE:
            skew = rng.choice(_SKEW_CHOICES) * rng.choice((-1, 1))
        library = rng.choice(("analytics-ios", "analytics-android"))
        return Device(uuid(rng), uuid(rng), library, skew)


class Journey:
    """One person's path through the channels, from the first visit to the world's end."""

    def __init__(self, household: Household, person: Person) -> None:
        self.h = household
        self.rng = household.rng
        self.p = person
        self.browser = Device(uuid(self.rng), None, "analytics.js")
        self.app: Device | None = None
        self.user_id: str | None = None
        self.subscribed: str | None = None  # the address campaigns go to
        self.typed_email = person.email  # what the person typed at sign-up (maybe a typo)
        self.loyalty_id = f"LOY-{person.country}-{person.serial:08d}"
        self.handle = f"{ascii_fold(person.first)}.{ascii_fold(person.last)}.{person.serial}"
        self.orders = 0
        self.cases = 0

    def gap(self, mean_days: float) -> timedelta:
        return timedelta(seconds=60 + self.rng.expovariate(1 / (mean_days * 86400)))

    def run(self) -> None:
        rng, h = self.rng, self.h
        span = (h.end - h.start).total_seconds()
        t = h.start + timedelta(seconds=rng.random() * span * 0.9)
        for _ in range(1 + int(rng.expovariate(1 / 1.2))):  # anonymous sessions
            t = self.web_session(t) + self.gap(4)
        if rng.random() < 0.15:  # a second browser, never identified on its own
            self.browser = Device(uuid(rng), None, "analytics.js")
        if h.tv is not None and rng.random() < 0.5:
            self.tv_views(t - self.gap(10))
        if rng.random() >= IDENTIFY:
            self.web_session(t)
            return
        path = rng.choices(ID_PATHS, ID_PATH_WEIGHTS)[0]
        if path == "signup":
            self.signup(t)
        elif path == "newsletter":
            self.newsletter(t)
        elif path == "store":
            self.store_order(t)
        else:
            self.open_case(t, first_channel="call_centre")
        if self.subscribed is not None:
            self.campaigns(t + self.gap(2))
        if rng.random() < APP_USERS:
            self.app_usage(t + self.gap(5))
        buyer = rng.random() < BUY or path == "store"
        when = t + self.gap(8)
        if buyer:
            for _ in range(1 + int(rng.expovariate(1 / 1.0))):
                self.purchase(when)
                when += self.gap(40)
            if rng.random() < REFER:
                self.track(t + self.gap(30), "Referral", {"program": "friends"}, user=True)
            if rng.random() < NPS_ASKED and rng.random() < NPS_ANSWER:
                score = rng.choices(range(11), (2, 1, 1, 2, 2, 4, 5, 9, 15, 25, 34))[0]
                self.track(t + self.gap(20), "NPS Response", {"nps": score}, user=True)
        if rng.random() < (SUPPORT_CASE if buyer else SUPPORT_CASE / 3):
            self.open_case(t + self.gap(15))

    # ------------------------------------------------------------------ Segment

    def segment(
        self,
        kind: str,
        when: datetime,
        device: Device,
        *,
        user: bool = False,
        extra: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Emit one Segment event of *kind* on *device*, with its clock and delivery."""
        rng, p = self.rng, self.p
        message_id = uuid(rng)
        payload: dict[str, Any] = {"type": kind, "messageId": message_id}
        payload["anonymousId"] = device.anonymous_id
        if user and self.user_id is not None:
            payload["userId"] = self.user_id
        if extra:
            payload.update(extra)
        ctx: dict[str, Any] = {"library": {"name": device.library}, "locale": _locale(p.country)}
        delay = timedelta(seconds=rng.uniform(0.05, 2))
        if device.device_id is not None:
            ctx["device"] = {"id": device.device_id}
            ctx["app"] = {"name": "Shop", "version": "5.2.0"}
            delay = timedelta(seconds=rng.uniform(1, 600))  # batched
            if rng.random() < LATE:
                delay = timedelta(seconds=rng.uniform(600, LATE_WINDOW.total_seconds()))
            shift = timedelta(seconds=device.skew)
            payload["originalTimestamp"] = iso(when + shift)
            payload["sentAt"] = iso(when + delay + shift)
            payload["receivedAt"] = iso(when + delay + timedelta(milliseconds=80))
        else:
            payload["timestamp"] = iso(when, p.country if rng.random() < 0.5 else None)
        if context:
            ctx.update(context)
        payload["context"] = ctx
        self.h.emit("segment", payload, message_id, p, when, delay)

    def track(
        self, when: datetime, event: str, properties: dict[str, Any], *, user: bool = False,
        device: Device | None = None, traits: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        extra: dict[str, Any] = {"event": event, "properties": properties}
        context = {"traits": traits} if traits else None
        self.segment("track", when, device or self.browser, user=user, extra=extra, context=context)

    def web_session(self, t: datetime, *, user: bool = False) -> datetime:
        rng = self.rng
        campaign = {"campaign": {"name": rng.choice(_CAMPAIGNS), "source": "google"}}
        for i in range(1 + int(rng.expovariate(1 / 2))):
            path = rng.choice(_PAGES)
            extra = {"properties": {"path": path}}
            context = {"page": {"url": f"https://shop.example{path}"}}
            if i == 0 and rng.random() < 0.3:
                context.update(campaign)
            self.segment("page", t, self.browser, user=user, extra=extra, context=context)
            t += timedelta(seconds=rng.randrange(10, 240))
        return t

    def tv_views(self, t: datetime) -> None:
        """Emit views on the household's connected TV: anonymous, one advertising id for all."""
        tv = Device(f"tv-{self.h.tv}", None, "analytics-ctv")
        for _ in range(1 + int(self.rng.expovariate(1))):
            context = {"device": {"advertisingId": self.h.tv}}
            extra = {"properties": {"path": "/tv/spring"}}
            self.segment("page", t, tv, extra=extra, context=context)
            t += self.gap(6)

    # ------------------------------------------------------------------ identity

    def traits(
        self, *, names: bool = True, address: float = 0.6, phone: float = 0.5
    ) -> dict[str, Any]:
        """Return what a form says about the person, with the usual noise."""
        rng, p = self.rng, self.p
        out: dict[str, Any] = {}
        email = self.typed_email
        if rng.random() < PLACEHOLDER:
            email = rng.choice(PLACEHOLDER_EMAILS)
        elif rng.random() < 0.25:
            email = email_variant(rng, email)
        out["email"] = email
        if names:
            first, last = p.first, p.last
            if rng.random() < 0.05:
                first = typo(rng, first)
            if rng.random() < 0.05:
                last = typo(rng, last)
            if rng.random() < 0.03:
                first, last = last, first
            if rng.random() > 0.1:
                out["firstName"] = first
            out["lastName"] = last
        if p.phone is not None and rng.random() < phone:
            out["phone"] = phone_as_typed(rng, p.phone, national=True)
            if rng.random() < PLACEHOLDER:
                out["phone"] = PLACEHOLDER_PHONES[p.country == "FR"]
        if rng.random() < address:
            street = p.street if rng.random() > 0.1 else typo(rng, p.street)
            out["address"] = {"street": street, "city": p.city, "postalCode": p.postal_code}
            if rng.random() > 0.1:
                out["address"]["country"] = p.country
        if rng.random() < 0.4:
            out["birthday"] = p.birth.isoformat()
        return out

    def signup(self, t: datetime) -> None:
        rng = self.rng
        self.user_id = f"C-{self.p.serial:08d}"
        if rng.random() < EMAIL_TYPO:
            self.typed_email = email_typo(rng, self.p.email)
        traits = self.traits()
        self.track(t, "Signed Up", {"method": "email"}, user=True, traits=traits)
        identify = {"traits": traits}
        self.segment("identify", t + timedelta(seconds=2), self.browser, user=True, extra=identify)
        if rng.random() < SUBSCRIBE:
            self.subscribed = self.typed_email
        self.web_session(t + timedelta(seconds=30), user=True)

    def newsletter(self, t: datetime) -> None:
        email = self.p.role_mailbox or self.p.email
        traits = {"email": email_variant(self.rng, email) if self.rng.random() < 0.2 else email}
        self.track(t, "Newsletter Subscribe", {"list": "weekly"}, traits=traits)
        self.subscribed = email

    def app_usage(self, t: datetime) -> None:
        rng, h = self.rng, self.h
        shared = h.tablet is not None and rng.random() < 0.7
        device = h.tablet if shared and h.tablet is not None else h._app_device()
        self.app = device
        if self.user_id is None:
            self.user_id = f"C-{self.p.serial:08d}"
            traits = self.traits(address=0.2)
            self.track(t, "Signed Up", {"method": "app"}, user=True, device=device, traits=traits)
        else:
            self.track(t, "Signed In", {}, user=True, device=device)
        for _ in range(1 + int(rng.expovariate(1 / 3))):  # app sessions
            t += self.gap(12)
            for _ in range(1 + int(rng.expovariate(1 / 2))):
                extra = {"name": rng.choice(_SCREENS), "properties": {}}
                self.segment("screen", t, device, user=True, extra=extra)
                t += timedelta(seconds=rng.randrange(5, 120))

    # ------------------------------------------------------------------ orders

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
        for sku, price in rng.sample(_PRODUCTS, 1 + int(rng.expovariate(1 / 0.6)) % 4):
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

    # ------------------------------------------------------------------ e-mail

    def campaigns(self, t: datetime) -> None:
        rng, p, h = self.rng, self.p, self.h
        address = self.subscribed
        assert address is not None
        bounced = address != p.email and address == self.typed_email  # a mistyped sign-up
        mailgun = rng.random() < 0.2
        while t < h.end:
            message = f"<{uuid(rng)}@mail.shop.example>"
            campaign = f"{rng.choice(_CAMPAIGNS)}-{p.country.lower()}"
            self.esp(t, "sent", address, message, campaign, mailgun)
            if bounced:
                self.esp(t + timedelta(seconds=20), "bounce", address, message, campaign, mailgun,
                         reason="550 mailbox unavailable")  # fmt: skip
                return
            if rng.random() < OPEN:
                opened = t + self.gap(0.5)
                self.esp(opened, "open", address, message, campaign, mailgun)
                if rng.random() < CLICK:
                    url = f"https://shop.example/{campaign}"
                    self.esp(opened + timedelta(seconds=30), "click", address, message, campaign,
                             mailgun, url=url)  # fmt: skip
                if rng.random() < UNSUBSCRIBE:
                    self.esp(opened + timedelta(seconds=60), "unsubscribe", address, message,
                             campaign, mailgun)  # fmt: skip
                    return
            t += timedelta(days=rng.choice((7, 7, 14)), seconds=rng.randrange(3600))

    def esp(
        self, t: datetime, event: str, address: str, message: str, campaign: str, mailgun: bool,
        **extra: str,
    ) -> None:  # fmt: skip
        rng = self.rng
        event_id = f"{rng.getrandbits(96):024x}"
        sent_as = address.upper() if rng.random() < 0.02 else address
        delay = timedelta(seconds=rng.uniform(1, 60))
        if mailgun:
            names = {"sent": "accepted", "open": "opened", "click": "clicked",
                     "bounce": "failed", "unsubscribe": "unsubscribed"}  # fmt: skip
            data: dict[str, Any] = {
                "event": names[event], "recipient": sent_as, "timestamp": round(t.timestamp(), 3),
                "id": event_id, "message": {"headers": {"message-id": message}},
                "campaign": campaign, **extra,
            }  # fmt: skip
            payload: dict[str, Any] = {"event-data": data}
        else:
            sg_event = {"sent": "processed"}.get(event, event)
            payload = {"event": sg_event, "email": sent_as, "timestamp": int(t.timestamp()),
                       "sg_event_id": event_id, "sg_message_id": message,
                       "campaign": campaign, **extra}  # fmt: skip
        self.h.emit("email_events", payload, f"email_event:{event_id}", self.p, t, delay)

    # ------------------------------------------------------------------ support

    def open_case(self, t: datetime, first_channel: str | None = None) -> None:
        """Emit a case opened on one channel and, often, continued on another."""
        rng, p = self.rng, self.p
        self.cases += 1
        case_id = f"CS-{p.country}-{p.serial:08d}-{self.cases}"
        channel = (
            first_channel
            or rng.choices(("social", "email", "chat", "call_centre"), (35, 35, 15, 15))[0]
        )
        category, subject = rng.choice(_CATEGORIES)
        who = self._requester(channel)
        opened = {"kind": "ticket_opened", "channel": channel, "category": category,
                  "subject": subject, **who}  # fmt: skip
        if channel == "call_centre":
            opened["kind"] = "call"
        self.support(case_id, 1, t, opened)
        n, status = 2, "pending"
        if rng.random() < CONTINUED:
            t += self.gap(1)
            other = "call_centre" if channel != "call_centre" else "email"
            kind = "call" if other == "call_centre" else "message"
            follow = {"kind": kind, "channel": other, "category": category,
                      **self._requester(other)}  # fmt: skip
            self.support(case_id, n, t, follow)
            n += 1
        if rng.random() < 0.8:
            t += self.gap(1.5)
            done: dict[str, Any] = {"kind": "ticket_solved", "channel": channel, **who}
            if rng.random() < 0.5:
                done["rating"] = rng.choices((1, 2, 3, 4, 5), (8, 6, 12, 30, 44))[0]
            self.support(case_id, n, t, done)
        else:
            self.support(case_id, n, t + self.gap(1), {"kind": "reply", "status": status, **who})

    def _requester(self, channel: str) -> dict[str, Any]:
        """Who the helpdesk sees on *channel*: a handle, an address, a calling number."""
        rng, p = self.rng, self.p
        out: dict[str, Any] = {}
        if channel == "social":
            network = rng.choice(("facebook", "instagram", "x"))
            out["social"] = {network: ("@" if rng.random() < 0.3 else "") + self.handle}
            if rng.random() < 0.5:
                out["email"] = self.typed_email
        elif channel == "call_centre" and p.phone is not None:
            out["phone"] = phone_as_typed(rng, p.phone, national=False)
            if rng.random() < 0.4:
                out["email"] = email_variant(rng, self.typed_email)
        else:
            email = p.role_mailbox if p.role_mailbox and rng.random() < 0.5 else self.typed_email
            out["email"] = email_variant(rng, email) if rng.random() < 0.2 else email
        if rng.random() < 0.7:
            name = f"{p.first} {p.last}"
            out["requester_name"] = name.upper() if rng.random() < 0.2 else name
        return out

    def support(self, case_id: str, n: int, t: datetime, fields: dict[str, Any]) -> None:
        interaction = f"i-{n}"
        payload = {"id": interaction, "case_id": case_id, "occurred_at": iso(t, self.p.country),
                   **fields}  # fmt: skip
        delay = timedelta(seconds=self.rng.uniform(1, 300))
        self.h.emit("support", payload, f"support:{case_id}/{interaction}", self.p, t, delay)
