"""One bounded-cache policy for the per-hub caches of normalized values."""

from __future__ import annotations

from itertools import islice
from typing import TypeVar

__all__ = ["remember"]

K = TypeVar("K")
V = TypeVar("V")


def remember(cache: dict[K, V], key: K, value: V, limit: int) -> None:
    """Store *value* under *key*, keeping at most *limit* entries (none when ``limit <= 0``).

    When the cache is full, the oldest quarter of its entries (by insertion) is
    dropped at once: a plain dict costs less memory and time per entry than an
    exact LRU, for a few extra misses on long-lived keys.
    """
    if limit <= 0:
        return
    if len(cache) >= limit:
        for old in list(islice(cache, max(1, limit // 4))):
            del cache[old]
    cache[key] = value
