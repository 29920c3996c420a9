"""The ``ingest`` command: read files into the database, report, print the contacts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from omnicontact.adapters.base import ChannelAdapter
from omnicontact.adapters.tabular import TabularAdapter, TabularMapping
from omnicontact.cli.files import _FileReport, _hub, _load, sample_path
from omnicontact.cli.show import _contact_json, _print_contact
from omnicontact.errors import OmnicontactError
from omnicontact.hub import Hub
from omnicontact.ingest import IngestReport, Rejection

__all__ = ["_cmd_ingest"]


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
