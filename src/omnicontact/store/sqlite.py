"""The embedded persistent store on SQLite (the standard library's ``sqlite3``).

One database file holds the log, the decisions on identity, the audit ledger,
the quarantine, trained rules, and the projections that answer lookups
without replaying the log (which contact holds each touchpoint, each
contact's anchor, the contact each strong identifier links, every contact id
ever issued).

Durability and concurrency follow SQLite's own promises:

- WAL journal; ``synchronous=FULL`` by default, so a committed write survives
  a power cut (``"NORMAL"`` trades the last commits before a power cut, never
  consistency, for speed);
- every write is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock
  first (waiting up to ``timeout`` seconds for other writers), so a writer
  never fails half-way with "database is locked", and readers are never blocked;
- appends are buffered within the transaction and written with ``executemany``
  at commit, with the projections, so a crash leaves either all or none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from omnicontact._cache import remember
from omnicontact.errors import ConfigurationError, StoreError
from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Touchpoint
from omnicontact.store.base import Decision
from omnicontact.store.codec import (
    decode_audit,
    decode_record,
    decode_touchpoint,
    encode_audit,
    encode_record,
    encode_touchpoint,
)
from omnicontact.store.schema import migrate
from omnicontact.store.sqlite_erase import SQLiteErasure
from omnicontact.store.sqlite_projections import Projection, SQLiteProjections

__all__ = ["Projection", "SQLiteStore", "Synchronous"]

Synchronous = Literal["FULL", "NORMAL"]
"""SQLite's ``synchronous`` setting: ``FULL`` (default) or ``NORMAL``."""


def _fail(operation: str, err: sqlite3.Error) -> StoreError:
    # sqlite3's messages name the failure (disk I/O error, database is locked),
    # never a bound value, so they are safe to pass on.
    return StoreError(f"{operation} failed: {type(err).__name__}: {err}")


class SQLiteStore(SQLiteErasure, SQLiteProjections):
    """The log and its projections in one SQLite file (``":memory:"`` for a private one).

    :param path: the database file; created (with its schema) if missing.
    :param synchronous: ``"FULL"`` (default: a commit is on disk before it
        returns) or ``"NORMAL"`` (faster; a power cut may lose the last commits).
    :param timeout: seconds a writer waits for another writer's lock before
        :class:`StoreError` (the busy timeout).
    :param cache_size: decoded touchpoints kept in memory for reads.
    :param page_cache_mb: SQLite's page cache for this connection, in MiB
        (SQLite's own default is 2 MiB, which makes inserts into the indexes
        of a large file read the disk again and again).
    :raises SchemaVersionError: when the file is newer than this code, or not omnicontact's.
    :raises StoreError: when the file cannot be opened.
    """

    persistent = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        timeout: float = 30.0,
        cache_size: int = 20_000,
        page_cache_mb: int = 64,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigurationError("synchronous: must be 'FULL' or 'NORMAL'")
        if timeout < 0:
            raise ConfigurationError("timeout: must not be negative")
        self.path = os.fspath(path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000):d}")
            self._db.execute("PRAGMA temp_store = MEMORY")
            self._db.execute(f"PRAGMA cache_size = {-1024 * max(1, int(page_cache_mb)):d}")
            migrate(self._db)
        except sqlite3.Error as err:
            raise _fail("opening the database", err) from None
        self._lock = threading.RLock()
        self._cache: dict[int, Touchpoint] = {}
        self._cache_size = cache_size
        self._depth = 0
        self._length = -1  # the log's length, known inside a transaction
        self._pending: list[tuple[int, str, str]] = []
        self._known: dict[str, int | None] = {}  # ids looked up in this transaction
        self._pending_ids: dict[str, int] = {}
        self._pending_tps: dict[int, Touchpoint] = {}
        self._pending_idents: list[tuple[str, str, int]] = []

    def __repr__(self) -> str:
        return f"SQLiteStore({os.path.basename(self.path)!r})"

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the write lock; commit everything at the end, or roll it all back.

        Nested uses join the outer transaction.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                raise _fail("starting a write", err) from None
            self._depth = 1
            self._length = -1
            try:
                yield
                self._flush()
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as err:
                    raise _fail("committing", err) from None
            except BaseException:
                self._discard()
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
                self._length = -1
                self._known.clear()

    @property
    def writing(self) -> bool:
        """Whether a write transaction is open."""
        return self._depth > 0

    def _discard(self) -> None:
        for position in self._pending_tps:
            self._cache.pop(position, None)
        self._pending.clear()
        self._pending_ids.clear()
        self._pending_tps.clear()
        self._pending_idents.clear()

    def _flush(self) -> None:
        try:
            if self._pending:
                self._db.executemany(
                    "INSERT INTO touchpoints (position, id, body) VALUES (?, ?, ?)",
                    self._pending,
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO identifiers (kind, value, position) VALUES (?, ?, ?)",
                    self._pending_idents,
                )
        except sqlite3.Error as err:
            raise _fail("writing touchpoints", err) from None
        self._pending.clear()
        self._pending_ids.clear()
        self._pending_tps.clear()
        self._pending_idents.clear()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as err:
                raise _fail("reading", err) from None

    def _write(self, sql: str, args: Sequence[Any] = ()) -> None:
        if not self._depth:
            raise StoreError("a write outside a transaction")  # a bug, never input
        try:
            self._db.execute(sql, args)
        except sqlite3.Error as err:
            raise _fail("writing", err) from None

    def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            self._db.executemany(sql, rows)
        except sqlite3.Error as err:
            raise _fail("writing", err) from None

    # ------------------------------------------------------------------ the log

    def append(self, touchpoint: Touchpoint) -> int:
        """Append a normalized touchpoint whose id is new; return its position."""
        if not self._depth:
            raise StoreError("append outside a transaction")
        position = len(self)
        if touchpoint.id in self._pending_ids:
            raise ValueError("touchpoint id already in the log")
        # The hub looked the id up in the file already; the UNIQUE index is the
        # last word, at commit.
        self._pending.append((position, touchpoint.id, encode_touchpoint(touchpoint)))
        self._pending_ids[touchpoint.id] = position
        self._pending_tps[position] = touchpoint
        self._pending_idents.extend((i.kind, i.value, position) for i in touchpoint.identifiers)
        self._length = position + 1
        return position

    def position_of(self, touchpoint_id: str) -> int | None:
        """Return the position of the touchpoint with this id, or ``None``."""
        pending = self._pending_ids.get(touchpoint_id)
        if pending is not None:
            return pending
        if touchpoint_id in self._known:
            return self._known[touchpoint_id]
        rows = self._query("SELECT position FROM touchpoints WHERE id = ?", (touchpoint_id,))
        return rows[0][0] if rows else None

    def look_up(self, touchpoint_ids: Sequence[str]) -> None:
        """Find where these ids are in the log with a few queries (inside a transaction).

        :meth:`position_of` then answers for them without a query each; for
        batches, where most ids are new.
        """
        if not self._depth:
            return
        known = self._known
        wanted = [i for i in dict.fromkeys(touchpoint_ids) if i not in known]
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self._query(
                f"SELECT id, position FROM touchpoints WHERE id IN ({marks})",
                part,
            )
            known.update(dict.fromkeys(part))
            known.update(rows)

    def at(self, position: int) -> Touchpoint:
        """Return the touchpoint at *position* (decoded once, then cached)."""
        found = self._pending_tps.get(position) or self._cache.get(position)
        if found is not None:
            return found
        rows = self._query("SELECT body FROM touchpoints WHERE position = ?", (position,))
        if not rows:
            raise IndexError("no touchpoint at this position")
        touchpoint = decode_touchpoint(rows[0][0])
        remember(self._cache, position, touchpoint, self._cache_size)
        return touchpoint

    def at_many(self, positions: Sequence[int]) -> list[Touchpoint]:
        """Return the touchpoints at *positions*, reading the ones not cached in one query."""
        found: dict[int, Touchpoint] = {}
        missing = []
        for position in positions:
            cached = self._pending_tps.get(position) or self._cache.get(position)
            if cached is None:
                missing.append(position)
            else:
                found[position] = cached
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self._query(
                f"SELECT position, body FROM touchpoints WHERE position IN ({marks})", part
            )
            for position, body in rows:
                touchpoint = found[position] = decode_touchpoint(body)
                remember(self._cache, position, touchpoint, self._cache_size)
        if len(found) != len(set(positions)):
            raise IndexError("no touchpoint at one of these positions")
        return [found[p] for p in positions]

    def __len__(self) -> int:
        if self._length >= 0:
            return self._length
        rows = self._query("SELECT coalesce(max(position) + 1, 0) FROM touchpoints")
        length = int(rows[0][0])
        if self._depth:
            self._length = length
        return length

    def __iter__(self) -> Iterator[Touchpoint]:
        return self.since(0)

    def since(self, position: int) -> Iterator[Touchpoint]:
        """Iterate the touchpoints from *position* on, reading in pages."""
        while True:
            rows = self._query(
                "SELECT position, body FROM touchpoints WHERE position >= ?"
                " ORDER BY position LIMIT 2000",
                (position,),
            )
            if not rows:
                return
            for found, body in rows:
                yield decode_touchpoint(body)
                position = found + 1

    # ------------------------------------------------------------------ records beside the log

    def add_decision(self, decision: Decision) -> None:
        """Record a decision on identity."""
        sides = json.dumps([list(side) for side in decision.sides])
        self._write("INSERT INTO decisions (action, sides) VALUES (?, ?)", (decision.action, sides))

    def decisions(self, start: int = 0) -> list[Decision]:
        """Return the decisions from the *start*-th on."""
        rows = self._query(
            "SELECT action, sides FROM decisions ORDER BY seq LIMIT -1 OFFSET ?", (start,)
        )
        return [Decision(a, tuple(tuple(side) for side in json.loads(s))) for a, s in rows]

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append to the ledger, indexing the contact ids each entry names."""
        if not self._depth:
            raise StoreError("a write outside a transaction")  # a bug, never input
        for entry in entries:
            try:
                cursor = self._db.execute(
                    "INSERT INTO audit (entry) VALUES (?)", (encode_audit(entry),)
                )
            except sqlite3.Error as err:
                raise _fail("writing the audit ledger", err) from None
            seq = cursor.lastrowid
            names = {entry.contact_id, *entry.other_ids} - {None}
            self._write_many(
                "INSERT OR IGNORE INTO audit_names (contact_id, seq) VALUES (?, ?)",
                [(name, seq) for name in sorted(n for n in names if n is not None)],
            )

    def audit_entries(self, contact_ids: Sequence[str] | None = None) -> tuple[AuditEntry, ...]:
        """Return the ledger, or the entries naming one of *contact_ids*."""
        if contact_ids is None:
            rows = self._query("SELECT entry FROM audit ORDER BY seq")
        else:
            wanted = list(dict.fromkeys(contact_ids))
            marks = ", ".join("?" for _ in wanted)
            rows = self._query(
                "SELECT entry FROM audit WHERE seq IN"
                f" (SELECT seq FROM audit_names WHERE contact_id IN ({marks})) ORDER BY seq",
                wanted,
            )
        return tuple(decode_audit(text) for (text,) in rows)

    def add_rejection(self, rejection: Rejection) -> None:
        """Keep a rejected record."""
        form, text = encode_record(rejection)
        self._write(
            "INSERT INTO quarantine (position, error, field, reason, form, record, adapter)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rejection.position,
                rejection.error,
                rejection.field,
                rejection.reason,
                form,
                text,
                rejection.adapter,
            ),
        )

    def rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine, oldest first."""
        rows = self._query(
            "SELECT position, error, field, reason, form, record, adapter"
            " FROM quarantine ORDER BY seq"
        )
        return tuple(
            Rejection(p, decode_record(f, r), e, fi, re, a) for p, e, fi, re, f, r, a in rows
        )

    def drain_rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine and empty it, atomically."""
        with self.transaction():
            drained = self.rejections()
            self._write("DELETE FROM quarantine")
        return drained

    def drop_rejections(self, count: int) -> None:
        """Forget the *count* oldest quarantined records."""
        self._write(
            "DELETE FROM quarantine WHERE seq IN (SELECT seq FROM quarantine ORDER BY seq LIMIT ?)",
            (count,),
        )

    def count_rejections(self) -> int:
        """Return the size of the quarantine."""
        return int(self._query("SELECT count(*) FROM quarantine")[0][0])

    def save_rules(self, rules: Mapping[str, Mapping[str, Any]]) -> None:
        """Keep trained rules' parameters, and bump the rules' version."""
        self._write("DELETE FROM rules")
        self._write_many(
            "INSERT INTO rules (name, params) VALUES (?, ?)",
            [(name, json.dumps(params, sort_keys=True)) for name, params in rules.items()],
        )
        self._write(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'rules_version'"
        )

    def saved_rules(self) -> tuple[int, dict[str, dict[str, Any]]]:
        """Return the rules' version and their saved parameters."""
        version = int(self._meta("rules_version"))
        rows = self._query("SELECT name, params FROM rules ORDER BY name")
        return version, {name: json.loads(params) for name, params in rows}

    def rules_version(self) -> int:
        """Return the rules' version, without reading their parameters."""
        return int(self._meta("rules_version"))

    def _meta(self, key: str) -> str:
        return str(self._query("SELECT value FROM meta WHERE key = ?", (key,))[0][0])

    # ------------------------------------------------------------------ the file

    def integrity(self) -> str:
        """Return SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when sound)."""
        rows = self._query("PRAGMA integrity_check")
        return "; ".join(str(r[0]) for r in rows)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL when this is the last one)."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()
