"""The ``support`` adapter: helpdesk tickets, calls and social messages."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.adapters.support import SupportAdapter

from .conftest import make_hub
from .strategies import json_objects, json_values, markers

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def interaction(**fields: Any) -> dict[str, Any]:
    """A valid ticket opening, with *fields* replaced (None removes a field)."""
    payload: dict[str, Any] = {
        "id": "msg-1",
        "case_id": 4521,
        "occurred_at": "2026-03-02T10:00:00Z",
        "kind": "ticket_opened",
        "channel": "email",
        "email": "Ann@Example.com",
        "requester_name": "Ann Lee",
        "subject": "Broken mug",
        "category": "Complaint",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def ingest(*payloads: Any) -> tuple[oc.Hub, oc.IngestReport]:
    """Ingest *payloads* with the adapter registered by its module's hook."""
    hub = make_hub()
    return hub, hub.ingest(list(payloads), adapter="support")


class TestValid:
    def test_the_module_registers_the_adapter(self) -> None:
        """The built-in plug-in omnicontact.support contributes ``support``, a ChannelAdapter."""
        hub = make_hub()
        assert hub.adapters.plugin_of("support") == "omnicontact.support"
        assert isinstance(hub.adapters["support"], oc.ChannelAdapter)

    def test_a_ticket_opened_by_email(self) -> None:
        """Id from case and interaction, action = kind, full_name trait, case properties."""
        hub, report = ingest(interaction())
        assert (report.accepted, report.quarantined) == (1, ())
        tp = hub.touchpoint("support:4521/msg-1")
        assert (tp.occurred_at, tp.channel, tp.action) == (T0, "email", "ticket_opened")
        assert tp.to_mapping()["identifiers"]["email"] == "ann@example.com"
        assert "full_name" in tp.traits
        assert tp.to_mapping()["properties"] == {
            "case_id": "4521",
            "status": "new",
            "subject": "Broken mug",
            "category": "complaint",
        }

    def test_the_adapter_passes_values_as_received(self) -> None:
        """parse() gives identifiers and the name as received; the hub normalizes them."""
        payload = interaction(phone="06 12 34 56 78", customer_id=42, social={"X": "@Ann"})
        (tp,) = SupportAdapter().parse(payload)
        assert sorted((i.kind, i.value) for i in tp.identifiers) == [
            ("customer_id", "42"),
            ("email", "Ann@Example.com"),
            ("phone", "06 12 34 56 78"),
            ("social:x", "@Ann"),
        ]
        assert tp.to_mapping()["traits"] == {"full_name": "Ann Lee"}

    def test_a_social_message_is_identified_by_the_handle(self) -> None:
        """``social: {network: handle}`` gives ``social:<network>`` identifiers."""
        hub, _ = ingest(
            interaction(email=None, social={"Facebook": "ann.lee", "instagram": "@AnnLee"}),
        )
        contact = hub.contact(oc.Identifier("social:instagram", "annlee"))
        assert contact.identified
        assert {i.kind for i in contact.identifiers} >= {"social:facebook", "social:instagram"}

    @pytest.mark.parametrize(
        ("fields", "channel", "status"),
        [
            ({"kind": "call", "channel": None}, "call_centre", "open"),
            ({"kind": "call", "channel": "Phone"}, "call_centre", "open"),
            ({"kind": None, "channel": None}, "helpdesk", "open"),
            ({"kind": "reply", "channel": "chat", "status": "Pending"}, "chat", "pending"),
            ({"kind": "ticket_solved", "channel": "web"}, "web", "solved"),
            ({"kind": "ticket_closed", "channel": "store"}, "store", "closed"),
            ({"kind": "ticket_reopened", "channel": "social"}, "social", "open"),
        ],
    )
    def test_kinds_channels_and_statuses(
        self, fields: dict[str, Any], channel: str, status: str
    ) -> None:
        """The action is the kind (default message); status defaults from the kind."""
        hub, _ = ingest(interaction(**fields))
        tp = hub.touchpoint("support:4521/msg-1")
        assert tp.action == (fields["kind"] or "message")
        assert (tp.channel, tp.properties["status"], tp.properties["case_id"]) == (
            channel,
            status,
            "4521",
        )

    @pytest.mark.parametrize(
        ("rating", "sentiment"),
        [(1, -1), (5, 1), (3.5, 0.25), (4, "Positive"), (2, "negative")],
    )
    def test_rating_and_sentiment_are_properties(self, rating: float, sentiment: Any) -> None:
        """A rating from 1 to 5, a sentiment from -1 to 1 or a label."""
        hub, _ = ingest(interaction(rating=rating, sentiment=sentiment))
        tp = hub.touchpoint("support:4521/msg-1")
        expected = sentiment.lower() if isinstance(sentiment, str) else sentiment
        assert (tp.properties["rating"], tp.properties["sentiment"]) == (rating, expected)

    def test_epoch_seconds(self) -> None:
        """occurred_at may be Unix epoch seconds."""
        hub, _ = ingest(interaction(occurred_at=int(T0.timestamp())))
        assert hub.touchpoint("support:4521/msg-1").occurred_at == T0

    def test_the_same_interaction_twice_is_a_duplicate(self) -> None:
        """Re-sending an interaction is a duplicate; another one on the case is not."""
        hub, _ = ingest(interaction())
        again = hub.ingest(
            [interaction(), interaction(id="msg-2", kind="reply")], adapter="support"
        )
        assert (again.accepted, again.duplicates) == (1, 1)

    def test_one_person_across_support_orders_and_email(self) -> None:
        """A ticket, an order and an ESP open of one e-mail join one contact."""
        hub = make_hub()
        hub.ingest([interaction()], adapter="support")
        hub.ingest(
            [{"order_id": "W-1", "placed_at": "2026-03-01T09:00:00Z", "email": "ann@example.com"}],
            adapter="orders",
        )
        hub.ingest(
            [{"event": "open", "email": "ANN@example.com", "timestamp": "2026-03-03T09:00:00Z"}],
            adapter="email_events",
        )
        contact = hub.contact_of("support:4521/msg-1")
        assert len(contact.touchpoint_ids) == 3
        assert contact.channels == ("web", "email")


class TestInvalid:
    @pytest.mark.parametrize(
        ("payload", "field", "reason"),
        [
            (42, "payload", "must be a JSON object"),
            (interaction(id=None), "id", "is required"),
            (interaction(id=[1]), "id", "must be a string or an integer"),
            (interaction(case_id=None), "case_id", "is required"),
            (interaction(case_id="x" * 121), "case_id", "must be at most 120 characters"),
            (interaction(occurred_at=None), "occurred_at", "is required"),
            (
                interaction(occurred_at="soon"),
                "occurred_at",
                "must be an ISO 8601 timestamp string",
            ),
            (
                interaction(kind="escalated"),
                "kind",
                "must be one of call, message, reply, ticket_closed, ticket_opened, "
                "ticket_reopened, ticket_solved",
            ),
            (
                interaction(status=1),
                "status",
                "must be one of closed, hold, new, open, pending, solved",
            ),
            (interaction(channel=3), "channel", "must be a string"),
            (
                interaction(channel="live chat"),
                "channel",
                "must be a lower-case slug of letters, digits and _ . : -",
            ),
            (interaction(email=1), "email", "must be a string"),
            (interaction(phone=["0612345678"]), "phone", "must be a string"),
            (interaction(customer_id=True), "customer_id", "must be a string or an integer"),
            (interaction(social="@ann"), "social", "must be an object of network to handle"),
            (
                interaction(social={"my network": "ann"}),
                "social",
                "networks must be lower-case names of letters, digits and _ . -",
            ),
            (interaction(social={"x": 5}), "social", "handles must be strings"),
            (interaction(requester_name=["Ann"]), "requester_name", "must be a string"),
            (interaction(subject=1), "subject", "must be a string"),
            (
                interaction(category="bad idea"),
                "category",
                "must be a lower-case slug of letters, digits and _ . : -",
            ),
            (interaction(rating="5"), "rating", "must be a number"),
            (interaction(rating=0), "rating", "must be between 1 and 5"),
            (interaction(rating=5.5), "rating", "must be between 1 and 5"),
            (interaction(sentiment=2), "sentiment", "must be between -1 and 1"),
            (interaction(sentiment=True), "sentiment", "must be a number"),
            (
                interaction(sentiment="angry"),
                "sentiment",
                "must be a number from -1 to 1, or positive, neutral, negative",
            ),
        ],
    )
    def test_a_bad_interaction_is_quarantined_with_its_field(
        self, payload: Any, field: str, reason: str
    ) -> None:
        """Each rule names its field; the stream goes on."""
        hub, report = ingest(payload, interaction(id="ok"))
        assert report.accepted == 1
        assert [(r.field, r.reason) for r in report.quarantined] == [(field, reason)]
        assert hub.touchpoint("support:4521/ok").action == "ticket_opened"

    def test_a_bad_phone_is_quarantined_by_the_hub_without_its_value(self) -> None:
        """The hub normalizes identifiers; its reason does not show the number."""
        _, report = ingest(interaction(phone="call me maybe"))
        [rejection] = report.quarantined
        assert rejection.error == "InvalidIdentifierError"
        assert "call me" not in rejection.reason


@given(
    marker=markers(),
    mutation=st.dictionaries(
        st.sampled_from([*interaction(), "phone", "customer_id", "social", "rating", "sentiment"]),
        json_values(),
        max_size=4,
    ),
    removed=st.sets(st.sampled_from(sorted(interaction()))),
    randoms=st.lists(st.one_of(json_objects(), json_values()), max_size=3),
)
def test_random_interactions_never_crash_and_never_leak(
    marker: str, mutation: dict[str, Any], removed: set[str], randoms: list[Any]
) -> None:
    """Random JSON and mutated interactions are accepted or quarantined; no personal value leaks."""
    personal = {
        "email": f"{marker}@example.com",
        "phone": f"+33 6 {marker}",
        "requester_name": f"Ann {marker}",
        "social": {"x": f"@{marker}"},
    }
    valid = interaction(**personal)
    mutated = {**valid, **mutation}
    for key in removed:
        mutated.pop(key, None)
    payloads = [interaction(email=personal["email"]), valid, mutated, *randoms]
    hub = make_hub()
    report = hub.ingest(payloads, adapter="support")
    assert report.total == len(payloads)
    for rejection in report.quarantined:
        assert rejection.error != "PluginError", rejection
        assert marker not in rejection.reason
        assert marker not in rejection.field
