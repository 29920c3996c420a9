"""The :class:`Store` protocol: the append-only touchpoint log the Hub talks to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from omnicontact.model import Touchpoint

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """An append-only log of normalized touchpoints, addressed by id and position.

    Only the :class:`~omnicontact.Hub` talks to a store. Positions are dense,
    start at 0 and never change; a touchpoint is never updated in place.
    """

    def append(self, touchpoint: Touchpoint) -> int:
        """Append a touchpoint whose id is not in the log yet; return its position."""

    def position_of(self, touchpoint_id: str) -> int | None:
        """Return the position of the touchpoint with this id, or ``None``."""

    def at(self, position: int) -> Touchpoint:
        """Return the touchpoint at *position*."""

    def __len__(self) -> int:
        """Return how many touchpoints the log holds."""

    def __iter__(self) -> Iterator[Touchpoint]:
        """Iterate the touchpoints in log (arrival) order."""
