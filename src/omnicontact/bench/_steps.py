"""The steps of the benchmark suite: the hub, streaming the world in, timing lookups."""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from random import Random
from typing import Any, Literal

from omnicontact.bench.metrics import Throughput, latency_percentiles
from omnicontact.bench.peers import person_record
from omnicontact.errors import OmnicontactError
from omnicontact.hub import Hub
from omnicontact.ingest import IngestReport
from omnicontact.model import Identifier, Touchpoint

__all__ = ["CHUNK", "LOOKUP_KINDS", "Ingest", "Progress", "Store", "open_hub", "time_lookups"]

CHUNK = 5_000
"""Events buffered before they are ingested, grouped by adapter."""
LOOKUP_KINDS = ("email", "phone", "customer_id", "loyalty_id")
"""The identifier kinds the lookups pick from."""

Store = Literal["memory", "sqlite"]
Progress = Callable[[str], None]


@contextmanager
def open_hub(store: Store, sqlite_path: str | None, end: datetime) -> Iterator[Hub]:
    """Yield a hub on *store* whose clock stands at the world's *end*."""
    options: dict[str, Any] = {"load_entry_points": False, "clock": lambda: end}
    if store == "memory":
        yield Hub(**options)
        return
    if sqlite_path is not None:
        with Hub.open(sqlite_path, **options) as hub:
            yield hub
        return
    with (
        tempfile.TemporaryDirectory(prefix="omnicontact-bench-") as folder,
        Hub.open(os.path.join(folder, "bench.db"), **options) as hub,
    ):
        yield hub


class Ingest:
    """Streams the world into the hub; keeps the truth and, for peers, the records."""

    def __init__(self, hub: Hub, keep_records: bool) -> None:
        self.hub = hub
        self.truth: dict[str, str] = {}
        self.records: dict[str, dict[str, str | None]] = {}
        self.keep_records = keep_records
        self.report = IngestReport()
        self.by_adapter: dict[str, Throughput] = {}
        self.events: Counter[str] = Counter()
        self.buffers: dict[str, list[Any]] = {}

    def flush(self) -> None:
        for adapter, payloads in self.buffers.items():
            if payloads:
                with Throughput.measure(self.by_adapter, adapter, len(payloads)):
                    self.report += self.hub.ingest(payloads, adapter=adapter)
                if self.keep_records:
                    self._keep(adapter, payloads)
                payloads.clear()

    def _keep(self, adapter: str, payloads: list[Any]) -> None:
        parse = self.hub.adapters[adapter].parse
        for payload in payloads:
            try:
                touchpoints = list(parse(payload))
            except (OmnicontactError, ValueError, TypeError, KeyError):
                continue  # quarantined by the hub too
            for tp in touchpoints:
                record = person_record(tp)
                if record is not None and tp.id in self.truth:
                    self.records.setdefault(tp.id, record)

    def run(self, events: Any, progress: Progress | None) -> float:
        """Ingest every event; return the seconds spent generating them."""
        pending = 0
        start = time.perf_counter()
        for event in events:
            self.truth[event.touchpoint_id] = event.person
            self.events[event.adapter] += 1
            self.buffers.setdefault(event.adapter, []).append(event.payload)
            pending += 1
            if pending >= CHUNK:
                self.flush()
                pending = 0
                if progress is not None:
                    progress(f"{sum(self.events.values()):,} events ingested")
        self.flush()
        total = time.perf_counter() - start
        return total - sum(t.seconds for t in self.by_adapter.values())

    def figures(self, generate_s: float) -> dict[str, Any]:
        pooled = sum(self.by_adapter.values(), Throughput())
        return {
            "events": pooled.count,
            "accepted": self.report.accepted,
            "duplicates": self.report.duplicates,
            "quarantined": len(self.report.quarantined),
            "seconds": pooled.seconds,
            "events_per_second": pooled.per_second,
            "generate_seconds": generate_s,
            "by_adapter": {
                name: {
                    "events": t.count,
                    "seconds": t.seconds,
                    "events_per_second": t.per_second,
                }
                for name, t in sorted(self.by_adapter.items())
            },
        }


def time_lookups(hub: Hub, touchpoints: list[Touchpoint], count: int, seed: int) -> dict[str, Any]:
    """Time ``hub.find`` on an identifier of *count* random touchpoints."""
    rng = Random(seed)
    candidates = [tp for tp in touchpoints if any(i.kind in LOOKUP_KINDS for i in tp.identifiers)]
    chosen: list[Identifier] = []
    for tp in rng.sample(candidates, min(count, len(candidates))):
        kinds = [i for i in tp.identifiers if i.kind in LOOKUP_KINDS]
        chosen.append(rng.choice(kinds))
    seconds: list[float] = []
    found = ambiguous = 0
    for identifier in chosen:
        start = time.perf_counter()
        try:
            contact = hub.find(identifier)
        except OmnicontactError:  # an identifier on several contacts (a shared one)
            contact = None
            ambiguous += 1
        seconds.append(time.perf_counter() - start)
        found += contact is not None
    out: dict[str, Any] = {"lookups": len(chosen), "found": found, "ambiguous": ambiguous}
    if seconds:
        out |= {f"{k}_ms": v * 1000 for k, v in latency_percentiles(seconds).items()}
    return out
