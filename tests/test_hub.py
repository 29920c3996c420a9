"""The Hub: idempotency, conflicts, timestamps, batch ingestion and quarantine, options."""

from __future__ import annotations

import hashlib
import warnings
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc

from .conftest import NOW, make_hub
from .strategies import touchpoint_streams

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")


def _tp(tid: str = "tp-1", when: datetime | None = None, **kw: object) -> oc.Touchpoint:
    kw.setdefault("identifiers", [oc.Identifier("email", "Ann@Example.com")])
    return oc.Touchpoint(
        id=tid,
        occurred_at=when or datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc),
        channel=kw.pop("channel", "web"),  # type: ignore[arg-type]
        action=kw.pop("action", "signup"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


class TestAdd:
    def test_stores_the_normalized_touchpoint(self, hub: oc.Hub) -> None:
        """The log keeps normalized identifiers, UTC times, normalized traits and a receipt time."""
        paris = timezone(timedelta(hours=1))
        receipt = hub.add(
            _tp(
                when=datetime(2026, 3, 1, 10, 30, tzinfo=paris),
                identifiers=[oc.Identifier("phone", "06 12 34 56 78")],
                traits={"first_name": "  Zoë\u00a0 ", "country": "fr"},
            )
        )
        stored = hub.touchpoint("tp-1")
        assert stored == receipt.touchpoint
        assert stored.occurred_at == datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
        assert stored.occurred_at.tzinfo is timezone.utc
        phone = oc.Identifier("phone", "+33612345678")
        digest = hashlib.sha256(b"+33612345678").hexdigest()  # what ad platforms match on
        assert stored.identifiers == (phone, oc.Identifier("phone_sha256", digest))
        assert dict(stored.traits) == {"first_name": "Zoë", "country": "FR"}
        assert stored.received_at == NOW

    def test_email_also_stores_its_sha256(self, hub: oc.Hub) -> None:
        """An e-mail implies its SHA-256, so hashed audiences find the same contact."""
        import hashlib

        hub.add(_tp())
        digest = hashlib.sha256(b"ann@example.com").hexdigest()
        assert oc.Identifier("email_sha256", digest) in hub.touchpoint("tp-1").identifiers
        assert hub.contact(oc.Identifier("email_sha256", digest.upper())).touchpoint_ids == (
            "tp-1",
        )

    def test_same_id_same_content_is_a_duplicate(self, hub: oc.Hub) -> None:
        """A redelivery (even received later) changes nothing and says so."""
        first = hub.add(_tp())
        again = hub.add(_tp(received_at=datetime(2026, 5, 1, tzinfo=timezone.utc)))
        assert again.duplicate
        assert not first.duplicate
        assert again.contact_id == first.contact_id
        assert hub.stats().touchpoints == 1

    def test_raw_variants_of_one_touchpoint_are_duplicates(self, hub: oc.Hub) -> None:
        """The same event with differently formatted identifiers normalizes equal: a duplicate."""
        hub.add(_tp(identifiers=[oc.Identifier("email", "Ann@Example.com")]))
        assert hub.add(_tp(identifiers=[oc.Identifier("email", " ann@example.COM")])).duplicate

    def test_same_id_other_content_is_a_conflict(self, hub: oc.Hub) -> None:
        """The same id with a different payload raises ConflictError and keeps the first."""
        hub.add(_tp())
        with pytest.raises(oc.ConflictError) as info:
            hub.add(_tp(action="purchase"))
        assert isinstance(info.value, ValueError)
        assert hub.touchpoint("tp-1").action == "signup"

    def test_invalid_identifier_stores_nothing(self, hub: oc.Hub) -> None:
        """A touchpoint whose identifier cannot be normalized raises and is not stored."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            hub.add(_tp(identifiers=[oc.Identifier("phone", "+33 1 02")]))
        assert info.value.field == "identifiers.phone"
        assert "02" not in str(info.value)
        assert hub.stats().touchpoints == 0
        assert list(hub.contacts()) == []

    def test_unknown_identifier_kind_is_rejected(self, hub: oc.Hub) -> None:
        """A misspelt kind is an error, not a silently weak identifier."""
        with pytest.raises(oc.UnknownIdentifierKindError):
            hub.add(_tp(identifiers=[oc.Identifier("emial", "ann@example.com")]))

    def test_national_phone_uses_the_touchpoint_country_first(self) -> None:
        """The country trait beats the hub's default region for national numbers."""
        hub = make_hub(default_region="FR")
        hub.add(_tp(identifiers=[oc.Identifier("phone", "07911 123456")], traits={"country": "GB"}))
        assert hub.touchpoint("tp-1").identifiers[0] == oc.Identifier("phone", "+447911123456")

    def test_lookup_reads_a_national_number_in_the_given_region(self) -> None:
        """contact(..., region=) reads a national number in another region than the default."""
        hub = make_hub(default_region="FR")
        hub.add(_tp(identifiers=[oc.Identifier("phone", "+44 7911 123456")]))
        ref = oc.Identifier("phone", "07911 123456")
        assert hub.contact(ref, region="GB").touchpoint_ids == ("tp-1",)
        with pytest.raises(oc.InvalidIdentifierError):
            hub.find(ref)  # read as French, it is not a valid number
        assert len(hub.contacts_with(ref, region="GB")) == 1

    def test_national_phone_without_any_region_is_an_error(self) -> None:
        """With no region from the touchpoint or the hub, a national number cannot be read."""
        hub = make_hub()
        with pytest.raises(oc.InvalidIdentifierError, match="region"):
            hub.add(_tp(identifiers=[oc.Identifier("phone", "06 12 34 56 78")]))

    def test_naive_timestamps_use_the_default_timezone(self) -> None:
        """A naive time is read in the hub's default time zone, then stored in UTC."""
        hub = make_hub(default_timezone="Europe/Paris")
        hub.add(_tp(when=datetime(2026, 5, 1, 12, 0)))
        assert hub.touchpoint("tp-1").occurred_at == datetime(
            2026, 5, 1, 10, 0, tzinfo=timezone.utc
        )

    def test_rejects_something_that_is_not_a_touchpoint(self, hub: oc.Hub) -> None:
        """Passing a mapping to add() is a typed error pointing at ingest()."""
        with pytest.raises(oc.InvalidTouchpointError, match="ingest"):
            hub.add({"id": "x"})  # type: ignore[arg-type]


class TestStoredForm:
    @given(touchpoint_streams(max_size=8))
    def test_stored_touchpoints_are_canonical(self, stream: list[oc.Touchpoint]) -> None:
        """What the log holds equals the same values passed through the public constructor."""
        hub = make_hub(default_region="FR")
        hub.add_many(stream)
        for stored in hub.touchpoints():
            fields = {a.name: getattr(stored, a.name) for a in attrs.fields(oc.Touchpoint)}
            rebuilt = oc.Touchpoint(**fields)
            assert rebuilt == stored
            assert hash(rebuilt) == hash(stored)
            assert oc.Touchpoint.from_mapping(stored.to_mapping()) == stored


class TestFutureTimestamps:
    def test_rejected_by_default(self, hub: oc.Hub) -> None:
        """A touchpoint more than a day after its receipt is rejected by default."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            hub.add(_tp(when=NOW + timedelta(days=2)))
        assert info.value.field == "occurred_at"

    def test_small_clock_skew_is_tolerated(self, hub: oc.Hub) -> None:
        """A few hours ahead (clock skew) is within max_future."""
        assert not hub.add(_tp(when=NOW + timedelta(hours=3))).duplicate

    def test_warn_policy_stores_and_warns(self) -> None:
        """With future_timestamps='warn' the touchpoint is stored with a FutureTimestampWarning."""
        hub = make_hub(future_timestamps="warn")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hub.add(_tp(when=NOW + timedelta(days=400)))
        assert [w.category for w in caught] == [oc.FutureTimestampWarning]
        assert hub.stats().touchpoints == 1

    def test_accept_policy_stores_silently(self) -> None:
        """With future_timestamps='accept' nothing is checked."""
        hub = make_hub(future_timestamps="accept")
        hub.add(_tp(when=NOW + timedelta(days=400)))
        assert hub.stats().touchpoints == 1

    def test_reference_is_the_received_time_when_given(self, hub: oc.Hub) -> None:
        """Replaying old data: the future check is against received_at, not the wall clock."""
        old = datetime(2020, 1, 1, tzinfo=timezone.utc)
        with pytest.raises(oc.InvalidTimestampError):
            hub.add(_tp(when=old + timedelta(days=3), received_at=old))


class TestBatch:
    def test_ingest_quarantines_bad_records_and_keeps_going(self, hub: oc.Hub) -> None:
        """Bad records go to quarantine with field and reason; good ones are stored."""
        good = _tp("ok").to_mapping()
        records = [
            good,
            {"id": "no-time", "channel": "web", "action": "x"},
            {**good, "id": "bad-mail", "identifiers": {"email": "not an address"}},
            {**good, "id": "extra", "colour": "blue"},
            good,
            {**good, "action": "purchase"},
        ]
        report = hub.ingest(records)
        assert (report.accepted, report.duplicates) == (1, 1)
        assert [(r.position, r.field, r.error) for r in report.quarantined] == [
            (1, "occurred_at", "InvalidTouchpointError"),
            (2, "identifiers.email", "InvalidIdentifierError"),
            (3, "colour", "InvalidTouchpointError"),
            (5, "id", "ConflictError"),
        ]
        assert report.total == len(records)
        assert hub.quarantine() == report.quarantined
        assert report.quarantined[2].record is records[3]
        assert "not an address" not in repr(report.quarantined[1])

    @given(touchpoint_streams(max_size=10), st.lists(st.integers(0, 9), max_size=5))
    def test_nothing_is_lost(self, stream: list[oc.Touchpoint], bad_at: list[int]) -> None:
        """accepted + duplicates + quarantined always equals the records given."""
        hub = make_hub(default_region="FR")
        records: list[object] = [tp.to_mapping() for tp in stream]
        for i in bad_at:
            records.insert(min(i, len(records)), {"id": f"bad-{i}"})
        report = hub.ingest(records)  # type: ignore[arg-type]
        assert report.total == len(records)
        assert report.accepted == len(stream)
        assert len(report.quarantined) == len(bad_at)

    def test_on_error_raise_stops_at_the_first_bad_record(self, hub: oc.Hub) -> None:
        """on_error='raise' raises the typed error; earlier touchpoints stay added."""
        with pytest.raises(oc.InvalidTouchpointError):
            hub.add_many(
                [_tp("a"), _tp("b", identifiers=[oc.Identifier("email", "@")])], on_error="raise"
            )
        assert hub.stats().touchpoints == 1
        assert hub.quarantine() == ()

    def test_drain_quarantine_empties_it(self, hub: oc.Hub) -> None:
        """drain_quarantine returns the rejections once and forgets them."""
        hub.ingest([{"id": "x"}])
        assert len(hub.drain_quarantine()) == 1
        assert hub.quarantine() == ()

    def test_rejections_are_notified(self) -> None:
        """touchpoint_rejected is called once per quarantined record."""
        seen: list[oc.Rejection] = []

        class Listener:
            @oc.hookimpl
            def touchpoint_rejected(self, rejection: oc.Rejection) -> None:
                seen.append(rejection)

        hub = make_hub(plugins=[Listener()])
        report = hub.ingest([{"id": "x"}, _tp().to_mapping()])
        assert seen == list(report.quarantined)


class TestOptions:
    @pytest.mark.parametrize(
        "options",
        [
            {"default_region": "XX"},
            {"default_timezone": "Mars/Olympus"},
            {"future_timestamps": "maybe"},
            {"max_future": timedelta(days=-1)},
            {"cache_size": -1},
            {"store": object()},
        ],
    )
    def test_bad_option_is_a_configuration_error(self, options: dict[str, object]) -> None:
        """Each bad option fails at creation with ConfigurationError."""
        with pytest.raises(oc.ConfigurationError):
            make_hub(**options)

    def test_naive_clock_is_a_configuration_error(self) -> None:
        """A clock returning naive datetimes is refused when first used."""
        hub = make_hub(clock=lambda: datetime(2026, 1, 1))
        with pytest.raises(oc.ConfigurationError):
            hub.add(_tp())

    def test_email_case_can_be_kept(self) -> None:
        """casefold_email_local=False keeps the local part's case."""
        hub = make_hub(casefold_email_local=False)
        hub.add(_tp())
        assert oc.Identifier("email", "Ann@example.com") in hub.touchpoint("tp-1").identifiers

    def test_cache_counts_hits(self, hub: oc.Hub) -> None:
        """Repeated identifiers are served from the cache."""
        for i in range(5):
            hub.add(_tp(f"tp-{i}"))
        stats = hub.stats()
        assert stats.cache_misses == 1
        assert stats.cache_hits == 4

    def test_garbage_collector_is_paused_during_a_batch_and_restored(self) -> None:
        """pause_gc pauses the collector inside a batch only and restores it, even on error."""
        import gc

        seen: list[bool] = []

        class Probe:
            @oc.hookimpl
            def touchpoint_rejected(self) -> None:
                seen.append(gc.isenabled())

        assert gc.isenabled()
        make_hub(plugins=[Probe()]).ingest([{"id": "bad"}])
        make_hub(plugins=[Probe()], pause_gc=False).ingest([{"id": "bad"}])
        assert seen == [False, True]
        assert gc.isenabled()
        with pytest.raises(oc.InvalidTouchpointError):
            make_hub().ingest([{"id": "bad"}], on_error="raise")
        assert gc.isenabled()

    def test_trait_cache_keeps_json_types_apart(self, hub: oc.Hub) -> None:
        """Traits equal in Python but not in JSON (1, 1.0, True) are stored as given."""
        for i, value in enumerate([1, True, 1.0, "1"]):
            hub.add(_tp(f"tp-{i}", traits={"vip": value}))
            stored = hub.touchpoint(f"tp-{i}").traits["vip"]
            assert type(stored) is type(value)
            assert stored == value

    def test_cache_stays_bounded_and_correct(self) -> None:
        """A small cache never holds more than cache_size entries and changes no result."""
        small, plain = make_hub(cache_size=4), make_hub(cache_size=0)
        for i in range(40):
            for hub in (small, plain):
                ident = oc.Identifier("email", f"User{i % 13}@Example.com")
                hub.add(_tp(f"tp-{i}", identifiers=[ident]))
        assert len(small._normalizer._cache) <= 4
        assert list(small.contacts()) == list(plain.contacts())

    def test_cache_can_be_disabled(self) -> None:
        """cache_size=0 normalizes every time and gives the same result."""
        hub = make_hub(cache_size=0)
        for i in range(3):
            hub.add(_tp(f"tp-{i}"))
        assert hub.stats().cache_hits == 0
        assert len(list(hub.contacts())) == 1


class TestPrivacy:
    def test_reprs_show_no_personal_data(self, hub: oc.Hub) -> None:
        """Hub, Contact, Touchpoint, Receipt reprs never show identifier or trait values."""
        receipt = hub.add(
            _tp(
                identifiers=[oc.Identifier("email", "Quixote.Zed@example.com")],
                traits={"first_name": "Zelda"},
                properties={"note": "Rocinante"},
            )
        )
        contact = hub.contact_of("tp-1")
        for text in (repr(hub), repr(contact), repr(receipt.touchpoint), repr(receipt)):
            assert "quixote" not in text.lower()
            assert "Zelda" not in text
            assert "Rocinante" not in text

    def test_plugin_failure_is_named_and_state_is_kept(self) -> None:
        """A notification that raises names its plug-in; the touchpoint is stored anyway."""

        class Broken:
            @oc.hookimpl
            def contact_merged(self) -> None:
                raise RuntimeError("boom")

        hub = make_hub(plugins=[Broken()], default_region="FR")
        hub.add(_tp("a"))
        hub.add(_tp("b", identifiers=[oc.Identifier("phone", "+33612345678")]))
        with pytest.raises(oc.PluginError) as info:
            hub.add(
                _tp(
                    "c",
                    identifiers=[
                        oc.Identifier("phone", "+33612345678"),
                        oc.Identifier("email", "ann@example.com"),
                    ],
                )
            )
        assert info.value.hook == "contact_merged"
        assert isinstance(info.value.__cause__, RuntimeError)
        assert hub.stats().touchpoints == 3
        assert len(list(hub.contacts())) == 1
