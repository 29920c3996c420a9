"""Matching quality on a user's own labelled file (``omnicontact bench --data FILE``).

Each row of a CSV or JSON Lines file is one record; its *truth column* names
the true person. The column is taken off every row before anything reaches
the hub, and the hub's contacts are scored against it with
:func:`~omnicontact.bench.metrics.score_clustering` (Splink beside, when
installed).

Rows are read by the ``tabular`` adapter through a mapping: the one given
(``--mapping M.json``), or the default one (:func:`default_mapping`). With
``--adapter NAME``, each JSON line is instead a payload of that channel
adapter (``segment``, ``orders`` …) with the truth column as one more top-level
key. A row the adapter or the hub rejects is scored as a contact of its own.
"""

from __future__ import annotations

import csv
import json
import string
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omnicontact.adapters.base import ChannelAdapter
from omnicontact.adapters.tabular import TabularAdapter, TabularMapping
from omnicontact.bench.metrics import score_clustering
from omnicontact.bench.peers import compare_with_splink, person_record
from omnicontact.errors import ConfigurationError, OmnicontactError
from omnicontact.hub import Hub

__all__ = ["IDENTIFIER_COLUMNS", "TRAIT_COLUMNS", "default_mapping", "run_labelled"]

IDENTIFIER_COLUMNS = ("email", "phone", "customer_id", "loyalty_id", "cookie_id", "device_id")
"""Columns the default mapping reads as identifiers of the same kind."""
TRAIT_COLUMNS = (
    "first_name",
    "last_name",
    "birth_date",
    "street",
    "city",
    "postal_code",
    "country",
)
"""Columns the default mapping reads as traits of the same name."""
DATE_COLUMNS = ("occurred_at", "date")
FIXED_DATE = "2000-01-01T00:00:00+00:00"
"""When a record happened, for a file with no ``occurred_at`` or ``date`` column."""
ROW = "__row__"
"""The column holding each row's number (from 1), added by the reader."""
QUARANTINED = "quarantined:"

Row = dict[str, Any]
_FORMATTER = string.Formatter()


def default_mapping(columns: Iterable[str]) -> dict[str, Any]:
    """Return the tabular mapping (JSON form) the default reading uses for *columns*.

    The row number is the id (``row:<n>``); the ``occurred_at`` or ``date``
    column is the time (else 2000-01-01 UTC); a ``channel`` column is the
    channel (else ``labelled``); the action is ``record``. Columns named as an
    identifier kind (:data:`IDENTIFIER_COLUMNS`, case-insensitive) are
    identifiers, those named as a trait (:data:`TRAIT_COLUMNS`) are traits;
    the others are ignored.

    :raises ConfigurationError: when no column is an identifier or a trait.
    """
    by_name = {c.strip().lower(): c for c in columns if isinstance(c, str)}
    date = next((by_name[n] for n in DATE_COLUMNS if n in by_name), None)
    identifiers = {k: by_name[k] for k in IDENTIFIER_COLUMNS if k in by_name}
    traits = {k: by_name[k] for k in TRAIT_COLUMNS if k in by_name}
    if not identifiers and not traits:
        known = ", ".join((*IDENTIFIER_COLUMNS, *TRAIT_COLUMNS))
        raise ConfigurationError(
            f"--data: no column the default mapping reads ({known}); pass --mapping"
        )
    return {
        "id": {"template": "row:{" + ROW + "}"},
        "occurred_at": date if date is not None else {"value": FIXED_DATE},
        "channel": by_name.get("channel", {"value": "labelled"}),
        "action": {"value": "record"},
        "identifiers": identifiers,
        "traits": traits,
    }


def _read_rows(path: Path) -> list[Row]:
    """Return the rows of a CSV file (by its ``.csv`` suffix) or a JSON Lines file.

    :raises ConfigurationError: for a line that is not a JSON object, or no row at all.
    :raises OSError: when the file cannot be read.
    """
    rows: list[Row] = []
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = [dict(row) for row in csv.DictReader(handle)]
        else:
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        row = None
                    if not isinstance(row, dict):
                        raise ConfigurationError(f"{path.name}: line {number} is not a JSON object")
                    rows.append(row)
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path.name}: the file is not UTF-8 text") from None
    except csv.Error as err:
        raise ConfigurationError(f"{path.name}: not a readable CSV file ({err})") from None
    if not rows:
        raise ConfigurationError(f"{path.name}: the file is empty (no rows to score)")
    return rows


def _columns_of(mapping: TabularMapping) -> set[str]:
    """Return every column a mapping reads."""
    specs = [mapping.id, mapping.occurred_at, mapping.channel, mapping.action]
    if mapping.source is not None:
        specs.append(mapping.source)
    for section in (mapping.identifiers, mapping.traits, mapping.properties):
        for group in section.values():
            specs.extend(group)
    out: set[str] = set()
    for spec in specs:
        if spec.column is not None:
            out.add(spec.column)
        if spec.template is not None:
            out.update(name for _, name, _, _ in _FORMATTER.parse(spec.template) if name)
    return out


def _take_truth(rows: list[Row], column: str, name: str) -> list[str]:
    """Take the truth column off every row; return the labels in row order.

    :raises ConfigurationError: when the column is missing, or a row has no label.
    """
    if not any(column in row for row in rows):
        present = sorted({k for row in rows[:100] for k in row if isinstance(k, str)})
        shown = ", ".join(present[:20]) or "none"
        raise ConfigurationError(
            f"{name}: no column {column!r} (--truth-column); its columns are: {shown}"
        )
    labels: list[str] = []
    for number, row in enumerate(rows, 1):
        label = row.pop(column, None)
        if label is None or (isinstance(label, str) and not label.strip()):
            raise ConfigurationError(
                f"{name}: row {number} has no value in the truth column {column!r}"
            )
        labels.append(str(label).strip() if isinstance(label, str) else json.dumps(label))
    return labels


def _adapter(hub: Hub, rows: list[Row], adapter: str | None, mapping: str | None) -> ChannelAdapter:
    if adapter is not None and adapter != "tabular":
        if mapping is not None:
            raise ConfigurationError("--mapping: only with the tabular adapter (no --adapter)")
        return hub.adapters.get_adapter(adapter)
    if mapping is not None:
        try:
            parsed = TabularMapping.from_file(mapping)
        except ConfigurationError as err:
            raise ConfigurationError(f"{Path(mapping).name}: {err}") from None
    else:
        parsed = TabularMapping.from_dict(default_mapping(rows[0]))
    return TabularAdapter(parsed)


def _region(rows: Iterable[Row]) -> str | None:
    counts = Counter(
        str(row["country"]).strip().upper()
        for row in rows
        if isinstance(row.get("country"), str) and len(row["country"].strip()) == 2
    )
    return counts.most_common(1)[0][0] if counts else None


def run_labelled(
    path: str | Path,
    *,
    truth_column: str | None,
    mapping: str | None = None,
    adapter: str | None = None,
    peers: bool = True,
) -> dict[str, Any]:
    """Score omnicontact's matching on a labelled file; return the figures (JSON-ready).

    :raises ConfigurationError: naming the problem: no truth column given or
        in the file, an empty file, an unknown adapter, a bad mapping, a
        mapping that reads the truth column.
    :raises OSError: when a file cannot be read.
    """
    if not truth_column:
        raise ConfigurationError("--data needs --truth-column (the column of the true person)")
    source = Path(path)
    started = time.perf_counter()
    hub = Hub(load_entry_points=False, future_timestamps="accept")
    if adapter is not None:
        hub.adapters.get_adapter(adapter)  # an unknown adapter fails before reading the file
    rows = _read_rows(source)
    labels = _take_truth(rows, truth_column, source.name)
    reader = _adapter(hub, rows, adapter, mapping)
    if isinstance(reader, TabularAdapter):
        if truth_column in _columns_of(reader.mapping):
            raise ConfigurationError(
                f"mapping reads the truth column {truth_column!r}: the hub must never see it"
            )
        for number, row in enumerate(rows, 1):
            row[ROW] = str(number)
        region = _region(rows)
        if region is not None:
            hub = Hub(load_entry_points=False, future_timestamps="accept", default_region=region)
    truth: dict[str, str] = {}
    records: dict[str, dict[str, str | None]] = {}
    for number, (row, label) in enumerate(zip(rows, labels, strict=True), 1):
        try:
            touchpoints = list(reader.parse(row))
        except (OmnicontactError, ValueError, TypeError, KeyError):
            truth[f"{QUARANTINED}row {number}"] = label
            continue
        for tp in touchpoints:
            truth.setdefault(tp.id, label)
            record = person_record(tp)
            if record is not None:
                records.setdefault(tp.id, record)
    report = hub.ingest(rows, adapter=reader)
    predicted: dict[str, str] = {}
    for contact in hub.contacts():
        for tp_id in contact.touchpoint_ids:
            predicted[tp_id] = contact.contact_id
    scored = {tp: predicted.get(tp, QUARANTINED + tp) for tp in truth}
    scores = score_clustering(scored, truth)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "data": {
            "file": source.name,
            "rows": len(rows),
            "records": len(truth),
            "people": len(set(truth.values())),
            "quarantined": sum(1 for tp in truth if tp not in predicted),
            "reasons": dict(Counter(f"{r.field}: {r.reason}" for r in report.quarantined)),
        },
        "matching": scores.as_dict() | {"contacts": len(set(predicted.values()))},
        "seconds": seconds,
        "peers": {},
    }
    if peers:
        result["peers"] = compare_with_splink(records, scored, truth, seconds)
    return result
