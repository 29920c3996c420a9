"""The in-memory store: a list and an index by id."""

from __future__ import annotations

from collections.abc import Iterator

from omnicontact.model import Touchpoint

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps the log in a list, indexed by touchpoint id. Not persistent."""

    __slots__ = ("_log", "_position")

    def __init__(self) -> None:
        self._log: list[Touchpoint] = []
        self._position: dict[str, int] = {}

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

    def __len__(self) -> int:
        return len(self._log)

    def __iter__(self) -> Iterator[Touchpoint]:
        return iter(self._log)
