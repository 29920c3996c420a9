"""The ``segment`` adapter: Segment Spec / RudderStack events into touchpoints."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.adapters.segment import SegmentAdapter

from .conftest import make_hub
from .strategies import json_objects, json_values

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
EMAIL = "Ann.Tester@Example.com"
FIRST_NAME = "Annabelle"
LAST_NAME = "Quixotic"


def hub_with_segment(**options: Any) -> oc.Hub:
    """A test hub: the segment adapter is built in."""
    return make_hub(**options)


def event(kind: str = "track", **fields: Any) -> dict[str, Any]:
    """Return a valid event of *kind*, with *fields* on top."""
    base: dict[str, Any] = {
        "type": kind,
        "messageId": f"msg-{kind}",
        "anonymousId": "anon-1",
        "timestamp": "2026-03-02T10:00:00Z",
    }
    if kind == "track":
        base["event"] = "Button Clicked"
    if kind == "group":
        base["groupId"] = "g-1"
    if kind == "alias":
        base.update(previousId="old-1", userId="new-1")
        del base["anonymousId"]
    base.update(fields)
    return base


def parse(payload: Any, **options: Any) -> oc.Touchpoint:
    [touchpoint] = SegmentAdapter(**options).parse(payload)
    return touchpoint


def ids(touchpoint: oc.Touchpoint) -> set[tuple[str, str]]:
    return {(i.kind, i.value) for i in touchpoint.identifiers}


class TestRegistration:
    def test_the_module_registers_the_segment_adapter(self) -> None:
        """The built-in plug-in omnicontact.segment contributes an adapter named `segment`."""
        hub = hub_with_segment()
        assert "segment" in hub.adapters
        assert hub.adapters.plugin_of("segment") == "omnicontact.segment"
        adapter = hub.adapters["segment"]
        assert isinstance(adapter, oc.ChannelAdapter)
        assert isinstance(adapter, SegmentAdapter)
        assert adapter.description

    def test_a_bad_identifier_kind_option_is_a_configuration_error(self) -> None:
        """`user_id_kind` must be a valid identifier kind."""
        with pytest.raises(oc.ConfigurationError, match="user_id_kind"):
            SegmentAdapter(user_id_kind="Not A Kind")


class TestEventTypes:
    def test_identify(self) -> None:
        """An identify is action `identify`, with its ids and traits."""
        tp = parse(event("identify", userId="u-1", traits={"email": EMAIL, "firstName": "Ann"}))
        assert tp.action == "identify"
        assert tp.channel == "web"
        assert tp.id == "msg-identify"
        assert ids(tp) == {("customer_id", "u-1"), ("anonymous_id", "anon-1"), ("email", EMAIL)}
        assert dict(tp.traits) == {"first_name": "Ann"}
        assert tp.occurred_at == T0

    def test_track(self) -> None:
        """A track keeps its properties; the action is the slugged event name."""
        tp = parse(event("track", properties={"button": "buy", "n": 2}))
        assert tp.action == "button_clicked"
        assert dict(tp.properties) == {"button": "buy", "n": 2}

    def test_page(self) -> None:
        """A page is a `page_view` on the web, with its url, name and category."""
        tp = parse(
            event(
                "page",
                name="Home",
                category="Docs",
                context={"page": {"url": "https://shop.test/"}},
            )
        )
        assert (tp.action, tp.channel) == ("page_view", "web")
        assert dict(tp.properties) == {
            "url": "https://shop.test/",
            "name": "Home",
            "category": "Docs",
        }

    def test_page_properties_url_wins_over_the_context(self) -> None:
        """A page's own `properties.url` is kept as given."""
        tp = parse(
            event("page", properties={"url": "https://a.test/"}, context={"page": {"url": "x"}})
        )
        assert tp.properties["url"] == "https://a.test/"

    def test_screen(self) -> None:
        """A screen is a `screen_view` in the app."""
        tp = parse(event("screen", name="Basket"))
        assert (tp.action, tp.channel) == ("screen_view", "app")
        assert tp.properties["name"] == "Basket"

    def test_group(self) -> None:
        """A group keeps the group id and traits as properties, not as the person's traits."""
        tp = parse(event("group", traits={"name": "ACME", "employees": 12}))
        assert tp.action == "group"
        assert tp.properties["group_id"] == "g-1"
        assert dict(tp.properties["group_traits"]) == {"name": "ACME", "employees": 12}
        assert not tp.traits

    def test_group_needs_a_group_id(self) -> None:
        """A group without `groupId` names the field."""
        payload = event("group")
        del payload["groupId"]
        with pytest.raises(oc.InvalidTouchpointError) as info:
            parse(payload)
        assert info.value.field == "groupId"

    def test_alias(self) -> None:
        """An alias carries previousId (an anonymous id by default) and userId."""
        tp = parse(event("alias"))
        assert tp.action == "alias"
        assert ids(tp) == {("anonymous_id", "old-1"), ("customer_id", "new-1")}

    def test_alias_kinds_are_options(self) -> None:
        """`alias_previous_kind` and `user_id_kind` choose the kinds."""
        tp = parse(event("alias"), alias_previous_kind="customer_id", user_id_kind="loyalty_id")
        assert ids(tp) == {("customer_id", "old-1"), ("loyalty_id", "new-1")}

    @pytest.mark.parametrize("missing", ["previousId", "userId"])
    def test_alias_needs_both_ids(self, missing: str) -> None:
        """An alias without one of its ids names it."""
        payload = event("alias")
        del payload[missing]
        with pytest.raises(oc.InvalidTouchpointError) as info:
            parse(payload)
        assert info.value.field == missing

    def test_a_numeric_user_id_becomes_a_string(self) -> None:
        """Numbers as userId are turned into strings (integral floats without `.0`)."""
        assert ("customer_id", "42") in ids(parse(event(userId=42)))
        assert ("customer_id", "42") in ids(parse(event(userId=42.0)))

    def test_device_ids(self) -> None:
        """`context.device.id` and `advertisingId` are device ids; the channel is `app`."""
        tp = parse(event(context={"device": {"id": "DEV-1", "advertisingId": "ad-9"}}))
        assert {("device_id", "DEV-1"), ("device_id", "ad-9")} <= ids(tp)
        assert tp.channel == "app"

    def test_context_traits_of_a_track_give_identifiers(self) -> None:
        """A track's `context.traits` email and phone are identifiers."""
        tp = parse(event(context={"traits": {"email": EMAIL, "phone": "+33612345678"}}))
        assert {("email", EMAIL), ("phone", "+33612345678")} <= ids(tp)
        assert not tp.traits

    def test_a_track_properties_email_is_an_identifier(self) -> None:
        """An e-commerce event's `properties.email` becomes an identifier, out of properties."""
        tp = parse(event(event="Order Completed", properties={"email": EMAIL, "total": 9}))
        assert ("email", EMAIL) in ids(tp)
        assert dict(tp.properties) == {"total": 9}


class TestTraits:
    def test_camel_case_reserved_traits(self) -> None:
        """Segment's camelCase reserved traits become canonical ones."""
        tp = parse(
            event(
                "identify",
                traits={
                    "firstName": "Ann",
                    "lastName": "Lee",
                    "name": "Ann Lee",
                    "birthday": "1990-04-01",
                    "gender": "female",
                    "title": "CTO",
                    "company": {"name": "ACME", "id": "c1"},
                    "plan": "pro",
                },
            )
        )
        assert dict(tp.traits) == {
            "first_name": "Ann",
            "last_name": "Lee",
            "full_name": "Ann Lee",
            "birth_date": "1990-04-01",
            "gender": "female",
            "job_title": "CTO",
            "company": "ACME",
            "plan": "pro",
        }

    def test_snake_case_traits_are_kept_and_win_over_camel_case(self) -> None:
        """RudderStack's snake_case names are canonical already, and win when both are given."""
        tp = parse(
            event("identify", traits={"first_name": "Ann", "firstName": "X", "last_name": "Lee"})
        )
        assert dict(tp.traits) == {"first_name": "Ann", "last_name": "Lee"}

    def test_nested_address(self) -> None:
        """The address object gives street, city, postal_code, region and country."""
        tp = parse(
            event(
                "identify",
                traits={
                    "address": {
                        "street": "1 rue de la Paix",
                        "city": "Paris",
                        "postalCode": "75002",
                        "state": "IDF",
                        "country": "France",
                        "floor": 3,
                    }
                },
            )
        )
        assert dict(tp.traits) == {
            "street": "1 rue de la Paix",
            "city": "Paris",
            "postal_code": "75002",
            "region": "IDF",
            "country": "France",
            "address": {"floor": 3},
        }

    def test_snake_case_address(self) -> None:
        """`postal_code` inside the address is read too."""
        tp = parse(event("identify", traits={"address": {"postal_code": "69001"}}))
        assert dict(tp.traits) == {"postal_code": "69001"}

    def test_identify_traits_win_over_context_traits(self) -> None:
        """An identify's own traits come over its `context.traits`."""
        tp = parse(
            event(
                "identify",
                traits={"firstName": "Ann"},
                context={"traits": {"firstName": "Old", "plan": "free"}},
            )
        )
        assert dict(tp.traits) == {"first_name": "Ann", "plan": "free"}

    def test_context_fields_go_to_properties(self) -> None:
        """locale, timezone, ip and campaign are properties; library.name is the source."""
        campaign = {"name": "spring", "source": "news", "medium": "email"}
        tp = parse(
            event(
                context={
                    "locale": "fr-FR",
                    "timezone": "Europe/Paris",
                    "ip": "192.0.2.1",
                    "campaign": campaign,
                    "library": {"name": "analytics.js", "version": "4.0"},
                }
            )
        )
        assert tp.properties["locale"] == "fr-FR"
        assert tp.properties["timezone"] == "Europe/Paris"
        assert tp.properties["ip"] == "192.0.2.1"
        assert dict(tp.properties["campaign"]) == campaign
        assert tp.source == "analytics.js"

    def test_the_locale_is_the_region_hint_of_national_phone_numbers(self) -> None:
        """With `context.locale` fr-FR, a national phone number is read in France."""
        hub = hub_with_segment()
        payload = event("identify", context={"locale": "fr-FR"}, traits={"phone": "06 12 34 56 78"})
        report = hub.ingest([payload], adapter="segment")
        assert report.accepted == 1
        contact = hub.contact(oc.Identifier("phone", "+33612345678"))
        assert contact.touchpoint_ids == ("msg-identify",)


class TestChannel:
    @pytest.mark.parametrize(
        ("kind", "context", "channel"),
        [
            ("track", {"channel": "mobile"}, "app"),
            ("track", {"channel": "server"}, "server"),
            ("page", {"channel": "Web"}, "web"),
            ("track", {"app": {"name": "Shop"}}, "app"),
            ("track", {"device": {"type": "ios"}}, "app"),
            ("screen", {}, "app"),
            ("page", {}, "web"),
            ("page", {"device": {"advertisingId": "ad-9"}}, "web"),
            ("page", {"channel": "mobile"}, "app"),
            ("track", {}, "web"),
            ("identify", {}, "web"),
        ],
    )
    def test_the_channel_rule(self, kind: str, context: dict[str, Any], channel: str) -> None:
        """`context.channel` first (mobile is app), then app for screens and app/device contexts."""
        assert parse(event(kind, context=context)).channel == channel


class TestActions:
    @pytest.mark.parametrize(
        ("name", "action"),
        [
            ("Order Completed", "purchase"),
            ("Order Refunded", "refund"),
            ("Order Cancelled", "order_cancelled"),
            ("Product Viewed", "product_view"),
            ("Product Added", "add_to_cart"),
            ("Product Removed", "remove_from_cart"),
            ("Checkout Started", "checkout"),
            ("Product Reviewed", "review"),
            ("Product Shared", "share"),
            ("Cart Shared", "share"),
            ("Signed Up", "signup"),
            ("Signed In", "login"),
            ("Promotion Clicked", "promotion_click"),
            ("Coupon Applied", "coupon_applied"),
            ("Email Opened", "email_open"),
            ("Application Installed", "app_install"),
            ("Application Opened", "app_open"),
            ("order_completed", "purchase"),
            ("orderCompleted", "purchase"),
        ],
    )
    def test_ecommerce_spec_names(self, name: str, action: str) -> None:
        """Segment's e-commerce spec names map to omnicontact actions, however spelled."""
        tp = parse(event(event=name, properties={"revenue": 10, "currency": "EUR"}))
        assert tp.action == action
        assert dict(tp.properties) == {"revenue": 10, "currency": "EUR"}

    @pytest.mark.parametrize(
        ("name", "action"),
        [
            ("Video Played", "video_played"),
            ("newsletterSubscribed", "newsletter_subscribed"),
            ("  Wishlist -- Added!  ", "wishlist_added"),
            ("Commande passée", "commande_passee"),
            ("Level 2 Reached", "level_2_reached"),
        ],
    )
    def test_other_event_names_are_slugged(self, name: str, action: str) -> None:
        """Unknown event names become snake_case slugs."""
        assert parse(event(event=name)).action == action

    @pytest.mark.parametrize("name", ["", "!!!", "   ", None, 3])
    def test_an_event_name_that_cannot_be_a_slug_names_event(self, name: object) -> None:
        """An event name without letters or digits, or not a string, is refused."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            parse(event(event=name))
        assert info.value.field == "event"


class TestTime:
    def test_a_fast_device_clock_is_corrected(self) -> None:
        """A device 2 h fast: occurred_at = receivedAt - (sentAt - timestamp)."""
        tp = parse(
            event(
                timestamp="2026-03-02T12:00:00Z",  # device time, 2 h fast
                sentAt="2026-03-02T12:00:05Z",  # device time
                receivedAt="2026-03-02T10:00:06Z",  # server time
            )
        )
        assert tp.occurred_at == T0 + timedelta(seconds=1)
        assert tp.received_at == T0 + timedelta(seconds=6)

    def test_the_correction_reads_the_original_timestamp(self) -> None:
        """With Segment's delivered form, the device time is originalTimestamp, not timestamp."""
        tp = parse(
            event(
                originalTimestamp="2026-03-02T12:00:00Z",
                timestamp="2026-03-02T10:00:01Z",  # already corrected by Segment
                sentAt="2026-03-02T12:00:05Z",
                receivedAt="2026-03-02T10:00:06Z",
            )
        )
        assert tp.occurred_at == T0 + timedelta(seconds=1)

    def test_without_sent_at_the_timestamp_is_taken_as_it_is(self) -> None:
        """No skew correction without sentAt; received_at is still set."""
        tp = parse(event(timestamp="2026-03-02T10:00:00Z", receivedAt="2026-03-02T11:00:00Z"))
        assert tp.occurred_at == T0
        assert tp.received_at == T0 + timedelta(hours=1)

    def test_original_timestamp_when_there_is_no_timestamp(self) -> None:
        """originalTimestamp stands in for a missing timestamp."""
        payload = event(originalTimestamp="2026-03-02T10:00:00+00:00")
        del payload["timestamp"]
        assert parse(payload).occurred_at == T0

    def test_the_corrected_time_is_stored(self) -> None:
        """Through the hub, the contact's first touchpoint is at the corrected time."""
        hub = hub_with_segment()
        report = hub.ingest(
            [
                event(
                    userId="u-1",
                    timestamp="2026-03-02T12:00:00Z",
                    sentAt="2026-03-02T12:00:00Z",
                    receivedAt="2026-03-02T10:00:00Z",
                )
            ],
            adapter="segment",
        )
        assert report.accepted == 1
        contact = hub.contact(oc.Identifier("customer_id", "u-1"))
        assert contact.timeline[0].occurred_at == T0
        assert contact.timeline[0].received_at == T0

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"timestamp": "yesterday"}, "timestamp"),
            ({"timestamp": 12}, "timestamp"),
            ({"timestamp": None}, "timestamp"),
            ({"sentAt": "soon", "receivedAt": "2026-03-02T10:00:00Z"}, "sentAt"),
            ({"receivedAt": "2026-13-40"}, "receivedAt"),
            (
                {
                    "timestamp": "2026-03-02T10:00:00",
                    "sentAt": "2026-03-02T10:00:00Z",
                    "receivedAt": "2026-03-02T10:00:00Z",
                },
                "timestamp",
            ),
        ],
    )
    def test_bad_timestamps_name_their_field(self, fields: dict[str, Any], field: str) -> None:
        """A missing or unreadable timestamp is an InvalidTimestampError naming the field."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            parse(event(**fields))
        assert info.value.field == field


class TestThroughTheHub:
    def test_identify_track_and_page_stitch_into_one_contact(self) -> None:
        """identify (anon + user), track (anon only), page (user only): one contact."""
        hub = hub_with_segment()
        report = hub.ingest(
            [
                event("identify", messageId="m1", userId="u-1", traits={"email": EMAIL}),
                event("track", messageId="m2", event="Product Viewed"),
                {
                    "type": "page",
                    "messageId": "m3",
                    "userId": "u-1",
                    "timestamp": "2026-03-02T10:02:00Z",
                },
            ],
            adapter="segment",
        )
        assert report.accepted == 3
        contacts = list(hub.contacts())
        assert len(contacts) == 1
        assert set(contacts[0].touchpoint_ids) == {"m1", "m2", "m3"}
        assert hub.contact(oc.Identifier("email", EMAIL.lower())) == contacts[0]

    def test_alias_links_previous_and_user_ids(self) -> None:
        """Anonymous events under previousId join the user's events after an alias."""
        hub = hub_with_segment()
        report = hub.ingest(
            [
                event(messageId="a", anonymousId="old-1", event="Product Viewed"),
                {
                    "type": "track",
                    "messageId": "b",
                    "userId": "new-1",
                    "event": "Signed In",
                    "timestamp": "2026-03-02T10:01:00Z",
                },
            ],
            adapter="segment",
        )
        assert report.accepted == 2
        assert len(list(hub.contacts())) == 2
        hub.ingest([event("alias", messageId="c")], adapter="segment")
        contacts = list(hub.contacts())
        assert len(contacts) == 1
        assert set(contacts[0].touchpoint_ids) == {"a", "b", "c"}

    def test_two_customer_ids_are_not_joined_by_an_alias(self) -> None:
        """With previousId as a customer id, the hub's merge guard keeps two customers apart."""
        hub = hub_with_segment()
        adapter = SegmentAdapter(alias_previous_kind="customer_id")
        hub.ingest(
            [
                event(messageId="a", userId="old-1", anonymousId=None),
                event(messageId="b", userId="new-1", anonymousId=None),
            ],
            adapter=adapter,
        )
        report = hub.ingest([event("alias", messageId="c")], adapter=adapter)
        assert report.accepted == 1
        assert len(list(hub.contacts())) == 2

    def test_the_same_event_twice_is_a_duplicate(self) -> None:
        """The messageId is the touchpoint id: a re-sent event is a duplicate."""
        hub = hub_with_segment()
        payload = event("identify", userId="u-1", traits={"email": EMAIL})
        first = hub.ingest([payload], adapter="segment")
        again = hub.ingest([copy.deepcopy(payload), payload], adapter="segment")
        assert (first.accepted, first.duplicates) == (1, 0)
        assert (again.accepted, again.duplicates) == (0, 2)

    def test_an_adapter_instance_can_be_passed(self) -> None:
        """`adapter=SegmentAdapter(...)` works without the plug-in."""
        hub = make_hub()
        report = hub.ingest([event(userId="7")], adapter=SegmentAdapter(user_id_kind="loyalty_id"))
        assert report.accepted == 1
        assert hub.contact(oc.Identifier("loyalty_id", "7")).touchpoint_ids == ("msg-track",)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"messageId": None}, "messageId"),
            ({"messageId": ""}, "messageId"),
            ({"messageId": ["x"]}, "messageId"),
            ({"messageId": "x" * 300}, "messageId"),
            ({"type": "purchase"}, "type"),
            ({"type": None}, "type"),
            ({"timestamp": "not a time"}, "timestamp"),
            ({"traits": ["not", "an", "object"], "type": "identify"}, "traits"),
            ({"context": {"traits": "nope"}}, "context.traits"),
            ({"context": "nope"}, "context"),
            ({"properties": 3}, "properties"),
            ({"anonymousId": None}, "userId"),
            ({"userId": True}, "userId"),
            ({"userId": {"id": 1}}, "userId"),
            ({"context": {"device": ["x"]}}, "context.device"),
            ({"context": {"traits": {"email": 12}}}, "context.traits.email"),
            ({"context": {"traits": {"company": 3}}}, "context.traits.company"),
            ({"context": {"library": {"name": 3}}}, "context.library.name"),
        ],
    )
    def test_bad_payloads_are_quarantined_with_their_field(
        self, change: dict[str, Any], field: str
    ) -> None:
        """A bad event is quarantined naming the wrong field; the stream goes on."""
        hub = hub_with_segment()
        bad = event()
        bad.update(change)
        report = hub.ingest([bad, event(messageId="ok")], adapter="segment")
        assert report.accepted == 1
        [rejection] = report.quarantined
        assert rejection.position == 0
        assert rejection.field == field
        assert rejection.error in ("InvalidTouchpointError", "InvalidTimestampError")

    def test_a_payload_that_is_not_an_object_is_quarantined(self) -> None:
        """A list or a string as payload names `payload`."""
        hub = hub_with_segment()
        report = hub.ingest([["x"], "event"], adapter="segment")
        assert [r.field for r in report.quarantined] == ["payload", "payload"]


# --------------------------------------------------------------------------
# properties: no payload crashes, no personal value in a reason
# --------------------------------------------------------------------------

KEYS = [
    "type",
    "messageId",
    "userId",
    "anonymousId",
    "previousId",
    "groupId",
    "event",
    "name",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "traits",
    "properties",
    "context",
]
CONTEXT_KEYS = [
    "traits",
    "device",
    "app",
    "channel",
    "locale",
    "timezone",
    "ip",
    "campaign",
    "page",
    "library",
]


def full_event(kind: str) -> dict[str, Any]:
    """A valid event of *kind* holding the personal values the privacy check looks for."""
    person = {
        "email": EMAIL,
        "firstName": FIRST_NAME,
        "last_name": LAST_NAME,
        "address": {"city": "Lyon", "postalCode": "69001"},
    }
    payload = event(
        kind,
        userId="u-1",
        sentAt="2026-03-02T10:00:01Z",
        receivedAt="2026-03-02T10:00:02Z",
        context={
            "traits": person,
            "device": {"id": "d-1"},
            "locale": "fr-FR",
            "library": {"name": "analytics.js"},
            "page": {"url": "https://shop.test/"},
        },
        properties={"email": EMAIL, "total": 3},
    )
    if kind == "identify":
        payload["traits"] = person
    return payload


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """A valid event with random values at random (possibly nested) keys."""
    payload = full_event(
        draw(st.sampled_from(["identify", "track", "page", "screen", "group", "alias"]))
    )
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["top", "context", "traits"]))
        value = draw(st.one_of(json_values(), st.sampled_from([EMAIL, FIRST_NAME, LAST_NAME])))
        if where == "top":
            key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)))
            if draw(st.booleans()):
                payload.pop(key, None)
            else:
                payload[key] = value
        elif where == "context" and isinstance(payload.get("context"), dict):
            key = draw(st.sampled_from(CONTEXT_KEYS))
            payload["context"][key] = value
        elif isinstance(payload.get("context"), dict) and isinstance(
            payload["context"].get("traits"), dict
        ):
            key = draw(
                st.sampled_from(
                    [
                        "email",
                        "phone",
                        "firstName",
                        "name",
                        "company",
                        "address",
                        "birthday",
                        "gender",
                        "title",
                    ]
                )
            )
            payload["context"]["traits"][key] = value
    return payload


payloads = st.lists(
    st.one_of(
        mutated_events(),
        json_objects(),
        json_values(),
        st.builds(full_event, st.sampled_from(["identify", "track"])),
    ),
    max_size=6,
)


@given(payloads)
def test_no_payload_crashes_and_no_reason_holds_personal_values(batch: list[Any]) -> None:
    """Random and mutated events are each accepted, a duplicate or quarantined; never a crash.

    No reason and no error message names the e-mail address or the names used.
    """
    hub = hub_with_segment()
    report = hub.ingest(batch, adapter="segment")
    assert report.total == len(batch)
    for rejection in report.quarantined:
        assert rejection.error != "PluginError", rejection  # the adapter never fails itself
        text = f"{rejection.field} {rejection.reason} {rejection!r}"
        for secret in (EMAIL, EMAIL.lower(), FIRST_NAME, LAST_NAME):
            assert secret not in text


@given(mutated_events())
def test_parse_raises_only_invalid_touchpoint_errors(payload: Any) -> None:
    """`parse` returns one touchpoint or raises InvalidTouchpointError without personal values."""
    message = ""
    touchpoints: list[oc.Touchpoint] = []
    try:
        touchpoints = SegmentAdapter().parse(payload)
    except oc.InvalidTouchpointError as err:
        message = str(err)
    assert len(touchpoints) == 1 or message
    for secret in (EMAIL, FIRST_NAME, LAST_NAME):
        assert secret not in message
