"""The ``omnicontact`` command: a thin shell over the library.

``omnicontact ingest [FILE ...]`` reads touchpoints in omnicontact's JSON
Lines form (the bundled sample journeys when no file is given) into the
database (``contacts.db`` by default, ``--db PATH``, or ``--memory``) and
prints the unified contacts; ``omnicontact show REF`` prints one contact in
full; ``explain`` and ``review`` show the evidence; ``check`` compares the
database with a replay of its log; ``plugins`` lists the loaded plug-ins.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timezone
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import attrs

from omnicontact._frozen import thaw
from omnicontact._profile import lifecycle_json, print_lifecycle
from omnicontact._version import __version__
from omnicontact.adapters.base import ChannelAdapter
from omnicontact.adapters.tabular import TabularAdapter, TabularMapping, numbered_csv_rows
from omnicontact.errors import ConfigurationError, OmnicontactError
from omnicontact.hub import Hub
from omnicontact.ingest import IngestReport, Rejection
from omnicontact.model import Contact, Identifier
from omnicontact.persistence import StoreCheck
from omnicontact.sources import SourceSet, is_source_set

__all__ = ["main"]

_SAMPLE = "journeys"
DEFAULT_DB = "contacts.db"
"""The database file the commands use unless told otherwise (or ``$OMNICONTACT_DB``)."""


def sample_path() -> Path:
    """Return the folder of the bundled sample journeys (``examples/journeys/``).

    It is a source set: each channel's export with the adapter that reads it.
    """
    bundled = resources.files("omnicontact") / "_data" / _SAMPLE
    if bundled.is_dir():
        return Path(str(bundled))
    checkout = Path(__file__).resolve().parents[2] / "examples" / _SAMPLE
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("the sample journeys are not installed; pass a file")


def _records(
    paths: Sequence[str], max_line: int = 1 << 22
) -> Iterator[tuple[str, int, Any]]:
    """Yield ``(file, line number, parsed record or a Rejection-worthy error)``.

    ``.csv`` files are read as rows of header to cell; anything else as JSON
    Lines, a line at most *max_line* characters at a time: a longer line is
    skipped in pieces (memory stays bounded) and reported, never parsed.
    """
    for name in paths:
        stream: TextIO
        if name == "-":
            stream = sys.stdin
            yield from _lines("<stdin>", stream, max_line)
        elif name.lower().endswith(".csv"):
            for number, row in numbered_csv_rows(name):
                yield name, number, row
        else:
            with open(name, encoding="utf-8", errors="surrogateescape") as stream:
                yield from _lines(name, stream, max_line)


def _lines(name: str, stream: TextIO, max_line: int) -> Iterator[tuple[str, int, Any]]:
    number = 0
    while True:
        line = stream.readline(max_line + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # skip the rest, a piece at a time
                line = stream.readline(max_line + 1)
            reason = f"is longer than {max_line} characters"
            yield name, number, _BadLine("", "InvalidTouchpointError", reason)
            continue
        if not line.strip():
            continue
        if any("\udc80" <= ch <= "\udcff" for ch in line):
            yield name, number, _BadLine("", "UnicodeDecodeError", "is not valid UTF-8")
            continue
        try:
            yield name, number, json.loads(line)
        except json.JSONDecodeError:
            yield name, number, _BadLine(line, "JSONDecodeError", "is not valid JSON")


class _BadLine:
    __slots__ = ("error", "reason", "text")

    def __init__(self, text: str, error: str, reason: str) -> None:
        self.text = text
        self.error = error
        self.reason = reason


@attrs.frozen
class _FileReport:
    name: str
    reader: str
    report: IngestReport


def _plan(
    hub: Hub, paths: Sequence[str], adapter: str | ChannelAdapter
) -> list[tuple[str, str | ChannelAdapter, str]]:
    """Return ``(file, adapter, adapter name)`` for each file, source sets expanded.

    Every adapter is looked up first, so that a wrong name stops the command
    before anything is ingested.
    """
    plan: list[tuple[str, str | ChannelAdapter, str]] = []
    for name in paths:
        if name != "-" and is_source_set(name):
            for source in SourceSet.from_path(name).sources:
                plan.append((str(source.path), source.reader, source.reader_name))
        else:
            label = adapter if isinstance(adapter, str) else getattr(adapter, "name", "tabular")
            plan.append((name, adapter, label))
    for name, reader, _ in plan:
        if isinstance(reader, str) and reader not in hub.adapters:
            raise ConfigurationError(
                f"{name}: no channel adapter is named {reader!r} "
                f"(known: {', '.join(sorted(hub.adapters))})"
            )
    return plan


def _load(
    hub: Hub,
    paths: Sequence[str],
    adapter: str | ChannelAdapter = "omnicontact",
    progress: TextIO | None = None,
) -> tuple[IngestReport, list[tuple[str, int, Rejection]], list[_FileReport]]:
    """Ingest JSON Lines or CSV files and source sets.

    Return the report, where each rejection came from, and each file's report.
    With *progress*, a line counting what was committed so far is rewritten
    there after each chunk.
    """
    report = IngestReport()
    where: list[tuple[str, int, Rejection]] = []
    files: list[_FileReport] = []
    batch: list[Any] = []
    origin: list[tuple[str, int]] = []

    def flush(reader: str | ChannelAdapter) -> IngestReport:
        nonlocal report
        if not batch:
            return IngestReport()
        done = report

        def show(so_far: IngestReport) -> None:
            if progress is not None:
                now = done + so_far
                progress.write(
                    f"\r{now.total:,} records: {now.accepted:,} accepted, "
                    f"{now.duplicates:,} duplicates, {len(now.quarantined):,} quarantined"
                )
                progress.flush()

        part = hub.ingest(batch, adapter=reader, progress=show)
        report += part
        where.extend((*origin[r.position], r) for r in part.quarantined)
        batch.clear()
        origin.clear()
        return part

    for name, reader, label in _plan(hub, paths, adapter):
        mine = IngestReport()
        for _, number, record in _records([name], max(hub.limits.max_bytes, 1 << 16)):
            if isinstance(record, _BadLine):
                rejection = Rejection(number, record.text, record.error, "line", record.reason)
                report += IngestReport(quarantined=(rejection,))
                mine += IngestReport(quarantined=(rejection,))
                where.append((name, number, rejection))
                continue
            batch.append(record)
            origin.append((name, number))
            if len(batch) >= 10_000:
                mine += flush(reader)
        mine += flush(reader)
        files.append(_FileReport(name, label, mine))
    return report, where, files


def _hub(args: argparse.Namespace, *, create: bool = True) -> Hub:
    """Open the database the arguments name, or an in-memory hub.

    With ``create=False`` and no database file yet, the hub is in memory (a
    read-only command does not leave a file behind).
    """
    options: dict[str, Any] = {
        "default_region": args.region,
        "default_timezone": args.timezone,
        "dayfirst": args.dayfirst,
        "load_entry_points": False if args.no_plugins else None,
    }
    if args.memory or (not create and not os.path.exists(args.db)):
        return Hub(**options)
    return Hub.open(args.db, **options)


def _loaded(args: argparse.Namespace) -> Hub:
    """Return the hub of a reading command, with its files ingested first.

    Without files it reads the database; when there is none yet, the sample
    in memory.
    """
    if args.files:
        hub = _hub(args)
        _load(hub, args.files)
        return hub
    hub = _hub(args, create=False)
    if not hub.stats().touchpoints:
        _load(hub, [str(sample_path())])
    return hub


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


def _suppressed(report: IngestReport) -> str:
    return f", {report.suppressed} suppressed (erased people)" if report.suppressed else ""


def _print_report(
    report: IngestReport,
    where: list[tuple[str, int, Rejection]],
    files: list[_FileReport],
    out: TextIO,
) -> None:
    out.write(
        f"ingested {report.total} records: {report.accepted} accepted, "
        f"{report.duplicates} duplicates, {len(report.quarantined)} quarantined"
        f"{_suppressed(report)}\n"
    )
    if len(files) > 1:
        width = max(len(Path(f.name).name) for f in files)
        for f in files:
            part = f.report
            out.write(
                f"  {Path(f.name).name:<{width}}  {f.reader:<12} {part.total:>6} records: "
                f"{part.accepted} accepted, {part.duplicates} duplicates, "
                f"{len(part.quarantined)} quarantined{_suppressed(part)}\n"
            )
    for name, number, rejection in where:
        out.write(f"  quarantined {name}:{number}: {rejection.field}: {rejection.reason}\n")


def _cmd_ingest(args: argparse.Namespace, out: TextIO) -> int:
    adapter: str | ChannelAdapter = args.adapter or "omnicontact"
    if args.mapping is not None:
        if args.adapter not in (None, "tabular"):
            raise OmnicontactError("--mapping is for --adapter tabular")
        adapter = TabularAdapter(TabularMapping.from_file(args.mapping))
    elif adapter == "tabular":
        raise OmnicontactError("--adapter tabular needs --mapping FILE")
    with _hub(args) as hub:
        return _ingest(hub, args, out, adapter)


def _ingest(
    hub: Hub, args: argparse.Namespace, out: TextIO, adapter: str | ChannelAdapter
) -> int:
    wanted = args.progress if args.progress is not None else sys.stderr.isatty()
    shown = sys.stderr if wanted else None
    report, where, files = _load(hub, args.files or [str(sample_path())], adapter, shown)
    if shown is not None:
        shown.write("\n")
    contacts = list(hub.contacts())
    if args.json:
        for contact in contacts:
            out.write(json.dumps(_contact_json(contact, timeline=False), ensure_ascii=False) + "\n")
        for name, number, rejection in where:
            out.write(
                json.dumps(
                    {
                        "quarantined": f"{name}:{number}",
                        "field": rejection.field,
                        "reason": rejection.reason,
                    }
                )
                + "\n"
            )
        return 0
    _print_report(report, where, files, out)
    identified = sum(c.identified for c in contacts)
    out.write(
        f"{len(contacts)} contacts ({identified} identified, "
        f"{len(contacts) - identified} anonymous)\n\n"
    )
    for contact in contacts:
        _print_contact(contact, out, timeline=False)
    return 0


def _parse_ref(text: str) -> Identifier | str:
    kind, sep, value = text.partition("=")
    return Identifier(kind, value) if sep else text


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


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        return _report(hub, args, out)


def _report(hub: Hub, args: argparse.Namespace, out: TextIO) -> int:
    from omnicontact.analytics.report import build_report, render_html, render_text

    as_of = _as_of(args.as_of) or hub.now()
    report = build_report(hub, as_of=as_of, track=args.track, conversion=args.conversion)
    if args.json:
        data = {
            "as_of": report.as_of.isoformat(),
            "track": report.track,
            "contacts": report.contacts,
            "identified": report.identified,
            "touchpoints": report.touchpoints,
            "channels": list(report.channels),
        }
        for name in ("funnel", "flows", "counts", "attribution", "attribution_value", "paths"):
            data[name] = json.loads(getattr(report, name).to_json())
        data["kpis"] = json.loads(report.kpis.to_json())
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(report))
    if args.html:
        Path(args.html).write_text(render_html(report), encoding="utf-8")
        if not args.json:
            out.write(f"\nHTML report written to {args.html}\n")
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


def _cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        contact = hub.contact_of(args.ref) if args.touchpoint else hub.contact(_parse_ref(args.ref))
        document = hub.export(contact)
    out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
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


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    if not os.path.exists(args.db):
        raise FileNotFoundError(f"no database at {args.db}")
    with _hub(args) as hub:
        found = hub.check()
        repaired = False
        if not found.ok and args.repair and found.integrity == "ok":
            hub.rebuild()
            repaired, found = True, hub.check()
    if args.json:
        payload = {
            "ok": found.ok,
            "touchpoints": found.touchpoints,
            "contacts": found.contacts,
            "integrity": found.integrity,
            "differences": list(found.differences),
            "repaired": repaired,
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        _print_check(found, repaired, out)
    return 0 if found.ok else 1


def _print_check(found: StoreCheck, repaired: bool, out: TextIO) -> None:
    out.write(
        f"{_plural(found.touchpoints, 'touchpoint')}, {_plural(found.contacts, 'contact')}\n"
        f"integrity: {found.integrity}\n"
    )
    if repaired:
        out.write("projections rebuilt from the log\n")
    for difference in found.differences:
        out.write(f"differs: {difference}\n")
    if found.ok:
        out.write("projections equal a replay of the log\n")
    elif found.integrity == "ok":
        out.write("run `omnicontact check --repair` to rebuild the projections\n")


def _cmd_plugins(args: argparse.Namespace, out: TextIO) -> int:
    hub = Hub(load_entry_points=False if args.no_plugins else None)
    kinds_by_plugin: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for name, (kind, plugin) in hub.kinds.as_mapping().items():
        kinds_by_plugin.setdefault(plugin, []).append(
            f"{name}{':<qualifier>' if kind.qualified else ''} ({kind.strength.value})"
        )
        descriptions[name] = kind.description
    contributed: dict[str, dict[str, list[str]]] = {}
    for hook, label in (
        ("register_matching_rules", "rules"),
        ("register_merge_guards", "guards"),
        ("register_stage_models", "models"),
        ("register_scoring_strategies", "strategies"),
    ):
        for plugin, item in hub.plugins.collect(hook, config=hub.matching):
            contributed.setdefault(plugin, {}).setdefault(label, []).append(item.name)
    rows: list[dict[str, Any]] = []
    for info in hub.plugins.info():
        rows.append(
            {
                "name": info.name,
                "builtin": info.builtin,
                "distribution": info.distribution,
                "version": info.version,
                "hooks": list(info.hooks),
                "identifier_kinds": kinds_by_plugin.get(info.name, []),
                "matching_rules": contributed.get(info.name, {}).get("rules", []),
                "merge_guards": contributed.get(info.name, {}).get("guards", []),
                "stage_models": contributed.get(info.name, {}).get("models", []),
                "scoring_strategies": contributed.get(info.name, {}).get("strategies", []),
                "channel_adapters": sorted(
                    name for name in hub.adapters if hub.adapters.plugin_of(name) == info.name
                ),
            }
        )
    if args.json:
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    for row in rows:
        origin = "built-in" if row["builtin"] else f"{row['distribution']} {row['version']}"
        out.write(f"{row['name']}  ({origin})\n  hooks: {', '.join(row['hooks'])}\n")
        for kind in row["identifier_kinds"]:
            name = kind.split(":")[0].split(" ")[0]
            out.write(f"  identifier kind {kind}: {descriptions[name]}\n")
        if row["matching_rules"]:
            out.write(f"  matching rules: {', '.join(row['matching_rules'])}\n")
        if row["stage_models"]:
            out.write(f"  stage models: {', '.join(row['stage_models'])}\n")
        if row["scoring_strategies"]:
            out.write(f"  scoring strategies: {', '.join(row['scoring_strategies'])}\n")
        if row["merge_guards"]:
            out.write(f"  merge guards: {', '.join(row['merge_guards'])}\n")
        for name in row["channel_adapters"]:
            out.write(f"  channel adapter {name}: {hub.adapters[name].description}\n")
    return 0


_FILES_HELP = (
    "JSON Lines files to ingest first; default: read the database (the sample when there is none)"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``omnicontact`` command."""
    parser = argparse.ArgumentParser(
        prog="omnicontact", description="One unified view of each contact across every channel."
    )
    parser.add_argument("--version", action="version", version=f"omnicontact {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--no-plugins", action="store_true", help="do not load installed plug-ins")

    def database(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            default=os.environ.get("OMNICONTACT_DB", DEFAULT_DB),
            help=f"the SQLite database file (default: $OMNICONTACT_DB or {DEFAULT_DB})",
        )

    def hub_options(p: argparse.ArgumentParser) -> None:
        database(p)
        p.add_argument("--memory", action="store_true", help="use no database file")
        p.add_argument("--region", help="default region for national phone numbers (e.g. FR)")
        p.add_argument("--timezone", default="UTC", help="time zone of naive timestamps")
        p.add_argument("--dayfirst", action="store_true", help="read 01/02 as 1 February")

    p_ingest = sub.add_parser(
        "ingest", help="ingest JSON Lines touchpoints into the database and print the contacts"
    )
    p_ingest.add_argument(
        "files", nargs="*", help="JSON Lines files ('-' for stdin); default: the sample"
    )
    p_ingest.add_argument(
        "--adapter", help="the channel adapter that reads the files (default: omnicontact)"
    )
    p_ingest.add_argument(
        "--mapping", help="a JSON mapping of columns for the tabular adapter (CSV or JSONL rows)"
    )
    p_ingest.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    common(p_ingest)
    hub_options(p_ingest)
    p_ingest.set_defaults(run=_cmd_ingest)

    p_show = sub.add_parser("show", help="ingest, then print one contact with its timeline")
    p_show.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_show.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    p_show.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    p_show.add_argument(
        "--as-of",
        help="stages and scores as of this date or time (ISO 8601; a date is its end, UTC);"
        " default: now",
    )
    common(p_show)
    hub_options(p_show)
    p_show.set_defaults(run=_cmd_show)

    p_explain = sub.add_parser(
        "explain", help="ingest, then print why one contact is made of what it holds"
    )
    p_explain.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_explain.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    p_explain.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    p_explain.add_argument(
        "--reveal", action="store_true", help="show identifier values in full (masked by default)"
    )
    common(p_explain)
    hub_options(p_explain)
    p_explain.set_defaults(run=_cmd_explain)

    p_review = sub.add_parser("review", help="ingest, then list the doubtful pairs to review")
    p_review.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    common(p_review)
    hub_options(p_review)
    p_review.set_defaults(run=_cmd_review)

    p_report = sub.add_parser(
        "report",
        help="ingest, then summarize journeys: stage funnel, flows, attribution, KPIs",
    )
    p_report.add_argument("files", nargs="*", help=_FILES_HELP)
    p_report.add_argument("--html", help="also write the report as one self-contained HTML file")
    p_report.add_argument(
        "--as-of", help="the report's date (ISO 8601; a date is its end, UTC); default: now"
    )
    p_report.add_argument(
        "--track", default="extended_crm", help="the stage model of the funnel (extended_crm)"
    )
    p_report.add_argument(
        "--conversion", default="purchase", help="the action that converts (purchase)"
    )
    common(p_report)
    hub_options(p_report)
    p_report.set_defaults(run=_cmd_report)

    p_erase = sub.add_parser(
        "erase", help="erase one person from the database, for good (right to erasure)"
    )
    p_erase.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_erase.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    common(p_erase)
    hub_options(p_erase)
    p_erase.set_defaults(run=_cmd_erase, files=[])

    p_export = sub.add_parser(
        "export", help="print everything known about one person as JSON (portability)"
    )
    p_export.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_export.add_argument("files", nargs="*", help=_FILES_HELP)
    p_export.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    common(p_export)
    hub_options(p_export)
    p_export.set_defaults(run=_cmd_export)

    p_check = sub.add_parser(
        "check", help="check the database file and compare its projections with a replay"
    )
    database(p_check)
    p_check.add_argument(
        "--repair", action="store_true", help="rebuild the projections when they differ"
    )
    common(p_check)
    p_check.set_defaults(run=_cmd_check, region=None, timezone="UTC", dayfirst=False, memory=False)

    p_plugins = sub.add_parser("plugins", help="list loaded plug-ins, their versions and hooks")
    common(p_plugins)
    p_plugins.set_defaults(run=_cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 error, 2 usage)."""
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        status: int = args.run(args, stream)
    except BrokenPipeError:  # the reader (| head) went away: not an error
        sys.stderr.close()
        return 0
    except (OmnicontactError, OSError) as err:
        sys.stderr.write(f"omnicontact: error: {err}\n")
        return 1
    return status
