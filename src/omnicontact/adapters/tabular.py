"""The ``tabular`` adapter: rows of CSV or JSON Lines files, read through a declarative mapping.

For CRM exports, loyalty files and store lists: a :class:`TabularMapping`
says which column (or fixed value, or template) gives the touchpoint's id,
time, channel and action, and which columns are identifiers of which kind,
traits and properties. Empty cells are missing values, never errors.

A mapping in JSON (for ``omnicontact ingest --adapter tabular --mapping FILE``)::

    {
      "id": {"template": "crm:{Customer ref}"},
      "occurred_at": "Created",
      "channel": {"value": "crm"},
      "action": {"value": "import"},
      "identifiers": {"email": "E-mail", "phone": ["Mobile", "Home phone"],
                      "customer_id": "Customer ref"},
      "traits": {"first_name": "First name", "last_name": "Surname",
                 "postal_code": "Postcode", "country": {"value": "GB"}},
      "properties": {"segment": "Segment"},
      "dayfirst": true,
      "timezone": "Europe/London"
    }

A field is a column name, ``{"column": name}``, a fixed ``{"value": ...}``,
or a ``{"template": "text with {Column} names"}``.
"""

from __future__ import annotations

import csv
import json
import math
import re
import string
from collections.abc import Callable, Iterator, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

import attrs
from dateutil import tz as dateutil_tz

from omnicontact.errors import ConfigurationError, InvalidTouchpointError
from omnicontact.model import Identifier, Touchpoint
from omnicontact.normalize.dates import normalize_datetime

__all__ = ["CELL_TYPES", "FieldSpec", "TabularAdapter", "TabularMapping", "read_csv"]

_FORMATTER = string.Formatter()


@attrs.frozen
class FieldSpec:
    """Where one value of a touchpoint comes from: a column, a fixed value, or a template.

    Exactly one of *column*, *value* or *template* is set.
    """

    column: str | None = None
    value: Any = None
    template: str | None = None
    type: str | None = None

    @classmethod
    def parse(cls, spec: object, where: str) -> FieldSpec:
        """Read a spec: a column name, or ``{"column" | "value" | "template": ...}``.

        A column may also say how to read its cells:
        ``{"column": "Rating", "type": "number"}`` (see :data:`CELL_TYPES`).

        :raises ConfigurationError: naming *where* in the mapping.
        """
        if isinstance(spec, str) and spec:
            return cls(column=spec)
        if isinstance(spec, Mapping) and "type" in spec and "column" in spec and len(spec) == 2:
            kind = spec["type"]
            if not isinstance(kind, str) or kind not in CELL_TYPES:
                raise ConfigurationError(
                    f"mapping {where}: type must be one of {', '.join(sorted(CELL_TYPES))}"
                )
            column = spec["column"]
            if isinstance(column, str) and column:
                return cls(column=column, type=kind)
        if isinstance(spec, Mapping) and len(spec) == 1:
            ((key, item),) = spec.items()
            if key == "column" and isinstance(item, str) and item:
                return cls(column=item)
            if key == "value" and item is not None:
                return cls(value=item)
            if key == "template" and isinstance(item, str):
                names = [name for _, name, _, _ in _FORMATTER.parse(item) if name is not None]
                if not names or any(not n for n in names):
                    raise ConfigurationError(f"mapping {where}: a template names its columns")
                return cls(template=item)
        raise ConfigurationError(
            f"mapping {where}: must be a column name, or one of column, value, template"
        )

    def read(self, row: Mapping[str, Any], field: str) -> Any:
        """Return the value for *row*, or ``None`` when its cell is empty.

        :raises InvalidTouchpointError: when the row has no such column.
        """
        if self.value is not None:
            return self.value
        if self.column is not None:
            if self.column not in row:
                raise InvalidTouchpointError(field, f"the row has no column {self.column!r}")
            cell = _cell(row[self.column])
            if self.type is None or cell is None:
                return cell
            return CELL_TYPES[self.type](cell, field)
        assert self.template is not None
        values: dict[str, str] = {}
        for _, name, _, _ in _FORMATTER.parse(self.template):
            if name is None:
                continue
            if name not in row:
                raise InvalidTouchpointError(field, f"the row has no column {name!r}")
            cell = _cell(row[name])
            if cell is None:
                return None  # a template over an empty cell is missing, not "crm:"
            values[name] = str(cell)
        return self.template.format_map(values)


def _integer(cell: object, field: str) -> int:
    if isinstance(cell, bool):
        raise InvalidTouchpointError(field, "must be an integer")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, str) and _INTEGER_RE.match(cell):
        return int(cell)
    raise InvalidTouchpointError(field, "must be an integer")


def _number(cell: object, field: str) -> int | float:
    if isinstance(cell, bool):
        raise InvalidTouchpointError(field, "must be a number")
    if isinstance(cell, (int, float)):
        number: int | float = cell
    elif isinstance(cell, str) and _INTEGER_RE.match(cell):
        number = int(cell)
    elif isinstance(cell, str) and _DECIMAL_RE.match(cell):
        number = float(cell)
    else:
        raise InvalidTouchpointError(field, "must be a number")
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidTouchpointError(field, "must be a finite number")
    return number


def _boolean(cell: object, field: str) -> bool:
    if isinstance(cell, bool):
        return cell
    text = str(cell).lower() if isinstance(cell, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidTouchpointError(field, "must be true or false (yes/no, 1/0)")


def _string(cell: object, field: str) -> str:
    if isinstance(cell, (dict, list)):
        raise InvalidTouchpointError(field, "must be a string")
    return str(cell)


_INTEGER_RE = re.compile(r"[+-]?\d{1,18}\Z")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d{1,18}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?\Z")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})

CELL_TYPES: Mapping[str, Callable[[object, str], Any]] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
}
"""How a typed column reads its (non-empty) cells; a cell that does not read is quarantined."""


def _cell(value: object) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _specs(data: object, where: str, *, many: bool = False) -> dict[str, tuple[FieldSpec, ...]]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"mapping {where}: must be an object of name to field")
    out: dict[str, tuple[FieldSpec, ...]] = {}
    for name, spec in data.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"mapping {where}: names must be non-empty strings")
        if many and isinstance(spec, list):
            if not spec:
                raise ConfigurationError(f"mapping {where}.{name}: an empty list")
            out[name] = tuple(FieldSpec.parse(s, f"{where}.{name}") for s in spec)
        else:
            out[name] = (FieldSpec.parse(spec, f"{where}.{name}"),)
    return out


_REQUIRED = ("id", "occurred_at", "channel", "action")
_OPTIONS = {"identifiers", "traits", "properties", "source", "dayfirst", "timezone"}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_]*\Z")


@attrs.frozen
class TabularMapping:
    """Which columns of a table make a touchpoint; see the module docstring.

    :param id: the touchpoint id (a column, or a template: ``crm:{Ref}``); it
        must be stable, so that importing the file again gives duplicates.
    :param occurred_at: when it happened (ISO 8601, free-form, or epoch seconds).
    :param channel: a slug (usually a fixed ``{"value": "crm"}``).
    :param action: a slug.
    :param identifiers: identifier kind to one field or a list of fields.
    :param traits: trait name to field.
    :param properties: property name to field.
    :param source: where the rows come from (a system name), optional.
    :param dayfirst: read ``01/02/2026`` as 1 February.
    :param timezone: the zone of naive times (an IANA name); UTC by default.
    """

    id: FieldSpec
    occurred_at: FieldSpec
    channel: FieldSpec
    action: FieldSpec
    identifiers: Mapping[str, tuple[FieldSpec, ...]] = attrs.field(factory=dict)
    traits: Mapping[str, tuple[FieldSpec, ...]] = attrs.field(factory=dict)
    properties: Mapping[str, tuple[FieldSpec, ...]] = attrs.field(factory=dict)
    source: FieldSpec | None = None
    dayfirst: bool = False
    timezone: tzinfo | None = None

    @classmethod
    def from_dict(cls, data: object) -> TabularMapping:
        """Read a mapping from its JSON form.

        :raises ConfigurationError: naming what is wrong in it.
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError("mapping: must be a JSON object")
        unknown = sorted(set(data) - set(_REQUIRED) - _OPTIONS)
        if unknown:
            raise ConfigurationError(f"mapping: unknown key {unknown[0]!r}")
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise ConfigurationError(f"mapping: {missing[0]} is required")
        zone: tzinfo | None = None
        if data.get("timezone") is not None:
            name = data["timezone"]
            zone = dateutil_tz.gettz(name) if isinstance(name, str) else None
            if zone is None:
                raise ConfigurationError("mapping timezone: unknown time zone")
        if not isinstance(data.get("dayfirst", False), bool):
            raise ConfigurationError("mapping dayfirst: must be true or false")
        for section in ("traits", "properties"):
            for name in data.get(section) or {}:
                if isinstance(name, str) and not _NAME_RE.match(name):
                    raise ConfigurationError(
                        f"mapping {section}: {name!r} is not a snake_case name"
                    )
        return cls(
            id=FieldSpec.parse(data["id"], "id"),
            occurred_at=FieldSpec.parse(data["occurred_at"], "occurred_at"),
            channel=FieldSpec.parse(data["channel"], "channel"),
            action=FieldSpec.parse(data["action"], "action"),
            identifiers=_specs(data.get("identifiers"), "identifiers", many=True),
            traits=_specs(data.get("traits"), "traits"),
            properties=_specs(data.get("properties"), "properties"),
            source=FieldSpec.parse(data["source"], "source") if "source" in data else None,
            dayfirst=bool(data.get("dayfirst", False)),
            timezone=zone,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> TabularMapping:
        """Read a mapping from a JSON file.

        :raises ConfigurationError: when the file is not a valid mapping.
        :raises OSError: when it cannot be read.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigurationError("mapping: the file is not valid JSON") from None
        return cls.from_dict(data)


def _required(spec: FieldSpec, row: Mapping[str, Any], field: str) -> Any:
    value = spec.read(row, field)
    if value is None:
        raise InvalidTouchpointError(field, "is empty")
    return value


class TabularAdapter:
    """Reads one row (a mapping of column name to cell) through a :class:`TabularMapping`.

    :param mapping: the mapping, or its JSON form.
    :param name: the adapter's name (several mappings may be registered).
    """

    description = "rows of CSV or JSON Lines files, read through a declarative mapping"

    def __init__(self, mapping: TabularMapping | Mapping[str, Any], name: str = "tabular") -> None:
        self.mapping = (
            mapping if isinstance(mapping, TabularMapping) else TabularMapping.from_dict(mapping)
        )
        self.name = name

    def __repr__(self) -> str:
        return f"TabularAdapter(name={self.name!r})"

    def parse(self, row: Any) -> list[Touchpoint]:
        """Return the touchpoint of one row.

        :raises InvalidTouchpointError: naming the field (and column) that is
            missing, empty or wrong.
        """
        if isinstance(row, _BadRow):
            raise InvalidTouchpointError("row", "is not valid text in the file's encoding")
        if not isinstance(row, Mapping):
            raise InvalidTouchpointError("row", "must be an object of column to value")
        m = self.mapping
        ident = _required(m.id, row, "id")
        when = normalize_datetime(
            _required(m.occurred_at, row, "occurred_at"),
            timezone_=m.timezone,
            dayfirst=m.dayfirst,
        )
        identifiers: list[Identifier] = []
        for kind, specs in m.identifiers.items():
            for spec in specs:
                value = spec.read(row, f"identifiers.{kind}")
                if value is not None:
                    identifiers.append(Identifier(kind, str(value)))
        traits = _values(m.traits, row, "traits")
        properties = _values(m.properties, row, "properties")
        source = m.source.read(row, "source") if m.source is not None else None
        return [
            Touchpoint(
                id=str(ident),
                occurred_at=when,
                channel=_required(m.channel, row, "channel"),
                action=_required(m.action, row, "action"),
                identifiers=identifiers,
                traits=traits,
                properties=properties,
                source=None if source is None else str(source),
            )
        ]


def _values(
    specs: Mapping[str, tuple[FieldSpec, ...]], row: Mapping[str, Any], section: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (spec,) in specs.items():
        value = spec.read(row, f"{section}.{name}")
        if value is not None:
            out[name] = value
    return out


def read_csv(path: str | Path, *, encoding: str = "utf-8-sig", **dialect: Any) -> Iterator[Any]:
    """Yield the rows of a CSV file as mappings of header to cell, one at a time.

    Constant memory for a file of any size. A row that is not valid text in
    *encoding* is yielded as a ``{"__line__": n}`` mapping of a private type,
    which :class:`TabularAdapter` quarantines (*row: is not valid text in the
    file's encoding*) without stopping the file.
    """
    for _, row in numbered_csv_rows(path, encoding=encoding, **dialect):
        yield row


def numbered_csv_rows(
    path: str | Path, *, encoding: str = "utf-8-sig", **dialect: Any
) -> Iterator[tuple[int, Any]]:
    """Like :func:`read_csv`, with the line number where each row ends."""
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as stream:
        reader = csv.DictReader(stream, **dialect)
        for row in reader:
            if any(_has_surrogates(v) for v in row.values()) or any(
                _has_surrogates(k) for k in row
            ):
                yield reader.line_num, _BadRow(reader.line_num)
                continue
            yield reader.line_num, row


def _has_surrogates(value: object) -> bool:
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value)


class _BadRow(dict[str, Any]):
    """A row of a CSV file that is not valid text; the adapter quarantines it."""

    def __init__(self, line: int) -> None:
        super().__init__({"__line__": line})

