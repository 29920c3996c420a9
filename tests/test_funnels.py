"""Funnels (ordered, strict, any), their windows and breakdowns, retention and the timeline.

Every expected number is worked out by hand in the test from the journeys
written there, not copied from the code's output.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.analytics.funnels import funnel, percentile, retention
from omnicontact.analytics.timeline import timeline
from omnicontact.errors import AnalyticsError

from .conftest import NOW, make_hub

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def tp(
    person: str, n: int, day: float, action: str, channel: str = "web", **props: object
) -> oc.Touchpoint:
    """Return touchpoint *n* of *person* (known by a cookie), *day* days after T0."""
    return oc.Touchpoint(
        f"{person}-{n}",
        T0 + day * DAY,
        channel,
        action,
        identifiers=[oc.Identifier("cookie_id", f"ck-{person}")],
        properties=props or None,
    )


def contact(person: str, *events: tuple[float, str, str]) -> oc.Contact:
    """Return a bare contact (no hub) with touchpoints ``(day, action, channel)``."""
    timeline = [
        tp(person, i, day, action, channel) for i, (day, action, channel) in enumerate(events)
    ]
    return oc.Contact(person, (), {}, timeline)


# A: page_view d0, signup d1, purchase d4
# B: page_view d0, purchase d1, signup d2
# C: signup d0, page_view d1
# D: purchase d0
PEOPLE = [
    contact("a", (0, "page_view", "web"), (1, "signup", "web"), (4, "purchase", "store")),
    contact("b", (0, "page_view", "search_ad"), (1, "purchase", "web"), (2, "signup", "web")),
    contact("c", (40, "signup", "app"), (41, "page_view", "web")),
    contact("d", (0, "purchase", "store")),
]
STEPS = ["page_view", "signup", "purchase"]


class TestOrdered:
    """Ordered funnels: steps in order, anything in between, anchored at the first step 1."""

    def test_counts_conversions_and_times_of_a_worked_example(self) -> None:
        """A reaches 3 steps, B 2 (its purchase came before signing up), C 1, D none."""
        result = funnel(PEOPLE, STEPS, as_of=NOW)
        assert result.contacts == (3, 2, 1)
        assert result.conversion == (1.0, 2 / 3, 1 / 2)
        assert result.overall == (1.0, 2 / 3, 1 / 3)
        # signup: A after 1 day, B after 2 days; median 1.5 d, p90 1 + 0.9 * 1 = 1.9 d
        assert result.median_time[1] == 1.5 * DAY
        assert result.p90_time[1] == 1.9 * DAY
        assert result.median_time[2] == result.p90_time[2] == 4 * DAY
        assert result.median_time[0] == timedelta(0)

    def test_the_table_has_one_row_per_step(self) -> None:
        """The table holds the attributes, step numbers from 1."""
        table = funnel(PEOPLE, STEPS, as_of=NOW).table
        assert table.columns[:5] == ("step", "label", "contacts", "conversion", "overall")
        assert table.column("step") == [1, 2, 3]
        assert table.column("contacts") == [3, 2, 1]
        assert table.column("label") == STEPS

    def test_a_window_counts_from_the_first_step_one(self) -> None:
        """Within 2 days, inclusive: signups after 1 d (A) and 2 d (B) count, A's purchase not."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, window=2 * DAY)
        assert result.contacts == (3, 2, 0)
        assert result.overall[2] == 0.0

    def test_a_step_may_be_a_set_of_actions(self) -> None:
        """{signup, purchase} then page_view: A (signup d1, no page_view after) fails, C passes."""
        result = funnel(PEOPLE, [{"signup", "purchase"}, "page_view"], as_of=NOW)
        # A: first of the set at d1, no later page_view; B: purchase d1, none later;
        # C: signup d40, page_view d41; D: purchase, nothing after.
        assert result.steps == ("purchase | signup", "page_view")
        assert result.contacts == (4, 1)

    def test_only_touchpoints_up_to_as_of_count(self) -> None:
        """As of day 3, A has not bought yet and C has not been seen at all."""
        result = funnel(PEOPLE, STEPS, as_of=T0 + 3 * DAY)
        assert result.contacts == (2, 2, 0)


class TestStrictAndAny:
    """Strict (no event between steps, best attempt) and any order (k distinct steps)."""

    def test_strict_allows_no_other_event_between_steps(self) -> None:
        """A goes through; B's purchase breaks its run; C's page_view is its last event."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, mode="strict")
        assert result.contacts == (3, 1, 1)

    def test_strict_tries_every_step_one(self) -> None:
        """page_view, page_view, signup: the second page_view's attempt converts."""
        person = contact(
            "e", (0, "page_view", "web"), (1, "page_view", "web"), (3, "signup", "web")
        )
        result = funnel([person], ["page_view", "signup"], as_of=NOW, mode="strict")
        assert result.contacts == (1, 1)
        assert result.median_time[1] == 2 * DAY  # from the attempt's own step 1
        ordered = funnel([person], ["page_view", "signup"], as_of=NOW)
        assert ordered.median_time[1] == 3 * DAY  # from the first step 1

    def test_any_counts_distinct_steps_in_any_order(self) -> None:
        """A and B did all three, C two of them, D one."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, mode="any")
        assert result.contacts == (4, 3, 2)
        assert result.conversion == (1.0, 3 / 4, 2 / 3)
        # the third step: A at d4, B at d2 from their first matching event
        assert result.median_time[2] == 3 * DAY

    def test_any_with_a_window_anchored_at_the_first_matching_event(self) -> None:
        """Within one day of their first event: A 2 steps, B 2, C 2, D 1."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, mode="any", window=DAY)
        assert result.contacts == (4, 3, 0)


class TestStageFunnels:
    """Funnels over the stages of a track, from the contacts' stage histories."""

    def _hub(self) -> oc.Hub:
        hub = make_hub()
        ann = oc.Identifier("email", "ann@example.com")
        hub.add(tp("ann", 0, 0, "page_view"))
        hub.add(
            oc.Touchpoint(
                "ann-1",
                T0 + DAY,
                "web",
                "signup",
                identifiers=[oc.Identifier("cookie_id", "ck-ann"), ann],
            )
        )
        hub.add(oc.Touchpoint("ann-2", T0 + 3 * DAY, "store", "purchase", identifiers=[ann]))
        hub.add(tp("bob", 0, 0, "page_view"))
        hub.add(tp("bob", 1, 2, "purchase"))  # bought without ever being identified
        hub.add(tp("cid", 0, 5, "page_view"))
        return hub

    def test_a_step_is_reached_by_entering_the_stage(self) -> None:
        """suspect → prospect → customer: Ann goes through; Bob skips prospect; Cid stays."""
        result = funnel(
            self._hub(), ["suspect", "prospect", "customer"], as_of=NOW, track="extended_crm"
        )
        assert result.contacts == (3, 1, 1)
        assert result.median_time[1] == DAY
        assert result.median_time[2] == 3 * DAY
        assert result.track == "extended_crm"

    def test_any_order_over_stages(self) -> None:
        """suspect and customer in any order: Ann and Bob both entered both."""
        result = funnel(
            self._hub(), ["customer", "suspect"], as_of=NOW, track="extended_crm", mode="any"
        )
        assert result.contacts == (3, 2)

    def test_unknown_track_and_stage_are_named(self) -> None:
        """A misspelt track or stage raises AnalyticsError naming it."""
        hub = self._hub()
        with pytest.raises(AnalyticsError, match="nosuch"):
            funnel(hub, ["suspect"], as_of=NOW, track="nosuch")
        with pytest.raises(AnalyticsError, match=r"steps\[1\].*custmer"):
            funnel(hub, ["suspect", "custmer"], as_of=NOW, track="extended_crm")

    def test_bare_contacts_have_no_tracks(self) -> None:
        """Contacts not built by a hub cannot be put through a stage funnel."""
        with pytest.raises(AnalyticsError, match="track"):
            funnel(PEOPLE, ["suspect"], as_of=NOW, track="extended_crm")


class TestBreakdownAndErrors:
    """Breakdowns by first channel and cohort; bad arguments; empty populations."""

    def test_breakdown_by_first_channel(self) -> None:
        """A and C (web, app first) and B (search_ad first) split into groups."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, breakdown="first_channel")
        assert result.breakdown is not None
        rows = {
            (r["first_channel"], r["step"]): r["contacts"] for r in result.breakdown.to_records()
        }
        # A first on web: 3 steps; B first on search_ad: 2; C first on app: 1; D (store): 0
        assert rows[("web", 1)] == 1
        assert rows[("web", 3)] == 1
        assert rows[("search_ad", 2)] == 1
        assert rows[("search_ad", 3)] == 0
        assert rows[("app", 1)] == 1
        assert ("store", 1) not in rows  # D reached no step

    def test_breakdown_by_cohort(self) -> None:
        """A and B were first seen in March 2026, C in April (day 40)."""
        result = funnel(PEOPLE, STEPS, as_of=NOW, breakdown="cohort")
        assert result.breakdown is not None
        rows = {(r["cohort"], r["step"]): r["contacts"] for r in result.breakdown.to_records()}
        assert rows == {
            ("2026-03", 1): 2,
            ("2026-03", 2): 2,
            ("2026-03", 3): 1,
            ("2026-04", 1): 1,
            ("2026-04", 2): 0,
            ("2026-04", 3): 0,
        }

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"steps": []}, "steps"),
            ({"steps": "page_view"}, "steps"),
            ({"steps": [set()]}, r"steps\[0\]"),
            ({"window": timedelta(0)}, "window"),
            ({"window": -DAY}, "window"),
            ({"mode": "loose"}, "mode"),
            ({"breakdown": "country"}, "breakdown"),
            ({"as_of": datetime(2026, 6, 1)}, "as_of"),
        ],
    )
    def test_bad_arguments_are_named(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad argument gives an AnalyticsError naming it."""
        args: dict[str, object] = {"steps": STEPS, "as_of": NOW, **kwargs}
        with pytest.raises(AnalyticsError, match=field):
            funnel(PEOPLE, **args)  # type: ignore[arg-type]

    def test_an_empty_population_gives_zeros_and_no_rates(self) -> None:
        """Nobody: counts 0, rates and times None, never a division by zero."""
        result = funnel(make_hub(), STEPS, as_of=NOW, breakdown="cohort")
        assert result.contacts == (0, 0, 0)
        assert result.conversion == (None, None, None)
        assert result.median_time == (None, None, None)
        assert result.breakdown is not None
        assert len(result.breakdown) == 0

    def test_percentile_interpolates_between_closest_ranks(self) -> None:
        """Type 7: position q * (n - 1) in the sorted values."""
        values = [4 * DAY, DAY, 3 * DAY, 2 * DAY]
        assert percentile(values, 0.5) == 2.5 * DAY
        assert percentile(values, 0.9) == 3.7 * DAY
        assert percentile(values, 1.0) == 4 * DAY
        assert percentile([], 0.5) is None


ACTIONS = ("page_view", "signup", "purchase", "email_open")


@st.composite
def populations(draw: st.DrawFn) -> list[oc.Contact]:
    people = []
    for i in range(draw(st.integers(0, 8))):
        events = draw(
            st.lists(
                st.tuples(st.integers(0, 60), st.sampled_from(ACTIONS), st.just("web")),
                min_size=1,
                max_size=8,
            )
        )
        people.append(contact(f"p{i}", *events))
    return people


class TestInvariants:
    """Properties that hold for any population."""

    @given(populations(), st.sampled_from(["ordered", "strict"]), st.integers(0, 10))
    def test_counts_never_grow_along_the_steps(
        self, people: list[oc.Contact], mode: str, window_days: int
    ) -> None:
        """Ordered and strict: each step's count is at most the previous one's; shares in [0, 1]."""
        window = window_days * DAY if window_days else None
        result = funnel(
            people, ["page_view", "signup", "purchase"], as_of=NOW, mode=mode, window=window
        )
        assert list(result.contacts) == sorted(result.contacts, reverse=True)
        for share in (*result.conversion, *result.overall):
            assert share is None or 0 <= share <= 1

    @given(populations(), st.randoms(use_true_random=False))
    def test_results_do_not_depend_on_contact_order(
        self, people: list[oc.Contact], rnd: random.Random
    ) -> None:
        """Shuffling the contacts changes nothing."""
        steps = ["page_view", {"signup", "email_open"}, "purchase"]
        before = funnel(people, steps, as_of=NOW, breakdown="first_channel", mode="any")
        rnd.shuffle(people)
        assert funnel(people, steps, as_of=NOW, breakdown="first_channel", mode="any") == before

    @given(populations())
    def test_strict_never_beats_ordered_nor_ordered_any(self, people: list[oc.Contact]) -> None:
        """Without a window: strict <= ordered <= any at every step."""
        counts = [
            funnel(people, ACTIONS[:3], as_of=NOW, mode=m).contacts
            for m in ("strict", "ordered", "any")
        ]
        for strict, ordered, anyway in zip(*counts, strict=True):
            assert strict <= ordered <= anyway


class TestRetention:
    """Cohorts by first-seen period; share active in each later period."""

    PEOPLE = (
        contact("x", (0, "page_view", "web"), (31, "purchase", "web")),  # Mar 2, Apr 2
        contact("y", (1, "page_view", "web"), (61, "page_view", "app")),  # Mar 3, May 2
        contact("z", (31, "signup", "web")),  # Apr 2
    )
    AS_OF = datetime(2026, 5, 15, tzinfo=timezone.utc)

    def test_monthly_retention_of_a_worked_example(self) -> None:
        """March: 2 people, 1 back in April, 1 in May; April: 1, not back in May; June unknown."""
        table = retention(self.PEOPLE, as_of=self.AS_OF)
        assert table.columns == ("cohort", "contacts", "period_0", "period_1", "period_2")
        assert table.rows == (("2026-03", 2, 1.0, 0.5, 0.5), ("2026-04", 1, 1.0, 0.0, None))

    def test_retention_on_one_action(self) -> None:
        """Only purchases: x bought in April (period 1 of March)."""
        table = retention(self.PEOPLE, as_of=self.AS_OF, action="purchase")
        assert table.rows == (("2026-03", 2, 0.0, 0.5, 0.0), ("2026-04", 1, 0.0, 0.0, None))

    def test_weekly_retention(self) -> None:
        """T0 is Monday 2 March 2026 (ISO week 10); z's cohort is week 14."""
        table = retention(self.PEOPLE, as_of=T0 + 31 * DAY, period="week")
        assert table.column("cohort") == ["2026-W10", "2026-W14"]
        march = table.rows[0]
        assert march[1:4] == (2, 1.0, 0.0)
        assert march[-1] == 0.5  # x came back in week 14, period 4
        assert table.rows[1][2:] == (1.0, None, None, None, None)

    def test_empty_and_bad_period(self) -> None:
        """No contacts: no cohorts; an unknown period is named."""
        assert len(retention([], as_of=NOW)) == 0
        with pytest.raises(AnalyticsError, match="period"):
            retention([], as_of=NOW, period="fortnight")


class TestTimeline:
    """One contact's timeline across channels, with cases and stage changes."""

    def test_rows_carry_channels_cases_and_the_stages_entered(self) -> None:
        """A visit, a sign-up (prospect), a call about a case, a purchase (customer)."""
        hub = make_hub()
        ann = oc.Identifier("email", "ann@example.com")
        hub.add(tp("ann", 0, 0, "page_view"))
        hub.add(
            oc.Touchpoint(
                "ann-1",
                T0 + DAY,
                "web",
                "signup",
                identifiers=[oc.Identifier("cookie_id", "ck-ann"), ann],
            )
        )
        hub.add(
            oc.Touchpoint(
                "ann-2",
                T0 + 2 * DAY,
                "call_centre",
                "call",
                identifiers=[ann],
                properties={"case_id": 77},
            )
        )
        hub.add(oc.Touchpoint("ann-3", T0 + 3 * DAY, "store", "purchase", identifiers=[ann]))
        person = hub.contact(ann)
        assert person is not None
        table = timeline(person, as_of=NOW)
        assert table.column("touchpoint_id") == ["ann-0", "ann-1", "ann-2", "ann-3"]
        assert table.column("channel") == ["web", "web", "call_centre", "store"]
        assert table.column("case_id") == [None, None, "77", None]
        changes = table.column("stage_changes")
        assert "extended_crm: suspect" in changes[0]
        assert "extended_crm: prospect" in changes[1]
        assert changes[2] == ()
        assert "extended_crm: customer" in changes[3]
        cut = timeline(person, as_of=T0 + DAY)
        assert cut.column("touchpoint_id") == ["ann-0", "ann-1"]

    def test_a_time_based_change_gets_its_own_row(self) -> None:
        """A customer with no purchase for a year lapses: a row at that time, no touchpoint."""
        hub = make_hub()
        hub.add(tp("bob", 0, 0, "purchase"))
        person = hub.contact(oc.Identifier("cookie_id", "ck-bob"))
        assert person is not None
        table = timeline(person, as_of=T0 + 400 * DAY)
        assert len(table) == 2
        lapse = table.rows[1]
        assert lapse[0] == T0 + 365 * DAY
        assert lapse[1:5] == (None, None, None, None)
        assert lapse[5] == ("extended_crm: lapsed",)
