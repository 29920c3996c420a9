"""The files a command reads: JSON Lines and CSV, source sets, the sample, the database.

Records are read a bounded line at a time; a line that cannot be parsed is
reported where it is, never ingested. Source sets are expanded into their
files, each with the adapter that reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import attrs

from omnicontact.adapters.base import ChannelAdapter
from omnicontact.adapters.tabular import numbered_csv_rows
from omnicontact.errors import ConfigurationError
from omnicontact.hub import Hub
from omnicontact.ingest import IngestReport, Rejection
from omnicontact.sources import SourceSet, is_source_set

__all__ = [
    "_BadLine",
    "_FileReport",
    "_hub",
    "_load",
    "_loaded",
    "_records",
    "sample_path",
]

_SAMPLE = "journeys"


def sample_path() -> Path:
    """Return the folder of the bundled sample journeys (``examples/journeys/``).

    It is a source set: each channel's export with the adapter that reads it.
    """
    bundled = resources.files("omnicontact") / "_data" / _SAMPLE
    if bundled.is_dir():
        return Path(str(bundled))
    checkout = Path(__file__).resolve().parents[3] / "examples" / _SAMPLE
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
