"""The ``orders`` adapter: till and e-commerce orders, one touchpoint per order."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.adapters.orders import OrdersAdapter

from .conftest import make_hub
from .strategies import json_objects, json_values, markers

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def order(**fields: Any) -> dict[str, Any]:
    """A valid store order, with *fields* replaced (None removes a field)."""
    payload: dict[str, Any] = {
        "order_id": "A-1001",
        "placed_at": "2026-03-02T10:00:00Z",
        "store_id": "paris-11",
        "email": "Ann@Example.com",
        "loyalty_id": "LC-778",
        "lines": [
            {"sku": "tea", "name": "Green tea", "quantity": 2, "unit_price": 4.5},
            {"sku": "mug", "quantity": 1, "unit_price": 9},
        ],
        "currency": "eur",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def ingest(*payloads: Any) -> tuple[oc.Hub, oc.IngestReport]:
    """Ingest *payloads* with the adapter registered by its module's hook."""
    hub = make_hub()
    return hub, hub.ingest(list(payloads), adapter="orders")


def reasons(report: oc.IngestReport) -> list[tuple[str, str]]:
    """The (field, reason) of each quarantined payload."""
    return [(r.field, r.reason) for r in report.quarantined]


class TestValid:
    def test_the_module_registers_the_adapter(self) -> None:
        """The built-in plug-in omnicontact.orders contributes ``orders``, a ChannelAdapter."""
        hub = make_hub()
        assert hub.adapters.plugin_of("orders") == "omnicontact.orders"
        assert isinstance(hub.adapters["orders"], oc.ChannelAdapter)

    def test_a_store_order_gives_one_purchase(self) -> None:
        """Id, channel, action, identifiers and properties of a store order."""
        hub, report = ingest(order())
        assert (report.accepted, report.quarantined) == (1, ())
        tp = hub.touchpoint("order:A-1001")
        assert (tp.occurred_at, tp.channel, tp.action) == (T0, "store", "purchase")
        identifiers = tp.to_mapping()["identifiers"]
        assert identifiers["email"] == "ann@example.com"
        assert "loyalty_id" in identifiers
        assert tp.to_mapping()["properties"] == {
            "order_id": "A-1001",
            "store_id": "paris-11",
            "lines": [
                {"sku": "tea", "name": "Green tea", "quantity": 2, "unit_price": 4.5},
                {"sku": "mug", "quantity": 1, "unit_price": 9},
            ],
            "amount": 18.0,
            "currency": "EUR",
            "status": "completed",
        }

    def test_the_adapter_gives_the_touchpoint_as_received(self) -> None:
        """parse() passes identifier values on as received; the hub normalizes them."""
        (tp,) = OrdersAdapter().parse(order(customer_id=42, phone="06 12 34 56 78"))
        assert sorted((i.kind, i.value) for i in tp.identifiers) == [
            ("customer_id", "42"),
            ("email", "Ann@Example.com"),
            ("loyalty_id", "LC-778"),
            ("phone", "06 12 34 56 78"),
        ]

    def test_the_customer_block_gives_traits(self) -> None:
        """The buyer's names and billing address are traits; blank and unknown fields are not."""
        customer = {
            "first_name": "Ann",
            "last_name": "Lee",
            "postal_code": "75011",
            "country": "FR",
            "city": " ",
            "loyalty_tier": "gold",
        }
        (tp,) = OrdersAdapter().parse(order(customer=customer))
        assert dict(tp.traits) == {
            "first_name": "Ann",
            "last_name": "Lee",
            "postal_code": "75011",
            "country": "FR",
        }
        (bare,) = OrdersAdapter().parse(order())
        assert dict(bare.traits) == {}

    def test_a_web_order_without_store(self) -> None:
        """No store_id: channel web; an explicit channel wins; amount given is kept."""
        hub, _ = ingest(
            order(order_id="W-1", store_id=None, amount=12.5),
            order(order_id="W-2", store_id=None, channel="App"),
        )
        first = hub.touchpoint("order:W-1")
        assert first.channel == "web"
        assert first.properties["amount"] == 12.5  # a mismatch with the lines is kept
        assert first.properties["store_id"] is None
        assert hub.touchpoint("order:W-2").channel == "app"

    @pytest.mark.parametrize(
        ("status", "action"),
        [
            ("completed", "purchase"),
            ("Refunded", "refund"),
            ("returned", "return"),
            ("cancelled", "order_cancelled"),
            ("canceled", "order_cancelled"),
        ],
    )
    def test_the_status_gives_the_action(self, status: str, action: str) -> None:
        """Refunds, returns and cancellations have their own actions."""
        hub, _ = ingest(order(status=status))
        assert hub.touchpoint("order:A-1001").action == action

    def test_epoch_seconds_and_no_lines(self) -> None:
        """placed_at may be epoch seconds; without lines or amount the amount is 0."""
        hub, report = ingest(order(placed_at=int(T0.timestamp()), lines=None, currency=None))
        tp = hub.touchpoint("order:A-1001")
        assert report.accepted == 1
        assert tp.occurred_at == T0
        assert (tp.properties["amount"], tp.properties["currency"]) == (0, None)
        assert tp.properties["lines"] == ()

    def test_an_order_without_customer_is_anonymous(self) -> None:
        """A guest sale is accepted, with no identifiers: an anonymous contact."""
        hub, report = ingest(order(email=None, loyalty_id=None, phone="  "))
        assert report.accepted == 1
        contact = hub.contact_of("order:A-1001")
        assert contact.identifiers == ()
        assert not contact.identified

    def test_the_same_order_twice_is_a_duplicate(self) -> None:
        """Re-sending an order is a duplicate, not a second touchpoint."""
        hub, _ = ingest(order())
        again = hub.ingest([order()], adapter="orders")
        assert (again.accepted, again.duplicates) == (0, 1)

    def test_an_order_and_an_email_open_join_one_contact(self) -> None:
        """One person across adapters: the order's e-mail and an ESP open."""
        hub = make_hub()
        hub.ingest([order()], adapter="orders")
        hub.ingest(
            [{"event": "open", "email": "ann@example.COM", "timestamp": "2026-03-03T08:00:00Z"}],
            adapter="email_events",
        )
        contact = hub.contact(oc.Identifier("email", "ann@example.com"))
        assert contact.touchpoint_ids[0] == "order:A-1001"
        assert len(contact.touchpoint_ids) == 2
        assert contact.channels == ("store", "email")


class TestInvalid:
    @pytest.mark.parametrize(
        ("payload", "field", "reason"),
        [
            ("not an order", "payload", "must be a JSON object"),
            (order(order_id=None), "order_id", "is required"),
            (order(order_id=True), "order_id", "must be a string or an integer"),
            (order(order_id=" "), "order_id", "must not be empty"),
            (
                order(order_id="a\x00b"),
                "order_id",
                "must not contain control or invisible characters",
            ),
            (order(placed_at=None), "placed_at", "is required"),
            (order(placed_at="yesterday"), "placed_at", "must be an ISO 8601 timestamp string"),
            (order(placed_at=[]), "placed_at", "must be an ISO 8601 timestamp string"),
            (
                order(channel="Web Shop"),
                "channel",
                "must be a lower-case slug of letters, digits and _ . : -",
            ),
            (order(store_id=1.5), "store_id", "must be a string or an integer"),
            (order(email=7), "email", "must be a string"),
            (order(customer_id={"id": 1}), "customer_id", "must be a string or an integer"),
            (order(lines="tea"), "lines", "must be a list of objects"),
            (order(lines=["tea"]), "lines[0]", "must be an object"),
            (order(lines=[{"quantity": 1, "unit_price": 1}]), "lines[0].sku", "is required"),
            (
                order(
                    lines=[
                        {"sku": "a", "unit_price": 1},
                        {"sku": "b", "quantity": -1, "unit_price": 1},
                    ]
                ),
                "lines[1].quantity",
                "must not be negative",
            ),
            (
                order(lines=[{"sku": "a", "quantity": "2", "unit_price": 1}]),
                "lines[0].quantity",
                "must be a number",
            ),
            (order(lines=[{"sku": "a", "quantity": 1}]), "lines[0].unit_price", "is required"),
            (
                order(lines=[{"sku": "a", "unit_price": True}]),
                "lines[0].unit_price",
                "must be a number",
            ),
            (
                order(lines=[{"sku": "a", "name": 3, "unit_price": 1}]),
                "lines[0].name",
                "must be a string",
            ),
            (
                order(lines=[{"sku": "a", "quantity": 1e308, "unit_price": 1e308}]),
                "lines",
                "must add up to a finite amount",
            ),
            (order(customer="Ann Lee"), "customer", "must be an object"),
            (order(customer={"last_name": ["Lee"]}), "customer.last_name", "must be a string"),
            (order(amount="12"), "amount", "must be a number"),
            (order(amount=-3), "amount", "must not be negative"),
            (order(currency="euro"), "currency", "must be a three-letter ISO 4217 code"),
            (order(currency=978), "currency", "must be a three-letter ISO 4217 code"),
            (
                order(status="lost"),
                "status",
                "must be one of completed, refunded, returned, cancelled",
            ),
        ],
    )
    def test_a_bad_order_is_quarantined_with_its_field(
        self, payload: Any, field: str, reason: str
    ) -> None:
        """Each rule names its field; the stream goes on."""
        hub, report = ingest(payload, order(order_id="ok"))
        assert report.accepted == 1
        assert reasons(report) == [(field, reason)]
        assert hub.touchpoint("order:ok").action == "purchase"

    def test_a_bad_email_is_quarantined_by_the_hub(self) -> None:
        """The hub normalizes identifiers: a malformed e-mail is quarantined, value unshown."""
        _, report = ingest(order(email="ann-at-example"))
        [rejection] = report.quarantined
        assert rejection.error == "InvalidIdentifierError"
        assert "ann-at-example" not in rejection.reason


PERSONAL = ("email", "phone", "customer_id", "loyalty_id")


@given(
    marker=markers(),
    mutation=st.dictionaries(
        st.sampled_from([*order(), "phone", "customer_id", "status", "amount", "channel", "x"]),
        json_values(),
        max_size=4,
    ),
    removed=st.sets(st.sampled_from(sorted(order()))),
    randoms=st.lists(st.one_of(json_objects(), json_values()), max_size=3),
)
def test_random_orders_never_crash_and_never_leak(
    marker: str, mutation: dict[str, Any], removed: set[str], randoms: list[Any]
) -> None:
    """Random JSON and mutated orders are accepted or quarantined; reasons hide personal values."""
    personal = {
        "email": f"{marker}@example.com",
        "phone": f"+33 6 {marker}",
        "customer_id": f"c-{marker}",
    }
    mutated = {**order(**personal), **mutation}
    for key in removed:
        mutated.pop(key, None)
    payloads = [order(email=personal["email"]), order(**personal), mutated, *randoms]
    hub = make_hub()
    report = hub.ingest(payloads, adapter="orders")
    assert report.total == len(payloads)
    for rejection in report.quarantined:
        assert rejection.error != "PluginError", rejection
        assert marker not in rejection.reason
        assert marker not in rejection.field
