"""The SQLite store: persistence, projections equal to a replay, schema versions, records kept.

The hub's behaviour on both stores is covered by the hub, resolution and
stitching tests, which run on each store. These tests cover what only a
persistent store has: reopening, the schema, and projections on disk.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.store import schema
from omnicontact.store.codec import decode_touchpoint, encode_touchpoint

from .conftest import fixed_clock, make_hub
from .strategies import person_streams, touchpoint_streams, touchpoints
from .test_resolution import T0, tp

FILES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def opened(path: Path | str, **options: object) -> oc.Hub:
    """Open a hub on *path* the way the tests' hubs are made."""
    options.setdefault("load_entry_points", False)
    options.setdefault("clock", fixed_clock)
    options.setdefault("default_region", "FR")
    return oc.Hub.open(path, **options)  # type: ignore[arg-type]


def partition(hub: oc.Hub) -> set[frozenset[str]]:
    return {frozenset(c.touchpoint_ids) for c in hub.contacts()}


def memory_state(stream: Iterable[oc.Touchpoint]) -> str:
    hub = make_hub(default_region="FR")
    hub.add_many(stream)
    return hub.export_state()


STREAM = [
    tp("a1", 0, ("cookie_id", "ck-1")),
    tp("a2", 1, ("cookie_id", "ck-1"), ("email", "Ann@Example.com")),
    tp("a3", 2, ("phone", "06 12 34 56 78"), ("email", "ann@example.com")),
    tp("b1", 3, ("email", "bob@example.com")),
    tp("b2", 4, ("customer_id", "C-9"), ("email", "bob@example.com")),
    tp("z0", -5, ("phone", "+33 6 12 34 56 78")),  # older: renames Ann's contact
]

PEOPLE = [
    tp(
        f"p{i}",
        i,
        ("email", f"p{i % 7}@example.com"),
        first_name=f"N{i % 7}",
        last_name="Lee",
        city="Lyon",
    )
    for i in range(30)
]


class TestPersistence:
    """What was written is there after reopening, and reads need no replay."""

    def test_reopen_answers_lookups_from_the_file(self, tmp_path: Path) -> None:
        """Contacts, aliases and touchpoints come back from the projections, without replay."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(STREAM[:-1])
            first_id = hub.contact(oc.Identifier("email", "ann@example.com")).contact_id
            hub.add(STREAM[-1])
            before = hub.export_state()
        with opened(path) as hub:
            assert not hub._warm  # nothing replayed yet
            ann = hub.contact(oc.Identifier("phone", "+33612345678"))
            assert set(ann.touchpoint_ids) == {"a1", "a2", "a3", "z0"}
            assert ann.contact_id != first_id
            assert hub.contact(first_id) == ann  # the id issued first is an alias
            assert hub.contact_of("b1").identified
            assert oc.Identifier("email", "ann@example.com") in hub.touchpoint("a2").identifiers
            assert hub.stats().contacts == 2
            assert hub.export_state() == before
            assert not hub._warm

    def test_writing_after_reopen_equals_one_uninterrupted_run(self, tmp_path: Path) -> None:
        """Half, close, reopen, the rest: the same state as everything in one go."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(STREAM[:3])
        with opened(path) as hub:
            hub.add_many(STREAM[3:])
            assert hub.check().ok
            assert hub.export_state() == memory_state(STREAM)

    def test_same_id_same_content_is_a_no_op_after_reopen(self, tmp_path: Path) -> None:
        """The log's unique id holds across sessions: a duplicate, or a ConflictError."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add(STREAM[0])
        with opened(path) as hub:
            assert hub.add(STREAM[0]).duplicate
            changed = tp("a1", 0, ("cookie_id", "ck-2"))
            with pytest.raises(oc.ConflictError):
                hub.add(changed)
            assert len(list(hub.touchpoints())) == 1

    def test_decisions_survive_reopen(self, tmp_path: Path) -> None:
        """A split made in one session stays in the next, through new data."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(STREAM)
            ann = hub.contact(oc.Identifier("email", "ann@example.com"))
            hub.split(ann, [["a1", "a2"], ["a3", "z0"]])
        with opened(path) as hub:
            hub.add(tp("a4", 9, ("email", "ann@example.com"), ("phone", "06 12 34 56 78")))
            assert hub.contact_of("a1") != hub.contact_of("z0")
            assert hub.check().ok
            actions = [e.action for e in hub.audit()]
            assert "split" in actions
            assert actions.count("split") >= 1

    def test_audit_and_quarantine_survive_reopen(self, tmp_path: Path) -> None:
        """The ledger and the quarantine are in the file; draining empties it there."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            for touchpoint in STREAM:
                hub.add(touchpoint)  # one by one: the older z0 renames Ann's contact
            report = hub.ingest([{"id": "bad", "occurred_at": "never"}])
            assert len(report.quarantined) == 1
            ledger = hub.audit()
            assert [e.action for e in ledger] == ["rename"]
        with opened(path) as hub:
            assert hub.audit() == ledger
            kept = hub.quarantine()
            assert [(r.field, r.record) for r in kept] == [
                ("channel", {"id": "bad", "occurred_at": "never"})
            ]
            assert hub.drain_quarantine() == kept
        with opened(path) as hub:
            assert hub.quarantine() == ()
            assert hub.stats().quarantined == 0

    def test_trained_rules_survive_reopen(self, tmp_path: Path) -> None:
        """Trained parameters are kept, and a reopened hub resolves with them."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(PEOPLE)
            hub.train_matching(seed=1)
            trained = hub.rules
            state = hub.export_state()
        with opened(path) as hub:
            assert hub.rules == trained
            assert hub.rules != make_hub().rules
            hub.resolve_all()
            assert hub.export_state() == state

    def test_a_trained_hub_is_followed_by_another_writer(self, tmp_path: Path) -> None:
        """A second hub on the file picks the new rules up at its next write."""
        path = tmp_path / "contacts.db"
        first, second = opened(path), opened(path)
        first.add_many(PEOPLE)
        second.add(tp("c1", 20, ("email", "cy@example.com"), first_name="Cy"))
        first.train_matching(seed=1)
        second.add(tp("c2", 21, ("email", "cy@example.com")))
        assert second.rules == first.rules
        assert second.check().ok
        first.close()
        second.close()


class TestProjections:
    """Stored projections always equal a replay of the log."""

    @FILES
    @given(person_streams(), st.randoms(use_true_random=False))
    def test_projections_equal_a_replay_after_any_stream_and_decisions(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Adds, a split, a confirmation, more adds: check() finds no difference."""
        hub = opened(":memory:", batch_size=3)
        half = len(stream) // 2
        hub.add_many(stream[:half])
        contacts = list(hub.contacts())
        big = max(contacts, key=lambda c: len(c.timeline), default=None)
        if big is not None and len(big.timeline) > 1:
            ids = list(big.touchpoint_ids)
            rnd.shuffle(ids)
            hub.split(big, [ids[:1], ids[1:]])
        for later in stream[half:]:
            hub.add(later)
        contacts = list(hub.contacts())
        if len(contacts) > 1:
            a, b = rnd.sample(contacts, 2)
            hub.confirm(a.touchpoint_ids[0], b.touchpoint_ids[0])
        found = hub.check()
        assert found.ok, found.differences
        assert found.contacts == hub.stats().contacts

    @FILES
    @given(touchpoint_streams(), st.randoms(use_true_random=False))
    def test_sqlite_and_memory_give_the_same_state(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Shuffled and duplicated, on SQLite: byte for byte the in-memory hub's state."""
        shuffled = stream + rnd.sample(stream, len(stream) // 2)
        rnd.shuffle(shuffled)
        hub = opened(":memory:", batch_size=4)
        hub.add_many(shuffled)
        assert hub.export_state() == memory_state(stream)
        assert hub.check().ok

    @given(person_streams(), st.integers(0, 20))
    def test_reopening_mid_stream_changes_nothing(
        self, stream: list[oc.Touchpoint], cut: int
    ) -> None:
        """Part of a stream, close, reopen (the log is replayed), the rest: one run's state."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "contacts.db"
            with opened(path) as hub:
                hub.add_many(stream[:cut])
            with opened(path) as hub:
                for touchpoint in stream[cut:]:
                    hub.add(touchpoint)
                assert hub.export_state() == memory_state(stream)
                assert hub.check().ok

    def test_open_repairs_projections_left_behind(self, tmp_path: Path) -> None:
        """Projections that lag the log (an older writer, a hand edit) are rebuilt on open."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(STREAM)
            state = hub.export_state()
        raw = sqlite3.connect(path)
        raw.execute("DELETE FROM membership")
        raw.execute("DELETE FROM linked")
        raw.execute("UPDATE meta SET value = '0' WHERE key = 'projected_through'")
        raw.commit()
        raw.close()
        with opened(path) as hub:
            assert hub.check().ok
            assert hub.export_state() == state

    def test_check_reports_a_damaged_projection_and_rebuild_mends_it(self, tmp_path: Path) -> None:
        """A projection changed behind the hub's back is found, and rebuild() mends it."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add_many(STREAM)
            state = hub.export_state()
        raw = sqlite3.connect(path)
        raw.execute("UPDATE membership SET contact_id = 'ct_wrong' WHERE position = 0")
        raw.commit()
        raw.close()
        with opened(path) as hub:
            found = hub.check()
            assert not found.ok
            assert found.differences == (
                "membership: 2 rows differ from a replay of the log",
            )
            hub.rebuild()
            assert hub.check().ok
            assert hub.export_state() == state

    def test_memory_hub_check_compares_incremental_with_replay(self) -> None:
        """In memory, check() holds the incremental resolver against a replay."""
        hub = make_hub(default_region="FR")
        hub.add_many(STREAM)
        found = hub.check()
        assert found.ok
        assert (found.touchpoints, found.contacts) == (6, 2)


class TestSchema:
    """The file says which schema it has; newer or foreign files are refused."""

    def test_new_file_is_marked_with_version_and_application(self, tmp_path: Path) -> None:
        path = tmp_path / "contacts.db"
        opened(path).close()
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert raw.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.close()

    def test_a_newer_file_is_refused_before_anything_changes(self, tmp_path: Path) -> None:
        path = tmp_path / "contacts.db"
        opened(path).close()
        raw = sqlite3.connect(path)
        raw.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        raw.commit()
        raw.close()
        with pytest.raises(oc.SchemaVersionError, match="upgrade omnicontact"):
            opened(path)
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
        raw.close()

    def test_a_foreign_sqlite_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "other.db"
        raw = sqlite3.connect(path)
        raw.execute("CREATE TABLE customers (name TEXT)")
        raw.commit()
        raw.close()
        with pytest.raises(oc.SchemaVersionError, match="not omnicontact"):
            opened(path)

    def test_migrations_run_forward_once(self, tmp_path: Path) -> None:
        """A file at version 1 meets code with a second step: migrated once, data kept."""
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add(STREAM[0])
        step = ("CREATE TABLE extra (x INTEGER)", "INSERT INTO extra VALUES (7)")
        steps = [*schema.MIGRATIONS, step]
        for _ in range(2):
            raw = sqlite3.connect(path, isolation_level=None)
            schema.migrate(raw, steps)
            raw.close()
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(steps)
        assert raw.execute("SELECT x FROM extra").fetchall() == [(7,)]
        assert raw.execute("SELECT count(*) FROM touchpoints").fetchone()[0] == 1
        raw.close()

    def test_options_are_checked(self, tmp_path: Path) -> None:
        with pytest.raises(oc.ConfigurationError, match="synchronous"):
            oc.Hub.open(tmp_path / "x.db", synchronous="OFF")  # type: ignore[arg-type]
        with pytest.raises(oc.ConfigurationError, match="batch_size"):
            opened(tmp_path / "y.db", batch_size=0)

    def test_an_unopenable_path_is_a_store_error(self, tmp_path: Path) -> None:
        with pytest.raises(oc.StoreError, match="opening the database"):
            opened(tmp_path / "missing-dir" / "contacts.db")


class TestCodec:
    """Touchpoints are stored as their JSON form and read back equal."""

    @given(touchpoint_streams())
    def test_normalized_touchpoints_round_trip(self, stream: list[oc.Touchpoint]) -> None:
        hub = make_hub(default_region="FR")
        hub.add_many(stream)
        for stored in hub.touchpoints():
            text = encode_touchpoint(stored)
            assert text == json.dumps(
                stored.to_mapping(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
            assert decode_touchpoint(text) == stored
            assert encode_touchpoint(decode_touchpoint(text)) == text

    @given(touchpoints())
    def test_any_touchpoint_is_written_as_its_json_form(self, touchpoint: oc.Touchpoint) -> None:
        """The store's text is exactly to_mapping's canonical JSON, nested values included."""
        expected = json.dumps(
            touchpoint.to_mapping(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        assert encode_touchpoint(touchpoint) == expected
        assert oc.Touchpoint.from_mapping(json.loads(expected)).same_content(
            decode_touchpoint(expected)
        )

    def test_injection_strings_are_stored_as_text(self, tmp_path: Path) -> None:
        evil = "x'); DROP TABLE touchpoints; --\"`"
        path = tmp_path / "contacts.db"
        with opened(path) as hub:
            hub.add(
                oc.Touchpoint(
                    id=evil,
                    occurred_at=T0,
                    channel="web",
                    action="page_view",
                    identifiers=[oc.Identifier("customer_id", evil)],
                    traits={"city": evil},
                    properties={evil: evil},
                )
            )
        with opened(path) as hub:
            stored = hub.touchpoint(evil)
            assert stored.traits["city"] == evil
            assert stored.properties[evil] == evil
            assert hub.contact(oc.Identifier("customer_id", evil)).touchpoint_ids == (evil,)
            assert hub.check().ok
