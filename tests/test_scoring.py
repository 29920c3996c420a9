"""Scoring strategies: hand-computed tables, invariants, privacy."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.errors import ConfigurationError, InvalidTimestampError
from omnicontact.scoring import (
    AmbassadorStrategy,
    BehaviourStrategy,
    ChurnRiskStrategy,
    Contribution,
    EngagementStrategy,
    FitRule,
    FitStrategy,
    RFMStrategy,
    Score,
    ScoringStrategy,
    StepDecay,
    Subject,
    builtin_strategies,
    score_all,
    subject_as_of,
)

from .strategies import markers, touchpoints

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def tp(
    tid: str,
    days_ago: float,
    action: str,
    channel: str = "web",
    *idents: tuple[str, str],
    traits: dict[str, object] | None = None,
    **properties: object,
) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=tid,
        occurred_at=AS_OF - timedelta(days=days_ago),
        channel=channel,
        action=action,
        identifiers=[oc.Identifier(k, v) for k, v in idents],
        traits=traits,
        properties=properties,
    )


def one(strategy: ScoringStrategy, *tps: oc.Touchpoint, traits: dict[str, object] | None = None):
    subject = subject_as_of("ct_1", tps, AS_OF, traits)
    return strategy.score(subject, AS_OF, strategy.prepare([subject], AS_OF))


class TestSubject:
    def test_keeps_the_past_sorted_by_time_then_id(self) -> None:
        """Touchpoints after as_of are dropped; the rest sorted by (occurred_at, id)."""
        tps = [tp("b", 1, "page_view"), tp("a", 1, "page_view"), tp("z", 5, "signup")]
        future = tp("f", -1, "purchase")
        subject = subject_as_of("ct_1", [future, *tps], AS_OF)
        assert [t.id for t in subject.touchpoints] == ["z", "a", "b"]

    def test_traits_are_the_most_recent_value_per_name(self) -> None:
        """Each trait comes from the latest touchpoint (by time, then id) that carries it."""
        tps = [
            tp("1", 10, "signup", traits={"city": "Lyon", "country": "FR"}),
            tp("2", 5, "login", traits={"city": "Paris"}),
            tp("3", 5, "login", traits={"city": "Nice"}),  # same time, later id wins
            tp("4", -1, "login", traits={"country": "DE"}),  # after as_of
        ]
        subject = subject_as_of("ct_1", reversed(tps), AS_OF)
        assert dict(subject.traits) == {"city": "Nice", "country": "FR"}

    def test_given_traits_are_kept(self) -> None:
        """Traits passed in (the hub's survivorship) are used as they are."""
        subject = subject_as_of("ct_1", [tp("1", 1, "signup", traits={"a": 1})], AS_OF, {"b": 2})
        assert dict(subject.traits) == {"b": 2}

    def test_a_naive_as_of_is_refused(self) -> None:
        """as_of must be timezone-aware: a typed error names it."""
        with pytest.raises(InvalidTimestampError, match="as_of"):
            subject_as_of("ct_1", [], datetime(2026, 1, 1))
        with pytest.raises(InvalidTimestampError, match="as_of"):
            score_all(builtin_strategies(), [], datetime(2026, 1, 1))

    def test_a_naive_touchpoint_time_is_read_as_utc(self) -> None:
        """A naive occurred_at (never in the hub's log) does not break scoring."""
        naive = oc.Touchpoint("n", datetime(2026, 5, 31, 12, 0), "web", "signup")
        score = one(BehaviourStrategy(), naive)
        assert score.value == pytest.approx(15 * 2 ** (-1 / 30))


class TestScore:
    def test_equality_ignores_the_breakdown(self) -> None:
        """Scores are values: equal and same hash on name, value, as_of, label."""
        a = Score("x", 1.0, AS_OF, (Contribution("population", "r", 1.0),), label="A")
        b = Score("x", 1.0, AS_OF, lambda: (), label="A")
        assert a == b
        assert hash(a) == hash(b)
        assert a != Score("x", 1.0, AS_OF, label="B")

    def test_a_lazy_breakdown_is_computed_once(self) -> None:
        """A callable breakdown is called on first access only, then kept."""
        calls = []

        def explain() -> tuple[Contribution, ...]:
            calls.append(1)
            return (Contribution("population", "r", 2.0),)

        score = Score("x", 2.0, AS_OF, explain)
        assert score.breakdown == score.breakdown == (Contribution("population", "r", 2.0),)
        assert calls == [1]

    def test_builtins_follow_the_protocol(self) -> None:
        """Every built-in is a ScoringStrategy with a unique slug name."""
        strategies = builtin_strategies()
        assert all(isinstance(s, ScoringStrategy) for s in strategies)
        assert [s.name for s in strategies] == [
            "behaviour",
            "fit",
            "rfm",
            "engagement",
            "ambassador",
            "churn_risk",
        ]
        assert [s.needs_population for s in strategies] == [
            False,
            False,
            True,
            False,
            False,
            False,
        ]

    def test_two_strategies_with_one_name_are_refused(self) -> None:
        """score_all refuses a clash of names."""
        with pytest.raises(ConfigurationError):
            score_all([BehaviourStrategy(), BehaviourStrategy()], [], AS_OF)


class TestBehaviour:
    @pytest.mark.parametrize(
        ("age", "expected"), [(0, 10.0), (30, 5.0), (60, 2.5), (90, 1.25), (15, 7.0710678)]
    )
    def test_half_life(self, age: float, expected: float) -> None:
        """10 points halve every 30 days: 10, 5, 2.5, 1.25 (and 10/sqrt(2) at 15 days)."""
        score = one(BehaviourStrategy(points={"x": 10}), tp("t", age, "x"))
        assert score.value == pytest.approx(expected)

    @pytest.mark.parametrize(
        ("age", "expected"),
        [(0, 10.0), (6.9, 10.0), (7, 9.0), (13.9, 9.0), (14, 8.1), (21, 7.29), (70, 3.486784401)],
    )
    def test_step_decay(self, age: float, expected: float) -> None:
        """Losing 10% every 7 days: 10, 9, 8.1, 7.29 … ((0.9 ** 10) * 10 at 70 days)."""
        strategy = BehaviourStrategy(points={"x": 10}, step=StepDecay(every_days=7, loss=0.1))
        assert one(strategy, tp("t", age, "x")).value == pytest.approx(expected)

    def test_default_table_and_cut_off(self) -> None:
        """Defaults: signup 15 today + purchase 25 at one half-life; max age drops the old."""
        tps = [tp("a", 0, "signup"), tp("b", 30, "purchase"), tp("c", 0, "email_unsubscribe")]
        assert one(BehaviourStrategy(), *tps).value == pytest.approx(15 + 12.5 - 10)
        assert one(BehaviourStrategy(max_age_days=20), *tps).value == pytest.approx(5)

    def test_breakdown(self) -> None:
        """Each scoring touchpoint is a line: its id, action, age and weight."""
        score = one(BehaviourStrategy(), tp("a", 30, "purchase"), tp("b", 0, "ad_impression"))
        assert score.breakdown == (
            Contribution("touchpoint:a", "purchase, 30.0 days old, weight 0.50", 12.5),
        )

    def test_bad_settings_are_refused(self) -> None:
        """A half-life must be positive; points must be numbers; a loss a share."""
        with pytest.raises(ConfigurationError):
            BehaviourStrategy(half_life_days=0)
        with pytest.raises(ConfigurationError):
            BehaviourStrategy(points={"x": "many"})
        with pytest.raises(ConfigurationError):
            StepDecay(every_days=7, loss=1.5)


# The RFM table. Recency in whole days (the last purchase is 3 hours past the
# day), frequency, monetary; 12 customers, so q = 1 + floor(5 * k / 12) with k
# the number of customers strictly below (F, M) or strictly above (R):
# k:  0 1 2 3 4 5 6 7 8 9 10 11
# q:  1 1 1 2 2 3 3 3 4 4 5  5
RFM_TABLE = [
    # id,   R,   F, M,   expected (R, F, M) computed by hand
    ("c01", 1, 5, 500, (5, 5, 5)),  # R: 10 above; F: 10 below; M: 10 below
    ("c02", 1, 1, 20, (5, 1, 1)),  # R: 10 above; F: 0 below; M: 1 below
    ("c03", 3, 2, 80, (4, 3, 3)),  # R: 9 above; F: 5 below; M: 6 below
    ("c04", 7, 2, 80, (4, 3, 3)),  # R: 8 above
    ("c05", 10, 3, 150, (3, 4, 4)),  # R: 6 above; F: 8 below; M: 8 below
    ("c06", 10, 1, 35, (3, 1, 2)),  # M: 4 below
    ("c07", 30, 4, 300, (3, 4, 4)),  # R: 5 above; F: 9 below; M: 9 below
    ("c08", 45, 1, 20, (2, 1, 1)),  # R: 4 above
    ("c09", 60, 2, 60, (2, 3, 3)),  # R: 3 above; M: 5 below
    ("c10", 90, 1, 10, (1, 1, 1)),  # R: 2 above; M: 0 below
    ("c11", 200, 6, 900, (1, 5, 5)),  # R: 1 above; F: 11 below; M: 11 below
    ("c12", 365, 1, 20, (1, 1, 1)),  # R: 0 above
]


def rfm_touchpoints(cid: str, recency: int, frequency: int, monetary: float) -> list[oc.Touchpoint]:
    """Purchases matching the row; c05 and c07 carry refunds and unusable amounts."""
    last = recency + 0.125  # 3 hours into the day: recency is floored to whole days
    days = [last + 7 * i for i in range(frequency)]
    if cid == "c05":  # 100 + 70 + 20 - refund 40 = 150
        return [
            tp(f"{cid}-p0", days[0], "purchase", amount=100),
            tp(f"{cid}-p1", days[1], "purchase", revenue="70"),
            tp(f"{cid}-p2", days[2], "purchase", total=20.0),
            tp(f"{cid}-r", days[0] + 1, "refund", amount=40),
            tp(f"{cid}-r2", days[0] + 2, "refund", amount="n/a"),
        ]
    if cid == "c07":  # 150 + 150 + two purchases without a usable amount = 300, F 4
        return [
            tp(f"{cid}-p0", days[0], "purchase", amount=150),
            tp(f"{cid}-p1", days[1], "purchase", amount=150),
            tp(f"{cid}-p2", days[2], "purchase", amount="abc"),
            tp(f"{cid}-p3", days[3], "purchase", amount=True),
        ]
    share = monetary / frequency
    return [tp(f"{cid}-p{i}", day, "purchase", amount=share) for i, day in enumerate(days)]


class TestRFM:
    def test_a_dozen_customers_by_hand(self) -> None:
        """The quintiles of 12 customers with ties match the table computed by hand."""
        subjects = [
            subject_as_of(cid, rfm_touchpoints(cid, r, f, m), AS_OF)
            for cid, r, f, m, _ in RFM_TABLE
        ]
        subjects.append(subject_as_of("c13", [tp("v", 1, "page_view")], AS_OF))
        scores = score_all([RFMStrategy()], subjects, AS_OF)
        for cid, _, _, _, (r, f, m) in RFM_TABLE:
            score = scores[cid]["rfm"]
            assert score.label == f"{r}{f}{m}", cid
            assert score.value == 100 * r + 10 * f + m
            assert sum(c.points for c in score.breakdown) == score.value
        assert scores["c13"]["rfm"].value == 0
        assert scores["c13"]["rfm"].label is None

    def test_raw_values(self) -> None:
        """Refunds are taken off M; purchases without an amount count in F only."""
        strategy = RFMStrategy()
        c05 = strategy.values(
            subject_as_of("c05", rfm_touchpoints("c05", 10, 3, 150), AS_OF), AS_OF
        )
        c07 = strategy.values(
            subject_as_of("c07", rfm_touchpoints("c07", 30, 4, 300), AS_OF), AS_OF
        )
        assert c05 is not None
        assert c07 is not None
        assert (c05.recency_days, c05.frequency, c05.monetary) == (10, 3, 150.0)
        assert c05.ignored == ("c05-r2",)
        assert (c07.recency_days, c07.frequency, c07.monetary) == (30, 4, 300.0)
        assert set(c07.ignored) == {"c07-p2", "c07-p3"}

    def test_breakdown(self) -> None:
        """The breakdown names the quintiles and the population size."""
        subjects = [
            subject_as_of(cid, rfm_touchpoints(cid, r, f, m), AS_OF)
            for cid, r, f, m, _ in RFM_TABLE
        ]
        score = score_all([RFMStrategy()], subjects, AS_OF)["c07"]["rfm"]
        reasons = [c.reason for c in score.breakdown]
        assert reasons[:3] == [
            "recency 30 days since purchase c07-p0, quintile 3 of 5 among 12 customers",
            "frequency 4 purchases, quintile 4 of 5 among 12 customers",
            "monetary 300.00, quintile 4 of 5 among 12 customers",
        ]
        assert [c.points for c in score.breakdown] == [300.0, 40.0, 4.0, 0.0, 0.0]

    def test_alone_without_a_population(self) -> None:
        """Unprepared, a customer is ranked against itself alone: nobody below or above, 111."""
        subject = subject_as_of("c1", [tp("p", 3, "purchase", amount=5)], AS_OF)
        assert RFMStrategy().score(subject, AS_OF, None).label == "111"


class TestChurnRisk:
    def test_regular_buyer(self) -> None:
        """Gaps 30, 30, 30 days; 10 days since: 1 - exp(-1/3), low."""
        tps = [tp(f"p{d}", d, "purchase") for d in (100, 70, 40, 10)]
        score = one(ChurnRiskStrategy(), *tps)
        assert score.value == pytest.approx(0.28346868942621073)
        assert score.label == "low"
        assert score.breakdown == (
            Contribution(
                "touchpoint:p10",
                "last purchase 10.0 days ago, usual gap 30.0 days (median of 3 gaps)",
                score.value,
            ),
        )

    def test_median_of_an_even_number_of_gaps(self) -> None:
        """Gaps 10, 30, 40, 60: median 35; 10 days since: 1 - exp(-10/35)."""
        tps = [tp(f"p{d}", d, "purchase") for d in (150, 140, 110, 70, 10)]
        assert one(ChurnRiskStrategy(), *tps).value == pytest.approx(1 - math.exp(-10 / 35))

    def test_overdue(self) -> None:
        """Gaps 10, 10; 30 days since: 1 - exp(-3) = 0.950, high."""
        tps = [tp(f"p{d}", d, "purchase") for d in (50, 40, 30)]
        score = one(ChurnRiskStrategy(), *tps)
        assert score.value == pytest.approx(0.950212931632136)
        assert score.label == "high"

    def test_one_purchase_uses_the_default_gap(self) -> None:
        """One purchase 90 days ago, default gap 90: 1 - exp(-1), medium."""
        score = one(ChurnRiskStrategy(), tp("p", 90, "purchase"))
        assert score.value == pytest.approx(0.6321205588285577)
        assert score.label == "medium"

    def test_same_day_purchases_use_the_minimum_gap(self) -> None:
        """Two purchases an hour apart: the gap is 1 day, not 0."""
        tps = [tp("a", 2, "purchase"), tp("b", 2 - 1 / 24, "purchase")]
        assert one(ChurnRiskStrategy(), *tps).value == pytest.approx(1 - math.exp(-(2 - 1 / 24)))

    def test_no_purchase(self) -> None:
        """No purchase: 0, labelled 'no purchase', empty breakdown."""
        score = one(ChurnRiskStrategy(), tp("v", 1, "page_view"))
        assert (score.value, score.label, score.breakdown) == (0.0, "no purchase", ())


class TestEngagement:
    def test_worked_example(self) -> None:
        """(1 + 3/2 + 1/4) x breadth 1.25 for two channels = 3.4375."""
        tps = [
            tp("open", 0, "email_open", "email"),  # 1
            tp("click", 14, "email_click", "email"),  # 3 x 0.5
            tp("view", 28, "page_view", "web"),  # 1 x 0.25
            tp("sent", 0, "email_sent", "email"),  # passive: 0
            tp("ad", 0, "ad_impression", "display_ad"),  # passive: no channel either
            tp("old", 100, "purchase", "store"),  # outside the 90-day window
        ]
        score = one(EngagementStrategy(), *tps)
        assert score.value == pytest.approx(3.4375)
        assert [c.source for c in score.breakdown] == [
            "touchpoint:view",
            "touchpoint:click",
            "touchpoint:open",
        ]
        assert score.breakdown[1].reason == (
            "email_click on email, 14.0 days old, weight 3 x decay 0.50 x breadth 1.25"
        )
        assert sum(c.points for c in score.breakdown) == pytest.approx(score.value)

    def test_channel_weights(self) -> None:
        """A channel multiplier scales its touchpoints; weight 0 drops the channel."""
        tps = [tp("a", 0, "page_view", "web"), tp("b", 0, "call", "call_centre")]
        strategy = EngagementStrategy(channel_weights={"call_centre": 0})
        assert one(strategy, *tps).value == pytest.approx(1.0)


class TestAmbassador:
    def test_worked_example(self) -> None:
        """20 + 7.5 - 15 + 6.25 + 10 - 5 = 23.75 with a 180-day half-life."""
        tps = [
            tp("nps", 0, "nps_response", nps=10),  # promoter 20
            tp("rev1", 180, "review", rating=5),  # 15 x 0.5
            tp("rev2", 0, "review", rating=2),  # -15
            tp("rev3", 0, "review", rating=3),  # neutral: 0, not listed
            tp("ref", 360, "referral"),  # 25 x 0.25
            tp("share", 0, "share", "social"),  # 10
            tp("call", 0, "call", "call_centre", sentiment="negative"),  # -5
            tp("odd", 0, "survey_response", score="abc"),  # ignored, listed
            tp("calm", 0, "call", "call_centre", sentiment=0.1),  # neutral: nothing
        ]
        score = one(AmbassadorStrategy(), *tps)
        assert score.value == pytest.approx(23.75)
        assert sum(c.points for c in score.breakdown) == pytest.approx(score.value)
        odd = [c for c in score.breakdown if c.source == "touchpoint:odd"]
        assert odd == [
            Contribution(
                "touchpoint:odd",
                "no promoter score from 0 to 10, ignored, 0.0 days old, weight 1.00",
                0.0,
            )
        ]

    @pytest.mark.parametrize(
        ("nps", "expected"), [(9, 20), (8, 5), (7, 5), (6, -20), (0, -20), (11, 0)]
    )
    def test_promoter_bands(self, nps: int, expected: float) -> None:
        """9-10 promoter, 7-8 passive, 0-6 detractor; out of range ignored."""
        assert one(AmbassadorStrategy(), tp("n", 0, "nps_response", nps=nps)).value == expected


class TestFit:
    def test_a_senior_buyer_with_an_email_is_grade_a(self) -> None:
        """e-mail 10 + company 10 + senior title 20 + country 5 = 45: A."""
        traits = {"company": "Acme", "job_title": "Head of Marketing", "country": "FR"}
        score = one(FitStrategy(), tp("s", 1, "signup", "web", ("email", "a@b.fr")), traits=traits)
        assert (score.value, score.label) == (45.0, "A")
        assert score.breakdown == (
            Contribution("identifier:email", "has an e-mail address", 10.0),
            Contribution("trait:company", "company is known", 10.0),
            Contribution("trait:job_title", "job_title names a senior role", 20.0),
            Contribution("trait:country", "country is known", 5.0),
        )

    def test_grades(self) -> None:
        """A phone only is 10 (C); nothing is 0 (D); e-mail, phone, company 30 (B)."""
        phone = ("phone", "+33612345678")
        assert one(FitStrategy(), tp("a", 1, "call", "call_centre", phone)).label == "C"
        assert one(FitStrategy(), tp("a", 1, "page_view")).label == "D"
        both = tp("a", 1, "signup", "web", phone, ("email", "a@b.fr"))
        score = one(FitStrategy(), both, traits={"company": "Acme", "job_title": "intern"})
        assert (score.value, score.label) == (30.0, "B")

    def test_custom_rules(self) -> None:
        """trait_in compares text case-insensitively; odd values never match nor raise."""
        strategy = FitStrategy(rules=[FitRule.trait_in("country", {"fr", "DE"}, 15)])
        assert one(strategy, tp("a", 1, "x"), traits={"country": "FR"}).value == 15
        assert one(strategy, tp("a", 1, "x"), traits={"country": ["FR"]}).value == 0
        assert one(strategy, tp("a", 1, "x"), traits={"country": {"a": 1}}).value == 0

    def test_a_bad_rule_is_refused(self) -> None:
        """A rule's source must name a trait or an identifier kind."""
        with pytest.raises(ConfigurationError):
            FitRule("country", bool, 1, "x")


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

ACTIONS = [
    "page_view",
    "email_open",
    "email_click",
    "email_sent",
    "signup",
    "purchase",
    "refund",
    "review",
    "referral",
    "share",
    "complaint",
    "nps_response",
    "survey_response",
    "call",
    "email_unsubscribe",
]
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["12.5", "abc", "positive", "negative", "9", " 4 ", "1e400", "nan"]),
)
START = AS_OF - timedelta(days=400)


@st.composite
def streams(draw: st.DrawFn, prefix: str = "tp", max_size: int = 12) -> list[oc.Touchpoint]:
    """A contact's touchpoints with odd properties, up to 400 days before AS_OF and a bit after."""
    out = []
    for i in range(draw(st.integers(0, max_size))):
        keys = st.sampled_from(["amount", "revenue", "rating", "nps", "score", "sentiment"])
        out.append(
            oc.Touchpoint(
                id=f"{prefix}-{i:02d}",
                occurred_at=START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 420))),
                channel=draw(st.sampled_from(["web", "email", "store", "social"])),
                action=draw(st.sampled_from(ACTIONS)),
                identifiers=draw(
                    st.lists(st.sampled_from([oc.Identifier("email", "a@b.c")]), max_size=1)
                ),
                traits=draw(st.dictionaries(st.sampled_from(["company", "country"]), ODD_VALUES)),
                properties=draw(st.dictionaries(keys, ODD_VALUES, max_size=3)),
            )
        )
    return out


@st.composite
def populations(draw: st.DrawFn) -> list[list[oc.Touchpoint]]:
    """One to four contacts' streams."""
    return [draw(streams(prefix=f"c{i}")) for i in range(draw(st.integers(1, 4)))]


def as_of_times() -> st.SearchStrategy[datetime]:
    return st.integers(0, 60 * 24 * 420).map(lambda m: START + timedelta(minutes=m))


def scored(population: list[list[oc.Touchpoint]], as_of: datetime) -> dict[str, dict[str, Score]]:
    subjects = [subject_as_of(f"ct{i}", tps, as_of) for i, tps in enumerate(population)]
    return score_all(builtin_strategies(), subjects, as_of)


def breakdowns(scores: dict[str, dict[str, Score]]) -> dict[tuple[str, str], object]:
    return {(c, n): s.breakdown for c, by in scores.items() for n, s in by.items()}


class TestProperties:
    @given(populations(), as_of_times(), st.randoms(use_true_random=False))
    def test_arrival_order_does_not_matter(
        self, population: list[list[oc.Touchpoint]], as_of: datetime, rnd: random.Random
    ) -> None:
        """Shuffling each contact's touchpoints changes no score and no breakdown."""
        shuffled = [rnd.sample(tps, len(tps)) for tps in population]
        first, second = scored(population, as_of), scored(shuffled, as_of)
        assert first == second
        assert breakdowns(first) == breakdowns(second)

    @given(populations(), as_of_times())
    def test_the_future_is_ignored(
        self, population: list[list[oc.Touchpoint]], as_of: datetime
    ) -> None:
        """A score as of t equals the score over the touchpoints up to t only."""
        past = [[t for t in tps if t.occurred_at <= as_of] for tps in population]
        assert scored(population, as_of) == scored(past, as_of)
        # and each strategy ignores the future itself, given a subject holding it
        for tps in population:
            everything = Subject("ct", tuple(sorted(tps, key=lambda t: (t.occurred_at, t.id))))
            cut = subject_as_of("ct", tps, as_of, everything.traits)
            for strategy in builtin_strategies():
                ready = strategy.prepare([cut], as_of)
                assert strategy.score(everything, as_of, ready) == strategy.score(cut, as_of, ready)

    @given(populations(), as_of_times())
    def test_values_are_finite_and_breakdowns_add_up(
        self, population: list[list[oc.Touchpoint]], as_of: datetime
    ) -> None:
        """Every value is finite, and the points of its breakdown add up to it."""
        for by_name in scored(population, as_of).values():
            for score in by_name.values():
                assert math.isfinite(score.value)
                assert sum(c.points for c in score.breakdown) == pytest.approx(
                    score.value, rel=1e-9, abs=1e-9
                )
                if score.name == "churn_risk":
                    assert 0 <= score.value <= 1

    @given(st.lists(touchpoints(), max_size=8), as_of_times())
    def test_arbitrary_touchpoints_never_raise(
        self, tps: list[oc.Touchpoint], as_of: datetime
    ) -> None:
        """Any valid touchpoints (naive or zoned times, any properties) score without error."""
        unique = list({t.id: t for t in tps}.values())
        for score in scored([unique], as_of)["ct0"].values():
            assert math.isfinite(score.value)
            assert isinstance(score.breakdown, tuple)


class TestPrivacy:
    def test_no_trait_value_in_reprs_or_reasons(self) -> None:
        """A trait value planted everywhere shows up in no repr, source or reason."""
        secret = "SECRETVALUE"
        traits = {
            "company": secret,
            "job_title": f"{secret} director",
            "country": secret,
            "first_name": secret,
        }
        tps = [
            tp("s", 3, "signup", "web", ("email", f"{secret}@example.com"), traits=traits),
            tp("p", 2, "purchase", "store", amount=10, note=secret),
            tp("r", 1, "review", rating=5, comment=secret),
            tp("c", 1, "call", "call_centre", sentiment="negative"),
        ]
        subject = subject_as_of("ct_1", tps, AS_OF)
        texts = [repr(subject)]
        for strategy in builtin_strategies():
            score = strategy.score(subject, AS_OF, strategy.prepare([subject], AS_OF))
            texts.append(repr(score))
            texts.extend(repr(c) for c in score.breakdown)
            assert score.breakdown or score.name in ("rfm", "churn_risk")
        assert not any(secret in text for text in texts)

    @given(markers(), populations(), as_of_times())
    def test_no_marker_in_any_reason(
        self, marker: str, population: list[list[oc.Touchpoint]], as_of: datetime
    ) -> None:
        """Markers planted in every trait value never reach a breakdown."""
        planted = [
            [
                oc.Touchpoint(
                    t.id,
                    t.occurred_at,
                    t.channel,
                    t.action,
                    t.identifiers,
                    traits={k: f"{marker} {v}" for k, v in t.traits.items()},
                    properties=t.properties,
                )
                for t in tps
            ]
            for tps in population
        ]
        for by_name in scored(planted, as_of).values():
            for score in by_name.values():
                assert marker not in repr(score)
                assert not any(marker in c.reason or marker in c.source for c in score.breakdown)
