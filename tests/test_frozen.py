"""FrozenMap, freeze and thaw: immutable, hashable JSON values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicontact._frozen import EMPTY, FrozenMap, freeze, thaw

from .strategies import json_objects, json_values, markers


def _no_lists(value: Any) -> bool:
    """Whether a frozen value holds no list, dict or set anywhere."""
    if isinstance(value, FrozenMap):
        return all(_no_lists(v) for v in value.values())
    if isinstance(value, tuple):
        return all(_no_lists(v) for v in value)
    return not isinstance(value, (list, dict, set))


class TestFrozenMap:
    """A read-only, hashable mapping equal to any mapping with the same items."""

    def test_is_a_mapping(self) -> None:
        """It supports the Mapping protocol: len, iteration, lookup, get, in."""
        frozen = FrozenMap({"a": 1, "b": 2})
        assert isinstance(frozen, Mapping)
        assert len(frozen) == 2
        assert list(frozen) == ["a", "b"]
        assert frozen["a"] == 1
        assert frozen.get("c") is None
        assert "b" in frozen
        assert "c" not in frozen
        with pytest.raises(KeyError):
            frozen["c"]

    def test_read_only(self) -> None:
        """Items cannot be set or deleted."""
        frozen = FrozenMap({"a": 1})
        with pytest.raises(TypeError):
            frozen["a"] = 2  # type: ignore[index]
        with pytest.raises(TypeError):
            del frozen["a"]  # type: ignore[attr-defined]
        assert frozen == {"a": 1}

    def test_copies_its_input(self) -> None:
        """Changing the source dict afterwards does not change the map."""
        source = {"a": 1}
        frozen = FrozenMap(source)
        source["b"] = 2
        assert frozen == {"a": 1}

    def test_empty(self) -> None:
        """FrozenMap() and FrozenMap(None) are empty and equal to EMPTY and {}."""
        assert FrozenMap() == FrozenMap(None) == EMPTY == {}
        assert not EMPTY

    def test_equality_with_dicts(self) -> None:
        """Equal to a dict with the same items, from either side; unequal otherwise."""
        frozen = FrozenMap({"a": 1})
        assert frozen == {"a": 1}
        assert {"a": 1} == frozen  # noqa: SIM300  (the reflected comparison is the point)
        assert frozen != {"a": 2}
        assert frozen != {"a": 1, "b": 2}
        assert frozen != [("a", 1)]
        assert frozen != "a"

    @given(json_objects())
    def test_hash_agrees_with_equality(self, value: dict[str, Any]) -> None:
        """Equal frozen maps hash equal, however they were built."""
        one = freeze(value)
        two = freeze(json.loads(json.dumps(value)))
        assert one == two
        assert hash(one) == hash(two)
        assert hash(one) == hash(one)  # cached value is stable

    @given(st.dictionaries(st.text(max_size=5), st.text(max_size=5), min_size=1), markers())
    def test_repr_shows_keys_only(self, value: dict[str, str], marker: str) -> None:
        """The repr lists keys, never values."""
        keys = {k: v for k, v in value.items() if marker not in k}
        frozen = FrozenMap({k: v + marker for k, v in keys.items()})
        text = repr(frozen)
        assert marker not in text
        assert text == f"FrozenMap(keys={sorted(keys)!r})"


class TestFreeze:
    """freeze turns JSON values immutable; thaw turns them back."""

    @given(json_values())
    def test_thaw_inverts_freeze(self, value: Any) -> None:
        """thaw(freeze(x)) == x for every plain JSON value."""
        assert thaw(freeze(value)) == value

    @given(json_values())
    def test_frozen_is_hashable_and_deep(self, value: Any) -> None:
        """A frozen value is hashable and holds no list or dict at any depth."""
        frozen = freeze(value)
        hash(frozen)
        assert _no_lists(frozen)

    @given(json_values())
    def test_idempotent(self, value: Any) -> None:
        """freeze(freeze(x)) == freeze(x)."""
        assert freeze(freeze(value)) == freeze(value)

    @given(json_objects())
    def test_thawed_is_json(self, value: dict[str, Any]) -> None:
        """A thawed object is plain dict/list JSON that dumps and loads back equal."""
        thawed = thaw(freeze(value))
        assert type(thawed) is dict
        assert json.loads(json.dumps(thawed)) == thawed

    def test_empty_mapping_is_empty(self) -> None:
        """An empty mapping freezes to EMPTY."""
        assert freeze({}) is EMPTY

    def test_scalars_unchanged(self) -> None:
        """Strings, numbers, booleans and None stay as they are."""
        for value in ("x", 0, -5, 1.5, True, False, None):
            assert freeze(value) is value

    @pytest.mark.parametrize(
        ("value", "path"),
        [
            ({1, 2}, "value"),
            (b"bytes", "value"),
            (object(), "value"),
            (float("nan"), "value"),
            (float("inf"), "value"),
            ({"a": {"b": {1}}}, "value.a.b"),
            ({"a": [1, {"b": -math.inf}]}, "value.a[].b"),
            ({1: "x"}, "value"),
        ],
    )
    def test_rejects_non_json(self, value: Any, path: str) -> None:
        """Sets, bytes, objects, NaN/infinity and non-string keys: TypeError naming the path."""
        with pytest.raises(TypeError) as info:
            freeze(value)
        assert str(info.value).startswith(f"{path}: ")

    def test_field_prefix(self) -> None:
        """The field argument prefixes the path in the message."""
        with pytest.raises(TypeError, match=r"^traits\.tags\[\]: "):
            freeze({"tags": [{1}]}, field="traits")
