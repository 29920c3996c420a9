"""Deterministic stitching: invariants over random streams, and a reference model.

The reference model below computes contacts straight from the definition in
``omnicontact.matching.cluster`` (strong units, weak regions, components,
conflicts) with naive quadratic loops, independently of the incremental
engine the hub uses; the hub must agree with it on every stream. Guards and
probabilistic rules are off here (``UNGUARDED``); ``test_resolution.py``
covers them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.matching import Resolver, contact_id_for

from .conftest import make_hub
from .strategies import touchpoint_streams

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")

Partition = set[frozenset[str]]
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def partition(hub: oc.Hub) -> Partition:
    return {frozenset(c.touchpoint_ids) for c in hub.contacts()}


UNGUARDED = oc.MatchingConfig(
    limits={}, builtin_placeholders=False, shared_threshold=10**6, disabled_rules=("person",)
)
"""Deterministic stitching alone: what the reference model below defines."""


def fed(touchpoints: Iterable[oc.Touchpoint]) -> oc.Hub:
    hub = make_hub(default_region="FR", matching=UNGUARDED)
    for tp in touchpoints:
        hub.add(tp)
    return hub


def _closure(items: list[str], linked: dict[str, set[str]]) -> list[set[str]]:
    """Connected components of *items* under the symmetric relation *linked*."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item in seen:
            continue
        part, todo = set(), [item]
        while todo:
            x = todo.pop()
            if x in part:
                continue
            part.add(x)
            todo.extend(linked.get(x, ()))
        seen |= part
        out.append(part)
    return out


def reference_partition(log: list[oc.Touchpoint], hub: oc.Hub) -> Partition:
    """Contacts by the definition, from normalized touchpoints."""

    def strong(i: oc.Identifier) -> bool:
        return hub.kinds.strength(i.kind) is oc.Strength.STRONG

    ids = {tp.id: tp for tp in log}
    strong_of = {t: {i for i in tp.identifiers if strong(i)} for t, tp in ids.items()}
    weak_of = {t: {i for i in tp.identifiers if not strong(i)} for t, tp in ids.items()}
    identified = [t for t in ids if strong_of[t]]
    anonymous = [t for t in ids if not strong_of[t] and weak_of[t]]
    bare = [t for t in ids if not ids[t].identifiers]

    # 1. strong units: identified touchpoints sharing a strong identifier
    link: dict[str, set[str]] = {}
    for a in identified:
        for b in identified:
            if a != b and strong_of[a] & strong_of[b]:
                link.setdefault(a, set()).add(b)
    s_units = [frozenset(u) for u in _closure(identified, link)]

    # 2. weak regions: weak identifiers co-occurring on an anonymous touchpoint
    weak_ids = sorted({w.value + "\x00" + w.kind for t in ids for w in weak_of[t]})
    wlink: dict[str, set[str]] = {}
    for t in anonymous:
        keys = [w.value + "\x00" + w.kind for w in weak_of[t]]
        for a in keys:
            wlink.setdefault(a, set()).update(k for k in keys if k != a)
    regions = [frozenset(r) for r in _closure(weak_ids, wlink)]

    def key(w: oc.Identifier) -> str:
        return w.value + "\x00" + w.kind

    region_of = {w: r for r in regions for w in r}
    region_tps = {r: {t for t in anonymous if key(next(iter(weak_of[t]))) in r} for r in regions}

    # 3. adjacency between strong units and regions, then components
    nodes = [("S", u) for u in s_units] + [("R", r) for r in regions]
    names = {n: str(i) for i, n in enumerate(nodes)}
    adj: dict[str, set[str]] = {}
    for u in s_units:
        for t in u:
            for w in weak_of[t]:
                a, b = names[("S", u)], names[("R", region_of[key(w)])]
                adj.setdefault(a, set()).add(b)
                adj.setdefault(b, set()).add(a)
    by_name = {v: k for k, v in names.items()}
    result: Partition = set()
    for comp in _closure(list(names.values()), adj):
        members = [by_name[n] for n in comp]
        units = [m for m in members if m[0] == "S"]
        kinds = [{i.kind for t in m[1] for i in strong_of[t]} for m in units]
        conflict = any(kinds[i] & kinds[j] for i in range(len(kinds)) for j in range(i))

        def tps(m: tuple[str, frozenset[str]]) -> set[str]:
            return set(m[1]) if m[0] == "S" else region_tps[m[1]]

        if not conflict:
            group = set().union(*(tps(m) for m in members))
            if group:
                result.add(frozenset(group))
            continue
        groups = {names[u]: tps(u) for u in units}
        for m in members:
            if m[0] == "R":
                near = adj.get(names[m], set())
                if len(near) == 1:
                    groups[next(iter(near))] |= tps(m)
                elif tps(m):
                    result.add(frozenset(tps(m)))
        result |= {frozenset(g) for g in groups.values() if g}
    result |= {frozenset({t}) for t in bare}
    return result


class TestInvariants:
    @given(touchpoint_streams())
    def test_every_touchpoint_is_in_exactly_one_contact(self, stream: list[oc.Touchpoint]) -> None:
        """No touchpoint is lost and none is in two contacts."""
        hub = fed(stream)
        seen = [t for c in hub.contacts() for t in c.touchpoint_ids]
        assert sorted(seen) == sorted(tp.id for tp in stream)
        for tp in stream:
            assert tp.id in hub.contact_of(tp.id).touchpoint_ids

    @given(touchpoint_streams(), st.randoms(use_true_random=False))
    def test_any_order_gives_the_same_contacts(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Any permutation of the same touchpoints gives the same partition and ids."""
        shuffled = list(stream)
        rnd.shuffle(shuffled)
        a, b = fed(stream), fed(shuffled)
        assert partition(a) == partition(b)
        assert [c.contact_id for c in a.contacts()] == [c.contact_id for c in b.contacts()]

    @given(touchpoint_streams(), st.randoms(use_true_random=False))
    def test_duplicates_change_nothing(
        self, stream: list[oc.Touchpoint], rnd: random.Random
    ) -> None:
        """Delivering touchpoints again changes no contact and is reported as duplicate."""
        hub = fed(stream)
        before = list(hub.contacts())
        again = rnd.sample(stream, k=rnd.randint(1, len(stream)))
        for tp in again:
            assert hub.add(tp).duplicate
        assert list(hub.contacts()) == before
        assert hub.stats().touchpoints == len(stream)

    @given(touchpoint_streams())
    def test_matches_the_reference_model(self, stream: list[oc.Touchpoint]) -> None:
        """The incremental graph gives the contacts the definition gives."""
        hub = fed(stream)
        assert partition(hub) == reference_partition(list(hub.touchpoints()), hub)

    @given(touchpoint_streams())
    def test_replay_of_the_log_equals_the_incremental_result(
        self, stream: list[oc.Touchpoint]
    ) -> None:
        """Feeding a hub's normalized log to a new hub rebuilds identical contacts."""
        hub = fed(stream)
        replayed = fed(reversed(list(hub.touchpoints())))
        assert list(replayed.contacts()) == list(hub.contacts())

    @given(touchpoint_streams())
    def test_strong_identifier_is_in_one_contact(self, stream: list[oc.Touchpoint]) -> None:
        """Touchpoints that share a strong identifier are in the same contact."""
        hub = fed(stream)
        owner: dict[oc.Identifier, str] = {}
        for tp in hub.touchpoints():
            contact_id = hub.contact_of(tp.id).contact_id
            for ident in tp.identifiers:
                if hub.kinds.strength(ident.kind) is oc.Strength.STRONG:
                    assert owner.setdefault(ident, contact_id) == contact_id

    @given(touchpoint_streams())
    def test_contact_id_comes_from_the_oldest_touchpoint(self, stream: list[oc.Touchpoint]) -> None:
        """A contact's id is derived from its oldest touchpoint, whatever the arrival order."""
        for contact in fed(stream).contacts():
            assert contact.contact_id == contact_id_for(contact.timeline[0].id)


def _tp(tid: str, minute: int, *idents: tuple[str, str], **traits: str) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=tid,
        occurred_at=T0 + timedelta(minutes=minute),
        channel="web",
        action="page_view",
        identifiers=[oc.Identifier(k, v) for k, v in idents],
        traits=traits,
    )


class TestStitchingRules:
    def test_anonymous_visits_join_the_contact_that_identifies_on_the_cookie(self) -> None:
        """Visits before and after sign-up on one cookie are one identified contact."""
        hub = fed(
            [
                _tp("a", 0, ("cookie_id", "ck")),
                _tp("b", 5, ("cookie_id", "ck"), ("email", "ann@example.com")),
                _tp("c", 9, ("cookie_id", "ck")),
            ]
        )
        contact = hub.contact(oc.Identifier("email", "ANN@example.com"))
        assert contact.touchpoint_ids == ("a", "b", "c")
        assert contact.identified

    def test_shared_device_never_merges_two_identified_people(self) -> None:
        """Two e-mails on one device stay two contacts; anonymous device use stays apart."""
        hub = fed(
            [
                _tp("a", 0, ("device_id", "tab"), ("email", "dad@example.com")),
                _tp("b", 1, ("device_id", "tab"), ("email", "mum@example.com")),
                _tp("c", 2, ("device_id", "tab")),
            ]
        )
        assert partition(hub) == {frozenset({"a"}), frozenset({"b"}), frozenset({"c"})}
        with pytest.raises(oc.AmbiguousIdentifierError, match="contacts_with"):
            hub.contact(oc.Identifier("device_id", "TAB"))
        assert len(hub.contacts_with(oc.Identifier("device_id", "tab"))) == 3

    def test_device_links_an_email_side_and_a_phone_side_of_one_person(self) -> None:
        """Different strong kinds on one device are compatible and become one contact."""
        hub = fed(
            [
                _tp("a", 0, ("device_id", "d1"), ("email", "zoe@example.com")),
                _tp("b", 1, ("device_id", "d1"), ("phone", "06 12 34 56 78")),
            ]
        )
        assert partition(hub) == {frozenset({"a", "b"})}

    def test_a_second_person_on_the_device_splits_the_contact_and_notifies(self) -> None:
        """When a conflicting identity appears on a shared device, the contact splits."""
        calls: list[tuple[str, tuple[str, ...]]] = []

        class Listener:
            @oc.hookimpl
            def contact_split(self, contact_id: str, into_ids: tuple[str, ...]) -> None:
                calls.append((contact_id, into_ids))

        hub = make_hub(default_region="FR", plugins=[Listener()])
        hub.add(_tp("a", 0, ("device_id", "d1"), ("email", "zoe@example.com")))
        hub.add(_tp("b", 1, ("device_id", "d1"), ("phone", "06 12 34 56 78")))
        merged_id = hub.contact_of("a").contact_id
        hub.add(_tp("c", 2, ("device_id", "d1"), ("email", "max@example.com")))
        assert partition(hub) == {frozenset({"a"}), frozenset({"b"}), frozenset({"c"})}
        assert calls == [
            (
                merged_id,
                tuple(sorted([hub.contact_of("a").contact_id, hub.contact_of("b").contact_id])),
            )
        ]

    def test_merge_keeps_the_oldest_id_and_old_ids_stay_aliases(self) -> None:
        """On merge the oldest contact's id survives; the other id still finds the contact."""
        merges: list[tuple[str, tuple[str, ...]]] = []

        class Listener:
            @oc.hookimpl
            def contact_merged(self, contact_id: str, merged_ids: tuple[str, ...]) -> None:
                merges.append((contact_id, merged_ids))

        hub = make_hub(default_region="FR", plugins=[Listener()])
        old = hub.add(_tp("a", 0, ("email", "ann@example.com"))).contact_id
        young = hub.add(_tp("b", 10, ("phone", "+33612345678"))).contact_id
        receipt = hub.add(_tp("c", 20, ("email", "ann@example.com"), ("phone", "0612345678")))
        assert receipt.contact_id == old
        assert merges == [(old, (young,))]
        assert hub.contact(young).contact_id == old
        assert hub.contact(young) == hub.contact(old)

    def test_older_touchpoint_arriving_late_re_anchors_the_id(self) -> None:
        """A backfilled older touchpoint gives the contact a new id; the former id is an alias."""
        hub = fed([_tp("late", 50, ("email", "ann@example.com"))])
        first_id = hub.contact_of("late").contact_id
        hub.add(_tp("early", 1, ("email", "ann@example.com")))
        contact = hub.contact_of("late")
        assert contact.contact_id != first_id
        assert hub.contact(first_id) == contact

    def test_touchpoint_without_identifiers_is_its_own_contact(self) -> None:
        """A touchpoint with no identifier (a cash sale) still belongs to exactly one contact."""
        hub = fed([_tp("cash", 0), _tp("cash2", 1)])
        assert partition(hub) == {frozenset({"cash"}), frozenset({"cash2"})}
        assert not hub.contact_of("cash").identified

    def test_traits_take_the_most_recent_value_by_event_time(self) -> None:
        """Survivorship is by event time, not arrival order."""
        hub = fed(
            [
                _tp("new", 30, ("email", "ann@example.com"), city="Paris"),
                _tp("old", 10, ("email", "ann@example.com"), city="Lyon", first_name="Ann"),
            ]
        )
        traits = hub.contact(oc.Identifier("email", "ann@example.com")).traits
        assert traits["city"] == "Paris"
        assert traits["first_name"] == "Ann"

    def test_weak_identifier_seen_on_one_identified_contact_finds_it(self) -> None:
        """A cookie used by one identified person looks that person up."""
        hub = fed([_tp("a", 0, ("cookie_id", "ck"), ("email", "ann@example.com"))])
        assert hub.contact(oc.Identifier("cookie_id", "ck")).touchpoint_ids == ("a",)

    def test_unknown_lookups_are_typed_errors(self) -> None:
        """Unknown identifiers, contact ids and touchpoint ids raise LookupError subclasses."""
        hub = fed([_tp("a", 0, ("email", "ann@example.com"))])
        for ref in (
            oc.Identifier("email", "bob@example.com"),
            "ct_0000000000000000",
            oc.Identifier("cookie_id", "nope"),
        ):
            with pytest.raises(LookupError) as info:
                hub.contact(ref)
            assert isinstance(info.value, oc.ContactNotFoundError)
            assert "bob" not in str(info.value)
        assert hub.find(oc.Identifier("email", "bob@example.com")) is None
        with pytest.raises(LookupError) as missing:
            hub.contact_of("missing")
        assert isinstance(missing.value, oc.TouchpointNotFoundError)


def _resolver() -> Resolver:
    return Resolver(
        is_strong=lambda kind: kind in ("email", "phone"),
        config=oc.MatchingConfig(),
        guards=[],
        rules=[],
    )


def _ids(*pairs: tuple[str, str]) -> list[oc.Identifier]:
    return [oc.Identifier(k, v) for k, v in pairs]


class TestEngineChanges:
    """Resolver.add reports merges, splits and re-anchoring precisely."""

    def test_backfill_reports_a_rename(self) -> None:
        """An older touchpoint joining a contact renames it, and only that."""
        engine = _resolver()
        late, early = T0 + timedelta(days=1), T0
        assert engine.add(0, (late, "late"), _ids(("email", "a")), None).renamed == ()
        change = engine.add(1, (early, "early"), _ids(("email", "a")), None)
        assert change.renamed == ((contact_id_for("late"), contact_id_for("early")),)
        assert change.merged == ()
        assert change.split == ()

    def test_merge_and_split_are_reported_with_ids(self) -> None:
        """A merge names survivor and merged ids; a conflicting identity splits them again."""
        engine = _resolver()
        a, b = contact_id_for("a"), contact_id_for("b")
        engine.add(0, (T0, "a"), _ids(("email", "a"), ("device_id", "d")), None)
        engine.add(1, (T0 + timedelta(days=1), "b"), _ids(("phone", "p")), None)
        key = (T0 + timedelta(days=2), "c")
        merged = engine.add(2, key, _ids(("phone", "p"), ("device_id", "d")), None)
        assert merged.merged == ((a, (b,)),)
        assert merged.rules == ("shared_identifier", "shared_weak_identifier")  # c bridges both
        key = (T0 + timedelta(days=3), "x")
        split = engine.add(3, key, _ids(("email", "x"), ("device_id", "d")), None)
        assert split.split == ((a, tuple(sorted([a, b]))),)
        assert split.merged == ()
