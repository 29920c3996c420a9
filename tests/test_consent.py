"""Consent derived from touchpoints: the rules table, precedence, the merge rule, purity."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.consent import (
    CONSENT_RULES,
    ConsentConflict,
    ConsentDecision,
    ConsentRule,
    ConsentState,
    IgnoredConsent,
    consent_state,
    subjects_of,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
ANN = "ann.lee@example.com"
ANN_WORK = "ann@work.example"
PHONE = "+33612345678"


def day(n: int) -> datetime:
    """Return T0 plus *n* days."""
    return T0 + timedelta(days=n)


def key(kind: str, value: str) -> str:
    """Return the subject key of an identifier value."""
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def tp(
    tp_id: str,
    when: datetime,
    action: str,
    *identifiers: oc.Identifier,
    on: str = "web",
    source: str | None = None,
    **properties: Any,
) -> oc.Touchpoint:
    """Build a touchpoint on channel *on*; keyword arguments are its properties."""
    return oc.Touchpoint(
        tp_id,
        when,
        on,
        action,
        identifiers=identifiers,
        properties=properties or None,
        source=source,
    )


def email(value: str = ANN) -> oc.Identifier:
    """Return an e-mail identifier."""
    return oc.Identifier("email", value)


def one(state: ConsentState) -> ConsentDecision:
    """Return the only decision of *state*."""
    assert len(state.decisions) == 1, state.decisions
    return state.decisions[0]


# --------------------------------------------------------------------------
# the rules table
# --------------------------------------------------------------------------


BUILT_IN = [
    ("email_unsubscribe", {}, "email", "marketing", "denied"),
    ("email_spam_complaint", {}, "email", "*", "denied"),
    ("newsletter_subscribe", {}, "email", "marketing", "granted"),
    ("sms_opt_out", {}, "sms", "marketing", "denied"),
    ("sms_opt_in", {}, "sms", "marketing", "granted"),
    ("signup", {"marketing_opt_in": True}, "email", "marketing", "granted"),
    ("signup", {"marketing_opt_in": False}, "email", "marketing", "denied"),
    ("signup", {"marketing_opt_in": " Yes"}, "email", "marketing", "granted"),
    ("signup", {"marketing_opt_in": "false"}, "email", "marketing", "denied"),
]


class TestRules:
    @pytest.mark.parametrize(("action", "props", "channel", "purpose", "status"), BUILT_IN)
    def test_built_in_mapping(
        self, action: str, props: dict[str, Any], channel: str, purpose: str, status: str
    ) -> None:
        """Each built-in action gives its channel, purpose and status, on consent."""
        ident = oc.Identifier("phone", PHONE) if channel == "sms" else email()
        decision = one(consent_state([tp("t1", T0, action, ident, **props)]))
        assert (decision.channel, decision.purpose, decision.status) == (channel, purpose, status)
        assert decision.legal_basis == "consent"
        assert decision.at == T0
        assert decision.touchpoint_id == "t1"
        kind = "phone" if channel == "sms" else "email"
        assert decision.subject == key(kind, PHONE if channel == "sms" else ANN)

    def test_the_table_lists_exactly_the_documented_actions(self) -> None:
        """The built-in table holds the documented actions, and no e-mail bounce."""
        assert set(CONSENT_RULES) == {
            "consent",
            "consent_given",
            "consent_withdrawn",
            "email_unsubscribe",
            "email_spam_complaint",
            "newsletter_subscribe",
            "sms_opt_out",
            "sms_opt_in",
            "signup",
        }

    @pytest.mark.parametrize("action", ["email_bounce", "email_open", "page_view", "purchase"])
    def test_other_actions_are_no_decision(self, action: str) -> None:
        """A bounce is not a consent decision, nor is any action outside the table."""
        state = consent_state([tp("t1", T0, action, email(), on="email")])
        assert state.decisions == ()
        assert state.ignored == ()

    def test_signup_without_the_box_is_no_decision(self) -> None:
        """A sign-up whose form has no marketing box decides nothing."""
        state = consent_state([tp("t1", T0, "signup", email())])
        assert state.decisions == ()
        assert state.ignored == ()

    def test_generic_consent(self) -> None:
        """The ``consent`` action reads channel, purpose, status and legal basis."""
        state = consent_state(
            [
                tp(
                    "c1",
                    T0,
                    "consent",
                    email(),
                    on="api",
                    source="crm",
                    channel=" SMS",
                    purpose="Profiling",
                    status="DENIED",
                    legal_basis="legitimate_interests",
                )
            ]
        )
        decision = one(state)
        assert (decision.channel, decision.purpose, decision.status) == (
            "sms",
            "profiling",
            "denied",
        )
        assert decision.legal_basis == "legitimate_interests"
        assert decision.source == "crm"
        assert decision.subject == key("email", ANN)  # no phone: the e-mail it was recorded with
        anonymous = tp("c2", T0, "consent", on="api", channel="sms", purpose="x", status="denied")
        assert one(consent_state([anonymous])).subject is None

    @pytest.mark.parametrize(
        ("action", "status"), [("consent_given", "granted"), ("consent_withdrawn", "denied")]
    )
    def test_given_and_withdrawn_imply_the_status(self, action: str, status: str) -> None:
        """``consent_given`` grants and ``consent_withdrawn`` denies without a status property."""
        decision = one(
            consent_state(
                [tp("c1", T0, action, email(), on="api", purpose="analytics", channel="*")]
            )
        )
        assert (decision.channel, decision.purpose, decision.status) == ("*", "analytics", status)
        assert decision.legal_basis is None
        assert decision.source == "api"
        assert decision.subject == key("email", ANN)

    @pytest.mark.parametrize(
        ("action", "props", "reason"),
        [
            (
                "consent",
                {"channel": "email", "status": "granted"},
                "properties.purpose: is required",
            ),
            (
                "consent",
                {"purpose": "marketing", "status": "granted"},
                "properties.channel: is required",
            ),
            (
                "consent",
                {"channel": "email", "purpose": "marketing"},
                "properties.status: is required",
            ),
            (
                "consent",
                {"channel": "email", "purpose": "marketing", "status": "maybe"},
                "properties.status: must be 'granted' or 'denied'",
            ),
            (
                "consent",
                {"channel": "e mail", "purpose": "marketing", "status": "granted"},
                "properties.channel: must be a lower-case slug or '*'",
            ),
            (
                "consent",
                {"channel": "email", "purpose": 3, "status": "granted"},
                "properties.purpose: must be a lower-case slug or '*'",
            ),
            (
                "consent",
                {
                    "channel": "email",
                    "purpose": "marketing",
                    "status": "granted",
                    "legal_basis": "whim",
                },
                "properties.legal_basis: must be a GDPR article 6 basis",
            ),
            (
                "consent_given",
                {"channel": "email", "purpose": "marketing", "status": "denied"},
                "properties.status: contradicts the action",
            ),
            (
                "signup",
                {"marketing_opt_in": "maybe"},
                "properties.marketing_opt_in: must be true or false",
            ),
        ],
    )
    def test_malformed_consent_is_ignored_with_its_reason(
        self, action: str, props: dict[str, Any], reason: str
    ) -> None:
        """A malformed consent touchpoint gives no decision; it is listed with its rule."""
        state = consent_state([tp("c1", T0, action, email(), on="api", **props)])
        assert state.decisions == ()
        assert state.ignored == (IgnoredConsent("c1", reason),)
        assert state.status("email", "marketing") is None

    def test_subjects(self) -> None:
        """Subjects: the channel's kind, hashed; its ``_sha256`` form is the same key."""
        digest = hashlib.sha256(ANN.encode()).hexdigest()
        hashed = oc.Identifier("email_sha256", digest.upper())
        both = tp("t", T0, "x", email(), hashed, oc.Identifier("customer_id", "C-1"))
        assert subjects_of(both, "email") == (key("email", ANN),)
        assert subjects_of(both, "*") == (key("email", ANN),)
        assert subjects_of(both, "post") == (key("email", ANN),)
        assert subjects_of(both, "sms") == (key("email", ANN),)
        phone = tp("t", T0, "x", email(), oc.Identifier("phone", PHONE))
        assert subjects_of(phone, "sms") == (key("phone", PHONE),)
        assert subjects_of(phone, "email") == (key("email", ANN),)
        assert subjects_of(tp("t", T0, "x", oc.Identifier("cookie_id", "ck")), "email") == (None,)
        customer = tp("t", T0, "x", oc.Identifier("customer_id", "C-1"))
        assert subjects_of(customer, "*") == (key("customer_id", "C-1"),)
        two = tp("t", T0, "x", email(), email(ANN_WORK))
        assert subjects_of(two, "email") == tuple(
            sorted([key("email", ANN), key("email", ANN_WORK)])
        )

    def test_a_decision_per_subject(self) -> None:
        """An unsubscribe naming two addresses denies both, as one touchpoint."""
        state = consent_state([tp("u", T0, "email_unsubscribe", email(), email(ANN_WORK))])
        assert [d.subject for d in state.decisions] == sorted(
            [key("email", ANN), key("email", ANN_WORK)]
        )
        assert state.status("email", "marketing") == "denied"
        assert state.conflicts == ()

    def test_rules_can_be_extended(self) -> None:
        """A rules mapping passed in adds actions without touching the built-in table."""
        rules = {**CONSENT_RULES, "push_disabled": ConsentRule("push", "marketing", "denied")}
        tps = [tp("p", T0, "push_disabled", oc.Identifier("device_id", "dv-1"))]
        assert consent_state(tps, rules=rules).status("push", "marketing") == "denied"
        assert consent_state(tps).status("push", "marketing") is None
        assert "push_disabled" not in CONSENT_RULES


# --------------------------------------------------------------------------
# status, precedence, the merge rule
# --------------------------------------------------------------------------


class TestStatus:
    def test_never_asked(self) -> None:
        """Nothing decided: status None; no marketing, transactional allowed, default overrides."""
        state = consent_state([tp("p", T0, "page_view", email())])
        assert state.status("email", "marketing") is None
        assert state.decision("email", "marketing") is None
        assert state.can_contact("email", "marketing") is False
        assert state.can_contact("email", "transactional") is True
        assert state.can_contact("email", "marketing", default=True) is True
        assert state.can_contact("email", "transactional", default=False) is False
        assert dict(state.current()) == {}

    def test_latest_wins_for_one_subject(self) -> None:
        """Unsubscribe then re-subscribe of the same address: granted, no conflict."""
        tps = [
            tp("s1", day(0), "newsletter_subscribe", email()),
            tp("u1", day(1), "email_unsubscribe", email(), on="email"),
            tp("s2", day(2), "newsletter_subscribe", email()),
        ]
        state = consent_state(tps)
        assert state.status("email", "marketing") == "granted"
        assert state.decision("email", "marketing").touchpoint_id == "s2"  # type: ignore[union-attr]
        assert state.conflicts == ()
        assert consent_state(tps[:2]).status("email", "marketing") == "denied"

    def test_restrictive_wins_across_subjects_and_the_conflict_is_listed(self) -> None:
        """Mautic #5495: a subscribed and an unsubscribed record merged: no marketing e-mail."""
        subscribed = tp("s1", day(0), "newsletter_subscribe", email(ANN_WORK))
        unsubscribed = tp("u1", day(1), "email_unsubscribe", email(), on="email")
        later_grant = tp("s2", day(5), "newsletter_subscribe", email(ANN_WORK))
        for tps in ([subscribed, unsubscribed], [unsubscribed, later_grant]):
            state = consent_state(tps)
            assert state.status("email", "marketing") == "denied"
            assert state.can_contact("email", "marketing") is False
            assert state.decision("email", "marketing").touchpoint_id == "u1"  # type: ignore[union-attr]
            conflict = ConsentConflict(
                channel="email",
                purpose="marketing",
                granted_subjects=[key("email", ANN_WORK)],
                denied_subjects=[key("email", ANN)],
                decided_at=max(t.occurred_at for t in tps),
            )
            assert state.conflicts == (conflict,)
            assert state.conflict("email", "marketing") == conflict
        # the same address re-subscribing settles it
        resolved = consent_state(
            [subscribed, unsubscribed, tp("s3", day(6), "newsletter_subscribe", email())]
        )
        assert resolved.status("email", "marketing") == "granted"
        assert resolved.conflicts == ()

    def test_decisions_without_subject_are_one_group(self) -> None:
        """Decisions naming no identifier form their own group in the merge rule."""
        anonymous = tp(
            "c1",
            day(2),
            "consent",
            on="api",
            channel="email",
            purpose="marketing",
            status="granted",
        )
        state = consent_state([tp("u1", day(1), "email_unsubscribe", email()), anonymous])
        assert state.status("email", "marketing") == "denied"
        assert state.conflicts[0].granted_subjects == (None,)
        assert state.conflicts[0].denied_subjects == (key("email", ANN),)

    def test_agreeing_subjects_are_no_conflict(self) -> None:
        """Two addresses both unsubscribed: denied by the latest, no conflict."""
        state = consent_state(
            [
                tp("u1", day(1), "email_unsubscribe", email()),
                tp("u2", day(2), "email_unsubscribe", email(ANN_WORK)),
            ]
        )
        assert state.decision("email", "marketing").touchpoint_id == "u2"  # type: ignore[union-attr]
        assert state.conflicts == ()

    def test_wildcards(self) -> None:
        """A spam complaint denies every e-mail purpose; a later specific grant overrides it."""
        spam = tp("x1", day(1), "email_spam_complaint", email(), on="email")
        state = consent_state([spam])
        for purpose in ("marketing", "analytics", "transactional", "anything_else"):
            assert state.status("email", purpose) == "denied"
            assert state.can_contact("email", purpose) is False
        assert state.status("sms", "marketing") is None
        regrant = tp("s1", day(2), "newsletter_subscribe", email())
        state = consent_state([spam, regrant])
        assert state.status("email", "marketing") == "granted"
        assert state.status("email", "analytics") == "denied"
        assert state.conflicts == ()
        # a general decision later overrides a specific one earlier
        state = consent_state([tp("s0", day(0), "newsletter_subscribe", email()), spam])
        assert state.status("email", "marketing") == "denied"
        assert state.decision("email", "marketing").touchpoint_id == "x1"  # type: ignore[union-attr]

    def test_all_channels(self) -> None:
        """A decision on channel '*' answers for every channel, also ones no decision names."""
        everywhere = tp(
            "c1", day(1), "consent_withdrawn", email(), on="api", purpose="profiling", channel="*"
        )
        push = tp(
            "c2",
            day(2),
            "consent",
            email(),
            on="api",
            channel="push",
            purpose="profiling",
            status="granted",
        )
        state = consent_state([everywhere, push])
        assert state.status("whatsapp", "profiling") == "denied"
        assert state.status("*", "profiling") == "denied"
        assert state.status("push", "profiling") == "granted"  # the same e-mail's history
        assert state.conflicts == ()
        assert state.status("whatsapp", "marketing") is None
        assert list(state.current()) == [("*", "profiling"), ("push", "profiling")]

    def test_same_instant_denial_wins(self) -> None:
        """Two decisions of one subject at the same instant: the denial wins."""
        grant = tp("b", T0, "newsletter_subscribe", email())
        deny = tp("a", T0, "email_unsubscribe", email())
        state = consent_state([grant, deny])
        assert state.status("email", "marketing") == "denied"
        assert state.conflicts == ()

    def test_same_instant_same_status_the_specific_decides(self) -> None:
        """At the same instant and status, the more specific decision is the one reported."""
        general = tp("a", T0, "email_spam_complaint", email())
        specific = tp("b", T0, "email_unsubscribe", email())
        assert (
            consent_state([specific, general]).decision("email", "marketing").touchpoint_id == "b"
        )  # type: ignore[union-attr]

    def test_as_of(self) -> None:
        """Decisions after as_of are left out; a naive as_of is read as UTC."""
        tps = [
            tp("s1", day(0), "newsletter_subscribe", email()),
            tp("u1", day(3), "email_unsubscribe", email()),
        ]
        assert consent_state(tps, as_of=day(1)).status("email", "marketing") == "granted"
        assert consent_state(tps, as_of=day(3)).status("email", "marketing") == "denied"
        naive = day(1).replace(tzinfo=None)
        state = consent_state(tps, as_of=naive)
        assert len(state.decisions) == 1
        assert state.as_of == day(1)
        assert consent_state(tps, as_of=day(-1)).decisions == ()

    def test_history_is_complete_and_in_time_order(self) -> None:
        """decisions holds every decision, oldest first, whatever the input order."""
        tps = [
            tp("u1", day(1), "email_unsubscribe", email()),
            tp("s1", day(0), "newsletter_subscribe", email()),
            tp("o1", day(2), "sms_opt_out", oc.Identifier("phone", PHONE), on="sms"),
        ]
        state = consent_state(tps)
        assert [d.touchpoint_id for d in state.decisions] == ["s1", "u1", "o1"]
        assert state.current()[("sms", "marketing")].subject == key("phone", PHONE)

    def test_a_touchpoint_given_twice_counts_once(self) -> None:
        """The same touchpoint id twice is one decision."""
        once = tp("u1", day(1), "email_unsubscribe", email())
        assert len(consent_state([once, once]).decisions) == 1

    def test_decision_validates(self) -> None:
        """A decision built by hand is checked: status, slugs, basis, aware time."""
        ok = {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "at": T0,
            "source": "web",
            "touchpoint_id": "t",
        }
        ConsentDecision(**ok)  # type: ignore[arg-type]
        for field, bad in [
            ("status", "yes"),
            ("channel", "E-mail"),
            ("at", T0.replace(tzinfo=None)),
            ("legal_basis", "whim"),
        ]:
            with pytest.raises(ValueError, match=field):
                ConsentDecision(**{**ok, field: bad})  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# properties: purity and order independence
# --------------------------------------------------------------------------

POOL = [oc.Identifier("email", f"user{i}@example.com") for i in range(3)] + [
    oc.Identifier("phone", f"+3361234567{i}") for i in range(2)
]


@st.composite
def consent_streams(draw: st.DrawFn, prefix: str = "t", max_size: int = 12) -> list[oc.Touchpoint]:
    """Touchpoints with consent actions, colliding subjects and times, some malformed."""
    out = []
    for i in range(draw(st.integers(0, max_size))):
        action = draw(st.sampled_from([*CONSENT_RULES, "page_view", "email_bounce"]))
        props: dict[str, Any] = {}
        if action in ("consent", "consent_given", "consent_withdrawn"):
            props = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "channel": st.sampled_from(["email", "sms", "*", "push"]),
                        "purpose": st.sampled_from(
                            ["marketing", "analytics", "*", "transactional"]
                        ),
                        "status": st.sampled_from(["granted", "denied", "bogus"]),
                    },
                )
            )
        elif action == "signup":
            props = draw(
                st.fixed_dictionaries(
                    {}, optional={"marketing_opt_in": st.sampled_from([True, False, "x"])}
                )
            )
        out.append(
            tp(
                f"{prefix}{i:02d}",
                T0 + timedelta(hours=draw(st.integers(0, 5))),
                action,
                *draw(st.lists(st.sampled_from(POOL), max_size=2)),
                **props,
            )
        )
    return out


KEYS = [
    (c, p)
    for c in ("email", "sms", "push", "post", "*")
    for p in ("marketing", "analytics", "transactional", "*")
]


def observed(state: ConsentState) -> tuple[object, ...]:
    """Everything a caller can read from a state."""
    return (
        state,
        dict(state.current()),
        [
            (
                state.status(c, p),
                state.decision(c, p),
                state.conflict(c, p),
                state.can_contact(c, p),
            )
            for c, p in KEYS
        ],
    )


class TestProperties:
    @given(consent_streams(), st.randoms(use_true_random=False))
    def test_order_independent(self, tps: list[oc.Touchpoint], rnd: Any) -> None:
        """The state does not depend on the order touchpoints are given in."""
        shuffled = list(tps)
        rnd.shuffle(shuffled)
        assert observed(consent_state(shuffled)) == observed(consent_state(tps))

    @given(consent_streams("a"), consent_streams("b"), st.randoms(use_true_random=False))
    def test_merge_and_split_are_recomputations(
        self, a: list[oc.Touchpoint], b: list[oc.Touchpoint], rnd: Any
    ) -> None:
        """A + B from scratch is the same in any order; A alone is unchanged after (split)."""
        alone = observed(consent_state(a))
        union = a + b
        rnd.shuffle(union)
        merged = consent_state(union)
        assert observed(merged) == observed(consent_state(b + a))
        assert observed(consent_state(a)) == alone
        assert set(merged.decisions) == set(consent_state(a).decisions) | set(
            consent_state(b).decisions
        )

    @given(consent_streams())
    def test_a_conflict_always_denies(self, tps: list[oc.Touchpoint]) -> None:
        """Wherever subjects disagree, the status is denied and nobody may be contacted."""
        state = consent_state(tps)
        for conflict in state.conflicts:
            assert state.status(conflict.channel, conflict.purpose) == "denied"
            assert not state.can_contact(conflict.channel, conflict.purpose)
            assert conflict.granted_subjects
            assert conflict.denied_subjects

    @given(consent_streams(), st.integers(0, 6))
    def test_as_of_is_the_state_of_the_past(self, tps: list[oc.Touchpoint], hours: int) -> None:
        """The state as of t equals the state of the touchpoints up to t."""
        when = T0 + timedelta(hours=hours)
        past = [t for t in tps if t.occurred_at <= when]
        assert observed(consent_state(tps, as_of=when))[1:] == observed(consent_state(past))[1:]


# --------------------------------------------------------------------------
# privacy
# --------------------------------------------------------------------------


class TestPrivacy:
    def test_reprs_and_reasons_hold_no_personal_data(self) -> None:
        """No raw e-mail or phone, nor a full digest, in any repr or reason."""
        tps = [
            tp("s1", day(0), "newsletter_subscribe", email(ANN_WORK)),
            tp("u1", day(1), "email_unsubscribe", email()),
            tp("o1", day(1), "sms_opt_out", oc.Identifier("phone", PHONE)),
            tp("c1", day(2), "consent", email(), on="api", channel=ANN, purpose=PHONE, status=ANN),
            tp("c2", day(2), "signup", email(), marketing_opt_in=ANN),
        ]
        state = consent_state(tps)
        texts = [
            repr(state),
            repr(state.decisions),
            repr(state.conflicts),
            repr(state.ignored),
            repr(dict(state.current())),
        ]
        texts += [i.reason for i in state.ignored]
        assert len(state.ignored) == 2
        assert state.conflicts
        for text in texts:
            for value in (ANN, ANN_WORK, PHONE, "example", "33612"):
                assert value not in text
            for value in (ANN, ANN_WORK, PHONE):
                assert hashlib.sha256(value.encode()).hexdigest() not in text
