"""The journeys of a household, as the payloads each channel would export.

Private to :mod:`omnicontact.bench.world`. :class:`Household` walks each member
from the first anonymous visit through sign-up, purchases, reviews, referrals,
surveys, e-mail campaigns and support cases, and collects one
:class:`Emitted` per payload with its arrival time. :class:`Journey` keeps
the web, app and identity steps here; orders are in
:mod:`~omnicontact.bench._journeys_orders`, e-mail and support in
:mod:`~omnicontact.bench._journeys_service`. The rates are named constants in
:mod:`~omnicontact.bench._journeys_common` and listed in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import Any

from omnicontact.bench._journeys_common import (
    APP_USERS,
    BUY,
    CAMPAIGNS,
    DUPLICATE,
    EMAIL_TYPO,
    ID_PATH_WEIGHTS,
    ID_PATHS,
    IDENTIFY,
    LATE,
    LATE_WINDOW,
    NPS_ANSWER,
    NPS_ASKED,
    PAGES,
    PLACEHOLDER,
    REFER,
    SCREENS,
    SKEW_CHOICES,
    SKEWED_DEVICE,
    SUBSCRIBE,
    SUPPORT_CASE,
    Device,
    Emitted,
    iso,
)
from omnicontact.bench._journeys_orders import OrderJourney
from omnicontact.bench._journeys_service import ServiceJourney
from omnicontact.bench._people import (
    LOCALES,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
    Person,
    ascii_fold,
    email_typo,
    email_variant,
    phone_as_typed,
    typo,
    uuid,
)

__all__ = ["Emitted", "Household", "Journey"]


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
            skew = rng.choice(SKEW_CHOICES) * rng.choice((-1, 1))
        library = rng.choice(("analytics-ios", "analytics-android"))
        return Device(uuid(rng), uuid(rng), library, skew)


class Journey(OrderJourney, ServiceJourney):
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
        campaign = {"campaign": {"name": rng.choice(CAMPAIGNS), "source": "google"}}
        for i in range(1 + int(rng.expovariate(1 / 2))):
            path = rng.choice(PAGES)
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
                extra = {"name": rng.choice(SCREENS), "properties": {}}
                self.segment("screen", t, device, user=True, extra=extra)
                t += timedelta(seconds=rng.randrange(5, 120))
