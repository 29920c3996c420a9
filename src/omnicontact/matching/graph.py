"""The identity graph: deterministic stitching of touchpoints into contacts.

The result is a function of the *set* of touchpoints, never of their order,
so replaying the log in any order gives the same contacts. It is defined in
three steps, each maintained incrementally:

1. **Strong units.** Touchpoints that share a strong identifier (e-mail,
   phone, customer id, …) are one unit: a union-find over strong identifiers.
2. **Weak regions.** Anonymous touchpoints (only weak identifiers: cookie,
   device) that share a weak identifier are one region: a union-find over weak
   identifiers. A region is *adjacent* to a strong unit when an identified
   touchpoint carries a weak identifier of the region.
3. **Contacts.** Take a connected component of units and regions. When no
   strong identifier kind occurs in two of its strong units (an e-mail person
   and a phone person on one device), it is one contact. Otherwise the device
   is shared by several people: each strong unit is its own contact, a region
   adjacent to exactly one of them joins it, and a region adjacent to several
   stays an anonymous contact of its own. A weak identifier thus never joins
   two contacts that carry different strong identifiers of the same kind.

A contact's id comes from its oldest touchpoint (by event time, then id), so
when contacts merge the oldest id survives; every id ever issued stays
resolvable through the touchpoint it came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import attrs

__all__ = ["Change", "IdentityGraph", "contact_id_for"]

Key = tuple[datetime, str]
"""How touchpoints are ordered: ``(occurred_at, touchpoint id)``."""


def contact_id_for(touchpoint_id: str) -> str:
    """Return the contact id a contact anchored on this touchpoint gets."""
    digest = hashlib.blake2b(touchpoint_id.encode("utf-8"), digest_size=8).hexdigest()
    return f"ct_{digest}"


class _Unit:
    """A strong unit or a weak region, stored under its union-find root."""

    __slots__ = ("anchor", "group", "kinds", "nbrs", "strong", "tps")

    def __init__(self, strong: bool) -> None:
        # Most units are small: containers are created on first use.
        self.strong = strong
        self.tps: list[int] | None = None
        self.anchor: tuple[datetime, str, int] | None = None
        self.kinds: tuple[str, ...] = ()
        self.nbrs: set[int] | None = None
        self.group: _Group | None = None

    def add_tp(self, position: int) -> None:
        if self.tps is None:
            self.tps = [position]
        else:
            self.tps.append(position)

    def add_nbr(self, root: int) -> bool:
        """Add a neighbour; tell whether it is new."""
        if self.nbrs is None:
            self.nbrs = {root}
            return True
        if root in self.nbrs:
            return False
        self.nbrs.add(root)
        return True


class _Group:
    """A contact: the units it is made of and its anchor touchpoint."""

    __slots__ = ("anchor", "contact_id", "units")

    def __init__(self, units: list[int], anchor: tuple[datetime, str, int] | None) -> None:
        self.units = units
        self.anchor = anchor
        self.contact_id = contact_id_for(anchor[1]) if anchor is not None else None


@attrs.frozen
class Change:
    """How contacts changed when one touchpoint was added.

    :param merged: ``(surviving id, ids merged into it)`` for each merge.
    :param split: ``(divided id, ids it became)`` for each split.
    :param renamed: ``(old id, new id)`` when an older touchpoint re-anchored a contact.
    """

    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()
    split: tuple[tuple[str, tuple[str, ...]], ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()


NO_CHANGE = Change()


class IdentityGraph:
    """Incremental union-find of identifiers into units, regions and contacts.

    Identifiers are opaque hashable keys, given to :meth:`add` already split
    into strong and weak ones; *kind_of* tells an identifier's kind.
    Touchpoints are referred to by their position in the log.
    """

    def __init__(self, kind_of: Callable[[object], str]) -> None:
        self._kind_of = kind_of
        self._node: dict[object, int] = {}
        self._parent: list[int] = []
        self._size: list[int] = []
        self._units: dict[int, _Unit] = {}
        self._bare: dict[int, int] = {}  # touchpoint position -> node, for identifier-less ones
        self._by_id: dict[str, _Group] = {}
        self._issued: dict[str, str] = {}  # every contact id ever issued -> anchor touchpoint id

    # ------------------------------------------------------------------ nodes

    def _new_node(self, strong: bool) -> int:
        node = len(self._parent)
        self._parent.append(node)
        self._size.append(1)
        self._units[node] = _Unit(strong)
        return node

    def _find(self, node: int) -> int:
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def _union(self, a: int, b: int) -> int:
        """Join the units rooted at *a* and *b*; return the new root."""
        if self._size[a] < self._size[b]:
            a, b = b, a
        self._parent[b] = a
        self._size[a] += self._size[b]
        units = self._units
        ua, ub = units[a], units.pop(b)
        if ub.tps:
            if ua.tps is None:
                ua.tps = ub.tps
            else:
                ua.tps.extend(ub.tps)
        if ub.anchor is not None and (ua.anchor is None or ub.anchor < ua.anchor):
            ua.anchor = ub.anchor
        for kind in ub.kinds:
            if kind not in ua.kinds:
                ua.kinds = (*ua.kinds, kind)
        if ub.nbrs:
            for n in ub.nbrs:
                other = units[n].nbrs
                assert other is not None
                other.discard(b)
                other.add(a)
                ua.add_nbr(n)
        return a

    # ------------------------------------------------------------------ adding

    def add(
        self, position: int, key: Key, strong: Iterable[object], weak: Iterable[object]
    ) -> Change:
        """Add the touchpoint at log *position* with its identifiers; return what changed."""
        anchor = (key[0], key[1], position)
        before: list[_Group | None] = []
        structural = False
        units = self._units
        strong = list(strong)
        if strong:
            root, structural = self._join(strong, True, before)
            unit = units[root]
            for ident in strong:
                kind = self._kind_of(ident)
                if kind not in unit.kinds:
                    unit.kinds = (*unit.kinds, kind)
                    # A new kind matters only where it can meet another unit's.
                    structural = structural or bool(unit.nbrs)
            for ident in weak:
                node = self._node.get(ident)
                if node is None:
                    node = self._node[ident] = self._new_node(False)
                    structural = True
                region = self._find(node)
                if unit.add_nbr(region):
                    units[region].add_nbr(root)
                    structural = True
        else:
            weak = list(weak)
            if weak:
                root, structural = self._join(weak, False, before)
            else:
                root = self._bare[position] = self._new_node(False)
                structural = True
            unit = units[root]
            structural = structural or not unit.tps  # an empty region now holds activity
        unit.add_tp(position)
        if unit.anchor is None or anchor < unit.anchor:
            unit.anchor = anchor
        if not structural and unit.group is not None:
            return self._reanchor(unit.group, anchor)
        return self._regroup(root, before)

    def _join(
        self, idents: list[object], strong: bool, before: list[_Group | None]
    ) -> tuple[int, bool]:
        """Put *idents* in one unit; return its root and whether units were created or merged.

        Identifiers seen before bring their units, which are merged; new
        identifiers only join the unit (a new identifier on a known unit
        changes no contact), or start a new one when none is known.
        """
        node_of = self._node
        units = self._units
        root = -1
        changed = False
        new = []
        for ident in idents:
            node = node_of.get(ident)
            if node is None:
                new.append(ident)
                continue
            node = self._find(node)
            before.append(units[node].group)
            if root < 0:
                root = node
            elif node != root:
                root = self._union(root, node)
                changed = True
        if root < 0:
            root = node_of[new.pop()] = self._new_node(strong)
            changed = True
        parent, size = self._parent, self._size
        for ident in new:
            node_of[ident] = len(parent)
            parent.append(root)
            size.append(1)
            size[root] += 1
        return root, changed

    def _reanchor(self, group: _Group, anchor: tuple[datetime, str, int]) -> Change:
        if group.anchor is not None and group.anchor <= anchor:
            return NO_CHANGE
        old = group.contact_id
        group.anchor = anchor
        group.contact_id = contact_id_for(anchor[1])
        if old is not None:
            del self._by_id[old]
        self._by_id[group.contact_id] = group
        self._issued[group.contact_id] = anchor[1]
        return Change(renamed=((old, group.contact_id),)) if old else NO_CHANGE

    def _component(self, root: int) -> list[int]:
        """Return the roots of the units connected to *root* through adjacency."""
        units = self._units
        seen = {root}
        stack = [root]
        while stack:
            for n in units[stack.pop()].nbrs or ():
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        return list(seen)

    def _regroup(self, root: int, before: list[_Group | None]) -> Change:
        """Recompute the contacts of the component holding *root*; report the change."""
        units = self._units
        component = self._component(root)
        old: dict[int, _Group] = {}
        for group in (*before, *(units[u].group for u in component)):
            if group is not None and group.contact_id is not None:
                old[id(group)] = group
        old_roots = {key: {self._find(u) for u in g.units} for key, g in old.items()}
        for group in old.values():
            self._by_id.pop(group.contact_id, None)  # type: ignore[arg-type]
        new_groups = self._partition(component)
        for group in new_groups:
            for u in group.units:
                units[u].group = group
            if group.contact_id is not None:
                self._by_id[group.contact_id] = group
                self._issued[group.contact_id] = group.anchor[1]  # type: ignore[index]
        if not old:
            return NO_CHANGE
        # Where each former contact went, and where each new one came from.
        targets_of: dict[int, dict[int, _Group]] = {}
        sources_of: dict[int, set[str]] = {}
        for key, group in old.items():
            targets = targets_of[key] = {}
            for u in old_roots[key]:
                target = units[u].group
                if target is not None and target.contact_id is not None and units[u].tps:
                    targets[id(target)] = target
                    sources_of.setdefault(id(target), set()).add(group.contact_id)  # type: ignore[arg-type]
        merged, split, renamed = [], [], []
        for group in new_groups:
            sources = sources_of.get(id(group), set())
            if len(sources) > 1:
                others = tuple(sorted(sources - {group.contact_id}))
                merged.append((group.contact_id, others))
        for key, targets in targets_of.items():
            was = old[key].contact_id
            ids = sorted(t.contact_id for t in targets.values())  # type: ignore[type-var]
            if len(ids) > 1:
                split.append((was, tuple(ids)))
            elif ids and ids[0] != was and len(sources_of[next(iter(targets))]) == 1:
                renamed.append((was, ids[0]))
        return Change(tuple(merged), tuple(split), tuple(renamed))  # type: ignore[arg-type]

    def _partition(self, component: list[int]) -> list[_Group]:
        units = self._units
        if len(component) == 1:
            return [_make_group(component, units)]
        strong = [u for u in component if units[u].strong]
        seen_kinds: set[str] = set()
        conflict = False
        for u in strong:
            if not seen_kinds.isdisjoint(units[u].kinds):
                conflict = True
                break
            seen_kinds.update(units[u].kinds)
        if not conflict:
            return [_make_group(component, units)]
        members: dict[int, list[int]] = {u: [u] for u in strong}
        groups = []
        for u in component:
            if units[u].strong:
                continue
            nbrs = units[u].nbrs or ()
            if len(nbrs) == 1:
                members[next(iter(nbrs))].append(u)
            else:
                groups.append(_make_group([u], units))
        groups.extend(_make_group(m, units) for m in members.values())
        return groups

    # ------------------------------------------------------------------ reading

    def group_of_identifier(self, ident: object) -> list[int] | None:
        """Return the touchpoint positions of the contact a strong identifier is in."""
        node = self._node.get(ident)
        if node is None:
            return None
        group = self._units[self._find(node)].group
        return self._positions(group) if group is not None else None

    def candidate_contacts(self, ident: object) -> list[str]:
        """Return the ids of the contacts that may hold *ident* (its component's contacts)."""
        node = self._node.get(ident)
        if node is None:
            return []
        root = self._find(node)
        ids = {
            self._units[u].group.contact_id  # type: ignore[union-attr]
            for u in self._component(root)
            if self._units[u].group is not None and self._units[u].group.contact_id  # type: ignore[union-attr]
        }
        return sorted(ids)  # type: ignore[arg-type]

    def contact_id_of(self, position: int, representative: object | None) -> str:
        """Return the id of the contact holding the touchpoint at *position*.

        :param representative: the touchpoint's first strong identifier, else
            its first weak one, else ``None``.
        """
        node = self._bare[position] if representative is None else self._node[representative]
        group = self._units[self._find(node)].group
        assert group is not None
        assert group.contact_id is not None
        return group.contact_id

    def positions(self, contact_id: str) -> list[int] | None:
        """Return the log positions of a current contact's touchpoints, or ``None``."""
        group = self._by_id.get(contact_id)
        return None if group is None else self._positions(group)

    def _positions(self, group: _Group) -> list[int]:
        out: list[int] = []
        for u in group.units:
            out.extend(self._units[self._find(u)].tps or ())
        return out

    def anchor_of(self, contact_id: str) -> str | None:
        """Return the touchpoint id an issued (current or former) contact id came from."""
        return self._issued.get(contact_id)

    def contact_ids(self) -> Iterator[str]:
        """Iterate the ids of the current contacts, in no particular order."""
        return iter(list(self._by_id))

    def __len__(self) -> int:
        return len(self._by_id)


def _make_group(members: list[int], units: dict[int, _Unit]) -> _Group:
    anchors = [units[u].anchor for u in members if units[u].anchor is not None]
    return _Group(members, min(anchors) if anchors else None)  # type: ignore[type-var]
