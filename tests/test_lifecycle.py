"""Lifecycle stages: stage models, transition rules, stage histories."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.lifecycle import (
    Stage,
    StageChange,
    StageHistory,
    StageModel,
    StageModelError,
    StateRule,
    TouchpointRule,
    after_inactivity,
    b2b,
    builtin_models,
    extended_crm,
    inbound,
    on_action,
    on_identifier,
    on_property,
    on_score,
    on_trait,
    stage_history,
)
from omnicontact.lifecycle.rules import RuleContext

from .strategies import touchpoints as any_touchpoints

UTC = timezone.utc
T0 = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = datetime(2027, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    """Return T0 plus *n* days."""
    return T0 + timedelta(days=n)


def tp(
    id: str,
    at: float,
    action: str,
    *,
    channel: str = "web",
    email: bool = False,
    **properties: object,
) -> oc.Touchpoint:
    """A touchpoint *at* days after T0."""
    return oc.Touchpoint(
        id=id,
        occurred_at=day(at),
        channel=channel,
        action=action,
        identifiers=[oc.Identifier("email", "ann@example.com")] if email else [],
        properties=properties,
    )


def steps(history: StageHistory) -> list[tuple[str | None, str, datetime, str | None, str]]:
    """The changes as ``(from, to, at, touchpoint id, rule)``."""
    return [(c.from_stage, c.to_stage, c.at, c.touchpoint_id, c.rule) for c in history.changes]


def table_scores(table: dict[str, list[tuple[datetime, float]]]) -> Callable[..., float | None]:
    """A score_at reading step functions: the latest value at or before *when*."""

    def score_at(name: str, when: datetime) -> float | None:
        value = None
        for at, points in table.get(name, []):
            if at <= when:
                value = points
        return value

    return score_at


# --------------------------------------------------------------------------
# built-in models: worked examples
# --------------------------------------------------------------------------


class TestExtendedCrm:
    def test_a_full_journey_with_a_lapse_and_a_return(self) -> None:
        """suspect → prospect → customer → ambassador → lapsed (365 d) → customer again."""
        tps = [
            tp("t5", 500, "purchase", amount=30),
            tp("t1", 0, "page_view"),
            tp("t3", 10, "purchase", amount=20),
            tp("t2", 3, "signup", email=True),
            tp("t4", 20, "review", rating=5),
        ]
        history = stage_history(extended_crm(), tps, AS_OF)
        assert steps(history) == [
            (None, "suspect", day(0), "t1", "initial"),
            ("suspect", "prospect", day(3), "t2", "identified"),
            ("prospect", "customer", day(10), "t3", "purchased"),
            ("customer", "ambassador", day(20), "t4", "reviewed"),
            ("ambassador", "lapsed", day(375), "t3", "lapsed"),
            ("lapsed", "customer", day(500), "t5", "purchased"),
        ]
        assert history.current == "customer"
        assert history.track == "extended_crm"
        assert all(c.track == "extended_crm" for c in history.changes)

    def test_forward_only_rules_do_not_move_back(self) -> None:
        """A signup by a customer and a purchase by an ambassador change nothing."""
        tps = [
            tp("a", 0, "purchase"),
            tp("b", 1, "signup", email=True),
            tp("c", 2, "referral"),
            tp("d", 3, "purchase"),
            tp("e", 4, "newsletter_subscribe"),
        ]
        history = stage_history(extended_crm(), tps, day(10))
        assert steps(history) == [
            (None, "suspect", day(0), "a", "initial"),
            ("suspect", "customer", day(0), "a", "purchased"),
            ("customer", "ambassador", day(2), "c", "referred"),
        ]

    def test_the_lapse_counts_from_the_last_purchase(self) -> None:
        """A second purchase postpones the lapse; lapse_after is configurable."""
        tps = [tp("a", 0, "purchase"), tp("b", 50, "purchase")]
        history = stage_history(extended_crm(lapse_after=timedelta(days=100)), tps, day(400))
        assert steps(history)[-1] == ("customer", "lapsed", day(150), "b", "lapsed")
        assert history.stage_as_of(day(149)) == "customer"
        assert history.stage_as_of(day(150)) == "lapsed"

    def test_a_lapse_due_before_as_of_only(self) -> None:
        """As of 364 days after the purchase the customer has not lapsed yet."""
        history = stage_history(extended_crm(), [tp("a", 0, "purchase")], day(364))
        assert history.current == "customer"
        assert stage_history(extended_crm(), [tp("a", 0, "purchase")], day(365)).current == (
            "lapsed"
        )

    def test_a_lapsed_contact_does_not_go_back_to_prospect(self) -> None:
        """lapsed has prospect's rank: identifying again moves nothing."""
        tps = [tp("a", 0, "purchase", email=True), tp("b", 400, "signup", email=True)]
        history = stage_history(extended_crm(), tps, AS_OF)
        assert history.current == "lapsed"
        assert [c.rule for c in history.changes] == ["initial", "purchased", "lapsed"]

    def test_recommending_needs_to_be_a_customer(self) -> None:
        """A prospect's referral and 5-star review do not make an ambassador."""
        tps = [
            tp("a", 0, "signup", email=True),
            tp("b", 1, "referral"),
            tp("c", 2, "review", rating=5),
        ]
        assert stage_history(extended_crm(), tps, AS_OF).current == "prospect"

    @pytest.mark.parametrize(
        ("action", "properties", "ambassador"),
        [
            ("review", {"rating": 4}, True),
            ("review", {"rating": "4.5"}, True),
            ("review", {"rating": 3}, False),
            ("review", {"rating": "great"}, False),
            ("review", {"rating": True}, False),
            ("call", {"rating": 5}, False),
            ("nps_response", {"nps": 9}, True),
            ("page_view", {"nps": 10}, True),
            ("nps_response", {"nps": 11}, False),
            ("nps_response", {"nps": None}, False),
            ("survey_response", {"score": 10}, True),
            ("nps_response", {"score": 9}, True),
            ("nps_response", {"score": 8}, False),
            ("call", {"score": 10}, False),
            ("share", {}, True),
        ],
    )
    def test_what_counts_as_recommending(
        self, action: str, properties: dict[str, object], ambassador: bool
    ) -> None:
        """Review ≥ 4, promoter score 9-10 (nps, or score on a survey), referral, share."""
        tps = [tp("a", 0, "purchase"), tp("b", 1, action, **properties)]
        current = stage_history(extended_crm(), tps, AS_OF - timedelta(days=700)).current
        assert current == ("ambassador" if ambassador else "customer")

    def test_a_first_touch_that_identifies_is_two_changes_at_one_time(self) -> None:
        """The initial stage is entered, then the same touchpoint moves the contact on."""
        history = stage_history(extended_crm(), [tp("a", 0, "signup")], day(1))
        assert steps(history) == [
            (None, "suspect", day(0), "a", "initial"),
            ("suspect", "prospect", day(0), "a", "subscribed"),
        ]
        assert history.time_in("suspect") == timedelta(0)

    def test_a_purchase_with_an_email_goes_straight_to_customer(self) -> None:
        """Several rules match one touchpoint: the highest-rank target wins."""
        history = stage_history(extended_crm(), [tp("a", 0, "purchase", email=True)], day(1))
        assert [c.to_stage for c in history.changes] == ["suspect", "customer"]


class TestInbound:
    def test_a_worked_example(self) -> None:
        """stranger → visitor → lead → customer → promoter; later touches move nothing."""
        tps = [
            tp("a", 0, "ad_click", channel="search_ad"),
            tp("b", 1, "page_view"),
            tp("c", 2, "newsletter_subscribe"),
            tp("d", 3, "page_view"),
            tp("e", 5, "purchase", channel="store"),
            tp("f", 9, "nps_response", channel="email", nps=10),
        ]
        history = stage_history(inbound(), tps, day(30))
        assert steps(history) == [
            (None, "stranger", day(0), "a", "initial"),
            ("stranger", "visitor", day(1), "b", "visited"),
            ("visitor", "lead", day(2), "c", "subscribed"),
            ("lead", "customer", day(5), "e", "purchased"),
            ("customer", "promoter", day(9), "f", "promoter"),
        ]

    def test_no_lapse_in_inbound(self) -> None:
        """inbound has no time-based rule: a customer stays one."""
        assert stage_history(inbound(), [tp("a", 0, "purchase")], AS_OF).current == "customer"


class TestB2b:
    def test_a_worked_example_with_a_score(self) -> None:
        """No stage until a rule fires; mql by the behaviour score; on to evangelist."""
        tps = [
            tp("a", 0, "page_view"),
            tp("b", 1, "newsletter_subscribe"),
            tp("c", 2, "download"),
            tp("d", 4, "page_view"),
            tp("e", 6, "meeting_booked"),
            tp("f", 8, "opportunity_created"),
            tp("g", 20, "deal_won"),
            tp("h", 40, "review", rating=4),
        ]
        scores = table_scores({"behaviour": [(day(0), 5), (day(2), 30), (day(4), 55)]})
        history = stage_history(b2b(), tps, day(60), score_at=scores)
        assert steps(history) == [
            (None, "subscriber", day(1), "b", "subscribed"),
            ("subscriber", "lead", day(2), "c", "converted"),
            ("lead", "mql", day(4), "d", "mql_score"),
            ("mql", "sql", day(6), "e", "sales_qualified"),
            ("sql", "opportunity", day(8), "f", "opportunity"),
            ("opportunity", "customer", day(20), "g", "won"),
            ("customer", "evangelist", day(40), "h", "reviewed"),
        ]
        assert history.stage_as_of(day(0.5)) is None

    def test_without_scores_the_score_rule_never_fires(self) -> None:
        """score_at=None: mql only by the mql action."""
        tps = [tp("a", 0, "signup", email=True), tp("b", 1, "mql")]
        history = stage_history(b2b(), tps, day(2))
        assert steps(history) == [
            (None, "lead", day(0), "a", "converted"),
            ("lead", "mql", day(1), "b", "mql"),
        ]

    def test_an_email_makes_a_subscriber(self) -> None:
        """The email identifier is enough; a phone is not."""
        phone = oc.Touchpoint(
            id="p",
            occurred_at=day(0),
            channel="web",
            action="page_view",
            identifiers=[oc.Identifier("phone", "+33612345678")],
        )
        assert stage_history(b2b(), [phone], day(1)).current is None
        assert stage_history(b2b(), [tp("e", 0, "page_view", email=True)], day(1)).current == (
            "subscriber"
        )


class TestScoreRules:
    @staticmethod
    def model() -> StageModel:
        return StageModel(
            name="engagement",
            stages=(Stage("cold", 0, ""), Stage("hot", 1, "")),
            rules=(
                on_score("heated", "hot", "engagement", 50, once=True),
                on_action("unsubscribed", "cold", "email_unsubscribe", backward=True),
            ),
            initial="cold",
        )

    def test_a_once_trigger_fires_once(self) -> None:
        """The score rises, the stage moves back, the score falls and rises: no second fire."""
        tps = [
            tp("a", 0, "email_open"),
            tp("b", 1, "email_click"),
            tp("c", 2, "email_unsubscribe"),
            tp("d", 3, "email_open"),
            tp("e", 4, "email_click"),
        ]
        points = [(day(0), 10), (day(1), 60), (day(2), 40), (day(3), 20), (day(4), 70)]
        scores = table_scores({"engagement": points})
        history = stage_history(self.model(), tps, day(5), score_at=scores)
        assert steps(history) == [
            (None, "cold", day(0), "a", "initial"),
            ("cold", "hot", day(1), "b", "heated"),
            ("hot", "cold", day(2), "c", "unsubscribed"),
        ]

    def test_without_once_it_fires_again(self) -> None:
        """once=False: a state rule that still holds moves the contact back at once."""
        model = StageModel(
            name="engagement",
            stages=(Stage("cold", 0, ""), Stage("hot", 1, "")),
            rules=(
                on_score("heated", "hot", "engagement", 50),
                on_action("unsubscribed", "cold", "email_unsubscribe", backward=True),
            ),
            initial="cold",
        )
        tps = [tp("a", 0, "email_open"), tp("c", 2, "email_unsubscribe"), tp("e", 4, "x")]
        scores = table_scores({"engagement": [(day(0), 60), (day(2), 60)]})
        history = stage_history(model, tps, day(5), score_at=scores)
        assert [(c.to_stage, c.at, c.touchpoint_id) for c in history.changes] == [
            ("cold", day(0), "a"),
            ("hot", day(0), "a"),
            ("cold", day(2), "c"),
            ("hot", day(2), "c"),
        ]

    def test_a_fall_below_is_seen_at_the_next_touchpoint_or_as_of(self) -> None:
        """below=True: a score that decays between touchpoints is seen at as_of."""
        model = StageModel(
            name="heat",
            stages=(Stage("cold", 0, ""), Stage("hot", 1, "")),
            rules=(
                on_score("heated", "hot", "s", 50),
                on_score("cooled", "cold", "s", 20, below=True, backward=True),
            ),
        )
        scores = table_scores({"s": [(day(0), 60), (day(10), 10)]})
        history = stage_history(model, [tp("a", 0, "x")], day(30), score_at=scores)
        assert steps(history) == [
            (None, "hot", day(0), "a", "heated"),
            ("hot", "cold", day(30), "a", "cooled"),
        ]

    def test_score_at_is_asked_at_event_times(self) -> None:
        """score_at receives the score's name and each moment evaluated."""
        asked: list[tuple[str, datetime]] = []

        def score_at(name: str, when: datetime) -> float | None:
            asked.append((name, when))
            return 0.0

        stage_history(b2b(), [tp("a", 0, "page_view"), tp("b", 2, "x")], day(3), score_at)
        assert asked == [("behaviour", day(0)), ("behaviour", day(2)), ("behaviour", day(3))]


# --------------------------------------------------------------------------
# the history API
# --------------------------------------------------------------------------


class TestHistoryApi:
    @staticmethod
    def history() -> StageHistory:
        """Hand-built: suspect d0, prospect d2, customer d5, lapsed d15, customer d20."""

        def change(f: str | None, t: str, at: float) -> StageChange:
            return StageChange("extended_crm", f, t, day(at), None, "r")

        return StageHistory(
            "extended_crm",
            day(30),
            (
                change(None, "suspect", 0),
                change("suspect", "prospect", 2),
                change("prospect", "customer", 5),
                change("customer", "lapsed", 15),
                change("lapsed", "customer", 20),
            ),
        )

    def test_entered_and_exited(self) -> None:
        """Every entry and exit time, oldest first."""
        h = self.history()
        assert h.entered("customer") == (day(5), day(20))
        assert h.exited("customer") == (day(15),)
        assert h.entered("ambassador") == ()
        assert h.exited("suspect") == (day(2),)

    def test_time_in_is_cumulative_up_to_as_of(self) -> None:
        """customer: 10 days, then 10 more up to as_of."""
        h = self.history()
        assert h.time_in("customer") == timedelta(days=20)
        assert h.time_in("prospect") == timedelta(days=3)
        assert h.time_in("ambassador") == timedelta(0)

    def test_latest_time_in(self) -> None:
        """The latest stay only; an ongoing stay counts to as_of; None if never entered."""
        h = self.history()
        assert h.latest_time_in("customer") == timedelta(days=10)
        assert h.latest_time_in("lapsed") == timedelta(days=5)
        assert h.latest_time_in("ambassador") is None

    def test_stays(self) -> None:
        """Stays pair entries with exits; the last may be ongoing."""
        stays = self.history().stays("customer")
        assert [(s.entered_at, s.exited_at) for s in stays] == [(day(5), day(15)), (day(20), None)]

    def test_stage_as_of(self) -> None:
        """The stage after every change at or before the time; None before the first."""
        h = self.history()
        assert h.stage_as_of(day(-1)) is None
        assert h.stage_as_of(day(0)) == "suspect"
        assert h.stage_as_of(day(4.9)) == "prospect"
        assert h.stage_as_of(day(5)) == "customer"
        assert h.stage_as_of(day(16)) == "lapsed"
        assert h.stage_as_of(day(30)) == "customer"
        assert h.current == "customer"
        assert h.since == day(20)

    def test_stage_as_of_refuses_naive_and_later_times(self) -> None:
        """A naive time or one after as_of raises InvalidTimestampError naming the argument."""
        h = self.history()
        with pytest.raises(oc.InvalidTimestampError, match="when"):
            h.stage_as_of(datetime(2025, 1, 3))
        with pytest.raises(oc.InvalidTimestampError, match="as_of"):
            h.stage_as_of(day(31))

    def test_an_empty_history(self) -> None:
        """No touchpoints up to as_of: no stage, no changes."""
        h = stage_history(extended_crm(), [tp("a", 10, "page_view")], day(5))
        assert h.changes == ()
        assert h.current is None
        assert h.since is None
        assert h.time_in("suspect") == timedelta(0)

    def test_as_of_must_be_aware(self) -> None:
        """stage_history refuses a naive as_of with a typed error."""
        with pytest.raises(oc.InvalidTimestampError, match="as_of"):
            stage_history(extended_crm(), [], datetime(2025, 1, 1))

    def test_naive_touchpoint_times_are_read_as_utc(self) -> None:
        """A touchpoint that was never normalized does not break the evaluation."""
        naive = oc.Touchpoint(
            id="n",
            occurred_at=datetime(2025, 1, 2),
            channel="web",
            action="purchase",
        )
        h = stage_history(extended_crm(), [naive], day(3))
        assert h.current == "customer"
        assert h.since == day(1)


# --------------------------------------------------------------------------
# custom models and rules
# --------------------------------------------------------------------------


class TestCustomRules:
    def test_trait_rules_read_the_traits_so_far(self) -> None:
        """The latest value of the trait, by event time, whatever the arrival order."""
        model = StageModel(
            name="vip",
            stages=(Stage("member", 0, ""), Stage("vip", 1, "")),
            rules=(on_trait("gold", "vip", "plan", lambda v: v == "gold"),),
            initial="member",
        )
        tps = [
            oc.Touchpoint(
                id="b", occurred_at=day(2), channel="web", action="x", traits={"plan": "gold"}
            ),
            oc.Touchpoint(
                id="a", occurred_at=day(1), channel="web", action="x", traits={"plan": "free"}
            ),
        ]
        assert steps(stage_history(model, tps, day(3)))[-1] == (
            "member",
            "vip",
            day(2),
            "b",
            "gold",
        )

    def test_a_rule_that_raises_propagates(self) -> None:
        """A user predicate's exception is not swallowed."""

        def broken(_tp: oc.Touchpoint) -> bool:
            raise ZeroDivisionError

        model = StageModel(
            name="x", stages=(Stage("a", 0, ""),), rules=(on_action("r", "a", "y", where=broken),)
        )
        with pytest.raises(ZeroDivisionError):
            stage_history(model, [tp("t", 0, "y")], day(1))

    def test_a_subclassed_touchpoint_rule(self) -> None:
        """A TouchpointRule subclass with its own matches() is a rule like the others."""

        class BigSpender(TouchpointRule):
            def matches(self, touchpoint: oc.Touchpoint, ctx: RuleContext) -> bool:
                return ctx.count("purchase") >= 2

        model = StageModel(
            name="spend",
            stages=(Stage("one", 0, ""), Stage("many", 1, "")),
            rules=(BigSpender("repeat", "many", actions=frozenset({"purchase"})),),
            initial="one",
        )
        tps = [tp("a", 0, "purchase"), tp("b", 1, "page_view"), tp("c", 2, "purchase")]
        assert steps(stage_history(model, tps, day(3)))[-1] == (
            "one",
            "many",
            day(2),
            "c",
            "repeat",
        )

    def test_highest_rank_wins_and_rule_order_breaks_ties(self) -> None:
        """Two forward rules to one rank: the first in the model; a higher rank beats both."""
        stages = (Stage("s", 0, ""), Stage("a", 1, ""), Stage("b", 1, ""), Stage("c", 2, ""))
        rules = (on_action("to_b", "b", "x"), on_action("to_a", "a", ("x", "y")))
        model = StageModel(name="m", stages=stages, rules=rules, initial="s")
        assert stage_history(model, [tp("t", 0, "x")], day(1)).current == "b"
        rules2 = (*rules, on_action("to_c", "c", "x"))
        model2 = StageModel(name="m", stages=stages, rules=rules2, initial="s")
        assert stage_history(model2, [tp("t", 0, "x")], day(1)).current == "c"

    def test_from_stages_restricts_and_state_rules_settle(self) -> None:
        """A state rule allowed only from a stage fires as soon as that stage is entered."""
        model = StageModel(
            name="m",
            stages=(Stage("a", 0, ""), Stage("b", 1, ""), Stage("c", 2, "")),
            rules=(
                on_action("go_b", "b", "x"),
                on_identifier("known", "c", "email", from_stages="b"),
            ),
            initial="a",
        )
        history = stage_history(
            model, [tp("t", 0, "page_view", email=True), tp("u", 1, "x")], day(2)
        )
        assert steps(history)[1:] == [
            ("a", "b", day(1), "u", "go_b"),
            ("b", "c", day(1), "u", "known"),
        ]

    def test_inactivity_without_the_action_counts_from_entry(self) -> None:
        """No purchase at all: the period counts from when the stage was entered."""
        model = StageModel(
            name="m",
            stages=(Stage("dormant", 0, ""), Stage("trial", 1, "")),
            rules=(
                on_action("started", "trial", "signup"),
                after_inactivity("expired", "dormant", "purchase", timedelta(days=30), "trial"),
            ),
        )
        history = stage_history(model, [tp("a", 5, "signup")], day(100))
        assert steps(history) == [
            (None, "trial", day(5), "a", "started"),
            ("trial", "dormant", day(35), "a", "expired"),
        ]


class TestValidation:
    STAGES = (Stage("a", 0, ""), Stage("b", 1, ""))

    @pytest.mark.parametrize(
        ("kwargs", "field", "words"),
        [
            ({"stages": ()}, "stages", "at least one"),
            ({"stages": (Stage("a", 0, ""), Stage("a", 1, ""))}, "stages[1].name", "twice"),
            ({"initial": "z"}, "initial", "no stage"),
            ({"rules": (on_action("r", "z", "x"),)}, "rules[0].to", "no stage"),
            (
                {"rules": (on_action("r", "b", "x", from_stages="q"),)},
                "rules[0].from_stages",
                "no stage",
            ),
            (
                {"rules": (on_action("r", "b", "x"), on_action("r", "a", "y"))},
                "rules[1].name",
                "twice",
            ),
            ({"rules": (on_action("initial", "b", "x"),)}, "rules[0].name", "reserved"),
            ({"rules": ("not a rule",)}, "rules[0]", "must be"),
        ],
    )
    def test_model_errors_name_the_problem(
        self, kwargs: dict[str, object], field: str, words: str
    ) -> None:
        """A malformed model raises StageModelError naming the model, the field and the rule."""
        options: dict[str, object] = {"name": "m", "stages": self.STAGES, "rules": ()}
        options.update(kwargs)
        with pytest.raises(StageModelError) as info:
            StageModel(**options)  # type: ignore[arg-type]
        assert info.value.field == field
        assert info.value.model == "m"
        assert words in info.value.rule
        assert isinstance(info.value, oc.ConfigurationError)
        assert isinstance(info.value, ValueError)

    @pytest.mark.parametrize(
        "build",
        [
            lambda: Stage("Not A Slug", 0, ""),
            lambda: Stage("a", "1", ""),  # type: ignore[arg-type]
            lambda: StageModel(name="bad name", stages=(Stage("a", 0),), rules=()),
            lambda: on_action("Bad", "a", "x"),
            lambda: on_action("r", "a", ()),
            lambda: after_inactivity("r", "a", "x", timedelta(0), "a"),
            lambda: on_score("r", "a", "s", float("nan")),
        ],
    )
    def test_parts_are_checked_too(self, build: Callable[[], object]) -> None:
        """Stages, rules and names are checked when built."""
        with pytest.raises(StageModelError):
            build()

    def test_builtin_models_are_valid_and_named(self) -> None:
        """The built-ins build, the default first, each named as its function."""
        assert [m.name for m in builtin_models()] == ["extended_crm", "inbound", "b2b"]
        assert extended_crm().rank("lapsed") == extended_crm().rank("prospect")
        assert extended_crm().stage("customer").rank == 2


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

LIFECYCLE_ACTIONS = [
    "page_view",
    "signup",
    "newsletter_subscribe",
    "purchase",
    "review",
    "referral",
    "nps_response",
    "download",
    "meeting_booked",
    "opportunity_created",
    "deal_won",
    "email_unsubscribe",
]


@st.composite
def journeys(draw: st.DrawFn, max_size: int = 14) -> list[oc.Touchpoint]:
    """Touchpoints over three years with unique ids, colliding times, odd properties."""
    size = draw(st.integers(0, max_size))
    out = []
    for i in range(size):
        properties = draw(
            st.dictionaries(
                st.sampled_from(["rating", "nps", "score"]),
                st.one_of(st.integers(0, 11), st.sampled_from(["9", "x", None, True, 4.5])),
                max_size=2,
            )
        )
        out.append(
            oc.Touchpoint(
                id=f"tp-{i:02d}",
                occurred_at=T0
                + timedelta(days=draw(st.sampled_from([0, 1, 30, 200]) | st.integers(0, 1100))),
                channel="web",
                action=draw(st.sampled_from(LIFECYCLE_ACTIONS)),
                identifiers=[oc.Identifier("email", "a@b.c")] if draw(st.booleans()) else [],
                properties=properties,
            )
        )
    return out


def counting_scores(tps: Iterable[oc.Touchpoint]) -> Callable[[str, datetime], float | None]:
    """A score of 20 points per touchpoint up to *when*: a function of touchpoints ≤ when."""
    times = sorted(
        t.occurred_at if t.occurred_at.tzinfo else t.occurred_at.replace(tzinfo=UTC) for t in tps
    )

    def score_at(_name: str, when: datetime) -> float | None:
        return 20.0 * sum(1 for t in times if t <= when)

    return score_at


def engagement_model() -> StageModel:
    """A model with every kind of rule, backward ones included."""
    return StageModel(
        name="engagement",
        stages=(Stage("cold", 0, ""), Stage("warm", 1, ""), Stage("hot", 2, "")),
        rules=(
            on_action("opened", "warm", ("page_view", "signup")),
            on_score("heated", "hot", "s", 60, once=True),
            on_property("fan", "hot", "nps", at_least=9),
            on_action("left", "cold", "email_unsubscribe", backward=True),
            after_inactivity("cooled", "warm", "purchase", timedelta(days=60), "hot"),
            after_inactivity("froze", "cold", "page_view", timedelta(days=90), ("warm", "hot")),
        ),
        initial="cold",
    )


END = day(1200)

MODELS = [*builtin_models(), extended_crm(timedelta(days=30)), engagement_model()]


def history_of(model: StageModel, tps: list[oc.Touchpoint], as_of: datetime) -> StageHistory:
    return stage_history(model, tps, as_of, counting_scores(tps))


class TestProperties:
    @given(journeys(), st.randoms(use_true_random=False))
    def test_history_does_not_depend_on_touchpoint_order(
        self, tps: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Shuffled touchpoints give the same history, on every model."""
        shuffled = list(tps)
        rnd.shuffle(shuffled)
        for model in MODELS:
            assert history_of(model, tps, END) == history_of(model, shuffled, END)

    @given(journeys(), st.integers(0, 1200))
    def test_the_past_does_not_depend_on_the_future(
        self, tps: list[oc.Touchpoint], cut: int
    ) -> None:
        """stage_as_of(t) of the full history = current of the history of touchpoints ≤ t."""
        t = T0 + timedelta(days=cut)
        for model in MODELS:
            full = history_of(model, tps, END)
            prefix = [p for p in tps if p.occurred_at <= t]
            assert full.stage_as_of(t) == history_of(model, prefix, t).current
            assert history_of(model, tps, t).current == full.stage_as_of(t)
            for change in full.changes:
                at = change.at
                earlier = history_of(model, [p for p in tps if p.occurred_at <= at], at)
                assert earlier.current == full.stage_as_of(at)

    @given(journeys(), journeys())
    def test_merge_then_split(self, a: list[oc.Touchpoint], b: list[oc.Touchpoint]) -> None:
        """The union's history is one value whatever its order; each side's is unchanged after."""
        b = [attrs.evolve(t, id="b" + t.id) for t in b]  # distinct ids: a second contact
        for model in MODELS:
            before = history_of(model, a, END)
            union = history_of(model, a + b, END)
            assert union == history_of(model, b + a, END)
            assert union == history_of(model, list(reversed(a + b)), END)
            assert history_of(model, a, END) == before  # purity: the split gives A back

    @given(journeys())
    def test_changes_are_in_time_order_and_chain(self, tps: list[oc.Touchpoint]) -> None:
        """Each change starts where the previous ended; times never go back; none after as_of."""
        for model in MODELS:
            history = history_of(model, tps, END)
            previous = None
            for change in history.changes:
                assert change.from_stage == (previous.to_stage if previous else None)
                assert previous is None or previous.at <= change.at <= END
                assert change.from_stage != change.to_stage
                previous = change

    @given(st.lists(any_touchpoints(), max_size=5), st.booleans())
    def test_never_raises_on_odd_touchpoints(self, tps: list[oc.Touchpoint], scores: bool) -> None:
        """Arbitrary (valid) touchpoints: naive times, odd zones, any properties and traits."""
        as_of = datetime(9999, 1, 1, tzinfo=UTC)
        for model in MODELS:
            stage_history(model, tps, as_of, counting_scores(tps) if scores else None)

    def test_once_state_rules_are_subclassable(self) -> None:
        """StateRule is a public base: a subclass with holds() is accepted."""

        class Always(StateRule):
            def holds(self, ctx: RuleContext) -> bool:
                return True

        model = StageModel(name="m", stages=(Stage("a", 0, ""),), rules=(Always("r", "a"),))
        assert stage_history(model, [tp("t", 0, "x")], day(1)).current == "a"
