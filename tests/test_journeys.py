"""The bundled sample journeys: each person one contact, households kept apart.

The ground truth below is who each touchpoint belongs to, as the sample was
written (see examples/journeys.jsonl); it is not output copied from the code.
"""

from __future__ import annotations

import json
import random
from datetime import timezone
from pathlib import Path

import pytest

import omnicontact as oc
from omnicontact.sources import SourceSet

from .conftest import make_hub

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "journeys.jsonl"

PEOPLE = {
    "camille": [
        "tp-0001",
        "tp-0002",
        "tp-0003",
        "tp-0004",
        "tp-0010",
        "tp-0011",
        "tp-0012",
        "tp-0013",
        "tp-0014",
        "tp-0015",
        "tp-0040",
        "tp-0052",
        "tp-0054",
        "tp-0060",
        "tp-0065",
        "tp-0066",
        "tp-0067",
    ],
    "zoe": [
        "tp-0005",
        "tp-0006",
        "tp-0019",
        "tp-0020",
        "tp-0021",
        "tp-0030",
        "tp-0034",
        "tp-0035",
        "tp-0036",
        "tp-0044",
        "tp-0047",
        "tp-0055",
        "tp-0057",
        "tp-0059",
    ],
    "oliver": [
        "tp-0007",
        "tp-0008",
        "tp-0009",
        "tp-0016",
        "tp-0017",
        "tp-0018",
        "tp-0023",
        "tp-0037",
        "tp-0038",
        "tp-0039",
        "tp-0051",
        "tp-0061",
        "tp-0062",
        "tp-0068",
    ],
    "anon": ["tp-0022", "tp-0031", "tp-0032", "tp-0033", "tp-0058"],
    "lukas": [
        "tp-0024",
        "tp-0025",
        "tp-0026",
        "tp-0042",
        "tp-0043",
        "tp-0056",
        "tp-0063",
        "tp-0064",
    ],
    "anna": [
        "tp-0027",
        "tp-0028",
        "tp-0029",
        "tp-0045",
        "tp-0046",
        "tp-0048",
        "tp-0049",
        "tp-0050",
    ],
    "tablet_anon": ["tp-0041", "tp-0053"],
}


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line]


def _partition(hub: oc.Hub) -> set[frozenset[str]]:
    return {frozenset(c.touchpoint_ids) for c in hub.contacts()}


class TestSampleJourneys:
    def test_each_person_is_one_contact(self) -> None:
        """Every person of the sample, anonymous visits included, is exactly one contact."""
        hub = make_hub()
        report = hub.ingest(_records())
        assert report.accepted == len(_records())
        assert report.quarantined == ()
        assert _partition(hub) == {frozenset(ids) for ids in PEOPLE.values()}

    def test_household_tablet_does_not_merge_two_people(self) -> None:
        """Two people who log in on one family tablet stay apart; the tablet's anonymous use too."""
        hub = make_hub()
        hub.ingest(_records())
        lukas = hub.contact_of(PEOPLE["lukas"][0])
        anna = hub.contact_of(PEOPLE["anna"][0])
        tablet = hub.contact_of(PEOPLE["tablet_anon"][0])
        assert len({lukas.contact_id, anna.contact_id, tablet.contact_id}) == 3
        assert not tablet.identified
        shared = oc.Identifier("device_id", "dv-tab-8c21")
        assert {c.contact_id for c in hub.contacts_with(shared)} == {
            lukas.contact_id,
            anna.contact_id,
            tablet.contact_id,
        }

    def test_format_variants_find_the_same_contact(self) -> None:
        """Case and format variants of an e-mail or phone look up one contact."""
        hub = make_hub()
        hub.ingest(_records())
        camille = hub.contact_of(PEOPLE["camille"][0]).contact_id
        for ref in (
            oc.Identifier("email", " CAMILLE.LEFEVRE@EXAMPLE.FR"),
            oc.Identifier("email", "camille.lefevre@example.fr"),
            oc.Identifier("phone", "+33 (0)6 12-34-56-78"),
            oc.Identifier("phone", "0033612345678"),
        ):
            assert hub.contact(ref).contact_id == camille

    def test_shuffled_and_duplicated_sample_gives_the_same_contacts(self) -> None:
        """Any arrival order, with redeliveries, gives the same contacts and the same ids."""
        records = _records()
        first = make_hub()
        first.ingest(records)
        shuffled = records + records[:20]
        random.Random(7).shuffle(shuffled)
        second = make_hub()
        report = second.ingest(shuffled)
        assert report.duplicates == 20
        assert [c.contact_id for c in first.contacts()] == [c.contact_id for c in second.contacts()]
        assert list(first.contacts()) == list(second.contacts())


NATIVE = SAMPLE.parent / "journeys"


def _native(hub: oc.Hub, order: int | None = None) -> oc.IngestReport:
    """Ingest the channel-native sample folder, each file through the adapter it names.

    With *order*, the files' records are interleaved in a seeded random order.
    """
    from omnicontact.adapters.tabular import read_csv

    batches: list[tuple[object, str | oc.ChannelAdapter]] = []
    for source in SourceSet.from_path(NATIVE).sources:
        if source.path.suffix == ".csv":
            rows = list(read_csv(source.path))
        else:
            rows = [json.loads(line) for line in source.path.read_text("utf-8").splitlines()]
        batches.extend((row, source.reader) for row in rows)
    if order is not None:
        random.Random(order).shuffle(batches)
    report = oc.IngestReport()
    for row, reader in batches:
        report += hub.ingest([row], adapter=reader)
    return report


def _instant(tp: oc.Touchpoint) -> str:
    return tp.occurred_at.astimezone(timezone.utc).isoformat()


def _native_people() -> dict[str, list[str]]:
    """PEOPLE in the native sample's touchpoint ids.

    Each native record is parsed by its adapter alone (no resolution) and
    matched to the written sample's touchpoint of the same instant.
    """
    from omnicontact.adapters.tabular import read_csv

    adapters = oc.Hub(load_entry_points=False).adapters
    person = {tid: name for name, ids in PEOPLE.items() for tid in ids}
    written = {_instant(oc.Touchpoint.from_mapping(r)): r["id"] for r in _records()}
    out: dict[str, list[str]] = {name: [] for name in PEOPLE}
    for source in SourceSet.from_path(NATIVE).sources:
        adapter = adapters.get_adapter(source.reader)
        if source.path.suffix == ".csv":
            rows: list[object] = list(read_csv(source.path))
        else:
            rows = [json.loads(line) for line in source.path.read_text("utf-8").splitlines()]
        for row in rows:
            for tp in adapter.parse(row):
                out[person[written[_instant(tp)]]].append(tp.id)
    return out


NATIVE_PEOPLE = _native_people()
"""Who each touchpoint of examples/journeys/ belongs to (the same people as PEOPLE)."""


class TestChannelNativeSample:
    """examples/journeys/: the same story as each channel exports it, read by its adapter."""

    def test_every_record_is_accepted(self) -> None:
        hub = make_hub()
        report = _native(hub)
        assert (report.accepted, report.quarantined) == (68, ())
        assert dict(report.channels) == {
            "web": 24,
            "app": 15,
            "search_ad": 3,
            "display_ad": 5,
            "ctv": 1,
            "email": 9,
            "store": 4,
            "call_centre": 4,
            "social": 3,
        }

    def test_it_gives_the_people_of_the_written_sample(self) -> None:
        """Each native touchpoint is one of journeys.jsonl's (same instant); the people match."""
        hub = make_hub()
        _native(hub)
        assert sum(len(ids) for ids in NATIVE_PEOPLE.values()) == 68
        assert _partition(hub) == {frozenset(ids) for ids in NATIVE_PEOPLE.values()}

    def test_any_arrival_order_gives_the_same_contacts(self) -> None:
        first, second = make_hub(), make_hub()
        _native(first)
        _native(second, order=11)
        assert list(first.contacts()) == list(second.contacts())

    def test_a_complaint_on_social_then_a_call_is_one_open_case(self) -> None:
        """Oliver complains on Facebook, then calls: one contact, one open case, both channels."""
        hub = make_hub()
        _native(hub)
        oliver = hub.contact(oc.Identifier("social:facebook", "oliver.bennett.mcr"))
        assert hub.contact(oc.Identifier("phone", "+44 7911 123456")) == oliver
        (case,) = oliver.open_cases
        assert case.case_id == "CS-UK-2041"
        assert case.channels == ("social", "call_centre")
        assert len(case.touchpoint_ids) == 3
        assert case.category == "complaint"
