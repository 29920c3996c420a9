"""Conversion journeys and attribution models, against worked examples computed by hand."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.analytics.attribution import ATTRIBUTION_MODELS, attribute, attribution
from omnicontact.analytics.journeys import Journey, journeys
from omnicontact.analytics.markov import CONVERSION, NULL, START, markov_chain
from omnicontact.errors import AnalyticsError

from .conftest import NOW, make_hub

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def tp(
    number: int,
    day: float,
    channel: str,
    action: str = "page_view",
    **properties: object,
) -> oc.Touchpoint:
    """A touchpoint *day* days after T0."""
    return oc.Touchpoint(
        id=f"tp-{number}",
        occurred_at=T0 + day * DAY,
        channel=channel,
        action=action,
        properties=properties or None,
    )


def contact(contact_id: str, *touchpoints: oc.Touchpoint) -> oc.Contact:
    """A contact built directly from its touchpoints (no hub)."""
    return oc.Contact(contact_id, (), {}, touchpoints)


def conv(*touches: str, value: float = 0.0) -> Journey:
    """A converting journey without times."""
    return Journey("c", touches, converted=True, value=value)


def lost(*touches: str) -> Journey:
    """A journey that did not convert."""
    return Journey("c", touches)


# --------------------------------------------------------------------------
# journeys
# --------------------------------------------------------------------------


class TestJourneys:
    """Which touches lead to which conversion."""

    def test_conversion_is_the_last_touch(self) -> None:
        """A conversion ends a journey of the touches before it and its own channel."""
        person = contact(
            "c1",
            tp(1, 0, "search_ad", "ad_click"),
            tp(2, 1, "web"),
            tp(3, 2, "store", "purchase", amount=98.0, currency="EUR"),
        )
        (journey,) = journeys([person], as_of=NOW)
        assert journey.contact_id == "c1"
        assert journey.touches == ("search_ad", "web", "store")
        assert journey.converted
        assert journey.value == 98.0
        assert journey.converted_at == T0 + 2 * DAY
        assert journey.times == (T0, T0 + DAY, T0 + 2 * DAY)

    def test_journeys_split_at_each_conversion_and_keep_the_tail(self) -> None:
        """Touches after a conversion go to the next; those after the last one do not convert."""
        person = contact(
            "c1",
            tp(1, 0, "email"),
            tp(2, 1, "web", "purchase", revenue=10),
            tp(3, 2, "app"),
            tp(4, 3, "app", "purchase"),
            tp(5, 4, "social"),
            tp(6, 5, "email"),
        )
        found = journeys([person], as_of=NOW)
        assert [(j.touches, j.converted, j.value) for j in found] == [
            (("email", "web"), True, 10.0),
            (("app", "app"), True, 0.0),
            (("social", "email"), False, 0.0),
        ]
        assert found[2].converted_at is None

    def test_lookback_keeps_recent_touches_only(self) -> None:
        """Only touches at most `lookback` before the conversion count (the bound included)."""
        person = contact(
            "c1",
            tp(1, 0, "display_ad"),
            tp(2, 20, "email"),
            tp(3, 30, "web", "purchase"),
            tp(4, 40, "social"),
            tp(5, 60, "ctv"),
            tp(6, 61, "web"),
        )
        found = journeys([person], as_of=NOW, lookback=timedelta(days=10))
        assert [j.touches for j in found] == [("email", "web"), ("ctv", "web")]
        everything = journeys([person], as_of=NOW, lookback=None)
        assert [j.touches for j in everything] == [
            ("display_ad", "email", "web"),
            ("social", "ctv", "web"),
        ]

    def test_as_of_ignores_later_touchpoints(self) -> None:
        """A purchase after as_of does not exist yet: its touches form a non-converting journey."""
        person = contact("c1", tp(1, 0, "web"), tp(2, 5, "web", "purchase"))
        (journey,) = journeys([person], as_of=T0 + DAY)
        assert journey.touches == ("web",)
        assert not journey.converted
        assert journeys([person], as_of=T0 - DAY) == ()

    def test_channels_filter_and_empty_journeys(self) -> None:
        """Only the chosen channels are touches; a journey with none is dropped."""
        person = contact(
            "c1",
            tp(1, 0, "email"),
            tp(2, 1, "store", "purchase"),
            tp(3, 2, "web"),
            tp(4, 3, "store", "purchase"),
            tp(5, 4, "web"),
        )
        found = journeys([person], as_of=NOW, channels={"email", "SMS"})
        assert [(j.touches, j.converted) for j in found] == [(("email",), True)]

    def test_several_conversion_actions(self) -> None:
        """conversion may name a set of actions."""
        person = contact("c1", tp(1, 0, "web", "signup"), tp(2, 1, "app", "purchase"))
        found = journeys([person], as_of=NOW, conversion={"signup", "purchase"})
        assert [j.touches for j in found] == [("web",), ("app",)]

    def test_value_properties_and_function(self) -> None:
        """The value is the first number among amount, revenue, total, value; or a function's."""
        person = contact(
            "c1",
            tp(1, 0, "web", "purchase", amount="n/a", total=12.5, value=99),
            tp(2, 1, "web", "purchase", amount=True),
        )
        assert [j.value for j in journeys([person], as_of=NOW)] == [12.5, 0.0]
        assert [j.value for j in journeys([person], as_of=NOW, value=["value"])] == [99.0, 0.0]
        assert [j.value for j in journeys([person], as_of=NOW, value=lambda t: 2.0)] == [2.0, 2.0]
        assert [j.value for j in journeys([person], as_of=NOW, value="total")] == [12.5, 0.0]

    def test_in_contact_id_order_whatever_the_input_order(self) -> None:
        """Journeys come by contact id, so shuffling the contacts changes nothing."""
        people = [contact(f"c{i}", tp(i, i, "web", "purchase")) for i in (3, 1, 2)]
        found = journeys(people, as_of=NOW)
        assert [j.contact_id for j in found] == ["c1", "c2", "c3"]
        assert journeys(reversed(people), as_of=NOW) == found

    def test_from_a_hub(self) -> None:
        """A hub is a source: its contacts' journeys."""
        hub = make_hub()
        ann = [oc.Identifier("customer_id", "A1")]
        hub.add(oc.Touchpoint("h1", T0, "email", "email_click", identifiers=ann))
        hub.add(oc.Touchpoint("h2", T0 + DAY, "web", "purchase", identifiers=ann))
        (journey,) = journeys(hub, as_of=NOW)
        assert journey.touches == ("email", "web")
        assert journeys(make_hub(), as_of=NOW) == ()

    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"as_of": datetime(2026, 6, 1)}, "as_of"),
            ({"conversion": []}, "conversion"),
            ({"conversion": [""]}, "conversion"),
            ({"channels": []}, "channels"),
            ({"lookback": timedelta(0)}, "lookback"),
            ({"lookback": 30}, "lookback"),
            ({"value": [1]}, "value"),
        ],
    )
    def test_bad_arguments(self, options: dict[str, object], argument: str) -> None:
        """Bad arguments raise AnalyticsError naming them."""
        arguments: dict[str, object] = {"as_of": NOW, **options}
        with pytest.raises(AnalyticsError, match=argument):
            journeys([contact("c1", tp(1, 0, "web"))], **arguments)  # type: ignore[arg-type]

    def test_journey_checks_its_values(self) -> None:
        """A journey has touches, a finite value, and one time per touch in order."""
        with pytest.raises(AnalyticsError, match="touches"):
            Journey("c", ())
        with pytest.raises(AnalyticsError, match="value"):
            Journey("c", ("web",), value=math.nan)
        with pytest.raises(AnalyticsError, match="times"):
            Journey("c", ("web", "app"), times=(T0,))
        with pytest.raises(AnalyticsError, match="times"):
            Journey("c", ("web", "app"), times=(T0 + DAY, T0))
        assert "c" in repr(Journey("c", ("web",)))


# --------------------------------------------------------------------------
# worked examples
# --------------------------------------------------------------------------


class TestWorkedExamples:
    """Each model on journeys small enough to compute by hand."""

    def test_linear(self) -> None:
        """A>B>C and A>C: A 1/3+1/2, B 1/3, C 1/3+1/2."""
        credit = attribute([conv("a", "b", "c"), conv("a", "c")], "linear")
        assert credit == pytest.approx({"a": 5 / 6, "b": 1 / 3, "c": 5 / 6})

    def test_linear_counts_every_touch(self) -> None:
        """A channel touched twice in a journey of three gets 2/3."""
        assert attribute([conv("a", "b", "a")], "linear") == pytest.approx({"a": 2 / 3, "b": 1 / 3})

    def test_position_based(self) -> None:
        """A>B>C: 0.4/0.2/0.4; A>C: 0.5/0.5; so A 0.9, B 0.2, C 0.9."""
        credit = attribute([conv("a", "b", "c"), conv("a", "c")], "position_based")
        assert credit == pytest.approx({"a": 0.9, "b": 0.2, "c": 0.9})

    def test_position_based_shapes(self) -> None:
        """One touch: all; four touches: the two middle ones share 20%; custom positions."""
        assert attribute([conv("a")], "position_based") == {"a": 1.0}
        credit = attribute([conv("a", "b", "c", "d")], "position_based")
        assert credit == pytest.approx({"a": 0.4, "b": 0.1, "c": 0.1, "d": 0.4})
        custom = attribute([conv("a", "b")], "position_based", positions=(0.3, 0.4, 0.3))
        assert custom == pytest.approx({"a": 0.5, "b": 0.5})
        skewed = attribute([conv("a", "b")], "position_based", positions=(0.6, 0.2, 0.2))
        assert skewed == pytest.approx({"a": 0.7, "b": 0.3})

    def test_first_and_last_touch(self) -> None:
        """A>B>C and B>C, plus a non-converting D: first A 1, B 1; last C 2; D gets 0."""
        items = [conv("a", "b", "c"), conv("b", "c"), lost("d")]
        assert attribute(items, "first_touch") == {"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0}
        assert attribute(items, "last_touch") == {"a": 0.0, "b": 0.0, "c": 2.0, "d": 0.0}

    def test_time_decay(self) -> None:
        """Touches 14 and 7 days before the conversion weigh 1/4 and 1/2 (7-day half-life)."""
        journey = Journey(
            "c",
            ("a", "b", "c"),
            converted=True,
            converted_at=T0 + 14 * DAY,
            times=(T0, T0 + 7 * DAY, T0 + 14 * DAY),
        )
        whole = 1 / 4 + 1 / 2 + 1
        credit = attribute([journey], "time_decay")
        assert credit == pytest.approx({"a": 0.25 / whole, "b": 0.5 / whole, "c": 1 / whole})
        assert credit == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})
        halved = attribute([journey], "time_decay", half_life=timedelta(days=14))
        whole = 2**-1 + 2**-0.5 + 1
        assert halved == pytest.approx({"a": 0.5 / whole, "b": 2**-0.5 / whole, "c": 1 / whole})

    def test_time_decay_needs_times(self) -> None:
        """time_decay over journeys without times raises AnalyticsError."""
        with pytest.raises(AnalyticsError, match="time_decay"):
            attribute([conv("a")], "time_decay")

    def test_markov(self) -> None:
        """A>B, A, A convert, A does not, B converts: P = 0.8, removal effects 0.75 and 0.5.

        Start → A 4/5, → B 1/5; A → B 1/4, → conversion 2/4, → null 1/4; B → conversion 1.
        P = 0.8 · (1/2 + 1/4 · 1) + 0.2 · 1 = 0.8. Without A: 0.2 · 1 = 0.2, effect
        1 - 0.2/0.8 = 0.75; without B: 0.8 · 1/2 = 0.4, effect 0.5. Four conversions
        split 0.75 : 0.5 = 2.4 : 1.6.
        """
        items = [conv("a", "b"), conv("a"), conv("a"), lost("a"), conv("b")]
        chain = markov_chain(items)
        assert chain.conversion_probability == pytest.approx(0.8)
        assert dict(chain.removal_effects) == pytest.approx({"a": 0.75, "b": 0.5})
        assert dict(chain.transitions[START]) == pytest.approx({"a": 0.8, "b": 0.2})
        assert dict(chain.transitions["a"]) == pytest.approx(
            {"b": 0.25, CONVERSION: 0.5, NULL: 0.25}
        )
        assert attribute(items, "markov") == pytest.approx({"a": 2.4, "b": 1.6})

    def test_markov_by_value(self) -> None:
        """With weight='value' Markov shares the total value in the same proportions."""
        items = [conv("a", "b", value=10), conv("a", value=20), conv("a"), lost("a"), conv("b")]
        assert attribute(items, "markov", weight="value") == pytest.approx({"a": 18.0, "b": 12.0})

    def test_markov_self_loops_change_nothing(self) -> None:
        """A repeated consecutive touch is one visit: A>A>B gives the same chain as A>B."""
        once = [conv("a", "b"), conv("a"), conv("a"), lost("a"), conv("b")]
        twice = [conv("a", "a", "b"), conv("a", "a"), conv("a"), lost("a", "a"), conv("b", "b")]
        assert attribute(twice, "markov") == pytest.approx(attribute(once, "markov"))

    def test_markov_when_nobody_converts(self) -> None:
        """No conversion: P = 0, every removal effect and credit 0, no division by zero."""
        chain = markov_chain([lost("a", "b"), lost("b")])
        assert chain.conversion_probability == 0.0
        assert dict(chain.removal_effects) == {"a": 0.0, "b": 0.0}
        assert attribute([lost("a", "b"), lost("b")], "markov") == {"a": 0.0, "b": 0.0}

    def test_shapley(self) -> None:
        """{A,B}, {A}, {B,C}: A 1/2 + 1, B 1/2 + 1/2, C 1/2."""
        items = [conv("a", "b", "a"), conv("a"), conv("b", "c"), lost("d")]
        credit = attribute(items, "shapley")
        assert credit == pytest.approx({"a": 1.5, "b": 1.0, "c": 0.5, "d": 0.0})
        assert credit == pytest.approx(brute_force_shapley(items))

    def test_shapley_by_value(self) -> None:
        """With weight='value' each conversion's value is shared over its distinct channels."""
        items = [conv("a", "b", value=10), conv("a", value=4)]
        assert attribute(items, "shapley", weight="value") == pytest.approx({"a": 9.0, "b": 5.0})
        assert attribute(items, "shapley", weight="value") == pytest.approx(
            brute_force_shapley(items, by_value=True)
        )


def brute_force_shapley(items: Sequence[Journey], by_value: bool = False) -> dict[str, float]:
    """Shapley values by averaging marginal contributions over every order of the channels.

    v(S) = conversions (or value) whose journey's set of channels is a subset of S.
    """
    channels = sorted({t for j in items for t in j.touches})
    sets = [(frozenset(j.touches), j.value if by_value else 1.0) for j in items if j.converted]

    def worth(coalition: frozenset[str]) -> float:
        return sum(w for s, w in sets if s <= coalition)

    total = dict.fromkeys(channels, 0.0)
    orders = list(itertools.permutations(channels))
    for order in orders:
        coalition: frozenset[str] = frozenset()
        for channel in order:
            bigger = coalition | {channel}
            total[channel] += worth(bigger) - worth(coalition)
            coalition = bigger
    return {c: v / len(orders) for c, v in total.items()}


def exact_markov(items: Sequence[Journey]) -> tuple[Fraction, dict[str, Fraction]]:
    """P and removal effects with fractions, removing each channel by redirecting to null."""
    counts: dict[str, dict[str, int]] = {}
    for j in items:
        path = [START, *j.touches, CONVERSION if j.converted else NULL]
        for a, b in itertools.pairwise(path):
            if a != b:
                counts.setdefault(a, {}).setdefault(b, 0)
                counts[a][b] += 1
    channels = sorted({t for j in items for t in j.touches})

    def probability(removed: str | None) -> Fraction:
        states = [START, *(c for c in channels if c != removed)]
        index = {s: i for i, s in enumerate(states)}
        size = len(states)
        rows = [[Fraction(int(i == k)) for k in range(size)] + [Fraction(0)] for i in range(size)]
        for state in states:
            nexts = counts.get(state, {})
            whole = sum(nexts.values())
            for to, n in nexts.items():
                p = Fraction(n, whole)
                if to == CONVERSION:
                    rows[index[state]][size] += p
                elif to in index:
                    rows[index[state]][index[to]] -= p
        for col in range(size):
            pivot = next(i for i in range(col, size) if rows[i][col] != 0)
            rows[col], rows[pivot] = rows[pivot], rows[col]
            head = [x / rows[col][col] for x in rows[col]]
            rows[col] = head
            for i in range(size):
                if i != col and rows[i][col]:
                    f = rows[i][col]
                    rows[i] = [x - f * h for x, h in zip(rows[i], head, strict=True)]
        return rows[0][size]

    whole = probability(None)
    effects = {c: (1 - probability(c) / whole) if whole else Fraction(0) for c in channels}
    return whole, effects


# --------------------------------------------------------------------------
# invariants
# --------------------------------------------------------------------------

CHANNELS = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def journey_lists(draw: st.DrawFn) -> list[Journey]:
    """Journeys over five channels, with times, values and conversions."""
    out = []
    for number in range(draw(st.integers(0, 12))):
        touches = draw(st.lists(CHANNELS, min_size=1, max_size=6))
        gaps = draw(
            st.lists(st.integers(0, 20 * 86400), min_size=len(touches), max_size=len(touches))
        )
        times = tuple(T0 + timedelta(seconds=sum(gaps[: i + 1])) for i in range(len(touches)))
        converted = draw(st.booleans())
        out.append(
            Journey(
                f"c{number}",
                touches,
                converted=converted,
                value=draw(st.integers(0, 500)) if converted else 0,
                converted_at=times[-1] if converted else None,
                times=times,
            )
        )
    return out


class TestInvariants:
    """Properties every model keeps."""

    @given(
        journey_lists(),
        st.sampled_from(ATTRIBUTION_MODELS),
        st.sampled_from(["conversions", "value"]),
    )
    def test_credits_sum_to_the_conversions(
        self, items: list[Journey], model: str, weight: str
    ) -> None:
        """Credits add up to the conversions (or their value); Markov's too when P > 0."""
        credit = attribute(items, model, weight=weight)
        converting = [j for j in items if j.converted]
        total = sum(j.value for j in converting) if weight == "value" else len(converting)
        assert set(credit) == {t for j in items for t in j.touches}
        assert all(v >= -1e-9 for v in credit.values())
        if model == "markov" and markov_chain(items).conversion_probability == 0:
            assert all(v == 0 for v in credit.values())
        else:
            assert sum(credit.values()) == pytest.approx(total, abs=1e-9)

    @given(journey_lists(), st.sampled_from(ATTRIBUTION_MODELS), st.randoms())
    def test_order_of_journeys_does_not_matter(
        self, items: list[Journey], model: str, random: object
    ) -> None:
        """Shuffling the journeys gives the same credits."""
        shuffled = list(items)
        random.shuffle(shuffled)  # type: ignore[attr-defined]
        assert attribute(shuffled, model) == pytest.approx(attribute(items, model))

    @given(journey_lists())
    def test_shapley_equals_brute_force(self, items: list[Journey]) -> None:
        """The simplified Shapley formula equals the permutation definition."""
        assert attribute(items, "shapley") == pytest.approx(brute_force_shapley(items))
        assert attribute(items, "shapley", weight="value") == pytest.approx(
            brute_force_shapley(items, by_value=True)
        )

    @given(journey_lists())
    def test_markov_equals_exact_removal(self, items: list[Journey]) -> None:
        """The fundamental-matrix removal effects equal removing each channel and re-solving."""
        whole, effects = exact_markov(items)
        chain = markov_chain(items)
        assert chain.conversion_probability == pytest.approx(float(whole))
        assert dict(chain.removal_effects) == pytest.approx(
            {c: float(e) for c, e in effects.items()}
        )


# --------------------------------------------------------------------------
# attribution table and bad input
# --------------------------------------------------------------------------


class TestAttribution:
    """The table over a source, and bad arguments."""

    PEOPLE = (
        contact("c2", tp(4, 0, "app"), tp(5, 1, "app", "purchase", amount=30)),
        contact(
            "c1",
            tp(1, 0, "email"),
            tp(2, 7, "web"),
            tp(3, 14, "store", "purchase", amount=60),
        ),
    )

    def test_one_column_per_model(self) -> None:
        """Rows by channel, columns channel then the models, in the order asked."""
        table = attribution(self.PEOPLE, as_of=NOW)
        assert table.name == "attribution"
        assert table.columns == ("channel", *ATTRIBUTION_MODELS)
        assert table.column("channel") == ["app", "email", "store", "web"]
        assert table.column("first_touch") == [1.0, 1.0, 0.0, 0.0]
        assert table.column("last_touch") == [1.0, 0.0, 1.0, 0.0]
        assert table.column("linear") == pytest.approx([1.0, 1 / 3, 1 / 3, 1 / 3])
        assert table.column("time_decay") == pytest.approx([1.0, 1 / 7, 4 / 7, 2 / 7])

    def test_by_value(self) -> None:
        """weight='value' shares the conversions' values."""
        table = attribution(self.PEOPLE, as_of=NOW, models=["linear", "shapley"], weight="value")
        assert table.name == "attribution_value"
        assert table.columns == ("channel", "linear", "shapley")
        assert table.column("linear") == pytest.approx([30.0, 20.0, 20.0, 20.0])
        single = attribution(self.PEOPLE, as_of=NOW, models="markov")
        assert single.columns == ("channel", "markov")

    def test_contact_order_does_not_matter(self) -> None:
        """The same contacts in another order give the very same table."""
        forward = attribution(self.PEOPLE, as_of=NOW)
        assert attribution(reversed(self.PEOPLE), as_of=NOW) == forward

    def test_nothing_to_attribute(self) -> None:
        """No journeys: empty results, no error."""
        assert len(attribution([], as_of=NOW)) == 0
        assert len(attribution(make_hub(), as_of=NOW)) == 0
        for model in ATTRIBUTION_MODELS:
            assert attribute([], model) == {}

    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"model": "u_shaped"}, "u_shaped"),
            ({"half_life": timedelta(0)}, "half_life"),
            ({"half_life": 7}, "half_life"),
            ({"positions": (0.5, 0.2, 0.4)}, "positions"),
            ({"positions": (0.5, 0.5)}, "positions"),
            ({"positions": (1.2, -0.4, 0.2)}, "positions"),
            ({"weight": "revenue"}, "weight"),
        ],
    )
    def test_bad_arguments(self, options: dict[str, object], argument: str) -> None:
        """Bad arguments raise AnalyticsError naming them."""
        arguments: dict[str, object] = {"model": "linear", **options}
        with pytest.raises(AnalyticsError, match=argument):
            attribute([conv("a")], **arguments)  # type: ignore[arg-type]

    def test_bad_models(self) -> None:
        """An unknown or empty list of models raises AnalyticsError."""
        with pytest.raises(AnalyticsError, match="data_driven"):
            attribution(self.PEOPLE, as_of=NOW, models=["linear", "data_driven"])
        with pytest.raises(AnalyticsError, match="models"):
            attribution(self.PEOPLE, as_of=NOW, models=[])
