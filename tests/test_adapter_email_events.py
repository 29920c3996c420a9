"""The ``email_events`` adapter: ESP webhook events as ``email`` touchpoints."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.adapters.email_events import EmailEventsAdapter

from .conftest import make_hub
from .strategies import json_objects, json_values, markers

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
EPOCH = int(T0.timestamp())


def event(**fields: Any) -> dict[str, Any]:
    """A valid SendGrid-like click, with *fields* replaced (None removes a field)."""
    payload: dict[str, Any] = {
        "event": "click",
        "email": "Ann@Example.com",
        "timestamp": EPOCH,
        "sg_event_id": "ev-1",
        "sg_message_id": "msg-1",
        "campaign_id": 77,
        "url": "https://shop.example/spring",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def ingest(*payloads: Any) -> tuple[oc.Hub, oc.IngestReport]:
    """Ingest *payloads* with the adapter registered by its module's hook."""
    hub = make_hub()
    return hub, hub.ingest(list(payloads), adapter="email_events")


class TestValid:
    def test_the_module_registers_the_adapter(self) -> None:
        """The built-in plug-in omnicontact.email_events contributes this ChannelAdapter."""
        hub = make_hub()
        assert hub.adapters.plugin_of("email_events") == "omnicontact.email_events"
        assert isinstance(hub.adapters["email_events"], oc.ChannelAdapter)

    def test_a_sendgrid_click(self) -> None:
        """Id from sg_event_id, channel email, the e-mail identifier, the click's properties."""
        hub, report = ingest(event())
        assert (report.accepted, report.quarantined) == (1, ())
        tp = hub.touchpoint("email_event:ev-1")
        assert (tp.occurred_at, tp.channel, tp.action) == (T0, "email", "email_click")
        assert tp.to_mapping()["identifiers"]["email"] == "ann@example.com"
        assert tp.to_mapping()["properties"] == {
            "message_id": "msg-1",
            "campaign": "77",
            "url": "https://shop.example/spring",
        }

    def test_the_adapter_passes_the_email_as_received(self) -> None:
        """parse() gives the e-mail as received; the hub normalizes it."""
        (tp,) = EmailEventsAdapter().parse(event())
        assert [(i.kind, i.value) for i in tp.identifiers] == [("email", "Ann@Example.com")]

    @pytest.mark.parametrize(
        ("name", "action"),
        [
            ("sent", "email_sent"),
            ("processed", "email_sent"),
            ("delivered", "email_delivered"),
            ("open", "email_open"),
            ("Opened", "email_open"),
            ("click", "email_click"),
            ("clicked", "email_click"),
            ("bounce", "email_bounce"),
            ("bounced", "email_bounce"),
            ("hard_bounce", "email_bounce"),
            ("unsubscribe", "email_unsubscribe"),
            ("unsubscribed", "email_unsubscribe"),
            ("spamreport", "email_spam_complaint"),
            ("complained", "email_spam_complaint"),
            ("spam_complaint", "email_spam_complaint"),
            ("dropped", "email_dropped"),
            ("deferred", "email_deferred"),
        ],
    )
    def test_event_names_give_actions(self, name: str, action: str) -> None:
        """SendGrid, Mailgun and Brevo names map onto one set of actions."""
        hub, _ = ingest(event(event=name))
        assert hub.touchpoint("email_event:ev-1").action == action

    def test_a_brevo_like_bounce_with_an_iso_timestamp(self) -> None:
        """Aliases: id, message-id, campaign; the reason of a bounce is kept."""
        payload = {
            "event": "hard_bounce",
            "email": "ann@example.com",
            "id": 991,
            "timestamp": "2026-03-02T11:00:00+01:00",
            "message-id": "<m@esp>",
            "campaign": "spring",
            "reason": "mailbox full",
        }
        hub, _ = ingest(payload)
        tp = hub.touchpoint("email_event:991")
        assert tp.occurred_at == T0
        assert tp.to_mapping()["properties"] == {
            "message_id": "<m@esp>",
            "campaign": "spring",
            "reason": "mailbox full",
        }

    def test_a_mailgun_envelope_is_unwrapped(self) -> None:
        """``event-data`` with recipient, float epoch and message.headers.message-id."""
        payload = {
            "signature": {"token": "t"},
            "event-data": {
                "event": "opened",
                "recipient": "ann@example.com",
                "timestamp": EPOCH + 0.5,
                "id": "mg-1",
                "message": {"headers": {"message-id": "m-9"}},
            },
        }
        hub, _ = ingest(payload)
        tp = hub.touchpoint("email_event:mg-1")
        assert tp.action == "email_open"
        assert tp.properties["message_id"] == "m-9"
        assert tp.occurred_at.timestamp() == EPOCH + 0.5

    def test_without_an_event_id_the_id_is_a_stable_hash(self) -> None:
        """The derived id is the same for the same event, differs otherwise, hides the address."""
        adapter = EmailEventsAdapter()
        base = event(sg_event_id=None)
        (first,) = adapter.parse(base)
        (again,) = adapter.parse(dict(base, timestamp=str(EPOCH), email=" ANN@example.com"))
        (other,) = adapter.parse(dict(base, event="open"))
        assert first.id == again.id != other.id
        assert first.id.startswith("email_event:")
        assert "ann" not in first.id.lower()
        assert "example" not in first.id

    def test_the_same_event_twice_is_a_duplicate(self) -> None:
        """Webhooks are retried: the same event again is a duplicate, with or without an id."""
        hub, _ = ingest(event(), event(sg_event_id=None))
        again = hub.ingest([event(), event(sg_event_id=None)], adapter="email_events")
        assert (again.accepted, again.duplicates) == (0, 2)

    def test_an_email_open_joins_the_orders_contact(self) -> None:
        """One person across adapters: an ESP open and an order with that e-mail."""
        hub = make_hub()
        hub.ingest([event(event="open")], adapter="email_events")
        hub.ingest(
            [{"order_id": "W-1", "placed_at": "2026-03-02T12:00:00Z", "email": "ann@example.com"}],
            adapter="orders",
        )
        contact = hub.contact_of("order:W-1")
        assert contact.touchpoint_ids == ("email_event:ev-1", "order:W-1")
        assert contact.channels == ("email", "web")


class TestInvalid:
    @pytest.mark.parametrize(
        ("payload", "field", "reason"),
        [
            (["not", "an", "event"], "payload", "must be a JSON object"),
            (event(event=None), "event", "is required"),
            (event(event=3), "event", "must be a string"),
            (event(event="exploded"), "event", "is not a known e-mail event (see ACTIONS)"),
            (event(email=None), "email", "is required"),
            (event(email=["ann@example.com"]), "email", "must be a string"),
            (event(email=" "), "email", "must not be empty"),
            (event(email=None, recipient=5), "recipient", "must be a string"),
            (event(timestamp=None), "timestamp", "is required"),
            (event(timestamp="last tuesday"), "timestamp", "must be an ISO 8601 timestamp string"),
            (event(timestamp=True), "timestamp", "must be an ISO 8601 timestamp string"),
            (event(timestamp=10**30), "timestamp", "epoch value is out of range"),
            (event(timestamp=None, ts=1e300), "ts", "epoch value is out of range"),
            (event(sg_event_id=1.5), "sg_event_id", "must be a string or an integer"),
            (event(sg_event_id=""), "sg_event_id", "must not be empty"),
            (event(sg_message_id={}), "sg_message_id", "must be a string or an integer"),
            (event(campaign_id=[1]), "campaign_id", "must be a string or an integer"),
            (event(url=1), "url", "must be a string"),
            (event(reason=False), "reason", "must be a string"),
        ],
    )
    def test_a_bad_event_is_quarantined_with_its_field(
        self, payload: Any, field: str, reason: str
    ) -> None:
        """Each rule names its field; the stream goes on."""
        hub, report = ingest(payload, event(sg_event_id="ok"))
        assert report.accepted == 1
        assert [(r.field, r.reason) for r in report.quarantined] == [(field, reason)]
        assert hub.touchpoint("email_event:ok").action == "email_click"

    def test_a_future_timestamp_is_quarantined_by_the_hub(self) -> None:
        """The hub's timestamp policy applies to adapted touchpoints too."""
        _, report = ingest(event(timestamp="2030-01-01T00:00:00Z"))
        assert [r.error for r in report.quarantined] == ["InvalidTimestampError"]


EVENTS = ["sent", "delivered", "open", "click", "bounce", "unsubscribe", "spamreport", "dropped"]


@given(
    marker=markers(),
    mutation=st.dictionaries(
        st.sampled_from([*event(), "event_id", "id", "recipient", "reason", "ts", "message_id"]),
        st.one_of(json_values(), st.sampled_from(EVENTS)),
        max_size=4,
    ),
    removed=st.sets(st.sampled_from(sorted(event()))),
    randoms=st.lists(st.one_of(json_objects(), json_values()), max_size=3),
)
def test_random_events_never_crash_and_never_leak(
    marker: str, mutation: dict[str, Any], removed: set[str], randoms: list[Any]
) -> None:
    """Random JSON and mutated events are accepted or quarantined; reasons show no e-mail."""
    valid = event(email=f"{marker}@example.com", sg_event_id=None)
    mutated = {**valid, **mutation}
    for key in removed:
        mutated.pop(key, None)
    payloads = [valid, mutated, {"event-data": mutated}, *randoms]
    hub = make_hub()
    report = hub.ingest(payloads, adapter="email_events")
    assert report.total == len(payloads)
    for rejection in report.quarantined:
        assert rejection.error != "PluginError", rejection
        assert marker not in rejection.reason
        assert marker not in rejection.field
    for tp in hub.touchpoints():  # derived ids hash the e-mail, never show it
        assert marker not in tp.id
