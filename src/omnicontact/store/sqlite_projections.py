"""The projections in the SQLite store: lookups answered without replaying the log.

A mixin of :class:`~omnicontact.store.sqlite.SQLiteStore`: which contact
holds each touchpoint, each contact's anchor, the contact each strong
identifier links, and every contact id ever issued, written with the
transaction that changed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

__all__ = ["Projection", "SQLiteProjections"]


@attrs.define
class Projection:
    """Changes to the stored projections, written with the transaction that caused them.

    :param full: replace every projection (after a rebuild) instead of updating.
    :param membership: ``(position, contact_id)`` for touchpoints whose contact changed.
    :param contacts: ``(contact_id, anchor position, identified)`` to write.
    :param gone: contact ids that are no longer contacts.
    :param linked: ``(kind, value, contact_id)`` for strong identifiers that link a contact.
    :param unlinked: ``(kind, value)`` for those that no longer do.
    :param issued: ``(contact_id, anchor position)`` for contact ids newly issued.
    """

    full: bool = False
    membership: list[tuple[int, str]] = attrs.Factory(list)
    contacts: list[tuple[str, int, int]] = attrs.Factory(list)
    gone: list[str] = attrs.Factory(list)
    linked: list[tuple[str, str, str]] = attrs.Factory(list)
    unlinked: list[tuple[str, str]] = attrs.Factory(list)
    issued: list[tuple[str, int]] = attrs.Factory(list)


class SQLiteProjections:
    """The stored projections, read and written (a :class:`SQLiteStore` mixin)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        def _meta(self, key: str) -> str: ...
        def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...
        def _write(self, sql: str, args: Sequence[Any] = ()) -> None: ...
        def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def projected_through(self) -> int:
        """Return the log length the stored projections reflect."""
        return int(self._meta("projected_through"))

    def project(self, change: Projection, through: int) -> None:
        """Write projection changes, and the log length they reflect (inside a transaction)."""
        if change.full:
            for table in ("membership", "contacts", "linked"):
                self._write(f"DELETE FROM {table}")
        self._write_many(
            "INSERT OR REPLACE INTO membership (position, contact_id) VALUES (?, ?)",
            change.membership,
        )
        self._write_many("DELETE FROM contacts WHERE contact_id = ?", [(c,) for c in change.gone])
        self._write_many(
            "INSERT OR REPLACE INTO contacts (contact_id, anchor, identified) VALUES (?, ?, ?)",
            change.contacts,
        )
        self._write_many("DELETE FROM linked WHERE kind = ? AND value = ?", change.unlinked)
        self._write_many(
            "INSERT OR REPLACE INTO linked (kind, value, contact_id) VALUES (?, ?, ?)",
            change.linked,
        )
        self._write_many(
            "INSERT OR IGNORE INTO issued (contact_id, anchor) VALUES (?, ?)", change.issued
        )
        self._write("UPDATE meta SET value = ? WHERE key = 'projected_through'", (str(through),))

    def contact_of_position(self, position: int) -> str | None:
        """Return the contact holding the touchpoint at *position*."""
        rows = self._query("SELECT contact_id FROM membership WHERE position = ?", (position,))
        return rows[0][0] if rows else None

    def contact_row(self, contact_id: str) -> tuple[list[int], bool] | None:
        """Return a current contact's positions and whether it is identified, or ``None``."""
        rows = self._query("SELECT identified FROM contacts WHERE contact_id = ?", (contact_id,))
        if not rows:
            return None
        positions = self._query(
            "SELECT position FROM membership WHERE contact_id = ? ORDER BY position", (contact_id,)
        )
        return [p for (p,) in positions], bool(rows[0][0])

    def current_id(self, issued_id: str) -> str | None:
        """Return the current contact of a contact id ever issued, or ``None``."""
        rows = self._query(
            "SELECT m.contact_id FROM issued AS i JOIN membership AS m ON m.position = i.anchor"
            " WHERE i.contact_id = ?",
            (issued_id,),
        )
        return rows[0][0] if rows else None

    def linking(self, kind: str, value: str) -> str | None:
        """Return the contact a strong identifier links, or ``None``."""
        rows = self._query(
            "SELECT contact_id FROM linked WHERE kind = ? AND value = ?", (kind, value)
        )
        return rows[0][0] if rows else None

    def carrying(self, kind: str, value: str) -> list[str]:
        """Return the contacts with a touchpoint carrying this identifier."""
        rows = self._query(
            "SELECT DISTINCT m.contact_id FROM identifiers AS t"
            " JOIN membership AS m ON m.position = t.position"
            " WHERE t.kind = ? AND t.value = ?",
            (kind, value),
        )
        return [c for (c,) in rows]

    def contact_ids(self) -> list[str]:
        """Return the ids of the current contacts."""
        return [c for (c,) in self._query("SELECT contact_id FROM contacts")]

    def count_contacts(self) -> int:
        """Return how many contacts there are."""
        return int(self._query("SELECT count(*) FROM contacts")[0][0])

    def projections(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return every stored projection row, sorted (for checks against a rebuild)."""
        return {
            "membership": self._query("SELECT position, contact_id FROM membership ORDER BY 1"),
            "contacts": self._query(
                "SELECT contact_id, anchor, identified FROM contacts ORDER BY 1"
            ),
            "linked": self._query("SELECT kind, value, contact_id FROM linked ORDER BY 1, 2"),
        }
