"""Channel paths to conversion and the channel transition matrix, on a worked example."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.analytics.paths import paths, transitions
from omnicontact.errors import AnalyticsError

from .conftest import NOW
from .test_funnels import contact

# P1: web, email, web, web (purchase), then app: a tail that does not convert
# P2: store (purchase)
# P3: web, web (purchase), store (purchase)
PEOPLE = [
    contact(
        "p1",
        (0, "page_view", "web"),
        (1, "email_open", "email"),
        (2, "page_view", "web"),
        (3, "purchase", "web"),
        (4, "screen_view", "app"),
    ),
    contact("p2", (0, "purchase", "store")),
    contact("p3", (0, "page_view", "web"), (1, "purchase", "web"), (2, "purchase", "store")),
]


class TestPaths:
    """The most frequent channel paths, one per conversion."""

    def test_paths_of_a_worked_example(self) -> None:
        """Four conversions: store twice, web once, web > email > web once (deduplicated)."""
        table = paths(PEOPLE, as_of=NOW)
        assert table.rows == (
            (("store",), 2, 0.5),
            (("web",), 1, 0.25),
            (("web", "email", "web"), 1, 0.25),
        )

    def test_without_dedupe_repeats_stay(self) -> None:
        """Without dedupe, P1's path keeps its two last web touchpoints and P3's its two."""
        table = paths(PEOPLE, as_of=NOW, dedupe=False, top=2)
        assert table.rows == ((("store",), 2, 0.5), (("web", "email", "web", "web"), 1, 0.25))

    def test_a_set_of_conversion_actions(self) -> None:
        """With email_open a conversion too, P1 converts twice: web > email, then web."""
        table = paths(PEOPLE, as_of=NOW, conversion={"purchase", "email_open"})
        assert {r[0]: r[1] for r in table.rows}[("web",)] == 2

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"top": 0}, "top"),
            ({"conversion": []}, "conversion"),
            ({"conversion": 3}, "conversion"),
        ],
    )
    def test_bad_arguments_are_named(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad argument gives an AnalyticsError naming it."""
        with pytest.raises(AnalyticsError, match=field):
            paths(PEOPLE, as_of=NOW, **kwargs)  # type: ignore[arg-type]

    def test_nobody_gives_no_paths(self) -> None:
        """No contacts, no conversions: an empty table."""
        assert len(paths([], as_of=NOW)) == 0


class TestTransitions:
    """From -> to counts and probabilities, with (start), (conversion) and (null)."""

    def test_matrix_of_a_worked_example(self) -> None:
        """Five walks: three end in (conversion) from web and store, P1's tail in (null)."""
        table = transitions(PEOPLE, as_of=NOW)
        counts = {(r[0], r[1]): r[2] for r in table.rows}
        assert counts == {
            ("(start)", "web"): 2,
            ("(start)", "app"): 1,
            ("(start)", "store"): 2,
            ("web", "email"): 1,
            ("web", "web"): 2,
            ("web", "(conversion)"): 2,
            ("email", "web"): 1,
            ("app", "(null)"): 1,
            ("store", "(conversion)"): 2,
        }
        probability = {(r[0], r[1]): r[3] for r in table.rows}
        assert probability["(start)", "web"] == 2 / 5
        assert probability["web", "(conversion)"] == 2 / 5
        assert probability["app", "(null)"] == 1.0
        assert table.rows[0][0] == "(start)"
        assert table.column("from")[-1] == "web"

    def test_dedupe_drops_self_transitions(self) -> None:
        """Collapsed repeats: no web -> web."""
        table = transitions(PEOPLE, as_of=NOW, dedupe=True)
        assert ("web", "web") not in {(r[0], r[1]) for r in table.rows}


ACTIONS = ("page_view", "purchase")
CHANNELS = ("web", "app", "store")


@st.composite
def populations(draw: st.DrawFn) -> list[oc.Contact]:
    events = st.tuples(st.integers(0, 30), st.sampled_from(ACTIONS), st.sampled_from(CHANNELS))
    return [
        contact(f"p{i}", *draw(st.lists(events, min_size=1, max_size=6)))
        for i in range(draw(st.integers(0, 6)))
    ]


class TestInvariants:
    """Properties for any population."""

    @given(populations(), st.randoms(use_true_random=False))
    def test_paths_count_every_conversion_whatever_the_order(
        self, people: list[oc.Contact], rnd: random.Random
    ) -> None:
        """All paths add up to the purchases; shares in [0, 1]; contact order is irrelevant."""
        table = paths(people, as_of=NOW, top=None)
        purchases = sum(tp.action == "purchase" for c in people for tp in c.timeline)
        assert sum(table.column("conversions")) == purchases
        assert all(0 <= s <= 1 for s in table.column("share"))
        rnd.shuffle(people)
        assert paths(people, as_of=NOW, top=None) == table
        matrix = transitions(people, as_of=NOW)
        into = sum(r[2] for r in matrix.rows if r[1] == "(conversion)")
        assert into == purchases
        out_of: dict[str, float] = {}
        for row in matrix.rows:
            out_of[row[0]] = out_of.get(row[0], 0) + row[3]
        assert all(abs(total - 1) < 1e-9 for total in out_of.values())
