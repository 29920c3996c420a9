"""Printing contacts, and the commands about one contact: show, explain, review, export, erase."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from typing import Any, TextIO

import attrs

from omnicontact._frozen import thaw
from omnicontact._profile import lifecycle_json, print_lifecycle
from omnicontact.cli.files import _hub, _loaded
from omnicontact.errors import ConfigurationError, OmnicontactError
from omnicontact.hub import Hub
from omnicontact.model import Contact, Identifier

__all__ = [
    "_as_of",
    "_cmd_erase",
    "_cmd_explain",
    "_cmd_export",
    "_cmd_review",
    "_cmd_show",
    "_contact_json",
    "_plural",
    "_print_contact",
]


def _contact_json(contact: Contact, *, timeline: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contact_id": contact.contact_id,
        "identified": contact.identified,
        "identifiers": _grouped(contact.identifiers),
        "traits": thaw(contact.traits),
        "first_seen": contact.first_seen.isoformat(),
        "last_seen": contact.last_seen.isoformat(),
        "channels": list(contact.channels),
        "touchpoints": len(contact.timeline),
    }
    if timeline:
        out["timeline"] = [tp.to_mapping() for tp in contact.timeline]
    else:
        out["touchpoint_ids"] = list(contact.touchpoint_ids)
    return out


def _grouped(identifiers: Sequence[Identifier]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for ident in identifiers:
        if ident.kind not in ("email_sha256", "phone_sha256"):
            grouped.setdefault(ident.kind, []).append(ident.value)
    return grouped


def _print_contact(contact: Contact, out: TextIO, *, timeline: bool) -> None:
    traits = contact.traits
    name = " ".join(str(traits[k]) for k in ("first_name", "last_name") if k in traits)
    place = ", ".join(str(traits[k]) for k in ("city", "country") if k in traits)
    label = name or ("identified" if contact.identified else "anonymous")
    if place:
        label += f" ({place})"
    out.write(
        f"{contact.contact_id}  {label}\n"
        f"  {_plural(len(contact.timeline), 'touchpoint')}, {contact.first_seen:%Y-%m-%d} to "
        f"{contact.last_seen:%Y-%m-%d}, channels: {', '.join(contact.channels)}\n"
    )
    for kind, values in _grouped(contact.identifiers).items():
        out.write(f"  {kind}: {', '.join(values)}\n")
    if timeline:
        _print_timeline(contact, out)


def _print_timeline(contact: Contact, out: TextIO) -> None:
    for case in contact.cases:
        state = "open" if case.is_open else "closed"
        what = f"{case.category}, " if case.category else ""
        out.write(
            f"  case {case.case_id}: {what}{case.status} ({state}), "
            f"{' > '.join(case.channels)}, {_plural(len(case.touchpoint_ids), 'touchpoint')}\n"
        )
    out.write("  timeline:\n")
    for tp in contact.timeline:
        when = f"{tp.occurred_at:%Y-%m-%d %H:%M}Z"
        out.write(f"    {when}  {tp.channel:<12} {tp.action:<20} {tp.id}\n")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _parse_ref(text: str) -> Identifier | str:
    kind, sep, value = text.partition("=")
    return Identifier(kind, value) if sep else text


def _as_of(text: str | None) -> datetime | None:
    """Read ``--as-of``: an ISO 8601 date or time; a date means the end of that day (UTC)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError("--as-of: must be an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        return _show(hub, args, out)


def _show(hub: Hub, args: argparse.Namespace, out: TextIO) -> int:
    contact = hub.contact_of(args.ref) if args.touchpoint else hub.contact(_parse_ref(args.ref))
    as_of = _as_of(args.as_of)
    if args.json:
        data = _contact_json(contact, timeline=True)
        data.update(lifecycle_json(contact, as_of))
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_contact(contact, out, timeline=False)
        print_lifecycle(contact, out, as_of)
        _print_timeline(contact, out)
    return 0


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        return _explain(hub, args, out)


def _explain(hub: Hub, args: argparse.Namespace, out: TextIO) -> int:
    ref = hub.contact_of(args.ref) if args.touchpoint else _parse_ref(args.ref)
    explanation = hub.explain(ref)
    if args.json:
        payload = explanation.as_dict(reveal=args.reveal)
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(explanation.render(reveal=args.reveal) + "\n")
    return 0


def _cmd_review(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        return _review(hub, args, out)


def _review(hub: Hub, args: argparse.Namespace, out: TextIO) -> int:
    items = hub.review_queue()
    if args.json:
        rows = [
            {
                "touchpoint_id": item.touchpoint_id,
                "other_touchpoint_id": item.other_touchpoint_id,
                "contact_id": item.contact_id,
                "other_contact_id": item.other_contact_id,
                "rule": item.evidence.rule,
                "probability": item.probability,
                "weight": item.evidence.weight,
                "parts": [
                    {"field": p.field, "level": p.level, "weight": p.weight}
                    for p in item.evidence.parts
                ],
            }
            for item in items
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    out.write(f"{_plural(len(items), 'pair')} to review\n")
    for item in items:
        out.write(
            f"\n{item.touchpoint_id} ({item.contact_id}) ~ {item.other_touchpoint_id}"
            f" ({item.other_contact_id}): {item.evidence.rule}, p={item.probability:.3f}\n"
        )
        for part in item.evidence.parts:
            if part.level != "null":
                out.write(f"    {part.field}: {part.level} ({part.weight:+.1f})\n")
    return 0


def _cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        contact = hub.contact_of(args.ref) if args.touchpoint else hub.contact(_parse_ref(args.ref))
        document = hub.export(contact)
    out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_erase(args: argparse.Namespace, out: TextIO) -> int:
    if not os.path.exists(args.db):
        raise OmnicontactError(f"{args.db}: no such database (nothing to erase)")
    with _hub(args) as hub:
        contact = hub.contact_of(args.ref) if args.touchpoint else hub.contact(_parse_ref(args.ref))
        done = hub.erase(contact)
    if args.json:
        out.write(json.dumps(attrs.asdict(done)) + "\n")
        return 0
    out.write(
        f"erased {_plural(done.touchpoints, 'touchpoint')} of one contact; "
        f"{done.suppressed} suppression entries keep it from coming back "
        f"({done.shared} identifiers shared with other contacts left off); "
        f"{done.quarantined} quarantined records and {done.audit_entries} audit entries "
        "cleaned\n"
    )
    return 0
