"""How records are written as text in a persistent store, and read back.

Touchpoints are stored in omnicontact's JSON form (:meth:`Touchpoint.to_mapping`),
readable by any tool; reading them back skips validation, since only
normalized touchpoints are ever written.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from omnicontact._frozen import EMPTY, FrozenMap, freeze_object
from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Identifier, Touchpoint

__all__ = [
    "decode_audit",
    "decode_record",
    "decode_touchpoint",
    "encode_audit",
    "encode_record",
    "encode_touchpoint",
]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _frozen_as_dict(value: object) -> dict[str, Any]:
    if isinstance(value, FrozenMap):
        return value._data  # read-only use: the encoder only reads it
    raise TypeError(f"{type(value).__name__} is not a JSON value")


_ENCODE = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_frozen_as_dict
).encode


def encode_touchpoint(touchpoint: Touchpoint) -> str:
    """Return a normalized touchpoint as canonical JSON text (sorted keys, no spaces).

    The text of :meth:`Touchpoint.to_mapping`, written without copying the
    frozen traits and properties first.
    """
    out: dict[str, Any] = {
        "id": touchpoint.id,
        "occurred_at": touchpoint.occurred_at.isoformat(),
        "channel": touchpoint.channel,
        "action": touchpoint.action,
    }
    if touchpoint.identifiers:
        grouped: dict[str, Any] = {}
        for ident in touchpoint.identifiers:
            found = grouped.get(ident.kind)
            if found is None:
                grouped[ident.kind] = ident.value
            elif isinstance(found, list):
                found.append(ident.value)
            else:
                grouped[ident.kind] = [found, ident.value]
        out["identifiers"] = grouped
    if touchpoint.traits:
        out["traits"] = touchpoint.traits
    if touchpoint.properties:
        out["properties"] = touchpoint.properties
    if touchpoint.source is not None:
        out["source"] = touchpoint.source
    received = touchpoint.received_at
    if received is not None:
        # A batch stamps one received_at on all its touchpoints: format it once.
        global _last_received
        last = _last_received  # one read: another thread may replace it meanwhile
        if last[0] is not received:
            last = _last_received = (received, received.isoformat())
        out["received_at"] = last[1]
    return _ENCODE(out)


_last_received: tuple[datetime | None, str] = (None, "")


def decode_touchpoint(text: str) -> Touchpoint:
    """Return the touchpoint :func:`encode_touchpoint` wrote, equal to the one given it."""
    data = json.loads(text)
    identifiers: list[Identifier] = []
    for kind, values in data.get("identifiers", {}).items():
        if isinstance(values, list):
            identifiers.extend(Identifier(kind, v) for v in values)
        else:
            identifiers.append(Identifier(kind, values))
    identifiers.sort(key=Identifier.sort_key)
    traits = data.get("traits")
    properties = data.get("properties")
    received = data.get("received_at")
    return Touchpoint._trusted(
        id=data["id"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        channel=data["channel"],
        action=data["action"],
        identifiers=tuple(identifiers),
        traits=freeze_object(traits) if traits else EMPTY,
        properties=freeze_object(properties) if properties else EMPTY,
        source=data.get("source"),
        received_at=None if received is None else datetime.fromisoformat(received),
    )


def encode_record(rejection: Rejection) -> tuple[str, str]:
    """Return ``(form, text)`` for a quarantined record: ``touchpoint``, ``json`` or ``text``.

    A mapping holding values JSON cannot represent (a ``datetime``) is kept
    with those values as text.
    """
    record = rejection.record
    if isinstance(record, Touchpoint):
        return "touchpoint", _dumps(record.to_mapping())
    if isinstance(record, str):
        return "text", record
    if hasattr(record, "text") and isinstance(record.text, str):  # a line that was not JSON
        return "text", record.text
    try:
        return "json", json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        pass
    except RecursionError:  # nested beyond any limit: its reason says so
        return "text", "(a record nested too deeply to store)"
    try:
        return "text", str(record)
    except RecursionError:
        return "text", "(a record nested too deeply to store)"


def decode_record(form: str, text: str) -> Any:
    """Return the quarantined record :func:`encode_record` wrote."""
    if form == "touchpoint":
        return Touchpoint.from_mapping(json.loads(text))
    if form == "json":
        return json.loads(text)
    return text


def encode_audit(entry: AuditEntry) -> str:
    """Return an audit entry as JSON text."""
    return _dumps(entry.as_dict())


def decode_audit(text: str) -> AuditEntry:
    """Return the audit entry :func:`encode_audit` wrote."""
    data = json.loads(text)
    return AuditEntry(
        at=datetime.fromisoformat(data["at"]),
        action=data["action"],
        contact_id=data["contact_id"],
        other_ids=tuple(data["other_ids"]),
        rules=tuple(data["rules"]),
        cause=data["cause"],
        touchpoint_ids=tuple(data["touchpoint_ids"]),
        evidence=tuple(data["evidence"]),
    )
