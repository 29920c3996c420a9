"""Segment JSONL end to end: read the file, parse with the adapter, normalize, resolve.

The stream of ``bench_stitching.py`` (``_common.generate_population``) is
written as Segment Spec events, one JSON object a line, to a temporary file:

- a touchpoint with only a cookie or a device id becomes a ``page`` (web) or
  ``screen`` (app) event on that ``anonymousId`` / ``context.device.id``;
- a sign-up becomes an ``identify`` carrying the e-mail and phone as traits,
  the customer id as ``userId`` and the names as traits;
- anything else becomes a ``track`` event named after its action
  (``Order Completed`` for purchases), with the identifiers as
  ``context.traits`` and ``userId``.

Each size then runs in a fresh child process, one thread, in memory:
``Hub.ingest((json.loads(line) for line in file), adapter="segment")``, a
generator, so the file is never held in memory. The run prints events/s,
peak RSS, and the split of the time: JSON decoding, the adapter's ``parse``,
and the rest (normalizing and resolving). The same events as ready-made
``Touchpoint`` objects through ``add_many`` show what the adapter and the JSON
cost on top of it.

Target (issue 4): >= 30,000 events/s on one core, in memory.

Re-run::

    python benchmarks/bench_segment.py                 # 100k and 1M events
    python benchmarks/bench_segment.py --sizes 100000
    python benchmarks/bench_segment.py --quick         # 20k
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    RESULT_MARK,
    child_result,
    command_line,
    generate_population,
    machine_info,
    peak_rss_mb,
    print_header,
    source_revision,
    verdict,
    write_results,
)

from omnicontact import Hub, Touchpoint
from omnicontact.adapters.segment import SegmentAdapter

TARGET = 30_000
REVISION = source_revision()


def to_segment(tp: Touchpoint) -> dict[str, Any]:
    """Return the Segment event a source would have sent for this touchpoint."""
    by_kind: dict[str, str] = {}
    for ident in tp.identifiers:
        by_kind.setdefault(ident.kind, ident.value)
    event: dict[str, Any] = {
        "messageId": tp.id,
        "timestamp": tp.occurred_at.isoformat(),
        "context": {"channel": "mobile" if tp.channel == "app" else "web"},
    }
    traits: dict[str, Any] = {}
    if "email" in by_kind:
        traits["email"] = by_kind["email"]
    if "phone" in by_kind:
        traits["phone"] = by_kind["phone"]
    for name in ("first_name", "last_name"):
        if name in tp.traits:
            traits[name] = tp.traits[name]
    if "country" in tp.traits:
        traits["address"] = {"country": tp.traits["country"]}
    if "customer_id" in by_kind:
        event["userId"] = by_kind["customer_id"]
    if "cookie_id" in by_kind:
        event["anonymousId"] = by_kind["cookie_id"]
    if "device_id" in by_kind:
        event["context"]["device"] = {"id": by_kind["device_id"]}
        event.setdefault("anonymousId", by_kind["device_id"])
    if "loyalty_id" in by_kind:
        traits["loyalty_id"] = by_kind["loyalty_id"]
    if "locale" in tp.properties:
        event["context"]["locale"] = tp.properties["locale"]
    if "userId" not in event and "anonymousId" not in event:
        event["anonymousId"] = f"anon-{tp.id}"
    if tp.action in ("page_view", "screen_view"):
        event["type"] = "page" if tp.action == "page_view" else "screen"
        event["properties"] = dict(tp.properties)
    elif tp.action == "signup":
        event["type"] = "identify"
        event["traits"] = traits
        return event
    else:
        event["type"] = "track"
        event["event"] = "Order Completed" if tp.action == "purchase" else tp.action
        event["properties"] = dict(tp.properties)
    if traits:
        event["context"]["traits"] = traits
    return event


def write_file(size: int, seed: int, folder: Path) -> tuple[Path, int]:
    population = generate_population(size, seed)
    path = folder / f"segment-{size}.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for tp in population.touchpoints:
            out.write(json.dumps(to_segment(tp)) + "\n")
    return path, population.people


def phase_ingest(path: Path) -> dict[str, Any]:
    """Time the whole pipeline, then its parts, in this (fresh) process."""
    with open(path, encoding="utf-8") as stream:
        lines = sum(1 for _ in stream)
    hub = Hub(load_entry_points=False, default_region="FR")
    gc.collect()
    start = time.perf_counter()
    cpu = time.process_time()
    with open(path, encoding="utf-8") as stream:
        report = hub.ingest((json.loads(line) for line in stream), adapter="segment")
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    rss = peak_rss_mb()
    # The parts, each alone over the same file.
    start = time.perf_counter()
    with open(path, encoding="utf-8") as stream:
        events = [json.loads(line) for line in stream]
    decode_s = time.perf_counter() - start
    adapter = SegmentAdapter()
    start = time.perf_counter()
    touchpoints = [tp for event in events for tp in adapter.parse(event)]
    parse_s = time.perf_counter() - start
    del events
    bare = Hub(load_entry_points=False, default_region="FR")
    gc.collect()
    start = time.perf_counter()
    bare.add_many(touchpoints)
    add_many_s = time.perf_counter() - start
    return {
        "events": lines,
        "accepted": report.accepted,
        "quarantined": len(report.quarantined),
        "contacts": hub.stats().contacts,
        "ingest_s": wall,
        "ingest_cpu_s": cpu,
        "events_per_s": lines / wall,
        "peak_rss_mb": rss,
        "decode_s": decode_s,
        "parse_s": parse_s,
        "add_many_s": add_many_s,
        "reasons": sorted({f"{r.field}: {r.reason}" for r in report.quarantined})[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="one small size: 20,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "ingest":
        print(RESULT_MARK + json.dumps(phase_ingest(args.file)))
        return
    sizes = [20_000] if args.quick else args.sizes
    info = machine_info()
    print_header("omnicontact: Segment JSONL end to end (in memory)", info)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-segment-") as folder:
        for size in sizes:
            path, people = write_file(size, args.seed, Path(folder))
            cmd = [sys.executable, __file__, "--phase", "ingest", "--file", str(path)]
            result = child_result(cmd, "ingest", size)
            result.update(size=size, people=people, file_mb=os.path.getsize(path) / 2**20)
            runs.append(result)
            os.remove(path)
    for r in runs:
        rest = r["ingest_s"] - r["decode_s"] - r["parse_s"]
        print(
            f"--- {r['events']:,} events ({r['people']:,} people, "
            f"{r['file_mb']:.0f} MiB of JSONL)\n"
            f"end to end           {r['events_per_s']:,.0f} events/s ({r['ingest_s']:.2f} s wall, "
            f"{r['ingest_cpu_s']:.2f} s CPU); peak RSS {r['peak_rss_mb']:,.0f} MiB\n"
            f"  JSON decoding      {r['decode_s']:.2f} s\n"
            f"  adapter parse      {r['parse_s']:.2f} s\n"
            f"  normalize+resolve  {rest:.2f} s (add_many of the parsed touchpoints alone: "
            f"{r['add_many_s']:.2f} s)\n"
            f"accepted {r['accepted']:,}, quarantined {r['quarantined']:,} {r['reasons']}; "
            f"contacts {r['contacts']:,} for {r['people']:,} people\n"
            f"target >= {TARGET:,} events/s: {verdict(r['events_per_s'] >= TARGET)}\n"
        )
    payload = {
        "benchmark": "segment",
        "command": command_line(),
        "machine": info,
        "revision": REVISION,
        "runs": runs,
    }
    print(f"re-run:   {payload['command']}")
    print(f"results:  {write_results('segment', payload, args.json)}")


if __name__ == "__main__":
    main()
