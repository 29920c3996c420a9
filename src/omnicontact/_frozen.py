"""Immutable JSON-like values: a hashable read-only mapping and (un)freezing.

Traits and properties are JSON objects. Inside omnicontact they are held as
:class:`FrozenMap` (objects) and tuples (arrays) so that touchpoints stay
immutable and hashable; :func:`thaw` turns them back into plain ``dict`` and
``list`` for JSON.
"""

from __future__ import annotations

import math
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeAlias

__all__ = ["EMPTY", "FrozenMap", "JSONValue", "freeze", "freeze_object", "thaw"]

JSONValue: TypeAlias = Any  # str | int | float | bool | None | FrozenMap | tuple


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping with string keys.

    Its values are frozen on construction (see :func:`freeze`), so it is
    immutable and hashable all the way down.

    Equal to any mapping with the same items (as ``dict`` is).
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        items: dict[str, Any] = {}
        for key, value in (data or {}).items():
            if not isinstance(key, str):
                raise TypeError("value: object keys must be strings")
            items[key] = freeze(value, field=f"value.{key}")
        self._data = items
        self._hash: int | None = None

    @classmethod
    def _of_frozen(cls, items: dict[str, Any]) -> FrozenMap:
        """Wrap *items* whose values are frozen already (no copy, no check)."""
        new = cls.__new__(cls)
        new._data = items
        new._hash = None
        return new

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    # The dict's own (read-only) views and get: Mapping's mixins go through
    # __iter__ and __getitem__ in Python, on the hot path of every touchpoint.
    def keys(self) -> KeysView[str]:
        """Return a read-only view of the keys."""
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        """Return a read-only view of the values."""
        return self._data.values()

    def items(self) -> ItemsView[str, Any]:
        """Return a read-only view of the items."""
        return self._data.items()

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for *key*, or *default*."""
        return self._data.get(key, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        # Keys only: values may be personal data.
        return f"FrozenMap(keys={sorted(self._data)!r})"


EMPTY = FrozenMap()


def freeze(value: Any, *, field: str = "value") -> JSONValue:
    """Return *value* as an immutable JSON-like value.

    Mappings become :class:`FrozenMap`, lists and tuples become tuples;
    strings, finite numbers, booleans and ``None`` stay as they are.

    :raises TypeError: for anything else (sets, bytes, objects, NaN), naming *field*.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{field}: numbers must be finite")
        return value
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        if not value:
            return EMPTY
        items = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{field}: object keys must be strings")
            items[key] = freeze(item, field=f"{field}.{key}")
        return FrozenMap._of_frozen(items)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item, field=f"{field}[]") for item in value)
    raise TypeError(f"{field}: {type(value).__name__} is not a JSON value")


def freeze_object(value: Mapping[str, Any], *, field: str = "value") -> FrozenMap:
    """Return a JSON object as a :class:`FrozenMap` (see :func:`freeze`)."""
    frozen = freeze(value, field=field)
    assert isinstance(frozen, FrozenMap)
    return frozen


def thaw(value: JSONValue) -> Any:
    """Return a frozen value as plain ``dict``/``list`` ready for ``json.dumps``."""
    if isinstance(value, FrozenMap):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value
