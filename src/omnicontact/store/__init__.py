"""Where the touchpoint log lives: the :class:`Store` protocol and its implementations."""

from omnicontact.store.base import Decision, Store
from omnicontact.store.memory import MemoryStore
from omnicontact.store.sqlite import SQLiteStore

__all__ = ["Decision", "MemoryStore", "SQLiteStore", "Store"]
