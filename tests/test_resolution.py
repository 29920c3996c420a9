"""Identity resolution with guards and rules: invariants, adversarial cases, decisions."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.matching import contact_id_for

from .conftest import make_hub
from .strategies import json_values, person_streams

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
Partition = set[frozenset[str]]


def partition(hub: oc.Hub) -> Partition:
    return {frozenset(c.touchpoint_ids) for c in hub.contacts()}


def fed(touchpoints: Iterable[oc.Touchpoint], **options: object) -> oc.Hub:
    options.setdefault("default_region", "FR")
    hub = make_hub(**options)
    for tp in touchpoints:
        hub.add(tp)
    return hub


def tp(tid: str, minute: int, *idents: tuple[str, str], **traits: str) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=tid,
        occurred_at=T0 + timedelta(minutes=minute),
        channel="web",
        action="page_view",
        identifiers=[oc.Identifier(k, v) for k, v in idents],
        traits=traits,
    )


def linked_identifiers(hub: oc.Hub, contact: oc.Contact) -> dict[str, set[str]]:
    """The strong identifiers that link into *contact*, by kind (from its explanation)."""
    out: dict[str, set[str]] = {}
    for link in hub.explain(contact).links:
        if link.identifier is not None:
            out.setdefault(link.identifier.kind, set()).add(link.identifier.value)
    return out


class TestInvariants:
    """Properties over random streams of several people, with guards and rules on."""

    @given(person_streams(), st.randoms(use_true_random=False))
    def test_any_order_gives_the_same_contacts(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Any permutation gives the same partition and the same ids."""
        shuffled = list(stream)
        rnd.shuffle(shuffled)
        a, b = fed(stream), fed(shuffled)
        assert partition(a) == partition(b)
        assert [c.contact_id for c in a.contacts()] == [c.contact_id for c in b.contacts()]

    @given(person_streams(), st.randoms(use_true_random=False))
    def test_tight_limits_keep_order_independence(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Blocks that saturate and identifiers that freeze at once keep order independence."""
        config = oc.MatchingConfig(max_block=2, shared_threshold=1, limits={"email": 1})
        shuffled = list(stream)
        rnd.shuffle(shuffled)
        a, b = fed(stream, matching=config), fed(shuffled, matching=config)
        assert partition(a) == partition(b)
        before = list(a.contacts())
        a.resolve_all()
        assert list(a.contacts()) == before

    @given(person_streams(), st.integers(0, 20))
    def test_batches_equal_one_by_one(self, stream: list[oc.Touchpoint], cut: int) -> None:
        """add_many (deferred resolution) gives the contacts of adding one at a time."""
        one_by_one = fed(stream)
        batched = make_hub(default_region="FR")
        batched.add_many(stream[:cut])
        batched.add_many(stream[cut:])
        assert list(batched.contacts()) == list(one_by_one.contacts())

    @given(person_streams())
    def test_resolve_all_equals_the_incremental_result(self, stream: list[oc.Touchpoint]) -> None:
        """Resolving the log from scratch gives exactly the incremental contacts."""
        hub = fed(stream)
        before = list(hub.contacts())
        change = hub.resolve_all()
        assert not change
        assert list(hub.contacts()) == before

    @given(person_streams())
    def test_every_touchpoint_is_in_exactly_one_contact(self, stream: list[oc.Touchpoint]) -> None:
        """No touchpoint is lost and none is in two contacts."""
        hub = fed(stream)
        seen = [t for c in hub.contacts() for t in c.touchpoint_ids]
        assert sorted(seen) == sorted(t.id for t in stream)

    @given(person_streams())
    def test_limits_hold_on_every_contact(self, stream: list[oc.Touchpoint]) -> None:
        """No contact links more identifiers of a kind than its limit."""
        hub = fed(stream)
        for contact in hub.contacts():
            linked = linked_identifiers(hub, contact)
            assert len(linked.get("customer_id", ())) <= 1
            assert len(linked.get("email", ())) <= 5

    @given(person_streams())
    def test_placeholders_never_link_and_are_not_shown(self, stream: list[oc.Touchpoint]) -> None:
        """A placeholder value is on no contact's identifiers, whatever it was seen with."""
        hub = fed(stream)
        placeholders = {
            hub.normalize(oc.Identifier("email", "test@test.com")),
            hub.normalize(oc.Identifier("phone", "+33 6 00 00 00 00")),
            oc.Identifier("customer_id", "null"),
        }
        for contact in hub.contacts():
            assert placeholders.isdisjoint(contact.identifiers)

    @given(person_streams())
    def test_contact_id_comes_from_the_oldest_touchpoint(self, stream: list[oc.Touchpoint]) -> None:
        """A contact's id is derived from its oldest touchpoint."""
        for contact in fed(stream).contacts():
            assert contact.contact_id == contact_id_for(contact.timeline[0].id)

    @given(person_streams(), st.randoms(use_true_random=False))
    def test_a_split_is_kept_whatever_comes_after(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """After a split, the parts stay apart through more touchpoints and a full re-resolve."""
        half = len(stream) // 2
        hub = fed(stream[:half] or stream)
        big = max(hub.contacts(), key=lambda c: len(c.timeline))
        if len(big.timeline) < 2:
            return
        ids = list(big.touchpoint_ids)
        rnd.shuffle(ids)
        cut = rnd.randint(1, len(ids) - 1)
        hub.split(big, [ids[:cut], ids[cut:]])
        for later in stream[half:]:
            hub.add(later)
        hub.resolve_all()
        assert hub.contact_of(ids[0]).contact_id != hub.contact_of(ids[-1]).contact_id


class TestAdversarial:
    """The failures users report from other tools, merging nobody wrongly."""

    def test_shared_device_of_two_identified_people(self) -> None:
        """Two people signing in on one tablet stay two contacts; anonymous use stays apart."""
        hub = fed(
            [
                tp("a", 0, ("device_id", "tab"), ("email", "dad@example.com")),
                tp("b", 1, ("device_id", "tab"), ("email", "mum@example.com")),
                tp("c", 2, ("device_id", "tab")),
            ]
        )
        assert partition(hub) == {frozenset("a"), frozenset("b"), frozenset("c")}

    def test_role_mailbox_shared_by_ten_thousand_people(self) -> None:
        """info@ used with 10,000 different phones is frozen as shared; nobody is merged."""
        hub = make_hub(default_region="FR")
        report = hub.add_many(
            tp(f"t{i}", i, ("email", "info@acme.example"), ("phone", f"+336{i:08d}"))
            for i in range(1, 10_001)
        )
        assert report.accepted == 10_000
        contacts = list(hub.contacts())
        assert len(contacts) == 10_000
        assert all(len(c.timeline) == 1 for c in contacts)
        explanation = hub.explain(contacts[0])
        assert any("frozen" in i.reason for i in explanation.ignored)
        with pytest.raises(oc.AmbiguousIdentifierError):
            hub.contact(oc.Identifier("email", "info@acme.example"))

    def test_role_mailbox_blocked_outright_when_asked(self) -> None:
        """With block_role_mailboxes, even two people on support@ never link."""
        config = oc.MatchingConfig(block_role_mailboxes=True)
        hub = fed(
            [
                tp("a", 0, ("email", "support@shop.example"), ("phone", "+33612345601")),
                tp("b", 1, ("email", "support@shop.example"), ("phone", "+33612345602")),
            ],
            matching=config,
        )
        assert partition(hub) == {frozenset("a"), frozenset("b")}

    @pytest.mark.parametrize(
        "placeholder",
        [
            ("phone", "0000000000"),
            ("phone", "+33 6 00 00 00 00"),
            ("phone", "+33 6 11 11 11 11"),
            ("phone", "01 23 45 67 89"),
            ("email", "test@test.com"),
            ("email", "noreply@brand.example"),
            ("customer_id", "undefined"),
            ("customer_id", "[object Object]"),
            ("loyalty_id", "NaN"),
            ("customer_id", "-1"),
            ("cookie_id", "anonymous"),
            ("device_id", "00000000-0000-0000-0000-000000000000"),
        ],
    )
    def test_placeholder_values_link_nobody(self, placeholder: tuple[str, str]) -> None:
        """Two people who both typed a placeholder stay two contacts."""
        hub = fed(
            [
                tp("a", 0, placeholder, ("email", "ann@example.com")),
                tp("b", 1, placeholder, ("email", "bob@example.com")),
                tp("c", 2, placeholder),
            ]
        )
        assert partition(hub) == {frozenset("a"), frozenset("b"), frozenset("c")}
        reasons = [i.reason for i in hub.explain(hub.contact_of("a")).ignored]
        assert reasons
        assert all(r.startswith("blocked by placeholders") for r in reasons)

    def test_configured_blocked_values_and_patterns(self) -> None:
        """Values and patterns from the configuration never link."""
        config = oc.MatchingConfig(
            blocked_values={"customer_id": ["WALK-IN"]},
            blocked_patterns={"email": [r"@mailinator\.com$"]},
        )
        hub = fed(
            [
                tp("a", 0, ("customer_id", "walk-in"), ("email", "x@mailinator.com")),
                tp("b", 1, ("customer_id", "WALK-IN")),
                tp("c", 2, ("email", "x@mailinator.com")),
            ],
            matching=config,
        )
        assert partition(hub) == {frozenset("a"), frozenset("b"), frozenset("c")}

    def test_two_customer_ids_never_share_a_contact(self) -> None:
        """An e-mail seen with two customer ids links to the earlier one only."""
        hub = fed(
            [
                tp("late", 10, ("email", "pat@example.com"), ("customer_id", "C-2")),
                tp("early", 0, ("email", "pat@example.com"), ("customer_id", "C-1")),
                tp("mail", 20, ("email", "pat@example.com")),
            ]
        )
        assert partition(hub) == {frozenset({"early", "mail"}), frozenset({"late"})}
        explanation = hub.explain(hub.contact_of("late"))
        assert {v.guard for v in explanation.vetoes} == {"cardinality"}
        assert "customer_id" in explanation.vetoes[0].reason

    def test_the_limit_drops_the_later_lower_priority_identifier(self) -> None:
        """With at most 2 e-mails, a third e-mail seen later stays out of the contact."""
        config = oc.MatchingConfig(limits={"customer_id": 1, "email": 2})
        hub = fed(
            [
                tp("a", 0, ("customer_id", "C-1"), ("email", "one@example.com")),
                tp("b", 1, ("customer_id", "C-1"), ("email", "two@example.com")),
                tp("c", 2, ("customer_id", "C-1"), ("email", "three@example.com")),
                tp("d", 3, ("email", "three@example.com")),
            ],
            matching=config,
        )
        contact = hub.contact(oc.Identifier("customer_id", "C-1"))
        assert linked_identifiers(hub, contact)["email"] == {"one@example.com", "two@example.com"}
        assert hub.contact(oc.Identifier("email", "three@example.com")).touchpoint_ids == ("d",)

    def test_a_cluster_cap_bounds_a_contact(self) -> None:
        """max_identifiers stops a chain of identifiers from growing one contact without end."""
        config = oc.MatchingConfig(max_identifiers=3, limits={})
        chain = [
            tp(f"t{i}", i, ("email", f"e{i}@example.com"), ("email", f"e{i + 1}@example.com"))
            for i in range(6)
        ]
        hub = fed(chain, matching=config)
        for contact in hub.contacts():
            assert sum(map(len, linked_identifiers(hub, contact).values())) <= 3


class TestBatches:
    """A batch is resolved once at its end: net notifications, consistent state on errors."""

    def test_a_batch_reports_its_net_merge_once(self) -> None:
        """Two contacts joined inside a batch give one contact_merged, after the batch."""
        calls: list[tuple[str, tuple[str, ...]]] = []

        class Listener:
            @oc.hookimpl
            def contact_merged(
                self, hub: oc.Hub, contact_id: str, merged_ids: tuple[str, ...]
            ) -> None:
                assert hub.contact(contact_id).contact_id == contact_id  # readable when notified
                calls.append((contact_id, merged_ids))

        hub = make_hub(default_region="FR", plugins=[Listener()])
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 5, ("phone", "+33612345678")))
        hub.add_many(
            [
                tp("c", 9, ("email", "ann@example.com"), ("phone", "+33612345678")),
                tp("d", 12, ("phone", "+33612345678")),
            ]
        )
        assert calls == [(contact_id_for("a"), (contact_id_for("b"),))]
        assert hub.audit()[-1].cause == "batch"

    def test_a_batch_stopped_by_an_error_leaves_contacts_resolved(self) -> None:
        """on_error='raise' stops the batch; what was added before is resolved and readable."""
        hub = make_hub(default_region="FR")
        bad = tp("bad", 3, ("phone", "+33 1 02"))
        with pytest.raises(oc.InvalidIdentifierError):
            hub.add_many(
                [
                    tp("a", 0, ("email", "ann@example.com")),
                    tp("b", 1, ("email", "ann@example.com")),
                    bad,
                ],
                on_error="raise",
            )
        assert hub.contact_of("b").touchpoint_ids == ("a", "b")


def merge_listener() -> tuple[object, list[str]]:
    """Return a plug-in recording the surviving id of every contact_merged, and its list."""
    calls: list[str] = []

    class Listener:
        @oc.hookimpl
        def contact_merged(self, contact_id: str) -> None:
            calls.append(contact_id)

    return Listener(), calls


class TestBatchNews:
    """A batch reports changes to contacts that existed before it, nothing else."""

    def test_a_fresh_hub_batch_reports_no_merge(self) -> None:
        """Contacts born in a batch were never announced: merging them is no news."""
        listener, calls = merge_listener()
        hub = make_hub(default_region="FR", plugins=[listener])
        hub.add_many(
            [
                tp("a", 0, ("email", "ann@example.com")),
                tp("b", 5, ("phone", "+33612345678")),
                tp("c", 9, ("email", "ann@example.com"), ("phone", "+33612345678")),
            ]
        )
        assert calls == []
        assert len(list(hub.contacts())) == 1

    def test_a_stopped_batch_still_notifies_what_it_did(self) -> None:
        """on_error='raise': the merge done before the bad record is notified and audited."""
        listener, calls = merge_listener()
        hub = make_hub(default_region="FR", plugins=[listener])
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 5, ("phone", "+33612345678")))
        with pytest.raises(oc.InvalidIdentifierError):
            hub.add_many(
                [
                    tp("c", 9, ("email", "ann@example.com"), ("phone", "+33612345678")),
                    tp("bad", 10, ("phone", "+33 1 02")),
                ],
                on_error="raise",
            )
        assert calls == [contact_id_for("a")]
        assert hub.audit()[-1].action == "merge"


class TestKindsAndHashes:
    def test_qualified_kinds_rank_as_their_base(self) -> None:
        """social:facebook takes the priority of social, before email_sha256."""
        config = oc.MatchingConfig()
        assert config.rank("social:facebook") < config.rank("email_sha256")
        assert config.rank("social:facebook")[0] == config.priority.index("social")

    def test_hash_of_a_placeholder_email_links_nobody(self) -> None:
        """Hashed audiences carry sha256(test@test.com) too: it never links."""
        import hashlib

        digest = hashlib.sha256(b"test@test.com").hexdigest()
        hub = fed(
            [
                tp("a", 0, ("email_sha256", digest), ("email", "ann@example.com")),
                tp("b", 1, ("email_sha256", digest), ("email", "bob@example.com")),
            ]
        )
        assert hub.contact_of("a").contact_id != hub.contact_of("b").contact_id

    def test_explain_says_why_a_shared_device_joined_nobody(self) -> None:
        """The tablet of two people: explain names the shared-device rule."""
        hub = fed(
            [
                tp("a", 0, ("device_id", "tab"), ("email", "dad@example.com")),
                tp("b", 1, ("device_id", "tab"), ("email", "mum@example.com")),
                tp("c", 2, ("device_id", "tab")),
            ]
        )
        vetoes = hub.explain(hub.contact_of("a")).vetoes
        assert [(v.touchpoint_id, v.guard) for v in vetoes if v.touchpoint_id == "a"] == [
            ("a", "shared_device")
        ]


class TestDecisions:
    """Split, reject, confirm: reversible, remembered, audited."""

    def _merged(self) -> oc.Hub:
        hub = make_hub(default_region="FR")
        hub.add(tp("ann-1", 0, ("email", "ann@example.com")))
        hub.add(tp("ann-2", 5, ("email", "ann@example.com"), ("device_id", "d-ann")))
        hub.add(tp("bob-1", 10, ("phone", "+33612345678")))
        hub.add(tp("bob-2", 15, ("phone", "+33612345678"), ("cookie_id", "ck-bob")))
        return hub

    def test_split_restores_exactly_the_pre_merge_contacts(self) -> None:
        """A wrong link merges two people; splitting gives back both contacts, ids included."""
        hub = self._merged()
        before = {c.contact_id: c.touchpoint_ids for c in hub.contacts()}
        hub.add(tp("bad", 20, ("email", "ann@example.com"), ("phone", "+33612345678")))
        merged = hub.contact_of("bad")
        assert set(merged.touchpoint_ids) == {"ann-1", "ann-2", "bob-1", "bob-2", "bad"}
        ann, bob = hub.split(merged, [["ann-1", "ann-2", "bad"], ["bob-1", "bob-2"]])
        after = {c.contact_id: c.touchpoint_ids for c in hub.contacts()}
        expected = dict(before)
        expected[ann.contact_id] = (*before[ann.contact_id], "bad")
        assert after == expected
        assert bob.contact_id == contact_id_for("bob-1")

    def test_split_is_kept_against_new_evidence_and_audited(self) -> None:
        """After a split, the same wrong link arriving again is vetoed by the never-link."""
        hub = self._merged()
        hub.add(tp("bad", 20, ("email", "ann@example.com"), ("phone", "+33612345678")))
        hub.split(hub.contact_of("bad"), [[oc.Identifier("email", "ann@example.com")], ["bob-1"]])
        hub.add(tp("bad-again", 30, ("email", "ann@example.com"), ("phone", "+33612345678")))
        assert hub.contact_of("ann-1").contact_id != hub.contact_of("bob-1").contact_id
        actions = [e.action for e in hub.audit()]
        assert actions[:3] == ["merge", "split", "split"]
        merge = hub.audit()[0]
        assert merge.rules == ("shared_identifier",)
        assert merge.cause == "bad"
        assert merge.evidence == ("shared_identifier: email", "shared_identifier: phone")
        assert "ann@" not in repr(merge.as_dict())
        vetoes = hub.explain(hub.contact_of("bob-1")).vetoes
        assert any(v.guard == "never_link" for v in vetoes)

    def test_split_notifies_and_old_ids_stay_aliases(self) -> None:
        """contact_merged and contact_split are sent; a merged id still answers the survivor."""
        calls: list[tuple[str, str, tuple[str, ...]]] = []

        class Listener:
            @oc.hookimpl
            def contact_merged(self, contact_id: str, merged_ids: tuple[str, ...]) -> None:
                calls.append(("merged", contact_id, merged_ids))

            @oc.hookimpl
            def contact_split(self, contact_id: str, into_ids: tuple[str, ...]) -> None:
                calls.append(("split", contact_id, into_ids))

        hub = make_hub(default_region="FR", plugins=[Listener()])
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 5, ("phone", "+33612345678")))
        hub.add(tp("c", 9, ("email", "ann@example.com"), ("phone", "+33612345678")))
        a, b = contact_id_for("a"), contact_id_for("b")
        assert calls == [("merged", a, (b,))]
        assert hub.contact(b).contact_id == a
        hub.split(a, [["a"], ["b"]])
        assert calls[-1][0] == "split"
        assert set(calls[-1][2]) == {a, b}

    @pytest.mark.parametrize(
        ("parts", "message"),
        [
            ([["a"]], "at least two parts"),
            ([["a"], []], "empty"),
            ([["a"], ["a"]], "overlaps"),
            ([["a"], ["elsewhere"]], "another contact"),
            ([["a"], [oc.Identifier("email", "zed@example.com")]], "does not carry"),
        ],
    )
    def test_bad_splits_are_typed_errors_that_change_nothing(
        self, parts: list[list[object]], message: str
    ) -> None:
        """A split that does not fit the contact raises InvalidDecisionError and changes nothing."""
        hub = make_hub(default_region="FR")
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 1, ("email", "ann@example.com")))
        hub.add(tp("elsewhere", 2, ("email", "bob@example.com")))
        before = partition(hub)
        with pytest.raises(oc.InvalidDecisionError, match=message):
            hub.split(hub.contact_of("a"), parts)  # type: ignore[arg-type]
        assert partition(hub) == before
        assert hub.audit() == ()

    def test_reject_is_a_never_link(self) -> None:
        """Rejecting two touchpoints separates them now and forever."""
        hub = make_hub(default_region="FR")
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 1, ("email", "ann@example.com")))
        first, second = hub.reject("a", "b")
        assert first.contact_id != second.contact_id
        hub.add(tp("c", 2, ("email", "ann@example.com"), ("cookie_id", "k")))
        hub.resolve_all()
        assert hub.contact_of("a").contact_id != hub.contact_of("b").contact_id
        assert [e.action for e in hub.audit()] == ["reject", "split", "resolve_all"]
        assert hub.audit()[1].cause == "reject"

    def test_confirm_ties_an_anonymous_touchpoint_to_a_person(self) -> None:
        """A visit nothing identifies, confirmed as Ann's, joins her (with its cookie's region)."""
        hub = make_hub()
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 1, ("cookie_id", "k-1")))
        hub.add(tp("c", 2, ("cookie_id", "k-1")))
        hub.add(tp("d", 3, ("cookie_id", "k-2")))
        joined = hub.confirm("a", "b")
        assert set(joined.touchpoint_ids) == {"a", "b", "c"}
        assert set(hub.contact_of("d").touchpoint_ids) == {"d"}
        assert hub.check().ok  # a replay with the decision gives the same
        hub.reject("a", "b")
        assert set(hub.contact_of("a").touchpoint_ids) == {"a"}
        assert set(hub.contact_of("b").touchpoint_ids) == {"b", "c"}

    def test_confirm_links_two_contacts_and_guards_still_apply(self) -> None:
        """A confirmation merges two contacts; limits still hold, dropping the later id's link."""
        hub = make_hub(default_region="FR")
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        hub.add(tp("b", 1, ("phone", "+33612345678")))
        hub.add(tp("c", 2, ("customer_id", "C-1")))
        hub.add(tp("d", 3, ("customer_id", "C-2")))
        merged = hub.confirm("a", "b")
        assert set(merged.touchpoint_ids) == {"a", "b"}
        assert [(e.action, e.cause) for e in hub.audit()][-2:] == [
            ("confirm", "confirm"),
            ("merge", "confirm"),
        ]
        joined = hub.confirm("c", "d")
        assert set(joined.touchpoint_ids) == {"c", "d"}
        assert linked_identifiers(hub, joined) == {"customer_id": {"C-1"}}
        assert hub.find(oc.Identifier("customer_id", "C-2")) == joined  # carried, not linked
        assert {v.guard for v in hub.explain(joined).vetoes} == {"cardinality"}
        with pytest.raises(oc.InvalidDecisionError):
            hub.confirm("a", "a")
        with pytest.raises(oc.TouchpointNotFoundError):
            hub.confirm("a", "missing")


SURVIVORSHIP_STREAM = [
    oc.Touchpoint(
        id=f"t{i}",
        occurred_at=T0 + timedelta(days=i),
        channel="web",
        action="signup",
        identifiers=[oc.Identifier("email", "ann@example.com")],
        traits={"city": city, "first_name": name},
        source=source,
    )
    for i, (city, name, source) in enumerate(
        [("Lyon", "Ann", "crm"), ("Lyon", "Anne", "web"), ("Paris", "Annie", "web")]
    )
]


class TestSurvivorship:
    """Traits chosen per trait, the same whatever the arrival order."""

    @pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
    def test_rules_per_trait(self, order: list[int]) -> None:
        """most_frequent, source_priority and most_recent, whatever the order."""
        policy = oc.SurvivorshipPolicy(
            per_trait={"city": "most_frequent", "first_name": "source_priority"},
            source_priority=["crm", "web"],
        )
        hub = fed(
            [SURVIVORSHIP_STREAM[i] for i in order], matching=oc.MatchingConfig(survivorship=policy)
        )
        contact = hub.contact(oc.Identifier("email", "ann@example.com"))
        assert contact.traits["city"] == "Lyon"
        assert contact.traits["first_name"] == "Ann"
        plain = fed([SURVIVORSHIP_STREAM[i] for i in order])
        assert plain.contact(oc.Identifier("email", "ann@example.com")).traits["city"] == "Paris"

    def test_unknown_rule_is_a_configuration_error(self) -> None:
        """A misspelt survivorship rule fails at configuration time."""
        with pytest.raises(oc.ConfigurationError, match="survivorship"):
            oc.SurvivorshipPolicy(default="newest")


class TestConfiguration:
    """A bad matching configuration is a clear ConfigurationError at Hub creation."""

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"limits": {"passport": 1}}, "unknown identifier kind"),
            ({"limits": {"email": 0}}, "limits"),
            ({"shared_threshold": 0}, "shared_threshold"),
            ({"max_identifiers": -3}, "max_identifiers"),
            ({"link_threshold": 1.5}, "link_threshold"),
            ({"review_threshold": 0.0}, "review_threshold"),
            ({"link_threshold": 0.6, "review_threshold": 0.9}, "review_threshold"),
            ({"blocked_patterns": {"email": ["("]}}, "blocked_patterns"),
            ({"disabled_rules": ["fuzzy"]}, "disabled_rules"),
            ({"disabled_rules": ["shared_identifier"]}, "cannot be disabled"),
            ({"link_threshold": 0.5}, "threshold"),
            ({"review_threshold": 0.995}, "threshold"),
        ],
    )
    def test_bad_settings(self, options: dict[str, object], message: str) -> None:
        """Each bad setting names itself."""
        with pytest.raises(oc.ConfigurationError, match=message):
            make_hub(matching=oc.MatchingConfig(**options))  # type: ignore[arg-type]

    def test_matching_must_be_a_config(self) -> None:
        """Passing a dict instead of a MatchingConfig is refused."""
        with pytest.raises(oc.ConfigurationError, match="MatchingConfig"):
            make_hub(matching={"limits": {}})


class TestPluginRulesAndGuards:
    """Third-party rules and guards plug in through the same hooks as the built-ins."""

    def test_a_plugin_guard_vetoes_and_is_named(self) -> None:
        """A guard keeping two countries' loyalty programmes apart vetoes the link."""

        class OneProgramme:
            name = "one_programme"

            def blocks(self, identifier: oc.Identifier) -> str | None:
                return None

            def vetoes(self, a: oc.ClusterView, b: oc.ClusterView) -> str | None:
                prefixes = {
                    v.value[:2] for side in (a, b) for v in side.identifiers.get("loyalty_id", ())
                }
                return "two loyalty programmes" if len(prefixes) > 1 else None

        class Plugin:
            @oc.hookimpl
            def register_merge_guards(self) -> list[object]:
                return [OneProgramme()]

        hub = fed(
            [
                tp("fr", 0, ("loyalty_id", "FR-1"), ("email", "ann@example.com")),
                tp("de", 1, ("loyalty_id", "DE-1"), ("phone", "+33612345678")),
                tp("x", 2, ("email", "ann@example.com"), ("phone", "+33612345678")),
            ],
            plugins=[Plugin()],
            matching=oc.MatchingConfig(limits={"customer_id": 1}),
        )
        assert hub.contact_of("fr").contact_id != hub.contact_of("de").contact_id
        guards = {v.guard for v in hub.explain(hub.contact_of("de")).vetoes}
        assert "one_programme" in guards

    def test_a_plugin_deterministic_rule_links_on_its_key(self) -> None:
        """A deterministic rule linking on a household key joins records sharing it."""

        class Household:
            name = "household"
            deterministic = True

            def prepare(self, record: oc.Record) -> str | None:
                return record.traits.get("household")

            def blocking_keys(self, prepared: str) -> list[str]:
                return [prepared]

            def compare(self, a: str, b: str) -> oc.Evidence | None:
                return oc.Evidence("household", float("inf"), "link") if a == b else None

        class Plugin:
            @oc.hookimpl
            def register_matching_rules(self) -> list[object]:
                return [Household()]

        hub = fed(
            [tp("a", 0, ("email", "a@example.com"), household="H1"), tp("b", 1, household="H1")],
            plugins=[Plugin()],
        )
        assert hub.contact_of("a").contact_id == hub.contact_of("b").contact_id
        rules = {link.rule for link in hub.explain(hub.contact_of("a")).links}
        assert "household" in rules

    def test_a_wrong_contribution_is_refused_by_name(self) -> None:
        """Something that is not a guard is a PluginRegistrationError naming the plug-in."""

        class Bad:
            @oc.hookimpl
            def register_merge_guards(self) -> list[object]:
                return ["not a guard"]

        with pytest.raises(oc.PluginRegistrationError, match="register_merge_guards"):
            make_hub(plugins=[Bad()])

    def test_a_contribution_that_is_not_a_list_is_a_registration_error(self) -> None:
        """A guard hook returning a single object, not a list, names the plug-in and hook."""

        class Sloppy:
            @oc.hookimpl
            def register_merge_guards(self) -> object:
                return object()

        with pytest.raises(oc.PluginRegistrationError, match="register_merge_guards"):
            make_hub(plugins=[Sloppy()])

    def test_two_rules_with_one_name_are_refused(self) -> None:
        """A plug-in rule named like a built-in one is refused."""

        class Clash:
            name = "shared_identifier"
            deterministic = True

            def prepare(self, record: oc.Record) -> None:
                return None

            def blocking_keys(self, prepared: object) -> list[str]:
                return []

            def compare(self, a: object, b: object) -> None:
                return None

        class Plugin:
            @oc.hookimpl
            def register_matching_rules(self) -> list[object]:
                return [Clash()]

        with pytest.raises(oc.PluginRegistrationError, match="second one"):
            make_hub(plugins=[Plugin()])


class TestExplain:
    """explain() tells which rule linked which parts, and prints it for a person."""

    def test_explain_prints_the_evidence_without_raw_values(self) -> None:
        """The text names rules and touchpoints; values are masked unless revealed."""
        hub = fed(
            [
                tp("a", 0, ("email", "camille.durand@example.com"), ("cookie_id", "ck-1")),
                tp("b", 5, ("cookie_id", "ck-1")),
                tp("c", 9, ("email", "camille.durand@example.com"), ("phone", "+33612345678")),
                tp("d", 12, ("phone", "+33612345678"), ("email", "test@test.com")),
            ]
        )
        explanation = hub.explain(oc.Identifier("phone", "06 12 34 56 78"))
        assert explanation.touchpoint_ids == ("a", "b", "c", "d")
        rules = {link.rule for link in explanation.links}
        assert (
            rules == {"shared_identifier", "shared_weak_identifier"} or "shared_identifier" in rules
        )
        text = explanation.render()
        assert "shared_identifier" in text
        assert "camille.durand" not in text
        assert "612345678" not in text
        assert "placeholder" in text
        assert "camille.durand@example.com" in explanation.render(reveal=True)
        assert "camille" not in repr(explanation)


class TestTraining:
    """Fitted parameters can be read, saved and given back to a new hub."""

    def test_train_then_restart_with_the_saved_rule(self) -> None:
        """train_matching() replaces the person rule; rule_overrides brings it back."""
        from omnicontact.matching.person import PersonRule

        stream = [
            tp(
                f"t{i}",
                i,
                ("email", f"p{i % 40}@example.com"),
                first_name=f"N{i % 40}",
                last_name="Durand" if i % 3 else "Martin",
                postal_code=f"750{i % 20:02d}",
            )
            for i in range(200)
        ]
        hub = fed(stream)
        before = hub.rules
        assert hub.train_matching(seed=1) == ("person",)
        fitted = next(r for r in hub.rules if r.name == "person")
        assert fitted is not next(r for r in before if r.name == "person")
        assert [e.action for e in hub.audit()][-2:] == ["train", "resolve_all"]
        saved = fitted.to_dict()  # type: ignore[attr-defined]
        config = oc.MatchingConfig(rule_overrides={"person": PersonRule.from_dict(saved)})
        again = fed(stream, matching=config)
        assert next(r for r in again.rules if r.name == "person").to_dict() == saved  # type: ignore[attr-defined]
        assert partition(again) == partition(hub)

    def test_overrides_must_name_a_rule(self) -> None:
        """An override for a rule nobody contributes is a ConfigurationError."""
        from omnicontact.matching.person import PersonRule

        with pytest.raises(oc.ConfigurationError, match="rule_overrides"):
            make_hub(matching=oc.MatchingConfig(rule_overrides={"fuzzy": PersonRule()}))
        with pytest.raises(oc.ConfigurationError, match="rule_overrides"):
            make_hub(matching=oc.MatchingConfig(rule_overrides={"person": "not a rule"}))


class TestOddInput:
    """Rules and guards never crash on missing or odd fields."""

    @given(
        st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "first_name",
                        "last_name",
                        "full_name",
                        "birth_date",
                        "street",
                        "postal_code",
                        "city",
                        "country",
                        "gender",
                    ]
                ),
                json_values(max_leaves=3),
                max_size=6,
            ),
            min_size=1,
            max_size=6,
        )
    )
    def test_any_json_traits_resolve_or_raise_a_typed_error(
        self, rows: list[dict[str, object]]
    ) -> None:
        """Whatever the trait values, add() resolves or raises InvalidTouchpointError."""
        hub = make_hub(default_region="FR")
        added = []
        for i, traits in enumerate(rows):
            touchpoint = oc.Touchpoint(
                id=f"t{i}",
                occurred_at=T0 + timedelta(minutes=i),
                channel="web",
                action="signup",
                identifiers=[oc.Identifier("email", f"p{i % 2}@example.com")],
                traits=traits,
            )
            try:
                hub.add(touchpoint)
            except oc.InvalidTouchpointError:
                continue
            added.append(touchpoint.id)
        assert sorted(t for c in hub.contacts() for t in c.touchpoint_ids) == sorted(added)
        for contact in hub.contacts():
            hub.explain(contact)


class TestFailingPlugins:
    """A rule or guard that raises is isolated: named, nothing half-written."""

    class Boom:
        name = "boom"
        deterministic = False

        def prepare(self, record: oc.Record) -> object | None:
            if record.traits.get("city") == "Crashville":
                raise RuntimeError("bug in the plug-in")
            return None

        def blocking_keys(self, prepared: object) -> list[str]:
            return []

        def compare(self, a: object, b: object) -> None:
            return None

    def _hub(self) -> oc.Hub:
        rule = self.Boom()

        class Plugin:
            @oc.hookimpl
            def register_matching_rules(self) -> list[object]:
                return [rule]

        return make_hub(default_region="FR", plugins=[Plugin()])

    def test_a_failing_rule_stores_nothing_and_is_named(self) -> None:
        """hub.add raises PluginError naming the rule; the log and contacts are unchanged."""
        hub = self._hub()
        hub.add(tp("a", 0, ("email", "ann@example.com")))
        with pytest.raises(oc.PluginError, match="boom") as info:
            hub.add(tp("b", 1, ("email", "ann@example.com"), city="Crashville"))
        assert "Crashville" not in str(info.value)
        assert hub.stats().touchpoints == 1
        hub.add(tp("c", 2, ("email", "ann@example.com")))
        assert hub.contact_of("c").touchpoint_ids == ("a", "c")

    def test_a_failing_rule_quarantines_in_a_batch(self) -> None:
        """In a batch, the record a rule fails on is quarantined with the rule's name."""
        hub = self._hub()
        report = hub.add_many(
            [
                tp("a", 0, ("email", "ann@example.com")),
                tp("b", 1, ("email", "ann@example.com"), city="Crashville"),
                tp("c", 2, ("email", "ann@example.com")),
            ]
        )
        assert report.accepted == 2
        (rejection,) = report.quarantined
        assert rejection.field == "plugin"
        assert "boom" in rejection.reason
        assert hub.contact_of("c").touchpoint_ids == ("a", "c")

    def test_a_failing_guard_fails_closed_and_says_so(self) -> None:
        """A guard that raises refuses the link; explain shows the guard and the error type."""

        class Fragile:
            name = "fragile"

            def blocks(self, identifier: oc.Identifier) -> str | None:
                return None

            def vetoes(self, a: oc.ClusterView, b: oc.ClusterView) -> str | None:
                if a.count("phone") and b.count("phone"):
                    raise ZeroDivisionError
                return None

        class Plugin:
            @oc.hookimpl
            def register_merge_guards(self) -> list[object]:
                return [Fragile()]

        hub = fed(
            [
                tp("a", 0, ("email", "ann@example.com"), ("phone", "+33612345678")),
                tp("b", 1, ("email", "ann@example.com"), ("phone", "+33612345679")),
            ],
            plugins=[Plugin()],
        )
        contact = hub.contact_of("a")
        assert linked_identifiers(hub, contact)["phone"] == {"+33612345678"}  # second refused
        reasons = {(v.guard, v.reason) for v in hub.explain(contact).vetoes}
        assert ("fragile", "the guard raised ZeroDivisionError") in reasons


class TestProbabilisticSplit:
    def test_split_undoes_a_person_rule_merge_and_it_stays_undone(self) -> None:
        """Records joined only by the person rule: split restores both; the rule cannot rejoin."""
        jean = {
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-05-03",
            "postal_code": "75011",
        }
        hub = fed(
            [
                tp("web", 0, ("email", "jean.dupont@example.fr"), **jean),
                tp("till", 5, ("phone", "+33612345678"), **jean),
            ]
        )
        merged = hub.contact_of("web")
        assert set(merged.touchpoint_ids) == {"web", "till"}
        assert {link.rule for link in hub.explain(merged).links} >= {"person"}
        web, till = hub.split(merged, [["web"], ["till"]])
        assert (web.contact_id, till.contact_id) == (contact_id_for("web"), contact_id_for("till"))
        hub.add(tp("till-2", 9, ("phone", "+33612345678"), **jean))
        hub.resolve_all()
        assert hub.contact_of("till-2").contact_id == contact_id_for("till")
        assert hub.contact_of("web").touchpoint_ids == ("web",)
