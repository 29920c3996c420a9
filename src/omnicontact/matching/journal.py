"""What the resolver changed since it was last asked: for stores that keep projections."""

from __future__ import annotations

from omnicontact.model import Identifier

__all__ = ["Journal"]


class Journal:
    """The positions, identifiers and contact ids whose projection may have changed.

    The resolver notes them as it places touchpoints and installs contacts;
    the hub reads their current state and writes it to the store, then clears
    the journal. Noting too much is harmless (the row is rewritten as it is).

    :ivar full: the resolver was rebuilt: every projection is to be replaced.
    """

    __slots__ = ("contacts", "full", "identifiers", "issued", "positions")

    def __init__(self) -> None:
        self.positions: set[int] = set()
        self.identifiers: set[Identifier] = set()
        self.contacts: set[str] = set()
        self.issued: dict[str, int] = {}
        self.full = False

    def clear(self) -> None:
        """Forget everything noted."""
        self.positions.clear()
        self.identifiers.clear()
        self.contacts.clear()
        self.issued.clear()
        self.full = False

    def __bool__(self) -> bool:
        return bool(self.positions or self.identifiers or self.contacts or self.issued or self.full)
