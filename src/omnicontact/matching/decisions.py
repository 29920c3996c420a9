"""The hub's decisions on identity: review, confirm, reject, split, explain, audit, re-resolve.

A mixin of :class:`~omnicontact.Hub`, kept apart because it is a second
concern: the people (and tools) that correct the resolution, and the ledger
of what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from omnicontact.errors import InvalidDecisionError
from omnicontact.matching.audit import AuditEntry
from omnicontact.matching.explain import (
    ExplainedLink,
    ExplainedVeto,
    Explanation,
    IgnoredIdentifier,
    PendingReview,
)
from omnicontact.matching.rules import Evidence, Record
from omnicontact.model import Contact, Identifier, Touchpoint
from omnicontact.store.base import Decision

if TYPE_CHECKING:
    from omnicontact.matching.changes import Change
    from omnicontact.matching.resolver import Resolver
    from omnicontact.store.base import Store

__all__ = ["Decisions", "ReviewItem"]


@attrs.frozen
class ReviewItem:
    """A doubtful pair of touchpoints in two contacts, for a person to decide.

    :param touchpoint_id: one touchpoint.
    :param other_touchpoint_id: the other touchpoint.
    :param contact_id: the contact of the first one now.
    :param other_contact_id: the contact of the other one now.
    :param evidence: the rule's evidence (weight, levels).
    """

    touchpoint_id: str
    other_touchpoint_id: str
    contact_id: str
    other_contact_id: str
    evidence: Evidence

    @property
    def probability(self) -> float:
        """The match probability the rule gave."""
        return self.evidence.probability


class Decisions:
    """Review, confirm, reject, split, explain, audit and re-resolve (a :class:`Hub` mixin)."""

    _store: Store
    _lock: threading.RLock

    if TYPE_CHECKING:  # provided by Hub

        def _now(self) -> datetime: ...
        def _position(self, touchpoint_id: str) -> int: ...
        def _contact(self, contact_id: str) -> Contact: ...
        def _announce(self, change: Change | None) -> None: ...
        def _engine(self) -> Resolver: ...
        def _writing(self) -> AbstractContextManager[Resolver]: ...
        def _record(self, decision: Decision) -> None: ...
        def _project(self) -> None: ...
        def _consent_conflicts(self, contact_ids: Iterable[str]) -> list[AuditEntry]: ...
        def _items(
            self, start: int = 0
        ) -> Iterator[tuple[int, Any, tuple[Identifier, ...], Any]]: ...
        def contact(self, ref: Identifier | str, *, region: str | None = None) -> Contact: ...  # noqa: D102
        def normalize(self, identifier: Identifier, *, region: str | None = None) -> Identifier: ...  # noqa: D102

    # ------------------------------------------------------------------ ledger

    def _log(self, change: Change | None, cause: str | None) -> None:
        """Write a change to the audit ledger (inside the write that made it)."""
        if not change:
            return
        at = self._now()
        entries = []
        for contact_id, others in change.merged:
            entries.append(
                AuditEntry(
                    at, "merge", contact_id, others, change.rules, cause, evidence=change.evidence
                )
            )
        for contact_id, into in change.split:
            entries.append(AuditEntry(at, "split", contact_id, into, (), cause))
        for old, new in change.renamed:
            entries.append(AuditEntry(at, "rename", old, (new,), (), cause))
        if change.merged:  # merged records that disagree on consent: the restrictive one won
            entries.extend(self._consent_conflicts(c for c, _ in change.merged))
        self._store.add_audit(entries)

    def _decided(
        self,
        decision: Decision,
        change: Change,
        touchpoints: Sequence[str],
        contact_id: str | None,
    ) -> None:
        """Record a decision, its audit entry and the change it made (inside the write)."""
        self._record(decision)
        action = decision.action
        entry = AuditEntry(
            self._now(), action, contact_id, (), (), action, touchpoint_ids=tuple(touchpoints)
        )
        self._store.add_audit([entry])
        self._log(change, action)

    def audit(self, contact: Contact | str | None = None) -> tuple[AuditEntry, ...]:
        """Return the audit ledger, oldest first; only the entries naming *contact* if given."""
        with self._lock:
            if contact is None:
                return self._store.audit_entries()
            wanted = contact.contact_id if isinstance(contact, Contact) else contact
            return self._store.audit_entries([wanted])

    # ------------------------------------------------------------------ re-resolving

    def resolve_all(self) -> Change:
        """Resolve the whole log again from scratch, in one pass, and return what changed.

        Gives exactly the contacts that incremental resolution gives (whatever
        the arrival order); use it after training the rules, or to check.
        Decisions on record (confirmations, rejections, splits) are kept.
        """
        with self._writing() as resolver:
            change = resolver.rebuild(self._items())
            self._resolved(change)
        self._announce(change)
        return change

    def _resolved(self, change: Change) -> None:
        entry = AuditEntry(self._now(), "resolve_all", None, cause="resolve_all")
        self._store.add_audit([entry])
        self._log(change, "resolve_all")

    def train_matching(self, **options: Any) -> tuple[str, ...]:
        """Estimate the probabilistic rules' parameters from the log, then re-resolve.

        Each rule with a ``fit(prepared_records, **options)`` method (the
        built-in ``person`` rule: u by random sampling, m and λ by EM, term
        frequencies) is replaced by its fitted copy; :meth:`resolve_all` follows.

        :returns: the names of the rules trained.
        """
        with self._writing() as resolver:
            trained = resolver.fit_rules(**options)
            params = {}
            for rule in resolver.rules:
                to_dict = getattr(rule, "to_dict", None)
                if rule.name in trained and to_dict is not None:
                    params[rule.name] = to_dict()
            self._store.save_rules(params)
            self._rules_version = self._store.rules_version()
            entry = AuditEntry(self._now(), "train", None, rules=trained, cause="train_matching")
            self._store.add_audit([entry])
            change = resolver.rebuild(self._items())
            self._resolved(change)
        self._announce(change)
        return trained

    # ------------------------------------------------------------------ review

    def review_queue(self) -> tuple[ReviewItem, ...]:
        """Return the doubtful pairs still in two contacts, most likely first."""
        items = []
        with self._lock:
            resolver = self._engine()
            contact_of = resolver.contact_id_of
            for a, b, evidence in resolver.reviews():
                ca, cb = contact_of(a), contact_of(b)
                if ca == cb:
                    continue
                items.append(
                    ReviewItem(self._store.at(a).id, self._store.at(b).id, ca, cb, evidence)
                )
        items.sort(key=lambda item: (-item.evidence.weight, item.touchpoint_id))
        return tuple(items)

    def _pair(self, a: ReviewItem | str, b: str | None) -> tuple[int, int]:
        if isinstance(a, ReviewItem):
            if b is not None:
                raise InvalidDecisionError("give a ReviewItem alone, or two touchpoint ids")
            first, second = a.touchpoint_id, a.other_touchpoint_id
        elif b is None:
            raise InvalidDecisionError("give a ReviewItem, or two touchpoint ids")
        else:
            first, second = a, b
        pa, pb = self._position(first), self._position(second)
        if pa == pb:
            raise InvalidDecisionError("a touchpoint cannot be paired with itself")
        return pa, pb

    def confirm(self, a: ReviewItem | str, b: str | None = None) -> Contact:
        """Record that two touchpoints (or a review item's) are the same person; link them.

        A confirmation is a link of the highest priority; guards still apply:
        it never crosses a never-link, and a contact still holds at most its
        limit of identifiers per kind (confirming two touchpoints with two
        customer ids joins them, and the later customer id's link is dropped).

        :returns: the contact of the first touchpoint afterwards.
        :raises InvalidDecisionError: for a bad pair.
        :raises TouchpointNotFoundError: when a touchpoint id is unknown.
        """
        with self._writing() as resolver:
            pa, pb = self._pair(a, b)
            change = resolver.confirm(pa, pb)
            ids = (self._store.at(pa).id, self._store.at(pb).id)
            decision = Decision("confirm", ((pa,), (pb,)))
            self._decided(decision, change, ids, resolver.contact_id_of(pa))
            contact = self._contact_of_position(resolver, pa)
        self._announce(change)
        return contact

    def reject(self, a: ReviewItem | str, b: str | None = None) -> tuple[Contact, Contact]:
        """Record that two touchpoints are *not* the same person: a never-link.

        Their contacts can never become one again, by any rule; if they are one
        now, it is split.

        :returns: the two contacts afterwards.
        """
        with self._writing() as resolver:
            pa, pb = self._pair(a, b)
            resolver.drop_review(pa, pb)
            change = resolver.never_link([[pa], [pb]])
            ids = (self._store.at(pa).id, self._store.at(pb).id)
            decision = Decision("reject", ((pa,), (pb,)))
            self._decided(decision, change, ids, resolver.contact_id_of(pa))
            contacts = (
                self._contact_of_position(resolver, pa),
                self._contact_of_position(resolver, pb),
            )
        self._announce(change)
        return contacts

    def split(
        self, contact: Contact | str | Identifier, parts: Sequence[Iterable[str | Identifier]]
    ) -> tuple[Contact, ...]:
        """Unmerge a contact: each part (touchpoint ids or identifiers) becomes apart.

        Leaves a never-link between the parts, so no rule merges them again;
        recomputes only the contact's component. Touchpoints not named go where
        the remaining evidence takes them.

        :returns: the contact of each part afterwards, in order.
        :raises InvalidDecisionError: when there are fewer than two parts, a
            part is empty, parts overlap, or a part names something outside
            the contact.
        """
        with self._writing() as resolver:
            current = contact if isinstance(contact, Contact) else self.contact(contact)
            members = {self._position(t) for t in current.touchpoint_ids}
            if len(parts) < 2:
                raise InvalidDecisionError("split: give at least two parts")
            sides: list[list[int]] = []
            taken: set[int] = set()
            for number, part in enumerate(parts, 1):
                side = self._side(part, members, number)
                if taken & side:
                    raise InvalidDecisionError(f"split: part {number} overlaps an earlier part")
                taken |= side
                sides.append(sorted(side))
            change = resolver.never_link(sides)
            named = [self._store.at(p).id for side in sides for p in side]
            decision = Decision("split", tuple(tuple(side) for side in sides))
            self._decided(decision, change, named, current.contact_id)
            result = tuple(self._contact_of_position(resolver, side[0]) for side in sides)
        self._announce(change)
        return result

    def _side(self, part: Iterable[str | Identifier], members: set[int], number: int) -> set[int]:
        if isinstance(part, (str, Identifier)):
            part = [part]
        side: set[int] = set()
        for item in part:
            if isinstance(item, Identifier):
                ident = self.normalize(item)
                found = {p for p in members if ident in self._store.at(p).identifiers}
                if not found:
                    raise InvalidDecisionError(
                        f"split: part {number} names a {ident.kind} the contact does not carry"
                    )
                side |= found
            else:
                position = self._position(item)
                if position not in members:
                    raise InvalidDecisionError(
                        f"split: part {number} names a touchpoint of another contact"
                    )
                side.add(position)
        if not side:
            raise InvalidDecisionError(f"split: part {number} is empty")
        return side

    def _contact_of_position(self, resolver: Resolver, position: int) -> Contact:
        """Build the contact of a position as the resolver has it (inside a write)."""
        self._project()  # the view of a persistent store reads the projections
        return self._contact(resolver.contact_id_of(position))

    # ------------------------------------------------------------------ explain

    def explain(self, contact: Contact | str | Identifier) -> Explanation:
        """Return the evidence graph of a contact: what links it, what was refused, and why."""
        current = contact if isinstance(contact, Contact) else self.contact(contact)
        with self._lock:
            resolver = self._engine()
            return self._explain(current, resolver)

    def _explain(self, current: Contact, resolver: Resolver) -> Explanation:
        store = self._store
        members = {self._position(t) for t in current.touchpoint_ids}
        output = resolver.compute(resolver.component_of(next(iter(members))), explain=True)
        mine = set(current.identifiers)
        tid: Callable[[int], str] = lambda p: store.at(p).id  # noqa: E731
        links = []
        for link in output.links:
            if link.a not in members:
                continue
            if isinstance(link.b, Identifier):
                links.append(ExplainedLink(link.rule, tid(link.a), identifier=link.b))
            elif link.b in members:
                ev = link.evidence
                links.append(
                    ExplainedLink(
                        link.rule,
                        tid(link.a),
                        tid(link.b),
                        weight=ev.weight if ev is not None else float("inf"),
                        parts=ev.parts if ev is not None else (),
                    )
                )
        vetoes = []
        for veto in output.vetoes:
            other_in = (veto.b in members) if isinstance(veto.b, int) else (veto.b in mine)
            if veto.a not in members and not other_in:
                continue
            vetoes.append(
                ExplainedVeto(
                    veto.rule,
                    tid(veto.a),
                    tid(veto.b) if isinstance(veto.b, int) else None,
                    veto.b if isinstance(veto.b, Identifier) else None,
                    veto.guard,
                    veto.reason,
                )
            )
        ignored = []
        seen: set[Identifier] = set()
        for p in sorted(members):
            for ident in store.at(p).identifiers:
                if ident in seen:
                    continue
                seen.add(ident)
                blocked = resolver.blocked(ident)
                if blocked is not None:
                    ignored.append(
                        IgnoredIdentifier(ident, f"blocked by {blocked[0]}: {blocked[1]}")
                    )
                elif resolver.frozen(ident):
                    ignored.append(IgnoredIdentifier(ident, "frozen as shared by many people"))
        reviews = []
        for a, b, ev in resolver.reviews():
            if (a in members) == (b in members):
                continue
            here, there = (a, b) if a in members else (b, a)
            reviews.append(
                PendingReview(
                    tid(here), tid(there), resolver.contact_id_of(there), ev.weight, ev.parts
                )
            )
        return Explanation(
            current.contact_id,
            current.touchpoint_ids,
            tuple(links),
            tuple(vetoes),
            tuple(ignored),
            tuple(reviews),
        )


def record_of(touchpoint: Touchpoint) -> Callable[[tuple[Identifier, ...]], Record]:
    """Return how to build a touchpoint's record for matching rules.

    Every touchpoint gets one, traits or not: a plug-in rule may work on
    identifiers alone.
    """

    def build(linking: tuple[Identifier, ...]) -> Record:
        return Record(touchpoint.id, touchpoint.traits, linking)

    return build
