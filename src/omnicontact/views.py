"""Where the hub reads contacts from: the resolver in memory, or a store's projections.

Both views answer the same questions, so the :class:`~omnicontact.Hub`
behaves the same on either store. The in-memory hub reads its resolver; a
hub on a persistent store reads the projections written with each commit,
so that it answers lookups at once after opening, without replaying the log,
and sees what other processes wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from omnicontact.model import Identifier

if TYPE_CHECKING:
    from omnicontact.matching.cluster import Group
    from omnicontact.matching.resolver import Resolver
    from omnicontact.store.base import Store
    from omnicontact.store.sqlite import Projection

__all__ = ["ContactView", "ProjectionStore", "ResolverView", "StoredView", "identified"]


def identified(group: Group) -> bool:
    """Tell whether a contact carries a strong identifier (or a person's traits)."""
    return any(u.strong and u.idents for u in group.units)


class ContactView(Protocol):
    """What the hub asks to build contacts."""

    def contact_id_of(self, position: int) -> str:
        """Return the contact holding the touchpoint at *position*."""

    def members(self, contact_id: str) -> tuple[list[int], bool] | None:
        """Return a current contact's positions and whether it is identified, or ``None``."""

    def current_id(self, issued_id: str) -> str | None:
        """Return the current contact of any contact id ever issued (an alias), or ``None``."""

    def linking(self, ident: Identifier) -> str | None:
        """Return the contact a strong identifier links, or ``None``."""

    def carrying(self, ident: Identifier) -> list[str]:
        """Return the contacts with a touchpoint carrying *ident* (linking it or not)."""

    def contact_ids(self) -> list[str]:
        """Return the ids of every current contact."""

    def __len__(self) -> int:
        """Return how many contacts there are."""


@runtime_checkable
class ProjectionStore(Protocol):
    """A store that keeps projections (the SQLite store)."""

    def project(self, change: Projection, through: int) -> None:
        """Write projection changes."""

    def projected_through(self) -> int:
        """Return the log length the projections reflect."""

    def projections(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return every projection row, sorted."""

    def contact_of_position(self, position: int) -> str | None:
        """Return the contact holding the touchpoint at *position*."""

    def contact_row(self, contact_id: str) -> tuple[list[int], bool] | None:
        """Return a contact's positions and whether it is identified."""

    def current_id(self, issued_id: str) -> str | None:
        """Return the current contact of an issued id."""

    def linking(self, kind: str, value: str) -> str | None:
        """Return the contact a strong identifier links."""

    def carrying(self, kind: str, value: str) -> list[str]:
        """Return the contacts carrying an identifier."""

    def contact_ids(self) -> list[str]:
        """Return the current contacts' ids."""

    def count_contacts(self) -> int:
        """Return how many contacts there are."""


class ResolverView:
    """Reads the resolver (the in-memory hub)."""

    __slots__ = ("_get", "_store")

    def __init__(self, resolver: Callable[[], Resolver], store: Store) -> None:
        self._get = resolver
        self._store = store

    @property
    def _resolver(self) -> Resolver:
        return self._get()

    def contact_id_of(self, position: int) -> str:
        """Return the contact holding the touchpoint at *position*."""
        return self._resolver.contact_id_of(position)

    def members(self, contact_id: str) -> tuple[list[int], bool] | None:
        """Return a contact's positions and whether it is identified."""
        group = self._resolver.group(contact_id)
        if group is None:
            return None
        return group.positions(), identified(group)

    def current_id(self, issued_id: str) -> str | None:
        """Return the current contact of an issued id."""
        if self._resolver.group(issued_id) is not None:
            return issued_id
        anchor = self._resolver.anchor_of(issued_id)
        if anchor is None:
            return None
        position = self._store.position_of(anchor)
        assert position is not None
        return self._resolver.contact_id_of(position)

    def linking(self, ident: Identifier) -> str | None:
        """Return the contact a strong identifier links."""
        group = self._resolver.group_of_identifier(ident)
        return None if group is None else group.contact_id

    def carrying(self, ident: Identifier) -> list[str]:
        """Return the contacts carrying *ident*.

        Looks in the identifier's candidate component; an identifier that
        never linked (a placeholder) has none, and every contact is scanned.
        """
        resolver = self._resolver
        groups = resolver.candidate_groups(ident)
        if not groups:
            groups = [g for g in map(resolver.group, resolver.contact_ids()) if g is not None]
        at = self._store.at
        found = []
        for group in groups:
            if any(ident in at(p).identifiers for p in group.positions()):
                assert group.contact_id is not None
                found.append(group.contact_id)
        return found

    def contact_ids(self) -> list[str]:
        """Return every current contact's id."""
        return list(self._resolver.contact_ids())

    def __len__(self) -> int:
        return len(self._resolver)


class StoredView:
    """Reads a store's projections (the persistent hub)."""

    __slots__ = ("_store",)

    def __init__(self, store: ProjectionStore) -> None:
        self._store = store

    def contact_id_of(self, position: int) -> str:
        """Return the contact holding the touchpoint at *position*."""
        found = self._store.contact_of_position(position)
        assert found is not None, "every touchpoint in the log has a contact"
        return found

    def members(self, contact_id: str) -> tuple[list[int], bool] | None:
        """Return a contact's positions and whether it is identified."""
        return self._store.contact_row(contact_id)

    def current_id(self, issued_id: str) -> str | None:
        """Return the current contact of an issued id."""
        return self._store.current_id(issued_id)

    def linking(self, ident: Identifier) -> str | None:
        """Return the contact a strong identifier links."""
        return self._store.linking(ident.kind, ident.value)

    def carrying(self, ident: Identifier) -> list[str]:
        """Return the contacts carrying *ident*, through the identifier index."""
        return self._store.carrying(ident.kind, ident.value)

    def contact_ids(self) -> list[str]:
        """Return every current contact's id."""
        return self._store.contact_ids()

    def __len__(self) -> int:
        return self._store.count_contacts()
