"""The definition of contacts: a pure function of one component's touchpoints.

This module *is* the definition of identity resolution; the incremental
engine (:mod:`omnicontact.matching.resolver`) only decides when to call it.
Given the touchpoints of one candidate component and the decisions on record
(confirmed links, never-links), it returns the same contacts whatever order
the touchpoints arrived in:

1. **Person clusters** (greedy, constrained). The elements are the
   touchpoints that carry a linking strong identifier or a record a
   probabilistic rule can compare, and the strong identifiers themselves.
   Links are considered in a fixed order: confirmed links first, then
   "touchpoint carries identifier" links by kind priority, then event time;
   then probabilistic links by weight, strongest first. A link is taken
   unless a never-link or a merge guard vetoes it. Since every veto is
   monotone, links that join nothing conflicting are always taken, and what a
   veto drops is the later, lower-priority link.
2. **Weak regions.** Anonymous touchpoints that share a weak identifier
   (cookie, device) are one region; every weak identifier is in a region.
3. **Contacts.** Person clusters and regions that touch through weak
   identifiers form a component. When no strong identifier kind occurs in two
   of its person clusters and no guard vetoes joining them all, it is one
   contact. Otherwise the weak identifiers are shared by several people: each
   person cluster is a contact, a region that touches exactly one of them
   joins it, and any other region stays an anonymous contact of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime

import attrs

from omnicontact.matching.guards import ClusterView, MergeGuard
from omnicontact.matching.rules import Evidence
from omnicontact.model import Identifier

__all__ = [
    "Group",
    "Input",
    "Link",
    "Output",
    "Unit",
    "Veto",
    "contact_id_for",
    "resolve_component",
]

Key = tuple[datetime, str]
"""How touchpoints are ordered: ``(occurred_at, touchpoint id)``."""


def contact_id_for(touchpoint_id: str) -> str:
    """Return the id of a contact whose oldest touchpoint has this id."""
    digest = hashlib.blake2b(touchpoint_id.encode("utf-8"), digest_size=8).hexdigest()
    return f"ct_{digest}"


@attrs.frozen
class Input:
    """Everything the definition reads about one touchpoint.

    :param key: ``(occurred_at, touchpoint id)``, the order of touchpoints.
    :param strong: its linking strong identifiers (not blocked, not frozen).
    :param weak: its linking weak identifiers (not blocked, not frozen).
    :param person: whether a probabilistic rule can compare it.
    """

    key: Key
    strong: tuple[Identifier, ...]
    weak: tuple[Identifier, ...]
    person: bool = False


@attrs.frozen
class Link:
    """A link that was taken: what joined two parts of a contact.

    :param a: a touchpoint position.
    :param b: a touchpoint position, or the identifier it carries.
    :param rule: ``shared_identifier``, a probabilistic rule's name,
        ``confirmed``, or ``shared_weak_identifier``.
    :param evidence: the rule's evidence, for probabilistic links.
    """

    a: int
    b: int | Identifier
    rule: str
    evidence: Evidence | None = None


@attrs.frozen
class Veto:
    """A link that was refused, and why.

    :param a: a touchpoint position.
    :param b: a touchpoint position, or the identifier it carries.
    :param rule: the rule that proposed it.
    :param guard: the guard that vetoed it (``never_link`` for a decision on record).
    :param reason: the guard's reason (never a personal value).
    """

    a: int
    b: int | Identifier
    rule: str
    guard: str
    reason: str


class Unit:
    """A person cluster (``strong``) or a weak region of one component."""

    __slots__ = ("group", "idents", "positions", "strong", "weak")

    def __init__(self, strong: bool) -> None:
        self.strong = strong
        self.idents: dict[str, set[Identifier]] = {}
        self.weak: set[Identifier] = set()
        self.positions: list[int] = []
        self.group: Group | None = None

    def strong_identifiers(self) -> set[Identifier]:
        """Return every strong identifier of the unit."""
        out: set[Identifier] = set()
        for values in self.idents.values():
            out |= values
        return out


class Group:
    """One contact: its units, its oldest touchpoint and its id.

    A group made only of weak regions without touchpoints has no anchor and
    no id: it is not a contact.
    """

    __slots__ = ("anchor", "contact_id", "units")

    def __init__(self, units: list[Unit], anchor: tuple[Key, int] | None) -> None:
        self.units = units
        self.anchor = anchor
        self.contact_id = contact_id_for(anchor[0][1]) if anchor is not None else None

    def positions(self) -> list[int]:
        """Return the log positions of its touchpoints."""
        out: list[int] = []
        for unit in self.units:
            out.extend(unit.positions)
        return out


@attrs.frozen
class Output:
    """The contacts of one component.

    :param groups: the contacts.
    :param links: the links taken (filled only when asked).
    :param vetoes: the links refused.
    """

    groups: list[Group]
    links: list[Link]
    vetoes: list[Veto]


class _State:
    """A cluster while the greedy runs: identifiers by kind, never-link marks."""

    __slots__ = ("idents", "marks")

    def __init__(self) -> None:
        self.idents: dict[str, set[Identifier]] = {}
        self.marks: dict[int, int] | None = None


def _veto(a: _State, b: _State, guards: Sequence[MergeGuard]) -> tuple[str, str] | None:
    if _clash(a.marks, b.marks):
        return ("never_link", _NEVER)
    if not guards:
        return None
    va, vb = ClusterView(a.idents), ClusterView(b.idents)
    for guard in guards:
        try:
            reason = guard.vetoes(va, vb)
        except Exception as err:  # a failing guard fails closed: the link is refused
            reason = f"the guard raised {type(err).__name__}"
        if reason:
            return (guard.name, reason)
    return None


def _absorb(into: _State, other: _State) -> None:
    for kind, values in other.idents.items():
        mine = into.idents.get(kind)
        if mine is None:
            into.idents[kind] = set(values)
        else:
            mine |= values
    if other.marks:
        if into.marks is None:
            into.marks = dict(other.marks)
        else:
            into.marks.update(other.marks)


def resolve_component(
    positions: Sequence[int],
    inputs: Callable[[int], Input],
    *,
    rank: Callable[[str], tuple[int, str]],
    guards: Sequence[MergeGuard],
    marks: Mapping[int, dict[int, int]],
    confirmed: Sequence[tuple[int, int]],
    evidence: Sequence[tuple[int, int, Evidence]],
    explain: bool = False,
) -> Output:
    """Return the contacts of one component (see the module docstring).

    :param positions: the component's touchpoints (log positions).
    :param inputs: what the definition reads about a position.
    :param rank: the sort key of an identifier kind's links.
    :param guards: the merge guards whose vetoes apply.
    :param marks: never-link marks by position: ``{never-link id: side}``.
    :param confirmed: pairs of positions a person confirmed.
    :param evidence: probabilistic links ``(a, b, evidence)`` at link level.
    :param explain: also return the links taken.
    """
    info = {p: inputs(p) for p in positions}
    parent: dict[Hashable, Hashable] = {}
    state: dict[Hashable, _State] = {}

    def find(x: Hashable) -> Hashable:
        root = x
        while parent[root] is not root:  # identity: attrs' == is slow, keys are canonical
            root = parent[root]
        while parent[x] is not root:
            parent[x], x = root, parent[x]
        return root

    def element(x: Hashable, kind: str | None) -> None:
        if x in parent:
            return
        parent[x] = x
        st = state[x] = _State()
        if kind is not None:
            st.idents[kind] = {x}  # type: ignore[arg-type]
        elif x in marks:
            st.marks = dict(marks[x])  # type: ignore[index]

    # A touchpoint a person confirmed as someone's is part of a person cluster, even
    # without a strong identifier of its own (an anonymous visit confirmed as Ann's).
    vouched = {p for pair in confirmed for p in pair if p in info}
    person = [p for p in positions if info[p].strong or info[p].person or p in vouched]
    edges: list[tuple[tuple[object, ...], int, Hashable, str, Evidence | None]] = []
    for a, b in confirmed:
        if a in info and b in info:
            edges.append(((0, *sorted((info[a].key, info[b].key))), a, b, "confirmed", None))
    for p in person:
        element(p, None)
        key = info[p].key
        for ident in info[p].strong:
            element(ident, ident.kind)
            edges.append(
                ((1, rank(ident.kind), key, ident.value), p, ident, "shared_identifier", None)
            )
    for a, b, ev in evidence:
        if a in info and b in info:
            first, second = sorted((info[a].key, info[b].key))
            edges.append(((2, -ev.weight, first, second, ev.rule), a, b, ev.rule, ev))
    edges.sort(key=lambda e: e[0])

    links: list[Link] = []
    vetoes: list[Veto] = []
    for _, left, right, rule, found in edges:
        element(left, None)
        element(right, None)
        ra, rb = find(left), find(right)
        if ra is rb:
            if explain:
                links.append(Link(left, right, rule, found))  # type: ignore[arg-type]
            continue
        veto = _veto(state[ra], state[rb], guards)
        if veto is not None:
            vetoes.append(Veto(left, right, rule, veto[0], veto[1]))  # type: ignore[arg-type]
            continue
        sa, sb = state[ra], state[rb]
        if len(sa.idents) < len(sb.idents):
            ra, rb, sa, sb = rb, ra, sb, sa
        parent[rb] = ra
        _absorb(sa, sb)
        del state[rb]
        if explain:
            links.append(Link(left, right, rule, found))  # type: ignore[arg-type]

    # Person clusters as units.
    units_by_root: dict[Hashable, Unit] = {}
    for p in person:
        root = find(p)
        unit = units_by_root.get(root)
        if unit is None:
            unit = units_by_root[root] = Unit(True)
            unit.idents = state[root].idents
        unit.positions.append(p)
        unit.weak.update(info[p].weak)
    people = list(units_by_root.values())
    roots_of = {id(u): r for r, u in units_by_root.items()}

    # Weak regions: anonymous touchpoints joined through the weak identifiers they carry, in
    # a fixed order, unless a never-link separates them; every weak identifier is in one.
    anonymous = [
        p for p in positions if not (info[p].strong or info[p].person or p in vouched)
    ]
    rparent: dict[Hashable, Hashable] = {}
    rmarks: dict[Hashable, dict[int, int]] = {}

    def rfind(x: Hashable) -> Hashable:
        root = x
        while rparent[root] is not root:
            root = rparent[root]
        while rparent[x] is not root:
            rparent[x], x = root, rparent[x]
        return root

    for p in positions:
        for w in info[p].weak:
            rparent.setdefault(w, w)
    redges: list[tuple[tuple[object, ...], int, Identifier]] = []
    for p in anonymous:
        rparent[p] = p
        if p in marks:
            rmarks[p] = dict(marks[p])
        redges.extend(((info[p].key, w.kind, w.value), p, w) for w in info[p].weak)
    redges.sort(key=lambda e: e[0])
    for _, p, w in redges:
        ra, rb = rfind(p), rfind(w)
        if ra is rb:
            if explain:
                links.append(Link(p, w, "shared_weak_identifier"))
            continue
        ma, mb = rmarks.get(ra), rmarks.get(rb)
        if _clash(ma, mb):
            vetoes.append(Veto(p, w, "shared_weak_identifier", "never_link", _NEVER))
            continue
        rparent[rb] = ra
        if mb:
            rmarks.setdefault(ra, {}).update(mb)
        if explain:
            links.append(Link(p, w, "shared_weak_identifier"))
    regions: dict[Hashable, Unit] = {}

    def region_of(x: Hashable) -> Unit:
        root = rfind(x)
        region = regions.get(root)
        if region is None:
            region = regions[root] = Unit(False)
        return region

    for w in [x for x in rparent if isinstance(x, Identifier)]:
        region_of(w).weak.add(w)
    for p in anonymous:
        region_of(p).positions.append(p)
    marks_of: dict[int, dict[int, int] | None] = {id(u): rmarks.get(r) for r, u in regions.items()}
    for unit in people:
        marks_of[id(unit)] = state[roots_of[id(unit)]].marks

    # Components of person clusters and regions through weak identifiers.
    touching: dict[int, list[Unit]] = {}  # id(region) -> person clusters touching it
    for unit in people:
        for region in {id(r): r for r in map(region_of, unit.weak)}.values():
            touching.setdefault(id(region), []).append(unit)
    comp_parent: dict[int, int] = {id(u): id(u) for u in (*people, *regions.values())}

    def cfind(x: int) -> int:
        while comp_parent[x] != x:
            comp_parent[x] = comp_parent[comp_parent[x]]
            x = comp_parent[x]
        return x

    for region in regions.values():
        for unit in touching.get(id(region), ()):
            ra_, rb_ = cfind(id(region)), cfind(id(unit))
            if ra_ != rb_:
                comp_parent[rb_] = ra_
    members: dict[int, list[Unit]] = {}
    for unit in (*people, *regions.values()):
        members.setdefault(cfind(id(unit)), []).append(unit)

    groups: list[list[Unit]] = []
    for comp in members.values():
        persons = [u for u in comp if u.strong]
        if len(comp) == 1 or _joinable(comp, persons, state, roots_of, marks_of, guards):
            groups.append(comp)
            if explain and len(persons) > 1:
                anchor = min(persons[0].positions, key=lambda p: info[p].key)
                for joined in persons[1:]:
                    oldest = min(joined.positions, key=lambda p: info[p].key)
                    links.append(Link(anchor, oldest, "shared_weak_identifier"))
            continue
        own: dict[int, list[Unit]] = {id(u): [u] for u in persons}
        for unit in comp:
            if unit.strong:
                continue
            near = touching.get(id(unit), ())
            if len(near) == 1 and not _clash(marks_of[id(unit)], marks_of[id(near[0])]):
                own[id(near[0])].append(unit)
                continue
            groups.append([unit])
            if explain:
                for holder in near:
                    shared = min(holder.weak & unit.weak, key=lambda w: (w.kind, w.value))
                    oldest = min(holder.positions, key=lambda p: info[p].key)
                    reason = (
                        "a weak identifier seen with several people"
                        if len(near) > 1
                        else "a never-link decision separates them"
                    )
                    vetoes.append(
                        Veto(oldest, shared, "shared_weak_identifier", "shared_device", reason)
                    )
        groups.extend(own.values())
    if explain:  # identified touchpoints that carry a weak identifier of a region they took in
        for members_ in groups:
            taken = {w for u in members_ if not u.strong for w in u.weak}
            for unit in members_:
                if unit.strong and taken:
                    links.extend(
                        Link(p, w, "shared_weak_identifier")
                        for p in unit.positions
                        for w in info[p].weak
                        if w in taken
                    )
    out = []
    for members_ in groups:
        keys = [(info[p].key, p) for u in members_ for p in u.positions]
        group = Group(members_, min(keys) if keys else None)
        for unit in members_:
            unit.group = group
        out.append(group)
    return Output(out, links, vetoes)


def _clash(a: dict[int, int] | None, b: dict[int, int] | None) -> bool:
    """Tell whether two sets of never-link marks put their holders on different sides."""
    if not a or not b:
        return False
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return any(n in large and large[n] != side for n, side in small.items())


_NEVER = "a never-link decision separates them"


def _joinable(
    comp: list[Unit],
    persons: list[Unit],
    state: dict[Hashable, _State],
    roots_of: dict[int, Hashable],
    marks_of: dict[int, dict[int, int] | None],
    guards: Sequence[MergeGuard],
) -> bool:
    """Tell whether person clusters and regions that share weak identifiers are one person."""
    seen: set[str] = set()
    for unit in persons:
        kinds = {k for k, v in unit.idents.items() if v}
        if not seen.isdisjoint(kinds):
            return False
        seen |= kinds
    joined = _State()
    for unit in persons:
        st = state[roots_of[id(unit)]]
        if _veto(joined, st, guards) is not None:
            return False
        _absorb(joined, st)
    folded: dict[int, int] = {}
    for unit in comp:
        mine = marks_of[id(unit)]
        if _clash(folded, mine):
            return False
        if mine:
            folded.update(mine)
    return True
