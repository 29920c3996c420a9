"""The incremental engine: keeps contacts equal to their definition as touchpoints arrive.

The definition lives in :mod:`omnicontact.matching.cluster`: a pure function
of one *candidate component*. Candidate components are a union-find over
everything that could link touchpoints (their linking identifiers, the
probabilistic links found through blocking keys, confirmed links); they only
grow, so they always contain the real contacts. When a new touchpoint changes
nothing but its own contact (the common case: a known person seen again),
the engine adds it there directly, which is provably what the definition
gives; otherwise it recomputes the touched component. :meth:`Resolver.resolve_all`
recomputes everything from scratch, and gives the same contacts.

An identifier seen with more than ``shared_threshold`` distinct values of one
strong kind is *frozen as shared*: it stops linking (its component is
recomputed without it). Since that count only grows, freezing does not
depend on arrival order either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from omnicontact._cache import remember
from omnicontact.matching.changes import NO_CHANGE, Change, combine, diff
from omnicontact.matching.cluster import (
    Group,
    Input,
    Key,
    Output,
    Unit,
    contact_id_for,
    resolve_component,
)
from omnicontact.matching.config import MatchingConfig
from omnicontact.matching.evidence import EvidenceIndex
from omnicontact.matching.guards import ClusterView, MergeGuard
from omnicontact.matching.journal import Journal
from omnicontact.matching.rules import Evidence, MatchingRule, Record
from omnicontact.model import Identifier

__all__ = ["Change", "Resolver"]


class Resolver:
    """Incremental identity resolution over the touchpoints of one log.

    :param is_strong: tells whether an identifier kind is strong.
    :param config: the matching configuration.
    :param guards: merge guards, in the order they are asked.
    :param rules: probabilistic (or third-party deterministic) matching rules;
        the built-in ``shared_identifier`` rule is the engine's own union-find.
    :param cache_size: blocked-identifier decisions kept in cache.
    """

    def __init__(
        self,
        *,
        is_strong: Callable[[str], bool],
        config: MatchingConfig,
        guards: Sequence[MergeGuard],
        rules: Sequence[MatchingRule],
        cache_size: int = 100_000,
        derive: Callable[[Identifier], Iterable[Identifier]] | None = None,
    ) -> None:
        self._is_strong = is_strong
        self._derive = derive
        self.config = config
        self.guards = tuple(guards)
        self._vetoing = tuple(g for g in guards if getattr(g, "cluster_level", True))
        self._rules = tuple(r for r in rules if not _native(r))
        self._cache_size = cache_size
        # Decisions on record survive a rebuild; everything else is derived.
        self._marks: dict[int, dict[int, int]] = {}
        self._confirmed: list[tuple[int, int]] = []
        self._confirmed_of: dict[int, list[int]] = {}
        self._never_links = 0
        #: Set by the hub when its store keeps projections: notes what changed.
        self.journal: Journal | None = None
        self._reset()

    def _reset(self) -> None:
        self._inputs: list[tuple[Key, tuple[Identifier, ...], tuple[Identifier, ...], bool]] = []
        self._blocked: dict[Identifier, str | None] = {}
        self._frozen: set[Identifier] = set()
        self._cooc: dict[Identifier, tuple[Identifier, ...]] = {}
        self._node: dict[Identifier, int] = {}
        self._parent: list[int] = []
        self._members: dict[int, list[int]] = {}
        self._pos_node: list[int] = []
        self._evidence = EvidenceIndex(
            self._rules, max_block=self.config.max_block, is_strong=self._is_strong
        )
        self._touched: list[int] = []  # positions whose evidence a saturated key took away
        self._pos_unit: list[Unit | None] = []
        self._unit_of: dict[Identifier, Unit] = {}
        self._by_id: dict[str, Group] = {}
        self._issued: dict[str, str] = {}
        self._fresh: set[Identifier] = set()  # identifiers first seen on the touchpoint being added
        self._dirty: set[int] | None = None  # components left to recompute, during a batch
        self._batch_start: int | None = None  # first position of the batch being resolved

    # ------------------------------------------------------------------ identifiers

    def blocked(self, ident: Identifier) -> tuple[str, str] | None:
        """Return ``(guard, reason)`` when a guard blocks *ident* from linking."""
        reason = self._blocked.get(ident, "")
        if reason == "":
            reason = None
            for guard in self.guards:
                try:
                    why = guard.blocks(ident)
                except Exception as err:  # a failing guard fails closed, visibly
                    why = f"the guard raised {type(err).__name__}, so this never links"
                if why:
                    reason = f"{guard.name}\x00{why}"
                    break
            remember(self._blocked, ident, reason, self._cache_size)
        if reason is None:
            return None
        name, why = reason.split("\x00", 1)
        return name, why

    def _block_derived(
        self, dropped: list[Identifier], strong: list[Identifier], weak: list[Identifier]
    ) -> None:
        """Leave out, on this touchpoint, what was derived from a blocked identifier.

        Only on this touchpoint: whether a hash alone is a placeholder's is for
        the guards to say (the placeholder guard knows its list's hashes), so
        that it does not depend on having seen the placeholder before.
        """
        assert self._derive is not None
        for ident in dropped:
            for derived in self._derive(ident):
                for found in (strong, weak):
                    if derived in found:
                        found.remove(derived)

    def frozen(self, ident: Identifier) -> bool:
        """Tell whether *ident* is frozen as shared."""
        return ident in self._frozen

    def _count(
        self, strong: tuple[Identifier, ...], weak: tuple[Identifier, ...]
    ) -> list[Identifier]:
        """Count co-occurrences; return the identifiers that became frozen."""
        if not strong or len(strong) + len(weak) < 2:
            return []
        newly = []
        limit = self.config.shared_threshold
        frozen = self._frozen
        cooc = self._cooc
        for ident in (*strong, *weak):
            if ident in frozen:
                continue
            # A tuple, not a set: most identifiers meet one to three others (a third
            # of the memory), and it never grows past a few times the limit.
            seen = cooc.get(ident, ())
            new = tuple(s for s in strong if s is not ident and s not in seen)
            if not new:
                continue
            seen = cooc[ident] = seen + new
            if len(seen) > limit:
                counts: dict[str, int] = {}
                for other in seen:
                    counts[other.kind] = counts.get(other.kind, 0) + 1
                if max(counts.values()) > limit:
                    frozen.add(ident)
                    del cooc[ident]
                    newly.append(ident)
        return newly

    # ------------------------------------------------------------------ candidate components

    def _new_node(self) -> int:
        node = len(self._parent)
        self._parent.append(node)
        return node

    def _find(self, node: int) -> int:
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def _union(self, a: int, b: int) -> int:
        if a == b:
            return a
        ma, mb = self._members.get(a), self._members.get(b)
        if ma is not None and mb is not None and len(ma) < len(mb):
            a, b, ma, mb = b, a, mb, ma
        self._parent[b] = a
        if mb:
            if ma is None:
                self._members[a] = mb
            else:
                ma.extend(mb)
            del self._members[b]
        dirty = self._dirty
        if dirty is not None and b in dirty:
            dirty.discard(b)
            dirty.add(a)
        return a

    def _root_of(self, position: int) -> int:
        return self._find(self._pos_node[position])

    # ------------------------------------------------------------------ adding

    def add(
        self,
        position: int,
        key: Key,
        identifiers: Iterable[Identifier],
        record: Callable[[tuple[Identifier, ...]], Record] | None,
    ) -> Change:
        """Resolve the touchpoint at log *position*; return how contacts changed.

        :param key: ``(occurred_at, touchpoint id)``.
        :param identifiers: its normalized identifiers.
        :param record: builds its :class:`Record` from the linking identifiers,
            or ``None`` when it holds no traits (no rule can compare it).
        """
        assert position == len(self._inputs)
        strong, weak, person, newly, links = self._register(position, key, identifiers, record)
        dirty = self._dirty
        clean = dirty is None or self._root_of(position) not in dirty
        if not newly and not self._touched and clean:
            fast = self._fast(position, key, strong, weak, person, links)
            if fast is not None:
                return fast
        if dirty is None:
            return self._slow(position, newly)
        dirty.update(self._roots(position, newly))  # recomputed once, by end_batch()
        return NO_CHANGE

    def begin_batch(self) -> None:
        """Defer recomputing components until :meth:`end_batch`.

        A touchpoint that the fast path cannot place marks its component
        dirty instead; each dirty component is recomputed once at the end, so
        a batch costs one recompute per touched person, not one per
        touchpoint. The contacts are the same; the changes reported are the
        batch's net changes. Reading contacts in between is not allowed.
        """
        self._dirty = set()
        self._batch_start = len(self._inputs)

    def end_batch(self) -> Change:
        """Recompute the components the batch left dirty; return the batch's net changes."""
        dirty, self._dirty = self._dirty, None
        change = NO_CHANGE
        try:
            for root in {self._find(r) for r in dirty or ()}:
                change = combine(change, self._recompute(root))
        finally:
            self._batch_start = None
        return change

    def _register(
        self,
        position: int,
        key: Key,
        identifiers: Iterable[Identifier],
        record: Callable[[tuple[Identifier, ...]], Record] | None,
    ) -> tuple[tuple[Identifier, ...], tuple[Identifier, ...], bool, list[Identifier], list[int]]:
        """Store what the definition needs about a touchpoint; join its candidate component."""
        strong_l: list[Identifier] = []
        weak_l: list[Identifier] = []
        is_strong = self._is_strong
        dropped: list[Identifier] = []
        for ident in identifiers:
            if self.blocked(ident) is not None:
                dropped.append(ident)
                continue
            (strong_l if is_strong(ident.kind) else weak_l).append(ident)
        if dropped and self._derive is not None:
            self._block_derived(dropped, strong_l, weak_l)
        strong, weak = tuple(strong_l), tuple(weak_l)
        results = []
        if record is not None and self._rules:
            # Not filtered by freezing, which depends on what arrived before: the
            # evidence between two records must be a function of the two records.
            results = self._evidence.evaluate(position, record(strong + weak), self._strong_at)
        # Nothing changed so far; from here on nothing calls plug-in code.
        newly = self._count(strong, weak)
        frozen = self._frozen
        linking = [i for i in (*strong, *weak) if i not in frozen] if frozen else [*strong, *weak]
        linked: list[int] = []
        person = False
        if results:
            linked, person, touched = self._evidence.commit(position, results)
            if touched:
                self._touched.extend(touched)
        self._inputs.append((key, strong, weak, person))
        # Candidate component.
        node_of = self._node
        root = -1
        fresh = self._fresh
        fresh.clear()
        for ident in linking:
            node = node_of.get(ident)
            if node is None:
                fresh.add(ident)
                node = node_of[ident] = self._new_node() if root < 0 else root
            node = self._find(node)
            root = node if root < 0 else self._union(root, node)
        if root < 0:
            root = self._new_node()
        for other in linked:
            root = self._union(root, self._root_of(other))
        self._pos_node.append(root)
        members = self._members.get(root)
        if members is None:
            self._members[root] = [position]
        else:
            members.append(position)
        self._pos_unit.append(None)
        return strong, weak, person, newly, linked

    def _fast(
        self,
        position: int,
        key: Key,
        strong: tuple[Identifier, ...],
        weak: tuple[Identifier, ...],
        person: bool,
        linked: list[int],
    ) -> Change | None:
        """Add to an existing contact when that is provably what the definition gives."""
        unit_of = self._unit_of
        frozen = self._frozen
        if frozen:
            strong = tuple(i for i in strong if i not in frozen)
            weak = tuple(i for i in weak if i not in frozen)
        if len(self._members[self._root_of(position)]) == 1:
            return self._alone(position, key, strong, weak, person)
        if strong or person:
            unit = unit_of.get(strong[0]) if strong else None
            if unit is None and linked:
                unit = self._pos_unit[linked[0]]
            if unit is None or not unit.strong or unit.group is None:
                return None
            fresh: dict[str, set[Identifier]] = {}
            for ident in strong:
                owner = unit_of.get(ident)
                if owner is None:
                    if ident not in self._fresh:
                        return None  # known, but dropped from every contact
                    fresh.setdefault(ident.kind, set()).add(ident)
                elif owner is not unit:
                    return None
            if any(w not in unit.weak for w in weak):
                return None
            if any(self._pos_unit[o] is not unit for o in linked):
                return None
            if fresh and not self._may_grow(unit, fresh):
                return None
            for kind, values in fresh.items():
                unit.idents.setdefault(kind, set()).update(values)
                for ident in values:
                    unit_of[ident] = unit
            journal = self.journal
            if fresh and journal is not None:
                assert unit.group.contact_id is not None
                journal.contacts.add(unit.group.contact_id)
                for values in fresh.values():
                    journal.identifiers.update(values)
        elif weak:
            unit = unit_of.get(weak[0])
            if unit is None or unit.strong or unit.group is None:
                return None
            if unit.group.contact_id is None:
                return None
            if any(unit_of.get(w) is not unit for w in weak):
                return None
        else:  # nothing links it, so it is alone: handled above
            return None
        unit.positions.append(position)
        self._pos_unit[position] = unit
        group = unit.group
        assert group is not None
        assert group.anchor is not None
        journal = self.journal
        if journal is not None:
            journal.positions.add(position)
        if (key, position) < group.anchor:
            old = group.contact_id
            assert old is not None
            born_in_batch = self._batch_start is not None and group.anchor[1] >= self._batch_start
            group.anchor = (key, position)
            group.contact_id = new = _cid(key)
            del self._by_id[old]
            self._by_id[new] = group
            self._issued[new] = key[1]
            if journal is not None:  # every row naming the old id names the new one
                journal.contacts.update((old, new))
                journal.positions.update(group.positions())
                for member in group.units:
                    journal.identifiers.update(member.strong_identifiers())
                journal.issued[new] = position
            # A contact born in this batch was never reported: its new id is no news.
            return NO_CHANGE if born_in_batch else Change(renamed=((old, new),))
        return NO_CHANGE

    def _alone(
        self,
        position: int,
        key: Key,
        strong: tuple[Identifier, ...],
        weak: tuple[Identifier, ...],
        person: bool,
    ) -> Change:
        """Make the contact of a touchpoint that shares nothing with any other.

        Its candidate component is itself, so the definition reduces to the
        greedy over its own identifiers: in kind priority order, each one joins
        unless a guard vetoes it (two customer ids on one form).
        """
        unit = Unit(bool(strong) or person)
        units = [unit]
        if unit.strong:
            rank = self.config.rank
            idents = unit.idents
            for ident in sorted(strong, key=lambda i: (rank(i.kind), i.value)):
                if idents and self._vetoing:
                    view = ClusterView(idents)
                    single = ClusterView({ident.kind: {ident}})
                    if self._vetoed(view, single):
                        continue
                idents.setdefault(ident.kind, set()).add(ident)
                self._unit_of[ident] = unit
            unit.weak.update(weak)
            if weak:  # every weak identifier is in a region, here one without touchpoints
                region = Unit(False)
                region.weak.update(weak)
                units.append(region)
                for w in weak:
                    self._unit_of[w] = region
        else:
            unit.weak.update(weak)
            for w in weak:
                self._unit_of[w] = unit
        unit.positions.append(position)
        group = Group(units, (key, position))
        for member in units:
            member.group = group
        self._pos_unit[position] = unit
        assert group.contact_id is not None
        self._by_id[group.contact_id] = group
        self._issued[group.contact_id] = key[1]
        journal = self.journal
        if journal is not None:
            journal.positions.add(position)
            journal.identifiers.update(unit.strong_identifiers())
            journal.contacts.add(group.contact_id)
            journal.issued[group.contact_id] = position
        return NO_CHANGE

    def _may_grow(self, unit: Unit, fresh: dict[str, set[Identifier]]) -> bool:
        """Tell whether *unit* may take new identifiers without changing any other contact."""
        group = unit.group
        assert group is not None
        if sum(1 for u in group.units if u.strong) != 1:
            return False
        if not self._vetoing:
            return True
        mine, theirs = ClusterView(unit.idents), ClusterView(fresh)
        return not self._vetoed(mine, theirs)

    def _vetoed(self, a: ClusterView, b: ClusterView) -> bool:
        """Tell whether a guard vetoes joining *a* and *b* (a guard that raises vetoes)."""
        for guard in self._vetoing:
            try:
                if guard.vetoes(a, b):
                    return True
            except Exception:
                return True
        return False

    # ------------------------------------------------------------------ recomputing

    def _input(self, position: int) -> Input:
        key, strong, weak, person = self._inputs[position]
        frozen = self._frozen
        if frozen:
            strong = tuple(i for i in strong if i not in frozen)
            weak = tuple(i for i in weak if i not in frozen)
        return Input(key, strong, weak, person)

    def compute(self, positions: Sequence[int], *, explain: bool = False) -> Output:
        """Run the definition on a set of positions (a candidate component)."""
        members = set(positions)
        evidence = self._evidence.between(positions)
        confirmed = [(a, b) for a, b in self._confirmed if a in members and b in members]
        marks = {p: self._marks[p] for p in positions if p in self._marks}
        return resolve_component(
            positions,
            self._input,
            rank=self.config.rank,
            guards=self._vetoing,
            marks=marks,
            confirmed=confirmed,
            evidence=evidence,
            explain=explain,
        )

    def _roots(self, position: int, newly: list[Identifier]) -> set[int]:
        """Return the components to recompute after adding a touchpoint."""
        roots = {self._root_of(position)}
        for ident in newly:
            node = self._node.get(ident)
            if node is not None:
                roots.add(self._find(node))
        roots.update(self._root_of(p) for p in self._touched)
        self._touched.clear()
        return {self._find(r) for r in roots}

    def _slow(self, position: int, newly: list[Identifier]) -> Change:
        roots = self._roots(position, newly)
        change = NO_CHANGE
        for root in roots:
            change = combine(change, self._recompute(root))
        return change

    def rebuild(
        self,
        items: Iterable[
            tuple[int, Key, Iterable[Identifier], Callable[[tuple[Identifier, ...]], Record] | None]
        ],
    ) -> Change:
        """Forget every derived structure and resolve the whole log again, in one pass.

        *items* gives, for every log position in order, what :meth:`add` takes.
        Decisions on record (confirmed links, never-links) are kept.
        """
        before = {cid: g.positions() for cid, g in self._by_id.items()}
        # Prepared records are a pure function of the record and the rule: keep them
        # while the rules are the same objects (fit_rules replaces them).
        kept = self._evidence.prepared if self._evidence.rules == self._rules else None
        prepared_below = len(self._inputs)  # a fresh resolver has prepared nothing
        self._reset()
        if self.journal is not None:
            self.journal.clear()
            self.journal.full = True
        self._evidence.reuse = kept
        self._evidence.reuse_below = prepared_below
        for position, key, identifiers, record in items:
            self._register(position, key, identifiers, record)
        self._touched.clear()
        self._evidence.reuse = None
        for a, b in self._confirmed:
            self._union(self._root_of(a), self._root_of(b))
        roots = list(self._members)
        for root in roots:
            self._install(self.compute(self._members[root]).groups)
        old_of = {p: cid for cid, ps in before.items() for p in ps}
        positions = range(len(self._inputs))
        return self._diff(positions, {p: old_of.get(p) for p in positions}, with_rules=False)

    def _recompute(self, root: int) -> Change:
        """Recompute the contacts of one candidate component; report what changed."""
        positions = self._members[root]
        old_groups: dict[int, Group] = {}
        for p in positions:
            unit = self._pos_unit[p]
            if unit is not None and unit.group is not None:
                old_groups[id(unit.group)] = unit.group
        journal = self.journal
        for group in old_groups.values():
            for unit in group.units:
                for ident in unit.strong_identifiers():
                    if self._unit_of.get(ident) is unit:
                        del self._unit_of[ident]
                        if journal is not None:
                            journal.identifiers.add(ident)
                if not unit.strong:
                    for w in unit.weak:
                        if self._unit_of.get(w) is unit:
                            del self._unit_of[w]
            if group.contact_id is not None:
                self._by_id.pop(group.contact_id, None)
                if journal is not None:
                    journal.contacts.add(group.contact_id)
        # In a batch, what came with it had no contact before it.
        start = len(self._inputs) if self._batch_start is None else self._batch_start
        before = {
            p: None if p >= start else self._contact_of_unit(self._pos_unit[p]) for p in positions
        }
        output = self.compute(positions)
        self._install(output.groups)
        return self._diff(positions, before)

    def _install(self, groups: Iterable[Group]) -> None:
        journal = self.journal
        for group in groups:
            for unit in group.units:
                for p in unit.positions:
                    self._pos_unit[p] = unit
                if journal is not None:
                    journal.positions.update(unit.positions)
                if unit.strong:
                    for ident in unit.strong_identifiers():
                        self._unit_of[ident] = unit
                    if journal is not None:
                        journal.identifiers.update(unit.strong_identifiers())
                else:
                    for w in unit.weak:
                        self._unit_of[w] = unit
            if group.contact_id is not None:
                assert group.anchor is not None
                self._by_id[group.contact_id] = group
                self._issued[group.contact_id] = group.anchor[0][1]
                if journal is not None:
                    journal.contacts.add(group.contact_id)
                    journal.issued[group.contact_id] = group.anchor[1]

    @staticmethod
    def _contact_of_unit(unit: Unit | None) -> str | None:
        return None if unit is None or unit.group is None else unit.group.contact_id

    def _diff(
        self, positions: Sequence[int], before: dict[int, str | None], *, with_rules: bool = True
    ) -> Change:
        """Compare each position's contact before and now; trace merges when asked."""
        after = {p: self._contact_of_unit(self._pos_unit[p]) for p in positions}
        trace = (lambda: self.compute(positions, explain=True)) if with_rules else None
        return diff(positions, before, after, trace)

    def confirm(self, a: int, b: int) -> Change:
        """Record that the touchpoints at *a* and *b* are the same person; recompute."""
        self._confirmed.append((min(a, b), max(a, b)))
        self._confirmed_of.setdefault(a, []).append(b)
        self._confirmed_of.setdefault(b, []).append(a)
        self._evidence.drop_review(a, b)
        root = self._union(self._root_of(a), self._root_of(b))
        return self._recompute(root)

    def never_link(self, sides: Sequence[Iterable[int]]) -> Change:
        """Record that the touchpoints of each side are never one contact with another side's."""
        self._never_links += 1
        number = self._never_links
        roots = set()
        for side, positions in enumerate(sides):
            for p in positions:
                self._marks.setdefault(p, {})[number] = side
                roots.add(self._root_of(p))
        change = NO_CHANGE
        for root in {self._find(r) for r in roots}:
            change = combine(change, self._recompute(root))
        return change

    def fit_rules(self, **options: Any) -> tuple[str, ...]:
        """Replace each rule that has a ``fit`` method by its copy fitted on the records seen.

        The next :meth:`rebuild` prepares the records again, for the new rules.
        """
        self._rules, trained = self._evidence.fit(**options)
        return trained

    @property
    def rules(self) -> tuple[MatchingRule, ...]:
        """The matching rules the engine asks (not the native ``shared_identifier``)."""
        return self._rules

    def _strong_at(self, position: int) -> tuple[Identifier, ...]:
        return self._inputs[position][1]

    def contact_id_of(self, position: int) -> str:
        """Return the id of the contact holding the touchpoint at *position*."""
        unit = self._pos_unit[position]
        assert unit is not None
        assert unit.group is not None
        assert unit.group.contact_id is not None
        return unit.group.contact_id

    def group(self, contact_id: str) -> Group | None:
        """Return the current contact with this id, or ``None``."""
        return self._by_id.get(contact_id)

    def group_of_identifier(self, ident: Identifier) -> Group | None:
        """Return the contact a linking strong identifier belongs to, or ``None``."""
        unit = self._unit_of.get(ident)
        if unit is None or not unit.strong or unit.group is None:
            return None
        return unit.group

    def candidate_groups(self, ident: Identifier) -> list[Group]:
        """Return the contacts of the candidate component an identifier is in."""
        node = self._node.get(ident)
        if node is None:
            return []
        seen: dict[int, Group] = {}
        for p in self._members.get(self._find(node), ()):
            unit = self._pos_unit[p]
            if unit is not None and unit.group is not None and unit.group.contact_id:
                seen[id(unit.group)] = unit.group
        return list(seen.values())

    def component_of(self, position: int) -> list[int]:
        """Return the positions of the candidate component holding *position*."""
        return list(self._members[self._root_of(position)])

    def reviews(self) -> Iterator[tuple[int, int, Evidence]]:
        """Iterate the doubtful pairs found so far (some may be settled since)."""
        return self._evidence.pending()

    def drop_review(self, a: int, b: int) -> None:
        """Forget a doubtful pair (it was decided)."""
        self._evidence.drop_review(a, b)

    def linked(self) -> Iterator[tuple[Identifier, str]]:
        """Iterate each linking strong identifier with the id of the contact it links."""
        for ident, unit in self._unit_of.items():
            group = unit.group
            if unit.strong and group is not None and group.contact_id is not None:
                yield ident, group.contact_id

    def anchor_of(self, contact_id: str) -> str | None:
        """Return the touchpoint id an issued (current or former) contact id came from."""
        return self._issued.get(contact_id)

    def contact_ids(self) -> Iterator[str]:
        """Iterate the ids of the current contacts."""
        return iter(list(self._by_id))

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def size(self) -> int:
        """How many log positions the resolver holds."""
        return len(self._inputs)


def _cid(key: Key) -> str:
    return contact_id_for(key[1])


def _native(rule: MatchingRule) -> bool:
    return rule.name == "shared_identifier" and getattr(rule, "native", False)
