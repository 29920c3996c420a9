"""Where the touchpoint log lives: the :class:`Store` protocol and its implementations."""

from omnicontact.store.base import Store
from omnicontact.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store"]
