"""The synthetic world: deterministic, streamed, truthful, readable by the built-in adapters."""

from __future__ import annotations

import itertools
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import phonenumbers
import pytest

import omnicontact as oc
from omnicontact.bench.metrics import score_clustering
from omnicontact.bench.world import World, WorldEvent
from omnicontact.errors import ConfigurationError

ADAPTERS = {"segment", "orders", "email_events", "support"}
LATENCY = timedelta(seconds=1)
"""Network latency that the clock-skew correction keeps in an app event's time."""


def _events(people: int, seed: int = 42, **options: object) -> list[WorldEvent]:
    return list(World(people=people, seed=seed, **options).events())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def small() -> list[WorldEvent]:
    """A world of 300 people, with Faker when installed."""
    return _events(300, seed=11)


@pytest.fixture(scope="module")
def medium() -> list[WorldEvent]:
    """A world of 2,000 people on the built-in name lists (faster)."""
    return _events(2000, seed=5, use_faker=False)


def _hub(world: World) -> oc.Hub:
    return oc.Hub(load_entry_points=False, clock=lambda: world.end)


class TestDeterminism:
    def test_same_seed_same_events(self) -> None:
        """Two worlds with the same arguments yield equal events, payloads included."""
        assert _events(150, seed=3) == _events(150, seed=3)

    def test_other_seed_other_events(self) -> None:
        """Another seed gives other message ids and other payloads."""
        a, b = _events(150, seed=3), _events(150, seed=4)
        segment_ids = [{e.touchpoint_id for e in w if e.adapter == "segment"} for w in (a, b)]
        assert segment_ids[0].isdisjoint(segment_ids[1])
        assert [e.payload for e in a[:20]] != [e.payload for e in b[:20]]

    def test_truth_streams_the_same_world_again(self, small: list[WorldEvent]) -> None:
        """``truth()`` regenerates the world: one pair per event, in the same order."""
        truth = list(World(people=300, seed=11).truth())
        assert truth == [(e.touchpoint_id, e.person) for e in small]

    def test_without_faker(self) -> None:
        """The built-in lists give a world too, and a different one from Faker's."""
        pytest.importorskip("faker")
        built_in = _events(100, seed=1, use_faker=False)
        assert built_in
        assert built_in == _events(100, seed=1, use_faker=False)
        assert built_in != _events(100, seed=1, use_faker=True)

    def test_smaller_world_is_a_prefix(self) -> None:
        """Households are seeded by number: a smaller world is the start of a bigger one."""
        big = _events(200, seed=9, use_faker=False)
        small = _events(120, seed=9, use_faker=False)
        assert big[: len(small) - 50] == small[: len(small) - 50]


class TestStreaming:
    @staticmethod
    def _peak(people: int) -> int:
        tracemalloc.start()
        try:
            for _ in World(people=people, seed=1, use_faker=False).events():
                pass
            peak = tracemalloc.get_traced_memory()[1]
            print(f"{people} people: peak {peak / 1024:.0f} KiB")
            return peak
        finally:
            tracemalloc.stop()

    def test_memory_does_not_grow_with_people(self) -> None:
        """Generating 4,000 people peaks within twice the memory of 1,000."""
        small, big = self._peak(1000), self._peak(4000)
        assert big < 2 * small, (small, big)

    def test_events_is_lazy(self) -> None:
        """The first event comes without generating a million people."""
        first = next(World(people=1_000_000, seed=1, use_faker=False).events())
        assert first.person == "p-00000001"


class TestTruth:
    def test_every_event_has_a_person(self, small: list[WorldEvent]) -> None:
        """Every event names a person of the world, and every person has events."""
        people = {e.person for e in small}
        assert people == {f"p-{n:08d}" for n in range(1, 301)}
        assert all(e.adapter in ADAPTERS for e in small)

    def test_truth_is_never_in_the_payload(self, small: list[WorldEvent]) -> None:
        """No payload mentions its person id."""
        assert not any(e.person in repr(e.payload) for e in small)

    def test_events_stay_inside_the_world(self, small: list[WorldEvent]) -> None:
        """Every touchpoint happened between ``start`` and ``end``."""
        world = World(people=300, seed=11)
        hub = _hub(world)
        for e in small:
            (tp,) = hub.adapters[e.adapter].parse(e.payload)
            assert world.start <= tp.occurred_at < world.end + LATENCY


class TestAdapters:
    def test_touchpoint_ids_are_predicted(self, small: list[WorldEvent]) -> None:
        """Each event's adapter reads one touchpoint whose id is ``touchpoint_id``."""
        hub = _hub(World(people=300, seed=11))
        for e in small:
            touchpoints = list(hub.adapters[e.adapter].parse(e.payload))
            assert [tp.id for tp in touchpoints] == [e.touchpoint_id]

    def test_every_payload_is_accepted(self, small: list[WorldEvent]) -> None:
        """Ingesting the world quarantines nothing; duplicates are the repeated deliveries."""
        world = World(people=300, seed=11)
        hub = _hub(world)
        accepted = duplicates = 0
        for adapter, group in itertools.groupby(small, key=lambda e: e.adapter):
            report = hub.ingest([e.payload for e in group], adapter=adapter)
            assert report.quarantined == ()
            accepted += report.accepted
            duplicates += report.duplicates
        distinct = len({e.touchpoint_id for e in small})
        assert accepted == distinct
        assert duplicates == len(small) - distinct > 0

    def test_ids_are_unique_per_payload(self, small: list[WorldEvent]) -> None:
        """An id is used by one payload only (a duplicate is the same payload)."""
        seen: dict[str, object] = {}
        for e in small:
            assert seen.setdefault(e.touchpoint_id, e.payload) == e.payload


class TestPopulation:
    def test_countries(self, medium: list[WorldEvent]) -> None:
        """People live in FR, GB, DE, ES and US, near the default shares."""
        locale: dict[str, str] = {}
        for e in medium:
            if e.adapter == "segment":
                locale.setdefault(e.person, e.payload["context"]["locale"])
        shares = Counter(locale.values())
        expected = {"fr-FR": 0.3, "en-GB": 0.2, "de-DE": 0.2, "es-ES": 0.1, "en-US": 0.2}
        assert len(locale) == 2000
        for name, share in expected.items():
            assert abs(shares[name] / 2000 - share) < 0.05, shares

    def test_rates(self, medium: list[WorldEvent]) -> None:
        """Most visitors never identify; few buy; fewer refer."""
        identified, buyers, referrers = set(), set(), set()
        for e in medium:
            p = e.payload
            if e.adapter == "segment":
                if "userId" in p or "traits" in p.get("context", {}):
                    identified.add(e.person)
                if p.get("event") == "Order Completed":
                    buyers.add(e.person)
                if p.get("event") == "Referral":
                    referrers.add(e.person)
            elif e.adapter in ("orders", "support"):
                identified.add(e.person)
                if e.adapter == "orders":
                    buyers.add(e.person)
        assert 0.3 < len(identified) / 2000 < 0.5
        assert 0.12 < len(buyers) / 2000 < 0.3
        assert 0.005 < len(referrers) / 2000 < 0.04

    def test_phones_are_valid_and_locale_correct(self, medium: list[WorldEvent]) -> None:
        """International phones parse as valid numbers of the person's country."""
        checked = 0
        for e in medium:
            phone = e.payload.get("phone")
            if e.adapter == "support" and phone:
                number = phonenumbers.parse(phone)
                assert phonenumbers.is_valid_number(number)
                checked += 1
        assert checked > 20

    def test_household_shares_a_device(self, medium: list[WorldEvent]) -> None:
        """Some tablet or connected TV is seen with several people."""
        seen: dict[str, set[str]] = defaultdict(set)
        for e in medium:
            if e.adapter == "segment":
                device = e.payload["context"].get("device", {})
                key = device.get("id") or device.get("advertisingId")
                if key:
                    seen[key].add(e.person)
        assert any(len(people) > 1 for people in seen.values())

    def test_role_mailbox_is_shared(self) -> None:
        """A role mailbox (info@, contact@ …) is used by several people."""
        users: dict[str, set[str]] = defaultdict(set)
        for e in World(people=4000, seed=2, use_faker=False).events():
            if e.adapter == "email_events":
                data = e.payload.get("event-data", e.payload)
                users[(data.get("email") or data["recipient"]).lower()].add(e.person)
        assert any(len(p) > 1 for p in users.values())

    def test_cases_continue_across_channels(self, medium: list[WorldEvent]) -> None:
        """Many cases go through two channels, always for one person."""
        channels: dict[str, set[str]] = defaultdict(set)
        people: dict[str, set[str]] = defaultdict(set)
        for e in medium:
            if e.adapter == "support":
                channels[e.payload["case_id"]].add(e.payload.get("channel", "helpdesk"))
                people[e.payload["case_id"]].add(e.person)
        assert sum(len(c) > 1 for c in channels.values()) > len(channels) / 4
        assert all(len(p) == 1 for p in people.values())

    def test_noise(self, medium: list[WorldEvent]) -> None:
        """Out-of-order arrival, clock skew and placeholders are all there."""
        skewed = placeholders = late = 0
        last: dict[str, datetime] = {}
        for e in medium:
            p = e.payload
            if "sentAt" in p and p["sentAt"][:13] != p["receivedAt"][:13]:
                skewed += 1
            traits = p.get("context", {}).get("traits", {})
            if traits.get("email") in ("test@test.com", "noemail@noemail.com"):
                placeholders += 1
            when = p.get("originalTimestamp") or p.get("timestamp")
            if e.adapter == "segment" and isinstance(when, str) and when.endswith("Z"):
                moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
                if e.person in last and moment < last[e.person]:
                    late += 1
                last[e.person] = moment
        assert skewed > 10
        assert placeholders > 0
        assert late > 0


class TestEndToEnd:
    def test_hub_finds_the_people(self, small: list[WorldEvent]) -> None:
        """Ingested into a hub, 300 people resolve with pairwise F1 above 0.8."""
        world = World(people=300, seed=11)
        hub = _hub(world)
        for e in small:
            hub.ingest([e.payload], adapter=e.adapter)
        truth = dict(world.truth())
        contact_of = hub.contact_of
        predicted = {tp: contact_of(tp).contact_id for tp in truth}
        scores = score_clustering(predicted, truth)
        assert scores.pairwise_f1 > 0.8, scores
        assert scores.bcubed_f1 > 0.8, scores


class TestBadArguments:
    @pytest.mark.parametrize(
        "options",
        [
            {"people": 0},
            {"days": 0},
            {"countries": ("FR", "IT")},
            {"countries": ()},
            {"start": datetime(2026, 1, 1)},  # naive on purpose
        ],
    )
    def test_rejected(self, options: dict[str, object]) -> None:
        """A bad argument is a ConfigurationError naming it."""
        with pytest.raises(ConfigurationError, match=next(iter(options))):
            World(**options)  # type: ignore[arg-type]

    def test_end(self) -> None:
        """``end`` is ``start`` plus ``days``."""
        world = World(start=datetime(2026, 3, 1, tzinfo=timezone.utc), days=10)
        assert world.end == datetime(2026, 3, 11, tzinfo=timezone.utc)


def test_events_is_an_iterator() -> None:
    """``events()`` returns an iterator, so it streams."""
    assert isinstance(World(people=5).events(), Iterator)
