"""The :class:`Store` protocol: the append-only log and the records kept beside it.

Only the :class:`~omnicontact.Hub` talks to a store. The log is the truth:
contacts are derived from it (and from the decisions on record), so anything
derived can be rebuilt by replaying it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Touchpoint

__all__ = ["Decision", "DecisionAction", "Store", "remap_decisions"]

DecisionAction = Literal["confirm", "reject", "split"]
"""What a person decided about identity."""


@attrs.frozen
class Decision:
    """A decision on identity, as the log of decisions keeps it.

    :param action: ``confirm`` (two touchpoints are one person), ``reject``
        (two are not) or ``split`` (each side is apart from the others).
    :param sides: log positions: two one-position sides for ``confirm`` and
        ``reject``, two or more sides for ``split``.
    """

    action: DecisionAction
    sides: tuple[tuple[int, ...], ...]


def remap_decisions(decisions: Sequence[Decision], moved: Mapping[int, int]) -> list[Decision]:
    """Return the decisions with positions renumbered by *moved*, erased ones left out.

    A position missing from *moved* was erased. A ``confirm`` or ``reject``
    that loses a side, and a ``split`` left with fewer than two sides, are
    dropped: they no longer decide anything.
    """
    out = []
    for decision in decisions:
        sides = tuple(
            side
            for side in (tuple(moved[p] for p in side if p in moved) for side in decision.sides)
            if side
        )
        if len(sides) >= 2 and (decision.action == "split" or len(sides) == len(decision.sides)):
            out.append(Decision(decision.action, sides))
    return out


@runtime_checkable
class Store(Protocol):
    """An append-only log of normalized touchpoints, and the records kept beside it.

    Positions are dense, start at 0 and never change; a touchpoint is never
    updated in place. Besides the log a store keeps the decisions on identity
    (replayed with it), the audit ledger, the quarantine and the parameters
    of trained matching rules. Writes happen inside :meth:`transaction`.
    """

    #: Whether what is written survives the process (the Hub replays the log
    #: of a persistent store, and re-reads it before each write).
    persistent: bool

    def append(self, touchpoint: Touchpoint) -> int:
        """Append a touchpoint whose id is not in the log yet; return its position."""

    def position_of(self, touchpoint_id: str) -> int | None:
        """Return the position of the touchpoint with this id, or ``None``."""

    def at(self, position: int) -> Touchpoint:
        """Return the touchpoint at *position*."""

    def at_many(self, positions: Sequence[int]) -> list[Touchpoint]:
        """Return the touchpoints at *positions*, in that order (one read where it helps)."""

    def look_up(self, touchpoint_ids: Sequence[str]) -> None:
        """Prepare :meth:`position_of` for these ids (a batch's), where that saves reads."""

    def __len__(self) -> int:
        """Return how many touchpoints the log holds."""

    def __iter__(self) -> Iterator[Touchpoint]:
        """Iterate the touchpoints in log (arrival) order."""

    def since(self, position: int) -> Iterator[Touchpoint]:
        """Iterate the touchpoints from *position* on, in log order."""

    def transaction(self) -> AbstractContextManager[None]:
        """Return a context in which writes are atomic: all of them land, or none.

        A persistent store holds its write lock for the whole context, so
        that a writer sees every touchpoint written before it.
        """

    def add_decision(self, decision: Decision) -> None:
        """Record a decision on identity."""

    def decisions(self, start: int = 0) -> list[Decision]:
        """Return the decisions on record from the *start*-th on, oldest first."""

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries to the audit ledger."""

    def audit_entries(self, contact_ids: Sequence[str] | None = None) -> tuple[AuditEntry, ...]:
        """Return the ledger, oldest first; only entries naming one of *contact_ids* if given."""

    def add_rejection(self, rejection: Rejection) -> None:
        """Keep a record that batch ingestion could not take."""

    def rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine, oldest first."""

    def drain_rejections(self) -> tuple[Rejection, ...]:
        """Return the quarantine and empty it."""

    def count_rejections(self) -> int:
        """Return how many records the quarantine holds."""

    def drop_rejections(self, count: int) -> None:
        """Forget the *count* oldest records of the quarantine (inside a transaction)."""

    def save_rules(self, rules: Mapping[str, Mapping[str, Any]]) -> None:
        """Keep the parameters of trained matching rules, by rule name."""

    def saved_rules(self) -> tuple[int, dict[str, dict[str, Any]]]:
        """Return a version that changes with every :meth:`save_rules`, and the parameters."""

    def rules_version(self) -> int:
        """Return the version :meth:`saved_rules` gives, without reading the parameters."""

    def erase(self, positions: Collection[int]) -> None:
        """Remove the touchpoints at *positions* from the log, for good (inside a transaction).

        The touchpoints after them move up, so positions stay contiguous; the
        decisions and issued contact ids follow them, those naming only
        erased touchpoints are dropped, and the rules' version is bumped so
        that every hub on the store replays the log.
        """

    def rewrite_audit(self, redact: Callable[[AuditEntry], AuditEntry | None]) -> int:
        """Replace each ledger entry by ``redact(entry)`` (None drops it); count the changes."""

    def remove_rejections(self, match: Callable[[Rejection], bool]) -> int:
        """Forget the quarantined records *match* selects; return how many."""

    def suppressions(self) -> frozenset[str]:
        """Return the keyed hashes that block re-creating an erased person."""

    def add_suppressions(self, hashes: Iterable[str]) -> None:
        """Add keyed hashes to the suppression list (inside a transaction)."""

    def remove_suppressions(self, hashes: Iterable[str]) -> int:
        """Remove keyed hashes from the suppression list; return how many were there."""

    def secret(self) -> bytes:
        """Return the store's secret key for keyed hashes, made on first use and kept."""

    def scrub(self) -> None:
        """Make what was deleted unrecoverable from the store's files (after a commit)."""

    def integrity(self) -> str:
        """Return ``"ok"`` when the store's own structures are sound, else what is wrong."""

    def close(self) -> None:
        """Release the store's resources; a closed store is not used again."""
