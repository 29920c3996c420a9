"""Key indicators on a small hub whose numbers are worked out by hand below."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.analytics.kpis import (
    cross_channel_cases,
    cross_channel_contacts,
    kpis,
    nps,
    recognition_rate,
    stage_conversion,
    time_in_stage,
)
from omnicontact.errors import AnalyticsError

from .conftest import NOW, make_hub

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
ALICE = oc.Identifier("email", "alice@example.com")
BOB = oc.Identifier("email", "bob@example.com")
DANA = oc.Identifier("email", "dana@example.com")
CARL = oc.Identifier("cookie_id", "ck-carl")


def tp(
    tp_id: str, day: int, channel: str, action: str, *ids: oc.Identifier, **props: Any
) -> oc.Touchpoint:
    return oc.Touchpoint(
        tp_id, T0 + day * DAY, channel, action, identifiers=ids, properties=props or None
    )


def build() -> oc.Hub:
    hub = make_hub()
    cookie = oc.Identifier("cookie_id", "ck-alice")
    for item in (
        # Alice: 6 touchpoints on web, call_centre, email; case K1 on two channels;
        # answers 3 then 10 (the latest, 10, counts)
        tp("a0", 0, "web", "page_view", cookie),
        tp("a1", 1, "web", "signup", cookie, ALICE),
        tp("a2", 2, "call_centre", "call", ALICE, case_id="K1"),
        tp("a3", 3, "email", "case_update", ALICE, case_id="K1"),
        tp("a4", 4, "email", "nps_response", ALICE, score=3),
        tp("a5", 5, "web", "page_view", ALICE, nps=10),
        # Bob: identified from his first touchpoint, buys, then a promoter answer
        tp("b0", 0, "web", "signup", BOB),
        tp("b1", 2, "store", "purchase", BOB),
        tp("b2", 4, "email", "survey_response", BOB, score=9),
        # Carl: anonymous, web only; a score on a page view is no answer
        tp("c0", 0, "web", "page_view", CARL, score=10),
        tp("c1", 1, "web", "page_view", CARL),
        # Dana: app only, case K2 on one channel; answers abc (none), 7, then 11 (none)
        tp("d0", 0, "app", "signup", DANA),
        tp("d1", 1, "app", "screen_view", DANA, nps="abc", case_id="K2"),
        tp("d2", 2, "app", "screen_view", DANA, nps=7),
        tp("d3", 3, "app", "screen_view", DANA, nps=11),
    ):
        hub.add(item)
    return hub


class TestWorkedExample:
    """Each indicator on the hub above."""

    def test_recognition_rate(self) -> None:
        """Carl's 2 of the 15 touchpoints are anonymous: 13 / 15."""
        assert recognition_rate(build(), as_of=NOW) == 13 / 15

    def test_cross_channel_contacts_and_cases(self) -> None:
        """Alice and Bob of four use 2+ channels; case K1 of K1 and K2 spans two."""
        hub = build()
        assert cross_channel_contacts(hub, as_of=NOW) == (2, 0.5)
        assert cross_channel_cases(hub, as_of=NOW) == (1, 0.5)
        # as of day 2, K1 has only its call: no case spans two channels yet
        assert cross_channel_cases(hub, as_of=T0 + 2 * DAY) == (0, 0.0)

    def test_nps_from_the_latest_answers(self) -> None:
        """Promoters Alice (10) and Bob (9), passive Dana (7), no detractor: 2 / 3 * 100."""
        hub = build()
        assert nps(hub, as_of=NOW) == pytest.approx(200 / 3)
        # as of day 4: Alice's latest answer is 3 (detractor), Bob 9, Dana 7: 0
        assert nps(hub, as_of=T0 + 4 * DAY) == 0.0
        assert nps(hub, as_of=T0) is None  # nobody answered yet

    def test_stage_conversion(self) -> None:
        """All 4 suspects; Alice, Bob, Dana prospects; Bob alone customer and ambassador."""
        table = stage_conversion(build(), as_of=NOW)
        assert table.rows == (
            ("extended_crm", "suspect", "prospect", 4, 3, 0.75),
            ("extended_crm", "prospect", "customer", 3, 1, 1 / 3),
            ("extended_crm", "customer", "ambassador", 1, 1, 1.0),
        )

    def test_time_in_stage(self) -> None:
        """Customer: Bob from day 2 to 4; prospect: Alice and Dana still, Bob 2 days."""
        rows = {r[1]: r[2:] for r in time_in_stage(build(), as_of=NOW).rows}
        assert rows["customer"] == (1, 2 * DAY)
        assert rows["prospect"] == (3, ((NOW - T0 - DAY) + 2 * DAY + (NOW - T0)) / 3)
        assert rows["suspect"] == (4, (DAY + (NOW - T0)) / 4)
        assert rows["lapsed"] == (0, None)

    def test_kpis_gathers_every_indicator(self) -> None:
        """The table's values are the functions' values."""
        hub = build()
        values = dict(
            zip(*[kpis(hub, as_of=NOW).column(c) for c in ("name", "value")], strict=True)
        )
        assert values["recognition_rate"] == 13 / 15
        assert values["cross_channel_contacts"] == 2
        assert values["cross_channel_cases_share"] == 0.5
        assert values["nps"] == pytest.approx(200 / 3)
        assert values["stage_conversion:prospect>customer"] == 1 / 3
        assert values["time_in_stage:customer"] == 2 * DAY
        assert all(kpis(hub, as_of=NOW).column("definition"))

    def test_another_track(self) -> None:
        """inbound: Carl is a visitor too; stranger -> visitor is everyone who visited."""
        table = stage_conversion(build(), as_of=NOW, track="inbound")
        assert table.rows[0][1:3] == ("stranger", "visitor")


class TestEdges:
    """Nobody, unknown tracks, answers that are not."""

    def test_an_empty_hub_has_no_rates(self) -> None:
        """Rates over nobody are None; counts 0."""
        hub = make_hub()
        assert recognition_rate(hub, as_of=NOW) is None
        assert cross_channel_contacts(hub, as_of=NOW) == (0, None)
        assert cross_channel_cases(hub, as_of=NOW) == (0, None)
        assert nps(hub, as_of=NOW) is None
        values = dict(
            zip(*[kpis(hub, as_of=NOW).column(c) for c in ("name", "value")], strict=True)
        )
        assert values["stage_conversion:suspect>prospect"] is None

    def test_unknown_track_is_named(self) -> None:
        """An unknown track raises AnalyticsError naming it."""
        with pytest.raises(AnalyticsError, match="nosuch"):
            kpis(build(), as_of=NOW, track="nosuch")
        with pytest.raises(AnalyticsError, match="nosuch"):
            time_in_stage(build(), as_of=NOW, track="nosuch")

    def test_nps_property_wins_over_a_survey_score(self) -> None:
        """A survey with nps 5 and score 10 is a detractor's answer: -100."""
        item = tp("s", 0, "email", "survey_response", BOB, nps=5, score=10)
        assert nps([oc.Contact("x", (), {}, [item])], as_of=NOW) == -100.0

    def test_bare_contacts_have_kpis_but_no_stages(self) -> None:
        """Contacts not built by a hub: the touchpoint indicators, no stage rows."""
        item = tp("s", 0, "email", "survey_response", BOB, score=10)
        table = kpis([oc.Contact("x", (), {}, [item])], as_of=NOW)
        values = dict(zip(table.column("name"), table.column("value"), strict=True))
        assert values["nps"] == 100.0
        assert not any(name.startswith("stage_conversion") for name in values)


@given(st.lists(st.integers(0, 10), max_size=12))
def test_nps_stays_within_bounds(scores: list[int]) -> None:
    """Any answers: NPS in [-100, 100], None without answers; promoters count as by hand."""
    people = [
        oc.Contact(f"p{i}", (), {}, [tp(f"p{i}", 0, "web", "nps_response", score=s)])
        for i, s in enumerate(scores)
    ]
    value = nps(people, as_of=NOW)
    if not scores:
        assert value is None
    else:
        expected = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
        assert value == pytest.approx(expected)
        assert -100 <= value <= 100
