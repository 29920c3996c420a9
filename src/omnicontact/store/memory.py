"""The in-memory store: lists, and an index by id. Not persistent."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Touchpoint
from omnicontact.store.base import Decision, remap_decisions

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps the log in a list, indexed by touchpoint id. Gone with the process."""

    __slots__ = (
        "_audit",
        "_decisions",
        "_log",
        "_position",
        "_quarantine",
        "_rules",
        "_rules_version",
        "_secret",
        "_suppressed",
    )

    persistent = False

    def __init__(self) -> None:
        self._log: list[Touchpoint] = []
        self._position: dict[str, int] = {}
        self._decisions: list[Decision] = []
        self._audit: list[AuditEntry] = []
        self._quarantine: list[Rejection] = []
        self._rules: dict[str, dict[str, Any]] = {}
        self._rules_version = 0
        self._suppressed: set[str] = set()
        self._secret = b""

    def append(self, touchpoint: Touchpoint) -> int:
        """Append *touchpoint*; its id must be new."""
        position = len(self._log)
        if self._position.setdefault(touchpoint.id, position) != position:
            raise ValueError("touchpoint id already in the log")
        self._log.append(touchpoint)
        return position

    def position_of(self, touchpoint_id: str) -> int | None:
        """Return the position of *touchpoint_id*, or ``None``."""
        return self._position.get(touchpoint_id)

    def at(self, position: int) -> Touchpoint:
        """Return the touchpoint at *position*."""
        return self._log[position]

    def at_many(self, positions: Sequence[int]) -> list[Touchpoint]:
        """Return the touchpoints at *positions*."""
        log = self._log
        return [log[p] for p in positions]

    def look_up(self, touchpoint_ids: Sequence[str]) -> None:
        """Nothing to prepare: the index by id is a dict."""

    def __len__(self) -> int:
        return len(self._log)

    def __iter__(self) -> Iterator[Touchpoint]:
        return iter(self._log)

    def since(self, position: int) -> Iterator[Touchpoint]:
        """Iterate the touchpoints from *position* on."""
        return islice(self._log, position, None)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to do: one process writes, and nothing it writes can fail half-way."""
        return contextlib.nullcontext()

    def add_decision(self, decision: Decision) -> None:
        """Record a decision on identity."""
        self._decisions.append(decision)

    def decisions(self, start: int = 0) -> list[Decision]:
        """Return the decisions from the *start*-th on."""
        return self._decisions[start:]

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append to the ledger."""
        self._audit.extend(entries)

    def audit_entries(self, contact_ids: Sequence[str] | None = None) -> tuple[AuditEntry, ...]:
        """Return the ledger, or the entries naming one of *contact_ids*."""
        if contact_ids is None:
            return tuple(self._audit)
        wanted = set(contact_ids)
        return tuple(
            e for e in self._audit if e.contact_id in wanted or wanted.intersection(e.other_ids)
        )

    def add_rejection(self, rejection: Rejection) -> None:
        """Keep a rejected record."""
        self._quarantine.append(rejection)

    def rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine."""
        return tuple(self._quarantine)

    def drain_rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine and empty it."""
        drained, self._quarantine = tuple(self._quarantine), []
        return drained

    def count_rejections(self) -> int:
        """Return the size of the quarantine."""
        return len(self._quarantine)

    def drop_rejections(self, count: int) -> None:
        """Forget the *count* oldest quarantined records."""
        del self._quarantine[:count]

    def save_rules(self, rules: Mapping[str, Mapping[str, Any]]) -> None:
        """Keep trained rules' parameters."""
        self._rules = {name: dict(params) for name, params in rules.items()}
        self._rules_version += 1

    def saved_rules(self) -> tuple[int, dict[str, dict[str, Any]]]:
        """Return the version and the saved parameters."""
        return self._rules_version, dict(self._rules)

    def rules_version(self) -> int:
        """Return the version of the saved parameters."""
        return self._rules_version

    def erase(self, positions: Collection[int]) -> None:
        """Remove these touchpoints; the later ones move up; decisions follow."""
        gone = set(positions)
        kept = [tp for position, tp in enumerate(self._log) if position not in gone]
        moved: dict[int, int] = {}
        for position in range(len(self._log)):
            if position not in gone:
                moved[position] = len(moved)
        self._log = kept
        self._position = {tp.id: position for position, tp in enumerate(kept)}
        self._decisions = remap_decisions(self._decisions, moved)
        self._rules_version += 1  # every hub on the store replays

    def rewrite_audit(self, redact: Callable[[AuditEntry], AuditEntry | None]) -> int:
        """Replace each ledger entry by ``redact(entry)`` (None drops it)."""
        changed = 0
        kept = []
        for entry in self._audit:
            new = redact(entry)
            changed += new != entry
            if new is not None:
                kept.append(new)
        self._audit = kept
        return changed

    def remove_rejections(self, match: Callable[[Rejection], bool]) -> int:
        """Forget the quarantined records *match* selects."""
        before = len(self._quarantine)
        self._quarantine = [r for r in self._quarantine if not match(r)]
        return before - len(self._quarantine)

    def suppressions(self) -> frozenset[str]:
        """Return the suppression list."""
        return frozenset(self._suppressed)

    def add_suppressions(self, hashes: Iterable[str]) -> None:
        """Add keyed hashes to the suppression list."""
        self._suppressed.update(hashes)

    def remove_suppressions(self, hashes: Iterable[str]) -> int:
        """Remove keyed hashes from the suppression list."""
        found = self._suppressed.intersection(hashes)
        self._suppressed -= found
        return len(found)

    def secret(self) -> bytes:
        """Return this store's key for keyed hashes (random, made on first use)."""
        if not self._secret:
            self._secret = secrets.token_bytes(32)
        return self._secret

    def scrub(self) -> None:
        """Nothing on disk: what was removed is unreachable once collected."""

    def integrity(self) -> str:
        """Return ``"ok"``: a list and dicts have nothing to check."""
        return "ok"

    def close(self) -> None:
        """Nothing to release."""
