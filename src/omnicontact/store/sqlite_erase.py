"""Erasure in the SQLite store: removing touchpoints for good, suppressions, scrubbing.

A mixin of :class:`~omnicontact.store.sqlite.SQLiteStore`: the right to
erasure rewrites the log, the ledger and the quarantine, keeps the keyed
hashes that stop an erased person from coming back, and clears the WAL of
the old page images.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from omnicontact.errors import StoreError
from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Touchpoint
from omnicontact.store.base import Decision, remap_decisions
from omnicontact.store.codec import decode_audit, decode_record, encode_audit

__all__ = ["SQLiteErasure"]


class SQLiteErasure:
    """Erasure, suppressions, the file's secret and ``scrub`` (a :class:`SQLiteStore` mixin)."""

    _cache: dict[int, Touchpoint]
    _depth: int
    _length: int

    if TYPE_CHECKING:  # provided by SQLiteStore

        def __len__(self) -> int: ...
        def _flush(self) -> None: ...
        def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...
        def _write(self, sql: str, args: Sequence[Any] = ()) -> None: ...
        def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

        def transaction(self) -> AbstractContextManager[None]:
            """Hold the write lock; commit everything at the end, or roll it all back."""
            ...

        def decisions(self, start: int = 0) -> list[Decision]:
            """Return the decisions from the *start*-th on."""
            ...

    def erase(self, positions: Collection[int]) -> None:
        """Remove these touchpoints for good; the later ones move up; decisions follow.

        ``secure_delete`` is on for the connection from here on: SQLite
        overwrites the deleted content with zeros instead of leaving it in
        free space (see :meth:`scrub`).
        """
        if not self._depth:
            raise StoreError("a write outside a transaction")  # a bug, never input
        gone = sorted(set(positions))
        if not gone:
            return
        self._flush()
        self._write("PRAGMA secure_delete = ON")
        length = len(self)
        marks = [(p,) for p in gone]
        self._write_many("DELETE FROM touchpoints WHERE position = ?", marks)
        self._write_many("DELETE FROM identifiers WHERE position = ?", marks)
        self._write_many("DELETE FROM issued WHERE anchor = ?", marks)
        self._write("DELETE FROM membership")  # a projection: rebuilt after an erasure
        moved: dict[int, int] = {}
        erased = set(gone)
        for position in range(length):
            if position not in erased:
                moved[position] = len(moved)
        shifted = [(old, new) for old, new in moved.items() if old != new]
        self._write("CREATE TEMP TABLE IF NOT EXISTS shift (old INTEGER PRIMARY KEY, new INTEGER)")
        self._write("DELETE FROM temp.shift")
        self._write_many("INSERT INTO temp.shift (old, new) VALUES (?, ?)", shifted)
        for table, column in (("touchpoints", "position"), ("identifiers", "position"),
                              ("issued", "anchor")):
            # two passes through negative numbers: no row ever takes a taken key
            self._write(
                f"UPDATE {table} SET {column} = -1 - (SELECT new FROM temp.shift"
                f" WHERE old = {table}.{column}) WHERE {column} IN (SELECT old FROM temp.shift)"
            )
            self._write(f"UPDATE {table} SET {column} = -1 - {column} WHERE {column} < 0")
        self._write("DROP TABLE temp.shift")
        kept = remap_decisions(self.decisions(), moved)
        self._write("DELETE FROM decisions")
        self._write_many(
            "INSERT INTO decisions (action, sides) VALUES (?, ?)",
            [(d.action, json.dumps([list(side) for side in d.sides])) for d in kept],
        )
        self._write(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rules_version'"
        )
        self._cache.clear()
        self._length = -1

    def rewrite_audit(self, redact: Callable[[AuditEntry], AuditEntry | None]) -> int:
        """Replace each ledger entry by ``redact(entry)`` (None drops it); count the changes."""
        changed = 0
        for seq, text in self._query("SELECT seq, entry FROM audit ORDER BY seq"):
            entry = decode_audit(text)
            new = redact(entry)
            if new == entry:
                continue
            changed += 1
            self._write("DELETE FROM audit_names WHERE seq = ?", (seq,))
            if new is None:
                self._write("DELETE FROM audit WHERE seq = ?", (seq,))
                continue
            self._write("UPDATE audit SET entry = ? WHERE seq = ?", (encode_audit(new), seq))
            names = sorted(n for n in {new.contact_id, *new.other_ids} if n is not None)
            self._write_many(
                "INSERT OR IGNORE INTO audit_names (contact_id, seq) VALUES (?, ?)",
                [(name, seq) for name in names],
            )
        return changed

    def remove_rejections(self, match: Callable[[Rejection], bool]) -> int:
        """Forget the quarantined records *match* selects."""
        rows = self._query(
            "SELECT seq, position, error, field, reason, form, record, adapter"
            " FROM quarantine ORDER BY seq"
        )
        doomed = [
            (seq,)
            for seq, p, e, fi, re, f, r, a in rows
            if match(Rejection(p, decode_record(f, r), e, fi, re, a))
        ]
        self._write_many("DELETE FROM quarantine WHERE seq = ?", doomed)
        return len(doomed)

    def suppressions(self) -> frozenset[str]:
        """Return the suppression list."""
        return frozenset(h for (h,) in self._query("SELECT hash FROM suppressed"))

    def add_suppressions(self, hashes: Iterable[str]) -> None:
        """Add keyed hashes to the suppression list."""
        self._write_many(
            "INSERT OR IGNORE INTO suppressed (hash) VALUES (?)", [(h,) for h in hashes]
        )

    def remove_suppressions(self, hashes: Iterable[str]) -> int:
        """Remove keyed hashes from the suppression list."""
        wanted = sorted(set(hashes))
        present = self.suppressions().intersection(wanted)
        self._write_many("DELETE FROM suppressed WHERE hash = ?", [(h,) for h in present])
        if present:
            self._write(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rules_version'"
            )
        return len(present)

    def secret(self) -> bytes:
        """Return the file's key for keyed hashes (random, made on first use, kept in meta)."""
        rows = self._query("SELECT value FROM meta WHERE key = 'secret'")
        if rows:
            return bytes.fromhex(rows[0][0])
        key = secrets.token_bytes(32)
        with self.transaction():
            self._write(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('secret', ?)", (key.hex(),)
            )
        return bytes.fromhex(self._query("SELECT value FROM meta WHERE key = 'secret'")[0][0])

    def scrub(self) -> None:
        """Checkpoint the WAL into the file and truncate it to nothing.

        With ``secure_delete`` on during the erasure, the deleted content is
        zeroed in the pages written; the checkpoint then writes those pages
        over the old ones in the database file and empties the WAL, which
        held the old page images.
        """
        rows = self._query("PRAGMA wal_checkpoint(TRUNCATE)")
        if rows and rows[0][0]:
            raise StoreError("the WAL could not be checkpointed: another connection is reading")
