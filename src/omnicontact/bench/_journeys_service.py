"""E-mail campaigns and support cases in a journey.

A mixin of :class:`~omnicontact.bench._journeys.Journey`; private to
:mod:`omnicontact.bench.world`. Campaigns go out as SendGrid or Mailgun
webhook events; cases are helpdesk interactions, sometimes continued on
another channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from omnicontact.bench._journeys_common import (
    CAMPAIGNS,
    CATEGORIES,
    CLICK,
    CONTINUED,
    OPEN,
    UNSUBSCRIBE,
    iso,
)
from omnicontact.bench._people import Person, email_variant, phone_as_typed, uuid

if TYPE_CHECKING:
    from omnicontact.bench._journeys import Household

__all__ = ["ServiceJourney"]


class ServiceJourney:
    """Marketing e-mail and customer service (a :class:`Journey` mixin)."""

    h: Household
    rng: Random
    p: Person
    subscribed: str | None
    typed_email: str
    handle: str
    cases: int

    if TYPE_CHECKING:  # provided by Journey

        def gap(self, mean_days: float) -> timedelta: ...

    # ------------------------------------------------------------------ e-mail

    def campaigns(self, t: datetime) -> None:
        rng, p, h = self.rng, self.p, self.h
        address = self.subscribed
        assert address is not None
        bounced = address != p.email and address == self.typed_email  # a mistyped sign-up
        mailgun = rng.random() < 0.2
        while t < h.end:
            message = f"<{uuid(rng)}@mail.shop.example>"
            campaign = f"{rng.choice(CAMPAIGNS)}-{p.country.lower()}"
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
        category, subject = rng.choice(CATEGORIES)
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
