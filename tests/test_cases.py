"""Cases that follow the person across channels: one contact, one case."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.cases import cases_of

from .conftest import make_hub

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def tp(
    tid: str,
    hours: int,
    channel: str,
    action: str,
    *idents: tuple[str, str],
    **properties: object,
) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=tid,
        occurred_at=T0 + timedelta(hours=hours),
        channel=channel,
        action=action,
        identifiers=[oc.Identifier(k, v) for k, v in idents],
        properties=properties,
    )


COMPLAINT = tp(
    "fb-1",
    0,
    "social",
    "ticket_opened",
    ("social:facebook", "ann.lee"),
    ("email", "ann@example.com"),
    case_id="C-1",
    category="complaint",
)
CALL = tp(
    "call-1", 20, "call_centre", "call", ("phone", "+33612345678"), ("email", "ann@example.com")
)
SOLVED = tp("call-2", 26, "call_centre", "ticket_solved", ("phone", "+33612345678"), case_id="C-1")


class TestAcrossChannels:
    def test_a_complaint_on_social_media_is_seen_by_the_call_centre(self) -> None:
        """She complains on Facebook, then calls: the agent finds her by phone, with the case."""
        hub = make_hub()
        hub.add(COMPLAINT)
        hub.add(CALL)
        seen_by_agent = hub.contact(oc.Identifier("phone", "+33 6 12 34 56 78"))
        assert seen_by_agent.touchpoint_ids == ("fb-1", "call-1")
        (case,) = seen_by_agent.open_cases
        assert (case.case_id, case.status, case.category) == ("C-1", "open", "complaint")
        assert case.channels == ("social",)

    def test_the_case_is_solved_on_another_channel(self) -> None:
        hub = make_hub()
        hub.add_many([COMPLAINT, CALL, SOLVED])
        contact = hub.contact(oc.Identifier("email", "ann@example.com"))
        (case,) = contact.cases
        assert case.status == "solved"
        assert not case.is_open
        assert contact.open_cases == ()
        assert case.channels == ("social", "call_centre")
        assert case.touchpoint_ids == ("fb-1", "call-2")
        assert (case.opened_at, case.updated_at) == (COMPLAINT.occurred_at, SOLVED.occurred_at)

    def test_a_case_moves_with_its_touchpoint_when_contacts_merge(self) -> None:
        """An anonymous chat opens a case; the visitor signs up later: the case is hers."""
        hub = make_hub()
        hub.add(tp("chat-1", 0, "web", "message", ("cookie_id", "ck-9"), case_id="R-7"))
        hub.add(tp("mail-1", 1, "email", "email_open", ("email", "bo@example.com")))
        hub.add(
            tp("signup", 2, "web", "signup", ("cookie_id", "ck-9"), ("email", "bo@example.com"))
        )
        bo = hub.contact(oc.Identifier("email", "bo@example.com"))
        assert [c.case_id for c in bo.open_cases] == ["R-7"]

    def test_a_split_gives_each_side_its_own_cases(self) -> None:
        hub = make_hub()
        hub.add_many(
            [
                tp("a", 0, "store", "ticket_opened", ("customer_id", "K1"), case_id="A"),
                tp("b", 1, "web", "ticket_opened", ("customer_id", "K1"), case_id="B"),
            ]
        )
        contact = hub.contact(oc.Identifier("customer_id", "K1"))
        assert [c.case_id for c in contact.cases] == ["A", "B"]
        left, right = hub.split(contact, [["a"], ["b"]])
        assert [c.case_id for c in left.cases] == ["A"]
        assert [c.case_id for c in right.cases] == ["B"]

    def test_status_comes_from_the_latest_touchpoint_by_event_time(self) -> None:
        """A reopening after a closing keeps the case open, whatever the arrival order."""
        stream = [
            tp("o", 0, "email", "ticket_opened", ("email", "c@example.com"), case_id="Z"),
            tp("c", 1, "email", "ticket_closed", ("email", "c@example.com"), case_id="Z"),
            tp("r", 2, "chat", "ticket_reopened", ("email", "c@example.com"), case_id="Z"),
        ]
        for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
            hub = make_hub()
            hub.add_many([stream[i] for i in order])
            (case,) = hub.contact(oc.Identifier("email", "c@example.com")).cases
            assert case.status == "open"
            assert case.touchpoint_ids == ("o", "c", "r")


class TestDefinition:
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["A", "B", 7]),
                st.sampled_from([None, "open", "pending", "Solved", "closed"]),
                st.sampled_from(["message", "ticket_closed", "ticket_reopened", "call"]),
                st.integers(0, 50),
            ),
            max_size=12,
        ),
        st.randoms(use_true_random=False),
    )
    def test_cases_are_a_function_of_the_timeline(
        self, rows: list[tuple[object, str | None, str, int]], rnd: random.Random
    ) -> None:
        """The same touchpoints in any order give the same cases; every carried case is there."""
        touchpoints = []
        for n, (case_id, status, action, hours) in enumerate(rows):
            properties: dict[str, object] = {"case_id": case_id}
            if status is not None:
                properties["status"] = status
            touchpoints.append(tp(f"t{n:02d}", hours, "web", action, **properties))
        ordered = sorted(touchpoints, key=lambda t: (t.occurred_at, t.id))
        shuffled = touchpoints[:]
        rnd.shuffle(shuffled)
        cases = cases_of(ordered)
        assert cases == cases_of(sorted(shuffled, key=lambda t: (t.occurred_at, t.id)))
        assert {c.case_id for c in cases} == {str(r[0]) for r in rows}
        assert sum(len(c.touchpoint_ids) for c in cases) == len(rows)
        for case in cases:
            last = [t for t in ordered if str(t.properties["case_id"]) == case.case_id][-1]
            if "status" in last.properties:
                assert case.status == str(last.properties["status"]).lower()

    def test_touchpoints_without_a_case_id_make_no_case(self) -> None:
        assert (
            cases_of(
                [
                    CALL,
                    tp("x", 1, "web", "visit", case_id="  "),
                    tp("y", 2, "web", "v", case_id=True),
                ]
            )
            == ()
        )
