"""Streaming ingestion: progress, counts per channel, payload limits, replaying the quarantine."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.store import schema

from .conftest import fixed_clock, make_hub
from .strategies import json_values

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")


def record(tid: str, channel: str = "web", **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "occurred_at": "2026-03-02T10:00:00+00:00",
        "channel": channel,
        "action": "visit",
        "identifiers": {"cookie_id": f"ck-{tid}"},
        **extra,
    }


class TestReport:
    def test_progress_follows_each_committed_chunk(self) -> None:
        """With batch_size 2, five payloads report after 2, 4 and 5; the last is the result."""
        hub = make_hub(batch_size=2)
        seen: list[int] = []
        report = hub.ingest(
            (record(f"t{i}") for i in range(5)), progress=lambda r: seen.append(r.total)
        )
        assert seen == [2, 4, 5]
        assert report.total == 5

    def test_accepted_touchpoints_are_counted_per_channel(self) -> None:
        hub = make_hub()
        report = hub.ingest([record("a", "web"), record("b", "app"), record("c", "web")])
        assert dict(report.channels) == {"web": 2, "app": 1}
        again = hub.ingest([record("a", "web"), record("d", "store")])
        assert dict(again.channels) == {"store": 1}  # duplicates are not accepted again
        assert dict((report + again).channels) == {"web": 2, "app": 1, "store": 1}


class TestLimits:
    @pytest.mark.parametrize(
        ("payload", "reason"),
        [
            (record("deep", properties={"a": {"b": {"c": {"d": {}}}}}), "nested deeper than 4"),
            (record("long", properties={"note": "x" * 101}), "longer than 100 characters"),
            (record("wide", properties={"l": list(range(51))}), "more than 50 members"),
            (record("big", properties={f"k{i}": "y" * 90 for i in range(20)}), "larger than 1000"),
        ],
    )
    def test_a_payload_over_a_limit_is_quarantined_naming_the_limit(
        self, payload: dict[str, Any], reason: str
    ) -> None:
        limits = oc.PayloadLimits(max_bytes=1000, max_depth=4, max_string=100, max_items=50)
        hub = make_hub(limits=limits)
        report = hub.ingest([payload, record("fine")])
        assert report.accepted == 1
        (rejection,) = report.quarantined
        assert rejection.field == "payload"
        assert reason in rejection.reason

    def test_limits_are_checked(self) -> None:
        with pytest.raises(oc.ConfigurationError, match="max_depth"):
            oc.PayloadLimits(max_depth=0)
        with pytest.raises(oc.ConfigurationError, match="limits"):
            make_hub(limits={"max_depth": 3})

    def test_a_deep_payload_is_refused_without_recursion(self) -> None:
        """Nesting far beyond Python's recursion limit: refused, not a RecursionError."""
        deep: Any = "leaf"
        for _ in range(5000):
            deep = [deep]
        report = make_hub().ingest([record("deep", properties={"x": deep})])
        assert "nested deeper than 32" in report.quarantined[0].reason

    @given(json_values())
    def test_check_never_raises_anything_but_a_typed_error(self, payload: Any) -> None:
        limits = oc.PayloadLimits(max_bytes=200, max_depth=3, max_string=20, max_items=5)
        try:
            limits.check(payload)
        except oc.InvalidTouchpointError as err:
            field = err.field
        else:
            field = "payload"
        assert field == "payload"


class Fixable:
    """An adapter that refuses payloads without 'ok' until it is told to accept them."""

    name = "fixable"
    description = "accepts payloads once fixed"

    def __init__(self) -> None:
        self.fixed = False

    def parse(self, payload: Any) -> list[oc.Touchpoint]:
        if not self.fixed and not payload.get("ok"):
            raise oc.InvalidTouchpointError("ok", "is not set")
        return [oc.Touchpoint.from_mapping(record(payload["id"]))]


class Plugin:
    def __init__(self, adapter: Fixable) -> None:
        self.adapter = adapter

    @oc.hookimpl
    def register_channel_adapters(self) -> list[Fixable]:
        return [self.adapter]


class TestReplay:
    def test_replay_after_a_fix_takes_what_now_passes(self) -> None:
        adapter = Fixable()
        hub = make_hub(plugins=[Plugin(adapter)])
        report = hub.ingest([{"id": "a", "ok": True}, {"id": "b"}, {"id": "c"}], adapter="fixable")
        assert [r.adapter for r in report.quarantined] == ["fixable", "fixable"]
        assert hub.replay_quarantine().accepted == 0  # nothing fixed yet: both stay
        assert [r.record["id"] for r in hub.quarantine()] == ["b", "c"]
        adapter.fixed = True
        replayed = hub.replay_quarantine()
        assert (replayed.accepted, replayed.quarantined) == (2, ())
        assert hub.quarantine() == ()
        assert {tp.id for tp in hub.touchpoints()} == {"a", "b", "c"}

    def test_replay_of_touchpoints_and_json_records(self) -> None:
        """add_many's touchpoints and the default adapter's records replay through their path."""
        hub = make_hub(default_region=None)
        national = oc.Touchpoint.from_mapping(record("n", identifiers={"phone": "06 12 34 56 78"}))
        hub.add_many([national])
        hub.ingest([record("m", identifiers={"phone": "06 12 34 56 79"})])
        assert [r.adapter for r in hub.quarantine()] == [None, "omnicontact"]
        assert hub.replay_quarantine().quarantined[0].field == "identifiers.phone"
        assert len(hub.quarantine()) == 2  # still failing, listed once each

    def test_an_unknown_adapter_stops_the_replay_before_anything(self) -> None:
        adapter = Fixable()
        hub = make_hub(plugins=[Plugin(adapter)])
        hub.ingest([{"id": "b"}], adapter="fixable")
        other = make_hub(store=hub._store) if False else None
        assert other is None
        hub.adapters._adapters.pop("fixable")  # the plug-in was uninstalled
        with pytest.raises(oc.ConfigurationError, match="no adapter named 'fixable'"):
            hub.replay_quarantine()
        assert len(hub.quarantine()) == 1


def test_records_of_an_unregistered_adapter_replay_with_it_given() -> None:
    """A tabular file's bad row: replayed with the adapter passed again, after a fix."""
    from omnicontact.adapters.tabular import TabularAdapter

    mapping = {
        "id": "ref",
        "occurred_at": "when",
        "channel": {"value": "crm"},
        "action": {"value": "import"},
    }
    hub = make_hub()
    hub.ingest([{"ref": "r1", "when": "yesterday-ish"}], adapter=TabularAdapter(mapping))
    with pytest.raises(oc.ConfigurationError, match="no adapter named 'tabular'"):
        hub.replay_quarantine()
    fixed = {**mapping, "occurred_at": {"value": "2026-03-02T10:00:00+00:00"}}
    report = hub.replay_quarantine(adapters={"tabular": TabularAdapter(fixed)})
    assert report.accepted == 1
    assert hub.quarantine() == ()


def test_a_version_1_file_is_migrated_and_keeps_its_quarantine(tmp_path: Path) -> None:
    """A file written before the quarantine knew adapters opens, migrated to version 2."""
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    schema.migrate(raw, schema.MIGRATIONS[:1])
    raw.execute(
        "INSERT INTO quarantine (position, error, field, reason, form, record)"
        " VALUES (0, 'InvalidTouchpointError', 'channel', 'is required', 'json', '{\"id\": \"x\"}')"
    )
    raw.close()
    with oc.Hub.open(path, load_entry_points=False, clock=fixed_clock) as hub:
        (kept,) = hub.quarantine()
        assert (kept.record, kept.adapter) == ({"id": "x"}, None)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    raw.close()


@given(st.lists(json_values(), max_size=5))
def test_random_payloads_are_all_accounted_for(payloads: list[Any]) -> None:
    report = make_hub(limits=oc.PayloadLimits(max_depth=3, max_string=30)).ingest(payloads)
    assert report.total == len(payloads)
