"""The hub's side of persistence: opening, write transactions, replay, rebuild, check.

A mixin of :class:`~omnicontact.Hub`. The log (with the decisions on record
and trained rules) is the truth; the resolver is an in-memory engine derived
from it. On a persistent store, every write is one transaction that

1. takes the store's write lock,
2. brings the resolver up to date with whatever other processes or hubs
   wrote since (or replays the whole log the first time),
3. adds the new touchpoints or decisions,
4. writes the projections that changed, and commits.

So several processes can write one file at once and end with what one
process would have written; and if anything fails half-way, the transaction
is rolled back and the resolver, which may hold what was rolled back, is
dropped and replayed from the log at the next use.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from omnicontact._frozen import thaw
from omnicontact.errors import OmnicontactError, StoreError
from omnicontact.matching.decisions import record_of
from omnicontact.model import Identifier
from omnicontact.store.base import Decision
from omnicontact.store.codec import encode_touchpoint
from omnicontact.views import ProjectionStore, identified

if TYPE_CHECKING:
    from omnicontact.matching.resolver import Resolver
    from omnicontact.model import Contact
    from omnicontact.store.base import Store
    from omnicontact.store.sqlite import Synchronous
    from omnicontact.views import ContactView

__all__ = ["Persistence", "StoreCheck"]

H = TypeVar("H", bound="Persistence")


@attrs.frozen
class StoreCheck:
    """What :meth:`Hub.check` found.

    :param touchpoints: touchpoints in the log.
    :param contacts: contacts a replay of the log gives.
    :param integrity: SQLite's ``integrity_check`` verdict (``"ok"``), or
        ``"ok"`` for the in-memory store.
    :param differences: each projection that differs from a replay of the
        log, with how many rows differ; empty when they agree.
    """

    touchpoints: int
    contacts: int
    integrity: str
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the store is sound and its projections equal a replay."""
        return self.integrity == "ok" and not self.differences


def projection_rows(resolver: Resolver) -> dict[str, list[tuple[Any, ...]]]:
    """Return the projections a resolver's state gives, sorted like the store's."""
    membership: list[tuple[int, str]] = []
    contacts: list[tuple[str, int, int]] = []
    for contact_id in resolver.contact_ids():
        group = resolver.group(contact_id)
        assert group is not None
        assert group.anchor is not None
        contacts.append((contact_id, group.anchor[1], int(identified(group))))
        membership.extend((p, contact_id) for p in group.positions())
    linked = [(i.kind, i.value, c) for i, c in resolver.linked()]
    return {
        "membership": sorted(membership),
        "contacts": sorted(contacts),
        "linked": sorted(linked),
    }


def apply_decisions(resolver: Resolver, decisions: Iterable[Decision]) -> None:
    """Replay decisions on record into a resolver, in their order."""
    for decision in decisions:
        sides = decision.sides
        if decision.action == "confirm":
            resolver.confirm(sides[0][0], sides[1][0])
        else:
            if decision.action == "reject":
                resolver.drop_review(sides[0][0], sides[1][0])
            resolver.never_link(sides)


class Persistence:
    """Open, close, write transactions, replay, rebuild, check (a :class:`Hub` mixin)."""

    _store: Store
    _resolver: Resolver
    _view: ContactView
    _lock: threading.RLock
    _warm: bool
    _seen: int
    _seen_decisions: int
    _rules_version: int

    if TYPE_CHECKING:  # provided by Hub

        def __init__(self, **options: Any) -> None: ...
        def _new_resolver(self, saved: dict[str, dict[str, Any]]) -> Resolver: ...
        def contacts(self) -> Iterator[Contact]: ...  # noqa: D102

    @classmethod
    def open(
        cls: type[H],
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        timeout: float = 30.0,
        page_cache_mb: int = 64,
        **options: Any,
    ) -> H:
        """Open (or create) a hub on an SQLite database file.

        Lookups are answered from the file at once; the log is replayed into
        memory at the first write or decision. Use the hub as a context
        manager, or call :meth:`close`.

        :param path: the database file (``":memory:"`` for a private one).
        :param synchronous: ``"FULL"`` (default: what :meth:`add` or
            :meth:`ingest` acknowledged is on disk) or ``"NORMAL"`` (faster;
            a power cut may lose the last commits, never consistency).
        :param timeout: seconds a write waits for another writer (busy timeout).
        :param page_cache_mb: SQLite's page cache for this hub's connection, in MiB.
        :param options: the other :class:`Hub` options.
        :raises SchemaVersionError: when the file was written by a newer
            omnicontact, or is not omnicontact's.
        :raises StoreError: when the file cannot be opened.
        """
        from omnicontact.store.sqlite import SQLiteStore

        store = SQLiteStore(
            path, synchronous=synchronous, timeout=timeout, page_cache_mb=page_cache_mb
        )
        try:
            return cls(store=store, **options)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        """Close the store (a closed hub is not used again)."""
        with self._lock:
            self._store.close()

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the engine

    def _projected(self) -> bool:
        return isinstance(self._store, ProjectionStore)

    def _engine(self) -> Resolver:
        """Return the resolver, holding the whole log and every decision on record."""
        if not self._warm:
            self._replay()
        elif self._store.persistent:
            self._catch_up()
        return self._resolver

    def _items(self, start: int = 0) -> Iterator[tuple[int, Any, tuple[Identifier, ...], Any]]:
        for position, tp in enumerate(self._store.since(start), start):
            yield position, (tp.occurred_at, tp.id), tp.identifiers, record_of(tp)

    def _replay(self) -> None:
        """Build the resolver from the log, the decisions and the trained rules."""
        version, saved = self._store.saved_rules()
        resolver = self._new_resolver(saved)
        resolver.rebuild(self._items())
        self._resolver = resolver
        self._rules_version = version
        self._seen = resolver.size
        self._seen_decisions = 0
        self._apply_decisions()
        self._warm = True
        if resolver.journal is not None:
            resolver.journal.clear()

    def _catch_up(self) -> None:
        """Take in what other writers added to the log since this hub last looked."""
        if self._store.rules_version() != self._rules_version:
            self._replay()  # another hub trained the rules
            return
        resolver = self._resolver
        if len(self._store) > self._seen:
            resolver.begin_batch()
            try:
                for position, key, identifiers, record in self._items(self._seen):
                    resolver.add(position, key, identifiers, record)
            finally:
                resolver.end_batch()
            self._seen = resolver.size
        self._apply_decisions()
        if resolver.journal is not None:
            resolver.journal.clear()  # the writers projected it

    def _apply_decisions(self) -> None:
        decisions = self._store.decisions(self._seen_decisions)
        apply_decisions(self._resolver, decisions)
        self._seen_decisions += len(decisions)

    def _record(self, decision: Decision) -> None:
        self._store.add_decision(decision)
        self._seen_decisions += 1

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Resolver]:
        """One write transaction, with the resolver up to date; projections written at the end.

        An omnicontact error (bad input, a plug-in failing before anything
        changed) leaves the resolver as it was; anything else (a disk error,
        an interrupt) rolls back and drops the resolver, to be replayed.
        """
        with self._lock:
            try:
                with self._store.transaction():
                    resolver = self._engine()
                    yield resolver
                    self._project()
            except OmnicontactError as err:
                if isinstance(err, StoreError):
                    self._drop()
                raise
            except BaseException:
                self._drop()
                raise

    def _drop(self) -> None:
        if self._store.persistent:
            self._warm = False

    def _project(self) -> None:
        if not self._projected():
            return
        from omnicontact.store.sqlite import Projection

        resolver = self._resolver
        journal = resolver.journal
        assert journal is not None
        if not journal:
            return
        out = Projection(full=journal.full)
        out.membership = [(p, resolver.contact_id_of(p)) for p in sorted(journal.positions)]
        for ident in sorted(journal.identifiers, key=Identifier.sort_key):
            group = resolver.group_of_identifier(ident)
            if group is None or group.contact_id is None:
                out.unlinked.append((ident.kind, ident.value))
            else:
                out.linked.append((ident.kind, ident.value, group.contact_id))
        for contact_id in sorted(journal.contacts):
            group = resolver.group(contact_id)
            if group is None:
                out.gone.append(contact_id)
            else:
                assert group.anchor is not None
                out.contacts.append((contact_id, group.anchor[1], int(identified(group))))
        out.issued = sorted(journal.issued.items())
        store = self._store
        assert isinstance(store, ProjectionStore)
        store.project(out, self._seen)
        journal.clear()

    # ------------------------------------------------------------------ rebuild and check

    def rebuild(self) -> None:
        """Replay the log (and the decisions on record) into fresh projections.

        For a store whose projections are in doubt (``omnicontact check``
        found differences) or were written by another version. The in-memory
        store's resolver is rebuilt too. Contact ids ever issued stay valid.
        """
        with self._lock:
            self._warm = False
            with self._writing() as resolver:
                journal = resolver.journal
                if journal is not None:  # replace every projection with the replay's
                    journal.full = True
                    journal.positions.update(range(resolver.size))
                    for contact_id in resolver.contact_ids():
                        group = resolver.group(contact_id)
                        assert group is not None
                        assert group.anchor is not None
                        journal.contacts.add(contact_id)
                        journal.issued[contact_id] = group.anchor[1]
                    journal.identifiers.update(i for i, _ in resolver.linked())

    def check(self) -> StoreCheck:
        """Compare what the hub reads with a fresh replay of the log; check the file.

        On SQLite: ``PRAGMA integrity_check``, and every stored projection
        (which contact holds each touchpoint, the contacts, the identifiers
        that link them) against a replay. In memory: the resolver, built
        incrementally, against a replay.
        """
        with self._lock:
            store = self._store
            _version, saved = store.saved_rules()
            fresh = self._new_resolver(saved)
            fresh.rebuild(self._items())
            apply_decisions(fresh, store.decisions())
            expected = projection_rows(fresh)
            if isinstance(store, ProjectionStore):
                actual = store.projections()
            else:
                actual = projection_rows(self._engine())
            integrity = store.integrity()
            differences = []
            for table, rows in expected.items():
                differ = len(set(rows) ^ {tuple(r) for r in actual[table]})
                if differ:
                    differences.append(f"{table}: {differ} rows differ from a replay of the log")
            return StoreCheck(len(store), len(fresh), integrity, tuple(differences))

    def export_state(self) -> str:
        """Return the log and the contacts as canonical JSON text.

        Touchpoints sorted by id, contacts by id, identifiers sorted: equal
        logs give equal text whatever order the touchpoints arrived in, and
        whichever store holds them. Contact ids issued and merged away on
        the way (aliases) and the audit ledger are not part of it.
        """
        with self._lock:
            log = sorted(self._store, key=lambda tp: tp.id)
            contacts = []
            for contact in sorted(self.contacts(), key=lambda c: c.contact_id):
                contacts.append(
                    {
                        "contact_id": contact.contact_id,
                        "identified": contact.identified,
                        "identifiers": [[i.kind, i.value] for i in contact.identifiers],
                        "touchpoints": sorted(contact.touchpoint_ids),
                        "traits": thaw(contact.traits),
                    }
                )
            lines = [json.dumps({"log": len(log), "contacts": len(contacts)})]
            lines.extend(encode_touchpoint(tp) for tp in log)
            lines.extend(
                json.dumps(c, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                for c in contacts
            )
            return "\n".join(lines) + "\n"
