"""The person rule's default parameters, and the checks its settings go through.

Each converter returns the setting in its stored form or raises
:class:`~omnicontact.errors.ConfigurationError` naming the setting (never a
personal value, which term-frequency tables are keyed by).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from omnicontact._frozen import freeze
from omnicontact.errors import ConfigurationError
from omnicontact.matching.person_levels import FIELDS, TF_FIELDS, postal_key, text_key

__all__ = [
    "DEFAULT_M",
    "DEFAULT_U",
    "check_fields",
    "check_link_threshold",
    "check_m",
    "check_prior",
    "check_review_threshold",
    "check_tf",
    "check_tf_minimum_u",
    "check_u",
    "check_unit",
]

_NAME_M = {
    "exact": 0.85,
    "swapped": 0.005,
    "jaro_winkler>=0.92": 0.05,
    "jaro_winkler>=0.80": 0.03,
    "phonetic": 0.02,
    "else": 0.045,
}
DEFAULT_M: Mapping[str, Mapping[str, float]] = {
    "first_name": _NAME_M,
    "last_name": _NAME_M,
    "birth_date": {"exact": 0.9, "day_month_swapped": 0.02, "one_field_off": 0.05, "else": 0.03},
    "street": {"exact": 0.6, "jaro_winkler>=0.90": 0.15, "else": 0.25},
    "postal_code": {"exact": 0.8, "prefix_3": 0.08, "else": 0.12},
    "city": {"exact": 0.8, "jaro_winkler>=0.90": 0.05, "else": 0.15},
    "phone": {"exact": 0.6, "last_8_digits": 0.05, "else": 0.35},
    "email": {"exact": 0.55, "jaro_winkler>=0.90": 0.05, "else": 0.4},
}
"""Default ``m``: how often two records of one person reach each level."""

DEFAULT_U: Mapping[str, Mapping[str, float]] = {
    "first_name": {
        "exact": 0.01,
        "swapped": 0.0001,
        "jaro_winkler>=0.92": 0.004,
        "jaro_winkler>=0.80": 0.03,
        "phonetic": 0.01,
        "else": 0.946,
    },
    "last_name": {
        "exact": 0.001,
        "swapped": 0.0001,
        "jaro_winkler>=0.92": 0.002,
        "jaro_winkler>=0.80": 0.02,
        "phonetic": 0.005,
        "else": 0.972,
    },
    "birth_date": {
        "exact": 5e-5,
        "day_month_swapped": 2e-5,
        "one_field_off": 0.005,
        "else": 0.99493,
    },
    "street": {"exact": 0.0001, "jaro_winkler>=0.90": 0.0005, "else": 0.9994},
    "postal_code": {"exact": 0.002, "prefix_3": 0.02, "else": 0.978},
    "city": {"exact": 0.005, "jaro_winkler>=0.90": 0.002, "else": 0.993},
    "phone": {"exact": 1e-5, "last_8_digits": 2e-5, "else": 0.99997},
    "email": {"exact": 1e-5, "jaro_winkler>=0.90": 0.001, "else": 0.99899},
}
"""Default ``u``: how often two records of different people reach each level."""


def check_unit(name: str, value: object) -> float:
    """Return *value* as a float strictly between 0 and 1; *name* is the setting."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be a number")
    if not 0.0 < value < 1.0:
        raise ConfigurationError(f"{name} must be strictly between 0 and 1")
    return float(value)


def check_link_threshold(value: object) -> float:
    """Check the ``link_threshold`` setting."""
    return check_unit("link_threshold", value)


def check_review_threshold(value: object) -> float:
    """Check the ``review_threshold`` setting."""
    return check_unit("review_threshold", value)


def check_prior(value: object) -> float:
    """Check the ``prior`` setting."""
    return check_unit("prior", value)


def check_tf_minimum_u(value: object) -> float:
    """Check the ``tf_minimum_u`` setting."""
    return check_unit("tf_minimum_u", value)


def check_fields(value: object) -> tuple[str, ...]:
    """Return the fields named, in :data:`FIELDS` order."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigurationError("fields must be a collection of field names")
    given = set(value)
    unknown = given - set(FIELDS)
    if unknown:
        raise ConfigurationError(f"fields: unknown field(s) {sorted(map(str, unknown))}")
    if not given:
        raise ConfigurationError("fields must name at least one field")
    return tuple(f for f in FIELDS if f in given)


def _table(name: str, defaults: Mapping[str, Mapping[str, float]], value: object) -> Any:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must map field names to {{level: probability}}")
    table = {field: dict(levels) for field, levels in defaults.items()}
    for field, levels in value.items():
        if field not in table:
            raise ConfigurationError(f"{name}: unknown field {field!r}")
        if not isinstance(levels, Mapping):
            raise ConfigurationError(f"{name}[{field!r}] must map level names to probabilities")
        for level, p in levels.items():
            if level not in table[field]:
                raise ConfigurationError(f"{name}[{field!r}]: unknown level {level!r}")
            table[field][level] = check_unit(f"{name}[{field!r}][{level!r}]", p)
    return table


def check_m(value: object) -> Any:
    """Return the defaults of ``m`` with the overrides in *value*, frozen."""
    return freeze(_table("m", DEFAULT_M, value))


def check_u(value: object) -> Any:
    """Return the defaults of ``u`` with the overrides in *value*, frozen."""
    return freeze(_table("u", DEFAULT_U, value))


def check_tf(value: object) -> Any:
    """Return term-frequency tables keyed by comparison form, frozen.

    Values with one comparison form (``Martin``, ``MARTIN``) add up their frequencies.
    """
    if not isinstance(value, Mapping):
        raise ConfigurationError("tf must map field names to {value: frequency}")
    tables: dict[str, dict[str, float]] = {}
    for field, freqs in value.items():
        if field not in TF_FIELDS:
            raise ConfigurationError(f"tf: no term frequencies for field {field!r}")
        if not isinstance(freqs, Mapping):
            raise ConfigurationError(f"tf[{field!r}] must map values to frequencies")
        key = postal_key if field == "postal_code" else text_key
        table: dict[str, float] = {}
        for raw, freq in freqs.items():
            if isinstance(freq, bool) or not isinstance(freq, (int, float)):
                raise ConfigurationError(f"tf[{field!r}]: frequencies must be numbers")
            if not 0.0 < freq <= 1.0 or not isinstance(raw, str):
                raise ConfigurationError(
                    f"tf[{field!r}]: frequencies must be in (0, 1], keyed by strings"
                )
            value_key = key(raw)
            if value_key:
                table[value_key] = min(1.0, table.get(value_key, 0.0) + float(freq))
        tables[field] = table
    return freeze(tables)
