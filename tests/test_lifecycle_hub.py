"""Stages and scores on a hub: plug-ins, notifications, failures, merges and splits.

The stage models and strategies themselves are tested in test_lifecycle.py
and test_scoring.py; here, how the hub runs them.
"""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.cli import main
from omnicontact.lifecycle import Stage, StageChange, StageModel, on_action, stage_history
from omnicontact.scoring import Contribution, Score, Subject

from .conftest import NOW, make_hub

pytestmark = pytest.mark.usefixtures("each_store")

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ANN = oc.Identifier("email", "ann@example.com")
COOKIE = oc.Identifier("cookie_id", "ck-1")


def tp(
    tp_id: str, day: int, action: str, *identifiers: oc.Identifier, **props: Any
) -> oc.Touchpoint:
    return oc.Touchpoint(
        tp_id,
        T0 + timedelta(days=day),
        "web",
        action,
        identifiers=identifiers or (COOKIE,),
        properties=props or None,
    )


JOURNEY = [
    tp("t-1", 0, "page_view"),
    tp("t-2", 1, "signup", COOKIE, ANN),
    tp("t-3", 5, "purchase", ANN, amount=40),
    tp("t-4", 9, "review", ANN, rating=5),
]


class Recorder:
    """A plug-in that keeps every stage change it is told about."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.changes: list[tuple[str, StageChange]] = []

    @oc.hookimpl
    def stage_changed(self, hub: oc.Hub, contact_id: str, change: StageChange) -> None:
        self.changes.append((contact_id, change))


class Loyalty:
    """A plug-in with its own track and its own score."""

    __name__ = "loyalty-plugin"

    @oc.hookimpl
    def register_stage_models(self) -> list[StageModel]:
        return [
            StageModel(
                name="loyalty",
                stages=(Stage("member", 0, "Enrolled."), Stage("gold", 1, "Bought twice.")),
                rules=(on_action("enrolled", "member", "signup"), _twice()),
                initial=None,
                description="A loyalty programme.",
            )
        ]

    @oc.hookimpl
    def register_scoring_strategies(self) -> list[Purchases]:
        return [Purchases()]


def _twice() -> Any:
    from omnicontact.lifecycle import StateRule

    class Twice(StateRule):
        def holds(self, ctx: Any) -> bool:
            return ctx.count("purchase") >= 2

    return Twice(name="twice", to="gold")


class Purchases:
    """Counts purchases: a minimal strategy."""

    name = "purchases"
    description = "how many purchases"
    needs_population = False

    def prepare(self, subjects: Any, as_of: datetime) -> None:
        return None

    def score(self, subject: Subject, as_of: datetime, prepared: object) -> Score:
        bought = [t for t in subject.touchpoints if t.action == "purchase"]
        parts = tuple(Contribution(f"touchpoint:{t.id}", "purchase", 1.0) for t in bought)
        return Score(self.name, float(len(bought)), as_of, parts)


class TestOnAHub:
    def test_a_contact_has_its_stage_history_on_every_track(self) -> None:
        hub = make_hub()
        hub.add_many(JOURNEY)
        ann = hub.contact(ANN)
        assert ann.as_of == NOW
        assert ann.stage == "ambassador"
        assert set(ann.stages) == {"extended_crm", "inbound", "b2b"}
        assert [(c.to_stage, c.touchpoint_id, c.rule) for c in ann.stage_history.changes] == [
            ("suspect", "t-1", "initial"),
            ("prospect", "t-2", "identified"),
            ("customer", "t-3", "purchased"),
            ("ambassador", "t-4", "reviewed"),
        ]
        assert ann.stage_as_of(T0 + timedelta(days=3)) == "prospect"
        assert ann.stage_as_of(T0 + timedelta(days=3), track="inbound") == "lead"
        assert ann.stage_as_of(T0 - timedelta(days=1)) is None

    def test_scores_are_those_of_the_strategies_as_of_the_hub_clock(self) -> None:
        hub = make_hub()
        hub.add_many(JOURNEY)
        ann = hub.contact(ANN)
        assert set(ann.scores) == {
            "behaviour",
            "fit",
            "rfm",
            "engagement",
            "ambassador",
            "churn_risk",
        }
        behaviour = hub.lifecycle.strategies["behaviour"]
        expected = behaviour.score(hub.lifecycle.subject(ann, NOW), NOW, None)
        assert ann.scores["behaviour"] == expected
        assert ann.score("behaviour", as_of=T0 + timedelta(days=2)).value < expected.value * 100
        assert hub.scores() == {ann.contact_id: dict(ann.scores)}

    def test_unknown_names_are_configuration_errors(self) -> None:
        hub = make_hub()
        hub.add_many(JOURNEY)
        ann = hub.contact(ANN)
        with pytest.raises(oc.ConfigurationError, match="no scoring strategy is named 'nps'"):
            ann.score("nps")
        with pytest.raises(oc.ConfigurationError, match="no stage model"):
            ann.stage_as_of(NOW, track="nope")
        with pytest.raises(oc.ConfigurationError, match="default_track"):
            make_hub(default_track="nope")
        assert make_hub(default_track=None).lifecycle.default_track is None

    def test_a_contact_built_by_hand_has_no_stages(self) -> None:
        contact = oc.Contact("ct_x", (), {}, JOURNEY)
        assert (contact.stage, dict(contact.stages), dict(contact.scores)) == (None, {}, {})
        with pytest.raises(oc.ConfigurationError):
            contact.score("behaviour")

    def test_the_snapshot_time_does_not_change_equality(self) -> None:
        now = [NOW]
        hub = make_hub(clock=lambda: now[0])
        hub.add_many(JOURNEY)
        first = hub.contact(ANN)
        now[0] = NOW + timedelta(days=400)
        later = hub.contact(ANN)
        assert first == later
        assert (first.as_of, later.as_of) == (NOW, NOW + timedelta(days=400))
        assert later.stage == "lapsed"  # a year without a purchase
        assert first.stage == "ambassador"


class TestPlugins:
    def test_a_plugin_adds_a_track_and_a_score(self) -> None:
        hub = make_hub(plugins=[Loyalty()])
        hub.add_many([*JOURNEY, tp("t-5", 20, "purchase", ANN, amount=10)])
        ann = hub.contact(ANN)
        assert ann.stages["loyalty"].current == "gold"
        assert [c.rule for c in ann.stages["loyalty"].changes] == ["enrolled", "twice"]
        assert ann.scores["purchases"].value == 2
        assert [p.source for p in ann.scores["purchases"].breakdown] == [
            "touchpoint:t-3",
            "touchpoint:t-5",
        ]

    def test_a_plugin_model_replaces_a_builtin_of_the_same_name(self) -> None:
        class Mine:
            __name__ = "mine"

            @oc.hookimpl
            def register_stage_models(self) -> list[StageModel]:
                return [
                    StageModel(
                        name="extended_crm",
                        stages=(Stage("anyone", 0, "Anyone."),),
                        rules=(),
                        initial="anyone",
                        description="Everyone is anyone.",
                    )
                ]

        hub = make_hub(plugins=[Mine()])
        hub.add_many(JOURNEY)
        assert hub.contact(ANN).stage == "anyone"

    def test_two_plugins_with_one_name_or_a_wrong_shape_are_refused(self) -> None:
        with pytest.raises(oc.PluginRegistrationError, match="a second one is named 'loyalty'"):
            make_hub(plugins=[Loyalty(), _renamed(Loyalty(), "loyalty-2")])

        class Wrong:
            __name__ = "wrong"

            @oc.hookimpl
            def register_scoring_strategies(self) -> list[object]:
                return ["not a strategy"]

        with pytest.raises(oc.PluginRegistrationError, match="not a ScoringStrategy"):
            make_hub(plugins=[Wrong()])


def _renamed(plugin: Any, name: str) -> Any:
    plugin.__name__ = name
    return plugin


class TestStageChanged:
    def test_each_add_notifies_the_changes_it_caused(self) -> None:
        recorder = Recorder()
        hub = make_hub(plugins=[recorder])
        for item in JOURNEY:
            hub.add(item)
        ours = [(c.track, c.to_stage, c.touchpoint_id) for _, c in recorder.changes]
        assert [x for x in ours if x[0] == "extended_crm"] == [
            ("extended_crm", "suspect", "t-1"),
            ("extended_crm", "prospect", "t-2"),
            ("extended_crm", "customer", "t-3"),
            ("extended_crm", "ambassador", "t-4"),
        ]
        ann = hub.contact(ANN).contact_id
        assert {contact_id for contact_id, _ in recorder.changes} == {ann}
        hub.add(JOURNEY[0])  # a duplicate changes nothing
        assert len(ours) == len(recorder.changes)

    def test_a_batch_notifies_the_same_changes(self) -> None:
        one, batch = Recorder(), Recorder()
        first = make_hub(plugins=[one])
        for item in JOURNEY:
            first.add(item)
        second = make_hub(plugins=[batch])
        report = second.add_many(JOURNEY)
        assert report.accepted == 4
        def key(change: StageChange) -> tuple[str, datetime, str]:
            return (change.track, change.at, change.to_stage)

        assert sorted((c for _, c in batch.changes), key=key) == sorted(
            (c for _, c in one.changes), key=key
        )

    def test_a_late_touchpoint_is_notified_with_its_event_time(self) -> None:
        recorder = Recorder()
        hub = make_hub(plugins=[recorder])
        hub.add(JOURNEY[1])
        recorder.changes.clear()
        hub.add(tp("t-0", -3, "purchase", ANN))  # bought before signing up, told later
        changes = [c for _, c in recorder.changes if c.track == "extended_crm"]
        assert [(c.to_stage, c.at) for c in changes] == [
            ("suspect", T0 - timedelta(days=3)),
            ("customer", T0 - timedelta(days=3)),
        ]
        assert hub.contact(ANN).stage == "customer"


class Exploding:
    """A plug-in whose rule and strategy raise on a purchase."""

    __name__ = "exploding"

    @oc.hookimpl
    def register_stage_models(self) -> list[StageModel]:
        from omnicontact.lifecycle import TouchpointRule

        class Boom(TouchpointRule):
            def matches(self, touchpoint: oc.Touchpoint, ctx: Any) -> bool:
                if touchpoint.action == "purchase":
                    raise ZeroDivisionError("secret@example.com")
                return False

        return [
            StageModel(
                name="fragile",
                stages=(Stage("in", 0, "In."), Stage("out", 1, "Out.")),
                rules=(on_action("joined", "in", "signup"), Boom(name="boom", to="out")),
                initial=None,
                description="Breaks on purchases.",
            )
        ]

    @oc.hookimpl
    def register_scoring_strategies(self) -> list[Any]:
        class Fragile(Purchases):
            name = "fragile"

            def score(self, subject: Subject, as_of: datetime, prepared: object) -> Score:
                if any(t.action == "purchase" for t in subject.touchpoints):
                    raise ValueError("secret@example.com")
                return super().score(subject, as_of, prepared)

        return [Fragile()]


class TestFailures:
    def test_a_failing_rule_is_named_and_the_contact_keeps_its_values(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        hub = make_hub(plugins=[Exploding(), Recorder()])
        hub.add_many(JOURNEY[:2])
        before = hub.contact(ANN)
        assert before.stages["fragile"].current == "in"
        assert before.scores["fragile"].value == 0
        report = hub.add_many(JOURNEY[2:])  # ingestion goes on
        assert report.accepted == 2
        after = hub.contact(ANN)
        assert after.stages["fragile"] == before.stages["fragile"]  # the previous value
        assert after.scores["fragile"] == before.scores["fragile"]
        assert after.stage == "ambassador"  # the other tracks are unharmed
        with pytest.raises(oc.PluginError, match="'exploding'") as info:
            hub.lifecycle.history(after, "fragile", NOW)
        assert "stage model 'fragile' raised ZeroDivisionError" in str(info.value)
        with pytest.raises(oc.PluginError, match="strategy 'fragile' raised ValueError"):
            after.score("fragile")
        assert hub.lifecycle.failures
        everything = " ".join(str(e) for e in hub.lifecycle.failures) + caplog.text
        assert "secret@example.com" not in everything

    def test_without_a_known_value_the_failing_track_is_left_out(self) -> None:
        hub = make_hub(plugins=[Exploding()])
        hub.add_many(JOURNEY)
        ann = hub.contact(ANN)
        assert "fragile" not in ann.stages
        assert "fragile" not in ann.scores
        assert ann.stage == "ambassador"


def _histories(hub: oc.Hub) -> dict[frozenset[str], dict[str, tuple[StageChange, ...]]]:
    return {
        frozenset(c.touchpoint_ids): {t: h.changes for t, h in c.stages.items()}
        for c in hub.contacts()
    }


class TestMergesAndSplits:
    def test_after_a_merge_the_history_is_that_of_the_union(self) -> None:
        hub = make_hub()
        web = [tp("w-1", 0, "page_view"), tp("w-2", 2, "purchase", COOKIE)]
        store = [oc.Touchpoint("s-1", T0 + timedelta(days=1), "store", "signup", identifiers=[ANN])]
        hub.add_many(web + store)
        assert len(list(hub.contacts())) == 2
        hub.add(tp("w-3", 3, "login", COOKIE, ANN))  # the cookie meets the e-mail
        (merged,) = hub.contacts()
        model = hub.lifecycle.models["extended_crm"]
        assert merged.stage_history == stage_history(model, merged.timeline, NOW)
        assert [c.to_stage for c in merged.stage_history.changes] == [
            "suspect",
            "prospect",
            "customer",
        ]

    def test_a_split_gives_each_side_its_own_history_back(self) -> None:
        hub = make_hub()
        a = [tp("a-1", 0, "page_view"), tp("a-2", 1, "signup", COOKIE, ANN)]
        bob = oc.Identifier("email", "bob@example.com")
        b = [tp("b-1", 2, "signup", bob), tp("b-2", 4, "purchase", bob)]
        hub.add_many(a + b)
        apart = _histories(hub)
        hub.confirm("a-2", "b-1")  # a person says they are one
        assert len(list(hub.contacts())) == 1
        hub.split(hub.contact(ANN), [["a-1", "a-2"], ["b-1", "b-2"]])
        assert _histories(hub) == apart

    @settings(max_examples=25, deadline=None)
    @given(st.randoms(use_true_random=False))
    def test_histories_do_not_depend_on_arrival_order(self, rnd: random.Random) -> None:
        stream = [*JOURNEY, tp("x-1", 2, "page_view", oc.Identifier("cookie_id", "ck-2"))]
        shuffled = list(stream)
        rnd.shuffle(shuffled)
        first, second = make_hub(), make_hub()
        first.add_many(stream)
        for item in shuffled:
            second.add(item)
        assert _histories(first) == _histories(second)


class TestShow:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("OMNICONTACT_DB", raising=False)

    def run(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(list(argv), out=out), out.getvalue()

    def test_show_prints_stages_per_track_and_scores_with_breakdowns(self) -> None:
        status, text = self.run(
            "show", "email=oliver.bennett@example.org", "--memory", "--as-of", "2026-04-30"
        )
        assert status == 0
        assert "    extended_crm: ambassador since 2026-04-10\n" in text
        assert "      2026-03-06 21:20Z  customer     purchased        msg-0018\n" in text
        assert "    inbound: promoter since 2026-04-10\n" in text
        assert "  scores as of 2026-04-30 23:59Z:\n" in text
        assert "    fit: 25 (B)\n" in text
        assert "identifier:email  has an e-mail address" in text
        assert "  case CS-UK-2041: complaint, pending (open), social > call_centre" in text

    def test_show_json_has_full_histories_and_breakdowns(self) -> None:
        oliver = "email=oliver.bennett@example.org"
        status, text = self.run("show", oliver, "--memory", "--json", "--as-of", "2026-04-30")
        data = json.loads(text)
        assert status == 0
        changes = data["stages"]["extended_crm"]["changes"]
        assert [c["to"] for c in changes] == ["suspect", "prospect", "customer", "ambassador"]
        behaviour = data["scores"]["behaviour"]
        assert sum(p["points"] for p in behaviour["breakdown"]) == pytest.approx(
            behaviour["value"]
        )

    def test_a_bad_as_of_is_an_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        oliver = "email=oliver.bennett@example.org"
        status, _ = self.run("show", oliver, "--memory", "--as-of", "soon")
        assert status == 1
        assert "--as-of: must be an ISO 8601 date or time" in capsys.readouterr().err


ACTIONS = st.sampled_from(
    ["page_view", "signup", "purchase", "review", "referral", "email_open", "login"]
)


@st.composite
def journeys(draw: Any, prefix: str, email: str) -> list[oc.Touchpoint]:
    """One person's touchpoints: random actions on random days, all carrying their e-mail."""
    steps = draw(st.lists(st.tuples(ACTIONS, st.integers(0, 80)), min_size=1, max_size=6))
    ident = oc.Identifier("email", email)
    return [
        tp(f"{prefix}-{n}", day, action, ident, rating=5) if action == "review"
        else tp(f"{prefix}-{n}", day, action, ident)
        for n, (action, day) in enumerate(steps)
    ]


@settings(max_examples=20, deadline=None)
@given(journeys("a", "ann@example.com"), journeys("b", "bob@example.com"))
def test_merge_then_split_returns_the_original_histories(
    ann: list[oc.Touchpoint], bob: list[oc.Touchpoint]
) -> None:
    """Merged: the history of the union, on every track. Split again: each its own back."""
    hub = make_hub()
    hub.add_many(ann + bob)
    apart = _histories(hub)
    assert len(apart) == 2
    hub.confirm(ann[0].id, bob[0].id)
    (merged,) = hub.contacts()
    for track, model in hub.lifecycle.models.items():
        assert merged.stages[track] == stage_history(model, ann + bob, NOW, _score_at(hub, merged))
    hub.split(merged, [[t.id for t in ann], [t.id for t in bob]])
    assert _histories(hub) == apart


def _score_at(hub: oc.Hub, contact: oc.Contact) -> Any:
    lifecycle = hub.lifecycle
    return lifecycle._score_at(contact)
