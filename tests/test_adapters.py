"""Channel adapters: the hook, the registry, and ingest(payloads, adapter=...)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc

from .conftest import make_hub
from .strategies import json_values

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


class Lines:
    """An adapter for orders: one touchpoint per order line."""

    name = "lines"
    description = "orders, one touchpoint per line"

    def parse(self, order: Any) -> list[oc.Touchpoint]:
        if not isinstance(order, dict) or not isinstance(order.get("lines"), list):
            raise oc.InvalidTouchpointError("lines", "must be a list")
        if order.get("boom"):
            raise ValueError("the adapter's own bug")
        return [
            oc.Touchpoint(
                id=f"{order['id']}/{n}",
                occurred_at=T0,
                channel="store",
                action="purchase",
                identifiers=[oc.Identifier("customer_id", str(order["customer"]))],
                properties={"sku": sku},
            )
            for n, sku in enumerate(order["lines"], 1)
        ]


class Plugin:
    def __init__(self, *adapters: object) -> None:
        self.adapters = list(adapters)

    @oc.hookimpl
    def register_channel_adapters(self) -> list[object]:
        return self.adapters


def hub_with(*adapters: object) -> oc.Hub:
    return make_hub(plugins=[Plugin(*adapters)])


class TestRegistry:
    def test_the_builtin_json_form_adapter_is_registered_by_its_plugin(self) -> None:
        """`omnicontact` is there, from the built-in plug-in `omnicontact.adapters`."""
        hub = make_hub()
        assert "omnicontact" in hub.adapters
        assert hub.adapters.plugin_of("omnicontact") == "omnicontact.adapters"
        assert all(hub.plugins.is_builtin(hub.adapters.plugin_of(name)) for name in hub.adapters)
        assert isinstance(hub.adapters["omnicontact"], oc.ChannelAdapter)

    def test_a_plugin_adds_an_adapter(self) -> None:
        hub = hub_with(Lines())
        assert set(hub.adapters) == set(make_hub().adapters) | {"lines"}
        assert hub.adapters.plugin_of("lines") == "tests.test_adapters.Plugin"

    def test_a_third_party_adapter_replaces_a_builtin_one(self) -> None:
        class Strict:
            name = "omnicontact"
            description = "accepts nothing"

            def parse(self, payload: Any) -> list[oc.Touchpoint]:
                raise oc.InvalidTouchpointError("payload", "is refused")

        hub = hub_with(Strict())
        report = hub.ingest([{"id": "x"}])
        assert [(r.field, r.reason) for r in report.quarantined] == [("payload", "is refused")]

    def test_two_plugins_with_one_adapter_name_is_an_error(self) -> None:
        with pytest.raises(oc.PluginRegistrationError, match="second adapter is named 'lines'"):
            make_hub(plugins=[Plugin(Lines()), Plugin(Lines())])

    def test_something_that_is_not_an_adapter_is_an_error(self) -> None:
        with pytest.raises(oc.PluginRegistrationError, match="not a ChannelAdapter"):
            hub_with(object())

    def test_an_unknown_adapter_name_lists_the_known_ones(self) -> None:
        with pytest.raises(oc.ConfigurationError, match=r"no adapter named 'sms' \(known: "):
            make_hub().ingest([], adapter="sms")


class TestIngest:
    def test_a_payload_may_hold_several_touchpoints(self) -> None:
        hub = hub_with(Lines())
        report = hub.ingest([{"id": "o1", "customer": 7, "lines": ["tea", "mug"]}], adapter="lines")
        assert (report.accepted, report.duplicates, report.quarantined) == (2, 0, ())
        contact = hub.contact(oc.Identifier("customer_id", "7"))
        assert contact.touchpoint_ids == ("o1/1", "o1/2")
        again = hub.ingest([{"id": "o1", "customer": 7, "lines": ["tea", "mug"]}], adapter="lines")
        assert (again.accepted, again.duplicates) == (0, 2)

    def test_an_adapter_object_may_be_passed_directly(self) -> None:
        hub = make_hub()
        report = hub.ingest([{"id": "o1", "customer": 7, "lines": ["tea"]}], adapter=Lines())
        assert report.accepted == 1
        assert hub.contact_of("o1/1").identified

    def test_bad_payloads_are_quarantined_and_the_stream_goes_on(self) -> None:
        """A typed error keeps its field; the adapter's own bug is a PluginError naming it."""
        hub = hub_with(Lines())
        payloads = [
            {"id": "o1", "customer": 1, "lines": ["tea"]},
            {"id": "o2", "customer": 2, "lines": "tea"},
            {"id": "o3", "customer": 3, "lines": ["tea"], "boom": True},
            {"id": "o4", "customer": 4, "lines": []},
            {"id": "o5", "customer": 5, "lines": ["mug"]},
        ]
        report = hub.ingest(payloads, adapter="lines")
        assert report.accepted == 2
        rows = [(r.position, r.error, r.field) for r in report.quarantined]
        assert rows == [
            (1, "InvalidTouchpointError", "lines"),
            (2, "PluginError", "plugin"),
            (3, "InvalidTouchpointError", "payload"),
        ]
        assert "raised ValueError" in report.quarantined[1].reason
        assert report.quarantined[2].reason == "holds no touchpoint"
        assert [r.record for r in hub.quarantine()] == payloads[1:4]
        assert {tp.id for tp in hub.touchpoints()} == {"o1/1", "o5/1"}

    def test_on_error_raise_stops_at_a_bad_payload(self) -> None:
        hub = hub_with(Lines())
        with pytest.raises(oc.InvalidTouchpointError):
            hub.ingest(
                [{"id": "o1", "customer": 1, "lines": ["tea"]}, {"id": "o2", "lines": 3}],
                adapter="lines",
                on_error="raise",
            )
        assert [tp.id for tp in hub.touchpoints()] == ["o1/1"]

    @given(st.lists(json_values(), max_size=8))
    def test_any_json_never_crashes_the_default_adapter(self, payloads: list[Any]) -> None:
        """Random JSON: every payload is accepted or quarantined with a reason, none lost."""
        hub = make_hub()
        report = hub.ingest(payloads)
        assert report.total == len(payloads)
        for rejection in report.quarantined:
            assert rejection.reason
            assert rejection.record is payloads[rejection.position]


def lines_of(hub: oc.Hub) -> Iterable[str]:
    return sorted(tp.id for tp in hub.touchpoints())


def test_an_adapter_that_yields_no_touchpoint_type_is_quarantined() -> None:
    """An adapter returning something else than touchpoints: that payload is quarantined."""

    class Wrong:
        name = "wrong"
        description = "returns strings"

        def parse(self, payload: Any) -> list[Any]:
            return ["not a touchpoint"]

    hub = hub_with(Wrong())
    report = hub.ingest([{}], adapter="wrong")
    assert [(r.error, r.field) for r in report.quarantined] == [
        ("InvalidTouchpointError", "touchpoint")
    ]
    assert list(lines_of(hub)) == []
